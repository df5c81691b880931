"""CART for a two-label target of which only one label's leaves are wanted, on columns sorted once.

DeepRED's clause-wise reading learns, for every top-level clause, a tree from the inputs to "the clause
holds" and keeps only the paths to the leaves that say *true*; the clauses are rare (on the scaling
benchmark's network most hold on under 1 % of the rows), and most of each scikit-learn tree is spent
splitting regions that can never hold such a leaf. CART grows each node from that node's rows only, so a
node that cannot contain a leaf of the wanted label can be left as a leaf without changing any other node:
a leaf of ``n >= min_samples_leaf`` rows says *true* only when more than half of its rows are true
(scikit-learn's ``argmax`` gives a tie to the first label, *false*), so a node with at most
``min_samples_leaf // 2`` true rows never leads to one (for the wanted label *false*: fewer than
``ceil(min_samples_leaf / 2)`` false rows). The tree grown here therefore has exactly the wanted leaves,
the same paths to them and the same prediction on every row as the full tree; only the other label's
leaves are coarser.

The tree is scikit-learn's CART otherwise (Gini, the best split over every column and position, leaves of
``min_samples_leaf`` rows, ``max_depth``, nodes split until pure or too small, the thresholds as
scikit-learn places them), grown level by level on the columns of one row sample sorted once
(:class:`Presorted`, shared by every tree learned on that sample): each level scores every cut of every
open node in one pass over the sorted columns, with no sorting. A column of few distinct values (one-hot
and small integer inputs) is not sorted but counted: one ``bincount`` per level of (node, value, label)
scores every cut between two of its values. Which of two *equally good* splits is taken may differ from
scikit-learn's (here the first column, then the lowest value), as in :mod:`._exact_cart`. A sample with
missing values is left to scikit-learn (its missing-value handling is not reproduced here).
"""
from __future__ import annotations

import numpy as np

from ._exact_cart import FEATURE_THRESHOLD, ExactTree, leaf_size, midpoint

__all__ = ["MAX_CODES", "Presorted", "fit_wanted"]

#: a column of at most this many distinct values (each two more than ``FEATURE_THRESHOLD`` apart, as one-hot
#: and small integer columns are) is read through per-node counts of its values, not through its sorted rows
MAX_CODES = 64


class Presorted:
    """The rows of one sample, for every tree learned on them: each column of many values sorted once
    (``order``, ``sorted``), each column of few values coded by its value's rank (``codes``, ``levels``)."""

    def __init__(self, A: np.ndarray):
        A = np.asarray(A, dtype=np.float32)
        self.n, self.d = A.shape
        self.has_nan = bool(np.isnan(A).any())
        self.values = np.ascontiguousarray(A.T)                                   # (column, row)
        order = np.argsort(A, axis=0, kind="stable").T.astype(np.int32)
        ranked = np.take_along_axis(self.values, order, axis=1)
        gaps = _gaps(ranked)
        groups = gaps.sum(axis=1) + 1                      # values told apart by a cut
        exact = (ranked[:, 1:] != ranked[:, :-1]).sum(axis=1) + 1
        few = (groups <= MAX_CODES) & (groups == exact)
        self.continuous, self.discrete = np.flatnonzero(~few), np.flatnonzero(few)
        self.order = np.ascontiguousarray(order[self.continuous])
        self.sorted = np.ascontiguousarray(ranked[self.continuous])             # the root's sorted values
        self.root_gaps = gaps[self.continuous]
        self.K = int(groups[few].max()) if few.any() else 1
        self.levels = np.full((len(self.discrete), self.K), np.inf, dtype=np.float32)
        self.codes = np.empty((len(self.discrete), self.n), dtype=np.uint8)
        for j, f in enumerate(self.discrete):
            levels, self.codes[j] = np.unique(self.values[f], return_inverse=True)
            self.levels[j, :len(levels)] = levels


def _gaps(x: np.ndarray) -> np.ndarray:
    """``(column, position)``: the value after the position differs from it by more than scikit-learn's
    ``FEATURE_THRESHOLD`` (compared in float32, as its splitter does); False at the last position."""
    ok = np.zeros(x.shape, dtype=bool)
    np.greater(x[:, 1:], x[:, :-1] + np.float32(FEATURE_THRESHOLD), out=ok[:, :-1])
    return ok


def _need(leaf: int, wanted: bool) -> int:
    """The fewest rows of the wanted label a node needs to hold a leaf of that label."""
    return leaf // 2 + 1 if wanted else (leaf + 1) // 2


def _continuous(P: Presorted, yk, order, node, starts, sizes, pos, leaf):
    """``(scores, x)``: Gini's deciding term of every cut of every open node on the columns of many values
    (``-inf`` where not allowed), and their sorted values, both ``(column, position)``."""
    r = order.shape[1]
    pL = np.cumsum(yk[order], axis=1, dtype=np.int32)                           # true rows up to each position
    before = np.where(starts > 0, pL[:, np.maximum(starts - 1, 0)], 0)           # (column, node)
    pL -= np.repeat(before, sizes, axis=1)
    nL = (np.arange(r) - starts[node] + 1).astype(np.float64)
    nR = sizes[node] - nL
    root = order is P.order
    x = P.sorted if root else np.take_along_axis(P.values[P.continuous], order, axis=1)
    # two different values around the cut, and both sides at least a leaf (which rules out a node's last row)
    ok = (P.root_gaps if root else _gaps(x)) & ((nL >= leaf) & (nR >= leaf))[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        left = pL.astype(np.float64)
        right = pos[node] - left
        score = left * left / nL + right * right / nR
    score[~ok] = -np.inf
    return score, x


def _discrete(P: Presorted, yk, rows, node, sizes, pos, leaf):
    """``(best, code, counts)`` on the columns of few values: per column and open node the best cut's score
    and the value rank it lies after (the lowest among equals), from the rows' counts per node, rank and
    label."""
    D, K, m = len(P.discrete), P.K, len(sizes)
    idx = ((np.arange(D)[:, None] * m + node[None, :]) * K + P.codes[:, rows]) * 2 + yk[rows][None, :]
    counts = np.bincount(idx.ravel(), minlength=D * m * K * 2).reshape(D, m, K, 2)
    total = counts.sum(axis=3)
    nL = np.cumsum(total, axis=2)
    nR = sizes[None, :, None] - nL
    ok = (total > 0) & (nL >= leaf) & (nR >= leaf)      # after a value the node holds, a leaf on both sides
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.cumsum(counts[..., 1], axis=2).astype(np.float64)
        right = pos[None, :, None] - left
        score = np.where(ok, left * left / nL + right * right / nR, -np.inf)
    code = np.argmax(score, axis=2)
    return np.take_along_axis(score, code[..., None], axis=2)[..., 0], code, total


def _best_cuts(P: Presorted, yk: np.ndarray, order: np.ndarray, rows: np.ndarray, sizes: np.ndarray,
               pos: np.ndarray, leaf: int):
    """The best cut of every open node: ``(feature, threshold)`` arrays, feature -1 where no cut leaves
    ``leaf`` rows on both sides of two different values. ``rows`` holds the open nodes' rows node after node
    (``sizes`` rows each, ``pos`` of them true) and ``order`` the same for each column of many values, each
    node's rows in value order. Gini's proxy of a cut, the sum over both sides and labels of count**2 / side,
    is ``N - 2 P + 2 (pL**2 / nL + pR**2 / nR)`` for a node of ``N`` rows, ``P`` true: the last term decides.
    Among equally good cuts the first column wins, then the lowest value."""
    m = len(sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    node = np.repeat(np.arange(m), sizes)
    per = np.full((P.d, m), -np.inf)
    if len(P.continuous):
        score, x = _continuous(P, yk, order, node, starts, sizes, pos, leaf)
        per[P.continuous] = np.maximum.reduceat(score, starts, axis=1)
    if len(P.discrete):
        per[P.discrete], code, total = _discrete(P, yk, rows, node, sizes, pos, leaf)
    feature = np.argmax(per, axis=0)
    best = per[feature, np.arange(m)]
    feature = np.where(np.isfinite(best), feature, -1)
    threshold = np.zeros(m)
    j = np.minimum(np.searchsorted(P.continuous, feature), max(len(P.continuous) - 1, 0))
    on_sorted = (feature >= 0) & np.isin(feature, P.continuous)
    if on_sorted.any():
        at = np.arange(len(node))
        hit = np.flatnonzero(on_sorted[node] & (score[j[node], at] == best[node]))
        first = np.r_[True, node[hit][1:] != node[hit][:-1]]                     # the lowest position among equals
        k, cut = node[hit][first], hit[first]
        threshold[k] = midpoint(x[j[k], cut], x[j[k], cut + 1])
    for i in np.flatnonzero((feature >= 0) & ~on_sorted):
        jd = int(np.searchsorted(P.discrete, feature[i]))
        c = int(code[jd, i])
        above = c + 1 + int(np.flatnonzero(total[jd, i, c + 1:])[0])            # the next value the node holds
        threshold[i] = midpoint(P.levels[jd, c], P.levels[jd, above])
    return feature, threshold


class _Nodes:
    """The growing tree's arrays."""

    def __init__(self):
        self.left, self.right, self.feature, self.threshold, self.value = [], [], [], [], []

    def add(self, n: int, p: int) -> int:
        self.left.append(-1)
        self.right.append(-1)
        self.feature.append(-2)
        self.threshold.append(-2.0)
        self.value.append((n - p, p))
        return len(self.left) - 1

    def tree(self, classes) -> ExactTree:
        value = np.asarray(self.value, dtype=np.float64)
        if len(classes) == 1:
            value = value[:, [int(classes[0])]]
        return ExactTree(classes, self.left, self.right, self.feature, self.threshold, value)


def fit_wanted(P: Presorted, y: np.ndarray, *, wanted: bool, min_samples_leaf, max_depth) -> ExactTree:
    """CART of ``(A, y)`` (the rows ``P`` was made from, without missing values; ``y`` boolean) grown only
    where a leaf predicting ``wanted`` can still arise (see the module's docstring): the same wanted leaves
    and predictions as ``DecisionTreeClassifier(min_samples_leaf=..., max_depth=...)``."""
    y = np.asarray(y, dtype=bool)
    yk = y.astype(np.int8)
    leaf = leaf_size(min_samples_leaf, P.n)
    need = _need(leaf, wanted)
    nodes = _Nodes()
    p0 = int(yk.sum())
    classes = np.array([v for v in (False, True) if (p0 if v else P.n - p0) > 0], dtype=bool)
    root = nodes.add(P.n, p0)

    def opens(n: int, p: int, depth: int) -> bool:
        return (0 < p < n and n >= 2 * leaf and (max_depth is None or depth < max_depth)
                and (p if wanted else n - p) >= need)

    open_ = [root] if opens(P.n, p0, 0) else []
    order, rows, depth = P.order, np.arange(P.n), 0
    while open_:
        sizes = np.array([nodes.value[i][0] + nodes.value[i][1] for i in open_], dtype=np.int64)
        pos = np.array([nodes.value[i][1] for i in open_], dtype=np.int64)
        feature, threshold = _best_cuts(P, yk, order, rows, sizes, pos, leaf)
        starts = np.concatenate([[0], np.cumsum(sizes)])
        id_type = np.int16 if len(open_) < 16_000 else np.int64      # int16 ids: numpy sorts them by radix
        next_id: np.ndarray = np.full(P.n, -1, dtype=id_type)
        nxt: list = []
        for i, nd in enumerate(open_):
            if feature[i] < 0:
                continue
            f = int(feature[i])
            mine = rows[starts[i]:starts[i + 1]]
            go_left = P.values[f, mine] <= threshold[i]
            sides = (mine[go_left], mine[~go_left])
            children = [nodes.add(len(s), int(yk[s].sum())) for s in sides]
            nodes.left[nd], nodes.right[nd] = children
            nodes.feature[nd], nodes.threshold[nd] = f, float(threshold[i])
            for child, s in zip(children, sides):
                if opens(len(s), nodes.value[child][1], depth + 1):
                    next_id[s] = len(nxt)
                    nxt.append(child)
        if not nxt:
            break
        keep = next_id >= 0
        rows = rows[keep[rows]]
        rows = rows[np.argsort(next_id[rows], kind="stable")]
        if len(P.continuous):
            kept = order[keep[order]].reshape(len(P.continuous), -1)      # every column holds the same rows
            # each column's rows regrouped node after node, still in value order within a node
            order = np.take_along_axis(kept, np.argsort(next_id[kept], axis=1, kind="stable"), axis=1)
        open_, depth = nxt, depth + 1
    return nodes.tree(classes)
