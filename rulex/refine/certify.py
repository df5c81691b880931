"""Counterexample-guided refinement of pedagogical rules: ``rulex.extract(..., certify=True)``.

Round 0 extracts rules as usual. Each round then runs :func:`rulex.verify` on the rules; every
counterexample it returns (a row of the domain where a rule and the network disagree) is added to the
extraction rows, with ``copies - 1`` jittered neighbours (numeric values moved by 2 % of the feature's
range, integers by one, categories kept), all labelled by the network; the method extracts again from
the enlarged rows. The loop stops when every rule and the default are certified, when verification
finds no counterexample (only unknown regions remain), after ``max_rounds`` rounds, or when the
budget ends (a new extraction is only started when the time left exceeds the first extraction's);
refinement is not monotone, so the verified round with the largest certified share of the domain
(then the most certified regions) is returned (``returned_round``). The rule set's provenance ``certify`` records every round (rules, certified and refuted
regions, certified share of the domain, rows added, seconds) and what remained uncertified; support,
precision and fidelity are measured on the user's rows, not the added ones.
"""
from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..exceptions import DataError, PartialResultWarning
from ..extractors.base import annotate, extractor_class, seeded_extractor
from ..extractors.budget import capped_rows
from ..metrics import agreement
from ..verification import verify
from ..verification.radius import check_radius

__all__ = ["extract_certified"]


def _verify_round(rules, network, data, radius, budget, random_state) -> tuple:
    """``(verification, score, status counts)`` of one round: whole regions, or the rows' boxes at ``radius``."""
    if radius is None:
        result = verify(rules, network, data, max_seconds=budget, random_state=random_state)
        n_cert = int((result.rules["status"] == "certified").sum())
        return result, (result.certified_share, n_cert), result.rules["status"].value_counts().to_dict()
    with warnings.catch_warnings():     # a round cut by the budget is recorded, not warned about
        warnings.simplefilter("ignore", PartialResultWarning)
        result = verify(rules, network, data, max_seconds=budget, radius=radius, random_state=random_state)
    return (result, (result.certified_fidelity, result.sampled_fidelity),
            result.rows["status"].value_counts().to_dict())


def _best_round(candidates, radius, tolerance):
    """The verified round to return: the largest certified share (then most certified regions); at a
    radius, the best certified fidelity among rounds within ``tolerance`` of the best fidelity."""
    if not candidates:
        return None
    if radius is not None:
        top = max(c[0][1] for c in candidates)
        candidates = [c for c in candidates if c[0][1] >= top - tolerance]
    return max(candidates, key=lambda c: (c[0], -c[1]))


def _augment(network, dataset, cex: pd.DataFrame, copies: int, rng, jitter: float = 0.02) -> pd.DataFrame:
    enc = network.encoder
    rows = [cex]
    for _ in range(copies - 1):
        r = cex.copy()
        for f in network.schema.features:
            if f.kind in ("numeric", "integer"):
                lo, hi = enc.lower_[f.name], enc.upper_[f.name]
                v = r[f.name].to_numpy(dtype=float)
                step = rng.normal(0, jitter * (hi - lo), len(r)) if f.kind == "numeric" else rng.integers(-1, 2, len(r))
                v = np.clip(v + step, lo, hi)
                r[f.name] = np.round(v).astype(np.int64) if f.kind == "integer" else v
        rows.append(r)
    new = pd.concat(rows, ignore_index=True)[network.schema.feature_names]
    new[dataset.target] = network.predict(new)
    return new


def extract_certified(network, dataset, method: str, random_state, params: dict, *, max_seconds: float = 60,
                      max_rounds: int = 5, copies: int = 20, radius: float | None = None, max_rows: int = 1000,
                      fidelity_tolerance: float = 0.01):
    """Extract with ``method`` and refine with verifier counterexamples (see the module docstring).

    Parameters
    ----------
    network, dataset, method, random_state, params
        As for :func:`rulex.extract`.
    max_seconds : float, default 60
        Budget for verification and re-extraction together (the first extraction is not counted).
    max_rounds : int, default 5
    copies : int, default 20
        Rows added per counterexample (itself and jittered neighbours).
    radius : float in (0, 1], optional
        Refine for certified fidelity at this radius instead of whole regions: each round verifies the
        boxes around (at most ``max_rows``, seeded) extraction rows, adds the counterexamples found in
        them (jittered by at most the radius), and the round returned is the one with the best certified
        fidelity among those whose fidelity on the verified rows is within ``fidelity_tolerance`` of the
        best round's.
    max_rows : int, default 1000
        With ``radius``: extraction rows whose boxes are verified each round.
    fidelity_tolerance : float, default 0.01

    Returns
    -------
    RuleSet
        The last rule set, with ``provenance["certify"]``.

    Raises
    ------
    DataError
        If the method is not pedagogical or a budget parameter is invalid.
    """
    kind = extractor_class(method).kind
    if kind != "pedagogical":
        raise DataError(f"certify=True refines pedagogical methods; {method!r} is {kind}")
    if not (isinstance(max_seconds, (int, float)) and max_seconds > 0):
        raise DataError(f"certify_seconds must be a positive number, got {max_seconds!r}")
    if not (isinstance(max_rounds, int) and max_rounds >= 1):
        raise DataError(f"certify_rounds must be a positive integer, got {max_rounds!r}")
    if radius is not None:
        radius = check_radius(radius)
    rng = np.random.default_rng(random_state)
    rows = dataset.frame
    if radius is not None and len(rows) > max_rows:
        rows = rows.iloc[capped_rows(len(rows), max_rows, random_state)]
    t_first = time.monotonic()
    rules = seeded_extractor(method, params, random_state).fit(network, dataset).rules_
    started = time.monotonic()
    t_extract = started - t_first
    deadline = started + max_seconds
    rounds, frame, added, result, candidates = [], dataset.frame, 0, None, []
    for k in range(max_rounds + 1):
        t0 = time.monotonic()
        left = deadline - t0
        if left <= 0.1:
            break
        result, score, counts = _verify_round(rules, network, dataset if radius is None else rows, radius,
                                              left / 2 if k < max_rounds else left, random_state)
        candidates.append((score, k, rules, result))
        rounds.append({"round": k, "rules": len(rules.rules), "certified": counts.get("certified", 0),
                       "counterexample": counts.get("counterexample", 0), "unknown": counts.get("unknown", 0),
                       "certified_share": round(result.certified_share, 6), "rows_added": added,
                       "seconds": round(time.monotonic() - t0, 3)}
                      | ({} if radius is None else {"sampled_fidelity": round(result.sampled_fidelity, 6)}))
        done = result.all_certified if radius is None else bool((result.rows["status"] == "certified").all())
        if done or result.counterexamples.empty or k == max_rounds:
            break
        if deadline - time.monotonic() < t_extract:      # no time left to extract again
            break
        cex = result.counterexamples[network.schema.feature_names]
        new = _augment(network, dataset, cex, copies, rng, 0.02 if radius is None else min(0.02, radius))
        frame = pd.concat([frame, new], ignore_index=True)
        added += len(new)
        rules = seeded_extractor(method, params, random_state).fit(
            network, Dataset(frame, dataset.target, dataset.schema, name=dataset.name)).rules_
        result = None                     # the new rules are not verified yet
    best = _best_round(candidates, radius, fidelity_tolerance)
    if best is not None:                  # refinement is not monotone: return the best verified round
        _, chosen, rules, result = best
    uncertified = [] if result is None else [
        {"rule": rec["rule"], "status": rec["status"], "text": rec["text"]}
        for rec in result.rules.to_dict("records") if rec["status"] != "certified"]
    record = {"rounds": rounds, "verified": result is not None, "rows_added": added, "radius": radius,
              "returned_round": chosen if best is not None else len(rounds),
              "uncertified": uncertified if result is not None else "the last rules were not verified (budget)",
              "certified_share": None if result is None else round(result.certified_share, 6),
              "seconds": round(time.monotonic() - started, 3)}
    y_net = network.predict(dataset.frame)
    rules = annotate(rules, dataset.frame, y_net)
    prov = dict(rules.provenance)
    prov.update({"certify": record, "train_fidelity": agreement(rules.predict(dataset.frame), y_net, network.task),
                 "data_rows": len(dataset), "data_fingerprint": dataset.fingerprint()})
    return rules.replace(provenance=prov)
