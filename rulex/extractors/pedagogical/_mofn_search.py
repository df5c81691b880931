"""TREPAN's split search: candidate literals at a node and the beam search over m-of-n tests.

:class:`LiteralBank` holds the candidate literals (every one-hot input, the best thresholds of each
continuous input) and their truth values on the node's instances; :class:`MofNSearch` is Craven's
ConstructMofNTest: beam search from the best single literal with the operators *m-of-n+1* and
*m+1-of-n+1*, each step accepted when a chi-square test says the split differs from its parent.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._bits import pack as _pack
from .._bits import popcount as _popcount
from ..sampling import Literal, Sampler

__all__ = ["LiteralBank", "MofNSearch", "order_subset"]

_MAX_THRESHOLDS = 10     # candidate thresholds kept per continuous input (best by gain)
_CHUNK_CELLS = 4_000_000  # literal x instance cells evaluated at once in the beam search


# -- scoring -------------------------------------------------------------------------------
def _rowsum(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=-1)``; with two classes the same ``a0 + a1`` numpy's reduction computes, without
    its cost per row of a short last axis."""
    return a[..., 0] + a[..., 1] if a.shape[-1] == 2 else a.sum(axis=-1)


def _entropy(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    total = _rowsum(counts)[..., None]
    p = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    logp = np.log2(p, out=np.zeros_like(p), where=p > 0)
    return -_rowsum(p * logp)


def _gain(left: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Information gain of binary partitions given the class counts on the "true" side."""
    left = np.asarray(left, dtype=np.float64)
    right = totals[None, :] - left if left.ndim == 2 else totals - left
    n = totals.sum()
    nl, nr = _rowsum(left), _rowsum(right)
    g = _entropy(totals) - (nl * _entropy(left) + nr * _entropy(right)) / max(n, 1)
    return np.maximum(g, 0.0)


def _chi2_pvalues(ref: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """p-values of a 2 x K chi-square test between one class distribution and many candidates."""
    from scipy.stats import chi2
    a = np.asarray(ref, dtype=np.float64)[None, :]
    b = np.atleast_2d(np.asarray(cand, dtype=np.float64))
    cols = a + b
    na, nb = a.sum(), b.sum(axis=1, keepdims=True)
    total = na + nb
    with np.errstate(divide="ignore", invalid="ignore"):
        ea = na * cols / total
        eb = nb * cols / total
        stat = np.where(cols > 0, (a - ea) ** 2 / np.where(ea > 0, ea, 1) + (b - eb) ** 2 / np.where(eb > 0, eb, 1), 0)
    stat = stat.sum(axis=1)
    dof = (cols > 0).sum(axis=1) - 1
    p = np.ones(len(b))
    ok = (dof > 0) & (na > 0) & (nb[:, 0] > 0)
    p[ok] = chi2.sf(stat[ok], dof[ok])
    return p


class LiteralBank:
    """Candidate literals at one node and their truth values on its instances."""

    def __init__(self, sampler: Sampler, X: np.ndarray, y: np.ndarray, n_classes: int, orders: dict | None = None):
        """``orders``: ``{column: argsort of X[:, column]}`` known for some columns (a node whose rows
        are a subset of its parent's derives them from the parent's in linear time); filled in for
        every continuous column it lacks, so that the node's children can derive theirs."""
        lits, feats, cat = [], [], []
        for spec in sampler.specs:
            if spec.kind == "categorical":
                for c in spec.cols:
                    if 0 < X[:, c].sum() < len(X):
                        for le in (True, False):
                            lits.append(Literal(c, le, 0.5)); feats.append(spec.index); cat.append(True)
                continue
            c = spec.cols[0]
            if orders is not None and c not in orders:
                orders[c] = np.argsort(X[:, c])
            for thr in _thresholds(X[:, c], y, n_classes, None if orders is None else orders[c]):
                for le in (True, False):
                    lits.append(Literal(c, le, thr)); feats.append(spec.index); cat.append(False)
        self.literals = lits
        self.feature = np.array(feats, dtype=np.int64)
        self.categorical = np.array(cat, dtype=bool)
        self.col = np.array([l.col for l in lits], dtype=np.int64)
        self.le = np.array([l.le for l in lits], dtype=bool)
        # truth values, one row per literal (bool: a byte per cell; counts are summed from it)
        self.T = np.empty((len(lits), len(X)), dtype=bool)
        for i, l in enumerate(lits):
            np.less_equal(X[:, l.col], l.thr, out=self.T[i]) if l.le else np.greater(X[:, l.col], l.thr,
                                                                                      out=self.T[i])
        self.packed = _pack(self.T)
        index = {l: i for i, l in enumerate(lits)}
        self.neg = np.array([index[l.negate()] for l in lits], dtype=np.int64)

    def __len__(self):
        return len(self.literals)


def _unique(x: np.ndarray, order: np.ndarray | None):
    """``np.unique(x, return_inverse=True)``, in linear time when ``order`` (an argsort of ``x``) is
    given and ``x`` has no NaN (np.unique folds NaNs into one value)."""
    if order is None or not len(x):
        return np.unique(x, return_inverse=True)
    xs = x[order]
    if np.isnan(xs[-1]):        # NaNs sort last
        return np.unique(x, return_inverse=True)
    new = np.empty(len(xs), dtype=bool)
    new[0] = True
    np.not_equal(xs[1:], xs[:-1], out=new[1:])
    inv = np.empty(len(x), dtype=np.int64)
    inv[order] = np.cumsum(new) - 1
    return xs[new], inv


def order_subset(order: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The argsort of ``x[mask]`` from the argsort ``order`` of ``x``: a stable filter, linear time."""
    local = np.cumsum(mask) - 1
    return local[order[mask[order]]]


def _thresholds(x: np.ndarray, y: np.ndarray, n_classes: int, order: np.ndarray | None = None) -> list:
    """Midpoints between adjacent distinct values whose classes differ (boundary points),
    the best ``_MAX_THRESHOLDS`` by information gain (``order``: an argsort of ``x``, if known)."""
    values, inv = _unique(x, order)
    if len(values) < 2:
        return []
    counts = np.bincount(inv.ravel() * n_classes + y, minlength=len(values) * n_classes)
    counts = counts.reshape(len(values), n_classes).astype(np.float64)
    pure = (counts > 0).sum(axis=1) == 1
    cls = counts.argmax(axis=1)
    boundary = ~(pure[:-1] & pure[1:] & (cls[:-1] == cls[1:]))
    idx = np.flatnonzero(boundary)
    if len(idx) == 0:
        return []
    left = np.cumsum(counts, axis=0)[idx]
    gains = _gain(left, counts.sum(axis=0))
    if len(gains) > _MAX_THRESHOLDS:        # only the gains at or above the k-th largest need ordering
        top = np.flatnonzero(gains >= np.partition(gains, len(gains) - _MAX_THRESHOLDS)[len(gains) - _MAX_THRESHOLDS])
        order = top[np.lexsort((idx[top], -gains[top]))][:_MAX_THRESHOLDS]
    else:
        order = np.lexsort((idx, -gains))
    mids = (values[idx[order]] + values[idx[order] + 1]) / 2.0
    return sorted(float(m) for m in mids)


@dataclass
class _Cand:
    m: int
    ids: tuple                 # literal ids in the order they were added
    counts: np.ndarray | None  # satisfied literals per instance (int16; filled in for beam members only)
    left: np.ndarray           # class counts on the "true" side
    score: float

    @property
    def key(self):
        return (self.m, tuple(sorted(self.ids)))

    def order(self):
        return (-round(self.score, 12), len(self.ids), self.m, tuple(sorted(self.ids)))


class MofNSearch:
    """Beam search over m-of-n tests (Craven's ConstructMofNTest) at one node."""

    def __init__(self, bank: LiteralBank, y: np.ndarray, n_classes: int, *, beam_width: int, max_literals,
                 alpha: float, min_objects: int, excluded: set):
        self.bank = bank
        self.Y = np.eye(n_classes)[y]
        self.totals = self.Y.sum(axis=0)
        self.y = np.asarray(y)
        self.K = n_classes
        self.N = len(y)
        self.beam_width = beam_width
        self.max_literals = max_literals
        self.alpha = alpha
        self.min_objects = min_objects
        self.excluded = excluded

    def _counts(self, ids) -> np.ndarray:
        return self.bank.T[list(ids)].sum(axis=0, dtype=np.int16)

    def _cand(self, m, ids) -> _Cand:
        counts = self._counts(ids)
        sat = (counts >= m).astype(np.float64)
        left = sat @ self.Y
        return _Cand(m, tuple(ids), counts, left, float(_gain(left, self.totals)))

    def _hits(self, lits: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Class counts (float, exact integers) of the instances in ``rows`` (a mask) where each literal
        of ``lits`` holds: one ``(len(lits), K)`` array, a chunk of literals at a time."""
        out = np.zeros((len(lits), self.K))
        P = self.bank.packed
        step = max(1, _CHUNK_CELLS // max(P.shape[1], 1))
        for k in range(self.K):
            w = _pack(rows & (self.y == k))
            for start in range(0, len(lits), step):      # popcount of (literal AND rows of class k)
                chunk = lits[start:start + step]
                out[start:start + len(chunk), k] = _popcount(P[chunk] & w).sum(axis=1, dtype=np.int64)
        return out

    def _nontrivial(self, nl) -> np.ndarray:
        return (nl >= self.min_objects) & (self.N - nl >= self.min_objects)

    def best_single(self) -> _Cand | None:
        bank = self.bank
        if not len(bank):
            return None
        left = self._hits(np.arange(len(bank)), np.ones(self.N, dtype=bool))
        gains = _gain(left, self.totals)
        gains = np.where(self._nontrivial(left.sum(axis=1)), gains, -1.0)
        best = int(np.lexsort((np.arange(len(gains)), -gains))[0])
        if gains[best] <= 0:
            return None
        return self._cand(1, (best,))

    def _eligible(self, cand: _Cand) -> np.ndarray:
        bank = self.bank
        ok = np.ones(len(bank), dtype=bool)
        ids = list(cand.ids)
        ok[ids] = False
        ok[bank.neg[ids]] = False
        if self.excluded:
            ok &= ~np.isin(bank.feature, list(self.excluded))
        for i in ids:
            ok &= bank.col != bank.col[i]
            # within a one-hot group only equality literals go together (a1 == 1, a1 == 2: they
            # exclude each other and read as a1 in {1, 2}); other pairs imply one another
            same_feature = bank.feature == bank.feature[i]
            ok &= ~(same_feature & (~bank.categorical | bank.le | bank.le[i]))
        return np.flatnonzero(ok)

    def run(self, seed: _Cand) -> _Cand:
        bank = self.bank
        if bank.feature[seed.ids[0]] in self.excluded:
            return seed
        beam = [seed]
        if self.beam_width >= 2:
            beam.append(self._cand(1, (int(bank.neg[seed.ids[0]]),)))
        seen = {c.key for c in beam}
        while True:
            worst = min(c.score for c in beam) if len(beam) >= self.beam_width else -math.inf
            new = []
            for cand in beam:
                if self.max_literals is not None and len(cand.ids) >= self.max_literals:
                    continue
                elig = self._eligible(cand)
                if not len(elig):
                    continue
                assert cand.counts is not None, "beam members keep their per-instance counts"
                for inc in (0, 1):
                    m2 = cand.m + inc
                    # at least m2 of (cand's literals + one more) holds where cand already has m2, or
                    # has m2 - 1 and the new literal holds: count only the latter per literal
                    left = self.Y[cand.counts >= m2].sum(axis=0)[None, :] + self._hits(elig, cand.counts == m2 - 1)
                    scores = _gain(left, self.totals)
                    adm = (scores > worst + 1e-12) & self._nontrivial(left.sum(axis=1))
                    if self.alpha is not None and adm.any():
                        p_l = _chi2_pvalues(cand.left, left)
                        p_r = _chi2_pvalues(self.totals - cand.left, self.totals[None, :] - left)
                        adm &= (p_l < self.alpha) | (p_r < self.alpha)
                    for k in np.flatnonzero(adm):
                        ids = cand.ids + (int(elig[k]),)
                        key = (m2, tuple(sorted(ids)))
                        if key in seen:
                            continue
                        seen.add(key)
                        # counts are recomputed for the few that join the beam: keeping one
                        # row-length vector per admissible candidate cost ~5 KB per training row
                        new.append(_Cand(m2, ids, None, left[k].copy(), float(scores[k])))
            if not new:
                break
            merged = sorted(beam + new, key=_Cand.order)[:self.beam_width]
            if [c.key for c in merged] == [c.key for c in beam]:
                break
            for c in merged:
                if c.counts is None:
                    c.counts = self._counts(c.ids)
            beam = merged
        best = min(beam, key=_Cand.order)
        return self._backfit(best)

    def _backfit(self, cand: _Cand) -> _Cand:
        """Delete literals (keeping m, or m - 1) while the gain does not drop."""
        current = cand
        for lit in cand.ids:
            if len(current.ids) <= 1 or lit not in current.ids:
                continue
            rest = tuple(i for i in current.ids if i != lit)
            options = []
            for m in (current.m, current.m - 1):
                if 1 <= m <= len(rest):
                    c = self._cand(m, rest)
                    if self._nontrivial(np.array([c.left.sum()]))[0]:
                        options.append(c)
            if not options:
                continue
            best = min(options, key=_Cand.order)
            if best.score >= current.score - 1e-12:
                current = best
        return current
