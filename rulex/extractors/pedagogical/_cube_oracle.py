"""Hyper-cubes on the network's inputs with the network as oracle: the machinery of ITER, GridEx,
GridREx and CReEPy/CREAM (:mod:`.hypercube`).

A :class:`Cube` bounds every feature of the schema: a numeric, integer, ordinal or binary feature
by an interval ``(lo, hi]`` of its encoded value (infinite bounds while the cube reaches the edge of
the data, so the cubes of a partition cover the whole input space, not only the training box), a
categorical feature by a set of its categories. A cube turns into encoded conditions that the
shared :class:`~rulex.extractors.sampling.Sampler` honours exactly and the base class decodes into
original units (categories by name).

:class:`Oracle` holds the training rows, the sampler and the network: ``points(cube)`` returns the
training rows inside the cube (with ``augment`` > 0, plus that many perturbed copies of each, as
ANN-DT draws them: a row plus Gaussian noise of 0.3 training standard deviations, truncated to the
cube) topped up to ``min_points`` with points drawn from the data's marginals truncated to the
cube (the data-support box, not a uniform box), all labelled by the network; every network call is counted. ``summary(cube, X, y)`` gives a cube's output (class,
mean or linear model) and its *diversity* (1 - share of the mode; the standard deviation or the
mean absolute error of the linear fit, relative to the network's output spread).
"""
from __future__ import annotations

import numpy as np

from ...rules import Condition, LinearModel, LinearTerm, Rule, RuleSet
from ..budget import WorkClock
from ..sampling import Sampler

__all__ = ["Cube", "Oracle", "best_cuts", "constant_output", "cubes_to_rules", "prune", "relevant"]


class Cube:
    """Per feature: ``lo``/``hi`` (encoded, continuous-like features) or ``allowed`` (categorical)."""

    __slots__ = ("allowed", "hi", "lo")

    def __init__(self, lo, hi, allowed):
        self.lo, self.hi, self.allowed = lo, hi, allowed

    def copy(self) -> Cube:
        return Cube(self.lo.copy(), self.hi.copy(), dict(self.allowed))

    def key(self):
        return (tuple(self.lo), tuple(self.hi), tuple(sorted((k, tuple(sorted(v))) for k, v in self.allowed.items())))


class Oracle:
    """The network on training rows and on sampled points, with the schema's features as cube axes."""

    def __init__(self, network, X, *, min_points: int, random_state, budget, augment: float = 0.0):
        self.net, self.X, self.min_points, self.budget = network, X, int(min_points), budget
        self.augment = float(augment)
        enc = network.encoder
        self.enc = enc
        self.features = list(enc.schema.features)
        self.cols = [list(enc.groups_[f.name]) for f in self.features]
        self.categorical = [f.kind == "categorical" for f in self.features]
        self.sampler = Sampler(enc, X, random_state=random_state)
        self.regression = network.task == "regression"
        self.y = self.label(X)
        self.calls = len(X)
        spread = float(np.std(self.y)) if self.regression else 1.0
        self.spread = spread if spread > 0 else 1.0

    # -- cubes ------------------------------------------------------------------------------
    def root(self) -> Cube:
        d = len(self.features)
        allowed = {i: frozenset(range(len(c))) for i, c in enumerate(self.cols) if self.categorical[i]}
        return Cube(np.full(d, -np.inf), np.full(d, np.inf), allowed)

    def contains(self, cube: Cube, X: np.ndarray) -> np.ndarray:
        m = np.ones(len(X), dtype=bool)
        for i, cols in enumerate(self.cols):
            if self.categorical[i]:
                allowed = cube.allowed[i]
                if len(allowed) < len(cols):
                    m &= X[:, [cols[p] for p in sorted(allowed)]].max(axis=1) > 0.5 if allowed else False
            else:
                x = X[:, cols[0]]
                if np.isfinite(cube.lo[i]):
                    m &= x > cube.lo[i]
                if np.isfinite(cube.hi[i]):
                    m &= x <= cube.hi[i]
        return m

    def conditions(self, cube: Cube) -> list:
        names = self.enc.input_names_
        out = []
        for i, cols in enumerate(self.cols):
            if self.categorical[i]:
                allowed = cube.allowed[i]
                if len(allowed) == 1:
                    out.append(Condition(names[cols[next(iter(allowed))]], ">", 0.5))
                else:
                    out.extend(Condition(names[cols[p]], "<=", 0.5) for p in range(len(cols)) if p not in allowed)
            else:
                if np.isfinite(cube.lo[i]):
                    out.append(Condition(names[cols[0]], ">", float(cube.lo[i])))
                if np.isfinite(cube.hi[i]):
                    out.append(Condition(names[cols[0]], "<=", float(cube.hi[i])))
        return out

    def empty(self, cube: Cube) -> bool:
        return any(c and not cube.allowed[i] for i, c in enumerate(self.categorical)) or bool(
            np.any(cube.lo >= cube.hi))

    # -- the network -------------------------------------------------------------------------
    def label(self, X: np.ndarray) -> np.ndarray:
        if self.regression:
            return np.asarray(self.net.predict_encoded(X), dtype=np.float64)
        return self.net.predict_index(X)

    def points(self, cube: Cube, where: str, exclude=()):
        """Training rows in ``cube`` (outside the cubes of ``exclude``) topped up with sampled points."""
        self.budget.check(where)
        mask = self.contains(cube, self.X)
        for e in exclude:
            mask &= ~self.contains(e, self.X)
        X, y = self.X[mask], self.y[mask]
        if self.augment > 0 and len(X) >= 5:
            # the network near the data: perturbed copies of the cube's rows (correlations kept)
            S = self.sampler.perturb(int(self.augment * len(X)), self.conditions(cube), reference=X, scale=0.3)
            for e in exclude:
                if len(S):
                    S = S[~self.contains(e, S)]
            if len(S):
                self.calls += len(S)
                X, y = np.vstack([X, S]), np.concatenate([y, self.label(S)])
        need = self.min_points - len(X)
        if need > 0 and not self.empty(cube):
            S = self.sampler.sample(need + need // 2, self.conditions(cube),
                                    reference=X if len(X) >= 5 else None)
            for e in exclude:
                if len(S):
                    S = S[~self.contains(e, S)]
            S = S[:need]
            if len(S):
                self.calls += len(S)
                X, y = np.vstack([X, S]), np.concatenate([y, self.label(S)])
        return X, y, int(mask.sum())

    def evidence(self, n_points: int, n_rows: int) -> float:
        """Share of a cube's ``n_points`` that count as evidence in a significance test: all but
        the perturbed copies of its ``n_rows`` training rows."""
        extra = int(self.augment * n_rows) if n_rows >= 5 else 0
        return min(1.0, max(n_rows, n_points - extra) / n_points) if n_points else 1.0

    # -- outputs -----------------------------------------------------------------------------
    def summary(self, X, y, linear=False):
        """``(output, diversity)`` of points labelled ``y``; ``(None, 0)`` without points."""
        if len(y) == 0:
            return None, 0.0
        if not self.regression:
            counts = np.bincount(y, minlength=len(self.net.classes))
            k = int(np.argmax(counts))
            return k, 1.0 - counts[k] / len(y)
        if linear and len(y) >= 3:
            from sklearn.linear_model import LinearRegression
            keep = np.flatnonzero(X.std(axis=0) > 0)
            model = LinearRegression().fit(X[:, keep], y)
            err = float(np.mean(np.abs(model.predict(X[:, keep]) - y)))
            names = self.enc.input_names_
            terms = [LinearTerm(names[j], float(c)) for j, c in zip(keep, model.coef_) if c != 0]
            return LinearModel(float(model.intercept_), terms), err / self.spread
        return float(np.mean(y)), float(np.std(y)) / self.spread

    def conclusion(self, output):
        if isinstance(output, LinearModel) or self.regression:
            return output
        return self.net.classes[int(output)]


class _Budget(WorkClock):
    """The wall clock, a safety net: the work is bounded by the cubes' counts (depth, ``max_rules``,
    ``min_points``); ``check`` raises when ``max_seconds`` has passed, naming it."""

    def __init__(self, method, max_seconds):
        super().__init__(method, max_seconds=max_seconds)

    def check(self, where):
        self.spend(1)
        if self.exhausted(where) is not None:
            raise self.error(f"{self.message()}, or use on_budget='partial' to keep the cubes finished so far")


def constant_output(output) -> bool:
    """A cube concluding one class or value (not a linear model)."""
    return isinstance(output, (int, float, np.integer, np.floating))


def _impurity(y, regression):
    if len(y) == 0:
        return 0.0
    if regression:
        return float(np.var(y)) * len(y)
    p = np.bincount(y) / len(y)
    return float(1.0 - np.sum(p * p)) * len(y)


def significant(left: np.ndarray, y: np.ndarray, regression: bool, alpha: float = 0.01, scale: float = 1.0) -> bool:
    """Whether the split ``left`` / not ``left`` of the labels ``y`` is unlikely under no effect
    (chi-square test of the class counts; regression: Welch's t-test of the two means). ``scale``
    < 1: the points count as that share of themselves (perturbed copies of rows are no new evidence)."""
    from scipy import stats
    a, b = y[left], y[~left]
    if len(a) < 2 or len(b) < 2:
        return False
    if regression:
        if np.std(a) == 0 and np.std(b) == 0:
            return bool(np.mean(a) != np.mean(b))
        return bool(stats.ttest_ind_from_stats(np.mean(a), np.std(a, ddof=1), max(2.0, scale * len(a)),
                                               np.mean(b), np.std(b, ddof=1), max(2.0, scale * len(b)),
                                               equal_var=False).pvalue < alpha)
    labels = np.unique(y)
    if len(labels) < 2:
        return False
    table = np.array([[np.sum(a == c) for c in labels], [np.sum(b == c) for c in labels]]) * float(scale)
    return bool(stats.chi2_contingency(table)[1] < alpha)


def best_cuts(oracle: Oracle, cube: Cube, X, y, max_candidates: int = 32, scale: float = 1.0):
    """Per feature, the best binary split of ``cube`` on the points ``(X, y)``: a list of
    ``(gain, feature, ("cut", t) or ("set", left categories))``, best first; only splits with a
    positive gain that pass :func:`significant` (greedy single-feature cuts cannot see a parity, and
    a cut on noise would only add wrong rules)."""
    base = _impurity(y, oracle.regression)
    out = []
    for i, cols in enumerate(oracle.cols):
        if oracle.categorical[i]:
            allowed = sorted(cube.allowed[i])
            if len(allowed) < 2:
                continue
            cat = X[:, cols].argmax(axis=1)
            score = {}
            for p in allowed:
                sel = y[cat == p]
                if len(sel) == 0:
                    score[p] = np.inf
                elif oracle.regression:
                    score[p] = float(np.mean(sel))
                else:
                    score[p] = -float(np.mean(sel == np.bincount(y).argmax()))
            order = sorted(allowed, key=lambda p: (score[p], p))
            best: tuple | None = None
            for k in range(1, len(order)):
                left = np.isin(cat, order[:k])
                gain = base - _impurity(y[left], oracle.regression) - _impurity(y[~left], oracle.regression)
                if best is None or gain > best[0] + 1e-12:
                    best = (gain, ("set", frozenset(order[:k])))
            if best and best[0] > 1e-9 and significant(np.isin(cat, list(best[1][1])), y, oracle.regression,
                                                           scale=scale):
                out.append((best[0], i, best[1]))
            continue
        x = X[:, cols[0]]
        u = np.unique(x)
        lo, hi = cube.lo[i], cube.hi[i]
        mids = (u[:-1] + u[1:]) / 2
        mids = mids[(mids > lo) & (mids < hi)]
        if not len(mids):
            continue
        if len(mids) > max_candidates:
            mids = np.unique(np.quantile(mids, np.linspace(0, 1, max_candidates)))
        idx = np.argsort(x, kind="stable")
        xs, ys = x[idx], y[idx]
        best = None
        for t in mids:
            k = int(np.searchsorted(xs, t, side="right"))
            gain = base - _impurity(ys[:k], oracle.regression) - _impurity(ys[k:], oracle.regression)
            if best is None or gain > best[0] + 1e-12:
                best = (gain, ("cut", float(t)))
        if best and best[0] > 1e-9 and significant(x <= best[1][1], y, oracle.regression, scale=scale):
            out.append((best[0], i, best[1]))
    out.sort(key=lambda t: (-t[0], t[1]))
    return out


def relevant(cuts, k):
    """The first ``k`` (None: all) of ``best_cuts``'s list whose gain is at least a tenth of the best
    one's: a feature that barely helps is not worth a condition."""
    if not cuts:
        return []
    top = cuts[0][0]
    out = [c for c in cuts if c[0] >= 0.1 * top]
    return out if k is None else out[:k]


def split(cube: Cube, feature: int, how) -> tuple:
    """The two halves of ``cube`` along ``feature`` (a cut on the encoded value, or a category set)."""
    a, b = cube.copy(), cube.copy()
    kind, v = how
    if kind == "cut":
        a.hi[feature] = v
        b.lo[feature] = v
    else:
        a.allowed[feature] = frozenset(v)
        b.allowed[feature] = frozenset(cube.allowed[feature] - v)
    return a, b


def cubes_to_rules(oracle: Oracle, cubes, default, *, task, classes, ordered_default_last=True):
    """``cubes``: list of ``(cube, output, n_train)`` in order. An ordered RuleSet in encoded space whose
    rules concluding the default (when it is a class) at the end of the list are dropped."""
    rules = [Rule(oracle.conditions(c), oracle.conclusion(o), provenance={"cube_train_rows": int(n)})
             for c, o, n in cubes]
    default = oracle.conclusion(default)
    while rules and not isinstance(default, LinearModel) and rules[-1].conclusion == default:
        rules.pop()
    return RuleSet(rules, default, semantics="ordered", task=task, classes=classes, space="encoded")


def stops(oracle: Oracle, n_steps: int) -> list:
    """Per continuous-like feature, the sorted cuts an ITER step moves between: every midpoint
    between observed values when there are at most ``n_steps`` values, else the midpoints nearest
    the training quantiles k / n_steps (so every step holds about the same share of the data)."""
    out: list = []
    for i, cols in enumerate(oracle.cols):
        if oracle.categorical[i]:
            out.append(None)
            continue
        x = oracle.X[:, cols[0]]
        u = np.unique(x)
        mids = (u[:-1] + u[1:]) / 2
        if len(u) > n_steps:
            q = np.quantile(x, np.arange(1, n_steps) / n_steps)
            idx = np.clip(np.searchsorted(u, q, side="right") - 1, 0, len(mids) - 1)
            mids = np.unique(mids[idx])
        out.append(np.asarray(mids, dtype=np.float64))
    return out


def adjacent(oracle: Oracle, a: Cube, b: Cube):
    """The feature along which ``a`` and ``b`` touch while equal on every other feature, else None."""
    diff = [i for i in range(len(oracle.cols))
            if (oracle.categorical[i] and a.allowed[i] != b.allowed[i])
            or (not oracle.categorical[i] and (a.lo[i] != b.lo[i] or a.hi[i] != b.hi[i]))]
    if len(diff) != 1:
        return None
    i = diff[0]
    if oracle.categorical[i]:
        return i if not a.allowed[i] & b.allowed[i] else None
    return i if a.hi[i] == b.lo[i] or b.hi[i] == a.lo[i] else None


def union(a: Cube, b: Cube, i: int, categorical: bool) -> Cube:
    c = a.copy()
    if categorical:
        c.allowed[i] = a.allowed[i] | b.allowed[i]
    else:
        c.lo[i], c.hi[i] = min(a.lo[i], b.lo[i]), max(a.hi[i], b.hi[i])
    return c


def prune(oracle: Oracle, cubes, default, *, max_rules: int, min_gain: float, swaps: bool = True):
    """Backward elimination of the ordered ``cubes`` (``(cube, output, n_train)``) on the network's
    labels of the training rows: the cube whose removal costs the least agreement (classification:
    share of rows on which first-matching cube or default gives the network's class; regression
    with constant outputs: 1 - mean squared error / variance) is dropped while that cost is at most
    ``min_gain`` or more than ``max_rules`` cubes remain; after every removal the default becomes
    the best answer on the rows no cube takes. Then (``swaps``) a kept cube is exchanged for a removed
    one while that raises the agreement. Cubes with a linear-model output are kept as they are.
    Returns ``(cubes, default)``."""
    cubes = list(cubes)
    if not cubes or any(not constant_output(o) for _, o, _ in cubes):
        return cubes, default
    X, y = oracle.X, oracle.y
    member = np.array([oracle.contains(c, X) for c, _, _ in cubes])
    outs = np.array([o for _, o, _ in cubes], dtype=np.float64)
    var = float(np.var(y)) if oracle.regression else 1.0
    var = var if var > 0 else 1.0

    def score(active):
        """(agreement, default) of the cubes ``active`` (indices, in order) and the best default."""
        pred = np.full(len(y), np.nan)
        free = np.ones(len(y), dtype=bool)
        for k in active:
            take = free & member[k]
            pred[take] = outs[k]
            free &= ~member[k]
        rest = y[free]
        if oracle.regression:
            d = float(np.mean(rest)) if len(rest) else float(default)
            pred[free] = d
            return 1.0 - float(np.mean((pred - y) ** 2)) / var, d
        if len(rest):
            counts = np.bincount(rest, minlength=len(oracle.net.classes))
            d = int(np.argmax(counts))
        else:
            d = int(default)
        pred[free] = d
        return float(np.mean(pred == y)), d

    active = list(range(len(cubes)))
    cur, best_default = score(active)
    while active:
        oracle.budget.check("pruning the cubes")
        trials = []
        for k in active:
            s, d = score([j for j in active if j != k])
            # the least costly first; on a tie the cube holding fewer training rows, then the later one
            trials.append((-s, cubes[k][2], -k, k, s, d))
        _, _, _, k, s, d = min(trials)
        if cur - s > min_gain + 1e-12 and len(active) <= max_rules:
            break
        active.remove(k)
        cur, best_default = s, d
    if swaps:
        # greedy removal can drop a cube that another pair needed: swap a kept cube for a removed
        # one (in its place in the order) while that raises the agreement
        while True:
            oracle.budget.check("pruning the cubes")
            best = None
            for a in active:
                for b in (j for j in range(len(cubes)) if j not in active):
                    trial = sorted([j for j in active if j != a] + [b])
                    s, d = score(trial)
                    if s > cur + 1e-12 and (best is None or s > best[0] + 1e-12):
                        best = (s, d, trial)
            if best is None:
                break
            cur, best_default, active = best
    if oracle.regression:
        return [cubes[k] for k in active], float(best_default)
    return [cubes[k] for k in active], int(best_default)


def split_default(oracle: Oracle, leaves):
    """Disjoint leaves -> (ordered cubes, default): the most common output (classification: by
    cubes, then training rows) becomes the default and its cubes are left out; largest first."""
    if not leaves:
        return [], oracle.summary(oracle.X, oracle.y)[0]
    leaves = sorted(leaves, key=lambda t: -t[2])
    if oracle.regression:
        if isinstance(leaves[0][1], float):
            return leaves[1:], leaves[0][1]
        return leaves, None
    tally: dict = {}
    for _, o, n in leaves:
        c, r = tally.get(o, (0, 0))
        tally[o] = (c + 1, r + n)
    default = max(tally, key=lambda o: (tally[o], -o))
    return [t for t in leaves if t[1] != default], default


def relax(oracle: Oracle, cube: Cube, inner: Cube, X, y) -> Cube:
    """Drop every bound of ``inner`` (back to the node's) that does not make it less homogeneous on
    the node's points: a cluster's bounding box bounds every feature, most of them needlessly."""
    def div(c):
        m = oracle.contains(c, X)
        return oracle.summary(X[m], y[m])[1] if m.any() else np.inf
    base = div(inner)
    for i in range(len(oracle.cols)):
        if oracle.categorical[i]:
            sides = ["allowed"] if inner.allowed[i] != cube.allowed[i] else []
        else:
            sides = [s for s in ("lo", "hi") if getattr(inner, s)[i] != getattr(cube, s)[i]]
        for side in sides:
            trial = inner.copy()
            if side == "allowed":
                trial.allowed[i] = cube.allowed[i]
            else:
                getattr(trial, side)[i] = getattr(cube, side)[i]
            d = div(trial)
            if d <= base + 1e-9:
                inner, base = trial, d
    return inner


def slabs(oracle: Oracle, cube: Cube, grid):
    """Candidate growth steps ``(feature, side, slab, full)`` next to the cube (a side is "up", "down"
    or a category to add; ``full`` is the slab to the edge of the space, or None)."""
    for i, cols in enumerate(oracle.cols):
        if oracle.categorical[i]:
            for p in range(len(cols)):
                if p not in cube.allowed[i]:
                    slab = cube.copy()
                    slab.allowed[i] = frozenset([p])
                    yield i, p, slab, None
            continue
        g = grid[i]
        if np.isfinite(cube.hi[i]):
            slab = cube.copy()
            k = int(np.searchsorted(g, cube.hi[i], side="right"))
            slab.lo[i], slab.hi[i] = cube.hi[i], (g[k] if k < len(g) else np.inf)
            full = None
            if np.isfinite(slab.hi[i]):
                full = slab.copy()
                full.hi[i] = np.inf
            yield i, "up", slab, full
        if np.isfinite(cube.lo[i]):
            slab = cube.copy()
            k = int(np.searchsorted(g, cube.lo[i], side="left"))
            slab.lo[i], slab.hi[i] = (g[k - 1] if k > 0 else -np.inf), cube.lo[i]
            full = None
            if np.isfinite(slab.lo[i]):
                full = slab.copy()
                full.lo[i] = -np.inf
            yield i, "down", slab, full
