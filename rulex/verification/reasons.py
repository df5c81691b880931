"""Sufficient reasons for one prediction (ALGORITHMS-2 §5) and exact potential flips.

A *sufficient reason* (abductive explanation) of a row classified ``c`` is a set ``S`` of its features
such that every row of the domain that agrees with it on ``S`` is classified ``c`` too. The
deletion-based search frees the features one at a time, least influential first (``|gradient of the
worst margin| x range``), and drops a feature when the verifier proves the class still holds with it
free; the result is subset-minimal: for every kept feature the verifier returned a counterexample
(a row equal to the explained one on the other kept features, inside the domain, that the network
classifies differently), which the result shows. A query that runs out of budget keeps its feature
and marks the reason budget-limited.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..exceptions import DataError, NetworkError
from ..network.adapter import Network
from ..schema.features import to_native
from .bounds import _grad_worst
from .domain import Domain, Span
from .engine import decide_region
from .local import Roots, decide_roots, native_record
from .radius import check_free, check_radius, row_boxes
from .spec import DELTA, Spec, check_seconds, hidden_activations

__all__ = ["sufficient_reason", "potential_flip", "SufficientReason", "PotentialFlip"]


class SufficientReason:
    """A subset-minimal set of a row's feature values that forces the network's class.

    Attributes
    ----------
    features : list of str
        The kept features, in the schema's order.
    values : dict
        Their values in the explained row.
    prediction : object
        The network's class for the row.
    proven : bool
        True when every freeing query was decided; False (budget-limited) when some feature was
        kept only because its query ran out of time (listed in ``undecided``).
    counterexamples : dict
        For each kept feature whose freeing was refuted, the counterexample row (a dict in original
        units) and the class the network gives it.
    undecided : list of str
    order : list of str
        The order in which features were tried.
    seconds : float
    radius : float or None
        None: the freed features range over the whole domain. Otherwise they range only within
        ``radius x (max - min)`` of the row's values: a distance-restricted reason, over the box that
        :func:`~rulex.verification.verify` proves at a radius. That box keeps the row's categorical,
        binary and ordinal values (a change of category is a distance of 1 in the one-hot inputs, beyond
        any radius below 1) unless ``free`` names them; those kept by the box are listed in ``held``.
    held : list of str
        With ``radius``: the categorical features the box holds at the row's values (not in
        ``features``, but part of the statement).
    """

    def __init__(self, features, values, prediction, proven, counterexamples, undecided, order, seconds,
                 radius=None, held=()):
        self.radius = radius
        self.held = list(held)
        self.features = features
        self.values = values
        self.prediction = prediction
        self.proven = proven
        self.counterexamples = counterexamples
        self.undecided = undecided
        self.order = order
        self.seconds = seconds

    @property
    def status(self) -> str:
        return "proven" if self.proven else "budget-limited"

    def __len__(self):
        return len(self.features)

    def to_dict(self) -> dict:
        return {"features": list(self.features), "values": dict(self.values), "prediction": self.prediction,
                "status": self.status, "counterexamples": self.counterexamples, "undecided": list(self.undecided),
                "order": list(self.order), "seconds": round(self.seconds, 4), "radius": self.radius,
                "held": list(self.held)}

    def __str__(self):
        conds = " AND ".join(f"{k} = {v!r}" for k, v in self.values.items()) or "(nothing: the class is constant)"
        scope = "" if self.radius is None else (
            f"; any other value within {self.radius:.0%} of the row's"
            + (f", {', '.join(self.held)} as in the row" if self.held else ""))
        return f"{conds} => {self.prediction!r} ({self.status}{scope})"

    def __repr__(self):
        return f"SufficientReason({self})"


class PotentialFlip:
    """Whether changing one feature anywhere in its range can change a row's class.

    Attributes
    ----------
    feature : str
    can_flip : bool or None
        True (proven by ``row``), False (proven impossible) or None (budget ran out).
    row : dict or None
        A row equal to the explained one except ``feature``, classified ``flipped_to``.
    flipped_to : object
    seconds : float
    """

    def __init__(self, feature, can_flip, row, flipped_to, seconds):
        self.feature, self.can_flip, self.row, self.flipped_to, self.seconds = feature, can_flip, row, flipped_to, seconds

    @property
    def proven(self) -> bool:
        return self.can_flip is not None

    def __repr__(self):
        word = {True: "yes", False: "no", None: "unknown"}[self.can_flip]
        return f"PotentialFlip({self.feature!r}: {word}{'' if self.row is None else f', e.g. {self.row}'})"


def _one_row(network, row) -> pd.DataFrame:
    if isinstance(row, pd.Series):
        row = row.to_frame().T
    elif isinstance(row, dict):
        row = pd.DataFrame([row])
    if not isinstance(row, pd.DataFrame) or len(row) != 1:
        raise DataError("row must be a one-row DataFrame, a Series or a dict of the features")
    missing = [f for f in network.schema.feature_names if f not in row.columns]
    if missing:
        raise DataError(f"row lacks feature(s) {missing}")
    row = row[network.schema.feature_names].reset_index(drop=True).copy()
    for f in network.schema.features:           # object columns (from a Series) back to numbers
        if f.kind in ("numeric", "integer"):
            row[f.name] = pd.to_numeric(row[f.name])
    network.schema.check_frame(row, what="row")
    return row


def _setup(network, row, bounds):
    if not isinstance(network, Network):
        raise NetworkError(f"expected a rulex Network, got {type(network).__name__}")
    if network.task != "classification":
        raise NetworkError("sufficient reasons and flips are for classification networks")
    hidden_activations(network)
    row = _one_row(network, row)
    domain = Domain(network.encoder, bounds)
    c = int(network.predict_index(row)[0])
    return row, domain, c, Spec.for_class(network, c)


def _fixed_box(domain, row, fixed) -> dict:
    box = domain.box()
    for f in domain.features:
        if f.name in fixed:
            v = row[f.name].iloc[0]
            box[f.name] = (Span(float(v), float(v)) if f.kind in ("numeric", "integer")
                           else frozenset([list(f.categories).index(v)]))
    return box


def _confirmer(network, domain, row, fixed, box, spec):
    def confirm(X):
        frame = domain.decode(np.atleast_2d(X))
        for name in fixed:                      # fixed features take the row's exact values
            frame[name] = [row[name].iloc[0]] * len(frame)
        ok = domain.contains(frame, box)
        if not ok.any():
            return None
        frame = frame[ok].reset_index(drop=True)
        for f in domain.features:
            if f.kind == "integer":
                frame[f.name] = frame[f.name].astype("int64")
        wrong = ~spec.holds(network, network.encoder.transform(frame))
        if not wrong.any():
            return None
        return frame.iloc[[int(np.flatnonzero(wrong)[0])]].reset_index(drop=True)
    return confirm



def sufficient_reason(network, row, dataset=None, max_seconds: float = 30, *, order=None, radius=None,
                      free=None, max_nodes: int = 200, bounds: dict | None = None, delta: float = DELTA,
                      random_state: int | None = 0) -> SufficientReason:
    """A subset-minimal set of ``row``'s feature values that proves the network's class.

    Parameters
    ----------
    network : Network
        A classification network (relu/identity hidden layers: exact MILP; sigmoid/tanh: bounds and
        branch and bound, where a query may end unknown).
    row : DataFrame (one row), Series or dict
        The row to explain, in original units.
    dataset : Dataset, optional
        Only checked to hold the network's columns (the domain is the encoder's training range).
    max_seconds : float, default 30
        Budget for the whole search, shared among the per-feature queries.
    order : sequence of str, optional
        Order in which to try freeing the features; default least influential first.
    radius : float in (0, 1], optional
        Let a freed numeric feature range only within ``radius x (max - min)`` of the row's value
        (clipped to the domain), a freed categorical one over its categories: a short, local reason
        ("with these values as they are, no change of up to 10 % of any other changes the class";
        ALGORITHMS-3 §1.2), decided by the batched verifier. None: the whole domain.
    free : list of str, optional
        With ``radius``: categorical, binary or ordinal features that may take any category when freed
        (the others are held at the row's value by the box, as in ``verify(..., radius=r)``).
    max_nodes : int, default 200
        With ``radius``: branch-and-bound nodes per query before MILP (ReLU) or ``unknown``.
    bounds : dict, optional
        ``{feature: (low, high)}`` replacing the training range of numeric features.
    delta : float, default 1e-6
        Margin a proof must clear.
    random_state : int or None, default 0

    Returns
    -------
    SufficientReason

    Raises
    ------
    DataError
        For a malformed row, order, bounds or budget.
    NetworkError
        For a regression network or an unreadable activation.
    """
    started = time.monotonic()
    max_seconds = check_seconds(max_seconds)
    row, domain, c, spec = _setup(network, row, bounds)
    if dataset is not None:
        missing = [f for f in network.schema.feature_names if f not in dataset.frame.columns]
        if missing:
            raise DataError(f"the data set lacks column(s) {missing} that the network takes")
    names = network.schema.feature_names
    if radius is not None:
        radius = check_radius(radius)
    if order is None:
        order = _default_order(network, domain, row, spec, radius or 1.0)
    else:
        order = list(order)
        if sorted(order) != sorted(names):
            raise DataError(f"order must list every feature once: {names}")
    rng = np.random.default_rng(random_state)
    deadline_all = started + max_seconds - 0.05
    if radius is not None:
        held = [n for n in names if network.schema[n].kind not in ("numeric", "integer")
                and n not in check_free(free, network.schema)]
        return _reason_at_radius(network, domain, row, c, [n for n in order if n not in held], radius, max_nodes,
                                 deadline_all, delta, rng, started, held)
    kept = set(names)
    cex, undecided = {}, []
    for k, name in enumerate(order):
        now = time.monotonic()
        deadline = min(deadline_all, now + max(deadline_all - now, 0.0) / (len(order) - k))
        fixed = kept - {name}
        box = _fixed_box(domain, row, fixed)
        if now >= deadline_all:
            undecided.append(name)
            continue
        confirm = _confirmer(network, domain, row, fixed, box, spec)
        out = decide_region(network, spec, domain, [box], [], [box], deadline, confirm=confirm, rng=rng, delta=delta)
        if out["status"] == "certified":
            kept.discard(name)
        elif out["status"] == "counterexample":
            r = out["row"]
            cex[name] = {"row": native_record(r.iloc[0].to_dict()), "network_says": to_native(network.predict(r)[0])}
        else:
            undecided.append(name)
    features = [n for n in names if n in kept]
    values = {n: row[n].iloc[0] for n in features}
    values = native_record(values)
    pred = network.classes[c]
    return SufficientReason(features, values, pred, not undecided, cex, undecided, order,
                            time.monotonic() - started)


def _default_order(network, domain, row, spec, radius: float = 1.0):
    """Features by increasing |gradient of the worst margin| x the feature's encoded range at the row
    (numeric features: ``radius`` x the range)."""
    X = network.encoder.transform(row)
    _, g = _grad_worst(network, spec, X)
    xl, xu = domain.encoded_bounds(domain.box())
    enc = network.encoder
    score = {}
    for f in domain.features:
        cols = enc.groups_[f.name]
        r = radius if f.kind in ("numeric", "integer") else 1.0
        score[f.name] = float(np.sum(np.abs(g[0, cols]) * np.maximum(r * (xu[cols] - xl[cols]), 1e-12)))
    return sorted(score, key=lambda n: (score[n], network.schema.feature_names.index(n)))


def potential_flip(network, row, feature: str, dataset=None, max_seconds: float = 10, *,
                   bounds: dict | None = None, delta: float = DELTA, random_state: int | None = 0) -> PotentialFlip:
    """Can changing ``feature`` alone, anywhere in its range, change ``row``'s class?

    Parameters
    ----------
    network : Network
    row : DataFrame (one row), Series or dict
    feature : str
    dataset : Dataset, optional
        Unused except for checking its columns.
    max_seconds : float, default 10
    bounds, delta, random_state
        As for :func:`sufficient_reason`.

    Returns
    -------
    PotentialFlip
        ``can_flip`` True with the flip row, False when proven impossible, None when the budget ran out.

    Raises
    ------
    DataError
        If ``feature`` is not a feature of the network, or for a malformed row or budget.
    """
    started = time.monotonic()
    max_seconds = check_seconds(max_seconds)
    row, domain, _, spec = _setup(network, row, bounds)
    names = network.schema.feature_names
    if feature not in names:
        raise DataError(f"feature {feature!r} is not a feature of the network ({', '.join(names[:8])}...)")
    fixed = set(names) - {feature}
    box = _fixed_box(domain, row, fixed)
    confirm = _confirmer(network, domain, row, fixed, box, spec)
    out = decide_region(network, spec, domain, [box], [], [box], started + max_seconds - 0.05,
                        confirm=confirm, rng=np.random.default_rng(random_state), delta=delta)
    if out["status"] == "counterexample":
        r = out["row"]
        return PotentialFlip(feature, True, native_record(r.iloc[0].to_dict()), to_native(network.predict(r)[0]),
                             time.monotonic() - started)
    can = False if out["status"] == "certified" else None
    return PotentialFlip(feature, can, None, None, time.monotonic() - started)


def _reason_at_radius(network, domain, row, c, order, radius, max_nodes, deadline_all, delta, rng, started, held):
    """Deletion over ``order`` where freed features range within ``radius`` of the row (batched verifier).

    One batched pass first frees each feature alone: a feature whose freeing alone already changes the
    class is in every reason (a larger box holds the same counterexample), so it is kept without a
    sequential query. Then the others are tried in order, each query freeing it with those freed before.
    """
    names = list(network.schema.feature_names)

    def query(free_sets):
        boxes, owners = [], []
        for k, fs in enumerate(free_sets):
            radii = {n: (radius if n in fs else 0.0) for n in names}
            cats = [n for n in fs if network.schema[n].kind not in ("numeric", "integer")]
            roots, _ = row_boxes(domain, row, radius, cats, radii=radii)
            boxes.append(roots)
            owners.append(np.full(len(roots.rows), k))
        roots = Roots(pd.concat([b.rows for b in boxes], ignore_index=True), boxes[0].num,
                      np.vstack([b.lo for b in boxes]), np.vstack([b.hi for b in boxes]))
        owner = np.concatenate(owners)
        out = decide_roots(network, domain, roots, classes=np.full(len(owner), c), max_nodes=max_nodes,
                           deadline=deadline_all, delta=delta, rng=rng)
        res = []
        for k in range(len(free_sets)):
            idx = np.flatnonzero(owner == k)
            st = [out.status[i] for i in idx]
            row_ = next((out.row[i] for i in idx if out.row[i] is not None), None)
            res.append(("counterexample" if row_ is not None else "unknown" if "unknown" in st else "certified", row_))
        return res, out.complete

    cex, undecided = {}, []
    singles, complete = query([{n} for n in order]) if order else ([], True)
    kept = set(names)
    for name, (status, r) in zip(order, singles):
        if status == "counterexample":
            cex[name] = {"row": native_record(r.iloc[0].to_dict()), "network_says": to_native(network.predict(r)[0])}
    freed: set = set()
    for name, (status, _) in zip(order, singles):
        if name in cex:
            continue
        if status == "certified" and not freed:
            out, r = "certified", None
        else:
            (out, r), = query([freed | {name}])[0]
        if out == "certified":
            freed.add(name)
            kept.discard(name)
        elif out == "counterexample":
            cex[name] = {"row": native_record(r.iloc[0].to_dict()), "network_says": to_native(network.predict(r)[0])}
        else:
            undecided.append(name)
    features = [n for n in names if n in kept and n not in held]
    values = native_record({n: row[n].iloc[0] for n in features})
    return SufficientReason(features, values, network.classes[c], not undecided and complete, cex, undecided,
                            order, time.monotonic() - started, radius=radius, held=held)
