"""Encoder between the user's frame and network inputs.

Encoding (fitted on training rows):

* numeric and integer: min-max to [0, 1], ``(x - min) / (max - min)``; values outside
  the training range map outside [0, 1] (the network extrapolates);
* binary: 0 for the first value, 1 for the second;
* ordinal: level rank / (levels - 1);
* categorical: one input per category, one-hot, as a group.

The exact inverse of the scaling (:meth:`Encoder.boundary`) is what
:mod:`rulex.decoding` builds on to turn encoded-space rules into rules in the user's units;
this module knows nothing of rules.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

from ..exceptions import DataError, NotFittedError, SchemaError
from .features import Feature, Schema, as_numbers, codes_among, to_native

__all__ = ["Encoder"]


def category_positions(f: Feature, col) -> np.ndarray:
    """Position of each value of ``col`` among ``f.categories``, by Python equality.

    ``True`` finds the category ``1`` and ``0`` finds ``False`` (as ``check_column`` accepts them),
    whatever the dtypes; a value that is no category raises a :class:`DataError` naming the column,
    so an unknown value is never encoded as some other category.
    """
    values = pd.Series(col).reset_index(drop=True)
    codes = codes_among(values, f.categories)
    unmatched = np.flatnonzero(codes < 0)
    if len(unmatched):       # pandas matches types strictly (0 is not False): look those up by equality
        index = {c: i for i, c in enumerate(f.categories)}
        for i in unmatched:
            v = to_native(values.iloc[i])
            try:
                codes[i] = index[v]
            except (KeyError, TypeError):
                shown = ", ".join(repr(c) for c in f.categories[:10]) + (", ..." if len(f.categories) > 10 else "")
                what = "a missing value" if pd.isna(v) else f"{v!r}, a value not seen in training"
                raise DataError(f"column {f.name!r} holds {what} (row {i}; known: {shown})") from None
    return codes


class Encoder:
    """Map frames to network inputs in [0, 1] and back.

    Parameters
    ----------
    schema : Schema
    missing : {"error", "impute"}, default "error"
        What a missing value in a feature means. ``"error"``: the rows must be complete.
        ``"impute"``: every feature with missing values in the training rows gets a fill value
        (the median of a numeric feature, rounded for an integer one; the most frequent category
        of a discrete one) and one more network input, ``"<feature> is missing"`` (1 where the
        value was missing), so the network sees missingness; rows given later are treated the
        same way. A feature with no missing value in training refuses one later (the network
        never learnt what it means).

    Attributes
    ----------
    fill_ : dict
        Feature -> fill value, for the features that had missing values in training.
    missing_inputs_ : dict
        Feature -> index of its ``is missing`` input (after all the value inputs).
    """

    def __init__(self, schema: Schema, missing: str = "error"):
        self.schema = schema
        self.missing = missing

    # -- fitting --------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame) -> "Encoder":
        """Learn min and max of numeric features (and fill values) from ``frame`` (the training rows)."""
        if self.missing not in ("error", "impute"):
            raise DataError(f"missing must be 'error' or 'impute', got {self.missing!r}")
        impute = self.missing == "impute"
        self.schema.check_frame(frame, what="training frame", allow_missing=impute)
        lower, upper, fill = {}, {}, {}
        for f in self.schema.features:
            col = frame[f.name]
            if f.kind in ("numeric", "integer"):
                x = as_numbers(col, f.name)
                present = x[~np.isnan(x)]
                if len(present) == 0:
                    raise DataError(f"column {f.name!r} has no value in the training rows, only missing ones")
                lower[f.name], upper[f.name] = float(present.min()), float(present.max())
                with np.errstate(over="ignore"):
                    span = upper[f.name] - lower[f.name]
                if not np.isfinite(span):
                    raise DataError(f"column {f.name!r} spans {lower[f.name]:g} to {upper[f.name]:g}, a range wider than "
                                    "a float64 holds: its scaled values would overflow and the network could not "
                                    "learn; rescale the column first (e.g. divide it by 1e300) or drop it")
                if impute and len(present) < len(x):
                    med = float(np.median(present))
                    fill[f.name] = float(np.round(med)) if f.kind == "integer" else med
            elif impute and col.isna().any():
                codes = category_positions(f, col.dropna())
                if len(codes) == 0:
                    raise DataError(f"column {f.name!r} has no value in the training rows, only missing ones")
                fill[f.name] = f.categories[int(np.bincount(codes, minlength=len(f.categories)).argmax())]
        return self._set_stats(lower, upper, fill)

    def _set_stats(self, lower: Mapping, upper: Mapping, fill: Mapping | None = None) -> "Encoder":
        self.__dict__.pop("_category_cache", None)
        self.__dict__.pop("_owner_cache", None)
        self.lower_ = {k: float(v) for k, v in lower.items()}
        self.upper_ = {k: float(v) for k, v in upper.items()}
        self.fill_ = {k: to_native(v) for k, v in (fill or {}).items()}
        names: list = []
        groups: dict = {}
        owner: list = []
        for f in self.schema.features:
            start = len(names)
            if f.kind == "categorical":
                names.extend(f"{f.name}={c}" for c in f.categories)
            else:
                names.append(f.name)
            groups[f.name] = list(range(start, len(names)))
            owner.extend([f.name] * (len(names) - start))
            if f.kind in ("numeric", "integer") and f.name not in self.lower_:
                raise SchemaError(f"encoder statistics miss feature {f.name!r}")
        missing_inputs = {}
        for f in self.schema.features:           # the missingness inputs come after every value input
            if f.name in self.fill_:
                missing_inputs[f.name] = len(names)
                names.append(f"{f.name} is missing")
                owner.append(f.name)
        if len(set(names)) != len(names):
            raise SchemaError("two network inputs would share a name; rename a category or a column "
                              f"(names: {[n for n in names if names.count(n) > 1][:3]})")
        self.input_names_ = names
        self.groups_ = groups
        self.input_owner_ = owner
        self.missing_inputs_ = missing_inputs
        return self

    def _check_fitted(self):
        if not hasattr(self, "input_names_"):
            raise NotFittedError("this Encoder is not fitted yet; call fit(frame) first")

    @property
    def n_inputs(self) -> int:
        self._check_fitted()
        return len(self.input_names_)

    def scale(self, name: str) -> tuple[float, float]:
        """(offset, scale) of a numeric feature: encoded = (x - offset) / scale."""
        lo, hi = self.lower_[name], self.upper_[name]
        return lo, (hi - lo) if hi > lo else 1.0

    # -- transform ------------------------------------------------------------------------
    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Network inputs (float64, rows x inputs) for a frame of the user's columns."""
        self._check_fitted()
        self.schema.check_frame(frame, allow_missing=bool(self.fill_))
        out = np.zeros((len(frame), len(self.input_names_)), dtype=np.float64)
        for f in self.schema.features:
            cols = self.groups_[f.name]
            col = frame[f.name]
            if f.name in self.fill_:
                isna = col.isna().to_numpy()
                if isna.any():
                    col = col.astype(object).where(~isna, self.fill_[f.name])
                out[:, self.missing_inputs_[f.name]] = isna
            elif self.fill_ and col.isna().any():
                raise DataError(f"column {f.name!r} has a missing value (row {col.index[col.isna().to_numpy()][0]!r}) "
                                "but had none in the training rows, so the network never learnt what one means; "
                                "fill it, or retrain with missing values in that column")
            out[:, cols] = self._encode_feature(f, col)
        return out

    def transform_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """As :meth:`transform`, as a frame whose columns are the input names."""
        return pd.DataFrame(self.transform(frame), columns=self.input_names_, index=frame.index)

    def _encode_feature(self, f: Feature, col) -> np.ndarray:
        if f.kind in ("numeric", "integer"):
            x = as_numbers(col, f.name)
            off, sc = self.scale(f.name)
            return ((x - off) / sc)[:, None]
        cats = list(f.categories)
        codes = category_positions(f, col)
        if f.kind == "categorical":
            onehot = np.zeros((len(codes), len(cats)))
            onehot[np.arange(len(codes)), codes] = 1.0
            return onehot
        rank = codes.astype(np.float64)
        if f.kind == "binary":
            return rank[:, None]
        return (rank / max(len(cats) - 1, 1))[:, None]

    def encode_value(self, f: Feature, value) -> np.ndarray:
        """Encoded inputs of one value of feature ``f``."""
        return self._encode_feature(f, [value])[0]

    def category_codes(self, f: Feature) -> np.ndarray:
        """Encoded inputs of every category of discrete feature ``f`` (rows follow ``f.categories``), cached."""
        cache = self.__dict__.setdefault("_category_cache", {})
        if f.name not in cache:
            cache[f.name] = self._encode_feature(f, list(f.categories))
        return cache[f.name]

    def _input_owners(self) -> dict:
        """``{input name: (feature, position in its group)}``, cached."""
        owners = self.__dict__.get("_owner_cache")
        if owners is None:
            owners = {self.input_names_[j]: (f, pos) for f in self.schema.features
                      for pos, j in enumerate(self.groups_[f.name])}
            self.__dict__["_owner_cache"] = owners
        return owners

    def inverse_transform(self, X: np.ndarray) -> pd.DataFrame:
        """Frame in original units from network inputs (numeric values unrounded except
        integers; each one-hot group picks its largest input)."""
        self._check_fitted()
        X = np.asarray(X, dtype=np.float64)
        data: dict = {}
        for f in self.schema.features:
            cols = self.groups_[f.name]
            block = X[:, cols]
            if f.kind in ("numeric", "integer"):
                off, sc = self.scale(f.name)
                x = block[:, 0] * sc + off
                data[f.name] = np.round(x).astype(np.int64) if f.kind == "integer" else x
            elif f.kind == "categorical":
                data[f.name] = [f.categories[i] for i in block.argmax(axis=1)]
            else:
                k = len(f.categories) - 1 if f.kind == "ordinal" else 1
                idx = np.clip(np.round(block[:, 0] * max(k, 1)), 0, len(f.categories) - 1).astype(int)
                data[f.name] = [f.categories[i] for i in idx]
            if f.name in self.missing_inputs_:
                gone = X[:, self.missing_inputs_[f.name]] > 0.5
                if gone.any():
                    col = pd.Series(data[f.name])
                    if f.kind == "integer":
                        col = col.astype("Int64")
                    elif f.kind != "numeric":
                        col = col.astype(object)
                    col[gone] = None
                    data[f.name] = col
        return pd.DataFrame(data)

    # -- targets -------------------------------------------------------------------------
    def encode_target(self, y) -> np.ndarray:
        """Class indices (int64) in the schema's class order, or float64 for regression."""
        y = pd.Series(y)
        if self.schema.task == "regression":
            return pd.to_numeric(y).to_numpy(dtype=np.float64)
        lookup = {c: i for i, c in enumerate(self.schema.classes)}
        out = np.empty(len(y), dtype=np.int64)
        for i, v in enumerate(y.map(to_native)):
            try:
                out[i] = lookup[v]
            except KeyError:
                raise DataError(f"target holds {v!r}, which is not among the classes "
                                f"{list(self.schema.classes)}") from None
        return out

    # -- inverse of the scaling ------------------------------------------------------------
    def boundary(self, name: str, t: float) -> float:
        """Largest float x with encode(x) <= t (encoding is monotone in floating point too)."""
        off, sc = self.scale(name)
        if math.isinf(t):
            return t
        enc = lambda x: (x - off) / sc
        T = off + t * sc
        if not math.isfinite(T):
            return T
        for _ in range(200):
            if enc(T) <= t:
                nxt = math.nextafter(T, math.inf)
                if enc(nxt) <= t:
                    T = nxt
                    continue
                return T
            T = math.nextafter(T, -math.inf)
        # pathological: fall back to bisection over floats
        lo, hi = T, T
        step = abs(T) * 1e-12 + 1e-300
        while enc(lo) > t:
            lo -= step; step *= 2
        step = abs(T) * 1e-12 + 1e-300
        while enc(hi) <= t:
            hi += step; step *= 2
        while math.nextafter(lo, math.inf) < hi:
            mid = lo + (hi - lo) / 2
            if mid in (lo, hi):
                break
            if enc(mid) <= t:
                lo = mid
            else:
                hi = mid
        return lo

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict:
        self._check_fitted()
        d: dict = {"schema": self.schema.to_dict(), "lower": self.lower_, "upper": self.upper_}
        if self.missing != "error":
            d.update(missing=self.missing, fill=self.fill_)
        return d

    @classmethod
    def from_dict(cls, d) -> "Encoder":
        enc = cls(Schema.from_dict(d["schema"]), missing=d.get("missing", "error"))
        return enc._set_stats(d["lower"], d["upper"], d.get("fill"))

    def __eq__(self, other):
        return (isinstance(other, Encoder) and self.schema == other.schema
                and getattr(self, "lower_", None) == getattr(other, "lower_", None)
                and getattr(self, "upper_", None) == getattr(other, "upper_", None)
                and self.missing == other.missing and getattr(self, "fill_", None) == getattr(other, "fill_", None))

    __hash__ = None  # type: ignore[assignment]  # equal encoders are mutable: not hashable
