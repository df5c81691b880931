"""Original-unit value tables and literals of the rule-search extractors (cover, brcg, checklist).

A :class:`ValueTable` turns rows (the user's frame, or encoded network inputs such as the
shared sampler's points) into one float column per feature in the user's units: numeric and
integer features keep their values, discrete features (binary, categorical, ordinal) become
the index of their category. A :class:`Lit` is one test on such a column:

* ``("le", t)`` / ``("gt", t)`` on a numeric or integer feature: ``x <= t`` / ``x > t`` with
  ``t`` exactly the threshold the rule will print (a midpoint between neighbouring values, or an
  integer for integer features);
* ``("in", codes)`` on a discrete feature: the category is one of ``codes``; it becomes
  ``==`` (one category), ``!=`` (all but one) or ``in`` in the final rule.

So a literal evaluated on the table holds exactly where its :class:`~rulex.rules.Condition`
holds on the frame: the rules are grown and scored on what they will say.
"""
from __future__ import annotations

import math
from typing import Any
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..rules import Condition
from ..schema.features import codes_among, to_native

__all__ = ["Lit", "ValueTable", "candidate_cuts"]

_CONTINUOUS = ("numeric", "integer")


@dataclass(frozen=True)
class Lit:
    """One test on column ``j`` of a value table: ``op`` is ``le``, ``gt`` or ``in``."""

    j: int
    op: str
    value: Any        # float threshold, or a tuple of category codes

    def evaluate(self, V: np.ndarray) -> np.ndarray:
        x = V[:, self.j]
        if self.op == "le":
            return x <= self.value
        if self.op == "gt":
            return x > self.value
        return np.isin(x, np.asarray(self.value, dtype=np.float64))


class ValueTable:
    """Per-feature values in original units (discrete features as category codes).

    Parameters
    ----------
    encoder : Encoder
        The network's fitted encoder (its schema and scaling).
    """

    def __init__(self, encoder):
        encoder._check_fitted()
        self.encoder = encoder
        self.features = list(encoder.schema.features)
        self.names = [f.name for f in self.features]
        self.continuous = np.array([f.kind in _CONTINUOUS for f in self.features])

    def from_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Table of the user's frame (exact values; unknown categories and missing values are NaN)."""
        V = np.empty((len(frame), len(self.features)))
        for j, f in enumerate(self.features):
            col = frame[f.name]
            if f.kind in _CONTINUOUS:
                V[:, j] = pd.to_numeric(col).to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                # each distinct value is looked up once (factorize groups values as the lookup does)
                rows, uniques = pd.factorize(col)
                known = codes_among(pd.Series(list(uniques), dtype=object).map(to_native), f.categories)
                codes = np.where(rows >= 0, known[np.maximum(rows, 0)] if len(known) else -1, -1).astype(np.float64)
                codes[codes < 0] = np.nan
                V[:, j] = codes
        return V

    def from_encoded(self, X: np.ndarray) -> np.ndarray:
        """Table of encoded network inputs (e.g. sampler points), as the encoder's inverse gives them."""
        enc = self.encoder
        X = np.asarray(X, dtype=np.float64)
        V = np.empty((len(X), len(self.features)))
        for j, f in enumerate(self.features):
            cols = enc.groups_[f.name]
            if f.kind in _CONTINUOUS:
                off, sc = enc.scale(f.name)
                x = X[:, cols[0]] * sc + off
                V[:, j] = np.round(x) if f.kind == "integer" else x
            elif f.kind == "categorical":
                V[:, j] = X[:, cols].argmax(axis=1)
            else:
                levels = enc.category_codes(f)[:, 0]
                V[:, j] = np.abs(X[:, cols[0]][:, None] - levels[None, :]).argmin(axis=1)
        return V

    def n_codes(self, j: int) -> int:
        return len(self.features[j].categories)

    def condition(self, lit: Lit) -> Condition:
        """The rule condition, in original units, that ``lit`` tests."""
        f = self.features[lit.j]
        if lit.op == "le":
            return Condition(f.name, "<=", float(lit.value))
        if lit.op == "gt":
            return Condition(f.name, ">", float(lit.value))
        codes = sorted(int(c) for c in lit.value)
        cats = [f.categories[c] for c in codes]
        if len(cats) == 1:
            return Condition(f.name, "==", cats[0])
        rest = [c for i, c in enumerate(f.categories) if i not in codes]
        if len(rest) == 1:
            return Condition(f.name, "!=", rest[0])
        return Condition(f.name, "in", cats)

    def threshold(self, j: int, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """Cut between neighbouring values ``lower < upper``: the midpoint (numeric) or ``lower``
        itself (integer), so that ``x <= cut`` keeps ``lower`` and drops ``upper``."""
        if self.features[j].kind == "integer":
            return np.floor(lower)
        mid = lower + (upper - lower) / 2.0
        # the midpoint must separate the two values in floating point
        return np.where((mid >= lower) & (mid < upper), mid, lower)


def candidate_cuts(x: np.ndarray, max_cuts: int | None = None) -> np.ndarray:
    """Boundaries between the distinct values of ``x`` as (lower, upper) pairs, optionally
    thinned to ``max_cuts`` quantile positions."""
    u = np.unique(x[~np.isnan(x)])
    if len(u) < 2:
        return np.zeros((0, 2))
    pairs = np.column_stack([u[:-1], u[1:]])
    if max_cuts is not None and len(pairs) > max_cuts:
        idx = np.unique(np.round(np.linspace(0, len(pairs) - 1, max_cuts)).astype(int))
        pairs = pairs[idx]
    return pairs


def log2_binom(n: float, k: float) -> float:
    """log2 of the binomial coefficient C(n, k) for real n >= k >= 0."""
    if k <= 0 or k >= n:
        return 0.0
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2)
