"""Monotonicity: does moving a feature in the promised direction never lower the class? (ALGORITHMS-3 §2.1)

``"increasing"`` in feature ``i`` promises ``class(x + t e_i) >= class(x)`` for every point ``x`` of the scope
and every ``t >= 0`` that keeps the point in it (classes ordered as the network's ``classes``; for a binary
network: moving up never turns the second class into the first); ``"decreasing"`` the reverse.

Answers: ``violated`` with a real pair ``(x, x')`` (``x'`` = ``x`` moved in the feature's direction,
``network.predict`` shows the class order broken), ``proven``, or ``unknown`` when the budget ran out.

The proof is an input-splitting branch and bound over the scope's box (the whole domain, or the box
around each row at the radius), with two sound tests per box:

* **the class is constant** on the box (CROWN lower bounds of one class's margins all above ``delta``),
  used only on boxes that were never split along feature ``i`` — such a box holds every segment along
  ``i`` that starts in it, so no pair inside it can break the order;
* **every order margin's derivative along** ``i`` has the promised sign on the box: the margins are
  ``z_l - z_j`` for every later class ``l`` over an earlier ``j`` (a one-logit head: ``z``), their
  derivatives bounded by interval arithmetic on the chain rule, each hidden unit's derivative bounded on
  its CROWN pre-activation interval (:func:`rulex.audit.product.margin_gradient_bounds`; for ReLU the
  gradient of Liu et al., NeurIPS 2020, bounded instead of solved). A continuous, piecewise smooth margin
  whose derivative along ``i`` is ``>= 0`` on every box of a partition never decreases along ``i``; when no
  later class loses ground to an earlier one, the predicted class index cannot fall
  (:func:`rulex.audit.product.order_margins`).

A box that neither test decides is searched for a violation (random points of the box, each moved along
``i`` over a grid of the scope's values, checked with ``network.predict``) and split on the input with the
widest encoded range times its first-layer weight.
"""
from __future__ import annotations

import heapq
import time

import numpy as np
import pandas as pd

from ..exceptions import DataError, did_you_mean
from ..verification import Domain, Span, Spec
from ..verification.bounds import crown
from ..verification.spec import DELTA
from ._common import STATUS_ORDER, record, scope_boxes
from .product import margin_gradient_bounds, order_margins

__all__ = ["parse_monotone", "audit_monotone", "DIRECTIONS"]

DIRECTIONS = ("increasing", "decreasing")
#: Values along the feature tried per point when searching for a violation.
GRID = 16
#: Most data rows moved along the feature before the proof (domain scope).
MAX_SCAN = 5000


def parse_monotone(network, monotone) -> list:
    """``[(feature, direction)]`` from ``{feature: "increasing" | "decreasing"}``."""
    if monotone is None:
        return []
    if not isinstance(monotone, dict):
        raise DataError(f"monotone must be a dict {{feature: 'increasing' | 'decreasing'}}, got {type(monotone).__name__}")
    out = []
    for name, direction in monotone.items():
        if name not in network.schema:
            raise DataError("monotone: " + did_you_mean(name, network.schema.feature_names, "feature"))
        if direction not in DIRECTIONS:
            raise DataError(f"monotone direction of {name!r} must be 'increasing' or 'decreasing', got {direction!r}")
        f = network.schema[name]
        if f.kind not in ("numeric", "integer"):
            raise DataError(f"monotone feature {name!r} is {f.kind}; monotonicity is declared on numeric or "
                            "integer features")
        out.append((name, direction))
    return out


class _Search:
    """Violations along one feature: points moved over a grid of the feature's values in the scope."""

    def __init__(self, network, domain, name, direction, span: Span):
        self.net, self.domain, self.name, self.up = network, domain, name, direction == "increasing"
        enc = network.encoder
        self.col = enc.groups_[name][0]
        self.off, self.sc = enc.scale(name)
        vals = np.linspace(span.lo, span.hi, GRID)
        if network.schema[name].kind == "integer":
            vals = np.unique(np.round(vals))
        self.vals = vals

    def find(self, X: np.ndarray, box=None):
        """A confirmed violating pair among encoded points ``X`` moved along the grid, or None."""
        n, g = len(X), len(self.vals)
        Z = np.repeat(X, g, axis=0)
        Z[:, self.col] = np.tile((self.vals - self.off) / self.sc, n)
        Y = self.net.predict_index(Z).reshape(n, g)
        if not self.up:
            Y = Y[:, ::-1]
        best = np.maximum.accumulate(Y, axis=1)
        bad = Y < best                    # a later (moved) value has a lower class than an earlier one
        for i in np.flatnonzero(bad.any(axis=1))[:4]:
            j = int(np.flatnonzero(bad[i])[0])
            a = int(np.flatnonzero(Y[i, :j] == best[i, j])[0])
            ia, ij = (a, j) if self.up else (g - 1 - a, g - 1 - j)
            pair = self.domain.decode(np.vstack([Z[i * g + ia], Z[i * g + ij]]), box)
            pair[self.name] = [self.vals[ia], self.vals[ij]]
            if self.net.schema[self.name].kind == "integer":
                pair[self.name] = pair[self.name].astype(np.int64)
            y = self.net.predict(pair)
            order = [list(self.net.classes).index(v) for v in y]
            moved_up = pair[self.name].iloc[1] > pair[self.name].iloc[0] if self.up else \
                pair[self.name].iloc[1] < pair[self.name].iloc[0]
            if moved_up and order[1] < order[0]:
                return record(self.name, pair.iloc[0], pair.iloc[1], y[0], y[1], "search")
        return None


def _constant_class(network, cr) -> bool:
    k = max(2, network.layers[-1].n_units)
    return any((cr.spec_lower(Spec.for_class(network, c))[0] > DELTA).all() for c in range(k))


def _split(domain, network, box, name) -> tuple | None:
    """Split ``box`` in two on its most influential splittable feature; also say whether it was ``name``."""
    enc = domain.encoder
    W = np.abs(network.layers[0].weights).sum(axis=0)
    best, score = None, 0.0
    xl, xu = domain.encoded_bounds(box)
    for f in domain.features:
        x = box[f.name]
        cols = enc.groups_[f.name]
        if isinstance(x, Span):
            lo, hi = xl[cols[0]], xu[cols[0]]
            s = (hi - lo) * W[cols[0]] if (x.hi > x.lo and (f.kind != "integer" or x.hi - x.lo >= 1)) else 0.0
            s = s if hi - lo > 1e-6 else 0.0
        else:
            s = float(W[cols].sum()) if len(x) > 1 else 0.0
        if s > score:
            best, score = f, s
    if best is None:
        return None
    x = box[best.name]
    if isinstance(x, frozenset):
        idx = sorted(x)
        h = len(idx) // 2
        return [{**box, best.name: frozenset(idx[:h])}, {**box, best.name: frozenset(idx[h:])}], best.name == name
    if best.kind == "integer":
        mid = float(np.floor((x.lo + x.hi) / 2))
        return [{**box, best.name: Span(x.lo, mid)}, {**box, best.name: Span(mid + 1, x.hi)}], best.name == name
    mid = x.lo + (x.hi - x.lo) / 2
    return [{**box, best.name: Span(x.lo, mid)}, {**box, best.name: Span(mid, x.hi)}], best.name == name


def _gradient_sign_holds(network, cr, col, margins, direction) -> bool:
    """Every order margin's derivative along the feature has the promised sign on the box."""
    for w in margins:
        lo, hi = margin_gradient_bounds(network, cr.bounds, col, w)
        if (lo < 0) if direction == "increasing" else (hi > 0):
            return False
    return True


def prove_box(network, domain, root: dict, name, direction, deadline, rng) -> tuple[str, dict | None, str]:
    """``(certified | counterexample | unknown, pair, engine)`` for one scope box."""
    col = network.encoder.groups_[name][0]
    margins = order_margins(network)
    search = _Search(network, domain, name, direction, root[name])
    heap = [(-1.0, 0, root, False)]
    counter, engine = 1, "bounds"
    while heap:
        if time.monotonic() > deadline:
            return "unknown", None, engine
        _, _, box, split_i = heapq.heappop(heap)
        xl, xu = domain.encoded_bounds(box)
        cr = crown(network, xl, xu)
        if not split_i and _constant_class(network, cr):
            continue
        if _gradient_sign_holds(network, cr, col, margins, direction):
            continue
        pair = search.find(domain.sample(box, 8, rng), root)
        if pair is not None:
            return "counterexample", pair, "search"
        engine = "branch and bound"
        child = _split(domain, network, box, name)
        if child is None:
            return "unknown", None, engine
        boxes, on_i = child
        for b in boxes:
            counter += 1
            heapq.heappush(heap, (-domain.volume(b), counter, b, split_i or on_i))
    return "certified", None, engine


def audit_monotone(network, frame, name, direction, radius, deadline):
    """The row of ``Audit.monotone`` for one feature and direction."""
    t0 = time.monotonic()
    domain = Domain(network.encoder)
    rng = np.random.default_rng(0)
    row = {"feature": name, "direction": direction, "scope": "domain" if radius is None else f"radius {radius:g}",
           "radius": radius, "counterexample": None}
    col = network.encoder.groups_[name][0]
    if not network.layers[0].weights[:, col].any():
        row.update({"status": "proven", "engine": "zero weights", "seconds": round(time.monotonic() - t0, 4)})
        return row
    boxes = scope_boxes(domain, frame, radius)
    verdicts = []
    engines = set()
    # the data rows first: each row moved along the feature within its scope
    X = network.encoder.transform(_clip(domain, frame))
    if radius is None and len(X) > MAX_SCAN:
        X = X[np.random.default_rng(0).choice(len(X), MAX_SCAN, replace=False)]
    for bi, box in enumerate(boxes):
        rows = X if radius is None else X[bi:bi + 1]
        pair = _Search(network, domain, name, direction, box[name]).find(rows, box)
        if pair is not None:
            row.update({"status": "violated", "counterexample": {**pair, "source": "data"}, "engine": "data"})
            row["seconds"] = round(time.monotonic() - t0, 4)
            return row
    for k, box in enumerate(boxes):
        now = time.monotonic()
        if now >= deadline:
            verdicts.append("unknown")
            continue
        q_deadline = now + (deadline - now) / (len(boxes) - k)
        status, pair, engine = prove_box(network, domain, box, name, direction, q_deadline, rng)
        engines.add(engine)
        verdicts.append(status)
        if pair is not None:
            row["counterexample"] = pair
            break
    worst = min(verdicts, key=STATUS_ORDER.index) if verdicts else "certified"
    row["status"] = {"counterexample": "violated", "unknown": "unknown", "certified": "proven"}[worst]
    if radius is not None:
        row["rows_proven"] = verdicts.count("certified")
        row["row_status"] = [{"certified": "proven", "counterexample": "violated", "unknown": "unknown"}[v]
                             for v in verdicts] + ["unknown"] * (len(boxes) - len(verdicts))
    row.update({"engine": ", ".join(sorted(engines)), "seconds": round(time.monotonic() - t0, 4)})
    return row


def _clip(domain, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with numeric values clipped into the domain (test rows may lie beyond the training range)."""
    out = frame.copy()
    for f in domain.features:
        full = domain.full[f.name]
        if isinstance(full, Span):
            out[f.name] = np.clip(pd.to_numeric(out[f.name]).to_numpy(dtype=float), full.lo, full.hi)
            if f.kind == "integer":
                out[f.name] = out[f.name].round().astype(np.int64)
    return out
