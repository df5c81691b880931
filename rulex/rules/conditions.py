"""Conditions and m-of-n tests: the literals every rule is made of.

A :class:`Condition` is ``(feature, op, value)`` with ``op`` one of ``<=``, ``>``,
``==``, ``!=``, ``in``, ``not in``, or ``is missing`` / ``is not missing`` (value None). Thresholds are stored exactly (no rounding);
sets are stored as sorted tuples so that equal conditions hash equally.

Missing values: a condition on a missing value is **false**, whatever its
operator (the same as PMML's "an unknown predicate does not fire" and SQL's
``NULL`` in a ``WHEN``). So ``x != "a"`` does not hold when ``x`` is missing; ``x is missing``
is the test that does.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError, RuleError
from ..schema.features import as_numbers, sort_values, to_native
from ._format import format_number
from .linear import format_value

__all__ = ["Condition", "MofN", "OPS", "NEGATE", "MISSING_OPS", "format_condition", "format_conditions"]

OPS = ("<=", ">", "==", "!=", "in", "not in", "is missing", "is not missing")
NEGATE = {"<=": ">", ">": "<=", "==": "!=", "!=": "==", "in": "not in", "not in": "in",
          "is missing": "is not missing", "is not missing": "is missing"}
MISSING_OPS = ("is missing", "is not missing")


@dataclass(frozen=True)
class Condition:
    """A test on one feature.

    Parameters
    ----------
    feature : str
        Column name (original space) or network input name (encoded space).
    op : {"<=", ">", "==", "!=", "in", "not in"}
    value : number, category or collection of categories
        A number for ``<=``/``>`` (stored exactly), one value for ``==``/``!=``, a set for ``in``.

    Raises
    ------
    RuleError
        For an unknown operator, an empty name, a non-numeric or NaN threshold, an empty set.

    >>> Condition("age", ">", 59.0).negate()
    Condition(feature='age', op='<=', value=59.0)
    """

    feature: str
    op: str
    value: Any = None

    def __post_init__(self):
        if self.op not in OPS:
            raise RuleError(f"condition on {self.feature!r}: unknown operator {self.op!r}; use one of {OPS}")
        if not isinstance(self.feature, str) or not self.feature:
            raise RuleError(f"a condition needs a feature name, got {self.feature!r}")
        v = self.value
        if self.op in ("<=", ">"):
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise RuleError(f"condition {self.feature} {self.op} {v!r}: the threshold must be a number") from None
            if math.isnan(v):
                raise RuleError(f"condition on {self.feature!r}: the threshold is NaN")
        elif self.op in MISSING_OPS:
            if v is not None:
                raise RuleError(f"condition {self.feature} {self.op}: takes no value, got {v!r}")
        elif self.op in ("in", "not in"):
            if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
                raise RuleError(f"condition {self.feature} {self.op} ...: needs a set of values, got {v!r}")
            v = sort_values(v)
            if not v:
                raise RuleError(f"condition {self.feature} {self.op} {{}}: the set of values is empty")
        else:
            v = to_native(v)
        object.__setattr__(self, "value", v)

    # -- logic --------------------------------------------------------------------------
    def negate(self) -> "Condition":
        """The complementary test on present values (``<=`` and ``>``); both are false on a missing value,
        except for ``is missing`` / ``is not missing``, which are exact complements."""
        return Condition(self.feature, NEGATE[self.op], self.value)

    @property
    def features(self) -> tuple:
        return (self.feature,)

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean mask over the rows of ``frame`` (missing values give False)."""
        return _evaluate(self, frame[self.feature])

    def size(self) -> int:
        return 1

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict:
        v = list(self.value) if self.op in ("in", "not in") else self.value
        return {"feature": self.feature, "op": self.op, "value": v}

    @classmethod
    def from_dict(cls, d) -> "Condition":
        return cls(d["feature"], d["op"], d["value"])

    def __str__(self) -> str:
        return format_condition(self)


def _evaluate(cond: Condition, col: pd.Series) -> np.ndarray:
    op, v = cond.op, cond.value
    if op in ("<=", ">") and col.dtype == np.float64:     # the common case, on hot paths: no conversion
        with np.errstate(invalid="ignore"):
            x = col.to_numpy()
            return (x <= v) if op == "<=" else (x > v)
    notna = col.notna().to_numpy()
    if op == "is missing":
        return ~notna
    if op == "is not missing":
        return notna
    if op in ("<=", ">"):
        if pd.api.types.is_bool_dtype(col):
            x = col.to_numpy(dtype=float)
        else:
            try:
                x = pd.to_numeric(col).to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError):
                try:    # numbers written as text, read as the network's encoder reads them ("1,200", "$5", "12%")
                    x = as_numbers(col, str(cond.feature))
                except DataError as exc:
                    raise RuleError(f"condition {cond.feature} {op} {v}: column {cond.feature!r} is not numeric: "
                                    f"{exc}") from None
        with np.errstate(invalid="ignore"):
            return (x <= v) if op == "<=" else (x > v)
    if op in ("==", "!="):
        hit = col.isin([v]).to_numpy()
    else:
        hit = col.isin(list(v)).to_numpy()
    if op in ("!=", "not in"):
        hit = ~hit
    return hit & notna


@dataclass(frozen=True)
class MofN:
    """Holds when at least ``m`` of its ``conditions`` hold (TREPAN's m-of-n test).

    A condition on a missing value counts as not holding. The conditions are a
    multiset: a condition listed twice counts twice (decoding can map two different
    network-input tests onto the same condition in original units).

    Parameters
    ----------
    m : int
        How many conditions must hold, between 1 and ``len(conditions)``.
    conditions : sequence of Condition

    Raises
    ------
    RuleError
        For an empty list, a non-Condition, or ``m`` out of range.
    """

    m: int
    conditions: tuple

    def __post_init__(self):
        conds = tuple(self.conditions)
        if not conds or not all(isinstance(c, Condition) for c in conds):
            raise RuleError("an m-of-n test needs a non-empty list of Condition objects")
        try:
            m = int(self.m)
        except (TypeError, ValueError):
            raise RuleError(f"m-of-n: m must be an integer, got {self.m!r}") from None
        if not 1 <= m <= len(conds):
            raise RuleError(f"m-of-n: m must be between 1 and {len(conds)}, got {m}")
        object.__setattr__(self, "m", m)
        object.__setattr__(self, "conditions", conds)

    @property
    def features(self) -> tuple:
        return tuple(dict.fromkeys(c.feature for c in self.conditions))

    @property
    def feature(self) -> None:  # not tied to one feature
        return None

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        count = np.zeros(len(frame), dtype=np.int64)
        for c in self.conditions:
            count += c.evaluate(frame)
        return count >= self.m

    def size(self) -> int:
        return len(self.conditions)

    def to_dict(self) -> dict:
        return {"m": self.m, "of": [c.to_dict() for c in self.conditions]}

    @classmethod
    def from_dict(cls, d) -> "MofN":
        return cls(d["m"], tuple(Condition.from_dict(c) for c in d["of"]))

    def __str__(self) -> str:
        return format_condition(self)


def literal_from_dict(d):
    return MofN.from_dict(d) if "m" in d else Condition.from_dict(d)


def format_condition(cond, schema=None, digits: int = 6) -> str:
    """Render a :class:`Condition` or :class:`MofN`; integer features read as ``age >= 60``."""
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
