"""Python export: the source of a standalone module (standard library only, no rulex import).

The module defines ``predict(row)``, ``predict_many(rows)`` and ``decide(row)`` (the
number of the deciding rule, from 1, or ``"default"``: the numbering of every export),
with exactly the semantics of
:meth:`RuleSet.predict`:

* a row is a mapping from column name to value; a value that is ``None`` or NaN
  (anything unequal to itself, or pandas' ``NA``) is missing, and a condition on a
  missing value is false whatever its operator; a column the rules test that is
  absent from the row raises ``KeyError``;
* ``<=`` / ``>`` compare ``float(value)`` with the exact threshold; ``==``, ``!=``,
  ``in``, ``not in`` use Python equality (as pandas' ``isin`` does);
* an m-of-n test holds when at least m of its conditions hold;
* ordered: the first rule that holds decides; unordered: class vote totals of the
  firing rules' weights, the largest wins, ties go to the tied class whose first
  firing rule is earliest; no firing rule: the default.

``predict_many`` accepts an iterable of mappings or anything with
``to_dict("records")`` (a pandas DataFrame) and returns a list.
"""
from __future__ import annotations

import math

from .._version import __version__
from ..exceptions import FormatError
from ..rules.conditions import Condition
from ..rules.linear import LinearModel

__all__ = ["to_python"]

_HELPERS = '''
def _missing(v):
    """None, NaN, NaT and pandas.NA are missing."""
    if v is None:
        return True
    try:
        return bool(v != v)
    except (TypeError, ValueError):   # pandas.NA cannot be converted to bool
        return True


def _get(row, name):
    try:
        return row[name]
    except KeyError:
        raise KeyError(f"the row has no value for {name!r}, which the rules test") from None


def _le(v, t):
    return not _missing(v) and float(v) <= t


def _gt(v, t):
    return not _missing(v) and float(v) > t


def _eq(v, x):
    return not _missing(v) and v == x


def _ne(v, x):
    return not _missing(v) and not (v == x)


def _in(v, values):
    return not _missing(v) and any(v == x for x in values)


def _not_in(v, values):
    return not _missing(v) and not any(v == x for x in values)
'''

_LINEAR = '''

def _linear(row, intercept, numeric, indicators):
    """intercept + coef * x ... + coef * [x == category] ..., added left to right (missing x: NaN)."""
    v = intercept
    for name, coef in numeric:
        x = _get(row, name)
        v = v + coef * (math.nan if _missing(x) else float(x))
    for name, category, coef in indicators:
        v = v + coef * (1.0 if _eq(_get(row, name), category) else 0.0)
    return v
'''

_PREDICT_MANY = '''

def predict_many(rows):
    """Predictions for many rows: an iterable of mappings, or a pandas DataFrame."""
    if hasattr(rows, "to_dict"):
        rows = rows.to_dict("records")
    return [predict(row) for row in rows]
'''


def _py(v) -> str:
    """A Python literal that evaluates to ``v`` exactly."""
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, int):
        return repr(v)
    if isinstance(v, float):
        if math.isnan(v):
            raise FormatError("the Python export cannot hold NaN as a value")
        if math.isinf(v):
            return "math.inf" if v > 0 else "-math.inf"
        return repr(v)
    if isinstance(v, str):
        return repr(v)
    raise FormatError(f"the Python export cannot write the value {v!r} of type {type(v).__name__}")


def _conclusion(v, task) -> str:
    if isinstance(v, LinearModel):
        num = "".join(f"({_py(t.feature)}, {_py(t.coef)}), " for t in v.terms if not t.is_indicator)
        ind = "".join(f"({_py(t.feature)}, {_py(t.category)}, {_py(t.coef)}), " for t in v.terms if t.is_indicator)
        return f"({_py(v.intercept)}, ({num}), ({ind}))"
    return _py(v if task == "classification" else float(v))


def _condition(c: Condition, var: str) -> str:
    op, v = c.op, c.value
    if op == "is missing":
        return f"_missing({var})"
    if op == "is not missing":
        return f"(not _missing({var}))"
    if op == "<=":
        return f"_le({var}, {_py(float(v))})"
    if op == ">":
        return f"_gt({var}, {_py(float(v))})"
    if op == "==":
        return f"_eq({var}, {_py(v)})"
    if op == "!=":
        return f"_ne({var}, {_py(v)})"
    values = "(" + ", ".join(_py(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    return f"{'_in' if op == 'in' else '_not_in'}({var}, {values})"


def _literal(lit, var) -> str:
    if isinstance(lit, Condition):
        return _condition(lit, var[lit.feature])
    parts = " + ".join(_condition(c, var[c.feature]) for c in lit.conditions)
    return f"({parts}) >= {lit.m}"


def _rule(rule, var) -> str:
    if not rule.conditions:
        return "True"
    return " and ".join(_literal(lit, var) for lit in rule.conditions)


def _comment(text: str) -> str:
    """One printable line (control characters and line separators shown as escapes)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def to_python(rules) -> str:
    """Source of a standalone Python module that predicts like ``rules`` (see the module docstring)."""
    features = rules.features_used()
    var = {f: f"x{i}" for i, f in enumerate(features)}
    src = _module_head(rules, features) + _HELPERS + (_LINEAR if rules.is_linear else "")
    body = _decide(rules, features, var)
    body += ["", "", "def predict(row):", '    """The prediction for one row (a mapping from column name to value)."""']
    if rules.is_linear:
        body += ["    c = CONCLUSIONS[decide(row)]", "    return _linear(row, *c) if isinstance(c, tuple) else c"]
    else:
        body.append("    return CONCLUSIONS[decide(row)]")
    src += "\n".join(body) + "\n" + _PREDICT_MANY
    compile(src, "<rulex python export>", "exec")     # a bug here must not reach the user
    return src


def _module_head(rules, features) -> str:
    """The module docstring and constants: TARGET, TASK, SEMANTICS, FEATURES, DEFAULT, CLASSES, CONCLUSIONS."""
    target = rules.target or "prediction"
    method = rules.provenance.get("method")
    head = (f"Rules predicting {target!r}" + (f", extracted by {method}" if method else "")
            + f"; exported by rulex {__version__}.")
    sem = ("ordered: the first rule that holds decides; otherwise the default"
           if rules.semantics == "ordered" else
           "unordered: every rule that holds votes with its weight; the class with the largest total wins; "
           "a tie goes to the tied class whose first firing rule is earliest; no rule holds: the default")
    lines = ['"""' + _comment(head).replace("\\", "\\\\").replace('"', '\\"'), "",
             "Standalone: needs only the Python standard library.", f"Semantics: {sem}.",
             "A condition on a missing value (None or NaN) is false, whatever its operator.", "",
             "Functions: predict(row), predict_many(rows), decide(row) -> deciding rule number (from 1) or 'default'.",
             '"""', "import math", "",
             f"TARGET = {_py(target)}",
             f"TASK = {_py(rules.task)}",
             f"SEMANTICS = {_py(rules.semantics)}",
             "FEATURES = (" + "".join(_py(f) + ", " for f in features) + ")",
             f"DEFAULT = {_conclusion(rules.default, rules.task)}"]
    if rules.task == "classification":
        lines.append("CLASSES = (" + "".join(_py(c) + ", " for c in rules.classes) + ")")
    concl = [_conclusion(r.conclusion, rules.task) for r in rules.rules]
    note = ("  # key: decide(row); a tuple is a linear formula (intercept, numeric terms, indicator terms)"
            if rules.is_linear else "  # key: decide(row)")
    lines.append("CONCLUSIONS = {" + "".join(f"{i}: {c}, " for i, c in enumerate(concl, 1))
                 + "'default': DEFAULT}" + note)
    return "\n".join(lines) + "\n"


def _decide(rules, features, var) -> list:
    """Lines of ``decide(row)``: the rules in order, or their votes (with ``_vote`` and its tables)."""
    schema = rules.schema if rules.space == "original" else None
    body = ["", "", "def decide(row):",
            '    """Number of the rule that decides ``row`` (from 1), or \'default\' when no rule does."""']
    body += [f"    {var[f]} = _get(row, {_py(f)})" for f in features]
    texts = [_comment(r.to_string(schema)) for r in rules.rules]
    if rules.semantics == "ordered" or not rules.rules:
        for i, (r, text) in enumerate(zip(rules.rules, texts), 1):
            body += [f"    # {i}. {text}", f"    if {_rule(r, var)}:", f"        return {i}"]
        body.append("    return 'default'")
        return body
    classes = list(rules.classes)
    weights = []
    for i, r in enumerate(rules.rules, 1):
        if not math.isfinite(r.weight):
            raise FormatError(f"the Python export needs finite rule weights; rule {i} has {r.weight!r}")
        weights.append(float(r.weight))
    body.append("    fired = (")
    for i, (r, text) in enumerate(zip(rules.rules, texts), 1):
        body += [f"        # {i}. {text}", f"        {_rule(r, var)},"]
    body.append("    )")
    body.append("    return _vote(fired)")
    body += ["", "", f"_RULE_CLASS = ({''.join(str(classes.index(r.conclusion)) + ', ' for r in rules.rules)})",
             f"_WEIGHT = ({''.join(_py(w) + ', ' for w in weights)})"]
    return body + _VOTE


_VOTE = [
    "", "",
    "def _vote(fired):",
    '    """Deciding rule number under weighted voting (\'default\' when no rule fires)."""',
    "    n = len(fired)",
    "    if not any(fired):",
    "        return 'default'",
    "    score = [0.0] * len(CLASSES)",
    "    first = [n] * len(CLASSES)",
    "    for j, hit in enumerate(fired):",
    "        if hit:",
    "            k = _RULE_CLASS[j]",
    "            score[k] += _WEIGHT[j]",
    "            if first[k] == n:",
    "                first[k] = j",
    "    best = max(score)",
    "    tied = [first[k] for k in range(len(CLASSES)) if score[k] == best and first[k] < n]",
    "    return min(tied) + 1 if tied else 'default'",
]
