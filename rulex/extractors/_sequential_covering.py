"""Sequential covering (IREP*/RIPPER style) for ``cover``, and the rule-list evaluation and time
budget that ``brcg`` and ``checklist`` share: grow, prune and stop on a
:class:`~rulex.extractors._value_table.ValueTable`.

A rule here is ``(lits, k, weight)``: a list of :class:`Lit`, the class index it concludes
and its vote weight (unordered semantics). Everything is deterministic: candidates are
scanned in feature order and the first best wins.
"""
from __future__ import annotations

import math

import numpy as np

from ._value_table import Lit, ValueTable, log2_binom
from .budget import WorkClock

__all__ = ["Clock", "Covering", "predict_rules"]


class Clock(WorkClock):
    """The work budget (``max_work``, the parameter ``work_name``; None: none) with the wall clock as a
    safety net: ``over()`` says whether one has run out (it counts one unit of work per call, at the
    check-points: a rule grown, a rule refined, a round of sampling; ``spend`` adds the rest); ``check``
    raises :class:`BudgetExceededError` instead when ``on_budget='error'``."""

    def __init__(self, max_seconds, on_budget: str, method: str, max_work=None, work_name: str | None = None):
        super().__init__(method, max_work=max_work, work_name=work_name, max_seconds=max_seconds)
        self.on_budget = on_budget
        self.hit = False

    def over(self, where: str = "") -> bool:
        self.spend(1)
        if self.exhausted(where) is None:
            return False
        if self.on_budget == "error":
            raise self.error(f"{self.message()}, or pass on_budget='partial' to keep the rules found so far")
        self.hit = True
        return True


def rule_mask(lits, V: np.ndarray) -> np.ndarray:
    m = np.ones(len(V), dtype=bool)
    for lit in lits:
        m &= lit.evaluate(V)
    return m


def predict_rules(rules, default: int, semantics: str, V: np.ndarray, n_classes: int) -> np.ndarray:
    """Class indices the rule list predicts on ``V`` with :class:`~rulex.rules.RuleSet` semantics."""
    n = len(V)
    if semantics == "ordered":
        out = np.full(n, default, dtype=np.int64)
        free = np.ones(n, dtype=bool)
        for lits, k, _ in rules:
            m = free & rule_mask(lits, V)
            out[m] = k
            free &= ~m
        return out
    R = len(rules)
    score = np.zeros((n, n_classes))
    first = np.full((n, n_classes), R, dtype=np.int64)
    for i, (lits, k, w) in enumerate(rules):
        m = rule_mask(lits, V)
        score[m, k] += w
        first[m, k] = np.minimum(first[m, k], i)
    any_fire = (first < R).any(axis=1)
    best = score.max(axis=1, keepdims=True)
    cand = np.where((score == best) & (first < R), first, R)
    win = cand.argmin(axis=1)   # the class whose earliest firing rule comes first
    return np.where(any_fire, win, default).astype(np.int64)


def _foil(p1, n1, base):
    with np.errstate(divide="ignore", invalid="ignore"):
        g = p1 * (np.log2(p1 / (p1 + n1)) - base)
    return np.where(p1 > 0, g, -np.inf)


class Covering:
    """Grow/prune/stop machinery for one positive class against the rest.

    Parameters
    ----------
    table : ValueTable
    max_rule_conditions : int
    min_support : int
        Fewest uncovered grow positives worth another rule, and fewest positives a rule must cover.
    stop : {"mdl", "fidelity"}
    fidelity_target : float
    lookahead : bool
        When no single literal helps (parity-like concepts), score pairs of literals.
    clock : Clock
    """

    def __init__(self, table: ValueTable, *, max_rule_conditions: int, min_support: int, stop: str,
                 fidelity_target: float, lookahead: bool, max_rules: int | None, clock: Clock,
                 dl_rows: int = 1000, dl_allowance: float = 64.0, prune_metric: str = "precision"):
        self.table = table
        self.prune_metric = prune_metric
        self.max_rule_conditions = max_rule_conditions
        self.min_support = min_support
        self.stop = stop
        self.fidelity_target = fidelity_target
        self.lookahead = lookahead
        self.max_rules = max_rules
        self.clock = clock
        self.dl_rows = dl_rows
        self.dl_allowance = dl_allowance

    # -- literal search --------------------------------------------------------------------
    def orders(self, V) -> dict:
        """Per continuous column of ``V``: its non-missing rows sorted by value (stable), computed once
        and filtered by a row mask at every step instead of sorting the subset again."""
        out = {}
        for j in np.flatnonzero(self.table.continuous):
            o = np.argsort(V[:, j], kind="stable")         # missing values (NaN) sort last
            out[int(j)] = o[:len(o) - int(np.isnan(V[:, j]).sum())]
        return out

    def _literals(self, V, pos, base, mask=None, orders=None):
        """Every candidate literal on the rows ``V[mask]`` with its (gain, p1, n1); lists of arrays."""
        out = []
        if mask is None:
            mask = np.ones(len(V), dtype=bool)
        if orders is None:
            orders = self.orders(V)
        self.clock.spend(int(mask.sum()) * V.shape[1])      # the work: one evaluation per row and column
        for j in range(V.shape[1]):
            if self.table.continuous[j]:
                o = orders[j]
                o = o[mask[o]]                                 # the rows of the mask, still in value order
                xs = V[o, j]
                ps = pos[o]
                if len(xs) < 2:
                    continue
                cut = np.flatnonzero(xs[:-1] < xs[1:])
                if not len(cut):
                    continue
                cp = np.cumsum(ps)[cut].astype(float)
                cn = (cut + 1 - cp).astype(float)
                P, N = float(ps.sum()), float(len(ps) - ps.sum())
                thr = self.table.threshold(j, xs[cut], xs[cut + 1])
                for op, p1, n1 in (("le", cp, cn), ("gt", P - cp, N - cn)):
                    out.append((j, op, thr, None, p1, n1, _foil(p1, n1, base)))
            else:
                x = V[mask, j]
                ok = ~np.isnan(x)
                codes = x[ok].astype(np.int64)
                K = self.table.n_codes(j)
                pc = np.bincount(codes[pos[mask][ok]], minlength=K).astype(float)
                tc = np.bincount(codes, minlength=K).astype(float)
                present = np.flatnonzero(tc > 0)
                if len(present) < 2:
                    continue
                prec = pc[present] / tc[present]
                order = present[np.lexsort((-tc[present], -prec))]
                p1 = np.cumsum(pc[order])[:-1]
                n1 = np.cumsum(tc[order] - pc[order])[:-1]
                sets = [tuple(sorted(int(c) for c in order[:i + 1])) for i in range(len(order) - 1)]
                out.append((j, "in", None, sets, p1, n1, _foil(p1, n1, base)))
        return out

    @staticmethod
    def _make(entry, i) -> Lit:
        j, op, thr, sets, *_ = entry
        return Lit(j, op, sets[i] if op == "in" else float(thr[i]))

    def _best(self, V, pos, mask=None, orders=None):
        """(gain, Lit, p1, n1) of the best single literal on the rows ``V[mask]``, or None."""
        if mask is None:
            mask = np.ones(len(V), dtype=bool)
        p0 = float((pos & mask).sum())
        n0 = float(mask.sum() - p0)
        if p0 == 0:
            return None
        base = math.log2(p0 / (p0 + n0))
        best = None
        for entry in self._literals(V, pos, base, mask, orders):
            gains = entry[6]
            if not len(gains):
                continue
            i = int(np.argmax(gains))
            if best is None or gains[i] > best[0]:
                best = (float(gains[i]), self._make(entry, i), float(entry[4][i]), float(entry[5][i]))
        return best

    def _best_pair(self, V, pos, mask=None, orders=None, top: int = 24):
        """Two-literal lookahead on the rows ``V[mask]``: the most promising first literals (by coverage
        of positives among candidates that do not lose them all), each followed by its best second literal."""
        if mask is None:
            mask = np.ones(len(V), dtype=bool)
        if orders is None:
            orders = self.orders(V)
        p0 = float((pos & mask).sum())
        n0 = float(mask.sum() - p0)
        base = math.log2(p0 / (p0 + n0))
        firsts = []
        for entry in self._literals(V, pos, base, mask, orders):
            p1, n1 = entry[4], entry[5]
            # per feature and op: the cuts that keep the most positives while shedding negatives
            score = np.where(n1 < n0, p1 - 0.5 * n1, -np.inf)
            for i in np.argsort(-score, kind="stable")[:3]:
                if np.isfinite(score[i]) and p1[i] > 0:
                    firsts.append((float(score[i]), self._make(entry, int(i))))
        firsts.sort(key=lambda t: -t[0])
        best = None
        for _, lit in firsts[:top]:
            second = self._best(V, pos, mask & lit.evaluate(V), orders)
            if second is None or second[2] <= 0:
                continue
            p2, n2 = second[2], second[3]
            g = p2 * (math.log2(p2 / (p2 + n2)) - base)
            if best is None or g > best[0]:
                best = (g, [lit, second[1]])
        return best

    def grow(self, V, pos, start=(), rows=None, orders=None) -> list:
        """Literals of one rule grown on the rows ``V[rows]`` (all rows by default); ``orders`` are
        :meth:`orders` of ``V`` when the caller already has them."""
        lits = list(start)
        m = rule_mask(lits, V)
        if rows is not None:
            m &= rows
        if orders is None:
            orders = self.orders(V)
        while len(lits) < self.max_rule_conditions:
            p_m = int((pos & m).sum())
            n_neg = int(m.sum()) - p_m
            if n_neg == 0 or p_m == 0:
                break
            best = self._best(V, pos, m, orders)
            weak = best is None or best[0] <= 1e-9 or best[2] < self.min_support
            if weak and self.lookahead and len(lits) + 2 <= self.max_rule_conditions:
                pair = self._best_pair(V, pos, m, orders)
                if pair is not None and pair[0] > 1e-9:
                    for lit in pair[1]:
                        lits.append(lit)
                        m &= lit.evaluate(V)
                    continue
            if weak:
                break
            lits.append(best[1])
            m &= best[1].evaluate(V)
        return lits

    def prune(self, lits, V, pos) -> list:
        """Keep the prefix with the best value on the prune rows (ties: shorter): RIPPER's
        (p - n) / (p + n) (``prune_metric="precision"``), or p - n, the rows the rule gets right
        beyond those it gets wrong (``"accuracy"``, IREP's own metric up to a constant)."""
        if not lits or not len(V):
            return lits
        m = np.ones(len(V), dtype=bool)
        best_v, best_k = -np.inf, len(lits)
        for k, lit in enumerate(lits, 1):
            m &= lit.evaluate(V)
            p = float(pos[m].sum())
            n = float(m.sum()) - p
            if p + n == 0:
                v = -np.inf if self.prune_metric == "accuracy" else -2.0
            else:
                v = (p - n) if self.prune_metric == "accuracy" else (p - n) / (p + n)
            if v > best_v + 1e-12:
                best_v, best_k = v, k
        return lits[:best_k]

    # -- description length ---------------------------------------------------------------
    def _theory_bits(self, lits, n_cand: int) -> float:
        k = len(lits)
        if k == 0:
            return 0.0
        n = max(n_cand, k + 1)
        return max(1.0, 0.5 * (math.log2(k) + k * math.log2(n / k) + (n - k) * math.log2(n / (n - k))))

    def _exception_bits(self, covered, pos) -> float:
        s = min(1.0, self.dl_rows / max(len(pos), 1))
        cover = float(covered.sum())
        fp = float((covered & ~pos).sum())
        fn = float((~covered & pos).sum())
        return log2_binom(cover * s, fp * s) + log2_binom((len(pos) - cover) * s, fn * s)

    # -- one class --------------------------------------------------------------------------
    def learn_class(self, Vg, posg, Vp, posp, n_cand: int) -> list:
        """Rules (lists of literals) for the positives ``posg`` against the rest."""
        rules: list = []
        dls: list = []
        theory = 0.0
        unc_g = np.ones(len(Vg), dtype=bool)
        unc_p = np.ones(len(Vp), dtype=bool)
        covered_g = np.zeros(len(Vg), dtype=bool)
        covered_p = np.zeros(len(Vp), dtype=bool)
        best_dl = self._exception_bits(covered_g, posg)
        orders = self.orders(Vg)
        while (posg & unc_g).sum() >= self.min_support:
            if self.max_rules is not None and len(rules) >= self.max_rules:
                break
            if self.clock.over("growing rules"):
                break
            lits = self.grow(Vg, posg, rows=unc_g, orders=orders)
            if not lits:
                break
            lits = self.prune(lits, Vp[unc_p], posp[unc_p])
            mg = rule_mask(lits, Vg) & unc_g
            mp = rule_mask(lits, Vp) & unc_p
            p, n = float((mp & posp).sum()), float((mp & ~posp).sum())
            if p + n == 0:
                p, n = float((mg & posg).sum()), float((mg & ~posg).sum())
            if p + n == 0 or p / (p + n) < 0.5 or (mg & posg).sum() < self.min_support:
                break
            rules.append(lits)
            unc_g &= ~mg
            unc_p &= ~mp
            covered_g |= mg
            covered_p |= mp
            theory += self._theory_bits(lits, n_cand)
            dl = theory + self._exception_bits(covered_g, posg)
            dls.append(dl)
            best_dl = min(best_dl, dl)
            if self.stop == "mdl" and dl > best_dl + self.dl_allowance:
                break
            if self.stop == "fidelity" and len(Vp):
                if float(np.mean(covered_p == posp)) >= self.fidelity_target:
                    break
        if self.stop == "mdl" and dls:
            rules = rules[:int(np.argmin(dls)) + 1]
        return rules
