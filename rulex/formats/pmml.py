"""PMML 4.4 export: a ``RuleSetModel`` (classification), a ``TreeModel`` (regression) or a
``MiningModel`` of ``RegressionModel`` segments (regression with linear conclusions).

The document scores every row exactly like :meth:`RuleSet.predict` under any
evaluator that follows the PMML 4.4 specification (checked row by row with pypmml /
PMML4S and with JPMML on random rule sets of every kind, and against the PMML 4.4 XSD).

Encoding
--------
DataDictionary / MiningSchema
    In original units and category names, from ``rules.schema``: numeric and
    integer -> continuous double (JPMML's integer type is 32-bit; a double holds
    every integer up to 2**53 exactly), binary and categorical ->
    categorical with their ``Value`` list, ordinal -> ordinal with the levels in
    order. Categories made only of booleans, 32-bit integers, numbers or strings
    give ``dataType`` boolean, integer, double or string. Without a schema (or for
    rules in the encoded space) the fields are inferred from the conditions.
Conditions
    ``<=`` / ``>`` become ``lessOrEqual`` / ``greaterThan`` (on an integer field
    the threshold ``t`` becomes ``floor(t)``, which selects the same integers;
    infinite thresholds become ``isNotMissing`` or ``False``). On discrete
    fields every condition is first reduced to the set of declared categories
    it accepts, then written as ``equal`` / ``notEqual`` or a
    ``SimpleSetPredicate`` (``isIn`` / ``isNotIn``); a single category of a field
    whose categories are doubles (codes read as ``2.0``) is a one-value set too,
    because PMML4S compares such a field's ``SimplePredicate`` value with the
    category's position instead of its value; a set that holds a string
    with a double quote, a backslash, a tab or a line break is written as an OR
    of ``equal`` (an AND of ``notEqual``) instead, because evaluators disagree on
    escapes inside ``Array`` (PMML4S reads ``\"`` as two characters). A rule is an ``and`` ``CompoundPredicate`` (or one predicate, or
    ``True``).
Missing values
    rulex: a condition on a missing value is false. PMML: a comparison with a
    missing value is UNKNOWN, ``and``/``or`` follow three-valued logic and a
    rule fires only when its predicate is TRUE. Our predicates never negate a
    compound, so they are monotone in the truth order FALSE < UNKNOWN < TRUE:
    a predicate is TRUE under three-valued logic exactly when it is TRUE with
    every UNKNOWN replaced by FALSE, i.e. exactly when rulex says it holds.
    Negative tests (``notEqual``, ``isNotIn``) are nevertheless ANDed with
    ``isNotMissing`` so that evaluators that treat a missing value as "not in
    the set" still agree.
m-of-n
    ``at least m of n`` becomes an ``or`` of the ``C(n, m)`` ``and``-combinations
    of m of its conditions (missing counts as not holding, as above). Beyond
    ``max_mofn_terms`` combinations (default 256) the export raises
    :class:`~rulex.FormatError`.
Semantics
    ``ordered`` -> ``RuleSelectionMethod criterion="firstHit"``. The ``RuleSet``
    carries ``defaultConfidence="0.0"`` (optional in the specification, required by
    JPMML, which otherwise fails on every row the default decides).
    ``unordered`` -> ``weightedSum``. rulex breaks ties between classes with
    equal vote totals in favour of the class whose first firing rule is
    earliest; the PMML specification breaks them by DataDictionary order and
    PMML4S by its hash-map order. The exporter therefore makes ties impossible
    without changing any other outcome, see :func:`tie_free_weights`; when that
    is impossible within float64 precision it raises :class:`~rulex.FormatError`.
Regression
    PMML's RuleSetModel is classification only. A regression rule set (always
    ordered) is exported as a ``TreeModel`` with ``functionName="regression"``:
    a root ``True`` node whose children are the rules in order followed by a
    ``True`` leaf holding the default. Tree scoring takes the first child whose
    predicate is TRUE, which is exactly first-hit; ``missingValueStrategy="none"``
    makes comparisons with missing values FALSE, which is rulex's semantics.
Linear conclusions
    A rule set whose conclusions (or default) include a
    :class:`~rulex.rules.linear.LinearModel` becomes a ``MiningModel`` with a
    ``selectFirst`` ``Segmentation``: one ``Segment`` per rule (its predicate, then a
    ``RegressionModel`` whose table holds the intercept, the ``NumericPredictor``
    terms and the ``CategoricalPredictor`` indicators in the rule's order) and a last
    ``True`` segment for the default. A missing numeric input gives a missing
    prediction and a missing category an indicator of 0, as in rulex. The intercept
    is the coefficient of a constant derived field (``TransformationDictionary``)
    listed first, with ``intercept="0.0"``: PMML4S adds the intercept attribute
    first and JPMML last, and this way both sum in rulex's order, so scores equal
    ``RuleSet.predict`` to the last bit in both (checked on random rule sets).
"""
from __future__ import annotations

import itertools
import json
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction

from .._version import __version__
from ..exceptions import FormatError
from ..rules.conditions import Condition, MofN
from ..rules.linear import LinearModel
from ..rules.render import format_condition

__all__ = ["to_pmml", "tie_free_weights", "PMML_NAMESPACE"]

PMML_NAMESPACE = "http://www.dmg.org/PMML-4_4"
_OPS = {"<=": "lessOrEqual", ">": "greaterThan"}


# -- fields ---------------------------------------------------------------------------------
@dataclass
class _Field:
    name: str
    optype: str                  # continuous | categorical | ordinal
    dtype: str                   # double | integer | string | boolean
    values: tuple | None = None  # declared categories (None: any value is valid)


def _dtype_of(values, what: str) -> str:
    values = list(values)
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) and -2 ** 31 <= v < 2 ** 31 for v in values):
        return "integer"           # JPMML's integer is 32-bit: larger integers are declared double
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "double"
    if all(isinstance(v, str) for v in values):
        return "string"
    kinds = sorted({type(v).__name__ for v in values})
    raise FormatError(f"PMML cannot declare {what}: its values mix types ({', '.join(kinds)}); "
                      "give it values of one type")


def _check_text(s: str, what: str) -> str:
    bad = [c for c in s if (ord(c) < 32 and c not in "\t\n\r") or 0xD800 <= ord(c) <= 0xDFFF
           or c in "\ufffe\uffff"]
    if bad:
        raise FormatError(f"PMML (XML 1.0) cannot hold {what} {s!r}: it contains the control character "
                          f"{bad[0]!r}")
    return s


def _fmt(v, dtype: str) -> str:
    """A value as PMML text for a field of ``dtype`` (the value must fit the type)."""
    if dtype == "boolean":
        return "true" if v else "false"
    if dtype == "integer":
        return str(int(v))
    if dtype == "double":
        # zero is written unsigned: JPMML's Array matches no value against "-0.0" (a comparison
        # treats -0.0 and 0.0 alike, as rulex does)
        return "0.0" if v == 0 else repr(float(v))
    return _check_text(str(v), "the value")


def _fields(rules) -> dict:
    schema = rules.schema if rules.space == "original" else None
    used = rules.features_used()
    fields = {}
    if schema is not None:
        for f in schema.features:
            if f.kind == "numeric":
                fields[f.name] = _Field(f.name, "continuous", "double")
            elif f.kind == "integer":
                # declared double: JPMML's integer is 32-bit and rejects larger values, and every
                # integer up to 2**53 is exact in a double (the comparisons rulex makes)
                fields[f.name] = _Field(f.name, "continuous", "double")
            else:
                dtype = _dtype_of(f.categories, f"feature {f.name!r}")
                fields[f.name] = _Field(f.name, "ordinal" if f.kind == "ordinal" else "categorical", dtype,
                                        tuple(f.categories))
        return fields
    # no schema: infer each used feature from the conditions that test it
    seen: dict = {}
    for r in rules.rules:
        for lit in r.conditions:
            for c in (lit.conditions if isinstance(lit, MofN) else (lit,)):
                ops, vals = seen.setdefault(c.feature, (set(), []))
                ops.add(c.op)
                if c.op in ("in", "not in"):
                    vals.extend(c.value)
                elif c.op in ("==", "!="):
                    vals.append(c.value)
    for v in [r.conclusion for r in rules.rules] + [rules.default]:
        for t in (v.terms if isinstance(v, LinearModel) else ()):
            ops, vals = seen.setdefault(t.feature, (set(), []))
            if t.is_indicator:
                ops.add("==")
                vals.append(t.category)
            else:
                ops.add("<=")
    for name in used:
        ops, vals = seen[name]
        if ops & {"<=", ">"} or (vals and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                              for v in vals)):
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
                raise FormatError(f"PMML: feature {name!r} is compared with thresholds and with non-numeric "
                                  "values; give the rule set a schema")
            fields[name] = _Field(name, "continuous", "double")
        else:
            fields[name] = _Field(name, "categorical", _dtype_of(vals, f"feature {name!r}"))
    return fields


def _target_field(rules, features) -> _Field:
    name = rules.target or "prediction"
    while name in features:
        name += "_"
    if rules.task == "regression":
        return _Field(name, "continuous", "double")
    classes = tuple(rules.classes)
    return _Field(name, "categorical", _dtype_of(classes, f"the target {name!r}"), classes)


# -- predicates as small tuples ---------------------------------------------------------------
TRUE, FALSE = ("true",), ("false",)


def _and(parts):
    out = []
    for p in parts:
        if p == FALSE:
            return FALSE
        if p == TRUE:
            continue
        out.extend(p[1] if p[0] == "and" else [p])
    if not out:
        return TRUE
    return out[0] if len(out) == 1 else ("and", out)


def _or(parts):
    out = []
    for p in parts:
        if p == TRUE:
            return TRUE
        if p == FALSE:
            continue
        out.extend(p[1] if p[0] == "or" else [p])
    if not out:
        return FALSE
    return out[0] if len(out) == 1 else ("or", out)


def _simple(field, op, value=None):
    return ("simple", field.name, op, None if value is None else _fmt(value, field.dtype))


def _not_missing(field):
    return ("simple", field.name, "isNotMissing", None)


def _set(field, values, positive: bool):
    """``field`` in ``values`` (positive) or not in them; values already of the field's type."""
    values = list(dict.fromkeys(values))
    if not values:
        return FALSE if positive else _not_missing(field)
    # PMML4S (pypmml) reads a value of a discrete double field as its position in the DataDictionary
    # and compares a SimplePredicate's value with that position (``equal 1.0`` fires on the second
    # category); its SimpleSetPredicate compares values. Such fields always get a set.
    if len(values) == 1 and not (field.optype != "continuous" and field.dtype == "double"):
        return (_simple(field, "equal", values[0]) if positive
                else _and([_not_missing(field), _simple(field, "notEqual", values[0])]))
    if field.dtype == "string" and any(c in v for v in values for c in '"\\\t\n\r'):
        # PMML Array escapes (and whitespace other than spaces) are not read alike by evaluators:
        # spell the set out with the values in attributes
        if positive:
            return _or([_simple(field, "equal", v) for v in values])
        return _and([_not_missing(field)] + [_simple(field, "notEqual", v) for v in values])
    kind = {"string": "string", "integer": "int", "double": "real"}[field.dtype]
    pred = ("set", field.name, "isIn" if positive else "isNotIn", kind,
            tuple(_fmt(v, field.dtype) for v in values))
    return pred if positive else _and([_not_missing(field), pred])


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _atom(c: Condition, field: _Field):
    op, v = c.op, c.value
    if op == "is missing":
        return ("simple", field.name, "isMissing", None)
    if op == "is not missing":
        return _not_missing(field)
    if field.optype == "continuous":
        if op in ("<=", ">"):
            t = float(v)
            if field.dtype == "integer" and math.isfinite(t):
                t = math.floor(t)           # x <= t  <=>  x <= floor(t) for integers; same for >
                if abs(t) >= 2 ** 62:       # beyond any integer value: the test is constant
                    t = math.inf if t > 0 else -math.inf
            if math.isinf(t):
                holds = (op == "<=") == (t > 0)
                return _not_missing(field) if holds else FALSE
            return _simple(field, _OPS[op], t)
        values = [v] if op in ("==", "!=") else list(v)
        if not all(_is_number(x) or isinstance(x, bool) for x in values):
            raise FormatError(f"PMML: condition {format_condition(c)} compares the numeric feature "
                              f"{c.feature!r} with a non-numeric value")
        values = [float(x) for x in values]
        if field.dtype == "integer":
            values = [int(x) for x in values if x.is_integer()]   # others never equal an integer
        return _set(field, values, op in ("==", "in"))
    # discrete field
    if field.values is None:
        if op in ("<=", ">"):
            raise FormatError(f"PMML: condition {format_condition(c)} compares the categorical feature "
                              f"{c.feature!r} with a threshold; give the rule set a schema")
        values = [v] if op in ("==", "!=") else list(v)
        return _set(field, values, op in ("==", "in"))
    cats = list(field.values)
    if op in ("<=", ">"):
        if not all(_is_number(k) or isinstance(k, bool) for k in cats):
            raise FormatError(f"PMML: condition {format_condition(c)} compares feature {c.feature!r}, whose "
                              f"categories are not numbers, with a threshold")
        accepted = [k for k in cats if (float(k) <= v) == (op == "<=")]
        positive = True
    else:
        values = [v] if op in ("==", "!=") else list(v)
        hit = [k for k in cats if any(k == x for x in values)]
        positive = op in ("==", "in")
        accepted = hit if positive else [k for k in cats if k not in hit]
    # rows hold declared categories only (rulex rejects others), so the test is the accepted set
    if not accepted:
        return FALSE
    if len(accepted) == len(cats):
        return _not_missing(field)
    if positive:
        return _set(field, accepted, True)
    return _set(field, [k for k in cats if k not in accepted], False)


def _literal(lit, fields, max_terms: int):
    if isinstance(lit, Condition):
        return _atom(lit, fields[lit.feature])
    atoms = [_atom(c, fields[c.feature]) for c in lit.conditions]
    n, m = len(atoms), lit.m
    if m == n:
        return _and(atoms)
    if m == 1:
        return _or(atoms)
    terms = math.comb(n, m)
    if terms > max_terms:
        raise FormatError(f"PMML has no counting predicate: the m-of-n test {format_condition(lit)} would "
                          f"expand to {terms} AND-combinations, over the limit max_mofn_terms={max_terms}; "
                          "raise the limit or export to json, python or sql, which count directly")
    return _or([_and(combo) for combo in itertools.combinations(atoms, m)])


def _rule_predicate(rule, fields, max_terms):
    return _and([_literal(lit, fields, max_terms) for lit in rule.conditions])


def _element(pred, parent):
    kind = pred[0]
    if kind == "true":
        return ET.SubElement(parent, "True")
    if kind == "false":
        return ET.SubElement(parent, "False")
    if kind == "simple":
        _, name, op, value = pred
        attrs = {"field": name, "operator": op}
        if value is not None:
            attrs["value"] = value
        return ET.SubElement(parent, "SimplePredicate", attrs)
    if kind == "set":
        _, name, op, atype, values = pred
        el = ET.SubElement(parent, "SimpleSetPredicate", {"field": name, "booleanOperator": op})
        arr = ET.SubElement(el, "Array", {"n": str(len(values)), "type": atype})
        arr.text = " ".join('"' + v + '"' for v in values) if atype == "string" else " ".join(values)
        return el
    el = ET.SubElement(parent, "CompoundPredicate", {"booleanOperator": kind})
    for child in pred[1]:
        _element(child, el)
    return el


# -- weightedSum tie-break ----------------------------------------------------------------------
def tie_free_weights(weights, conclusions):
    """Weights whose weightedSum never ties and always elects rulex's winner.

    rulex's unordered vote: class totals of the firing rules' weights; the largest
    total wins; a tie goes to the tied class whose first firing rule is earliest.

    Construction: write every weight as ``W_j / 2**s`` with integers ``W_j`` (every
    float is such a dyadic rational). Going from the last rule to the first, give
    rule ``j`` the offset ``e_j = 1 + sum(e_i for later rules i of other classes)``;
    let ``M > sum(e)`` be a power of two (the largest that keeps every total below
    ``2**53``, so the offsets are as small as possible); the new weights are
    ``(W_j * M + e_j) / (M * 2**s)``.

    Proof: for two classes a != b with firing sets A and B, the new totals compare as
    ``M * (W(A) - W(B)) + e(A) - e(B)`` with ``0 <= e(A), e(B) < M``. If the integer
    totals differ, ``|W(A) - W(B)| >= 1`` (the minimum non-zero gap) and the sign is
    kept. If they tie, the class whose first firing rule ``j`` is earlier wins because
    ``e_j`` alone exceeds the offsets of all later rules of other classes, which hold
    all of B. So the new totals are pairwise distinct and their maximum is rulex's
    winner. Requirements, checked here: finite weights >= 0 (a class that fires has
    a total >= the 0 of the classes that do not), and ``sum(new W) < 2**53`` so that
    every total is exact in float64 in any summation order, for rulex and for the
    evaluator alike.

    Returns the new weights, or the weights unchanged when at most one class has
    rules (no tie is possible). Raises :class:`~rulex.FormatError` when the encoding
    does not fit float64.
    """
    weights = [float(w) for w in weights]
    for j, w in enumerate(weights):
        if not math.isfinite(w) or w < 0:
            raise FormatError(f"PMML weightedSum needs finite weights >= 0; rule {j + 1} has weight {w!r}")
    if len(set(conclusions)) <= 1:
        return weights
    fracs = [Fraction(w) for w in weights]
    s = max((f.denominator.bit_length() - 1 for f in fracs), default=0)
    W = [int(f * 2 ** s) for f in fracs]
    e = [0] * len(W)
    later: dict = {}      # class -> sum of offsets of later rules of that class
    total_later = 0
    for j in range(len(W) - 1, -1, -1):
        k = conclusions[j]
        e[j] = 1 + total_later - later.get(k, 0)
        later[k] = later.get(k, 0) + e[j]
        total_later += e[j]
    E, T = sum(e), sum(W)
    least = 1 << E.bit_length()                  # the smallest power of two above E
    if T * least + E >= 2 ** 53:
        raise FormatError(
            "PMML weightedSum cannot reproduce rulex's tie-break exactly for these weights: the tie-free "
            f"encoding needs {(T * least + E).bit_length()} bits, over float64's 53. Use fewer rules, round the "
            "weights to a few binary digits (e.g. multiples of 1/64), or use ordered semantics")
    # the largest power of two M with T * M + E < 2**53 keeps the offsets as small as possible
    M = 1 << (((2 ** 53 - 1 - E) // T).bit_length() - 1) if T else least
    new = [Wj * M + ej for Wj, ej in zip(W, e)]
    scale = M * 2 ** s
    out = [float(Fraction(n, scale)) for n in new]
    if any(Fraction(o) != Fraction(n, scale) for o, n in zip(out, new)):
        raise FormatError("PMML weightedSum: the rule weights are too small to encode rulex's tie-break exactly "
                          "in float64; scale them up or use ordered semantics")
    return out


# -- document ---------------------------------------------------------------------------------
def _regression_model(parent, value, fields, target, unit: str) -> None:
    """A ``RegressionModel`` computing ``value`` (a number or LinearModel) under ``parent``.

    Its ``RegressionTable`` has intercept 0 and lists the real intercept as the coefficient of
    the constant derived field ``unit`` (= 1.0), then the numeric terms, then the indicator
    terms: the order in which :class:`~rulex.rules.linear.LinearModel` adds them. PMML4S sums
    the intercept attribute first and JPMML last; with the intercept as the first predictor
    both sum ``((0 + b*1) + c1*x1) + ...`` and reproduce rulex's double (``0 + b == b`` and
    ``s + 0 == s`` exactly, up to the sign of a zero).
    """
    linear = isinstance(value, LinearModel)
    terms = value.terms if linear else ()
    intercept = value.intercept if linear else float(value)
    model = ET.SubElement(parent, "RegressionModel", {"functionName": "regression"})
    ms = ET.SubElement(model, "MiningSchema")
    for name in dict.fromkeys(t.feature for t in terms):
        ET.SubElement(ms, "MiningField", {"name": name})
    ET.SubElement(ms, "MiningField", {"name": target.name, "usageType": "target"})
    table = ET.SubElement(model, "RegressionTable", {"intercept": "0.0"})
    ET.SubElement(table, "NumericPredictor", {"name": unit, "coefficient": repr(float(intercept))})
    for t in terms:
        if t.is_indicator:
            ET.SubElement(table, "CategoricalPredictor", {"name": t.feature,
                                                          "value": _fmt(t.category, fields[t.feature].dtype),
                                                          "coefficient": repr(t.coef)})
        else:
            ET.SubElement(table, "NumericPredictor", {"name": t.feature, "coefficient": repr(t.coef)})


def to_pmml(rules, *, model_name: str | None = None, max_mofn_terms: int = 256, description: str | None = None) -> str:
    """PMML 4.4 document for ``rules`` (see the module docstring for the encoding).

    Parameters
    ----------
    rules : RuleSet
    model_name : str, optional
        ``modelName`` (default: the extraction method, or ``rulex``).
    max_mofn_terms : int, default 256
        Largest number of AND-combinations an m-of-n test may expand to.
    description : str, optional
        Header description (default: a one-line summary).
    """
    fields = _fields(rules)
    target = _target_field(rules, fields)
    root = ET.Element("PMML", {"xmlns": PMML_NAMESPACE, "version": "4.4"})
    _header(root, rules, target, description)
    _data_dictionary(root, fields, target)
    unit = "rulex_unit"
    while unit in fields or unit == target.name:
        unit += "_"
    if rules.is_linear:     # the constant 1.0 that carries each intercept (see _regression_model)
        td = ET.SubElement(root, "TransformationDictionary")
        df = ET.SubElement(td, "DerivedField", {"name": unit, "optype": "continuous", "dataType": "double"})
        ET.SubElement(df, "Constant", {"dataType": "double"}).text = "1.0"
    model = _model_element(root, rules, model_name, target)
    preds = [_rule_predicate(r, fields, max_mofn_terms) for r in rules.rules]
    if rules.is_linear:
        _segments(model, rules, preds, fields, target, unit)
    elif rules.task == "regression":
        _tree_nodes(model, rules, preds)
    else:
        _simple_rules(model, rules, preds, target)
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _header(root, rules, target, description: str | None) -> None:
    """``Header``: the description, the provenance as an ``Extension``, the ``Application``."""
    p = rules.provenance
    method = p.get("method")
    summary = description or (f"{len(rules)} {rules.semantics} rules predicting {target.name!r}"
                              + (f", extracted by {method}" if method else "") + " (rulex)")
    header = ET.SubElement(root, "Header", {"description": _check_text(summary, "the description")})
    if p:
        ET.SubElement(header, "Extension", {"extender": "rulex", "name": "provenance",
                                            "value": json.dumps(p, sort_keys=True, ensure_ascii=False,
                                                                default=str)})
    ET.SubElement(header, "Application", {"name": "rulex", "version": __version__})


def _data_dictionary(root, fields, target) -> None:
    dd = ET.SubElement(root, "DataDictionary", {"numberOfFields": str(len(fields) + 1)})
    for f in list(fields.values()) + [target]:
        el = ET.SubElement(dd, "DataField", {"name": _check_text(f.name, "the field name"),
                                             "optype": f.optype, "dataType": f.dtype})
        for v in f.values or ():
            ET.SubElement(el, "Value", {"value": _fmt(v, f.dtype)})


def _model_element(root, rules, model_name: str | None, target):
    """The model element (``MiningModel`` for linear conclusions, ``TreeModel`` for other regression
    rules, ``RuleSetModel`` for classification) with its ``MiningSchema``."""
    method = rules.provenance.get("method")
    attrs = {"modelName": model_name or method or "rulex",
             "functionName": "regression" if rules.task == "regression" else "classification",
             "algorithmName": f"rulex {method}" if method else "rulex"}
    if rules.is_linear:
        model = ET.SubElement(root, "MiningModel", attrs)
    elif rules.task == "regression":
        if rules.semantics != "ordered":  # pragma: no cover - RuleSet forbids it
            raise FormatError("PMML export of regression rules needs ordered semantics")
        attrs.update({"missingValueStrategy": "none", "noTrueChildStrategy": "returnNullPrediction",
                      "splitCharacteristic": "multiSplit"})
        model = ET.SubElement(root, "TreeModel", attrs)
    else:
        model = ET.SubElement(root, "RuleSetModel", attrs)
    ms = ET.SubElement(model, "MiningSchema")
    for name in rules.features_used():
        ET.SubElement(ms, "MiningField", {"name": name})
    ET.SubElement(ms, "MiningField", {"name": target.name, "usageType": "target"})
    return model


def _segments(model, rules, preds, fields, target, unit: str) -> None:
    """Linear conclusions: a ``selectFirst`` segmentation of one ``RegressionModel`` per rule, then the default."""
    seg = ET.SubElement(model, "Segmentation", {"multipleModelMethod": "selectFirst"})
    for i, (r, pred) in enumerate(zip(rules.rules, preds), 1):
        el = ET.SubElement(seg, "Segment", {"id": f"R{i}"})
        _element(pred, el)
        _regression_model(el, r.conclusion, fields, target, unit)
    el = ET.SubElement(seg, "Segment", {"id": "default"})
    ET.SubElement(el, "True")
    _regression_model(el, rules.default, fields, target, unit)


def _tree_nodes(model, rules, preds) -> None:
    """Regression: a root ``True`` node whose children are the rules in order, then the default leaf."""
    top = ET.SubElement(model, "Node", {"id": "root"})
    ET.SubElement(top, "True")
    for i, (r, pred) in enumerate(zip(rules.rules, preds), 1):
        node_attrs = {"id": f"R{i}", "score": _fmt(r.conclusion, "double")}
        if r.support is not None:
            node_attrs["recordCount"] = str(r.support)
        node = ET.SubElement(top, "Node", node_attrs)
        _element(pred, node)
    leaf = ET.SubElement(top, "Node", {"id": "default", "score": _fmt(rules.default, "double")})
    ET.SubElement(leaf, "True")


def _simple_rules(model, rules, preds, target) -> None:
    """Classification: a ``RuleSet`` of ``SimpleRule`` elements, ``firstHit`` or tie-free ``weightedSum``."""
    # JPMML requires defaultConfidence (optional in the specification): the default's confidence is
    # not estimated by rulex, so 0 says "no evidence" rather than inventing one
    rs = ET.SubElement(model, "RuleSet", {"defaultScore": _fmt(rules.default, target.dtype),
                                          "defaultConfidence": "0.0"})
    criterion = "firstHit" if rules.semantics == "ordered" else "weightedSum"
    ET.SubElement(rs, "RuleSelectionMethod", {"criterion": criterion})
    weights = [r.weight for r in rules.rules]
    if criterion == "weightedSum":
        weights = tie_free_weights(weights, [r.conclusion for r in rules.rules])
    for i, (r, pred, w) in enumerate(zip(rules.rules, preds, weights), 1):
        rule_attrs = {"id": f"R{i}", "score": _fmt(r.conclusion, target.dtype)}
        if r.support is not None:
            rule_attrs["recordCount"] = str(r.support)
        if r.precision is not None and math.isfinite(r.precision):
            rule_attrs["confidence"] = repr(float(r.precision))
        rule_attrs["weight"] = repr(float(w))
        el = ET.SubElement(rs, "SimpleRule", rule_attrs)
        _element(pred, el)
