"""ANN-DT (Schmitz, Aldrich & Gouws, 1999): a binary tree grown on network-labelled samples.

The training rows and artificial points interpolated around them
(:meth:`~rulex.extractors.sampling.Sampler.perturb`: Gaussian noise scaled per input,
snapped back onto the schema) are labelled by the network. A binary axis-parallel tree
is grown on them, best first, with one of two attribute selections:

``criterion="impurity"``
    minimum weighted child impurity over every input and every midpoint between
    adjacent distinct values: Gini of the network's class for classification, variance
    of the network's output for regression.
``criterion="significance"``
    the paper's significance analysis: for up to ``n_pairs`` points of the node, every pair
    (i, j) gets its absolute variation ``AV_ij = sum_s |f(x_i + s/S d) - f(x_i + (s-1)/S d)|``
    along ``d = x_j - x_i`` (``S = n_steps``, summed over the outputs); the attribute whose
    ``|x_ia - x_ja|`` correlates best (Pearson) with ``AV`` is chosen and its threshold is
    placed by the impurity rule. Following ALGORITHMS.md §7 (P10) it uses ``|d_a|``,
    midpoints, and one batched network call per chunk of pairs.

Children's weights are their share of *training* rows (``branch_weights="train"``, the
generated points place the boundary but do not weight the branches) or of all points.
Nodes with fewer than ``min_node_samples`` points are topped up with new samples inside the
node's box. Below depth ``test_after`` a split is kept only when its children's network outputs
differ significantly (``test_level``; chi-squared on class counts, Welch's t on means), the
paper's statistical stop. Leaves hold the majority class or the mean network output (constant leaves).

Regression leaves can instead hold a linear model (``leaf_model="linear"``, a model tree in the
manner of M5): the tree is grown as above, then each leaf gets a least-squares fit of the
network's output on that leaf's points (training rows and samples), with the inputs whose effect
is below ``term_threshold`` of the leaf's spread dropped and the fit redone. The rule reads
``IF bmi > 27.5 AND s5 <= 4.7 THEN y = 102.1 + 2.9 * bmi + 41.7 * s5 - 9.8 * [sex == 2]``, in the
user's units. A smooth network is far better approximated by a few such pieces than by many
constant ones (on ``diabetes`` a 32-leaf constant tree reaches R² ~0.83 against the network,
where greedy trees need ~400 constant leaves for 0.90).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from ...exceptions import DataError
from ...rules import Condition, LinearModel, LinearTerm, Rule, RuleSet
from .surrogate import TreeWalk, split_default
from ..base import Interval, Options, PedagogicalExtractor, register
from ..budget import SAFETY_SECONDS, WorkClock
from ..sampling import Literal, Sampler

__all__ = ["ANNDT", "ANNDTTree"]

_PAIR_CHUNK_ROWS = 200_000   # interpolation points per batched network call


@dataclass
class _Node:
    id: int
    depth: int
    path: list                  # [Literal]
    X: np.ndarray
    y: np.ndarray               # class index or value
    train: np.ndarray           # bool: which points are training rows
    value: object = None        # class index or mean value
    model: tuple | None = None  # linear leaf: (intercept, {input column: coefficient})
    impurity: float = 0.0
    split: tuple | None = None  # (col, thr) once split
    children: tuple = ()        # (<= child, > child)
    candidate: tuple | None = field(default=None, repr=False)   # best split found, not yet applied

    @property
    def is_leaf(self) -> bool:
        return self.split is None

    @property
    def n_train(self) -> int:
        return int(self.train.sum())


class ANNDTTree(TreeWalk):
    """The fitted ANN-DT tree over encoded inputs; ``predict`` gives class indices or values."""

    def __init__(self, root: _Node, input_names, task: str):
        self.root = root
        self.input_names = list(input_names)
        self.task = task

    @property
    def depth(self) -> int:
        return max(n.depth for n in self.nodes())

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        out = np.empty(len(X), dtype=np.float64 if self.task == "regression" else np.int64)

        def route(node, idx):
            if node.is_leaf:
                if node.model is not None:
                    b, coef = node.model
                    out[idx] = b + (X[np.ix_(idx, list(coef))] @ np.array(list(coef.values()))
                                    if coef else 0.0)
                else:
                    out[idx] = node.value
                return
            col, thr = node.split
            le = X[idx, col] <= thr
            route(node.children[0], idx[le])
            route(node.children[1], idx[~le])

        route(self.root, np.arange(len(X)))
        return out

    def to_rules(self, classes=()) -> RuleSet:
        """Root-to-leaf paths as an ordered RuleSet in encoded space (leaves are exclusive)."""
        leaves = []

        def walk(node, conds):
            if node.is_leaf:
                leaves.append((node, conds))
                return
            col, thr = node.split
            name = self.input_names[col]
            walk(node.children[0], conds + [Condition(name, "<=", thr)])
            walk(node.children[1], conds + [Condition(name, ">", thr)])

        walk(self.root, [])
        rules = []
        for node, conds in leaves:
            if self.task == "classification":
                concl = classes[int(node.value)]
            elif node.model is not None:
                b, coef = node.model
                concl = LinearModel(b, [LinearTerm(self.input_names[j], c) for j, c in coef.items()])
            else:
                concl = float(node.value)
            rules.append(Rule(conds, concl, provenance={"tree_node": node.id, "tree_samples": int(len(node.y)),
                                                        "training_rows": node.n_train}))
        default, kept = split_default(
            rules, self.task, classes,
            lambda r: (r.provenance["training_rows"], r.provenance["tree_samples"]))
        return RuleSet(kept, default, semantics="ordered", task=self.task,
                       classes=classes if self.task == "classification" else (), space="encoded")


@register
class ANNDT(PedagogicalExtractor):
    """ANN-DT: a binary tree grown on training rows plus network-labelled interpolated samples.

    Parameters
    ----------
    n_samples : int, default 2000
        Artificial points generated around the training rows at the root.
    min_node_samples : int, default 50
        A node with fewer points (training plus generated) gets new points inside its box.
    max_depth : int or None, default None
    min_samples_leaf : int, default 2
        Training rows each child must keep.
    max_leaf_nodes : int or None, default 16
        The tree grows best first (largest weighted impurity decrease) up to this many leaves.
    criterion : {"impurity", "significance"}, default "impurity"
    branch_weights : {"train", "all"}, default "train"
        What weights a child's impurity: its share of the training rows or of all points.
    sigma : float, default 0.3
        Noise of the interpolation, in units of each input's training standard deviation.
    n_pairs : int, default 128
        Points per node used by the significance analysis (pairs = n_pairs (n_pairs - 1) / 2).
    n_steps : int, default 10
        Steps S along each pair's segment in the significance analysis.
    min_split_fraction : float, default 0.02
        The smaller child must hold at least this share of the node's points.
    within_bounds : bool, default True
        Keep generated points inside the training range of every numeric input.
    test_level : float or None, default 0.05
        Child-significance stop (the paper's statistical test): below depth ``test_after``
        a split is kept only if its two children's network outputs differ significantly at
        this level: a chi-squared test of the class counts (classification), Welch's t-test of
        the means (regression). ``None`` switches the test off.
    test_after : int, default 3
        Depth from which the test applies (nodes deeper than this).
    leaf_model : {"constant", "linear"}, default "constant"
        What a regression leaf predicts: the mean network output of its points, or a linear
        model of the inputs fitted to them (classification leaves are always a class).
    term_threshold : float, default 0.01
        Linear leaves: an input whose effect (|coefficient| x its standard deviation in the
        leaf) is below this share of the leaf's output standard deviation is left out.
    max_seconds : float or None, default 1200
        Safety net only: the work is bounded by ``max_leaf_nodes`` (and the training rows each leaf
        keeps), so the same ``random_state`` gives the same tree on any machine. When this wall-clock
        limit stops the growth, the tree depends on the machine's load; the provenance says so
        (``complete: False``, ``budget.stopped_by: "max_seconds"``) with a :class:`~rulex.PartialResultWarning`.
    random_state : int or None, default 0

    Attributes
    ----------
    tree_ : ANNDTTree
    n_leaves_ : int
    n_queries_ : int
        Network queries on generated points (training rows and significance analysis excluded).
    n_tested_leaves_ : int
        Nodes left as leaves because their best split failed the child-significance test.
    """

    name = "anndt"
    description = "ANN-DT: binary tree on training rows plus network-labelled interpolated samples"
    supports_regression = True
    _row_parameters = {"n_samples": 4}
    _parameter_constraints = {
        "n_samples": [Interval(int, 0, None)],
        "min_node_samples": [Interval(int, 0, None)],
        "max_depth": [Interval(int, 1, None), None],
        "min_samples_leaf": [Interval(int, 1, None)],
        "max_leaf_nodes": [Interval(int, 2, None), None],
        "criterion": [Options(("impurity", "significance"))],
        "branch_weights": [Options(("train", "all"))],
        "sigma": [Interval(float, 0.0, None)],
        "n_pairs": [Interval(int, 3, None)],
        "n_steps": [Interval(int, 1, None)],
        "min_split_fraction": [Interval(float, 0.0, 0.5)],
        "within_bounds": [bool],
        "test_level": [Interval(float, 0.0, 1.0), None],
        "test_after": [Interval(int, 0, None)],
        "leaf_model": [Options(("constant", "linear"))],
        "term_threshold": [Interval(float, 0.0, None)],
        "max_seconds": [Interval(float, 0.0, None), None],
        "random_state": [Interval(int, 0, None), None],
    }

    def __init__(self, n_samples=2000, min_node_samples=50, max_depth=None, min_samples_leaf=2, max_leaf_nodes=16,
                 criterion="impurity", branch_weights="train", sigma=0.3, n_pairs=128, n_steps=10,
                 min_split_fraction=0.02, within_bounds=True, test_level=0.05, test_after=3, leaf_model="constant",
                 term_threshold=0.01, max_seconds=SAFETY_SECONDS, random_state=0):
        self.n_samples = n_samples
        self.min_node_samples = min_node_samples
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_leaf_nodes = max_leaf_nodes
        self.criterion = criterion
        self.branch_weights = branch_weights
        self.sigma = sigma
        self.n_pairs = n_pairs
        self.n_steps = n_steps
        self.min_split_fraction = min_split_fraction
        self.within_bounds = within_bounds
        self.test_level = test_level
        self.test_after = test_after
        self.leaf_model = leaf_model
        self.term_threshold = term_threshold
        self.max_seconds = max_seconds
        self.random_state = random_state

    # -- growth -------------------------------------------------------------------------------
    def _extract(self, network, dataset, X):
        if network.task == "classification" and self.leaf_model == "linear":
            raise DataError("anndt: leaf_model='linear' is for regression networks; this network is a classifier "
                            "(use leaf_model='constant')")
        grower = _TreeGrower(self, network, X)
        root = grower.grow(X)
        if network.task == "classification":
            _prune(root)
        elif self.leaf_model == "linear":
            stack = [root]
            while stack:
                node = stack.pop()
                if node.is_leaf:
                    node.model = _fit_linear(node.X, node.y, self.term_threshold)
                stack.extend(node.children)
        tree = ANNDTTree(root, network.encoder.input_names_, network.task)
        self.tree_ = tree
        self.n_leaves_ = tree.n_leaves
        self.n_queries_ = grower.n_queries
        self.n_tested_leaves_ = grower.n_tested_leaves
        extra = {"tree": {"leaves": tree.n_leaves, "depth": tree.depth, "queries": grower.n_queries,
                          "tested_leaves": grower.n_tested_leaves, "sampler": dict(grower.sampler.stats)},
                 **grower.clock.provenance()}
        return tree.to_rules(network.classes if network.task == "classification" else ()), extra


class _TreeGrower:
    """One ANN-DT growth: the network, the sampler and the generator, node ids and what the growth
    costs (``n_queries``, ``n_tested_leaves``). Lives for one ``_extract`` call; the hyperparameters
    are copied from the extractor."""

    def __init__(self, params: ANNDT, network, X):
        self.task, self.network = network.task, network
        self.K = len(network.classes) if network.task == "classification" else 0
        self.max_leaf_nodes, self.max_depth, self.criterion = params.max_leaf_nodes, params.max_depth, params.criterion
        self.n_samples, self.min_node_samples, self.sigma = params.n_samples, params.min_node_samples, params.sigma
        self.min_samples_leaf, self.min_split_fraction = params.min_samples_leaf, params.min_split_fraction
        self.branch_weights, self.n_pairs, self.n_steps = params.branch_weights, params.n_pairs, params.n_steps
        self.test_level, self.test_after = params.test_level, params.test_after
        self.sampler = Sampler(network.encoder, X, within_bounds=params.within_bounds, random_state=params.random_state)
        self.rng = np.random.default_rng(params.random_state)
        self.n_queries = 0
        self.clock = WorkClock("anndt", max_seconds=params.max_seconds)
        self.n_tested_leaves = 0
        self.next_id = 0

    def grow(self, X) -> _Node:
        """The root of the tree grown best first on the training rows ``X`` and the generated points."""
        gen = self.sampler.perturb(self.n_samples, reference=X, scale=float(self.sigma)) if self.n_samples else \
            np.zeros((0, X.shape[1]))
        points = np.vstack([X, gen])
        self.n_queries += len(gen)
        y = self.predict(points)
        train = np.r_[np.ones(len(X), dtype=bool), np.zeros(len(gen), dtype=bool)]
        root = self.node(0, [], points, y, train)
        heap: list = []
        self.consider(root, heap)
        leaves = 1
        while heap and (self.max_leaf_nodes is None or leaves < self.max_leaf_nodes):
            if self.clock.exhausted(f"growing the tree ({leaves} leaves)"):
                break
            _, _, node = heapq.heappop(heap)
            self.apply_split(node)
            leaves += 1
            for child in node.children:
                self.consider(child, heap)
        return root

    def node(self, depth, path, points, y, train) -> _Node:
        node = _Node(self.next_id, depth, path, points, y, train)
        self.next_id += 1
        need = self.min_node_samples - len(points)
        if need > 0 and node.n_train > 0:
            extra = self.sampler.perturb(need, path, reference=points[train], scale=float(self.sigma))
            if len(extra):
                self.n_queries += len(extra)
                node.X = np.vstack([points, extra])
                node.y = np.concatenate([y, self.predict(extra)])
                node.train = np.r_[train, np.zeros(len(extra), dtype=bool)]
        node.value, node.impurity = self.leaf_value(node.y)
        return node

    def predict(self, points):
        y = self.network.predict_index(points)
        return y.astype(np.int64) if self.task == "classification" else y.astype(np.float64)

    def leaf_value(self, y):
        if self.task == "classification":
            counts = np.bincount(y, minlength=self.K)
            p = counts / max(counts.sum(), 1)
            return int(np.argmax(counts)), float(1.0 - (p ** 2).sum())
        return float(y.mean()) if len(y) else 0.0, float(y.var()) if len(y) else 0.0

    def consider(self, node: _Node, heap) -> None:
        """Find the node's best split and queue it by its weighted impurity decrease."""
        if node.impurity <= 1e-12 or (self.max_depth is not None and node.depth >= self.max_depth):
            return
        if node.n_train < 2 * self.min_samples_leaf:
            return
        if self.criterion == "significance":
            found = self.significance_split(node)
        else:
            found = self.best_split(node, range(node.X.shape[1]))
        if found is None:
            return
        col, thr, child_impurity = found
        gain = node.impurity - child_impurity
        if gain <= 1e-12 and self.criterion == "impurity":
            return
        if self.test_level is not None and node.depth > self.test_after and not self.children_differ(node, col, thr):
            self.n_tested_leaves += 1
            return
        node.candidate = (col, thr)
        w = node.n_train if self.branch_weights == "train" else len(node.y)
        heapq.heappush(heap, (-(gain * w), node.id, node))

    def children_differ(self, node: _Node, col: int, thr: float) -> bool:
        """Whether the split's two sides have significantly different network outputs (at ``test_level``)."""
        from scipy import stats
        le = node.X[:, col] <= thr
        a, b = node.y[le], node.y[~le]
        if self.task == "classification":
            table = np.stack([np.bincount(a, minlength=self.K), np.bincount(b, minlength=self.K)])
            table = table[:, table.sum(axis=0) > 0]
            if table.shape[1] < 2:
                return False
            p = stats.chi2_contingency(table, correction=False).pvalue
        else:
            if min(len(a), len(b)) < 2:
                return True                      # too few points to test; min_split_fraction rules here
            if np.ptp(a) == 0 and np.ptp(b) == 0:
                return bool(a[0] != b[0])
            p = stats.ttest_ind(a, b, equal_var=False).pvalue
        return bool(np.isfinite(p) and p < self.test_level)

    def apply_split(self, node: _Node) -> None:
        assert node.candidate is not None, "a node is split only after a candidate split was found"
        col, thr = node.candidate
        node.split = (col, float(thr))
        le = node.X[:, col] <= thr
        children = []
        for mask, lit in ((le, Literal(col, True, thr)), (~le, Literal(col, False, thr))):
            children.append(self.node(node.depth + 1, node.path + [lit], node.X[mask], node.y[mask], node.train[mask]))
        node.children = tuple(children)
        node.candidate = None

    # -- split selection ------------------------------------------------------------------------
    def best_split(self, node: _Node, cols):
        """(col, threshold, weighted child impurity) minimising the impurity, or None."""
        X, y, train = node.X, node.y, node.train
        n, n_tr = len(y), int(train.sum())
        min_side = max(1, int(np.ceil(self.min_split_fraction * n)))
        if self.task == "classification":
            S = np.eye(self.K)[y]
        else:
            S = np.column_stack([np.ones(n), y, y * y])
        best = None
        for col in cols:
            x = X[:, col]
            order = np.argsort(x, kind="stable")
            xs = x[order]
            cut = np.flatnonzero(xs[1:] > xs[:-1])         # last index of the left side
            if not len(cut):
                continue
            cum = np.cumsum(S[order], axis=0)
            ctr = np.cumsum(train[order])
            left, tot = cum[cut], cum[-1]
            right = tot[None, :] - left
            nl = cut + 1
            nr = n - nl
            tl = ctr[cut]
            tr = n_tr - tl
            ok = (nl >= min_side) & (nr >= min_side) & (tl >= self.min_samples_leaf) & (tr >= self.min_samples_leaf)
            if not ok.any():
                continue
            imp_l, imp_r = self.impurity(left, nl), self.impurity(right, nr)
            if self.branch_weights == "train":
                wl, wr = tl / max(n_tr, 1), tr / max(n_tr, 1)
            else:
                wl, wr = nl / n, nr / n
            score = np.where(ok, wl * imp_l + wr * imp_r, np.inf)
            i = int(np.argmin(score))
            if best is None or score[i] < best[2] - 1e-15:
                thr = (xs[cut[i]] + xs[cut[i] + 1]) / 2.0       # the midpoint (P10)
                best = (int(col), float(thr), float(score[i]))
        return best

    def impurity(self, stats, counts):
        counts = np.maximum(counts, 1).astype(np.float64)
        if self.task == "classification":
            p = stats / counts[:, None]
            return 1.0 - (p ** 2).sum(axis=1)
        mean = stats[:, 1] / counts
        return np.maximum(stats[:, 2] / counts - mean ** 2, 0.0)

    def outputs(self, Z):
        net = self.network
        if self.task == "classification":
            return net.predict_proba_encoded(Z)
        return net.predict_index(Z).reshape(-1, 1)

    def significance_split(self, node: _Node):
        """Significance analysis: rank features by corr(AV_ij, |x_ia - x_ja|), split the best."""
        pool = node.X[node.train] if node.n_train >= 2 else node.X
        P = min(self.n_pairs, len(pool))
        if P < 3:
            return None
        pts = pool[np.sort(self.rng.choice(len(pool), size=P, replace=False))]
        I, J = np.triu_indices(P, 1)
        S = int(self.n_steps)
        steps = np.arange(S + 1) / S
        av = np.empty(len(I))
        per = max(1, _PAIR_CHUNK_ROWS // (S + 1))
        for start in range(0, len(I), per):
            i, j = I[start:start + per], J[start:start + per]
            a, d = pts[i], pts[j] - pts[i]
            Z = (a[:, None, :] + steps[None, :, None] * d[:, None, :]).reshape(-1, pts.shape[1])
            f = self.outputs(Z).reshape(len(i), S + 1, -1)
            av[start:start + per] = np.abs(np.diff(f, axis=1)).sum(axis=(1, 2))
        diff = np.abs(pts[J] - pts[I])
        sig = []
        for spec in self.sampler.specs:
            da = diff[:, spec.cols].sum(axis=1) * (0.5 if spec.kind == "categorical" else 1.0)
            if np.ptp(da) == 0 or np.ptp(av) == 0:
                r = -np.inf
            else:
                r = float(np.corrcoef(av, da)[0, 1])
                r = -np.inf if not np.isfinite(r) else r
            sig.append((r, spec.index))
        for r, idx in sorted(sig, key=lambda t: (-t[0], t[1])):
            if r == -np.inf:
                break
            found = self.best_split(node, self.sampler.specs[idx].cols)
            if found is not None:
                return found
        return None


def _fit_linear(X, y, threshold: float, ridge: float = 1e-8):
    """Least squares of ``y`` on the columns of ``X`` that matter: ``(intercept, {column: coef})``.

    Columns constant in the leaf are left out; so is every column whose effect (|coef| x std)
    is below ``threshold`` x std(y), after which the fit is redone on the rest. A tiny ridge
    keeps collinear columns (a one-hot group) solvable; the result is deterministic.
    """
    y = np.asarray(y, dtype=np.float64)
    ybar = float(y.mean()) if len(y) else 0.0
    sd_y = float(y.std()) if len(y) else 0.0
    cols = [j for j in range(X.shape[1]) if np.ptp(X[:, j]) > 0] if len(y) > 1 and sd_y > 0 else []
    while cols:
        Z = X[:, cols]
        mu = Z.mean(axis=0)
        Zc = Z - mu
        G = Zc.T @ Zc
        G[np.diag_indices_from(G)] += ridge * max(float(np.trace(G)), 1.0)
        beta = np.linalg.solve(G, Zc.T @ (y - ybar))
        effect = np.abs(beta) * Z.std(axis=0)
        keep = effect >= threshold * sd_y
        if keep.all():
            return ybar - float(mu @ beta), {int(j): float(b) for j, b in zip(cols, beta)}
        cols = [j for j, k in zip(cols, keep) if k]
    return ybar, {}


def _prune(node: _Node) -> None:
    """Collapse internal nodes whose two children are leaves with the same class (bottom up)."""
    if node.is_leaf:
        return
    for c in node.children:
        _prune(c)
    a, b = node.children
    if a.is_leaf and b.is_leaf and a.value == b.value:
        node.split = None
        node.children = ()
        node.value = a.value
