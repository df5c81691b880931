"""Sequential covering with the network as oracle (IREP*/RIPPER grow-prune-stop, CN2-style modes).

Rules are grown literal by literal on network-labelled rows in the user's units (training rows
plus points of the shared :class:`~rulex.extractors.sampling.Sampler`), pruned on a separate
network-labelled sample, and stopped by description length or a fidelity target. The network
labels as many points as we like, so after each pass fresh points are drawn, those where the
rules and the network disagree (and jittered copies of them) join the pools, and the rules are
learned again; the best pass on a fixed validation sample is kept. In ordered mode each pass's
list is refined on all its labelled rows, up to 50,000 (a seeded subsample beyond;
``rulex.extractors._list_refinement``: thresholds, category sets and literals re-chosen exactly against
the whole list's agreement with the network, rules worth less than ``min_rule_gain`` of the rows
dropped), and with two classes rules for the larger class are tried as well as for the smaller
one.
"""
from __future__ import annotations

import numpy as np

from ...rules import Rule, RuleSet
from .._sequential_covering import Clock, Covering, predict_rules, rule_mask
from .._list_refinement import refine_ordered, refine_rows
from .._value_table import ValueTable
from ..base import Interval, Options, PedagogicalExtractor, register
from ..budget import SAFETY_SECONDS
from ..sampling import Sampler

__all__ = ["Cover", "cap_pools", "draw_points", "network_pools"]

_ACCURACY_PRUNE_ROWS = 10_000   # prune_metric="auto": grow pools of this size and more prune by accuracy


def draw_points(sampler, n: int) -> np.ndarray:
    """``n`` encoded points: half perturbed training rows (on the data), half from the product of
    the marginals (everywhere in the data's box, where perturbations of discrete inputs never go)."""
    k = n // 2
    parts = [sampler.perturb(n - k), sampler.sample(k)]
    return np.vstack([p for p in parts if len(p)]) if any(len(p) for p in parts) else parts[0]


def network_pools(network, dataset, X, *, n_samples: int, prune_size: float, rng, sampler):
    """Grow and prune pools ``(V, y)`` (value tables and network class indices): the training
    rows and ``n_samples`` perturbed points, each split at random ``1 - prune_size`` / ``prune_size``."""
    table = ValueTable(network.encoder)
    V_train = table.from_frame(dataset.frame)
    y_train = network.predict_index(X)
    parts = [(V_train, y_train)]
    if n_samples:
        S = draw_points(sampler, n_samples)
        if len(S):
            parts.append((table.from_encoded(S), network.predict_index(S)))
    grow, prune = [], []
    for V, y in parts:
        idx = rng.permutation(len(V))
        k = round(len(V) * prune_size)
        grow.append((V[idx[k:]], y[idx[k:]]))
        prune.append((V[idx[:k]], y[idx[:k]]))
    cat = lambda ps: (np.vstack([p[0] for p in ps]), np.concatenate([p[1] for p in ps]))
    return table, cat(grow), cat(prune)


def cap_pools(grow: tuple, prune: tuple, max_rows, rng) -> tuple:
    """``grow`` and ``prune`` (tuples of row-aligned arrays: values, labels, weights...) cut to
    ``max_rows`` rows together by a random subsample of each that keeps their shares (unchanged
    when they hold no more, or ``max_rows`` is None)."""
    n = len(grow[0]) + len(prune[0])
    if max_rows is None or n <= max_rows:
        return grow, prune

    def keep(part, k):
        idx = np.sort(rng.choice(len(part[0]), k, replace=False))
        return tuple(a[idx] for a in part)
    return (keep(grow, max(1, round(max_rows * len(grow[0]) / n))),
            keep(prune, max(1, round(max_rows * len(prune[0]) / n))))


@register
class Cover(PedagogicalExtractor):
    """Sequential covering (IREP*/RIPPER) on network-labelled rows, with active disagreement sampling.

    Parameters
    ----------
    semantics : {"ordered", "unordered"}, default "ordered"
        ``ordered``: a decision list learned class by class, smallest class first, each class
        against the classes after it; the most frequent class is the default. ``unordered``:
        every class but the most frequent against all others; rules vote with their precision.
    stop : {"mdl", "fidelity"}, default "mdl"
        Stop adding rules for a class by description length (theory + exception bits on at most
        1,000 rows; the prefix of least length is kept) or once the class's rules agree with the
        network on ``fidelity_target`` of its prune rows.
    fidelity_target : float in [0, 1], default 0.99
        Also ends the active passes early when reached on the validation sample.
    n_samples : int, default 2000
        Sampler points labelled by the network added to the training rows.
    n_rounds : int, default 2
        Active passes after the first: draw ``n_samples`` fresh points, add the ones the rules
        get wrong (and jittered copies) to the pools, learn again.
    max_rules : int or None, default 50
        Most rules per class.
    max_rule_conditions : int, default 8
    min_support : int, default 3
        Fewest positives (grow rows) a rule must cover.
    prune_size : float in (0, 1), default 0.33
        Share of rows held out for pruning.
    max_rows : int or None, default 50000
        Most labelled rows (grow and prune pools together, before the active passes add theirs) the
        rules are learned on: larger pools are subsampled at random (seeded). None: all of them.
    prune_metric : {"auto", "precision", "accuracy"}, default "auto"
        How a grown rule is cut back on the prune rows: keep the prefix of its literals with the best
        ``(p - n) / (p + n)`` (``precision``, RIPPER's) or ``p - n`` (``accuracy``, IREP's). On a large
        network-labelled pool every literal that nudges precision up survives the precision metric
        (the network's boundary is rounded), so rules grow long, the description length stops after a
        rule or two and fidelity falls as rows are added. ``auto``: precision while the grow pool has
        fewer than 10,000 rows, accuracy from there.
    lookahead : bool, default True
        Score pairs of literals when no single literal helps (XOR-like concepts).
    min_rule_gain : float in [0, 1], default 0.002
        Ordered mode: after the rules are learned, their thresholds, categories and literals are
        re-chosen exactly on all labelled rows; then a rule is dropped (and the others refined
        again) when it adds no more than this share of the rows to the list's agreement with the
        network.
    max_evaluations : int or None, default 200_000_000
        The work budget, the deterministic stop: literal evaluations (one per row and column scanned when
        a rule grows, one per row a literal is re-chosen on) plus one per check-point (a rule grown or
        refined, a round of sampling). The default is about twenty times what the bundled data set that
        needs most asks (adult: ~10.5 million; monk2 ~3.6, breast_cancer ~5.1), so it only stops runaway
        runs; where it stops, the same ``random_state`` gives the same rules on any machine (provenance
        ``budget``). None: no work budget.
    max_seconds : float or None, default 1200
        Safety net only: a wall-clock limit that a normal run never reaches. When it, not
        ``max_evaluations``, stops the run, the rules depend on the machine's load; the provenance says
        so (``complete: False``, ``budget.stopped_by: "max_seconds"``) with a
        :class:`~rulex.PartialResultWarning`.
    on_budget : {"partial", "error"}, default "partial"
        When a budget runs out keep the rules found so far (provenance ``budget_exhausted``) or raise
        :class:`~rulex.exceptions.BudgetExceededError`.
    random_state : int or None, default 0
    """

    name = "cover"
    _row_parameters = {"n_samples": 6}
    description = "sequential covering (IREP*/RIPPER) on network-labelled rows with active sampling"
    _parameter_constraints = {
        "semantics": [Options(("ordered", "unordered"))],
        "stop": [Options(("mdl", "fidelity"))],
        "fidelity_target": [Interval(float, 0.0, 1.0)],
        "n_samples": [Interval(int, 0, None)],
        "n_rounds": [Interval(int, 0, None)],
        "max_rules": [Interval(int, 1, None), None],
        "max_rule_conditions": [Interval(int, 1, None)],
        "min_support": [Interval(int, 1, None)],
        "prune_size": [Interval(float, 0.01, 0.9)],
        "max_rows": [Interval(int, 10, None), None],
        "prune_metric": [Options(("auto", "precision", "accuracy"))],
        "lookahead": [bool],
        "min_rule_gain": [Interval(float, 0.0, 1.0)],
        "max_evaluations": [Interval(int, 1, None), None],
        "max_seconds": [Interval(float, 0.0, None), None],
        "on_budget": [Options(("partial", "error"))],
        "random_state": [Interval(int, 0, None), None],
    }

    def __init__(self, semantics="ordered", stop="mdl", fidelity_target=0.99, n_samples=2000, n_rounds=2,
                 max_rules=50, max_rule_conditions=8, min_support=3, prune_size=0.33, max_rows=50000,
                 prune_metric="auto", lookahead=True, min_rule_gain=0.002, max_evaluations=200_000_000,
                 max_seconds=SAFETY_SECONDS, on_budget="partial", random_state=0):
        self.semantics = semantics
        self.stop = stop
        self.fidelity_target = fidelity_target
        self.n_samples = n_samples
        self.n_rounds = n_rounds
        self.max_rules = max_rules
        self.max_rule_conditions = max_rule_conditions
        self.min_support = min_support
        self.prune_size = prune_size
        self.max_rows = max_rows
        self.prune_metric = prune_metric
        self.lookahead = lookahead
        self.min_rule_gain = min_rule_gain
        self.max_evaluations = max_evaluations
        self.max_seconds = max_seconds
        self.on_budget = on_budget
        self.random_state = random_state

    # -- one pass ---------------------------------------------------------------------------
    def _learn(self, engine, grow, prune, n_classes, n_cand, reverse=False):
        """One pass; ``reverse`` (ordered, two classes): rules for the larger class, the smaller default."""
        Vg, yg = grow
        Vp, yp = prune
        freq = np.bincount(yg, minlength=n_classes)
        order = sorted(range(n_classes), key=lambda k: (freq[k], k))
        order = [k for k in order if freq[k] > 0] or [0]
        if reverse and len(order) == 2:
            order = order[::-1]
        default = order[-1]
        rules = []
        if self.semantics == "ordered":
            ag = np.ones(len(Vg), dtype=bool)
            ap = np.ones(len(Vp), dtype=bool)
            for k in order[:-1]:
                found = engine.learn_class(Vg[ag], yg[ag] == k, Vp[ap], yp[ap] == k, n_cand)
                for lits in found:
                    rules.append((lits, k, 1.0))
                    ag &= ~rule_mask(lits, Vg)
                    ap &= ~rule_mask(lits, Vp)
                if engine.clock.hit:
                    break
        else:
            for k in order[:-1]:
                found = engine.learn_class(Vg, yg == k, Vp, yp == k, n_cand)
                for lits in found:
                    m = rule_mask(lits, Vp)
                    p = float((yp[m] == k).sum())
                    rules.append((lits, k, round((p + 1) / (m.sum() + 2), 6)))
                if engine.clock.hit:
                    break
        rules = self._prune_set(rules, default, Vp, yp, n_classes)
        if self.semantics == "ordered":       # thresholds, categories and literals re-chosen on all rows
            Vr, yr = refine_rows(np.vstack([Vg, Vp]), np.concatenate([yg, yp]), self.random_state)
            rules = refine_ordered(rules, default, Vr, yr, engine.table, clock=engine.clock,
                                   rule_cost=self.min_rule_gain)
        return rules, default

    def _prune_set(self, rules, default, Vp, yp, n_classes):
        """Delete rules, last first, while agreement on the prune rows does not fall."""
        if not len(Vp):
            return rules
        acc = np.mean(predict_rules(rules, default, self.semantics, Vp, n_classes) == yp)
        for i in range(len(rules) - 1, -1, -1):
            trial = rules[:i] + rules[i + 1:]
            a = np.mean(predict_rules(trial, default, self.semantics, Vp, n_classes) == yp)
            if a >= acc:
                rules, acc = trial, a
        return rules

    def _prune_metric(self, grow_rows: int) -> str:
        if self.prune_metric != "auto":
            return self.prune_metric
        return "accuracy" if grow_rows >= _ACCURACY_PRUNE_ROWS else "precision"

    # -- extraction ------------------------------------------------------------------------------
    def _extract(self, network, dataset, X):
        clock = Clock(self.max_seconds, self.on_budget, self.name, self.max_evaluations, "max_evaluations")
        rng = np.random.default_rng(self.random_state)
        sampler = Sampler(network.encoder, X, random_state=self.random_state)
        table, grow, prune = network_pools(network, dataset, X, n_samples=self.n_samples,
                                           prune_size=self.prune_size, rng=rng, sampler=sampler)
        grow, prune = cap_pools(grow, prune, self.max_rows, rng)
        n_classes = len(network.classes)
        n_cand = sum(len(np.unique(grow[0][:, j][~np.isnan(grow[0][:, j])])) for j in range(grow[0].shape[1]))
        engine = Covering(table, max_rule_conditions=self.max_rule_conditions, min_support=self.min_support,
                          stop=self.stop, fidelity_target=self.fidelity_target, lookahead=self.lookahead,
                          max_rules=self.max_rules, clock=clock, prune_metric=self._prune_metric(len(grow[0])))
        # a fixed validation sample chooses between passes
        S_val = draw_points(sampler, max(self.n_samples, 500)) if self.n_rounds else np.zeros((0, X.shape[1]))
        V_val = np.vstack([prune[0], table.from_encoded(S_val)]) if len(S_val) else prune[0]
        y_val = np.concatenate([prune[1], network.predict_index(S_val)]) if len(S_val) else prune[1]
        best, history = None, []
        # ordered, two classes: rules for the smaller class (RIPPER's choice), and also for the larger
        # one (a DNF true on most rows is a long list the other way round); the better on the
        # validation sample sets the direction of the later passes
        directions = [False, True] if self.semantics == "ordered" and len(np.unique(grow[1])) == 2 else [False]
        reverse = False
        for rnd in range(self.n_rounds + 1):
            tries = []
            for rev in (directions if rnd == 0 else [reverse]):
                rules, default = self._learn(engine, grow, prune, n_classes, n_cand, reverse=rev)
                fid = float(np.mean(predict_rules(rules, default, self.semantics, V_val, n_classes) == y_val))
                tries.append((fid, -sum(len(r[0]) for r in rules), -len(rules), not rev, rules, default, rev))
            fid, _, _, _, rules, default, reverse = max(tries, key=lambda t: t[:4])
            size = sum(len(r[0]) for r in rules)
            history.append({"round": rnd, "validation_fidelity": round(fid, 6), "rules": len(rules),
                            "conditions": size, "grow_rows": len(grow[0]), "rules_for_larger_class": bool(reverse)})
            if best is None or (fid, -size) > (best[0], -best[1]):
                best = (fid, size, rules, default)
            if rnd == self.n_rounds or fid >= self.fidelity_target or clock.over("sampling disagreements"):
                break
            S = draw_points(sampler, self.n_samples)
            if not len(S):
                break
            Vs, ys = table.from_encoded(S), network.predict_index(S)
            wrong = predict_rules(rules, default, self.semantics, Vs, n_classes) != ys
            if not wrong.any():
                break
            J = sampler.perturb(4 * int(wrong.sum()), reference=S[wrong], scale=0.1)
            Vn = np.vstack([Vs[wrong], table.from_encoded(J)])
            yn = np.concatenate([ys[wrong], network.predict_index(J)])
            idx = rng.permutation(len(Vn))
            k = round(len(Vn) * self.prune_size)
            grow = (np.vstack([grow[0], Vn[idx[k:]]]), np.concatenate([grow[1], yn[idx[k:]]]))
            prune = (np.vstack([prune[0], Vn[idx[:k]]]), np.concatenate([prune[1], yn[idx[:k]]]))
        _, _, rules, default = best
        extra = {"rounds": history, "prune_metric": engine.prune_metric, "budget_exhausted": bool(clock.hit),
                 "validation_fidelity": history and max(h["validation_fidelity"] for h in history),
                 **clock.provenance()}
        return to_ruleset(rules, default, self.semantics, table, network), extra


def to_ruleset(rules, default, semantics, table, network) -> RuleSet:
    """Internal ``(lits, k, weight)`` rules as an original-space :class:`RuleSet`."""
    classes = network.classes
    out = [Rule([table.condition(lit) for lit in lits], classes[k],
                weight=(w if semantics == "unordered" else 1.0)) for lits, k, w in rules]
    return RuleSet(out, classes[default], semantics=semantics, task="classification", classes=classes,
                   schema=network.encoder.schema, space="original")
