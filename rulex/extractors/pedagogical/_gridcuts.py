"""GridEx's (and GridREx's) cut selection: the features a cube is split on, chosen one after another on the cells
the features already chosen make (:func:`grid_cuts`), so that a second feature that only repeats
the first (breast_cancer's worst perimeter and worst area) is not chosen over one that separates
what the first leaves mixed."""
from __future__ import annotations

import numpy as np

from ._cube_oracle import _impurity, best_cuts

__all__ = ["grid_cuts"]


def _cell_pvalue(cells, side, y, regression, gain, scale=1.0):
    """p-value of cutting every cell of ``cells`` (ids) by ``side`` (bool), whose impurity decrease
    is ``gain`` (:func:`_gain`): classification, chi-square statistics summed over the cells;
    regression, F-test of the side means within the cells."""
    from scipy import stats
    stat, dof, groups = 0.0, 0, 0
    for c in np.unique(cells):
        m = cells == c
        yc, sc = y[m], side[m]
        if sc.all() or not sc.any():
            continue
        groups += 1
        if not regression:
            labels = np.unique(yc)
            if len(labels) < 2:
                continue
            table = np.array([[np.sum(yc[sc] == k) for k in labels], [np.sum(yc[~sc] == k) for k in labels]]) * scale
            s, _, d, _ = stats.chi2_contingency(table, correction=False)
            stat, dof = stat + float(s), dof + int(d)
    if groups == 0 or gain <= 1e-9:
        return 1.0
    if regression:
        resid = sum(_impurity(y[(cells == c) & side], True) + _impurity(y[(cells == c) & ~side], True)
                    for c in np.unique(cells))
        df2 = scale * len(y) - 2 * groups
        if df2 <= 0:
            return 1.0
        if resid <= 1e-12:
            return 0.0
        return float(stats.f.sf((gain / groups) / (resid / df2), groups, df2))
    return float(stats.chi2.sf(stat, dof)) if dof else 1.0


def grid_cuts(oracle, cube, X, y, k: int, alpha: float = 0.01, scale: float = 1.0):
    """Up to ``k`` cuts ``(gain, feature, how)`` for a cube's grid. The first is the best single cut
    (:func:`~._cube_oracle.best_cuts`); each next one is the feature and threshold (or category set) that
    most decrease the impurity within the cells of the cuts already chosen, kept only if that
    decrease is at least a tenth of the first cut's or of the impurity left in the cells (and 1 % of
    the cube's impurity), and significant within the cells (level
    ``alpha``)."""
    first = best_cuts(oracle, cube, X, y)
    if not first:
        return []
    chosen = [first[0]]
    while len(chosen) < k:
        cells = _cells(oracle, X, chosen)
        best = None
        for i, cols in enumerate(oracle.cols):
            if any(i == f for _, f, _ in chosen):
                continue
            for how, side in _candidates(oracle, cube, i, cols, X, y):
                gain = _gain(cells, side, y, oracle.regression)
                if best is None or gain > best[0] + 1e-12:
                    best = (gain, i, how, side)
        # worth a condition: a tenth of the first cut's gain, or a tenth of the impurity still left
        # in the cells (after a strong first cut, the cut that cleans up its mixed side gains little),
        # and in any case 1 % of the cube's impurity
        left = sum(_impurity(y[cells == c], oracle.regression) for c in np.unique(cells))
        if best is None or best[0] < max(0.1 * min(chosen[0][0], left), 0.01 * _impurity(y, oracle.regression)):
            break
        if _cell_pvalue(cells, best[3], y, oracle.regression, best[0], scale) >= alpha:
            break
        chosen.append(best[:3])
    return chosen


def _gain(cells, side, y, regression):
    """Impurity decrease of cutting every cell of ``cells`` by ``side``."""
    g = 0.0
    for c in np.unique(cells):
        m = cells == c
        yc, sc = y[m], side[m]
        if sc.all() or not sc.any():
            continue
        g += _impurity(yc, regression) - _impurity(yc[sc], regression) - _impurity(yc[~sc], regression)
    return g


def _cells(oracle, X, chosen):
    """Cell id of every point under the cuts ``chosen``."""
    cells = np.zeros(len(X), dtype=np.int64)
    for _, f, (kind, v) in chosen:
        cols = oracle.cols[f]
        side = np.isin(X[:, cols].argmax(axis=1), list(v)) if kind == "set" else X[:, cols[0]] <= v
        cells = cells * 2 + side
    return cells


def _candidates(oracle, cube, i, cols, X, y, max_candidates: int = 32):
    """``(how, left side)`` of every cut of feature ``i`` worth trying on the points ``X``."""
    if oracle.categorical[i]:
        allowed = sorted(cube.allowed[i])
        if len(allowed) < 2:
            return
        cat = X[:, cols].argmax(axis=1)
        major = np.bincount(y).argmax() if not oracle.regression else None
        score = {}
        for p in allowed:
            sel = y[cat == p]
            score[p] = (np.inf if len(sel) == 0 else float(np.mean(sel)) if oracle.regression
                        else -float(np.mean(sel == major)))
        order = sorted(allowed, key=lambda p: (score[p], p))
        for j in range(1, len(order)):
            left = frozenset(order[:j])
            yield ("set", left), np.isin(cat, list(left))
        return
    x = X[:, cols[0]]
    u = np.unique(x)
    mids = (u[:-1] + u[1:]) / 2
    mids = mids[(mids > cube.lo[i]) & (mids < cube.hi[i])]
    if len(mids) > max_candidates:
        mids = np.unique(np.quantile(mids, np.linspace(0, 1, max_candidates)))
    for t in mids:
        yield ("cut", float(t)), x <= t
