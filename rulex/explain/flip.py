"""What single change flips the network's decision on a row: the flip search of :func:`rulex.explain_row`."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..rules.render import format_value
from ..schema.features import to_native
from ._common import CONTINUOUS, value_grid

__all__ = ["Flip", "flip_search"]


@dataclass
class Flip:
    """A single-feature change that flips the network's decision on a row.

    ``distance`` is normalised: ``|new - old| / (upper - lower)`` (training range) for
    numeric and integer features, ``|rank difference| / (levels - 1)`` for ordinal
    features, 1 for binary and categorical ones. ``verified`` is True when the
    network, called on the modified row in original units, predicts ``new_prediction``
    (which differs from the original prediction); only verified changes are reported.
    """

    feature: str
    old: Any
    new: Any
    distance: float
    new_prediction: Any
    new_probability: float
    verified: bool

    def __str__(self):
        return (f"{self.feature}: {format_value(self.old)} -> {format_value(self.new)} "
                f"(distance {self.distance:.3f}) flips the prediction to {format_value(self.new_prediction)} "
                f"(p = {self.new_probability:.3f})")


def flip_search(net, encoder, x: np.ndarray, frame_row: pd.DataFrame, pred: int, n_grid: int) -> list:
    """Best verified single-feature flip of every feature (see :class:`Flip`)."""
    schema = net.schema
    classes = net.classes
    out = []
    for f in schema.features:
        old = to_native(frame_row[f.name].iloc[0])
        if f.kind in CONTINUOUS:
            best = _numeric_flip(net, encoder, x, frame_row, f, old, pred, n_grid)
        else:
            best = _discrete_flip(net, encoder, x, frame_row, f, old, pred)
        if best is None:
            continue
        mod = frame_row.copy()
        mod[f.name] = [best[1]]
        p = net.predict_proba(mod)[0]
        k = int(p.argmax())
        out.append(Flip(f.name, old, best[1], float(best[0]), classes[k], float(p[k]), True))
    out.sort(key=lambda fl: (fl.distance, schema.feature_names.index(fl.feature)))
    return out


def _numeric_flip(net, encoder, x: np.ndarray, frame_row: pd.DataFrame, f, old, pred: int, n_grid: int):
    """``(distance, new value)`` of the nearest verified flip of a numeric or integer feature, or None:
    the nearest flipping grid value, bisected towards the row to the decision boundary."""
    cols = encoder.groups_[f.name]
    lo, hi = encoder.lower_[f.name], encoder.upper_[f.name]
    span = hi - lo
    if span <= 0:
        return None
    off, sc = encoder.scale(f.name)
    grid = value_grid(encoder, f, n_grid)
    grid = grid[grid != float(old)]
    if len(grid) == 0:
        return None
    X = np.repeat(x[None, :], len(grid), axis=0)
    X[:, cols[0]] = (grid - off) / sc
    flipped = net.predict_index(X) != pred
    if not flipped.any():
        return None
    d = np.abs(grid - float(old))
    d_fl = np.where(flipped, d, np.inf)
    j = int(d_fl.argmin())
    target = grid[j]
    # refine towards the row: the nearest point on the same side that does not flip
    same_side = (np.sign(grid - float(old)) == np.sign(target - float(old))) & ~flipped & (d < d[j])
    start = float(grid[same_side][np.argmax(d[same_side])]) if same_side.any() else float(old)
    a, b = start, float(target)        # a: no flip, b: flips
    for _ in range(50):                # bisect to the boundary (whole numbers for integers)
        if f.kind == "integer":
            if abs(b - a) <= 1:
                break
            mid = float(math.floor((a + b) / 2)) if b > a else float(math.ceil((a + b) / 2))
        else:
            mid = a + (b - a) / 2
            if mid in (a, b):
                break
        xm = x.copy()
        xm[cols[0]] = (mid - off) / sc
        if net.predict_index(xm[None, :])[0] != pred:
            b = mid
        else:
            a = mid
    for v in (b, float(target)):
        new = int(v) if f.kind == "integer" else float(v)
        if _holds_flip(net, frame_row, f.name, new, pred):
            return (abs(v - float(old)) / span, new)
    return None


def _discrete_flip(net, encoder, x: np.ndarray, frame_row: pd.DataFrame, f, old, pred: int):
    """``(distance, new category)`` of the nearest verified flip of a discrete feature, or None."""
    cols = encoder.groups_[f.name]
    cats = list(f.categories)
    codes = encoder.category_codes(f)
    others = [i for i, c in enumerate(cats) if c != old]
    if not others:
        return None
    X = np.repeat(x[None, :], len(others), axis=0)
    X[:, cols] = codes[others]
    proba = net.predict_proba_encoded(X)
    flipped = proba.argmax(axis=1) != pred
    if not flipped.any():
        return None
    if f.kind == "ordinal":
        r0 = cats.index(old)
        dist = np.array([abs(i - r0) / max(len(cats) - 1, 1) for i in others])
    else:
        dist = np.ones(len(others))
    # smallest distance, then the most confident flip, then category order
    order = sorted((i for i in range(len(others)) if flipped[i]),
                   key=lambda i: (dist[i], -proba[i].max(), i))
    for i in order:
        new = cats[others[i]]
        if _holds_flip(net, frame_row, f.name, new, pred):
            return (float(dist[i]), new)
    return None


def _holds_flip(net, frame_row: pd.DataFrame, name: str, value, pred: int) -> bool:
    mod = frame_row.copy()
    if isinstance(value, float) and pd.api.types.is_integer_dtype(mod[name]):
        mod[name] = mod[name].astype(np.float64)
    mod[name] = [value]
    return bool(net.predict_index(mod)[0] != pred)
