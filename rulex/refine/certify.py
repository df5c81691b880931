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

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..exceptions import DataError
from ..extractors.base import annotate, extractor_class, seeded_extractor
from ..metrics import agreement
from ..verification import verify

__all__ = ["extract_certified"]


def _augment(network, dataset, cex: pd.DataFrame, copies: int, rng) -> pd.DataFrame:
    enc = network.encoder
    rows = [cex]
    for _ in range(copies - 1):
        r = cex.copy()
        for f in network.schema.features:
            if f.kind in ("numeric", "integer"):
                lo, hi = enc.lower_[f.name], enc.upper_[f.name]
                v = r[f.name].to_numpy(dtype=float)
                step = rng.normal(0, 0.02 * (hi - lo), len(r)) if f.kind == "numeric" else rng.integers(-1, 2, len(r))
                v = np.clip(v + step, lo, hi)
                r[f.name] = np.round(v).astype(np.int64) if f.kind == "integer" else v
        rows.append(r)
    new = pd.concat(rows, ignore_index=True)[network.schema.feature_names]
    new[dataset.target] = network.predict(new)
    return new


def extract_certified(network, dataset, method: str, random_state, params: dict, *, max_seconds: float = 60,
                      max_rounds: int = 5, copies: int = 20):
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
    rng = np.random.default_rng(random_state)
    t_first = time.monotonic()
    rules = seeded_extractor(method, params, random_state).fit(network, dataset).rules_
    started = time.monotonic()
    t_extract = started - t_first
    deadline = started + max_seconds
    rounds, frame, added, result, best = [], dataset.frame, 0, None, None
    for k in range(max_rounds + 1):
        t0 = time.monotonic()
        left = deadline - t0
        if left <= 0.1:
            break
        result = verify(rules, network, dataset, max_seconds=left / 2 if k < max_rounds else left,
                        random_state=random_state)
        n_cert = int((result.rules["status"] == "certified").sum())
        if best is None or (result.certified_share, n_cert) > best[0]:
            best = ((result.certified_share, n_cert), k, rules, result)
        counts = result.rules["status"].value_counts().to_dict()
        rounds.append({"round": k, "rules": len(rules.rules), "certified": counts.get("certified", 0),
                       "counterexample": counts.get("counterexample", 0), "unknown": counts.get("unknown", 0),
                       "certified_share": round(result.certified_share, 6), "rows_added": added,
                       "seconds": round(time.monotonic() - t0, 3)})
        if result.all_certified or result.counterexamples.empty or k == max_rounds:
            break
        if deadline - time.monotonic() < t_extract:      # no time left to extract again
            break
        cex = result.counterexamples[network.schema.feature_names]
        new = _augment(network, dataset, cex, copies, rng)
        frame = pd.concat([frame, new], ignore_index=True)
        added += len(new)
        rules = seeded_extractor(method, params, random_state).fit(
            network, Dataset(frame, dataset.target, dataset.schema, name=dataset.name)).rules_
        result = None                     # the new rules are not verified yet
    if best is not None:                  # refinement is not monotone: return the best verified round
        _, chosen, rules, result = best
    uncertified = [] if result is None else [
        {"rule": rec["rule"], "status": rec["status"], "text": rec["text"]}
        for rec in result.rules.to_dict("records") if rec["status"] != "certified"]
    record = {"rounds": rounds, "verified": result is not None, "rows_added": added,
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
