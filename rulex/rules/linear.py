"""Linear conclusions: a regression rule whose prediction is a linear formula in the user's columns.

A :class:`LinearModel` is ``intercept + c1 * x1 + ... + d1 * [z = "a"] + ...``: numeric terms on
numeric (or integer) columns and indicator terms, each worth its coefficient when a discrete
column equals one category. It is the conclusion of a model-tree leaf (ANN-DT with
``leaf_model="linear"``): the rule's conditions say *where* the formula applies.

Evaluation order is part of the definition, so that every export computes the very same
floating-point number: start from the intercept, then add the terms one at a time in their
stored order (numeric terms first, then indicator terms — the order a PMML
``RegressionTable`` requires). Missing values: a missing numeric input makes the prediction
missing (NaN), like PMML and SQL's ``NULL``; an indicator on a missing value is 0, because
``z = "a"`` does not hold (the same rule as for conditions).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import RuleError
from ..schema.features import to_native
from ._format import format_number, format_scalar

__all__ = ["LinearModel", "LinearTerm", "format_linear", "format_value"]


@dataclass(frozen=True)
class LinearTerm:
    """``coef * feature`` (``category is None``) or ``coef * [feature == category]``.

    Parameters
    ----------
    feature : str
    coef : float
        Finite coefficient.
    category : object, optional
        For an indicator term: the category whose indicator is multiplied.

    Raises
    ------
    RuleError
        For an empty feature name or a non-finite coefficient.
    """

    feature: str
    coef: float
    category: object = None

    def __post_init__(self):
        if not isinstance(self.feature, str) or not self.feature:
            raise RuleError(f"a linear term needs a feature name, got {self.feature!r}")
        try:
            coef = float(self.coef)
        except (TypeError, ValueError):
            raise RuleError(f"linear term on {self.feature!r}: the coefficient must be a number, "
                            f"got {self.coef!r}") from None
        if not math.isfinite(coef):
            raise RuleError(f"linear term on {self.feature!r}: the coefficient must be finite, got {coef!r}")
        object.__setattr__(self, "coef", coef)
        object.__setattr__(self, "category", to_native(self.category))

    @property
    def is_indicator(self) -> bool:
        return self.category is not None

    def values(self, frame: pd.DataFrame) -> np.ndarray:
        """The term's input per row: the column as float64, or the 0/1 indicator."""
        col = frame[self.feature]
        if self.is_indicator:
            return (col.isin([self.category]).to_numpy() & col.notna().to_numpy()).astype(np.float64)
        if pd.api.types.is_bool_dtype(col):
            return col.to_numpy(dtype=np.float64)
        try:
            return pd.to_numeric(col).to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise RuleError(f"linear term {self.coef!r} * {self.feature}: column {self.feature!r} is not "
                            "numeric") from None

    def to_dict(self) -> dict:
        d = {"feature": self.feature, "coef": self.coef}
        if self.is_indicator:
            d["category"] = self.category
        return d

    @classmethod
    def from_dict(cls, d) -> "LinearTerm":
        return cls(d["feature"], d["coef"], d.get("category"))


class LinearModel:
    """``intercept + sum(term)``, evaluated left to right (see the module docstring).

    Parameters
    ----------
    intercept : float
    terms : sequence of LinearTerm or (feature, coef[, category]) tuples
        Stored numeric terms first, then indicators (each group in the given order).

    Raises
    ------
    RuleError
        For a non-finite intercept or a term listed twice.

    >>> m = LinearModel(1.5, [LinearTerm("x", 2.0), LinearTerm("z", -1.0, "a")])
    >>> m.predict(pd.DataFrame({"x": [1.0, 2.0], "z": ["a", "b"]})).tolist()
    [2.5, 5.5]
    """

    __slots__ = ("intercept", "terms")
    intercept: float
    terms: tuple

    def __init__(self, intercept: float, terms=()):
        try:
            b = float(intercept)
        except (TypeError, ValueError):
            raise RuleError(f"a linear model's intercept must be a number, got {intercept!r}") from None
        if not math.isfinite(b):
            raise RuleError(f"a linear model's intercept must be finite, got {b!r}")
        terms = tuple(t if isinstance(t, LinearTerm) else LinearTerm(*t) for t in terms)
        # canonical order: numeric terms, then indicators (each group keeps its order)
        terms = tuple(t for t in terms if not t.is_indicator) + tuple(t for t in terms if t.is_indicator)
        keys = [(t.feature, t.category) for t in terms]
        if len(set(keys)) != len(keys):
            dup = next(k for k in keys if keys.count(k) > 1)
            raise RuleError(f"a linear model lists the term {dup[0]!r}"
                            + (f" = {dup[1]!r}" if dup[1] is not None else "") + " twice")
        object.__setattr__(self, "intercept", b)
        object.__setattr__(self, "terms", terms)

    def __setattr__(self, key, value):
        raise AttributeError("LinearModel is immutable")

    def __reduce__(self):  # pickle and deepcopy rebuild through __init__ (the slots refuse __setattr__)
        return (LinearModel, (self.intercept, self.terms))

    @property
    def features(self) -> tuple:
        return tuple(dict.fromkeys(t.feature for t in self.terms))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """float64 per row: the intercept, then each term added in order."""
        out = np.full(len(frame), self.intercept, dtype=np.float64)
        for t in self.terms:
            out = out + t.coef * t.values(frame)
        return out

    def __eq__(self, other):
        return isinstance(other, LinearModel) and (self.intercept, self.terms) == (other.intercept, other.terms)

    def __hash__(self):
        return hash((self.intercept, self.terms))

    def __repr__(self):
        return f"LinearModel({self.intercept!r}, {list(self.terms)!r})"

    def __str__(self):
        return format_linear(self)

    def to_dict(self) -> dict:
        return {"intercept": self.intercept, "terms": [t.to_dict() for t in self.terms]}

    @classmethod
    def from_dict(cls, d) -> "LinearModel":
        try:
            return cls(d["intercept"], [LinearTerm.from_dict(t) for t in d.get("terms", [])])
        except (KeyError, TypeError) as e:
            raise RuleError(f"malformed linear conclusion {d!r}: {e}") from None


def format_value(v) -> str:
    """A conclusion or category as shown: a LinearModel as :func:`format_linear`, a string quoted, a float
    short (:func:`~rulex.rules._format.format_number`), anything else as its ``repr``."""
    if isinstance(v, LinearModel):
        return format_linear(v)
    return format_scalar(v)


def format_linear(model, digits: int = 6) -> str:
    """``152.1 + 3.2 * bmi - 4 * [sex == "male"]``: a linear conclusion, terms in evaluation order."""
    out = format_number(model.intercept, digits)
    for t in model.terms:
        x = f"[{t.feature} == {format_value(t.category)}]" if t.is_indicator else t.feature
        sign = "-" if t.coef < 0 else "+"
        out += f" {sign} {format_number(abs(t.coef), digits)} * {x}"
    return out
