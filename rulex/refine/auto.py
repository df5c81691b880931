"""method="auto": the smallest rule set within a tolerance of the most faithful, chosen on held-out rows.

Candidates (each also passed through :func:`rulex.compress`) are fitted on part of the rows
and scored against the network on the rest; among those within ``tolerance`` of the best
held-out fidelity the one with the fewest conditions (then rules, then the higher fidelity)
wins. Its rule set, as validated, is returned; the provenance names it and lists every
candidate's score.
"""
from __future__ import annotations

import time
import warnings

import numpy as np

from ..exceptions import BudgetExceededError, RulexError, RulexWarning
from ..extractors.base import (EXTRACTORS, Interval, Options, PedagogicalExtractor, extractor_class, register,
                               seeded_extractor)
from ..extractors.budget import SAFETY_SECONDS, WALL_CLOCK, WorkClock, capped_rows
from .compression import compress as compress_rules
from .compression import compression_sample

__all__ = ["Auto", "budget_candidates", "default_candidates"]

_BUDGET_TOLERANCES = (0.005, 0.01, 0.02, 0.05)   # compress tolerances tried to bring a candidate within max_conditions


def default_candidates(n_rows: int, n_inputs: int, n_classes: int = 2, small_rows: int = 5000,
                       small_inputs: int = 40) -> list:
    """``(method, parameters)`` pairs tried by ``auto``: surrogate trees of several sizes, cover
    (both modes when there are more than two classes), checklists (m-of-n tests), TREPAN and, on
    small problems, brcg."""
    out: list = [("surrogate_tree", {"max_leaf_nodes": k}) for k in (4, 8, 16, 32)]
    out.append(("cover", {}))
    if n_classes > 2:
        out.append(("cover", {"semantics": "unordered"}))
    out += [("checklist", {}), ("checklist", {"max_rules_per_class": 2}), ("trepan", {"min_samples": 500})]
    if n_rows <= small_rows and n_inputs <= small_inputs:
        out.append(("brcg", {}))     # bounded by its node and iteration limits: deterministic
    return out


def budget_candidates(max_conditions: int, n_rows: int, n_inputs: int, n_classes: int = 2, small_rows: int = 5000,
                      small_inputs: int = 40) -> list:
    """Candidates sized for a budget of ``max_conditions`` conditions, added to the default ones:
    surrogate trees of 2 to ``max_conditions + 1`` leaves (a tree of k leaves read as a list has at
    most k - 1 rules), a checklist of at most ``max_conditions`` conditions and, on small problems,
    brcg's most faithful DNF within the budget (per class stage, so only one stage's worth with two
    classes)."""
    out: list = [("surrogate_tree", {"max_leaf_nodes": k}) for k in range(2, min(max_conditions + 1, 12) + 1)]
    out.append(("checklist", {"max_conditions": min(max_conditions, 64)}))
    if n_classes == 2 and n_rows <= small_rows and n_inputs <= small_inputs:
        out.append(("brcg", {"max_conditions": max_conditions}))
    return out


class _Candidates:
    """Parameter constraint: a non-empty list of (registered method other than auto, dict) pairs."""

    def check(self, value) -> bool:
        return isinstance(value, (list, tuple)) and len(value) > 0 and all(
            isinstance(c, (list, tuple)) and len(c) == 2 and isinstance(c[1], dict) and c[0] in EXTRACTORS
            and c[0] != "auto" for c in value)

    def __str__(self):
        return "a non-empty list of (method, parameters) pairs naming registered methods other than 'auto'"


def _fidelity(rules, frame, y) -> float:
    return float(np.mean(rules.predict(frame) == np.asarray(y)))


@register
class Auto(PedagogicalExtractor):
    """Try several methods under one time budget; keep the smallest within ``tolerance`` of the best.

    Parameters
    ----------
    tolerance : float in [0, 1], default 0.01
        Held-out fidelity a smaller rule set may give up against the most faithful candidate.
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
        them when scoring, so that small differences in fidelity are measured on more than a few rows.
    max_rows : int or None, default 20000
        Rows (of those given) the search uses: a larger data set is subsampled at random (seeded)
        before the fit/held-out split, so that the candidates' time stops growing with the rows
        (the network labels as many points as the candidates want; 20,000 rows of a tabular
        problem are enough to choose among rule sets of a few dozen conditions). None: all rows.
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
        Every candidate tried: method, parameters, compressed, held-out fidelity, size, seconds.
    """

    name = "auto"
    description = "tries cover, checklist, trepan, brcg, surrogate trees (and compressed) on held-out rows; smallest within tolerance"
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
                 n_holdout_samples=2000, max_rows=20000, max_seconds=3 * SAFETY_SECONDS, on_budget="partial",
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
        left = lambda: None if self.max_seconds is None else self.max_seconds - clock.elapsed()
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
        tried, pool = [], []
        for method, params in self._candidate_list(len(dataset), X.shape[1], len(network.classes)):
            rest = left()
            if rest is not None and rest <= 0:
                clock.stop(WALL_CLOCK, f"skipping the candidate {method}")
                tried.append({"method": method, "parameters": dict(params), "error": "skipped: budget spent",
                              "cut_short": True})
                continue
            clock.spend(1)
            for rec, r in self._run_candidate(method, params, rest, left, network, fit_ds, held_out, shared):
                tried.append(rec)
                if rec.get("cut_short"):
                    clock.stop(WALL_CLOCK, f"fitting the candidate {method}")
                if r is not None:
                    pool.append((rec, r))
        if not pool:
            pool.append(self._fallback(network, fit_ds, held_out))
        rec, rules, best = self._choose(pool)
        extra = {
            "winner": {k: rec[k] for k in ("method", "parameters", "compressed", "compress_tolerance",
                                           "holdout_fidelity") if k in rec},
            "best_holdout_fidelity": best,
            "candidates": [{k: v for k, v in t.items() if k != "seconds"} for t in tried], "holdout_rows": len(held),
            "rows_used": len(dataset), "rows_given": n_given,
            "budget_exhausted": clock.wall_clock, **clock.provenance()}
        self.candidates_ = tried       # with each candidate's seconds (kept out of the provenance)
        return rules.replace(provenance={}), extra

    def _candidate_list(self, n_rows: int, n_inputs: int, n_classes: int) -> list:
        shape = (n_rows, n_inputs, n_classes)
        cands = self.candidates if self.candidates is not None else default_candidates(*shape)
        if self.candidates is None and self.max_conditions is not None:
            cands = [c for c in budget_candidates(self.max_conditions, *shape) if c not in cands] + list(cands)
        return cands

    def _run_candidate(self, method, params, rest, left, network, fit_ds, held_out, shared) -> list:
        """``[(record, rules or None)]``: the candidate as fitted and, with ``compress``, compressed."""
        p = dict(params)
        defaults = extractor_class(method)().get_params(deep=False)
        if "max_seconds" in defaults and rest is not None:
            own = p.get("max_seconds", defaults["max_seconds"])
            p["max_seconds"] = float(rest if own is None else min(own, rest))
        extractor = seeded_extractor(method, p, self.random_state)   # a bad parameter is the user's error
        t0 = time.perf_counter()
        try:
            # a candidate's warnings (e.g. a 2-leaf tree that cannot reach a class) are about a rule
            # set the user may never see: kept with the candidate, not raised
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", RulexWarning)
                rules = extractor.fit(network, fit_ds).rules_
        except (RulexError, MemoryError) as exc:
            return [({"method": method, "parameters": dict(params), "error": f"{type(exc).__name__}: {exc}"}, None)]
        for w in caught:
            if not issubclass(w.category, RulexWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        notes = [str(w.message) for w in caught if issubclass(w.category, RulexWarning)]
        versions = [(None, rules, time.perf_counter() - t0)]
        cut = rules.provenance.get("budget", {}).get("stopped_by") == WALL_CLOCK
        if self.compress and (left() is None or left() > 0):
            versions += self._compressed(rules, versions[0][2], left, network, fit_ds, shared)
        elif self.compress:
            cut = True          # the wall clock left no time to compress it
        out = []
        for tol, r, secs in versions:
            rec = {"method": method, "parameters": dict(params), "compressed": tol is not None,
                   "holdout_fidelity": round(_fidelity(r, *held_out), 6), "rules": len(r),
                   "conditions": r.conditions_count(), "seconds": round(secs, 3)}
            if tol:
                rec["compress_tolerance"] = tol
            if cut:
                rec["cut_short"] = True
            if notes:
                rec["warnings"] = notes
            out.append((rec, r))
        return out

    def _compressed(self, rules, fit_seconds, left, network, fit_ds, shared) -> list:
        """``[(tolerance, rules, seconds)]``: compressed at tolerance 0 and, when that is over the reader's
        budget but near it, harder, step by step, until it fits."""
        t1 = time.perf_counter()
        small = compress_rules(rules, network, fit_ds, tolerance=0.0, random_state=self.random_state, sample=shared)
        versions = [(0.0, small, fit_seconds + time.perf_counter() - t1)]
        budget = self.max_conditions
        if budget is not None and budget < small.conditions_count() <= 4 * budget:
            for tol in _BUDGET_TOLERANCES:
                if left() is not None and left() <= 0:
                    break
                smaller = compress_rules(rules, network, fit_ds, tolerance=tol, random_state=self.random_state,
                                         sample=shared)
                if smaller.conditions_count() < versions[-1][1].conditions_count():
                    versions.append((tol, smaller, fit_seconds + time.perf_counter() - t1))
                if smaller.conditions_count() <= budget:
                    break
        return versions

    def _fallback(self, network, fit_ds, held_out):
        """No candidate finished: the smallest surrogate tree (``on_budget="partial"``), or an error."""
        if self.on_budget == "error":
            raise BudgetExceededError(f"auto: no candidate finished within max_seconds={self.max_seconds}")
        rules = seeded_extractor("surrogate_tree", {"max_leaf_nodes": 4}, self.random_state).fit(
            network, fit_ds).rules_
        rec = {"method": "surrogate_tree", "parameters": {"max_leaf_nodes": 4}, "compressed": False,
               "holdout_fidelity": round(_fidelity(rules, *held_out), 6),
               "rules": len(rules), "conditions": rules.conditions_count(), "seconds": 0.0}
        return rec, rules

    def _choose(self, pool):
        """``(record, rules, best held-out fidelity)`` of the winner (see the class docstring)."""
        if self.max_conditions is not None:
            fits = [(rec, r) for rec, r in pool if rec["conditions"] <= self.max_conditions]
            if not fits:
                raise BudgetExceededError(
                    f"auto: no candidate has at most max_conditions={self.max_conditions} conditions (the smallest "
                    f"has {min(rec['conditions'] for rec, _ in pool)}); raise max_conditions or add smaller candidates")
            pool = fits
        best = max(rec["holdout_fidelity"] for rec, _ in pool)
        # within a reader's budget the most faithful wins; without one, the smallest near the best
        slack = 0.0 if self.max_conditions is not None else self.tolerance
        ok = [(rec, r) for rec, r in pool if rec["holdout_fidelity"] >= best - slack - 1e-12]
        rec, rules = min(ok, key=lambda t: (t[0]["conditions"], t[0]["rules"], -t[0]["holdout_fidelity"]))
        return rec, rules, best
