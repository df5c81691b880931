"""Encoder between the user's frame and network inputs, and exact decoding of rules.

Encoding (fitted on training rows):

* numeric and integer: min-max to [0, 1], ``(x - min) / (max - min)``; values outside
  the training range map outside [0, 1] (the network extrapolates);
* binary: 0 for the first value, 1 for the second;
* ordinal: level rank / (levels - 1);
* categorical: one input per category, one-hot, as a group.

Decoding turns a condition on one network input into the exact condition in the
user's units: for every value a feature can take, the decoded condition holds on
the original value exactly when the encoded condition holds on its encoding.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

from ..exceptions import DataError, NotFittedError, RuleError, SchemaError
from .features import Feature, Schema, to_native

__all__ = ["Encoder"]


class Encoder:
    """Map frames to network inputs in [0, 1] and decode input conditions back.

    Parameters
    ----------
    schema : Schema
    """

    def __init__(self, schema: Schema):
        self.schema = schema

    # -- fitting --------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame) -> "Encoder":
        """Learn min and max of numeric features from ``frame`` (the training rows)."""
        self.schema.check_frame(frame, what="training frame")
        lower, upper = {}, {}
        for f in self.schema.features:
            if f.kind in ("numeric", "integer"):
                x = pd.to_numeric(frame[f.name]).to_numpy(dtype=np.float64)
                lower[f.name], upper[f.name] = float(x.min()), float(x.max())
        return self._set_stats(lower, upper)

    def _set_stats(self, lower: Mapping, upper: Mapping) -> "Encoder":
        self.__dict__.pop("_category_cache", None)
        self.__dict__.pop("_owner_cache", None)
        self.lower_ = {k: float(v) for k, v in lower.items()}
        self.upper_ = {k: float(v) for k, v in upper.items()}
        names, groups, owner = [], {}, []
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
        if len(set(names)) != len(names):
            raise SchemaError("two network inputs would share a name; rename a category or a column "
                              f"(names: {[n for n in names if names.count(n) > 1][:3]})")
        self.input_names_ = names
        self.groups_ = groups
        self.input_owner_ = owner
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
        self.schema.check_frame(frame)
        out = np.zeros((len(frame), len(self.input_names_)), dtype=np.float64)
        for f in self.schema.features:
            cols = self.groups_[f.name]
            out[:, cols] = self._encode_feature(f, frame[f.name])
        return out

    def transform_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """As :meth:`transform`, as a frame whose columns are the input names."""
        return pd.DataFrame(self.transform(frame), columns=self.input_names_, index=frame.index)

    def _encode_feature(self, f: Feature, col) -> np.ndarray:
        if f.kind in ("numeric", "integer"):
            x = pd.to_numeric(pd.Series(col)).to_numpy(dtype=np.float64)
            off, sc = self.scale(f.name)
            return ((x - off) / sc)[:, None]
        values = pd.Series(col).map(lambda v: to_native(v))
        cats = list(f.categories)
        if f.kind == "categorical":
            codes = pd.Categorical(values, categories=cats).codes
            onehot = np.zeros((len(values), len(cats)))
            onehot[np.arange(len(values)), codes] = 1.0
            return onehot
        rank = pd.Categorical(values, categories=cats).codes.astype(np.float64)
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
        data = {}
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

    # -- decoding -------------------------------------------------------------------------
    def decode_condition(self, cond):
        """Exact condition in original units for a condition on one network input.

        Returns a :class:`~rulex.rules.Condition`, or ``True``/``False`` when the test
        holds for every / no value of the feature (e.g. ``sex > 1.5`` on a binary input).
        """
        from ..rules.conditions import Condition, MofN
        self._check_fitted()
        if isinstance(cond, MofN):
            raise RuleError("decode m-of-n tests literal by literal (decode_rules does this)")
        if cond.op not in ("<=", ">"):
            raise RuleError(f"encoded conditions use <= or >, got {cond.op!r} on {cond.feature!r}")
        try:
            j = self.input_names_.index(cond.feature)
        except ValueError:
            raise RuleError(f"{cond.feature!r} is not a network input "
                            f"(inputs: {self.input_names_[:6]}...)") from None
        f = self.schema[self.input_owner_[j]]
        t = cond.value
        if f.kind in ("numeric", "integer"):
            T = self._boundary(f.name, t)
            if f.kind == "integer":
                if not math.isfinite(T):
                    return (T > 0) == (cond.op == "<=")
                T = float(math.floor(T))
            elif not math.isfinite(T):
                return (T > 0) == (cond.op == "<=")
            return Condition(f.name, cond.op, T)
        # discrete: evaluate the encoded test on every category's encoding
        pos = self.groups_[f.name].index(j)
        codes = self.category_codes(f)[:, pos]
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

    def _boundary(self, name: str, t: float) -> float:
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

    def decode_rules(self, ruleset):
        """Turn an encoded-space RuleSet into the exact RuleSet in original units (folded)."""
        from ..rules.conditions import MofN
        from ..rules.intervals import fold
        from ..rules.ruleset import RuleSet
        if ruleset.space != "encoded":
            raise RuleError("decode_rules takes a RuleSet with space='encoded'")
        rules = []
        for r in ruleset.rules:
            conds, dead = [], False
            for c in r.conditions:
                if isinstance(c, MofN):
                    lits, m = [], c.m
                    for lit in c.conditions:
                        d = self.decode_condition(lit)
                        if d is True:
                            m -= 1
                        elif d is not False:
                            lits.append(d)
                    if m <= 0:
                        continue
                    if m > len(lits):
                        dead = True
                        break
                    if m == len(lits):
                        conds.extend(lits)
                    elif m == 1 and len(lits) == 1:
                        conds.append(lits[0])
                    else:
                        conds.append(MofN(m, tuple(lits)))
                    continue
                d = self.decode_condition(c)
                if d is False:
                    dead = True
                    break
                if d is not True:
                    conds.append(d)
            if dead:
                continue
            folded = fold(conds, self.schema)
            if folded is None:
                continue
            rules.append(r.replace(conditions=folded, conclusion=self.decode_conclusion(r.conclusion)))
        return ruleset.replace(rules=tuple(rules), space="original", schema=self.schema,
                               default=self.decode_conclusion(ruleset.default))

    def decode_conclusion(self, value):
        """A linear conclusion over network inputs rewritten in original units; other values as they are.

        A numeric input ``(x - offset) / scale`` becomes a term on ``x`` (its offset moves into the
        intercept); the inputs of a discrete feature become one indicator term per category, worth
        what that category's encoding contributes (zero contributions are dropped).
        """
        from ..rules.linear import LinearModel, LinearTerm
        if not isinstance(value, LinearModel):
            return value
        self._check_fitted()
        where = self._input_owners()
        intercept, numeric, indicator = value.intercept, {}, {}
        for t in value.terms:
            if t.is_indicator or t.feature not in where:
                raise RuleError(f"linear term on {t.feature!r}: not a network input of this encoder")
            f, pos = where[t.feature]
            if f.kind in ("numeric", "integer"):
                off, sc = self.scale(f.name)
                numeric[f.name] = numeric.get(f.name, 0.0) + t.coef / sc
                intercept -= t.coef * off / sc
            else:
                codes = self.category_codes(f)
                for c, code in zip(f.categories, codes[:, pos]):
                    if code != 0:
                        indicator[(f.name, c)] = indicator.get((f.name, c), 0.0) + t.coef * float(code)
        order = {f.name: i for i, f in enumerate(self.schema.features)}
        terms = [LinearTerm(n, c) for n, c in sorted(numeric.items(), key=lambda kv: order[kv[0]]) if c != 0]
        terms += [LinearTerm(n, c, cat) for (n, cat), c in indicator.items() if c != 0]
        return LinearModel(intercept, terms)

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict:
        self._check_fitted()
        return {"schema": self.schema.to_dict(), "lower": self.lower_, "upper": self.upper_}

    @classmethod
    def from_dict(cls, d) -> "Encoder":
        return cls(Schema.from_dict(d["schema"]))._set_stats(d["lower"], d["upper"])

    def __eq__(self, other):
        return (isinstance(other, Encoder) and self.schema == other.schema
                and getattr(self, "lower_", None) == getattr(other, "lower_", None)
                and getattr(self, "upper_", None) == getattr(other, "upper_", None))

    __hash__ = None
