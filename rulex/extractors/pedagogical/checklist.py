"""Predictive checklists on network-labelled rows: "at least m of these n conditions".

A checklist is one m-of-n test (Zhang, Ustun et al., NeurIPS 2021, learn them by MIP; Towell &
Shavlik's N-of-M and TREPAN read them off a network or a tree). Here they are learned with the
network as oracle, in the user's units:

1. Pools of network-labelled rows (training rows plus shared-sampler points), split into grow
   and prune parts (as ``cover`` does).
2. Candidate literals: ``x <= t`` / ``x > t`` at up to ``max_cuts`` cuts between neighbouring
   values of each numeric feature (the printed threshold), ``x == c`` / ``x != c`` per category.
3. Greedy forward selection: add the literal and choose the ``m`` that agree most with the
   network on the grow rows (one literal per feature). Agreement is exact and cheap: with ``c``
   literals already true on a row, a new literal only decides the rows where ``c == m - 1``.
4. Coordinate refinement after each addition: every chosen literal is in turn swapped for the
   best replacement (and ``m`` re-chosen) while agreement on the grow rows rises.
5. The size is chosen on the prune rows: the fewest conditions within ``tolerance`` of the best.

With more than two classes the checklists form an ordered list (smallest class first, each against
the classes after it); ``max_rules_per_class`` more checklists per class may follow, each learned
on the rows the earlier ones leave, and are kept only while agreement on the prune rows rises.
"""
from __future__ import annotations

import numpy as np

from ...exceptions import DataError
from ...rules import MofN, Rule, RuleSet
from .._bits import count_bits, pack
from .._sequential_covering import Clock
from .._value_table import Lit, ValueTable, candidate_cuts
from ..base import Interval, Options, PedagogicalExtractor, register
from ..budget import SAFETY_SECONDS, check_rows, memory_budget
from ..sampling import Sampler
from .cover import cap_pools, network_pools

__all__ = ["Checklist"]


def _literal_pool(table: ValueTable, V: np.ndarray, max_cuts: int) -> list:
    """Candidate literals on the value table ``V``: both sides of each cut, each category and its complement."""
    lits = []
    for j in range(V.shape[1]):
        x = V[:, j]
        if table.continuous[j]:
            pairs = candidate_cuts(x, max_cuts)
            if not len(pairs):
                continue
            for t in np.unique(table.threshold(j, pairs[:, 0], pairs[:, 1])):
                lits += [Lit(j, "le", float(t)), Lit(j, "gt", float(t))]
        else:
            present = np.unique(x[~np.isnan(x)]).astype(int)
            if len(present) < 2:
                continue
            K = table.n_codes(j)
            for c in present:
                lits.append(Lit(j, "in", (int(c),)))
                if K > 2:
                    lits.append(Lit(j, "in", tuple(int(o) for o in range(K) if o != c)))
    return lits


def _agreement(counts, B, pos, m, w) -> np.ndarray:
    """Weighted agreement with ``pos`` of ``counts + B[:, l] >= m`` for every literal column ``l``
    (``B`` a 0/1 float32 matrix): only the rows with ``m - 1`` literals true depend on ``l``."""
    base = float(w[(counts >= m) & pos].sum() + w[(counts < m - 1) & ~pos].sum())
    edge = np.flatnonzero(counts == m - 1)
    if not len(edge):
        return np.full(B.shape[1], base)
    we, pe = w[edge], pos[edge]
    signed = np.where(pe, we, -we).astype(np.float32)
    # float32 products: rounded so that equal columns tie exactly whatever the BLAS kernel
    return np.round(base + float(we[~pe].sum()) + (signed @ B[edge]).astype(np.float64), 3)


_MAX_WEIGHT_GROUPS = 8      # distinct row weights up to which the bit-packed agreement is used


class _PackedAgreement:
    """The same agreement as :func:`_agreement`, by popcounts on bit-packed literal columns.

    The pools have few distinct row weights (real rows one weight, sampled points another), so
    ``signed @ B[edge]`` is a sum over (weight, class) groups of weight x count of edge rows of the
    group where the literal holds: counts of exact integers, a word of 64 rows at a time, with no
    copy of ``B``'s edge rows (most of the time at 200k rows went there)."""

    def __init__(self, B: np.ndarray, pos: np.ndarray, w: np.ndarray):
        self.packed = pack(np.ascontiguousarray(B.T))              # (literals, words)
        values, inv = np.unique(w, return_inverse=True)
        self.groups = [(float(v) if p else -float(v), (inv == g) & (pos if p else ~pos))
                       for g, v in enumerate(values) for p in (True, False)]
        self.pos, self.w = pos, w

    def __call__(self, counts, m) -> np.ndarray:
        pos, w = self.pos, self.w
        base = float(w[(counts >= m) & pos].sum() + w[(counts < m - 1) & ~pos].sum())
        edge = counts == m - 1
        if not edge.any():
            return np.full(self.packed.shape[0], base)
        total = base + float(w[edge & ~pos].sum())
        signed = np.zeros(self.packed.shape[0])
        for sign_w, group in self.groups:
            sel = edge & group
            if sel.any():
                hits = count_bits(self.packed & pack(sel)[0])
                signed += sign_w * hits
        return np.round(total + signed, 3)


class _Search:
    """Greedy selection with coordinate refinement for one class on boolean literal matrices."""

    def __init__(self, B, pos, w, feature_of, max_conditions, clock):
        self.B, self.pos, self.w, self.feat = B, pos, w, feature_of
        self.max_conditions, self.clock = max_conditions, clock
        packed = len(np.unique(w)) <= _MAX_WEIGHT_GROUPS and B.shape[1]
        self.packed = _PackedAgreement(B, pos, w) if packed else None
        self.Bf = None if packed else B.astype(np.float32)      # the matrix product's operand

    def _score(self, counts, m) -> np.ndarray:
        if self.packed is not None:
            return self.packed(counts, m)
        return _agreement(counts, self.Bf, self.pos, m, self.w)

    def _best_addition(self, chosen):
        """Best (agreement, literal, m) adding one literal to ``chosen`` (no feature twice)."""
        counts = self.B[:, chosen].sum(axis=1).astype(np.int16) if chosen else np.zeros(len(self.B), np.int16)
        banned = np.isin(self.feat, self.feat[chosen]) if chosen else np.zeros(self.B.shape[1], bool)
        best = None
        for m in range(1, len(chosen) + 2):
            score = self._score(counts, m)
            score[banned] = -1.0
            i = int(np.argmax(score))
            if best is None or score[i] > best[0]:
                best = (float(score[i]), i, m)
        return best

    def _refine(self, chosen, m, score):
        improved = True
        while improved and not self.clock.over("refining a checklist"):
            improved = False
            for k in range(len(chosen)):
                rest = chosen[:k] + chosen[k + 1:]
                s, i, mm = self._best_addition(rest)
                if s > score + 1e-9:
                    chosen, m, score, improved = rest[:k] + [i] + rest[k:], mm, s, True
        return chosen, m, score

    def run(self):
        """Every size's ``(chosen, m)``, smallest first."""
        chosen, out = [], []
        while len(chosen) < min(self.max_conditions, self.B.shape[1]):
            s, i, m = self._best_addition(chosen)
            chosen, m, s = self._refine(chosen + [i], m, s)
            out.append((list(chosen), m))
            if s >= self.w.sum() - 1e-9 or self.clock.over("growing a checklist"):
                break
        return out


def _fires(B, chosen, m) -> np.ndarray:
    return B[:, chosen].sum(axis=1) >= m


@register
class Checklist(PedagogicalExtractor):
    """Predictive checklists ("at least m of these n conditions") learned with the network as oracle.

    Parameters
    ----------
    max_conditions : int, default 8
        Most conditions in one checklist.
    max_rules_per_class : int, default 1
        Most checklists per class (an ordered list; later ones see the rows earlier ones leave).
    tolerance : float in [0, 1], default 0.005
        Prune-row agreement a smaller checklist may give up against the best size.
    n_samples : int, default 4000
        Sampler points labelled by the network added to the training rows.
    max_cuts : int or "auto", default "auto"
        Thresholds tried per numeric feature (evenly spaced positions among its cut points). ``"auto"``
        learns with 4, 8 and 32 and keeps the most faithful on the prune rows (ties: the coarser): few
        cuts give round, robust thresholds on small data; many find exact ones.
    max_rows : int, default 20000
        Most pool rows (grow and prune together); larger pools are subsampled at random.
    prune_size : float in (0, 1), default 0.33
        Share of the pool held out to choose sizes and drop checklists.
    max_seconds : float or None, default 1200
        Safety net only: the work is bounded by the resolutions, classes, ``max_rules_per_class`` and
        ``max_conditions`` (the same ``random_state`` gives the same rules on any machine). When this
        wall-clock limit stops a run, the rules depend on the machine's load; the provenance says so
        (``complete: False``, ``budget.stopped_by: "max_seconds"``) with a :class:`~rulex.PartialResultWarning`.
    on_budget : {"partial", "error"}, default "partial"
        When the wall clock runs out: keep the checklists found so far, or raise.
    random_state : int or None, default 0

    Attributes
    ----------
    sizes_ : list of dict
        Per class and rule, every size tried with its prune-row agreement.
    """

    name = "checklist"
    _row_parameters = {"n_samples": 6}
    description = "predictive checklists: at least m of n conditions, greedy with refinement on network labels"
    _parameter_constraints = {
        "max_conditions": [Interval(int, 1, 64)],
        "max_rules_per_class": [Interval(int, 1, 16)],
        "tolerance": [Interval(float, 0.0, 1.0)],
        "n_samples": [Interval(int, 0, None)],
        "max_cuts": [Interval(int, 1, 1024), Options(("auto",))],
        "max_rows": [Interval(int, 10, None)],
        "prune_size": [Interval(float, 0.01, 0.9)],
        "max_seconds": [Interval(float, 0.0, None), None],
        "on_budget": [Options(("partial", "error"))],
        "random_state": [Interval(int, 0, None), None],
    }

    def __init__(self, max_conditions=8, max_rules_per_class=1, tolerance=0.005, n_samples=4000, max_cuts="auto",
                 max_rows=20000, prune_size=0.33, max_seconds=SAFETY_SECONDS, on_budget="partial", random_state=0):
        self.max_conditions = max_conditions
        self.max_rules_per_class = max_rules_per_class
        self.tolerance = tolerance
        self.n_samples = n_samples
        self.max_cuts = max_cuts
        self.max_rows = max_rows
        self.prune_size = prune_size
        self.max_seconds = max_seconds
        self.on_budget = on_budget
        self.random_state = random_state

    def _pools(self, network, dataset, X, rng):
        check_rows("n_samples", self.n_samples, X.shape[1])
        sampler = Sampler(network.encoder, X, random_state=self.random_state)
        table, grow, prune = network_pools(network, dataset, X, n_samples=self.n_samples,
                                           prune_size=self.prune_size, rng=rng, sampler=sampler)
        n_real = len(X)
        k_real = round(n_real * self.prune_size)

        def weighted(V, y, real):
            """Real rows weigh as much, together, as the sampled points (when there are more of those)."""
            w = np.ones(len(V))
            if 0 < real < len(V):
                w[:real] = max(1.0, (len(V) - real) / real)
            return V, y, w
        grow, prune = weighted(*grow, n_real - k_real), weighted(*prune, k_real)
        return (table, *cap_pools(grow, prune, self.max_rows, rng))

    def _extract(self, network, dataset, X):
        clock = Clock(self.max_seconds, self.on_budget, self.name)
        rng = np.random.default_rng(self.random_state)
        table, (Vg, yg, wg), (Vp, yp, wp) = self._pools(network, dataset, X, rng)
        n_classes = len(network.classes)
        freq = np.bincount(yg, minlength=n_classes)
        order = [k for k in sorted(range(n_classes), key=lambda k: (freq[k], k)) if freq[k] > 0] or [0]
        orders = [order] + ([order[::-1]] if len(order) == 2 else [])   # binary: either class may get the checklists
        resolutions = (4, 8, 32) if self.max_cuts == "auto" else (self.max_cuts,)
        best, tried = None, []
        for cuts in resolutions:                    # coarse first: ties go to the coarser cuts
            lits = _literal_pool(table, Vg, cuts)
            if len(Vg) * max(len(lits), 1) * 6 > memory_budget():      # bool tables and the float32 copy
                raise DataError(f"checklist: {len(Vg)} rows x {len(lits)} candidate literals exceed the memory "
                                "budget; lower max_rows or max_cuts (or set RULEX_MEMORY_BUDGET_MB)")
            Bg = np.column_stack([lit.evaluate(Vg) for lit in lits]) if lits else np.zeros((len(Vg), 0), bool)
            Bp = np.column_stack([lit.evaluate(Vp) for lit in lits]) if lits else np.zeros((len(Vp), 0), bool)
            feat = np.array([lit.j for lit in lits], dtype=np.int64)
            for order in orders:
                if best is not None and clock.over("trying another resolution"):
                    break
                rules, sizes = self._learn(order, Bg, yg, wg, Bp, yp, wp, feat, clock, network.classes)
                score = (round(self._agree(rules, order[-1], Bp, yp, wp), 9), -sum(len(c) for c, _, _ in rules))
                tried.append({"max_cuts": cuts, "default": network.classes[order[-1]],
                              "prune_agreement": score[0], "conditions": -score[1]})
                if best is None or score > best[0]:
                    best = (score, [([lits[i] for i in c], m, k) for c, m, k in rules], sizes, order[-1])
        _, rules, sizes, default = best
        self.sizes_ = sizes
        extra = {"sizes": sizes, "tried": tried, "budget_exhausted": bool(clock.hit), "pool_rows": len(Vg) + len(Vp),
                 **clock.provenance()}
        classes = network.classes
        out = []
        for c, m, k in rules:
            conds = [table.condition(lit) for lit in c]
            body = conds if m == len(conds) else [MofN(m, conds)]
            out.append(Rule(body, classes[k]))
        return RuleSet(out, classes[default], semantics="ordered", task="classification", classes=classes,
                       schema=network.encoder.schema, space="original"), extra

    def _learn(self, order, Bg, yg, wg, Bp, yp, wp, feat, clock, classes):
        """Checklists for the classes of ``order`` but the last (the default), in that order."""
        default = order[-1]
        rules, sizes = [], []           # rules: (chosen literal indices, m, class)
        ag, ap = np.ones(len(Bg), bool), np.ones(len(Bp), bool)
        for k in order[:-1]:
            for r in range(self.max_rules_per_class):
                if not (yg[ag] == k).any() or not Bg.shape[1] or clock.over("choosing the next checklist"):
                    break
                found = _Search(Bg[ag], yg[ag] == k, wg[ag], feat, self.max_conditions, clock).run()
                posp = yp[ap] == k
                scores = [float(np.average(_fires(Bp[ap], c, m) == posp, weights=wp[ap])) if ap.any() else 0.0
                          for c, m in found]
                sizes.append({"class": classes[k], "rule": r, "sizes": [
                    {"conditions": len(c), "m": m, "prune_agreement": round(s, 6)} for (c, m), s in zip(found, scores)]})
                best = max(scores)
                c, m = next(f for f, s in zip(found, scores) if s >= best - self.tolerance - 1e-12)
                trial = rules + [(c, m, k)]
                if r > 0 and self._agree(trial, default, Bp, yp, wp) <= self._agree(rules, default, Bp, yp, wp):
                    break
                rules = trial
                ag &= ~_fires(Bg, c, m)
                ap &= ~_fires(Bp, c, m)
        return self._prune_set(rules, default, Bp, yp, wp), sizes

    @staticmethod
    def _agree(rules, default, B, y, w) -> float:
        if not len(y):
            return 0.0
        pred = np.full(len(y), default)
        left = np.ones(len(y), bool)
        for c, m, k in rules:
            f = left & _fires(B, c, m)
            pred[f] = k
            left &= ~f
        return float(np.average(pred == y, weights=w))

    def _prune_set(self, rules, default, Bp, yp, wp):
        """Delete checklists, last first, while agreement on the prune rows does not fall."""
        acc = self._agree(rules, default, Bp, yp, wp)
        for i in range(len(rules) - 1, -1, -1):
            trial = rules[:i] + rules[i + 1:]
            a = self._agree(trial, default, Bp, yp, wp)
            if a >= acc:
                rules, acc = trial, a
        return rules
