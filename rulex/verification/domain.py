"""The input domain of a network and regions of it, as disjoint boxes over the features.

The domain comes from the network's encoder: numeric and integer features lie between their
training minimum and maximum (or bounds the user gives, in original units), integers are
integral, a binary, categorical or ordinal feature takes one of its categories (so exactly one
input of a one-hot group is 1). A *box* gives every feature a set of values: a :class:`Span`
(an interval in original units, with open or closed ends; integer spans are closed integer
ranges) or a frozenset of categories. A rule's conditions, m-of-n tests included, become a
list of pairwise disjoint boxes; ``subtract`` is §4(c)'s box minus box, which keeps pieces
disjoint, so the region an ordered rule really decides is a list of disjoint boxes too.

Volumes are shares of the domain under the product measure: the width of a numeric span over the
feature's width, the count of integers or of categories over their total.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import DataError, RuleError
from ..rules.conditions import Condition, MofN

__all__ = ["Span", "Domain", "TooManyBoxes"]

#: Most disjoint boxes a rule's conditions may expand into (m-of-n tests multiply them).
MAX_BOXES = 20000


class TooManyBoxes(RuleError):
    """A conjunction expands into more than ``max_boxes`` disjoint boxes."""


@dataclass(frozen=True)
class Span:
    """An interval in original units; ``lo_open``/``hi_open`` say whether an end is excluded."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    def empty(self) -> bool:
        return self.lo > self.hi or (self.lo == self.hi and (self.lo_open or self.hi_open))

    def contains(self, x: np.ndarray) -> np.ndarray:
        lo = x > self.lo if self.lo_open else x >= self.lo
        hi = x < self.hi if self.hi_open else x <= self.hi
        return lo & hi


def _int_span(lo: float, hi: float, lo_open: bool, hi_open: bool) -> Span:
    """Closed integer range of the integers in an interval."""
    a = math.floor(lo) + 1 if (lo_open and math.isfinite(lo) and lo == math.floor(lo)) else math.ceil(lo)
    b = math.ceil(hi) - 1 if (hi_open and math.isfinite(hi) and hi == math.ceil(hi)) else math.floor(hi)
    return Span(float(a), float(b))


class Domain:
    """Feasible inputs of a network: bounds, integrality and categories from its encoder.

    Parameters
    ----------
    encoder : Encoder
        The network's fitted encoder.
    bounds : dict, optional
        ``{feature: (low, high)}`` in original units for numeric or integer features, replacing
        the training minimum and maximum.

    Raises
    ------
    DataError
        If ``bounds`` names an unknown or non-numeric feature or gives ``low > high``.
    """

    def __init__(self, encoder, bounds: dict | None = None):
        if getattr(encoder, "fill_", None):
            raise DataError("the verifier does not yet model missing values: this network was trained with "
                            f"missing='impute' (features {sorted(encoder.fill_)} can be missing); verify a network "
                            "trained on complete rows")
        self.encoder = encoder
        self.schema = encoder.schema
        self.features = list(self.schema.features)
        self.full: dict = {}
        bounds = dict(bounds or {})
        for f in self.features:
            if f.kind in ("numeric", "integer"):
                lo, hi = encoder.lower_[f.name], encoder.upper_[f.name]
                if f.name in bounds:
                    try:
                        lo, hi = (float(v) for v in bounds.pop(f.name))
                    except (TypeError, ValueError):
                        raise DataError(f"bounds[{f.name!r}] must be a pair (low, high) of numbers") from None
                    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
                        raise DataError(f"bounds[{f.name!r}] = ({lo}, {hi}): need finite low <= high")
                span = _int_span(lo, hi, False, False) if f.kind == "integer" else Span(lo, hi)
                if span.empty():
                    raise DataError(f"bounds of integer feature {f.name!r} hold no integer")
                self.full[f.name] = span
            else:
                self.full[f.name] = frozenset(range(len(f.categories)))
        if bounds:
            raise DataError(f"bounds name feature(s) {sorted(bounds)} that are not numeric features of the network")

    # -- boxes --------------------------------------------------------------------------
    def box(self) -> dict:
        """The whole domain as one box (a dict feature -> Span or frozenset of category indices)."""
        return dict(self.full)

    def _feature(self, name):
        if name not in self.schema:
            raise RuleError(f"a rule tests {name!r}, which is not a feature of the network "
                            f"({', '.join(self.schema.feature_names[:8])}...)")
        return self.schema[name]

    @staticmethod
    def _empty(v) -> bool:
        return v.empty() if isinstance(v, Span) else not v

    def apply(self, box: dict, cond: Condition) -> list:
        """Disjoint boxes making up ``box`` intersected with one condition."""
        f = self._feature(cond.feature)
        cur = box[f.name]
        if isinstance(cur, frozenset):     # discrete: keep the categories where the test holds
            keep = cur & self._holds(f, cond)
            return [] if not keep else [{**box, f.name: keep}]
        pieces = []
        op, v = cond.op, cond.value
        if op in ("<=", ">"):
            pieces = [_cut(cur, v, op == "<=")]
        else:
            vals = [v] if op in ("==", "!=") else list(v)
            nums = []
            for x in vals:
                if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
                    continue       # a non-number never equals a numeric value
                if math.isfinite(float(x)):
                    nums.append(float(x))
            nums = sorted(set(nums))
            if op in ("==", "in"):
                pieces = [_meet(cur, Span(x, x)) for x in nums]
            else:                                   # != / not in: the gaps between excluded points
                pieces, rest = [], cur
                for x in nums:
                    pieces.append(_meet(rest, Span(-math.inf, x, hi_open=True)))
                    rest = _meet(rest, Span(x, math.inf, lo_open=True))
                pieces.append(rest)
        out = []
        for p in pieces:
            if f.kind == "integer":
                p = _int_span(p.lo, p.hi, p.lo_open, p.hi_open)
            if not p.empty():
                out.append({**box, f.name: p})
        return out

    def _holds(self, f, cond) -> frozenset:
        """Indices of the categories of discrete feature ``f`` on which ``cond`` holds (cached)."""
        cache = self.__dict__.setdefault("_holds_cache", {})
        if cond not in cache:
            hold = cond.evaluate(pd.DataFrame({f.name: pd.Series(list(f.categories), dtype=object)}))
            cache[cond] = frozenset(i for i, h in enumerate(hold) if h)
        return cache[cond]

    def boxes(self, conditions, within: dict | None = None, max_boxes: int = MAX_BOXES,
              deadline: float = math.inf) -> list:
        """Disjoint boxes whose union is ``within`` (default: the domain) intersected with a conjunction.

        Raises :class:`TooManyBoxes` past ``max_boxes`` boxes or past ``deadline`` (``time.monotonic``).
        """
        boxes = [dict(self.full) if within is None else within]
        for c in conditions:
            nxt: list = []
            for b in boxes:
                if len(nxt) > max_boxes:
                    raise TooManyBoxes(f"the conditions expand into more than {max_boxes} boxes")
                if time.monotonic() > deadline:
                    raise TooManyBoxes("the budget ran out while expanding the conditions into boxes")
                if isinstance(c, MofN):
                    nxt.extend(self._mofn(b, c, max_boxes - len(nxt)))
                elif isinstance(c, Condition):
                    nxt.extend(self.apply(b, c))
                else:
                    raise RuleError(f"cannot verify a condition of type {type(c).__name__}")
            boxes = nxt
            if not boxes:
                break
        return boxes

    def _mofn(self, box: dict, c: MofN, max_boxes: int) -> list:
        """At least m of n literals: one disjoint box per pattern of true/false literals (pruned)."""
        out: list = []

        def walk(b, k, hits):
            if len(out) > max_boxes:
                raise TooManyBoxes(f"an m-of-n test expands into more than {max_boxes} boxes")
            if hits >= c.m:
                out.append(b)
                return
            if hits + (len(c.conditions) - k) < c.m:
                return
            lit = c.conditions[k]
            for nb in self.apply(b, lit):
                walk(nb, k + 1, hits + 1)
            for nb in self.apply(b, lit.negate()):
                walk(nb, k + 1, hits)

        walk(box, 0, 0)
        return out

    def subtract(self, a: dict, b: dict) -> list:
        """Disjoint boxes whose union is ``a`` minus ``b`` (at most two per feature)."""
        if any(self._empty(_inter(a[k], b[k])) for k in a):
            return [a]
        out, rest = [], dict(a)
        for f in self.features:
            k = f.name
            x, y = rest[k], b[k]
            if isinstance(x, frozenset):
                if x - y:
                    out.append({**rest, k: x - y})
            else:
                below = _meet(x, Span(-math.inf, y.lo, hi_open=not y.lo_open))
                above = _meet(x, Span(y.hi, math.inf, lo_open=not y.hi_open))
                for p in (below, above):
                    if f.kind == "integer":
                        p = _int_span(p.lo, p.hi, p.lo_open, p.hi_open)
                    if not p.empty():
                        out.append({**rest, k: p})
            rest[k] = _inter(x, y)
        return out

    def subtract_all(self, pieces: list, others: list, max_pieces: int, deadline: float = math.inf) -> list | None:
        """``pieces`` minus the union of ``others``, or None past ``max_pieces`` boxes or ``deadline``."""
        for o in others:
            nxt = []
            if time.monotonic() > deadline:
                return None
            for p in pieces:
                nxt.extend(self.subtract(p, o))
                if len(nxt) > max_pieces:
                    return None
            pieces = nxt
            if not pieces:
                break
        return pieces

    def disjoint(self, a: dict, b: dict) -> bool:
        return any(self._empty(_inter(a[k], b[k])) for k in a)

    def volume(self, box: dict) -> float:
        """Share of the domain's measure that ``box`` holds."""
        v = 1.0
        for f in self.features:
            x, full = box[f.name], self.full[f.name]
            if isinstance(x, frozenset):
                v *= len(x) / len(full)
            elif f.kind == "integer":
                v *= (x.hi - x.lo + 1) / (full.hi - full.lo + 1)
            elif full.hi > full.lo:
                v *= (x.hi - x.lo) / (full.hi - full.lo)
        return v

    # -- encoded space ------------------------------------------------------------------
    def encoded_bounds(self, box: dict) -> tuple[np.ndarray, np.ndarray]:
        """Closed lower and upper bounds of every network input over ``box`` (a sound superset)."""
        enc = self.encoder
        lo = np.zeros(enc.n_inputs)
        hi = np.zeros(enc.n_inputs)
        for f in self.features:
            cols = enc.groups_[f.name]
            x = box[f.name]
            if isinstance(x, Span):
                off, sc = enc.scale(f.name)
                lo[cols[0]], hi[cols[0]] = (x.lo - off) / sc, (x.hi - off) / sc
            else:
                codes = enc.category_codes(f)[sorted(x)]
                lo[cols], hi[cols] = codes.min(axis=0), codes.max(axis=0)
        return lo, hi

    def sample(self, box: dict, n: int, rng) -> np.ndarray:
        """``n`` encoded points drawn uniformly from ``box`` (open ends may be hit: check membership)."""
        enc = self.encoder
        X = np.zeros((n, enc.n_inputs))
        for f in self.features:
            cols = enc.groups_[f.name]
            x = box[f.name]
            if isinstance(x, Span):
                off, sc = enc.scale(f.name)
                v = (rng.integers(int(x.lo), int(x.hi) + 1, size=n).astype(float) if f.kind == "integer"
                     else rng.uniform(x.lo, x.hi, size=n))
                X[:, cols[0]] = (v - off) / sc
            else:
                idx = np.array(sorted(x))
                X[:, cols] = enc.category_codes(f)[rng.choice(idx, size=n)]
        return X

    def decode(self, X: np.ndarray, box: dict | None = None) -> pd.DataFrame:
        """Rows in original units for encoded points, clipped into ``box`` (or the domain) and made valid."""
        frame = self.encoder.inverse_transform(np.atleast_2d(X))
        box = box or self.full
        for f in self.features:
            x = box[f.name]
            if isinstance(x, Span):
                col = frame[f.name].to_numpy(dtype=float)
                col = np.clip(col, x.lo, x.hi)
                if f.kind == "integer":
                    frame[f.name] = np.round(col).astype(np.int64)
                else:
                    frame[f.name] = col
            else:
                allowed = [f.categories[i] for i in sorted(x)]
                frame[f.name] = [v if v in allowed else allowed[0] for v in frame[f.name]]
        return frame

    def contains(self, frame: pd.DataFrame, box: dict | None = None) -> np.ndarray:
        """Which rows of ``frame`` (original units) lie in ``box`` (default: the domain)."""
        box = box or self.full
        ok = np.ones(len(frame), dtype=bool)
        for f in self.features:
            x = box[f.name]
            col = frame[f.name]
            if isinstance(x, Span):
                v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                ok &= x.contains(v)
                if f.kind == "integer":
                    ok &= np.mod(np.nan_to_num(v, nan=0.5), 1) == 0
            else:
                ok &= col.isin([f.categories[i] for i in x]).to_numpy()
        return ok


def _meet(x: Span, y: Span) -> Span:
    if y.lo > x.lo or (y.lo == x.lo and y.lo_open):
        lo, lo_open = y.lo, y.lo_open
    else:
        lo, lo_open = x.lo, x.lo_open
    if y.hi < x.hi or (y.hi == x.hi and y.hi_open):
        hi, hi_open = y.hi, y.hi_open
    else:
        hi, hi_open = x.hi, x.hi_open
    return Span(lo, hi, lo_open, hi_open)


def _cut(x: Span, t: float, le: bool) -> Span:
    return _meet(x, Span(-math.inf, t) if le else Span(t, math.inf, lo_open=True))


def _inter(x, y):
    return x & y if isinstance(x, frozenset) else _meet(x, y)
