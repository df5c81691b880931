"""A bound on the clauses alive at each stage of a layer-by-layer composition (N-of-M's
``max_stage_clauses``).

Composing a hidden-level rule into input-level clauses multiplies DNFs: "h1 on AND h2 on" is the
product of the two units' clause lists, and "at least m of k hidden units" is a sum of C(k, m) such
products. The exact expansion is exponential in the number of units (ALGORITHMS.md, pitfall P1).
Like CRED and DeepRED, which keep only what the training rows support, every stage here keeps a
**cover of the training rows**:

1. If a stage has at most ``limit`` clauses it is left exactly as it is (small networks stay exact).
2. Otherwise clauses are chosen greedily, each time the one that covers the most training rows
   the chosen ones do not yet cover (ties: more rows in all, then fewer literals, then first
   found), until every row the stage's DNF covers is covered. The dropped clauses cover only
   rows the kept ones cover, so the stage's DNF keeps its value on **every training row**: AND
   and OR of such stages keep theirs too, and the final rules agree with the full expansion on
   every training row. Only unseen points may be decided differently.
3. If that cover still needs more than ``limit`` clauses, the first ``limit`` are kept (the ones
   with the most support), and the rows the stage then no longer covers are counted as lost.

:class:`BoundStats` records what the bound did, for the extractor's provenance.
"""
from __future__ import annotations

import numpy as np

from ._dnf_composition import Clauses
from ._unit_reading import WORK_SHARE, UnitLog, greedy_cover, work_share

__all__ = ["BoundStats", "BoundedReading", "cover_bound", "covered_rows", "at_least"]


class BoundStats:
    """What :func:`cover_bound` dropped: stages reduced, clauses dropped, stages cut short by
    the limit (lossy on the training rows) and the rows those stages lost."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self.stages_bounded = 0
        self.clauses_dropped = 0
        self.stages_truncated = 0
        self.rows_lost = 0

    @property
    def approximated(self) -> bool:
        return self.clauses_dropped > 0

    def as_provenance(self) -> dict:
        return {"approximated": self.approximated,
                "bound": {"max_stage_clauses": self.limit, "stages_bounded": self.stages_bounded,
                          "clauses_dropped": self.clauses_dropped,
                          "stages_truncated": self.stages_truncated,
                          "training_rows_lost": self.rows_lost}}


def cover_bound(clauses: Clauses, limit: int | None, stats: BoundStats, budget=None) -> Clauses:
    """At most ``limit`` clauses of ``clauses`` (all of them if there are that few, or if
    ``limit`` is None): a greedy cover of the training rows they cover (module docstring). A ``budget``
    that counts the composition at its cost (``Budget.real_cost``) is charged the rows the cover counted."""
    items = clauses.items
    if limit is None or len(items) <= limit:
        return clauses
    P = np.stack([m for _, m, _ in items])                 # packed row masks, one row per clause
    keep, lost, counted = greedy_cover(P, np.array([len(c) for c, _, _ in items]), limit)
    if budget is not None and budget.real_cost:
        budget.spend(budget.rows_steps(counted, P.shape[1]))
    stats.stages_bounded += 1
    stats.clauses_dropped += len(items) - len(keep)
    if lost:
        stats.stages_truncated += 1
        stats.rows_lost += lost
    return Clauses([items[i] for i in keep])


def at_least(m: int, parts, n_rows: int, bound, budget, where: str) -> Clauses:
    """Input-level clauses of "at least ``m`` of ``parts``" (``parts``: callables returning each
    antecedent's :class:`Clauses`), by the recursion ``atleast(m, [p, rest]) = (p AND atleast(m - 1,
    rest)) OR atleast(m, rest)``: m * k products, each bounded by ``bound``, instead of C(k, m)
    products of m factors. The same clauses as the sum of products when nothing is bounded."""
    k = len(parts)
    memo: dict = {}

    def f(need: int, i: int) -> Clauses:
        if need == 0:
            return Clauses.true(n_rows)
        if k - i < need:
            return Clauses([])
        key = (need, i)
        if key not in memo:
            take = parts[i]().and_(f(need - 1, i + 1), budget, where, keep_uncovered=False)
            memo[key] = bound(take.or_(f(need, i + 1)))
            budget.check(len(memo[key]), where)
        return memo[key]

    return f(m, 0)


def covered_rows(clauses: Clauses, n_rows: int) -> np.ndarray:
    """The training rows any of ``clauses`` covers, as a boolean mask."""
    covered = np.zeros(n_rows, dtype=bool)
    for _, m, _ in clauses.items:
        covered |= np.unpackbits(m, count=n_rows).astype(bool)
    return covered


class BoundedReading:
    """What a bounded layer-by-layer reading (Tsukimoto's, KT's) keeps for one extraction: the per-unit
    log, the stage bound and its statistics, the memo of composed units, the layers composed whole, and
    the readings still to come (each hidden unit on and off, each pairwise output decision) that share
    the term search's work (:func:`work_share`)."""

    def __init__(self, network, n_rows: int, budget, max_stage_clauses: int | None):
        self.budget, self.max_stage_clauses = budget, max_stage_clauses
        self.log = UnitLog(n_rows)
        self.stats = BoundStats(max_stage_clauses)
        self.memo: dict = {}
        self.composed_layers: set = set()
        self.units_left = 2 * sum(layer.n_units for layer in network.layers[:-1]) + (len(network.classes) - 1) ** 2

    def bound(self, clauses: Clauses) -> Clauses:
        return cover_bound(clauses, self.max_stage_clauses, self.stats, self.budget)

    #: the term search of one reading may spend 1/work_share of the work left over the readings to come
    work_share = WORK_SHARE

    def work_cap(self) -> int | None:
        """This unit's share of the term search's work."""
        self.units_left = max(self.units_left - 1, 1)
        return work_share(self.budget, self.units_left + 1, self.work_share)
