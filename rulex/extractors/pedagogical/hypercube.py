"""The hyper-cube family with the network as oracle: ITER, GridEx, GridREx and CReEPy/CREAM.

All four cut the input space into boxes (categorical features: sets of categories) and give each
box the network's answer there, on the training rows inside it topped up with points the shared
sampler draws from the data's marginals truncated to the box (:mod:`._cube_oracle`). Compared with
PSyKE's implementations (ALGORITHMS-2 §7), the cubes here

* cover the whole input space (a box reaching the edge of the data is unbounded on that side, and
  the ordered list ends with a default), so no row is left without an answer;
* are cut where the network's answer changes (the best split per feature on the oracle's labels),
  and GridEx/GridREx split only the ``n_features`` most relevant features of each cube, not a
  fixed grid over all inputs (2^30 cubes on breast_cancer);
* are sampled inside the data's support, every network call counted (``provenance["oracle_calls"]``),
  GridEx's and CReEPy's points including perturbed copies of the rows (``augment``);
* are pruned to an ordered subset (greedy removal, then swaps), and CReEPy's bounds refined
  (:mod:`._cube_refine`);
* are deterministic under ``random_state`` (one generator, no global seed; work bounded by counts),
  with ``max_seconds`` a safety net (a cut says so) and ``on_budget`` like the decompositional methods.

Rules are built on the network's inputs and decoded into original units by the base class.
"""
from __future__ import annotations

import warnings

import numpy as np

from ...exceptions import BudgetExceededError, PartialResultWarning
from ..base import Interval, Options, PedagogicalExtractor, register
from ..budget import SAFETY_SECONDS
from ._gridcuts import grid_cuts
from ._cube_refine import prune_and_refine
from ._cube_oracle import (
    Oracle,
    _Budget,
    adjacent,
    best_cuts,
    cubes_to_rules,
    relevant,
    relax,
    slabs,
    split,
    split_default,
    stops,
    union,
)

__all__ = ["ITER", "CReEPy", "GridEx", "GridREx"]

_MIN_GAIN = 0.01     # a cube must add more than 1 % agreement on the training rows to be kept

_CLUSTER_ROWS = 1000  # CReEPy: training rows a node's mixtures are fitted on, at most

_COMMON = {
    "threshold": [Interval(float, 0.0, 1.0)],
    "min_points": [Interval(int, 1, None)],
    "max_rules": [Interval(int, 0, None)],
    "min_gain": [Interval(float, 0.0, 1.0)],
    "max_rows": [Interval(int, 10, None), None],
    "max_seconds": [Interval(float, 0.0, None), None],
    "on_budget": [Options(("error", "partial"))],
    "random_state": [Interval(int, 0, None), None],
}


class _Growth:
    """What one fit's growth has made so far: ``done``, the (cube, output, training rows) finished,
    in rule order (the partial result on a budget overrun), and ``splits``, CReEPy's nodes split."""

    def __init__(self):
        self.done, self.splits = [], 0


class _HyperCube(PedagogicalExtractor):
    """Shared set-up: the oracle, the budget, the partial result on a budget overrun, provenance."""

    supports_regression = True
    _linear = False
    _grow_at_least = 32        # cubes grown before pruning, whatever ``max_rules`` (ITER: 16)
    augment = 0.0              # perturbed copies per row, and refinement after pruning: parameters of
    refine = False             # GridEx, GridREx and CReEPy; ITER, which has neither, uses these

    def _grow(self) -> int:
        """How many cubes to grow: pruning then keeps the best ``max_rules`` of them."""
        return max(int(self.max_rules), self._grow_at_least)

    def _extract(self, network, dataset, X):
        budget = _Budget(self.name, self.max_seconds)
        if self.max_rows is not None and len(X) > self.max_rows:
            # a large set: grow the cubes on a seeded random subset of the training rows
            keep = np.random.default_rng(self.random_state).choice(len(X), int(self.max_rows), replace=False)
            X = X[np.sort(keep)]
        oracle = Oracle(network, X, min_points=self.min_points, random_state=self.random_state, budget=budget,
                        augment=self.augment)
        growth = _Growth()
        complete, pruned = True, 0
        try:
            cubes, default = self._cubes(oracle, growth)
        except BudgetExceededError as exc:
            if self.on_budget == "error":
                raise
            complete = False
            warnings.warn(f"{exc}. Returning the {len(growth.done)} cube(s) finished (on_budget='partial')",
                          PartialResultWarning, stacklevel=3)
            cubes, default = list(growth.done), oracle.summary(oracle.X, oracle.y)[0]
        if complete:
            n_found = len(cubes)
            cubes, default = prune_and_refine(oracle, cubes, default, max_rules=int(self.max_rules),
                                              min_gain=float(self.min_gain), how=self.refine)
            pruned = n_found - len(cubes)
        if self._linear and network.task == "regression":
            default = float(np.mean(oracle.y))     # a linear cube everywhere; a constant default
        classes = network.classes if network.task == "classification" else ()
        rules = cubes_to_rules(oracle, cubes, default, task=network.task, classes=classes)
        return rules, {"complete": complete, "oracle_calls": int(oracle.calls), "rows_used": len(X),
                       "cubes_pruned": int(pruned), "sampler": dict(oracle.sampler.stats), **budget.provenance()}


# -- GridEx / GridREx ---------------------------------------------------------------------------------
class _Grid(_HyperCube):
    """GridEx's iterations: split every cube whose diversity is above ``threshold`` on its
    ``n_features`` most relevant features (boundary cuts), then merge adjacent children that
    agree (same class; or a merged diversity under ``threshold``)."""

    def _cubes(self, oracle, growth):
        root = oracle.root()
        frontier = [self._scored(oracle, root)]
        leaves = []
        for depth in range(int(self.depth)):
            nxt = []
            for cube, out, div, n, X, y in frontier:
                # the whole space is always split once, as in GridEx (its surrounding cube's diversity
                # is preset above the threshold)
                small = div <= self.threshold and depth > 0
                if small or len(y) < 4 or len(leaves) + len(nxt) + len(frontier) >= self._grow():
                    leaves.append((cube, out, div, n, X, y))
                    growth.done.append((cube, out, n))
                    continue
                cuts = grid_cuts(oracle, cube, X, y, int(self.n_features), scale=oracle.evidence(len(y), n))
                if not cuts:
                    leaves.append((cube, out, div, n, X, y))
                    growth.done.append((cube, out, n))
                    continue
                children = [cube]
                for _, f, how in cuts:
                    children = [h for c in children for h in split(c, f, how)]
                scored = [self._scored(oracle, c, f"splitting a cube at depth {depth + 1}") for c in children]
                undo = cube.key() if depth == 0 else None     # the first split is never merged away
                nxt.extend(self._merge(oracle, [s for s in scored if s[1] is not None], forbid=undo,
                                       final=depth == int(self.depth) - 1))
            frontier = nxt
            if not frontier:
                break
        leaves.extend(frontier)
        return split_default(oracle, [(c, o, n) for c, o, _, n, _, _ in leaves])

    def _scored(self, oracle, cube, where="scoring the first cube"):
        X, y, n = oracle.points(cube, where)
        out, div = oracle.summary(X, y, linear=self._linear)
        return cube, out, div, n, X, y

    def _merge(self, oracle, items, forbid=None, final=True):
        """Greedy merging of adjacent cubes, the most similar pair first (never into ``forbid``).

        Classification: cubes with the same class merge; before the last iteration only if the
        merged cube is homogeneous (diversity at most ``threshold``), so that a mixed region is not
        merged back into one cube whose best single cut is weak (MONK-1's a1 = a2) and never split."""
        items = list(items)
        while True:
            best = None
            for a in range(len(items)):
                for b in range(a + 1, len(items)):
                    f = adjacent(oracle, items[a][0], items[b][0])
                    if f is None or (forbid is not None and
                                     union(items[a][0], items[b][0], f, oracle.categorical[f]).key() == forbid):
                        continue
                    X = np.vstack([items[a][4], items[b][4]])
                    y = np.concatenate([items[a][5], items[b][5]])
                    if not oracle.regression:
                        if items[a][1] != items[b][1]:
                            continue
                        out, div = oracle.summary(X, y)
                        if not final and div > self.threshold:
                            continue
                    else:
                        out, div = oracle.summary(X, y, linear=self._linear)
                        if div > self.threshold:
                            continue
                    if best is None or div < best[0] - 1e-12:
                        best = (div, a, b, f, out, X, y)
            if best is None:
                return items
            div, a, b, f, out, X, y = best
            cube = union(items[a][0], items[b][0], f, oracle.categorical[f])
            merged = (cube, out, div, items[a][3] + items[b][3], X, y)
            items = [it for k, it in enumerate(items) if k not in (a, b)] + [merged]


_GRID_PARAMS = dict(_COMMON, depth=[Interval(int, 1, 8)], n_features=[Interval(int, 1, 8)],
                    augment=[Interval(float, 0.0, 10.0)], refine=[bool, Options(("auto",))])


@register
class GridEx(_Grid):
    """GridEx (Sabbatini et al. 2021) with adaptive, boundary-driven splits.

    Parameters
    ----------
    depth : int, default 3
        Iterations: how many times a cube may be split again.
    n_features : int, default 2
        Features split per cube and iteration, chosen one after another on the cube's points: the
        best single cut first, then the cut that most decreases the impurity within the cells of
        the cuts already chosen (so a feature that repeats an earlier one is passed over), while
        it gains at least a tenth of the first and is significant; up to 2**n_features children.
    threshold : float, default 0.1
        A cube whose diversity is at most this is not split (classification: 1 - share of the
        majority class; regression: standard deviation relative to the network's output spread).
    min_points : int, default 100
        Points per cube: its training rows topped up with sampled points labelled by the network.
    max_rules : int, default 32
        At most this many rules: cubes are split until 32 (or ``max_rules`` if larger) exist, then
        pruned to ``max_rules`` (the least costly first, see ``min_gain``).
    min_gain : float, default 0.01
        Pruning: after growth, cubes are removed one at a time, the one whose removal costs the
        least agreement with the network on the training rows first (the default rule is re-chosen
        after each removal), as long as that cost is at most this share of the rows (0: only cubes
        that change nothing are removed).
    max_rows : int or None, default 5000
        Cubes are grown and pruned on at most this many training rows (a seeded random subset of a
        larger set; None: all of them), which bounds the time per cube on large data.
    augment : float, default 1.0
        A cube's points also hold this many perturbed copies of each of its training rows (a row
        plus Gaussian noise of 0.3 standard deviations, truncated to the cube) labelled by the
        network: cuts follow the network near the data, not only between its rows. 0: rows only.
    refine : {"auto", True, False}, default "auto"
        Move the kept cubes' bounds after pruning as CReEPy does (validated on fresh points);
        "auto": only when ``max_rules`` left fewer cubes than ``min_gain`` alone would have.
    max_seconds : float or None, default 1200 (a safety net; a result it cuts says so)
    on_budget : {"error", "partial"}, default "error"
    random_state : int or None, default 0
    """

    name = "gridex"
    description = "GridEx: cubes split on each cube's most relevant features at the network's boundaries, merged"
    _parameter_constraints = _GRID_PARAMS

    def __init__(self, depth=3, n_features=2, threshold=0.1, min_points=100, max_rules=32,
                 max_seconds=SAFETY_SECONDS, on_budget="error", random_state=0, min_gain=_MIN_GAIN,
                 max_rows=5000, augment=1.0, refine="auto"):
        self.augment, self.refine = augment, refine
        self.depth = depth
        self.n_features = n_features
        self.threshold = threshold
        self.min_points = min_points
        self.max_rules = max_rules
        self.max_seconds = max_seconds
        self.on_budget = on_budget
        self.random_state = random_state
        self.min_gain = min_gain
        self.max_rows = max_rows


@register
class GridREx(GridEx):
    """GridREx (Sabbatini et al. 2022): GridEx whose cubes conclude a linear model of the inputs.

    For regression networks each cube's conclusion is a least-squares linear model of the network's
    output (a :class:`~rulex.rules.LinearModel` in original units) and its diversity the model's mean
    absolute error relative to the output spread, so cubes are split only where one linear model
    does not fit. Classification networks have no linear conclusion: their cubes conclude a class,
    as in :class:`GridEx`. Parameters are those of :class:`GridEx`.
    """

    name = "gridrex"
    description = "GridREx: GridEx cubes with linear-model conclusions for regression (a class per cube otherwise)"
    _linear = True


# -- ITER ---------------------------------------------------------------------------------------------
@register
class ITER(_HyperCube):
    """ITER (Huysmans, Baesens & Vanthienen 2006): cubes grown from uncovered training rows.

    A cube starts as the grid cell of an uncovered training row (seeds taken in a random order
    fixed by ``random_state``) and grows one step at a time in the direction whose slab agrees best
    with the cube's answer (share of the slab's points with the cube's class; regression:
    1 - |slab mean - cube mean| / output spread), as long as that agreement is at least
    ``1 - threshold``. A step first tries to take the whole way to the edge of the space, else it moves
    a bound to the next cut of a per-feature grid at the training
    quantiles (``n_steps`` per feature; a bound past the last cut is unbounded); a categorical
    feature grows by one category. Earlier cubes take precedence (an ordered list), later cubes'
    points are drawn outside them. Growth stops when every training row is covered or after
    ``max_rules`` cubes; the rest goes to the default.

    Parameters
    ----------
    n_features : int or None, default 4
        Cubes are bounded on this many features only, the most relevant ones (the impurity decrease
        of their best cut on the network's labels of the training rows, at least a tenth of the best
        feature's); the others are left free.
        None bounds every feature, as the original ITER does (2 x features growth directions).
    n_steps : int, default 10
    threshold : float, default 0.1
    min_points : int, default 30
        Points per cube and per candidate slab.
    max_rules : int, default 16
        At most this many rules: up to 16 (or ``max_rules`` if larger) cubes are grown, then pruned.
    max_iterations : int, default 200
        Growth steps per cube.
    min_gain : float, default 0.01
        Pruning: after growth, cubes are removed one at a time, the one whose removal costs the
        least agreement with the network on the training rows first (the default rule is re-chosen
        after each removal), as long as that cost is at most this share of the rows (0: only cubes
        that change nothing are removed).
    max_rows : int or None, default 5000
        Cubes are grown and pruned on at most this many training rows (a seeded random subset of a
        larger set; None: all of them), which bounds the time per cube on large data.
    max_seconds : float or None, default 1200 (a safety net; a result it cuts says so)
    on_budget : {"error", "partial"}, default "error"
    random_state : int or None, default 0
    """

    name = "iter"
    _grow_at_least = 16
    description = "ITER: cubes grown step by step from uncovered training rows while the network agrees"
    _parameter_constraints = dict(_COMMON, n_steps=[Interval(int, 2, 1000)],
                                  max_iterations=[Interval(int, 1, None)], n_features=[Interval(int, 1, None), None])

    def __init__(self, n_features=4, n_steps=10, threshold=0.1, min_points=30, max_rules=16, max_iterations=200,
                 max_seconds=SAFETY_SECONDS, on_budget="error", random_state=0, min_gain=_MIN_GAIN,
                 max_rows=5000):
        self.n_features = n_features
        self.n_steps = n_steps
        self.threshold = threshold
        self.min_points = min_points
        self.max_rules = max_rules
        self.max_iterations = max_iterations
        self.max_seconds = max_seconds
        self.on_budget = on_budget
        self.random_state = random_state
        self.min_gain = min_gain
        self.max_rows = max_rows

    def _agreement(self, oracle, out, y):
        if len(y) == 0:
            return 1.0                                 # no data can live there: nothing disagrees
        if oracle.regression:
            return 1.0 - abs(float(np.mean(y)) - out) / oracle.spread
        return float(np.mean(y == out))

    def _cubes(self, oracle, growth):
        grid = stops(oracle, int(self.n_steps))
        # only the most relevant features (best cut on the network's labels of the training rows) are
        # bounded; the others stay free in every cube
        ranked = [f for _, f, _ in relevant(best_cuts(oracle, oracle.root(), oracle.X, oracle.y), self.n_features)]
        bounded = set(ranked if self.n_features is not None else range(len(oracle.cols)))
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(len(oracle.X))
        covered = np.zeros(len(oracle.X), dtype=bool)
        done = growth.done
        while not covered.all() and len(done) < self._grow():
            seed = oracle.X[order[int(np.argmax(~covered[order]))]]
            cube = oracle.root()
            for i, cols in enumerate(oracle.cols):
                if i not in bounded:
                    continue
                if oracle.categorical[i]:
                    cube.allowed[i] = frozenset([int(np.argmax(seed[cols]))])
                elif len(grid[i]):
                    k = int(np.searchsorted(grid[i], seed[cols[0]], side="left"))
                    cube.lo[i] = grid[i][k - 1] if k > 0 else -np.inf
                    cube.hi[i] = grid[i][k] if k < len(grid[i]) else np.inf
            prior = [c for c, _, _ in done]
            X, y, _ = oracle.points(cube, "growing a cube", exclude=prior)
            out, _ = oracle.summary(X, y)
            if out is None:
                out = oracle.y[order[int(np.argmax(~covered[order]))]]
            stale: dict = {}                 # last score of each growth direction
            for _ in range(int(self.max_iterations)):
                # lazy greedy: directions in order of their last score; a direction is scored afresh
                # only while it could still beat the best fresh score (scores fall as a cube grows)
                cands = sorted(slabs(oracle, cube, grid), key=lambda t: (-stale.get(t[:2], 2.0), t[:2]))
                best = None
                for i, side, slab, full in cands:
                    if best is not None and stale.get((i, side), 2.0) <= best[0]:
                        break
                    # first the whole way to the edge of the space (one step when the network agrees
                    # there), else one grid step
                    score = -1.0
                    if full is not None:
                        _, ys, _ = oracle.points(full, "growing a cube", exclude=prior)
                        score = self._agreement(oracle, out, ys)
                        if score >= 1.0 - self.threshold:
                            slab = full
                    if score < 1.0 - self.threshold:
                        _, ys, _ = oracle.points(slab, "growing a cube", exclude=prior)
                        score = self._agreement(oracle, out, ys)
                    stale[(i, side)] = score
                    if best is None or score > best[0] + 1e-12:
                        best = (score, i, slab, ys)
                if best is None or best[0] < 1.0 - self.threshold:
                    break
                _, i, slab, ys = best
                cube = union(cube, slab, i, oracle.categorical[i])
                if oracle.regression and len(ys):
                    X, y, _ = oracle.points(cube, "growing a cube", exclude=prior)
                    out = oracle.summary(X, y)[0]
            inside = oracle.contains(cube, oracle.X) & ~covered
            done.append((cube, out, int(inside.sum())))
            covered |= inside
        rest = ~covered
        if rest.any():
            default = oracle.summary(oracle.X[rest], oracle.y[rest])[0]
        else:
            default = done[-1][1]
        return list(done), default


# -- CReEPy / CREAM -----------------------------------------------------------------------------------
@register
class CReEPy(_HyperCube):
    """CReEPy / CREAM (Sabbatini & Calegari): nested cubes from clusters of inputs and outputs.

    At each node a Gaussian mixture (2 to ``components`` components, fewest BIC, seeded by
    ``random_state``) is fitted to the node's training rows, inputs and the network's output
    together (classification: to each class's rows);
    each component's members give a candidate inner cube (their bounding box, cut halfway to the
    nearest other point; categorical features: the categories they take), whose bounds are then
    dropped one by one wherever that keeps the box as homogeneous (so a rule bounds the features
    that matter, not all of them). ``strategy="exact"``
    (CReEPy/ExACT) keeps the most homogeneous candidate (then the one holding the most points) among
    those more homogeneous than the node and recurses into it, or, when it needs no split, into the
    rest of the node; ``strategy="cream"`` keeps the candidate that minimises the mean
    diversity of inner and outer part and recurses into both. The answers come from the network
    itself, not from a nearest-neighbour surrogate of it. Rules: inner cubes first (an ordered list),
    the outermost answer as default.

    Parameters
    ----------
    strategy : {"exact", "cream"}, default "cream"
        CREAM is the default: it was the more faithful of the two on every bundled set we tried.
    depth : int, default 3
    components : int, default 4
    threshold : float, default 0.1
        A node whose diversity is at most this is not split.
    min_points : int, default 50
    max_rules : int, default 32
        At most this many rules: up to 32 (or ``max_rules`` if larger) nodes are split, then the
        cubes are pruned.
    min_gain : float, default 0.01
        Pruning: after growth, cubes are removed one at a time, the one whose removal costs the
        least agreement with the network on the training rows first (the default rule is re-chosen
        after each removal), as long as that cost is at most this share of the rows (0: only cubes
        that change nothing are removed).
    max_rows : int or None, default 5000
        Cubes are grown and pruned on at most this many training rows (a seeded random subset of a
        larger set; None: all of them), which bounds the time per cube on large data.
    augment : float, default 1.0
        As GridEx's: perturbed copies of a node's rows join its points (not its clusters).
    refine : {True, False, "auto"}, default True
        After pruning, every bound of the kept cubes moves (or is dropped) to where the rule list
        agrees most with the network on the training rows (a cluster's box is as tight as its
        members; :func:`._cube_refine.refine`), then pruning runs again; the result is kept if it
        agrees at least as well on fresh perturbed copies of the rows. "auto": as GridEx's.
    max_seconds : float or None, default 1200 (a safety net; a result it cuts says so)
    on_budget : {"error", "partial"}, default "error"
    random_state : int or None, default 0
    """

    name = "creepy"
    description = "CReEPy/CREAM: nested cubes from Gaussian-mixture clusters of inputs and network output"
    _parameter_constraints = dict(_COMMON, strategy=[Options(("exact", "cream"))], depth=[Interval(int, 1, 8)],
                                  components=[Interval(int, 2, 10)], augment=[Interval(float, 0.0, 10.0)],
                                  refine=[bool, Options(("auto",))])

    def __init__(self, strategy="cream", depth=3, components=4, threshold=0.1, min_points=50, max_rules=32,
                 max_seconds=SAFETY_SECONDS, on_budget="error", random_state=0, min_gain=_MIN_GAIN,
                 max_rows=5000, augment=1.0, refine=True):
        self.augment, self.refine = augment, refine
        self.strategy = strategy
        self.depth = depth
        self.components = components
        self.threshold = threshold
        self.min_points = min_points
        self.max_rules = max_rules
        self.max_seconds = max_seconds
        self.on_budget = on_budget
        self.random_state = random_state
        self.min_gain = min_gain
        self.max_rows = max_rows

    def _cubes(self, oracle, growth):
        rules = self._node(oracle, growth, oracle.root(), [], int(self.depth))
        # the last entry is the root's remainder: it becomes the default
        return rules[:-1], rules[-1][1]

    def _node(self, oracle, growth, cube, exclude, depth):
        X, y, n = oracle.points(cube, "clustering a node", exclude=exclude)
        out, div = oracle.summary(X, y)
        if out is None:
            out = oracle.summary(oracle.X, oracle.y)[0]
        here = [(cube, out, n)]
        if depth == 0 or div <= self.threshold or len(y) < 10 or growth.splits >= self._grow() - 1:
            return here
        best = None
        # clusters come from the node's training rows (the data's own structure; points drawn from
        # the product of marginals have none), homogeneity from all its points
        k = n if n >= 10 else len(y)
        pick = np.arange(k)
        if k > _CLUSTER_ROWS:              # mixtures on a seeded subset: the shape, not every row, matters
            pick = np.sort(np.random.default_rng(self.random_state).choice(k, _CLUSTER_ROWS, replace=False))
        for inner in self._candidates(oracle, cube, X[pick], y[pick]):
            inner = relax(oracle, cube, inner, X, y)
            mi = oracle.contains(inner, X)
            if mi.all() or mi.sum() < 3:
                continue
            _, di = oracle.summary(X[mi], y[mi])
            _, do = oracle.summary(X[~mi], y[~mi])
            if self.strategy == "exact":
                if di >= div:
                    continue
                key = (round(di, 6), -int(mi.sum()))
            else:
                key = ((di * mi.sum() + do * (~mi).sum()) / len(y), -int(mi.sum()))
                if key[0] >= div:
                    continue
            if best is None or key < best[0]:
                best = (key, inner)
        if best is None:
            return here
        inner = best[1]
        growth.splits += 1
        inside = self._node(oracle, growth, inner, exclude, depth - 1)
        growth.done.extend(inside)
        if self.strategy == "cream" or len(inside) == 1:
            # CREAM splits both parts; ExACT goes on with the part that is still mixed
            outside = self._node(oracle, growth, cube, exclude + [inner], depth - 1)
        else:
            Xo, yo, no = oracle.points(cube, "clustering a node", exclude=exclude + [inner])
            oo = oracle.summary(Xo, yo)[0]
            outside = [(cube, out if oo is None else oo, no)]
        return inside + outside

    def _candidates(self, oracle, cube, X, y):
        """Inner-cube candidates: bounding boxes of Gaussian-mixture clusters. Classification: the
        clusters of each class's points (so a box follows one class, not a density blob that mixes
        classes); regression: clusters of inputs and output together."""
        sd = X.std(axis=0)
        Z = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        groups = []
        if oracle.regression:
            t = ((y - y.mean()) / (y.std() or 1.0))[:, None]
            labels = self._mixture(np.hstack([Z, t * np.sqrt(Z.shape[1])]))
            groups = [np.flatnonzero(labels == k) for k in np.unique(labels)]
        else:
            for c in np.unique(y):
                idx = np.flatnonzero(y == c)
                if len(idx) < 5:
                    continue
                oracle.budget.check("clustering a node")
                labels = self._mixture(Z[idx], allow_one=True)
                groups.extend(idx[labels == k] for k in np.unique(labels))
        out = []
        for members in groups:
            inner = cube.copy()
            for i, cols in enumerate(oracle.cols):
                if oracle.categorical[i]:
                    cats = frozenset(np.unique(X[members][:, cols].argmax(axis=1)).tolist())
                    inner.allowed[i] = cube.allowed[i] & cats
                    continue
                x, xm = X[:, cols[0]], X[members, cols[0]]
                below, above = x[x < xm.min()], x[x > xm.max()]
                if len(below):
                    inner.lo[i] = max(cube.lo[i], (below.max() + xm.min()) / 2)
                if len(above):
                    inner.hi[i] = min(cube.hi[i], (above.min() + xm.max()) / 2)
            out.append(inner)
        return out

    def _mixture(self, Z, allow_one=False):
        """Component of every row under the mixture with the fewest BIC (1 or 2 .. ``components``)."""
        from sklearn.mixture import GaussianMixture
        best = None
        for k in range(1 if allow_one else 2, int(self.components) + 1):
            if len(Z) <= k:
                break
            gm = GaussianMixture(k, covariance_type="diag", random_state=self.random_state, reg_covar=1e-3)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gm.fit(Z)
            bic = gm.bic(Z)
            if best is None or bic < best[0]:
                best = (bic, gm.predict(Z))
        return best[1] if best is not None else np.zeros(len(Z), dtype=int)
