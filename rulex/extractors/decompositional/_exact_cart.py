"""CART on presorted, binned columns: the tree scikit-learn's ``DecisionTreeClassifier`` grows (Gini, best
split, ``min_samples_leaf``, ``max_depth``), found level by level with histograms, for many rows.

scikit-learn sorts every feature's values again at every node: on 200,000 rows a depth-4 tree over 16
columns takes about a second, and CRED fits eight of them. Here each column is sorted *once* per
extraction (:class:`Columns`, shared by every tree learned on the same rows) and cut into at most 256
bins at places where the value changes by more than scikit-learn's ``FEATURE_THRESHOLD``. Each level of
a tree is then one ``bincount`` of (node, column, bin, class) over the rows still splitting, which gives
the exact Gini score of every split between two bins. A split *inside* a bin can only beat those by
what its counts allow: an upper bound of the Gini score over the bin (the left side's class counts lie
between the bin's lower and upper cumulative counts) rules out almost every bin; the few bins whose
bound is not below the node's best between-bin split are scanned row by row in their presorted order.
So the split found is the best one over every position, as scikit-learn's: exact, not an approximation
on the bins. The thresholds are scikit-learn's too (the midpoint of the two values around the cut, in
double precision, of the float32 values CART reads).

What can differ from scikit-learn is only which of two *equally good* splits is taken (scikit-learn
draws the order of the features; here the first feature, then the lowest value, wins) and the rounding
of near-equal Gini scores; both are deterministic. The decompositional extractors use this tree only
above ``FAST_ROWS`` rows (``_settled_tree``), so every result on fewer rows is scikit-learn's.
"""
from __future__ import annotations

import numbers

import numpy as np
from sklearn.tree import DecisionTreeClassifier

__all__ = ["Columns", "ExactTree", "MAX_BINS", "fit_tree", "leaf_size", "midpoint"]

#: at most this many bins per column (uint8 codes)
MAX_BINS = 256
#: up to this many classes, the bound of a bin is read at the corners of its box of counts (2**K of them)
CORNER_CLASSES = 5
#: a node of fewer rows is grown by scikit-learn on its own rows (the same CART, sorting a few rows is
#: cheap there, and a level of many small nodes would make large, nearly empty histograms)
SMALL_NODE = 4096
#: scikit-learn's ``FEATURE_THRESHOLD``: two values closer than this are not split apart
FEATURE_THRESHOLD = 1e-7


class Columns:
    """The columns of one row set, each sorted once and cut into bins, for every tree learned on them."""

    def __init__(self, A: np.ndarray, max_bins: int = MAX_BINS):
        A = np.ascontiguousarray(A, dtype=np.float32)
        self.A = A
        self.n, self.d = A.shape
        self.codes = np.empty((self.d, self.n), dtype=np.uint8)      # bin of each value, one row per column
        self.order: list = []
        self.starts: list = []
        self.inside: list = []
        for f in range(self.d):
            self._bin(f, max_bins)
        self.n_bins = max(len(s) - 1 for s in self.starts) if self.d else 1
        self.inside_bins = np.zeros((self.d, self.n_bins), dtype=bool)     # (column, bin): a cut inside it
        for f, ins in enumerate(self.inside):
            self.inside_bins[f, :len(ins)] = ins

    def _bin(self, f: int, max_bins: int):
        col = self.A[:, f]
        order = np.argsort(col)             # deterministic; equal values are never cut apart, so their order is moot
        xs = col[order].astype(np.float64)
        gaps = np.flatnonzero(xs[1:] > xs[:-1] + FEATURE_THRESHOLD) + 1   # a cut is allowed before position g
        if len(gaps) > max_bins - 1:
            targets = (np.arange(1, max_bins) * self.n) // max_bins
            cuts = np.unique(gaps[np.minimum(np.searchsorted(gaps, targets), len(gaps) - 1)])
        else:
            cuts = gaps
        starts = np.concatenate([[0], cuts, [self.n]]).astype(np.int64)
        self.codes[f, order] = np.repeat(np.arange(len(starts) - 1, dtype=np.uint8), np.diff(starts))
        # a bin has a split inside it when an allowed cut lies strictly between its first and last position
        inside = np.searchsorted(gaps, starts[1:], "left") - np.searchsorted(gaps, starts[:-1], "right") > 0
        self.order.append(order.astype(np.int32))
        self.starts.append(starts)
        self.inside.append(inside)


class ExactTree:
    """A fitted tree with the attributes :func:`cart_dnf` reads from a scikit-learn classifier
    (``tree_.children_left`` ... ``tree_.value``, ``classes_``), and ``predict``."""

    def __init__(self, classes, left, right, feature, threshold, value):
        self.classes_ = classes
        self.tree_ = self
        self.children_left = np.asarray(left, dtype=np.int64)
        self.children_right = np.asarray(right, dtype=np.int64)
        self.feature = np.asarray(feature, dtype=np.int64)
        self.threshold = np.asarray(threshold, dtype=np.float64)
        self.value = np.asarray(value, dtype=np.float64)[:, None, :]

    def predict(self, A: np.ndarray) -> np.ndarray:
        """The label of each row of ``A`` (compared as float32, as CART reads it): the rows are split node by
        node, so a row costs one comparison per node on its path, and the rows reaching a subtree whose
        leaves all say the same label are done."""
        A = np.asarray(A, dtype=np.float32)
        label = self._subtree_labels()
        out = np.empty(len(A), dtype=np.int64)
        stack: list = [(0, None)]               # (node, its rows; None: every row)
        while stack:
            node, rows = stack.pop()
            if label[node] >= 0:
                out[slice(None) if rows is None else rows] = label[node]
                continue
            col = A[:, self.feature[node]]
            go_left = col <= self.threshold[node] if rows is None else col[rows] <= self.threshold[node]
            left, right = (np.flatnonzero(go_left), np.flatnonzero(~go_left)) if rows is None else \
                (rows[go_left], rows[~go_left])
            stack += [(self.children_left[node], left), (self.children_right[node], right)]
        return self.classes_[out]

    def _subtree_labels(self) -> np.ndarray:
        """Per node, the label index every leaf under it predicts, or -1 where they differ."""
        label = np.argmax(self.value[:, 0], axis=1)
        preorder, stack = [], [0]
        while stack:
            node = stack.pop()
            preorder.append(node)
            if self.children_left[node] >= 0:
                stack += [self.children_left[node], self.children_right[node]]
        for node in reversed(preorder):          # children before their parents
            left, right = self.children_left[node], self.children_right[node]
            if left >= 0:
                label[node] = label[left] if label[left] == label[right] else -1
        return label


def leaf_size(min_samples_leaf, n: int) -> int:
    if isinstance(min_samples_leaf, numbers.Integral):
        return max(1, int(min_samples_leaf))
    return max(1, int(np.ceil(min_samples_leaf * n)))


def _proxy(sq: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Gini's proxy of one side, sum_k count_k^2 / n (larger is better), 0 for an empty side."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, sq / np.maximum(n, 1), 0.0)


class _Level:
    """The split search of one level: the open nodes' histograms, the best split between bins, and the
    bins whose bound lets a split inside them win."""

    def __init__(self, cols: Columns, yk: np.ndarray, K: int, rows: np.ndarray | None, local: np.ndarray,
                 n_open: int, leaf: int):
        d, B = cols.d, cols.n_bins
        self.cols, self.yk, self.K, self.leaf = cols, yk, K, leaf
        node_class = (local * K + (yk if rows is None else yk[rows])) * B      # (node, class) of each row
        hist = np.empty((n_open, d, B, K), dtype=np.int64)
        for f in range(d):                  # one column at a time: memory of a few row vectors, not of the matrix
            code = cols.codes[f] if rows is None else cols.codes[f, rows]
            counts = np.bincount(node_class + code, minlength=n_open * K * B).reshape(n_open, K, B)
            hist[:, f] = counts.transpose(0, 2, 1)
        self.hist = hist
        self.cum = np.cumsum(hist, axis=2)                 # counts at or below each bin
        self.tot = self.cum[:, 0, -1, :]                   # (n_open, K)
        self.N = self.tot.sum(axis=1)
        nL = self.cum.sum(axis=3)
        nR = self.N[:, None, None] - nL
        sqL = (self.cum.astype(np.int64) ** 2).sum(axis=3)
        sqR = ((self.tot[:, None, None, :] - self.cum).astype(np.int64) ** 2).sum(axis=3)
        ok = (nL >= leaf) & (nR >= leaf)
        self.between = np.where(ok, _proxy(sqL, nL) + _proxy(sqR, nR), -np.inf)     # (n_open, d, B)
        self.best = self.between.max(axis=(1, 2))

    def candidates(self) -> np.ndarray:
        """``(n_open, d, B)`` bool: the bins a split inside of could beat the node's best between bins."""
        c, hist, N, leaf = self.cum, self.hist, self.N, self.leaf
        below = c - hist                                   # counts before the bin
        n_hi = c.sum(axis=3)
        n_lo = n_hi - hist.sum(axis=3)
        lo = np.maximum(n_lo + 1, leaf)                    # left sizes of a cut inside the bin, allowed ones
        hi = np.minimum(n_hi - 1, N[:, None, None] - leaf)
        bound = _corner_bound(below, c, self.tot) if self.K <= CORNER_CLASSES else \
            _separable_bound(below, c, self.tot, lo, hi, N)
        return (lo <= hi) & self.cols.inside_bins[None] & (bound >= self.best[:, None, None] * (1 - 1e-12))


def _side(L: np.ndarray, tot: np.ndarray) -> np.ndarray:
    """Gini's proxy of a cut whose left side has class counts ``L`` (last axis), both sides."""
    L = L.astype(np.int64)
    R = tot[:, None, None, :] - L
    return _proxy((L ** 2).sum(axis=3), L.sum(axis=3)) + _proxy((R ** 2).sum(axis=3), R.sum(axis=3))


def _corner_bound(below: np.ndarray, upto: np.ndarray, tot: np.ndarray) -> np.ndarray:
    """An upper bound of Gini's proxy over the cuts inside each bin: the proxy is convex in the left side's
    class counts, which lie in the box between the counts before the bin and up to it, so its largest
    value is at a corner of that box (each class's rows of the bin all on the left or all on the right)."""
    K = below.shape[3]
    bound = np.full(below.shape[:3], -np.inf)
    for corner in range(2 ** K):
        take = np.array([(corner >> k) & 1 for k in range(K)], dtype=bool)
        bound = np.maximum(bound, _side(np.where(take, upto, below), tot))
    return bound


def _separable_bound(below, upto, tot, lo, hi, N) -> np.ndarray:
    """A looser bound for many classes: every class at its largest count on each side, each side at its
    smallest allowed size."""
    sqL = (upto.astype(np.int64) ** 2).sum(axis=3)
    sqR = ((tot[:, None, None, :] - below).astype(np.int64) ** 2).sum(axis=3)
    with np.errstate(divide="ignore", invalid="ignore"):
        return sqL / np.maximum(lo, 1) + sqR / np.maximum(N[:, None, None] - hi, 1)


def _scan_inside(level: _Level, f: int, cand: np.ndarray, node_local: np.ndarray):
    """The best split inside the candidate bins ``cand`` (``(n_open, B)``) of column ``f``:
    ``(value, sorted position of the last row on the left, node)`` arrays, one entry per node that has one."""
    cols, K, leaf = level.cols, level.K, level.leaf
    bins = np.flatnonzero(cand.any(axis=0))
    if not len(bins):
        return None
    starts = cols.starts[f]
    pos = np.concatenate([np.arange(starts[b], starts[b + 1]) for b in bins])
    rows = cols.order[f][pos]
    t = node_local[rows]
    b = cols.codes[f, rows].astype(np.int64)
    sel = t >= 0
    sel[sel] = cand[t[sel], b[sel]]
    pos, rows, t, b = pos[sel], rows[sel], t[sel], b[sel]
    if not len(rows):
        return None
    regroup = np.argsort(t, kind="stable")               # (node, bin, value) order: segments of one node and bin
    pos, rows, t, b = pos[regroup], rows[regroup], t[regroup], b[regroup]
    x = cols.A[rows, f].astype(np.float64)
    onehot = np.zeros((len(rows), K), dtype=np.int64)
    onehot[np.arange(len(rows)), level.yk[rows]] = 1
    run = np.cumsum(onehot, axis=0)
    seg = np.flatnonzero(np.r_[True, (t[1:] != t[:-1]) | (b[1:] != b[:-1])])
    seg_id = np.repeat(np.arange(len(seg)), np.diff(np.r_[seg, len(rows)]))
    before = run[seg] - onehot[seg]                       # running counts before each segment
    left = run - before[seg_id] + (level.cum[t, f, b] - level.hist[t, f, b])
    nL = left.sum(axis=1)
    N = level.N[t]
    nR = N - nL
    last = np.r_[seg[1:] - 1, len(rows) - 1]
    gap = np.ones(len(rows), dtype=bool)
    gap[last] = False                                    # the cut after a segment's last row is between bins
    nxt = np.minimum(np.arange(len(rows)) + 1, len(rows) - 1)
    gap &= x[nxt] > x + FEATURE_THRESHOLD
    ok = gap & (nL >= leaf) & (nR >= leaf)
    if not ok.any():
        return None
    sqL = (left ** 2).sum(axis=1)
    sqR = ((level.tot[t] - left) ** 2).sum(axis=1)
    score = np.where(ok, _proxy(sqL, nL) + _proxy(sqR, nR), -np.inf)
    idx = np.flatnonzero(ok)
    # per node, the best score, the lowest position among equals (rows are in value order within a node)
    order = np.lexsort((pos[idx], -score[idx], t[idx]))
    idx = idx[order]
    first = np.r_[True, t[idx][1:] != t[idx][:-1]]
    idx = idx[first]
    return score[idx], pos[idx], t[idx]


def _best_splits(level: _Level, node_local: np.ndarray):
    """Per open node, the best split over every column and position: ``(score, feature, kind, where)``
    arrays where ``kind`` 0 is a cut after bin ``where`` and 1 a cut after sorted position ``where``."""
    n_open, d, B = level.between.shape
    cand = level.candidates()
    best = np.full(n_open, -np.inf)
    feat = np.full(n_open, -1)
    kind = np.zeros(n_open, dtype=np.int64)
    where = np.zeros(n_open, dtype=np.int64)
    for f in range(d):
        sc = level.between[:, f, :]
        b = np.argmax(sc, axis=1)
        val = sc[np.arange(n_open), b]
        k = np.zeros(n_open, dtype=np.int64)
        w = b.astype(np.int64)
        rank = level.cols.starts[f][np.minimum(b + 1, len(level.cols.starts[f]) - 1)] - 1   # sorted position
        inner = _scan_inside(level, f, cand[:, f, :], node_local) if cand[:, f, :].any() else None
        if inner is not None:
            s, p, t = inner
            better = (s > val[t]) | ((s == val[t]) & (p < rank[t]))
            t, s, p = t[better], s[better], p[better]
            val[t], k[t], w[t] = s, 1, p
        take = val > best
        best[take], feat[take], kind[take], where[take] = val[take], f, k[take], w[take]
    return best, feat, kind, where


def midpoint(x_left, x_right):
    """scikit-learn's threshold between two values (scalars or arrays): their midpoint in double precision,
    or the left value when the midpoint rounds onto the right one."""
    x_left, x_right = np.asarray(x_left, dtype=np.float64), np.asarray(x_right, dtype=np.float64)
    mid = x_left / 2.0 + x_right / 2.0
    return np.where((mid == x_right) | ~np.isfinite(mid), x_left, mid)


def fit_tree(cols: Columns, y: np.ndarray, *, min_samples_leaf, max_depth) -> ExactTree:
    """The CART tree of ``(cols.A, y)``: Gini, every feature, the best split at every node, nodes of fewer
    than ``2 * min_samples_leaf`` rows (an int, or a share of the rows) or at ``max_depth`` left as leaves,
    as ``DecisionTreeClassifier(min_samples_leaf=..., max_depth=...)`` (see the module's docstring)."""
    classes, yk = np.unique(y, return_inverse=True)
    yk = yk.astype(np.int32)
    K, n = len(classes), cols.n
    leaf = leaf_size(min_samples_leaf, n)
    nodes: dict = {"left": [-1], "right": [-1], "feature": [-2], "threshold": [-2.0],
                   "value": [np.bincount(yk, minlength=K)]}
    node_of = np.zeros(n, dtype=np.int64)
    open_, rows, depth = [0], np.arange(n), 0
    while open_ and len(rows):
        at_depth = max_depth is not None and depth >= max_depth
        ready = [nd for nd in open_ if not at_depth and nodes["value"][nd].sum() >= max(2, 2 * leaf)
                 and np.count_nonzero(nodes["value"][nd]) > 1]
        small = [nd for nd in ready if nodes["value"][nd].sum() < SMALL_NODE]
        if small:
            _graft_small(cols, yk, nodes, small, node_of, rows, leaf, None if max_depth is None else max_depth - depth)
            ready = [nd for nd in ready if nodes["value"][nd].sum() >= SMALL_NODE]
        if not ready:
            break
        lut = np.full(len(nodes["left"]), -1, dtype=np.int64)
        lut[ready] = np.arange(len(ready))
        local = lut[node_of[rows]]
        rows, local = rows[local >= 0], local[local >= 0]
        node_local = np.full(n, -1, dtype=np.int64)
        node_local[rows] = local
        level = _Level(cols, yk, K, rows if depth else None, local, len(ready), leaf)
        best, feat, kind, where = _best_splits(level, node_local)
        grouped = np.argsort(local, kind="stable")
        bounds = np.searchsorted(local[grouped], np.arange(len(ready) + 1))
        open_, keep = [], []
        for i, nd in enumerate(ready):
            if feat[i] < 0:
                continue
            r = rows[grouped[bounds[i]:bounds[i + 1]]]
            open_ += _split(cols, yk, K, nodes, nd, r, int(feat[i]), int(kind[i]), int(where[i]), node_of)
            keep.append(r)
        rows = np.concatenate(keep) if keep else rows[:0]
        depth += 1
    return ExactTree(classes, nodes["left"], nodes["right"], nodes["feature"], nodes["threshold"],
                     nodes["value"])


def _split(cols: Columns, yk, K: int, nodes: dict, nd: int, r: np.ndarray, f: int, kind: int, where: int,
           node_of: np.ndarray) -> list:
    """Split node ``nd`` (rows ``r``) on column ``f`` after bin ``where`` (``kind`` 0) or after sorted
    position ``where`` (``kind`` 1); record both children and move the rows into them."""
    xv = cols.A[r, f]
    if kind == 0:
        go_left = cols.codes[f, r] <= where
    else:
        go_left = xv <= cols.A[cols.order[f][where], f]
    x_left, x_right = xv[go_left].max(), xv[~go_left].min()
    children = []
    for side in (go_left, ~go_left):
        child = len(nodes["left"])
        for key, v in (("left", -1), ("right", -1), ("feature", -2), ("threshold", -2.0)):
            nodes[key].append(v)
        nodes["value"].append(np.bincount(yk[r[side]], minlength=K))
        node_of[r[side]] = child
        children.append(child)
    nodes["left"][nd], nodes["right"][nd] = children
    nodes["feature"][nd], nodes["threshold"][nd] = f, float(midpoint(x_left, x_right))
    return children


def _graft_small(cols: Columns, yk, nodes: dict, small: list, node_of: np.ndarray, rows: np.ndarray, leaf: int,
                 depth_left) -> None:
    """Grow each node of ``small`` with scikit-learn's CART on its own rows (leaves of ``leaf`` rows, at most
    ``depth_left`` more levels) and graft the subtree in place."""
    mine = np.isin(node_of[rows], small)
    r_all = rows[mine]
    grouped = r_all[np.argsort(node_of[r_all], kind="stable")]
    bounds = np.searchsorted(node_of[grouped], small, side="left"), np.searchsorted(node_of[grouped], small, side="right")
    K = len(nodes["value"][0])
    for nd, a, b in zip(small, *bounds):
        r = grouped[a:b]
        sk = DecisionTreeClassifier(min_samples_leaf=leaf, max_depth=depth_left, random_state=0)
        t = sk.fit(cols.A[r], yk[r]).tree_
        ids = [nd] + [len(nodes["left"]) + i for i in range(t.node_count - 1)]
        for key, v in (("left", -1), ("right", -1), ("feature", -2), ("threshold", -2.0)):
            nodes[key].extend([v] * (t.node_count - 1))
        for i in range(t.node_count):
            counts = np.zeros(K)
            counts[sk.classes_] = t.value[i][0] * t.weighted_n_node_samples[i] / t.value[i][0].sum()
            if i:
                nodes["value"].append(counts)
            if t.children_left[i] >= 0:
                nodes["left"][ids[i]], nodes["right"][ids[i]] = ids[t.children_left[i]], ids[t.children_right[i]]
                nodes["feature"][ids[i]], nodes["threshold"][ids[i]] = int(t.feature[i]), float(t.threshold[i])
