"""Readable rendering of conditions and rules. Rounding happens here only, for display."""
from __future__ import annotations

import json
import math

__all__ = ["format_number", "format_value", "format_condition", "format_conditions", "format_linear"]


def format_number(x: float, digits: int = 6) -> str:
    """Short display of a threshold: ``52300``, ``0.1365``, ``1.25e-07``."""
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}"


def format_value(v) -> str:
    from .linear import LinearModel
    if isinstance(v, LinearModel):
        return format_linear(v)
    if isinstance(v, str):
        # quotes, backslashes and control characters (newlines, tabs) escaped: one value, one line
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, float):
        return format_number(v)
    return repr(v)


def format_condition(cond, schema=None, digits: int = 6) -> str:
    """Render a :class:`Condition` or :class:`MofN`; integer features read as ``age >= 60``."""
    from .conditions import MofN
    if isinstance(cond, MofN):
        if cond.m == 1:
            return "(" + " OR ".join(format_condition(c, schema, digits) for c in cond.conditions) + ")"
        inner = ", ".join(format_condition(c, schema, digits) for c in cond.conditions)
        return f"at least {cond.m} of {{{inner}}}"
    name, op, v = cond.feature, cond.op, cond.value
    if v is None and op in ("is missing", "is not missing"):
        return f"{name} {op}"
    kind = None
    if schema is not None and name in schema:
        kind = schema[name].kind
    if op in ("<=", ">"):
        if kind == "integer" and float(v).is_integer():
            return f"{name} <= {int(v)}" if op == "<=" else f"{name} >= {int(v) + 1}"
        return f"{name} {op} {format_number(v, digits)}"
    if op in ("in", "not in"):
        if kind == "ordinal" and op == "in":
            levels = list(schema[name].categories)
            idx = sorted(levels.index(x) for x in v if x in levels)
            if idx and idx == list(range(idx[0], idx[-1] + 1)) and len(idx) == len(v):
                lo, hi = levels[idx[0]], levels[idx[-1]]
                if idx[0] == 0:
                    return f"{name} <= {format_value(hi)}"
                if idx[-1] == len(levels) - 1:
                    return f"{name} >= {format_value(lo)}"
                return f"{format_value(lo)} <= {name} <= {format_value(hi)}"
        return f"{name} {op} {{" + ", ".join(format_value(x) for x in v) + "}"
    return f"{name} {op} {format_value(v)}"


def format_conditions(conds, schema=None, digits: int = 6) -> str:
    if not conds:
        return "TRUE"
    return " AND ".join(format_condition(c, schema, digits) for c in conds)


def format_linear(model, digits: int = 6) -> str:
    """``152.1 + 3.2 * bmi - 4 * [sex == "male"]``: a linear conclusion, terms in evaluation order."""
    out = format_number(model.intercept, digits)
    for t in model.terms:
        x = f"[{t.feature} == {format_value(t.category)}]" if t.is_indicator else t.feature
        sign = "-" if t.coef < 0 else "+"
        out += f" {sign} {format_number(abs(t.coef), digits)} * {x}"
    return out
