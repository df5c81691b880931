"""``verify(rules, network, dataset)``: prove, rule by rule, that the network decides what the rules say.

The region of a rule is what it really decides: in an ordered rule set its conditions minus every
earlier rule's, the default's region what no rule covers; in an unordered set each rule's own
conditions (and, for the default, what no rule covers). Each region is checked over the network's
input domain (:class:`~rulex.verification.domain.Domain`): proven (``certified``), refuted by a concrete
row (``counterexample``, always decoded to original units, inside the domain and the region, and
checked with ``network.predict``), or ``unknown`` within the budget, with the share of the region's
volume already proven.
"""
from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from ..decoding import decode_rules
from ..exceptions import DataError, NetworkError, PartialResultWarning, RuleError
from ..network.adapter import Network
from ..rules.conditions import MofN, format_conditions
from ..rules.linear import LinearModel
from ..rules.ruleset import RuleSet
from .domain import Domain, TooManyBoxes
from .engine import decide_region, region_share
from .local import native_record
from .radius import (check_radius, counterexample_frame, is_dask_frame, rule_summary, thresholds_of,
                     verify_partitions, verify_rows)
from .result import Verification
from .spec import DELTA, Spec, check_seconds, hidden_activations

__all__ = ["Verification", "verify"]

#: Most boxes a rule's conditions are expanded into; past it, m-of-n tests go to the MILP natively.
EXPAND_BOXES = 2000


def _text(rule, schema):
    return format_conditions(rule.conditions) if rule.conditions else "(always)"


def verify(rules, network, dataset=None, max_seconds: float = 60, *, radius: float | None = None,
           free=None, max_nodes: int = 200, n_samples: int = 200, bounds: dict | None = None,
           tolerance: float | None = None, delta: float = DELTA, max_pieces: int = 2000,
           random_state: int | None = 0) -> Verification:
    """Prove, for every rule's region, that the network gives the rule's conclusion everywhere in it;
    or, with ``radius``, for every row of ``dataset``, on the whole box around the row.

    Whole regions are the right question for exact concepts (MONK, XOR); on real data a rule set at
    fidelity 0.95 disagrees somewhere in almost every region, and the useful statement is local:
    *certified fidelity at a radius* (ALGORITHMS-3 §1), the share of data rows for which the rules and
    the network agree on every point within ``radius x (max - min)`` of the row's numeric values.

    Parameters
    ----------
    rules : RuleSet
        In original units (an encoded-space set is decoded first).
    network : Network
        Hidden layers relu/identity (decided exactly by MILP) or sigmoid/tanh (bounds with branch
        and bound).
    dataset : Dataset, DataFrame or dask DataFrame, optional
        Checked against the network's features; for regression its rows set the default tolerance.
        With ``radius``, the rows whose boxes are proven (required); a Dask DataFrame is verified
        partition by partition on the active Dask scheduler (each partition with ``max_seconds``).
    max_seconds : float, default 60
        Budget for the whole call; regions left when it runs out are ``unknown``. With ``radius`` it is
        a safety net only: the work budget ``max_nodes`` decides the answer, so it does not depend on the
        machine's load, and a run the wall clock stops says so (``complete`` False and a warning).
    radius : float in (0, 1], optional
        Half-width of each row's box as a share of each numeric feature's range (max - min of the
        domain), clipped to the domain; categorical, binary and ordinal features keep the row's value.
        None (default): whole regions.
    free : list of str, optional
        With ``radius``: categorical, binary or ordinal features that range over all their categories.
    max_nodes : int, default 200
        With ``radius``: branch-and-bound nodes per box before the exact MILP (ReLU) finishes it or it is
        ``unknown``.
    n_samples : int, default 200
        With ``radius``: points drawn in each box for the sampled upper bound.
    bounds : dict, optional
        ``{feature: (low, high)}`` replacing the training range of numeric features.
    tolerance : float, optional
        Regression: a rule with conclusion ``v`` holds where the network's output is within
        ``v +- tolerance``; default a tenth of the spread (max - min) of the network's outputs on
        ``dataset``.
    delta : float, default 1e-6
        Margin a proof must clear (solver tolerances; see :data:`rulex.verification.spec.DELTA`).
    max_pieces : int, default 2000
        Most disjoint boxes a region may split into before volumes are estimated.
    random_state : int or None, default 0
        Seed of the falsifier's sampling.

    Returns
    -------
    Verification

    Raises
    ------
    RuleError
        If ``rules`` is not a RuleSet or its conclusions are not the network's classes.
    DataError
        For an invalid ``max_seconds``, ``tolerance``, ``bounds`` or a data set without the network's columns.
    NetworkError
        For a network with an activation verification cannot read.
    """
    started = time.monotonic()
    if radius is not None:
        return _verify_radius(rules, network, dataset, max_seconds, radius=radius, free=free, max_nodes=max_nodes,
                              n_samples=n_samples, bounds=bounds, tolerance=tolerance, delta=delta,
                              random_state=random_state)
    return _verify_regions(rules, network, dataset, max_seconds, bounds=bounds, tolerance=tolerance, delta=delta,
                           max_pieces=max_pieces, random_state=random_state, started=started)


def _verify_regions(rules, network, dataset, max_seconds, *, bounds, tolerance, delta, max_pieces, random_state,
                    started) -> Verification:
    """``verify`` over whole rule regions (no ``radius``)."""
    rules, max_seconds = _checked(rules, network, dataset, max_seconds, delta, max_pieces)
    deadline_all = started + max_seconds - 0.05
    rng = np.random.default_rng(random_state)
    domain = Domain(network.encoder, bounds)

    tol = None
    if network.task == "regression":
        tol = _tolerance(tolerance, network, dataset)
    # expanding m-of-n tests into boxes may take at most half the budget
    items = _regions(rules, domain, started + max_seconds / 2)
    sampled = _Sampled(rules, domain, rng)
    records, cex_rows = [], []
    total_share, estimated = 0.0, False
    certified_boxes, certified_labels, default_ok, default_share = [], [], False, 0.0
    for n_done, item in enumerate(items):
        label, _rule, own, own_mofns, _exclude, conclusion = item
        rec, out, share, est = _verify_region(item, len(items) - n_done, network, rules, domain, sampled, tol,
                                              deadline_all, max_pieces=max_pieces, delta=delta, rng=rng)
        estimated |= est
        records.append(rec)
        if out["row"] is not None:
            cex_rows.append(_counterexample(out["row"], label, conclusion, network))
        if (rules.semantics == "ordered" or label == "default") and out["certified"] > 0:
            total_share += share * out["certified"]
        if out["status"] == "certified":
            if label == "default":
                default_ok, default_share = True, share
            else:
                certified_boxes.append(None if own_mofns else own)
                certified_labels.append(label)
    if rules.semantics == "unordered":
        union, est = _certified_union(domain, sampled, certified_boxes, certified_labels, max_pieces, deadline_all)
        estimated |= est
        total_share = union + (default_share if default_ok else 0.0)
    frame = pd.DataFrame.from_records(records, columns=["rule", "text", "conclusion", "status", "certified_share",
                                                        "region_share", "counterexample", "engine", "seconds",
                                                        "note"])
    cex = (pd.concat(cex_rows, ignore_index=True) if cex_rows
           else pd.DataFrame(columns=list(network.schema.feature_names) + ["rule", "rule_says", "network_says"]))
    return Verification(frame, float(min(total_share, 1.0)), cex, time.monotonic() - started, estimated)


def _checked(rules, network, dataset, max_seconds, delta, max_pieces) -> tuple:
    """``(rules in original units, max_seconds)`` after refusing what :func:`verify` cannot read (in this order:
    the network, the rules, the budget, ``delta``, ``max_pieces``, the activations, the data's columns, the task)."""
    if not isinstance(network, Network):
        raise NetworkError(f"verify: expected a rulex Network, got {type(network).__name__}")
    if not isinstance(rules, RuleSet):
        raise RuleError(f"verify: expected a RuleSet, got {type(rules).__name__}")
    max_seconds = check_seconds(max_seconds)
    if not (isinstance(delta, (int, float)) and delta >= 0):
        raise DataError(f"delta must be a number >= 0, got {delta!r}")
    if not (isinstance(max_pieces, (int, np.integer)) and max_pieces >= 1):
        raise DataError(f"max_pieces must be a positive integer, got {max_pieces!r}")
    hidden_activations(network)
    if rules.space == "encoded":
        rules = decode_rules(network.encoder, rules)
    if dataset is not None:
        missing = [f for f in network.schema.feature_names if f not in dataset.frame.columns]
        if missing:
            raise DataError(f"the data set lacks column(s) {missing} that the network takes")
    if rules.task != network.task:
        raise RuleError(f"the rules are for {rules.task} but the network does {network.task}")
    network.warn_if_other_source(rules.provenance, "the proof is about this network, not the one they describe",
                                 stacklevel=4)
    return rules, max_seconds


def _verify_region(item, left, network, rules, domain, sampled, tol, deadline_all, *, max_pieces, delta,
                   rng) -> tuple:
    """``(record, outcome, region share, share estimated?)`` of one region of :func:`_regions`, decided
    within its slice (``1 / left``) of the budget left before ``deadline_all``."""
    label, rule, own, own_mofns, exclude, conclusion = item
    t0 = time.monotonic()
    deadline = min(deadline_all, t0 + max(deadline_all - t0, 0.0) / left)
    complex_ = own is None or exclude is None or bool(own_mofns) or any(isinstance(e, tuple) for e in exclude)
    share, pieces, est = None, None, False
    late = time.monotonic() >= deadline_all
    if late:                                       # out of budget: not even the volume is measured
        share = float("nan")
    elif not complex_:
        share, pieces = region_share(domain, own, exclude, max_pieces,
                                     deadline=t0 + 0.25 * max(deadline - t0, 0.0))
    if share is None:
        share, est = sampled.share(label), True
    rec = {"rule": label, "text": _text(rule, network.schema) if rule is not None else "(default)",
           "conclusion": conclusion, "region_share": share}
    if late:
        out: dict = {"status": "unknown", "row": None, "certified": 0.0, "engine": "", "note": "budget"}
    elif own is None or exclude is None:
        out = {"status": "unknown", "row": None, "certified": 0.0, "engine": "",
               "note": "region too complex: its m-of-n tests expand into too many boxes"}
    elif isinstance(conclusion, LinearModel):
        out = {"status": "unknown", "row": None, "certified": 0.0, "engine": "",
               "note": "linear conclusions are not verified"}
    elif time.monotonic() >= deadline_all:       # the budget ran out while the region was measured
        out = {"status": "unknown", "row": None, "certified": 0.0, "engine": "",
               "note": "budget (region measured, not decided)"}
    else:
        spec = _spec(network, conclusion, tol)
        confirm = _confirmer(network, domain, rules, label, spec)
        out = decide_region(network, spec, domain, own, exclude, pieces, deadline,
                            confirm=confirm, rng=rng, delta=delta, own_mofns=own_mofns)
    row = out["row"]
    rec.update(status=out["status"], certified_share=out["certified"],
               counterexample=None if row is None else native_record(row.iloc[0].to_dict()),
               engine=out["engine"], seconds=round(time.monotonic() - t0, 4), note=out["note"])
    return rec, out, share, est


def _counterexample(row, label, conclusion, network) -> pd.DataFrame:
    """The first counterexample row with the rule's label, what the rule says and what the network says."""
    r = row.iloc[[0]].copy()
    r["rule"] = label
    r["rule_says"] = [conclusion]
    r["network_says"] = network.predict(row.iloc[[0]])
    return r


def _certified_union(domain, sampled, certified_boxes, certified_labels, max_pieces, deadline_all) -> tuple:
    """``(share of the domain the certified rules cover together, estimated?)`` for unordered rules: exact
    from the boxes, or sampled for m-of-n rules or too many boxes."""
    union = None
    if not any(b is None for b in certified_boxes):
        union = _union_share(domain, certified_boxes, max_pieces, deadline_all + 0.5)
    est = union is None
    if union is None:                              # m-of-n rules or too many boxes: sample the union
        union = sampled.union(certified_labels)
    return union, est



def _tolerance(tolerance, network, dataset):
    if tolerance is not None:
        if not (isinstance(tolerance, (int, float)) and tolerance >= 0):
            raise DataError(f"tolerance must be a number >= 0, got {tolerance!r}")
        return float(tolerance)
    if dataset is None:
        raise DataError("tolerance: give tolerance= or a dataset to derive it from for a regression network")
    y = network.predict(dataset.frame)
    return 0.1 * float(np.max(y) - np.min(y))


def _spec(network, conclusion, tol):
    if network.task == "regression":
        v = float(conclusion)
        return Spec.for_range(network, v - tol, v + tol)
    if conclusion not in network.classes:
        raise RuleError(f"a rule concludes {conclusion!r}, which is not a class of the network "
                        f"{list(network.classes)}")
    return Spec.for_class(network, list(network.classes).index(conclusion))


def _regions(rules, domain, deadline: float = float("inf")):
    """(label, rule, own boxes, own m-of-n tests, excluded, conclusion) per rule, then for the default.

    A rule's conditions become disjoint boxes; when its m-of-n tests would expand into too many, the
    boxes of its other conditions are kept with the m-of-n tests beside them (decided natively by the
    MILP), and its entries in later rules' exclusions are pairs (box, m-of-n tests). None where even
    the other conditions are too many boxes.
    """
    parts: list = []
    for r in rules.rules:
        try:
            parts.append((domain.boxes(r.conditions, max_boxes=EXPAND_BOXES, deadline=deadline), ()))
            continue
        except TooManyBoxes:
            pass
        plain = [c for c in r.conditions if not isinstance(c, MofN)]
        mofns = tuple(c for c in r.conditions if isinstance(c, MofN))
        try:
            parts.append((domain.boxes(plain, deadline=deadline), mofns))
        except TooManyBoxes:
            parts.append(None)

    def flat(ps):
        if any(p is None for p in ps):
            return None
        return [(b, ms) if ms else b for bs, ms in ps for b in bs]

    items: list = []
    for j, r in enumerate(rules.rules):
        own, mofns = parts[j] if parts[j] is not None else (None, ())
        exclude = flat(parts[:j]) if rules.semantics == "ordered" else []
        items.append((j + 1, r, own, mofns, exclude, r.conclusion))
    items.append(("default", None, [domain.box()], (), flat(parts), rules.default))
    return items


class _Sampled:
    """Monte Carlo shares of the regions from the rules' own semantics on one uniform domain sample
    (drawn, and the rules evaluated on it, once and only when needed)."""

    def __init__(self, rules, domain, rng, n: int = 20000):
        self.rules, self.domain, self.rng, self.n = rules, domain, rng, n
        self.frame = None

    def _ready(self):
        if self.frame is None:
            self.frame = self.domain.decode(self.domain.sample(self.domain.box(), self.n, self.rng))
            self.M = self.rules.matches(self.frame)
            self.decided = self.rules.decide(self.frame, self.M) if self.rules.semantics == "ordered" else None

    def share(self, label) -> float:
        self._ready()
        if self.decided is not None:
            return float(np.mean(self.decided == (-1 if label == "default" else label - 1)))
        return float(np.mean(~self.M.any(axis=1) if label == "default" else self.M[:, label - 1]))

    def union(self, labels) -> float:
        self._ready()
        return float(self.M[:, [lab - 1 for lab in labels]].any(axis=1).mean()) if labels else 0.0


def _union_share(domain, box_lists, max_pieces, deadline):
    share, seen = 0.0, []
    for own in box_lists:
        s, _ = region_share(domain, own, seen, max_pieces, deadline)
        if s is None:
            return None
        share += s
        seen = seen + list(own)
    return share


def _snapped(frame, thresholds, domain, tol: float = 1e-7) -> pd.DataFrame:
    """``frame`` and, after it, copies whose numeric values lying within ``tol`` (relative to the feature's
    range) of a rule threshold sit exactly on it or on the next double above: a solver's point near a
    region's closed face, moved onto the face, where a counterexample may be the only one there is."""
    extra = []
    for name, ts in thresholds.items():
        if name not in frame.columns or domain.schema[name].kind != "numeric":
            continue
        span = domain.full[name]
        x = frame[name].to_numpy(dtype=float)
        near = np.abs(x[:, None] - ts[None, :]) <= tol * max(span.hi - span.lo, 1.0)
        rows, k = np.nonzero(near)
        for side in (ts[k], np.nextafter(ts[k], np.inf)):
            moved = frame.iloc[rows].copy()
            moved[name] = side
            extra.append(moved)
    return pd.concat([frame] + extra, ignore_index=True) if extra else frame


def _confirmer(network, domain, rules, label, spec):
    """Turn encoded candidates into the first row that is a real counterexample, or None (candidates near a
    rule's threshold are also tried exactly on it: see :func:`_snapped`)."""
    thresholds = thresholds_of(rules)

    def confirm(X):
        X = np.atleast_2d(X)
        frame = _snapped(domain.decode(X), thresholds, domain)
        ok = domain.contains(frame)
        if not ok.any():
            return None
        if rules.semantics == "ordered":
            decided = rules.decide(frame)
            ok &= decided == (-1 if label == "default" else label - 1)
        elif label == "default":
            ok &= ~rules.matches(frame).any(axis=1)
        else:
            ok &= rules.rules[label - 1].evaluate(frame)
        if not ok.any():
            return None
        frame = frame[ok].reset_index(drop=True)
        wrong = ~spec.holds(network, network.encoder.transform(frame))
        if not wrong.any():
            return None
        return frame.iloc[[int(np.flatnonzero(wrong)[0])]].reset_index(drop=True)
    return confirm


def _radius_rows(dataset, network):
    """The rows of ``dataset`` (a Dataset or DataFrame) as a frame of the network's features."""
    frame = getattr(dataset, "frame", dataset)
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"verify(radius=...) proves boxes around data rows: give a Dataset, a DataFrame or a Dask "
                        f"DataFrame as dataset, got {type(dataset).__name__}")
    missing = [f for f in network.schema.feature_names if f not in frame.columns]
    if missing:
        raise DataError(f"the data lacks column(s) {missing} that the network takes")
    return frame[network.schema.feature_names]


def _verify_radius(rules, network, dataset, max_seconds, *, radius, free, max_nodes, n_samples, bounds, tolerance,
                   delta, random_state) -> Verification:
    """``verify(..., radius=r)``: every row's box, batched (see :mod:`rulex.verification.radius`)."""
    started = time.monotonic()
    radius = check_radius(radius)
    if dataset is None:
        raise DataError("verify(radius=...) proves boxes around data rows: give the rows as dataset "
                        "(a Dataset, a DataFrame or a Dask DataFrame)")
    is_dask = is_dask_frame(dataset)
    rules, max_seconds = _checked(rules, network, None, max_seconds, delta, 1)
    for name, v, low in (("max_nodes", max_nodes, 1), ("n_samples", n_samples, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise DataError(f"{name} must be an integer >= {low}, got {v!r}")
    domain = Domain(network.encoder, bounds)
    tol = None
    if network.task == "regression":
        tol = _tolerance(tolerance, network, None if is_dask else dataset)
    kw = dict(free=free or (), tol=tol, max_nodes=int(max_nodes), delta=delta, n_samples=int(n_samples),
              random_state=random_state)
    if is_dask:
        out = verify_partitions(rules, network, domain, dataset, radius, max_seconds, kw)
    else:
        out = verify_rows(rules, network, domain, _radius_rows(dataset, network), radius,
                          deadline=started + max_seconds, **kw)
    if not out["complete"]:
        warnings.warn(f"verify(radius={radius}) stopped at max_seconds={max_seconds:g} before every row's box was "
                      "decided; the rows still open are 'unknown' (raise max_seconds for a complete answer)",
                      PartialResultWarning, stacklevel=3)
    summary = rule_summary(rules, out["rows"], out["counterexamples"], lambda r: _text(r, network.schema))
    cex = counterexample_frame(rules, network, out["counterexamples"])
    return Verification(summary, out["certified_fidelity"], cex, time.monotonic() - started, False, radius=radius,
                        rows=out["rows"], certified_fidelity=out["certified_fidelity"],
                        sampled_fidelity=out["sampled_fidelity"], sampled_upper_bound=out["sampled_upper_bound"],
                        unknown_share=out["unknown_share"], complete=out["complete"])
