"""CRED's and DeepRED's intermediate trees on a growing sample, stopped once doubling it settles nothing.

Every intermediate tree of CRED and DeepRED (hidden layer -> class, inputs -> clause, inputs ->
interval, layer below -> term) is a CART tree whose leaves are a *share* of the rows
(``min_samples_leaf=0.005``): it has about the same number of leaves on 10,000 rows as on 200,000,
and more rows only sharpen the estimates its splits are chosen on. So, above ``4 * sample_rows``
rows, the tree is learned by progressive sampling (Provost, Jensen & Oates 1999): on a seeded random
``sample_rows`` of the rows, then on twice as many (the first rows again plus as many new ones), and
so on; as soon as doubling the sample makes the tree agree with its target on no more than a share
``tolerance`` of *all* the rows more than before, the larger tree is returned -- the learning curve
is flat: what the extra rows change in the split decisions no longer changes what the tree says.
If it never flattens, the last tree is learned on every row, which is the tree of :func:`tree_dnf`
itself. At or below ``4 * sample_rows`` rows (every exact-concept test:
MONK, XOR) nothing changes: one tree on every row.

Above ``FAST_ROWS`` rows a tree is grown by :mod:`._exact_cart` instead of scikit-learn: the same CART
(the best Gini split at every node, the same thresholds), found on columns sorted and binned once and
shared by every tree learned on the same rows (``columns``), several times faster on many rows; only
which of two equally good splits is taken may differ. At or below it, every tree is scikit-learn's.

The comparison is exact, not estimated: each tree labels every extraction row (a tree's
prediction is one pass through at most its depth of comparisons per row). An absolute leaf size
(an int ``min_samples_leaf``) is scaled to the sample, so the trees compared have the capacity of
the full one.
"""
from __future__ import annotations

import numbers

import numpy as np
from sklearn.tree import DecisionTreeClassifier

from ._dnf_composition import cart_dnf, tree_dnf
from ._exact_cart import Columns, fit_tree
from ._pruned_cart import Presorted, fit_wanted

__all__ = ["FAST_ROWS", "SAMPLE_ROWS", "TOLERANCE", "TreeLog", "settled_tree_dnf"]

#: DeepRED's default first sample of its intermediate trees (``tree_sample_rows``)
SAMPLE_ROWS = 5_000
#: default share of the rows on which two consecutive trees may disagree (``tree_tolerance``)
TOLERANCE = 0.002
#: a tree on more rows than this is grown on presorted, binned columns (:mod:`._exact_cart`)
FAST_ROWS = 20_000


class TreeLog:
    """What the intermediate trees of one extraction were learned on, for the provenance."""

    def __init__(self):
        self.trees = 0
        self.sampled = 0
        self.rows: list = []

    def add(self, rows: int, n: int):
        self.trees += 1
        self.sampled += rows < n
        self.rows.append(rows)

    def provenance(self) -> dict:
        return {"intermediate_trees_fitted": self.trees, "trees_on_a_sample": self.sampled,
                "largest_tree_rows": max(self.rows, default=0)}


def _sizes(n: int, first: int) -> list:
    sizes = []
    m = first
    while m < n:
        sizes.append(m)
        m *= 2
    return sizes + [n]


def _fit(A32: np.ndarray, rows, y: np.ndarray, *, leaf, max_depth, random_state, columns: dict | None, key):
    """One CART tree on ``A32[rows]``: scikit-learn's, or above ``FAST_ROWS`` rows the same tree grown on
    presorted columns, kept in ``columns[(key, number of rows)]`` for the next tree on the same rows."""
    m = len(y)
    cols = None if columns is None or key is None else columns.get((key, m))
    if cols is None and m > FAST_ROWS:
        X = A32[rows]
        cols = Columns(X) if not np.isnan(X).any() else False     # missing values: scikit-learn's handling
        if columns is not None and key is not None:
            columns[(key, m)] = cols
    if not cols:
        return DecisionTreeClassifier(min_samples_leaf=leaf, max_depth=max_depth,
                                      random_state=random_state).fit(A32[rows], y)
    return fit_tree(cols, y, min_samples_leaf=leaf, max_depth=max_depth)


def _fit_sample(A32: np.ndarray, rows: np.ndarray, y: np.ndarray, *, leaf, max_depth, random_state,
                columns: dict | None, key, wanted):
    """One tree on the sample ``A32[rows]``: with ``wanted`` (a boolean target of which only that label's leaves
    are read) :func:`._pruned_cart.fit_wanted` on the sample's columns sorted once (kept in ``columns`` for
    the next tree on the same sample), the same wanted leaves and predictions as the full tree; else :func:`_fit`."""
    if wanted is None or y.dtype != bool:
        return _fit(A32, rows, y, leaf=leaf, max_depth=max_depth, random_state=random_state, columns=columns,
                    key=key)
    P = None if columns is None or key is None else columns.get(("presorted", key, len(rows)))
    if P is None:
        P = Presorted(A32[rows])
        if columns is not None and key is not None:
            columns[("presorted", key, len(rows))] = P
    if P.has_nan:                           # missing values: scikit-learn's handling
        return _fit(A32, rows, y, leaf=leaf, max_depth=max_depth, random_state=random_state, columns=columns,
                    key=key)
    return fit_wanted(P, y, wanted=bool(wanted), min_samples_leaf=leaf, max_depth=max_depth)


def _labels(y: np.ndarray) -> np.ndarray:
    """``np.unique(y)`` without sorting every row when the labels are booleans or small integers."""
    if y.dtype == bool:
        return np.array([v for v in (False, True) if np.any(y == v)], dtype=bool)
    if np.issubdtype(y.dtype, np.integer) and len(y) and y.min() >= 0 and y.max() < 65536:
        return np.flatnonzero(np.bincount(y)).astype(y.dtype)
    return np.unique(y)


def _sample(n: int, m: int, random_state, columns: dict | None) -> np.ndarray:
    """The sorted first ``m`` rows of the seeded permutation of ``n`` rows (the sample of every tree on ``n``
    rows; kept in ``columns`` when given, so it is drawn once per extraction, not per tree)."""
    key = ("sample", n, m, random_state)
    rows = None if columns is None else columns.get(key)
    if rows is None:
        rows = np.sort(np.random.default_rng(random_state).permutation(n)[:m])
        if columns is not None:
            columns[key] = rows
    return rows


def _predict(tree, A32: np.ndarray) -> np.ndarray:
    """``tree.predict(A32)``; for scikit-learn's tree, its leaves' labels read off ``tree_.apply`` (the same
    labels, without validating the same 200k-row matrix again for every tree)."""
    if isinstance(tree, DecisionTreeClassifier):
        leaf_label = tree.classes_[np.argmax(tree.tree_.value[:, 0, :], axis=1)]
        return leaf_label[tree.tree_.apply(A32)]
    return tree.predict(A32)


def settled_tree_dnf(A: np.ndarray, y: np.ndarray, names, *, min_samples_leaf, max_depth, random_state,
                     sample_rows: int | None, tolerance: float, log: TreeLog | None = None,
                     columns: dict | None = None, key=None, wanted=None) -> dict:
    """:func:`tree_dnf` of ``(A, y)``, learned on the smallest doubling of a ``sample_rows`` sample past which
    the tree's agreement with ``y`` on all rows stops growing (see the module's docstring); ``sample_rows=None`` or
    ``len(A) <= 4 * sample_rows``: on every row, exactly :func:`tree_dnf` up to ``FAST_ROWS`` rows.
    ``columns`` (a dict the caller keeps for one extraction) and ``key`` (naming ``A`` in it) share the
    sorted columns of the rows between the trees learned on the same ``A``. ``wanted`` (a label of a boolean
    ``y``): only that label's conjunctions will be read, so a tree on a sample grows only where a leaf of that
    label can arise (:mod:`._pruned_cart`): the same wanted conjunctions and the same predictions, the other
    label's conjunctions coarser (fewer, describing the same rows)."""
    n = len(y)
    if sample_rows is None or n <= 4 * sample_rows:       # below, the doublings would cost more than one tree
        if log is not None:
            log.add(n, n)
        labels = _labels(y) if n > FAST_ROWS else None
        if labels is None or len(labels) == 1:
            return tree_dnf(A, y, names, min_samples_leaf=min_samples_leaf, max_depth=max_depth,
                            random_state=random_state)
        tree = _fit(np.ascontiguousarray(A, dtype=np.float32), slice(None), y, leaf=min_samples_leaf,
                    max_depth=max_depth, random_state=random_state, columns=columns, key=key)
        return cart_dnf(tree, names, labels)
    labels = _labels(y)
    A32 = np.ascontiguousarray(A, dtype=np.float32)     # what CART reads anyway: converted once, not per tree
    previous = None
    for m in _sizes(n, int(sample_rows)):
        if m == n:
            tree = _fit(A32, slice(None), y, leaf=min_samples_leaf, max_depth=max_depth, random_state=random_state,
                        columns=columns, key=key)
            break
        rows = _sample(n, m, random_state, columns)
        leaf = min_samples_leaf
        if isinstance(leaf, numbers.Integral):
            leaf = max(1, int(round(leaf * m / n)))
        tree = _fit_sample(A32, rows, y[rows], leaf=leaf, max_depth=max_depth, random_state=random_state,
                           columns=columns, key=key, wanted=wanted)
        wrong = int(np.count_nonzero(_predict(tree, A32) != y))
        if previous is not None and previous - wrong <= tolerance * n:
            break
        previous = wrong
    if log is not None:
        log.add(m, n)
    return cart_dnf(tree, names, labels)
