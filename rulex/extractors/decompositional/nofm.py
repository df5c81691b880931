"""N-of-M (Towell & Shavlik 1993): clustered weights read as m-of-n rules, layer by layer.

For every unit, on a copy of its weights (the user's network is never touched):

1. **Antecedents.** Each input becomes Boolean antecedents: a binary input is itself, a one-hot
   group is one antecedent per category (shifted by the group's smallest weight, which is exact
   because exactly one category is on), a numeric, integer or ordinal input is cut at its
   training median (its weight scaled by the gap between the means on either side, the bias
   taking the lower mean). Hidden units of the layer below are their on/off state. A negative
   weight is rewritten ``w a = w - |w| (not a)``, so every weight is positive.
2. **Cluster** the weights (1-D group-average agglomerative clustering, scipy) until the
   closest clusters are farther apart than ``cluster_distance`` times the unit's largest weight,
   and replace every weight by its cluster's mean.
3. **Eliminate** clusters whose removal changes the unit's on/off state on no training row (the bias
   is first fitted as in step 4 to the clustered weights: with the original bias, a unit read over
   median-cut antecedents can be on for every row, and every cluster would look removable).
4. **Retrain the bias** with the weights frozen: hidden units so that the clustered unit
   reproduces the original unit's activations (least squares, a bounded 1-D problem), output
   units so that it reproduces the network's decisions on the training rows.
5. **Read off** ``sum_c mean_c * n_c >= threshold`` (``n_c`` true antecedents of cluster c) as
   the minimal count vectors, each a conjunction of "at least n_c of cluster c" tests (rulex
   :class:`~rulex.rules.MofN`); "off" is the same with the antecedents negated. A one-hot group
   counts at most once in a cluster.
6. **Compose** layer by layer: hidden literals are replaced by their units' input-level rules, an
   m-of-n test over hidden units by the recursion "at least m of (h, rest) = (h and at least m-1 of
   rest) or at least m of rest" (m k products, not C(k, m)). Every stage keeps at most
   ``max_stage_clauses`` clauses, a greedy cover of the training rows it covers
   (:mod:`._stage_bound`): lossless on the training rows unless the cover itself needs more, and recorded
   in the provenance (``approximated``, ``bound``).
7. **Simplify**: n = M becomes a plain conjunction, equal rules merge, and the classes' rules go
   through the shared simplification.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ...exceptions import BudgetExceededError, NetworkError, PartialResultWarning
from ...network.adapter import ACTIVATIONS
from ...rules import Condition, MofN
from ..base import DecompositionalExtractor, Interval, Options, register
from ._stage_bound import BoundStats, at_least, cover_bound
from ..budget import SAFETY_SECONDS
from ._dnf_composition import MAX_STEPS, Budget, Clauses, class_rules, finish_within, pairwise_logits
from ._unit_reading import UnitLog
from ._units import quantile_cuts, unit_name, unit_thresholds

__all__ = ["NofM"]


class _Ante:
    """Boolean antecedents of a layer: columns ``A`` (rows x p), their encoded conditions or hidden
    keys, the one-hot group of each (or -1), and the map from the layer's values to a linear model
    over them (``coef`` per antecedent and a ``bias`` shift per source column)."""

    def __init__(self, A, items, group, source, scale, offset):
        self.A, self.items, self.group = A, items, np.asarray(group)
        self.source, self.scale, self.offset = np.asarray(source), np.asarray(scale), np.asarray(offset)

    def linear(self, w, b):
        """Weights and bias of ``w . v + b`` over the antecedents (one-hot groups shifted to >= 0)."""
        wa = w[self.source] * self.scale
        bias = b + float(np.sum(w[self.source] * self.offset))
        for g in np.unique(self.group[self.group >= 0]):
            idx = np.flatnonzero(self.group == g)
            low = wa[idx].min()
            wa[idx] -= low
            bias += low
        return wa, bias


def _input_antecedents(network, X):
    enc = network.encoder
    cols, items, group, source, scale, offset = [], [], [], [], [], []
    for gi, f in enumerate(enc.schema.features):
        fcols = list(enc.groups_[f.name])
        if f.kind == "categorical":
            for c in fcols:
                cols.append(X[:, c] > 0.5)
                items.append(Condition(enc.input_names_[c], ">", 0.5))
                group.append(gi); source.append(c); scale.append(1.0); offset.append(0.0)
            continue
        c = fcols[0]
        x = X[:, c]
        if f.kind == "binary":
            t, hi_m, lo_m = 0.5, 1.0, 0.0
        else:
            cut = quantile_cuts(x, 1)
            t = cut[0] if cut else 0.5
            above, below = x[x > t], x[x <= t]
            hi_m = float(above.mean()) if len(above) else 1.0
            lo_m = float(below.mean()) if len(below) else 0.0
        cols.append(x > t)
        items.append(Condition(enc.input_names_[c], ">", t))
        group.append(-1); source.append(c); scale.append(hi_m - lo_m); offset.append(lo_m)
    return _Ante(np.column_stack(cols).astype(np.float64), items, group, source, scale, offset)


def _hidden_antecedents(layer_idx, on_states, activation, v_on):
    """Units of hidden layer ``layer_idx`` as antecedents (their on/off state): a unit's value is
    read as its resting value plus (on value - resting value) when on."""
    m = on_states.shape[1]
    rest = -1.0 if activation == "tanh" else 0.0
    top = 2 * v_on if activation == "relu" else np.ones(m)
    return _Ante(on_states.astype(np.float64), [(layer_idx, j) for j in range(m)], [-1] * m, list(range(m)),
                 top - rest, np.full(m, rest))


def _cluster(w, distance, max_clusters):
    """Group-average clustering of the positive weights ``w`` (at most ``max_clusters``); labels 0..
    by decreasing mean."""
    from scipy.cluster.hierarchy import fcluster, linkage
    if len(w) == 1:
        return np.zeros(1, dtype=int)
    top = float(w.max())
    Z = linkage(w.reshape(-1, 1), method="average")
    lab = fcluster(Z, t=distance * top if top > 0 else 1.0, criterion="distance")
    if len(np.unique(lab)) > max_clusters:
        lab = fcluster(Z, t=max_clusters, criterion="maxclust")
    means = {k: w[lab == k].mean() for k in np.unique(lab)}
    order = sorted(means, key=lambda k: (-means[k], k))
    remap = {k: i for i, k in enumerate(order)}
    return np.array([remap[k] for k in lab])


class _Unit:
    """A clustered unit: antecedent columns used (with polarity), cluster labels and means, bias."""

    def __init__(self, idx, positive, labels, means, bias, threshold):
        self.idx, self.positive, self.labels = idx, positive, labels
        self.means, self.bias, self.threshold = means, bias, threshold
        self.n_dropped = 0

    def log(self, log, name, A, truth, n_weights):
        """Record in ``log`` how the unit was read and its agreement with ``truth`` (the real unit's
        state) on the training rows, read on the antecedents ``A`` of the layer below."""
        how = (f"{len(self.means)} cluster(s) of {len(self.idx)} antecedent(s)"
               + (f"; {self.n_dropped} weaker antecedent(s) held at their mean (max_antecedents)"
                  if self.n_dropped else "") + f"; {n_weights} distinct weight(s)")
        agreement = float(np.mean((self.score(A) >= self.threshold) == truth)) if len(truth) else 1.0
        log.record(name, how, agreement, bool(self.n_dropped) or len(self.means) < n_weights)

    def weights(self):
        return np.array([self.means[k] for k in self.labels])

    def score(self, A):
        B = A[:, self.idx]
        B = np.where(self.positive[None, :], B, 1.0 - B)
        return B @ self.weights() + self.bias if len(self.idx) else np.full(len(A), self.bias)

    def describe(self):
        return {"clusters": [float(m) for m in self.means], "sizes": [int(np.sum(self.labels == k))
                                                                     for k in range(len(self.means))],
                "bias": float(self.bias), "threshold": float(self.threshold)}


def _fit_unit(w, b, ante, distance, max_clusters, max_antecedents, threshold, target, kind, activation):
    """Steps 1-4 for one unit. ``target``: original activations (hidden) or decisions (output)."""
    wa, bias = ante.linear(w, b)
    positive = wa >= 0
    bias += float(np.sum(wa[~positive]))
    mag = np.abs(wa)
    keep = np.flatnonzero(mag > 1e-12)
    A = ante.A
    n_dropped = max(len(keep) - max_antecedents, 0)
    if len(keep) > max_antecedents:
        # the weakest antecedents become constants at their mean on the rows (the retrained bias
        # absorbs them): an m-of-n test over a few strong antecedents stays readable and exportable
        order = keep[np.argsort(-mag[keep], kind="stable")]
        keep, dropped = np.sort(order[:max_antecedents]), order[max_antecedents:]
        B = np.where(positive[dropped][None, :], A[:, dropped], 1.0 - A[:, dropped])
        bias += float(np.sum(mag[dropped] * B.mean(axis=0)))
    if not len(keep):
        return _Unit(keep, positive[keep], np.zeros(0, int), [], bias, threshold)
    labels = _cluster(mag[keep], distance, max_clusters)
    means = [float(mag[keep][labels == k].mean()) for k in range(labels.max() + 1)]
    unit = _Unit(keep, positive[keep], labels, means, bias, threshold)
    # the bias first fitted to the clustered weights: read over median-cut antecedents with the original
    # bias, the unit can be on (or off) on every row, and then every cluster would look removable
    unit.bias = _retrain_bias(unit, A, target, kind, activation)
    # eliminate clusters that change the unit's state on no training row, smallest total first
    state = unit.score(A) >= threshold
    totals = sorted(range(len(means)), key=lambda k: (means[k] * np.sum(labels == k), k))
    for k in totals:
        sel = unit.labels != k
        trial = _Unit(unit.idx[sel], unit.positive[sel], unit.labels[sel], unit.means, unit.bias, threshold)
        if np.array_equal(trial.score(A) >= threshold, state):
            unit = trial
    # renumber the surviving clusters
    alive = sorted(set(unit.labels.tolist()))
    remap = {k: i for i, k in enumerate(alive)}
    unit = _Unit(unit.idx, unit.positive, np.array([remap[k] for k in unit.labels], dtype=int),
                 [unit.means[k] for k in alive], unit.bias, threshold)
    unit.bias = _retrain_bias(unit, A, target, kind, activation)
    unit.n_dropped = n_dropped
    return unit


def _retrain_bias(unit, A, target, kind, activation):
    """The bias that makes the clustered unit reproduce the original one (weights frozen)."""
    from scipy.optimize import minimize_scalar
    s = unit.score(A) - unit.bias
    if kind == "output":
        # decision agreement: the unit is on exactly when the network decides so; try every cut
        cand = np.unique(np.concatenate([unit.threshold - s, [unit.bias]]))
        on = target.astype(bool)
        best = max(cand, key=lambda c: (float(np.mean((s + c >= unit.threshold - 1e-12) == on)),
                                        -abs(c - unit.bias)))
        return float(best)
    f = ACTIVATIONS[activation]
    span = float(np.abs(s).max() + abs(unit.bias) + 10.0)
    grid = np.linspace(-span, span, 81)
    loss = [float(np.mean((f(s + c) - target) ** 2)) for c in grid]
    c0 = grid[int(np.argmin(loss))]
    step = grid[1] - grid[0]
    res = minimize_scalar(lambda c: float(np.mean((f(s + c) - target) ** 2)), bounds=(c0 - step, c0 + step),
                          method="bounded", options={"xatol": 1e-6})
    return float(res.x if res.fun <= min(loss) else c0)


def _count_vectors(means, caps, need, budget, where, limit):
    """Minimal ``n`` (0 <= n_c <= caps_c) with ``sum means_c n_c >= need``; ``[()]``-like if need <= 0."""
    C = len(means)
    out = []
    if need <= 1e-12:
        return [np.zeros(C, dtype=int)]
    suffix = np.concatenate([np.cumsum([m * c for m, c in zip(means, caps)][::-1])[::-1], [0.0]])
    steps = [0]

    def rec(c, n, total):
        steps[0] += 1
        if steps[0] % 1024 == 0:
            budget.check(len(out), where)
        if total >= need - 1e-9:
            if all(total - means[k] < need - 1e-9 for k in range(C) if n[k] > 0):
                out.append(np.array(n))
            return
        if c == C or total + suffix[c] < need - 1e-9:
            return
        for k in range(caps[c], -1, -1):
            n[c] = k
            rec(c + 1, n, total + k * means[c])
            n[c] = 0
            if len(out) > limit:
                budget.check(len(out), where)

    rec(0, [0] * C, 0.0)
    return out


@register
class NofM(DecompositionalExtractor):
    """N-of-M (Towell & Shavlik 1993): clustered weights, retrained biases, m-of-n rules.

    Parameters
    ----------
    cluster_distance : float, default 0.25
        Weights are clustered until the closest clusters are farther apart than this share of
        the unit's largest weight.
    max_clusters : int, default 2
        At most this many clusters per unit (merged further if the distance leaves more): each
        cluster is one m-of-n test, and a unit's rules are the count vectors over its clusters.
    max_antecedents : int, default 10
        At most this many antecedents per unit, the strongest; the others are held at their mean
        on the training rows and the retrained bias absorbs them. Keeps every m-of-n test small
        enough to read and to export (PMML expands "n of m" into its AND-combinations).
    max_clauses : int or None, default 20000
        Largest number of rules per unit and of clauses alive while composing layers.
    max_stage_clauses : int or None, default 64
        Bound on the composition: every stage (a unit's input-level rules, each product of
        literals, each step of an m-of-n test over hidden units, each class decision) keeping
        more clauses is reduced to a greedy cover of the training rows it covers, at most this
        many clauses, chosen by the rows they cover (CRED/DeepRED-style). The cover keeps each
        stage's value on every training row unless it needs more than this many clauses; only
        unseen points may then be decided differently. The provenance says whether it dropped
        anything (``approximated``) and how much (``bound``). None: the exact expansion
        (exponential in the number of hidden units; only ``max_clauses``, ``max_steps`` and
        ``max_seconds`` stop it).
    max_steps : int or None, default 20_000_000
        Deterministic work budget: clause pairs multiplied through the m-of-n stages and layers (plus
        one per check-point), recorded in provenance ``budget``. None: none.
    max_seconds : float or None, default 1200
        A safety net only (a normal run never reaches it): when the wall clock stops the run instead of
        ``max_steps``, the error or (``on_budget="partial"``) the warning and provenance say so.
    on_budget : {"error", "partial"}, default "error"
        On a budget overrun: raise :class:`~rulex.BudgetExceededError`, or return the classes
        finished so far with a warning.
    generalise : bool, default False
        Drop literals of the final rules that do not reduce errors on the training rows.

    Attributes
    ----------
    units_ : dict
        ``{"h1_0": {"clusters": [...], "sizes": [...], "bias": ..., "threshold": ...}, ...}``: the
        clustered copy of every unit (and of each pairwise output decision) after bias retraining.
    unit_rules_ : dict
        Every unit's m-of-n rules over the layer below, as text.
    """

    name = "nofm"
    description = "N-of-M: clustered weights, eliminated clusters, retrained biases, read as m-of-n rules"
    _parameter_constraints = {
        "cluster_distance": [Interval(float, 0.0, 1.0)],
        "max_clusters": [Interval(int, 1, 16)],
        "max_antecedents": [Interval(int, 1, 64)],
        "max_clauses": [Interval(int, 1, None), None],
        "max_stage_clauses": [Interval(int, 1, None), None],
        "max_steps": [Interval(int, 1, None), None],
        "max_seconds": [Interval(float, 0.0, None), None],
        "on_budget": [Options(("error", "partial"))],
        "generalise": [bool],
    }

    def __init__(self, cluster_distance=0.25, max_clusters=2, max_antecedents=10, max_clauses=20000,
                 max_stage_clauses=64, max_steps=MAX_STEPS, max_seconds=SAFETY_SECONDS, on_budget="error",
                 generalise=False):
        self.cluster_distance = cluster_distance
        self.max_clusters = max_clusters
        self.max_antecedents = max_antecedents
        self.max_clauses = max_clauses
        self.max_stage_clauses = max_stage_clauses
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.on_budget = on_budget
        self.generalise = generalise

    def _extract(self, network, dataset, X):
        if not network.hidden_layers:
            raise NetworkError("nofm needs at least one hidden layer")
        budget = Budget(self.max_clauses, self.max_seconds, "nofm",
                        advice="lower max_stage_clauses, raise cluster_distance (fewer clusters), "
                               "or use on_budget='partial'", max_steps=self.max_steps)
        acts = network.activations(X)
        y = network.predict_index(X)
        K = len(network.classes)
        default = int(np.argmax(np.bincount(y, minlength=K)))
        reading = _Reading(self, network, X, acts, y, budget)
        dnfs, done = {}, []
        try:
            reading.fit_hidden_layers()
            dnfs, done = class_rules(network, len(X), default, reading.decision, budget, self.on_budget,
                                     reduce=reading.bound)
        except BudgetExceededError as exc:
            if self.on_budget == "error":
                raise
            warnings.warn(f"{exc}. Returning the rules of the {len(done)} class(es) finished "
                          f"(on_budget='partial')", PartialResultWarning, stacklevel=3)
        self.units_ = reading.units
        self.unit_rules_ = reading.unit_rules
        extra = {"complete": len(done) == K - 1, "classes_done": done, "peak_clauses": budget.peak,
                 **reading.stats.as_provenance(), **reading.log.provenance()}
        rules, partial = finish_within(dnfs, network, X, y, default, budget=budget, generalise=self.generalise,
                                       on_budget=self.on_budget)
        return rules, {**extra, **partial, **budget.provenance()}


class _Reading:
    """One N-of-M reading of a network: the clustered copy of every unit (steps 1-4), its m-of-n
    rules (step 5) and their input-level expansion (step 6), memoised per unit and polarity. Lives
    for one ``_extract`` call; ``units`` and ``unit_rules`` become the extractor's attributes."""

    def __init__(self, params: NofM, network, X, acts, y, budget):
        self.network, self.X, self.acts, self.y, self.budget = network, X, acts, y, budget
        self.layers = network.layers
        self.frame0 = pd.DataFrame(X, columns=network.encoder.input_names_)
        self.dist, self.mc, self.ma = float(params.cluster_distance), int(params.max_clusters), \
            int(params.max_antecedents)
        self.max_stage_clauses, self.max_clauses = params.max_stage_clauses, params.max_clauses
        self.ante = [_input_antecedents(network, X)]
        self.units: dict = {}
        self.unit_rules: dict = {}
        self.fitted: dict = {}
        self.memo: dict = {}
        self.stats = BoundStats(params.max_stage_clauses)
        self.log = UnitLog(len(X))
        self.v_on: list = []

    def bound(self, clauses):
        return cover_bound(clauses, self.max_stage_clauses, self.stats)

    def fit_hidden_layers(self):
        """Steps 1-4 for every hidden unit; each layer above sees the clustered units' on/off states."""
        for l, layer in enumerate(self.layers[:-1], start=1):
            H = self.acts[l - 1]
            t_on, _, v_on, _, _, _ = unit_thresholds(layer.activation, H, 0.5)
            self.v_on.append(v_on)
            cols = []
            for j in range(layer.n_units):
                u = _fit_unit(layer.weights[j], layer.bias[j], self.ante[-1], self.dist, self.mc, self.ma, t_on[j],
                              H[:, j], "hidden", layer.activation)
                self.fitted[(l, j)] = u
                self.units[unit_name(l, j)] = u.describe()
                u.log(self.log, unit_name(l, j), self.ante[-1].A, H[:, j] >= v_on[j],
                      _distinct(layer.weights[j], self.ante[-1]))
                cols.append(u.score(self.ante[-1].A) >= u.threshold)
                self.budget.check(0, f"clustering unit {unit_name(l, j)}")
            self.ante.append(_hidden_antecedents(l, np.column_stack(cols), layer.activation, v_on))

    def rules_of(self, u, src, on, where):
        """Conjunctions (tuples of literals: Conditions/MofN, or ('h', l, j, on) keys) of the unit."""
        C = len(u.means)
        members = [np.flatnonzero(u.labels == k) for k in range(C)]
        lits = []
        for k in range(C):
            group = []
            for i in members[k]:
                item = src.items[u.idx[i]]
                pos = bool(u.positive[i]) == on
                group.append((item, pos))
            lits.append(group)
        total = sum(u.means[k] * len(members[k]) for k in range(C))
        need = (u.threshold - u.bias) if on else (total - (u.threshold - u.bias) + 1e-9)
        # on: a one-hot group counts at most once in a cluster; off counts false antecedents
        gid = [src.group[a] if src.group[a] >= 0 else -1 - int(a) for a in u.idx]
        caps = [len(members[k]) if not on else len({gid[i] for i in members[k]}) for k in range(C)]
        vecs = _count_vectors(u.means, caps, need, self.budget, where, self.max_clauses or 10**9)
        out = []
        for n in vecs:
            conj = []
            for k in range(C):
                if n[k] == 0:
                    continue
                conj.extend(_mofn(int(n[k]), lits[k]))
            out.append(tuple(conj))
        return out

    def expand(self, conj, l, where):
        """Input-level Clauses of a conjunction over layer ``l``'s antecedents."""
        acc = Clauses.true(len(self.X))
        plain = []
        for lit in conj:
            if l == 0:
                plain.append(lit)
                continue
            acc = self.bound(acc.and_(self.expand_literal(lit), self.budget, where, keep_uncovered=False))
            if not len(acc):
                return acc
        if l == 0:
            return Clauses.from_conjunctions([tuple(plain)], self.frame0)
        return acc

    def expand_literal(self, lit):
        if isinstance(lit, tuple) and lit[0] == "h":
            _, li, j, on = lit
            return self.unit_dnf(li, j, on)
        m, keys = lit            # ("mofn" over hidden literals)
        parts = [lambda key=key: self.unit_dnf(*key[1:]) for key in keys]
        return at_least(m, parts, len(self.X), self.bound, self.budget, "expanding an m-of-n test over hidden units")

    def unit_dnf(self, l, j, on):
        key = (l, j, on)
        if key not in self.memo:
            u = self.fitted[(l, j)]
            conjs = self.rules_of(u, self.ante[l - 1], on, f"reading unit {unit_name(l, j)}")
            self.unit_rules[f"{unit_name(l, j)} {'on' if on else 'off'}"] = [_show(c) for c in conjs]
            result = Clauses([])
            for c in conjs:
                result = self.bound(result.or_(self.expand(c, l - 1, f"composing unit {unit_name(l, j)}")))
                self.budget.check(len(result), f"composing unit {unit_name(l, j)}")
            if on:
                self.log.composed(unit_name(l, j), [m for _, m, _ in result.items],
                                  self.acts[l - 1][:, j] >= self.v_on[l - 1][j])
            # a count vector no training row meets adds nothing but products
            self.memo[key] = result.drop_uncovered().with_terms([(l, j, ">=" if on else "<", float(u.threshold))])
        return self.memo[key]

    def decision(self, c, c2):
        """Input-level Clauses of "class ``c`` wins over class ``c2``" (the pairwise output unit, read
        and expanded like a hidden one)."""
        acts, classes = self.acts, self.network.classes
        Wo, bo = pairwise_logits(self.layers[-1])
        won = (acts[-1][:, c] >= acts[-1][:, c2]) if acts[-1].shape[1] > 1 else (self.y == c)
        u = _fit_unit(Wo[c] - Wo[c2], bo[c] - bo[c2], self.ante[-1], self.dist, self.mc, self.ma, 0.0, won, "output",
                      "identity")
        tag = f"class {classes[c]} over {classes[c2]}"
        self.units[tag] = u.describe()
        u.log(self.log, tag, self.ante[-1].A, won, _distinct(Wo[c] - Wo[c2], self.ante[-1]))
        conjs = self.rules_of(u, self.ante[-1], True, f"reading the decision {tag}")
        self.unit_rules[tag] = [_show(x) for x in conjs]
        part = Clauses([])
        for conj in conjs:
            part = self.bound(part.or_(self.expand(conj, len(self.layers) - 1,
                                                  f"the decision for class {classes[c]!r}")))
            self.budget.check(len(part), f"the decision for class {classes[c]!r}")
        self.log.composed(tag, [m for _, m, _ in part.items], won)
        return part


def _distinct(w, ante) -> int:
    """Distinct non-zero weights of a unit over the antecedents ``ante``: the clusters of an exact reading."""
    wa, _ = ante.linear(np.asarray(w, dtype=np.float64), 0.0)
    return len(np.unique(np.round(np.abs(wa[np.abs(wa) > 1e-12]), 9)))


def _mofn(n, group):
    """Literals for "at least n of the cluster's antecedents" (with polarity)."""
    items = []
    for item, pos in group:
        if isinstance(item, Condition):
            items.append(item if pos else item.negate())
        else:
            items.append(("h", item[0], item[1], pos))
    if n == len(items):
        return items                          # all of them: a plain conjunction
    if all(isinstance(i, Condition) for i in items):
        return [MofN(n, tuple(items))] if len(items) > 1 else items
    return [(n, tuple(items))]


def _show(conj) -> str:
    parts = []
    for lit in conj:
        if isinstance(lit, (Condition, MofN)):
            parts.append(str(lit))
        elif lit[0] == "h":
            parts.append(f"{unit_name(lit[1], lit[2])} {'on' if lit[3] else 'off'}")
        else:
            inner = ", ".join(f"{unit_name(k[1], k[2])} {'on' if k[3] else 'off'}" for k in lit[1])
            parts.append(f"{lit[0]} of {{{inner}}}")
    return " & ".join(parts) or "true"
