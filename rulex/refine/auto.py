"""method="auto": the smallest faithful rule set among several extractors' (and their compressed
ones), chosen on held-out rows and confirmed on all of them.

Selection, in two stages (recorded in the provenance as ``selection``):

1. *Search.* Candidates are fitted (each also passed through :func:`rulex.compress`) on part of the
   rows and scored against the network on the rest plus network-labelled perturbations of them
   (the held-out pool), cheapest first (surrogate trees, brcg, checklist, cover, TREPAN). The search
   stops early once a candidate agrees with the network on the whole pool testing each of its
   features once (no more conditions than features used, at most one per network input), and skips a larger size of a method (tree leaves, checklist rules,
   brcg conditions) once a smaller one fits its rows exactly. The held-out winner is the candidate
   with the fewest conditions (then rules, then the higher fidelity) within ``tolerance`` of the
   best held-out fidelity (with ``max_conditions``: the most faithful within it).
2. *Confirmation.* A candidate that needs all the rows can lose a few hundredths on one split: the
   up to two smallest candidates with fewer conditions than the held-out winner and within
   ``tolerance + 0.02`` of the best are short-listed with the winner and the most faithful
   candidate; each is fitted again on all the rows (and compressed as before) and scored on fresh
   network-labelled perturbations of all the rows (a seed of their own). The same rule then picks
   among the refitted ones, whose rules are returned. With no smaller candidate near the best, or
   more than 5,000 rows used (the held-out split is then large enough), the held-out winner is
   returned as fitted.
"""
from __future__ import annotations

from ..exceptions import BudgetExceededError
from ..extractors.base import EXTRACTORS, Interval, Options, PedagogicalExtractor, register, seeded_extractor
from ..extractors.budget import SAFETY_SECONDS, WALL_CLOCK, WorkClock, capped_rows
from ._auto_search import CONFIRM_ROWS, SHORTLIST_MARGIN, Search, budget_candidates, candidate_key, choose, default_candidates, \
    fidelity, fresh_pool, shortlist
from ..extractors.compression import compression_sample

__all__ = ["Auto", "budget_candidates", "default_candidates"]


class _Candidates:
    """Parameter constraint: a non-empty list of (registered method other than auto, dict) pairs."""

    def check(self, value) -> bool:
        return isinstance(value, (list, tuple)) and len(value) > 0 and all(
            isinstance(c, (list, tuple)) and len(c) == 2 and isinstance(c[1], dict) and c[0] in EXTRACTORS
            and c[0] != "auto" for c in value)

    def __str__(self):
        return "a non-empty list of (method, parameters) pairs naming registered methods other than 'auto'"


@register
class Auto(PedagogicalExtractor):
    """Try several methods, cheapest first; keep the smallest within ``tolerance`` of the best,
    confirmed on all the rows (the module docstring gives the selection rule).

    Parameters
    ----------
    tolerance : float in [0, 1], default 0.01
        Fidelity a smaller rule set may give up against the most faithful candidate (on the held-out
        pool, then on the fresh points of the confirmation).
    candidates : list of (method, dict) or None, default None
        Methods and parameters to try (None: :func:`default_candidates`, and with ``max_conditions``
        also :func:`budget_candidates`). Each also runs compressed.
    max_conditions : int or None, default None
        The most conditions the reader will read: only candidates with at most this many compete and
        the most faithful of them on the held-out rows wins (ties: fewer conditions; ``tolerance`` is
        not used). A candidate a little over the budget (up to 4 times) is also compressed with
        tolerances 0.005, 0.01, 0.02 and 0.05 until it fits (provenance ``compress_tolerance``).
        Raises :class:`~rulex.exceptions.BudgetExceededError` when no candidate fits (only possible
        with your own ``candidates``).
    compress : bool, default True
        Also try every candidate after :func:`rulex.compress` (tolerance 0).
    holdout : float in [0.1, 0.5], default 0.3
        Share of the rows held out to score the candidates.
    n_holdout_samples : int, default 2000
        Network-labelled perturbations of the held-out rows (the shared sampler's ``perturb``) added to
        them when scoring, so that small differences in fidelity are measured on more than a few rows;
        also the number of fresh points the confirmation scores on (0: no confirmation).
    max_rows : int or None, default 10000
        Rows (of those given) the search uses: a larger data set is subsampled at random (seeded)
        before the fit/held-out split, so that the candidates' time stops growing with the rows
        (the network labels as many points as the candidates want; 10,000 rows of a tabular
        problem, 3,000 of them and 2,000 perturbations held out, are enough to choose among rule
        sets of a few dozen conditions). None: all rows.
    max_seconds : float or None, default 3600
        Safety net only, for all candidates together: the work is the candidate list, each candidate
        bounded by its own work budget, so the same ``random_state`` gives the same rules on any
        machine. Each candidate gets what is left (methods with their own ``max_seconds`` are told
        so); candidates not started in time are skipped. When this wall clock skips or cuts a
        candidate (or its compression), the choice depends on the machine's load; the provenance
        says so (``complete: False``, ``budget.stopped_by: "max_seconds"``, the candidate's
        ``cut_short``) with a :class:`~rulex.PartialResultWarning`.
    on_budget : {"partial", "error"}, default "partial"
        When the wall clock ends before any candidate finished: raise (``error``), or (``partial``) fall
        back to the smallest surrogate tree.
    random_state : int or None, default 0

    Attributes
    ----------
    candidates_ : list of dict
        Every candidate tried: method, parameters, compressed, held-out fidelity, size, seconds (or
        why it was skipped: ``skipped``, ``error``).

    Notes
    -----
    The provenance names the winner (with its ``confirm_fidelity`` when it was confirmed), lists every
    candidate's held-out score, and records the selection: ``selection.stage`` (``"confirmed"`` or
    ``"held-out"``), the short list and the refitted candidates' scores on the fresh points,
    ``selection.early_stop`` and ``selection.rule``. ``auto`` does not trace its memory (tracemalloc
    would slow its candidates 2-3 times): ``run.peak_memory_mb`` is None.
    """

    name = "auto"
    traces_memory = False
    description = ("tries surrogate trees, brcg, checklist, cover, trepan (and compressed), cheapest first; smallest "
                   "within tolerance on held-out rows, confirmed refitted on all rows")
    _parameter_constraints = {
        "tolerance": [Interval(float, 0.0, 1.0)],
        "candidates": [None, _Candidates()],
        "max_conditions": [Interval(int, 1, None), None],
        "compress": [bool],
        "holdout": [Interval(float, 0.1, 0.5)],
        "n_holdout_samples": [Interval(int, 0, None)],
        "max_rows": [Interval(int, 20, None), None],
        "max_seconds": [Interval(float, 0.0, None), None],
        "on_budget": [Options(("partial", "error"))],
        "random_state": [Interval(int, 0, None), None],
    }

    def __init__(self, tolerance=0.01, candidates=None, max_conditions=None, compress=True, holdout=0.3,
                 n_holdout_samples=2000, max_rows=10000, max_seconds=3 * SAFETY_SECONDS, on_budget="partial",
                 random_state=0):
        self.tolerance = tolerance
        self.candidates = candidates
        self.max_conditions = max_conditions
        self.compress = compress
        self.holdout = holdout
        self.n_holdout_samples = n_holdout_samples
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self.on_budget = on_budget
        self.random_state = random_state

    def _extract(self, network, dataset, X):
        clock = WorkClock(self.name, max_seconds=self.max_seconds)    # work: the candidate fits
        n_given = len(dataset)
        keep = capped_rows(n_given, self.max_rows, self.random_state)
        if keep is not None:
            dataset = dataset.subset(keep)
        if len(dataset) >= 20:
            fit_ds, held = dataset.split(test_size=self.holdout, random_state=self.random_state)
        else:
            fit_ds, held = dataset, dataset
        # held-out rows plus network-labelled perturbations of them: a 0.01 tolerance means something
        held_out = compression_sample(network, held, self.n_holdout_samples, self.random_state, marginal=False)
        shared = compression_sample(network, fit_ds, 4000, self.random_state) if self.compress else None
        search = Search(self, clock, network, held_out, shared)
        n_numeric = sum(f.kind in ("numeric", "integer") for f in network.schema.features)
        cands = self._candidate_list(len(dataset), X.shape[1], len(network.classes), n_numeric)
        tried, pool, early = search.run(cands, fit_ds, X.shape[1])
        if not pool:
            pool.append(self._fallback(network, fit_ds, held_out))
        rec, rules, best = choose(pool, self.max_conditions, self.tolerance)
        selection = {"rule": self._rule(), "early_stop": early, "stage": "held-out"}
        small = fit_ds is not dataset and len(dataset) <= CONFIRM_ROWS
        listed = shortlist(pool, rec, self.max_conditions, self.tolerance) if small else []
        if listed and self.n_holdout_samples > 0:
            confirmed = self._confirm(listed, clock, network, dataset)
            selection.update(shortlist=[{k: c[k] for k in ("method", "parameters", "compressed")} for c in listed],
                             confirmed=[{k: v for k, v in c.items() if k != "seconds"} for c, _ in confirmed])
            if confirmed and (self.max_conditions is None
                              or any(c["conditions"] <= self.max_conditions for c, _ in confirmed)):
                rec, rules, _ = choose(confirmed, self.max_conditions, self.tolerance, score="confirm_fidelity")
                selection.update(stage="confirmed", refit_rows=len(dataset))
        extra = {
            "winner": {k: rec[k] for k in ("method", "parameters", "compressed", "compress_tolerance",
                                           "holdout_fidelity", "confirm_fidelity") if k in rec},
            "best_holdout_fidelity": best, "selection": selection,
            "candidates": [{k: v for k, v in t.items() if k != "seconds"} for t in tried], "holdout_rows": len(held),
            "rows_used": len(dataset), "rows_given": n_given,
            "budget_exhausted": clock.wall_clock, **clock.provenance()}
        self.candidates_ = tried       # with each candidate's seconds (kept out of the provenance)
        return rules.replace(provenance={}), extra

    def _rule(self) -> str:
        pick = (f"the most faithful with at most max_conditions={self.max_conditions} conditions (ties: fewer "
                "conditions)" if self.max_conditions is not None else
                f"the fewest conditions (then rules) within tolerance={self.tolerance} of the best fidelity")
        return (f"{pick}, on the held-out pool; then, on at most {CONFIRM_ROWS} rows, when a candidate with fewer "
                f"conditions than that winner is within tolerance + {SHORTLIST_MARGIN} of the best, the same rule on "
                f"the short-listed candidates refitted on all rows and scored on {self.n_holdout_samples} fresh "
                "network-labelled points")

    def _confirm(self, listed, clock, network, dataset) -> list:
        """``[(record, rules)]``: the short-listed candidates fitted again on all the rows (compressed at
        their tolerance) and scored on fresh network-labelled points (``confirm_fidelity``)."""
        fresh = fresh_pool(network, dataset, self.n_holdout_samples, self.random_state)
        shared = compression_sample(network, dataset, 4000, self.random_state) if self.compress else None
        search = Search(self, clock, network, fresh, shared)
        wanted: dict = {}
        for rec in listed:
            tol = rec.get("compress_tolerance", 0.0) if rec["compressed"] else None
            wanted.setdefault((rec["method"], repr(sorted(rec["parameters"].items()))), (rec, set()))[1].add(tol)
        held, out = {candidate_key(t): t["holdout_fidelity"] for t in listed}, []
        for rec, tols in wanted.values():
            rest = search.left()
            if rest is not None and rest <= 0:
                clock.stop(WALL_CLOCK, f"confirming the candidate {rec['method']}")
                break
            clock.spend(1)
            for c, r in search.candidate(rec["method"], rec["parameters"], rest, dataset, fresh, tolerances=tols):
                if c.get("cut_short"):
                    clock.stop(WALL_CLOCK, f"confirming the candidate {rec['method']}")
                if r is not None:
                    c["confirm_fidelity"] = c.pop("holdout_fidelity")
                    c["holdout_fidelity"] = held.get(candidate_key(c))
                    out.append((c, r))
        return out

    def _candidate_list(self, n_rows: int, n_inputs: int, n_classes: int, n_numeric: int) -> list:
        shape = (n_rows, n_inputs, n_classes)
        cands = self.candidates if self.candidates is not None else default_candidates(*shape, n_numeric=n_numeric)
        if self.candidates is None and self.max_conditions is not None:
            cands = [c for c in budget_candidates(self.max_conditions, *shape) if c not in cands] + list(cands)
        return cands

    def _fallback(self, network, fit_ds, held_out):
        """No candidate finished: the smallest surrogate tree (``on_budget="partial"``), or an error."""
        if self.on_budget == "error":
            raise BudgetExceededError(f"auto: no candidate finished within max_seconds={self.max_seconds}")
        rules = seeded_extractor("surrogate_tree", {"max_leaf_nodes": 4}, self.random_state).fit(
            network, fit_ds).rules_
        rec = {"method": "surrogate_tree", "parameters": {"max_leaf_nodes": 4}, "compressed": False,
               "holdout_fidelity": round(fidelity(rules, *held_out), 6),
               "rules": len(rules), "conditions": rules.conditions_count(), "seconds": 0.0}
        return rec, rules
