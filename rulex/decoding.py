"""Exact decoding of rules from network inputs to the user's units.

A rule found on network inputs (``space="encoded"``) tests scaled numbers and one-hot inputs;
decoding turns each test into the condition in the user's units that holds on an original value
exactly when the encoded test holds on its encoding, for every value a feature can take. This
sits above both :mod:`rulex.schema` (which knows the encoding, nothing of rules) and
:mod:`rulex.rules` (which knows rules, nothing of encodings).

>>> import rulex
>>> from rulex.decoding import decode_condition
>>> train = rulex.load_dataset("iris")
>>> enc = rulex.Encoder(train.schema).fit(train.frame)
>>> decode_condition(enc, rulex.Condition("petal_length", "<=", 0.5))
Condition('petal_length', '<=', 3.95)
"""
from __future__ import annotations

import math

from .exceptions import RuleError
from .rules.conditions import Condition, MofN
from .rules.intervals import fold
from .rules.linear import LinearModel, LinearTerm

__all__ = ["decode_condition", "decode_rules", "decode_conclusion"]


def decode_condition(encoder, cond):
    """Exact condition in original units for a condition on one network input.

    Returns a :class:`~rulex.rules.Condition`, or ``True``/``False`` when the test
    holds for every / no value of the feature (e.g. ``sex > 1.5`` on a binary input).
    With imputation (``Encoder(missing="impute")``) a test on a ``"<feature> is missing"`` input
    decodes to ``is missing`` / ``is not missing``, and a test on a value input that the fill value
    passes decodes to ``MofN(1, (test, is missing))`` (the test, or the value is missing): a missing
    value is encoded as the fill value, so the encoded test holds there too.
    """
    d = _decode_value_condition(encoder, cond)
    j = encoder.input_names_.index(cond.feature)
    name = encoder.input_owner_[j]
    fill = getattr(encoder, "fill_", {})
    if name not in fill or encoder.missing_inputs_.get(name) == j:
        return d
    off_value = encoder.encode_value(encoder.schema[name], fill[name])[encoder.groups_[name].index(j)]
    fill_holds = bool(off_value <= cond.value) if cond.op == "<=" else bool(off_value > cond.value)
    missing = Condition(name, "is missing")
    if not fill_holds:                  # false on a missing value, like the decoded test
        return Condition(name, "is not missing") if d is True else d
    if d is True:
        return True
    if d is False:
        return missing
    return MofN(1, (d, missing))        # never both: a test on the value is false on a missing value


def _decode_value_condition(encoder, cond):
    """:func:`decode_condition` on the values present (a missing value aside)."""
    encoder._check_fitted()
    if isinstance(cond, MofN):
        raise RuleError("decode m-of-n tests literal by literal (decode_rules does this)")
    if cond.op not in ("<=", ">"):
        raise RuleError(f"encoded conditions use <= or >, got {cond.op!r} on {cond.feature!r}")
    try:
        j = encoder.input_names_.index(cond.feature)
    except ValueError:
        raise RuleError(f"{cond.feature!r} is not a network input "
                        f"(inputs: {encoder.input_names_[:6]}...)") from None
    f = encoder.schema[encoder.input_owner_[j]]
    t = cond.value
    if getattr(encoder, "missing_inputs_", {}).get(f.name) == j:     # the 0/1 "is missing" input
        on, off = (1.0 <= t, 0.0 <= t) if cond.op == "<=" else (1.0 > t, 0.0 > t)
        if on and off:
            return True
        if not on and not off:
            return False
        return Condition(f.name, "is missing" if on else "is not missing")
    if f.kind in ("numeric", "integer"):
        T = encoder.boundary(f.name, t)
        if not math.isfinite(T):
            return (T > 0) == (cond.op == "<=")
        if f.kind == "integer":
            T = float(math.floor(T))
        return Condition(f.name, cond.op, T)
    # discrete: evaluate the encoded test on every category's encoding
    pos = encoder.groups_[f.name].index(j)
    codes = encoder.category_codes(f)[:, pos]
    hold = codes <= t if cond.op == "<=" else codes > t
    allowed = [c for c, h in zip(f.categories, hold) if h]
    if not allowed:
        return False
    if len(allowed) == len(f.categories):
        return True
    if len(allowed) == 1:
        return Condition(f.name, "==", allowed[0])
    rest = [c for c in f.categories if c not in allowed]
    if len(rest) == 1:
        return Condition(f.name, "!=", rest[0])
    return Condition(f.name, "in", allowed)


def _decode_mofn(encoder, c: MofN):
    """Decoded literals of an m-of-n test: a list of conditions to AND, or False when it never holds."""
    lits: list = []
    m = c.m
    for lit in c.conditions:
        d = decode_condition(encoder, lit)
        if d is True:
            m -= 1
        elif isinstance(d, MofN):       # (test OR is missing): exclusive, so it counts as the two literals
            lits.extend(d.conditions)
        elif d is not False:
            lits.append(d)
    if m <= 0:
        return []
    if m > len(lits):
        return False
    if m == len(lits):
        return lits
    if m == 1 and len(lits) == 1:
        return [lits[0]]
    return [MofN(m, tuple(lits))]


def decode_rules(encoder, ruleset):
    """Turn an encoded-space RuleSet into the exact RuleSet in original units (folded)."""
    if ruleset.space != "encoded":
        raise RuleError("decode_rules takes a RuleSet with space='encoded'")
    rules = []
    for r in ruleset.rules:
        conds, dead = [], False
        for c in r.conditions:
            d = _decode_mofn(encoder, c) if isinstance(c, MofN) else decode_condition(encoder, c)
            if isinstance(d, MofN):
                d = [d]
            if d is False:
                dead = True
                break
            if isinstance(d, list):
                conds.extend(d)
            elif d is not True:
                conds.append(d)
        if dead:
            continue
        folded = fold(conds, encoder.schema)
        if folded is None:
            continue
        rules.append(r.replace(conditions=folded, conclusion=decode_conclusion(encoder, r.conclusion)))
    return ruleset.replace(rules=tuple(rules), space="original", schema=encoder.schema,
                           default=decode_conclusion(encoder, ruleset.default))


def decode_conclusion(encoder, value):
    """A linear conclusion over network inputs rewritten in original units; other values as they are.

    A numeric input ``(x - offset) / scale`` becomes a term on ``x`` (its offset moves into the
    intercept); the inputs of a discrete feature become one indicator term per category, worth
    what that category's encoding contributes (zero contributions are dropped).
    """
    if not isinstance(value, LinearModel):
        return value
    encoder._check_fitted()
    where = encoder._input_owners()
    intercept, numeric, indicator = value.intercept, {}, {}
    for t in value.terms:
        if t.feature in {encoder.input_names_[j] for j in getattr(encoder, "missing_inputs_", {}).values()}:
            raise RuleError(f"linear term on {t.feature!r}: a linear conclusion cannot weigh missingness; "
                            "leave the missingness inputs out of linear leaves")
        if t.is_indicator or t.feature not in where:
            raise RuleError(f"linear term on {t.feature!r}: not a network input of this encoder")
        f, pos = where[t.feature]
        if f.kind in ("numeric", "integer"):
            off, sc = encoder.scale(f.name)
            numeric[f.name] = numeric.get(f.name, 0.0) + t.coef / sc
            intercept -= t.coef * off / sc
        else:
            codes = encoder.category_codes(f)
            for c, code in zip(f.categories, codes[:, pos]):
                if code != 0:
                    indicator[(f.name, c)] = indicator.get((f.name, c), 0.0) + t.coef * float(code)
    order = {f.name: i for i, f in enumerate(encoder.schema.features)}
    terms = [LinearTerm(n, c) for n, c in sorted(numeric.items(), key=lambda kv: order[kv[0]]) if c != 0]
    terms += [LinearTerm(n, c, cat) for (n, cat), c in indicator.items() if c != 0]
    return LinearModel(intercept, terms)
