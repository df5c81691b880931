"""The search behind method="auto": its candidate lists, fitting and scoring one candidate, the search
loop (cheap candidates first, early stop, dominated sizes skipped) and the two-stage selection."""
from __future__ import annotations

import time
import warnings

import numpy as np

from ..exceptions import BudgetExceededError, RulexError, RulexWarning
from ..extractors.base import extractor_class, seeded_extractor
from ..extractors.budget import WALL_CLOCK
from ..extractors.compression import compress as compress_rules
from ..extractors.compression import compression_sample

__all__ = ["budget_candidates", "default_candidates", "Search", "choose", "shortlist", "fresh_pool",
           "candidate_key", "fidelity", "SHORTLIST_MARGIN",
           "CONFIRM_ROWS"]

_BUDGET_TOLERANCES = (0.005, 0.01, 0.02, 0.05)   # compress tolerances tried to bring a candidate within max_conditions
#: the parameter that sets a method's size: a larger value is dominated once a smaller one fits its rows exactly
SIZE_PARAMETERS = {"surrogate_tree": "max_leaf_nodes", "checklist": "max_rules_per_class", "brcg": "max_conditions"}
#: a candidate this far (plus ``tolerance``) below the best held-out fidelity and smaller than the
#: held-out winner is refitted on all rows and confirmed on fresh points
SHORTLIST_MARGIN = 0.02
#: at most this many such smaller candidates are confirmed (the smallest first)
SHORTLIST_SMALLER = 2
#: confirmation runs when the rows used are at most this many (past it, the held-out split is large
#: enough and refitting the short list on all of them would cost more than the search)
CONFIRM_ROWS = 5000
#: a larger size of a method is skipped when a smaller one scored this far below the best so far
REACH = 0.05


def default_candidates(n_rows: int, n_inputs: int, n_classes: int = 2, small_rows: int = 5000,
                       small_inputs: int = 40, n_numeric: int = 0, brcg_numeric: int = 2) -> list:
    """``(method, parameters)`` pairs tried by ``auto``, cheapest first: surrogate trees of 4 to 32
    leaves, brcg (on small problems with at most ``brcg_numeric`` numeric features: its column
    generation solves a linear program per round that grows with the numeric thresholds, 9 s on
    1,000 rows of 8 numeric features), a checklist (m-of-n tests), cover (both modes when there are
    more than two classes), TREPAN, and a checklist of two rules per class."""
    out: list = [("surrogate_tree", {"max_leaf_nodes": k}) for k in (4, 8, 16, 32)]
    if n_rows <= small_rows and n_inputs <= small_inputs and n_numeric <= brcg_numeric:
        out.append(("brcg", {}))     # bounded by its node and iteration limits: deterministic
    out += [("checklist", {}), ("cover", {})]
    if n_classes > 2:
        out.append(("cover", {"semantics": "unordered"}))
    out += [("trepan", {"min_samples": 500}), ("checklist", {"max_rules_per_class": 2})]
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


def fidelity(rules, frame, y) -> float:
    return float(np.mean(rules.predict(frame) == np.asarray(y)))


def fresh_pool(network, dataset, n_points: int, random_state):
    """``n_points`` network-labelled perturbations of the rows of ``dataset`` drawn with a seed of
    their own (the rows themselves left out): points no candidate fitted on ``dataset`` has seen."""
    seed = None if random_state is None else int(np.random.default_rng([int(random_state), 28]).integers(2**31))
    frame, y = compression_sample(network, dataset, n_points, seed, marginal=False)
    n = len(dataset)
    return frame.iloc[n:].reset_index(drop=True), y[n:]


def candidate_key(rec) -> tuple:
    """What tells two candidate records apart: method, parameters, compressed."""
    return rec["method"], repr(sorted(rec["parameters"].items())), rec.get("compressed", False)


def choose(pool, max_conditions, tolerance, score="holdout_fidelity"):
    """``(record, rules, best score)``: with ``max_conditions`` the most faithful candidate within it
    (ties: fewer conditions), else the one with the fewest conditions (then rules, then the higher
    score) within ``tolerance`` of the best ``score``."""
    if max_conditions is not None:
        fits = [(rec, r) for rec, r in pool if rec["conditions"] <= max_conditions]
        if not fits:
            raise BudgetExceededError(
                f"auto: no candidate has at most max_conditions={max_conditions} conditions (the smallest "
                f"has {min(rec['conditions'] for rec, _ in pool)}); raise max_conditions or add smaller candidates")
        pool = fits
    best = max(rec[score] for rec, _ in pool)
    slack = 0.0 if max_conditions is not None else tolerance
    ok = [(rec, r) for rec, r in pool if rec[score] >= best - slack - 1e-12]
    rec, rules = min(ok, key=lambda t: (t[0]["conditions"], t[0]["rules"], -t[0][score]))
    return rec, rules, best


def shortlist(pool, winner, max_conditions, tolerance) -> list:
    """The held-out winner, the most faithful candidate and up to ``SHORTLIST_SMALLER`` candidates with
    fewer conditions than the winner whose held-out fidelity is within ``tolerance + SHORTLIST_MARGIN``
    of the best (the smallest first): empty when there is no such smaller candidate."""
    eligible = [rec for rec, _ in pool if max_conditions is None or rec["conditions"] <= max_conditions]
    best = max(rec["holdout_fidelity"] for rec in eligible)
    floor = best - (0.0 if max_conditions is not None else tolerance) - SHORTLIST_MARGIN - 1e-12
    smaller = sorted((rec for rec in eligible if rec["holdout_fidelity"] >= floor
                      and rec["conditions"] < winner["conditions"]),
                     key=lambda rec: (rec["conditions"], rec["rules"], -rec["holdout_fidelity"]))
    out: list = []
    seen: set = set()
    for rec in smaller:
        if candidate_key(rec) not in seen and len(out) < SHORTLIST_SMALLER:
            out.append(rec)
            seen.add(candidate_key(rec))
    if not out:
        return []
    top = max(eligible, key=lambda rec: (rec["holdout_fidelity"], -rec["conditions"]))
    for rec in (winner, top):
        if candidate_key(rec) not in seen:
            out.append(rec)
            seen.add(candidate_key(rec))
    return out


class Search:
    """One ``auto`` run's candidates on one split: each fitted (and compressed) on ``fit_ds`` and
    scored on the ``scoring`` pool; ``run`` tries them in order, ``candidate`` fits one (auto's
    confirmation also calls it to refit a short-listed one on all the rows)."""

    def __init__(self, owner, clock, network, scoring, shared):
        self.owner, self.clock, self.network, self.scoring, self.shared = owner, clock, network, scoring, shared

    def left(self):
        mx = self.owner.max_seconds
        return None if mx is None else mx - self.clock.elapsed()

    def run(self, candidates, fit_ds, n_inputs: int):
        """``(tried, pool, early_stop)``: every candidate's record, the (record, rules) that finished and
        why the search stopped early (None: it did not): once a candidate agrees with the network on the
        whole held-out pool with at most ``n_inputs`` conditions (one per network input; a larger exact
        list, e.g. cover's on MONK-2, is often beaten by a later m-of-n candidate) *and* no more conditions
        than features it tests (each tested once: a smaller set would have to leave out a feature the
        network's answer depends on), the rest are skipped. An exact candidate that tests a feature more
        than once does not stop the search: a tree read as a list repeats the tests of its shared paths
        and later rule learners often find the same function in far fewer conditions (mushroom: an exact
        8-leaf tree has 9-11 conditions, cover's and TREPAN's lists 3; MONK-1: brcg 9, cover 7)."""
        tried: list = []
        pool: list = []
        exact: dict = {}
        reached: dict = {}
        stop = None
        for method, params in candidates:
            base = {"method": method, "parameters": dict(params)}
            size_key = SIZE_PARAMETERS.get(method)
            same = (method, repr(sorted((k, v) for k, v in params.items() if k != size_key)))
            size = params.get(size_key, extractor_class(method)().get_params().get(size_key)) if size_key else None
            if stop is not None:
                tried.append({**base, "skipped": stop})
                continue
            why = self._out_of_reach(same, size, size_key, exact, reached, pool)
            if why:
                tried.append({**base, "skipped": why})
                continue
            rest = self.left()
            if rest is not None and rest <= 0:
                self.clock.stop(WALL_CLOCK, f"skipping the candidate {method}")
                tried.append({**base, "error": "skipped: budget spent", "cut_short": True})
                continue
            self.clock.spend(1)
            for rec, r in self.candidate(method, params, rest, fit_ds, self.scoring):
                tried.append(rec)
                if rec.get("cut_short"):
                    self.clock.stop(WALL_CLOCK, f"fitting the candidate {method}")
                if r is None:
                    continue
                pool.append((rec, r))
                mx = self.owner.max_conditions
                if rec["holdout_fidelity"] >= 1.0 and rec["conditions"] <= (n_inputs if mx is None else mx) \
                        and rec["conditions"] <= len(r.features_used()):
                    stop = (f"early stop: {method}{'+compress' if rec['compressed'] else ''} reached fidelity 1 "
                            f"on the held-out pool with {rec['conditions']} conditions")
                if size_key and isinstance(size, (int, float)):
                    if r.provenance.get("train_fidelity") == 1.0:
                        exact[same] = (size,)
                    prev = reached.get(same)
                    fid = rec["holdout_fidelity"] if prev is None or prev[0] != size else max(
                        prev[1], rec["holdout_fidelity"])
                    reached[same] = (size, fid)
        return tried, pool, stop

    @staticmethod
    def _out_of_reach(same, size, size_key, exact, reached, pool) -> str | None:
        """Why a larger size of a method is not worth fitting, or None: a smaller size already fits its
        rows exactly (dominated), or scored more than ``REACH`` below the best held-out fidelity so far
        (one size up rarely gains that much; the budget goes to other methods)."""
        if not isinstance(size, (int, float)):
            return None
        if same in exact and size > exact[same][0]:
            return f"dominated: {size_key}={exact[same][0]} already fits its rows exactly"
        if same in reached and size > reached[same][0] and pool:
            best = max(rec["holdout_fidelity"] for rec, _ in pool)
            if reached[same][1] < best - REACH:
                return (f"out of reach: {size_key}={reached[same][0]} scored {reached[same][1]:.4f}, more than "
                        f"{REACH} below the best so far ({best:.4f})")
        return None

    def candidate(self, method, params, rest, fit_ds, scoring, tolerances=None) -> list:
        """``[(record, rules or None)]``: the candidate as fitted and, with ``compress``, compressed
        (``tolerances``: only at these compress tolerances, None for the uncompressed fit)."""
        p = dict(params)
        defaults = extractor_class(method)().get_params(deep=False)
        if "max_seconds" in defaults and rest is not None:
            own = p.get("max_seconds", defaults["max_seconds"])
            p["max_seconds"] = float(rest if own is None else min(own, rest))
        extractor = seeded_extractor(method, p, self.owner.random_state)   # a bad parameter is the user's error
        t0 = time.perf_counter()
        try:
            # a candidate's warnings (e.g. a 2-leaf tree that cannot reach a class) are about a rule
            # set the user may never see: kept with the candidate, not raised
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", RulexWarning)
                rules = extractor.fit(self.network, fit_ds).rules_
        except (RulexError, MemoryError) as exc:
            return [({"method": method, "parameters": dict(params), "error": f"{type(exc).__name__}: {exc}"}, None)]
        for w in caught:
            if not issubclass(w.category, RulexWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        notes = [str(w.message) for w in caught if issubclass(w.category, RulexWarning)]
        versions = [(None, rules, time.perf_counter() - t0)]
        cut = rules.provenance.get("budget", {}).get("stopped_by") == WALL_CLOCK
        want = self.owner.compress if tolerances is None else any(t is not None for t in tolerances)
        if want and (self.left() is None or self.left() > 0):
            versions += self.compressed(rules, versions[0][2], fit_ds, tolerances)
        elif want:
            cut = True          # the wall clock left no time to compress it
        if tolerances is not None:
            versions = [v for v in versions if v[0] in tolerances]
        out = []
        for tol, r, secs in versions:
            rec = {"method": method, "parameters": dict(params), "compressed": tol is not None,
                   "holdout_fidelity": round(fidelity(r, *scoring), 6), "rules": len(r),
                   "conditions": r.conditions_count(), "seconds": round(secs, 3)}
            if tol:
                rec["compress_tolerance"] = tol
            if cut:
                rec["cut_short"] = True
            if notes:
                rec["warnings"] = notes
            out.append((rec, r))
        return out

    def compressed(self, rules, fit_seconds, fit_ds, tolerances=None) -> list:
        """``[(tolerance, rules, seconds)]``: compressed at tolerance 0 and, when that is over the reader's
        budget but near it, harder, step by step, until it fits (``tolerances``: only those)."""
        t1 = time.perf_counter()
        kw = dict(random_state=self.owner.random_state, sample=self.shared)
        if tolerances is not None:
            return [(t, compress_rules(rules, self.network, fit_ds, tolerance=t, **kw), fit_seconds)
                    for t in tolerances if t is not None]
        small = compress_rules(rules, self.network, fit_ds, tolerance=0.0, **kw)
        versions = [(0.0, small, fit_seconds + time.perf_counter() - t1)]
        budget = self.owner.max_conditions
        if budget is not None and budget < small.conditions_count() <= 4 * budget:
            for tol in _BUDGET_TOLERANCES:
                if self.left() is not None and self.left() <= 0:
                    break
                smaller = compress_rules(rules, self.network, fit_ds, tolerance=tol, **kw)
                if smaller.conditions_count() < versions[-1][1].conditions_count():
                    versions.append((tol, smaller, fit_seconds + time.perf_counter() - t1))
                if smaller.conditions_count() <= budget:
                    break
        return versions
