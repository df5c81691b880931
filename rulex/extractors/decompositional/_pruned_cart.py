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
open node in one pass over the sorted columns, with no sorting. Which of two *equally good* splits is taken
may differ from scikit-learn's (here the first column, then the lowest value), as in :mod:`._exact_cart`.
"""
from __future__ import annotations

import numpy as np

from ._exact_cart import FEATURE_THRESHOLD, ExactTree, leaf_size

__all__ = ["Presorted", "fit_wanted"]


class Presorted:
    """The rows of one sample with every column sorted once, for every tree learned on them."""

    def __init__(self, A: np.ndarray):
        A = np.asarray(A, dtype=np.float32)
        self.n, self.d = A.shape
        self.values = np.ascontiguousarray(A.T)                                   # (column, row)
        self.order = np.ascontiguousarray(np.argsort(A, axis=0, kind="stable").T.astype(np.int32))
        self.sorted = np.take_along_axis(self.values, self.order, axis=1)          # the root's sorted values
        self.root_gaps = _gaps(self.sorted)


def _gaps(x: np.ndarray) -> np.ndarray:
    """``(column, position)``: the value after the position differs from it by more than scikit-learn's
    ``FEATURE_THRESHOLD`` (compared in float32, as its splitter does); False at the last position."""
    ok = np.zeros(x.shape, dtype=bool)
    np.greater(x[:, 1:], x[:, :-1] + np.float32(FEATURE_THRESHOLD), out=ok[:, :-1])
    return ok


def _need(leaf: int, wanted: bool) -> int:
    """The fewest rows of the wanted label a node needs to hold a leaf of that label."""
    return leaf // 2 + 1 if wanted else (leaf + 1) // 2


def _best_cuts(P: Presorted, yk: np.ndarray, order: np.ndarray, sizes: np.ndarray, pos: np.ndarray, leaf: int):
    """The best cut of every open node: ``(feature, position in the node's sorted rows, threshold)`` arrays,
    feature -1 where no cut leaves ``leaf`` rows on both sides of two different values. ``order`` holds each
    column's rows of the open nodes, node after node (``sizes`` rows each, ``pos`` of them true), each node's
    rows in value order. Gini's proxy of a cut, sum over both sides and labels of count**2 / side, is
    ``N - 2 P + 2 (pL**2 / nL + pR**2 / nR)`` for a node of ``N`` rows, ``P`` true: the last term decides."""
    d, r = order.shape
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    node = np.repeat(np.arange(len(sizes)), sizes)
    at = np.arange(r)
    pL = np.cumsum(yk[order], axis=1, dtype=np.int32)                           # true rows up to each position
    before = np.where(starts > 0, pL[:, np.maximum(starts - 1, 0)], 0)           # (d, nodes)
    pL -= np.repeat(before, sizes, axis=1)
    nL = (at - starts[node] + 1).astype(np.float64)
    nR = sizes[node] - nL
    root = order is P.order
    x = P.sorted if root else np.take_along_axis(P.values, order, axis=1)
    # two different values around the cut, and both sides at least a leaf (which rules out a node's last row)
    ok = (P.root_gaps if root else _gaps(x)) & ((nL >= leaf) & (nR >= leaf))[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        left = pL.astype(np.float64)
        right = pos[node] - left
        score = left * left / nL + right * right / nR
    score[~ok] = -np.inf
    per_feature = np.maximum.reduceat(score, starts, axis=1)                     # (d, nodes)
    feature = np.argmax(per_feature, axis=0)                                     # the first column among equals
    best = per_feature[feature, np.arange(len(sizes))]
    hit = np.flatnonzero((score[feature[node], at] == best[node]) & np.isfinite(best[node]))
    first = np.r_[True, node[hit][1:] != node[hit][:-1]]                         # the lowest position among equals
    cut = np.full(len(sizes), -1, dtype=np.int64)
    cut[node[hit][first]] = hit[first]
    feature = np.where(cut >= 0, feature, -1)
    threshold = np.zeros(len(sizes))
    k = np.flatnonzero(cut >= 0)
    x_left = x[feature[k], cut[k]].astype(np.float64)
    x_right = x[feature[k], cut[k] + 1].astype(np.float64)
    mid = x_left / 2.0 + x_right / 2.0                                           # scikit-learn's threshold
    threshold[k] = np.where((mid == x_right) | ~np.isfinite(mid), x_left, mid)
    return feature, cut - starts, threshold


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
    """CART of ``(A, y)`` (the rows ``P`` was sorted from; ``y`` boolean) grown only where a leaf predicting ``wanted`` can still arise (see
    the module's docstring): the same wanted leaves and predictions as
    ``DecisionTreeClassifier(min_samples_leaf=..., max_depth=...)``."""
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
    order, depth = P.order, 0
    while open_:
        sizes = np.array([nodes.value[i][0] + nodes.value[i][1] for i in open_], dtype=np.int64)
        pos = np.array([nodes.value[i][1] for i in open_], dtype=np.int64)
        feature, cut, threshold = _best_cuts(P, yk, order, sizes, pos, leaf)
        starts = np.concatenate([[0], np.cumsum(sizes)])
        id_type = np.int16 if len(open_) < 16_000 else np.int64      # int16 ids: numpy sorts them by radix
        next_id: np.ndarray = np.full(P.n, -1, dtype=id_type)
        nxt: list = []
        for i, nd in enumerate(open_):
            if feature[i] < 0:
                continue
            f = int(feature[i])
            rows = order[f, starts[i]:starts[i + 1]]
            sides = (rows[:cut[i] + 1], rows[cut[i] + 1:])
            children = [nodes.add(len(s), int(yk[s].sum())) for s in sides]
            nodes.left[nd], nodes.right[nd] = children
            nodes.feature[nd], nodes.threshold[nd] = f, float(threshold[i])
            for child, s in zip(children, sides):
                if opens(len(s), nodes.value[child][1], depth + 1):
                    next_id[s] = len(nxt)
                    nxt.append(child)
        if not nxt:
            break
        kept = order[(next_id >= 0)[order]].reshape(P.d, -1)        # every column holds the same rows
        # each column's rows regrouped node after node, still in value order within a node
        order = np.take_along_axis(kept, np.argsort(next_id[kept], axis=1, kind="stable"), axis=1)
        open_, depth = nxt, depth + 1
    return nodes.tree(classes)
