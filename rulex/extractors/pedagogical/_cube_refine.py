"""Pruning and bound refinement of the hyper-cube family's grown cubes (ITER, GridEx, GridREx, CReEPy):
:func:`prune_and_refine`, :func:`refine`.

Growth places a cube's bounds where its own points change (GridEx's cuts, ITER's grid steps,
CReEPy's cluster boxes, the latter cut halfway to the nearest point *outside* the cluster, so a
cluster box is as tight as its members). Once pruning has chosen the cubes, each bound is moved,
one at a time, to the position where the ordered list agrees most with the network on the
training rows, the other cubes and bounds fixed (a bound may also be dropped, or a category added
or removed), while some move gains a row. Each move is exact: for one bound, every
candidate position is scored at once from the rows sorted along that feature (the rows the cube
could take and, for each, whether the cube's answer or the answer they get without the cube is
right), so a move costs a sort per bound; the move that gains the most is made first (moving
one bound at a time in a fixed order can shrink a cube onto a few rows before the bound that
mattered is reached).
"""
from __future__ import annotations

import numpy as np

from ._cube_oracle import constant_output, prune

__all__ = ["agreement", "prune_and_refine", "refine", "validated"]


def prune_and_refine(oracle, cubes, default, *, max_rules: int, min_gain: float, how):
    """The grown cubes pruned to at most ``max_rules`` (:func:`._cube_oracle.prune`), then, if ``how``,
    their bounds refined (:func:`refine`), pruned again and kept if :func:`validated` says so.
    ``how="auto"``: refine only when ``max_rules``, not ``min_gain``, decided how many cubes are left
    (the pruning by ``min_gain`` alone that tells is run for "auto" only)."""
    kept, kept_default = prune(oracle, cubes, default, max_rules=max_rules, min_gain=min_gain)
    if how == "auto":
        free = prune(oracle, cubes, default, max_rules=len(cubes), min_gain=min_gain)
        how = len(free[0]) > len(kept)
    if how:
        after = prune(oracle, *refine(oracle, kept, kept_default), max_rules=max_rules, min_gain=min_gain)
        kept, kept_default = validated(oracle, (kept, kept_default), after)
    return kept, kept_default


def refine(oracle, cubes, default, *, max_moves: int = 50):
    """Move the bounds of ``cubes`` (``(cube, output, n_train)``, in order) to raise the ordered
    list's agreement with the network on the training rows: at most ``max_moves`` times, the one
    move (of one bound of one cube) that gains the most, the default re-chosen after every move. Cubes with a linear-model output are returned unchanged. Returns ``(cubes, default)``."""
    if not cubes or any(not constant_output(o) for _, o, _ in cubes):
        return list(cubes), default
    cubes = [(c.copy(), o, n) for c, o, n in cubes]
    X, y = oracle.X, oracle.y
    reg = oracle.regression
    outs = np.array([o for _, o, _ in cubes], dtype=np.float64)

    def good(pred):
        """Per row: agreement with the network (regression: minus the squared error)."""
        return -(pred - y) ** 2 if reg else (pred == y).astype(np.float64)

    def best_default(free):
        rest = y[free]
        if not len(rest):
            return default
        if reg:
            return float(np.mean(rest))
        return int(np.argmax(np.bincount(rest, minlength=len(oracle.net.classes))))

    def free_rows(member):
        free = np.ones(len(y), dtype=bool)
        for m in member:
            free &= ~m
        return free

    member = [oracle.contains(c, X) for c, _, _ in cubes]
    dflt = best_default(free_rows(member))
    for _ in range(int(max_moves)):
        oracle.budget.check("refining the cubes' bounds")
        best = None
        for k in range(len(cubes)):
            taken = np.zeros(len(y), dtype=bool)
            for j in range(k):
                taken |= member[j]
            # the answer every row gets without cube k: a later cube's, else the default
            without = np.full(len(y), float(dflt))
            left = ~taken
            for j in range(k + 1, len(cubes)):
                without[left & member[j]] = outs[j]
                left &= ~member[j]
            delta = good(np.full(len(y), outs[k])) - good(without)
            for i, cols in enumerate(oracle.cols):
                for side in (("allowed",) if oracle.categorical[i] else ("lo", "hi")):
                    trial = cubes[k][0].copy()
                    if side == "allowed":
                        trial.allowed[i] = frozenset(range(len(cols)))
                    else:
                        getattr(trial, side)[i] = -np.inf if side == "lo" else np.inf
                    open_ = ~taken & oracle.contains(trial, X)       # rows cube k takes for some bound
                    move = _best_bound(oracle, cubes[k][0], i, side, X[open_], delta[open_])
                    if move is not None and (best is None or move[0] > best[0] + 1e-9):
                        best = (move[0], k, i, side, move[1])
        if best is None:
            break
        _, k, i, side, new = best
        c = cubes[k][0].copy()
        if side == "allowed":
            c.allowed[i] = new
        else:
            getattr(c, side)[i] = new
        cubes[k] = (c, cubes[k][1], cubes[k][2])
        member[k] = oracle.contains(c, X)
        dflt = best_default(free_rows(member))
    free = np.ones(len(y), dtype=bool)
    out = []
    for c, o, _ in cubes:
        m = oracle.contains(c, X)
        out.append((c, o, int((free & m).sum())))
        free &= ~m
    return out, dflt


def _best_bound(oracle, cube, i, side, Xo, delta, tol=1e-9):
    """``(gain, position)``: the position of ``cube``'s bound ``side`` on feature ``i`` that
    maximises the summed ``delta`` of the rows ``Xo`` it lets in (rows the cube could take once
    that bound is free) and its gain over the current one, or None when none beats the current one
    (a bound that lets no row in is never chosen). Ties: dropping the bound, else the middle of the
    best stretch between training values."""
    cols = oracle.cols[i]
    if side == "allowed":
        cat = Xo[:, cols].argmax(axis=1) if len(Xo) else np.zeros(0, dtype=int)
        gain = {p: float(delta[cat == p].sum()) for p in range(len(cols))}
        cur = cube.allowed[i]
        score = sum(gain[p] for p in cur)
        best = None
        for p in range(len(cols)):
            trial = cur - {p} if p in cur else cur | {p}
            if not trial:
                continue
            s = score - gain[p] if p in cur else score + gain[p]
            holds = bool(np.isin(cat, list(trial)).any())      # never a category set without rows
            if holds and s > score + tol and (best is None or s > best[0] + tol):
                best = (s, frozenset(trial))
        return None if best is None else (best[0] - score, best[1])
    x = Xo[:, cols[0]]
    cur = getattr(cube, side)[i]
    if not len(x):
        return None
    order = np.argsort(x, kind="stable")
    xs, ds = x[order], delta[order]
    u, first = np.unique(xs, return_index=True)
    sums = np.add.reduceat(ds, first)                 # summed delta per distinct value
    if side == "hi":                                  # rows x <= t are in: prefix sums
        # position p: the first p distinct values are in (t between u[p-1] and u[p]); p = len(u): no bound
        scores = np.concatenate([[0.0], np.cumsum(sums)])
    else:                                             # rows x > t are in: suffix sums
        # position p: the distinct values from p on are in; p = 0: no bound
        scores = np.concatenate([np.cumsum(sums[::-1])[::-1], [0.0]])
    def bound(p):
        return (u[p - 1] + u[p]) / 2 if 0 < p < len(u) else (-np.inf if p == 0 else np.inf)
    empty = 0 if side == "hi" else len(u)              # the position that lets no row in
    scores[empty] = -np.inf
    p_cur = min(int(np.searchsorted(u, cur, side="right")), len(u))
    top = float(scores.max())
    if not np.isfinite(top) or top <= float(scores[p_cur]) + tol:
        return None
    free_p = len(u) if side == "hi" else 0
    gain = top - float(scores[p_cur])
    if scores[free_p] >= top - tol:
        return gain, (np.inf if side == "hi" else -np.inf)
    best = np.flatnonzero(scores >= top - tol)
    # the middle of the longest stretch of best positions next to each other
    runs = np.split(best, np.flatnonzero(np.diff(best) > 1) + 1)
    run = max(runs, key=len)
    return gain, float((bound(int(run[0])) + bound(int(run[-1]))) / 2)


def agreement(oracle, cubes, default, X, y) -> float:
    """Agreement of the ordered ``cubes`` and ``default`` with the network's labels ``y`` of ``X``
    (regression: 1 - mean squared error / variance)."""
    pred = np.full(len(y), np.nan)
    free = np.ones(len(y), dtype=bool)
    for c, o, _ in cubes:
        m = free & oracle.contains(c, X)
        pred[m] = o
        free &= ~m
    pred[free] = default
    if oracle.regression:
        return 1.0 - float(np.mean((pred - y) ** 2)) / (float(np.var(y)) or 1.0)
    return float(np.mean(pred == y))


def validated(oracle, before, after):
    """``after`` (refined cubes and default) if it agrees with the network at least as well as
    ``before`` on fresh points near the data, else ``before``: perturbed copies of the training rows
    (one each, 0.3 standard deviations), labelled by the network and not used in the refinement."""
    if after[0] == before[0] or any(not constant_output(o) for _, o, _ in before[0] + after[0]):
        return after                  # nothing moved, or linear-model cubes (never refined)
    V = oracle.sampler.perturb(len(oracle.X), (), reference=oracle.X, scale=0.3)
    if not len(V):
        return after
    oracle.calls += len(V)
    yv = oracle.label(V)
    return after if agreement(oracle, *after, V, yv) >= agreement(oracle, *before, V, yv) - 1e-12 else before
