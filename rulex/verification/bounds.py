"""Sound bounds (interval and CROWN-style linear), a gradient falsifier, and input-split branch and bound.

Bounds follow ALGORITHMS-2 §4(b). Every hidden unit gets pre-activation bounds layer by layer: the
interval bound (IBP) intersected with the CROWN backward bound, in which each activation is replaced
by a lower and an upper linear function valid on its pre-activation interval (ReLU: the triangle
relaxation with CROWN's adaptive lower line; sigmoid/tanh: chords and the smaller end slope, DeepPoly
style, sound because the derivative is unimodal with its peak at 0). Constants of the linear bounds
are loosened by :data:`SLACK` so that float rounding can only make a bound weaker.

:func:`branch_and_bound` proves a :class:`~rulex.verification.spec.Spec` over a list of disjoint boxes: a
box whose CROWN lower margins all exceed ``delta`` is certified; otherwise points are sampled in it and
pushed by projected gradient steps (the gradient of the worst margin, computed analytically in float64)
to find a point the network answers differently, which is confirmed by the caller's ``confirm``
(decoding, region membership, ``network.predict``); otherwise the box is split on the feature with the
largest ``|coefficient| x width`` of the worst margin's linear bound. Boxes too small to split are left
unknown, and so is every box open when the deadline passes.
"""
from __future__ import annotations

import heapq
import math
import time

import numpy as np

from .batch import _ACT, SLACK, BatchCrown
from .domain import Span

__all__ = ["crown", "falsify", "branch_and_bound", "SLACK"]

class Crown:
    """Pre-activation bounds of every hidden layer of a network over one input box, and spec bounds
    (one box of :class:`~rulex.verification.batch.BatchCrown`)."""

    def __init__(self, network, xl: np.ndarray, xu: np.ndarray):
        self._batch = BatchCrown(network, np.asarray(xl, float)[None, :], np.asarray(xu, float)[None, :])
        self.bounds = [(l[0], u[0]) for l, u in self._batch.bounds]

    def spec_lower(self, spec):
        """Lower bounds of the spec's margins and their input coefficients."""
        low, lam = self._batch.margin_lower(spec.C, spec.d)
        return low[0], lam[0]


def crown(network, xl, xu) -> Crown:
    return Crown(network, np.asarray(xl, float), np.asarray(xu, float))


def _grad_worst(network, spec, X):
    """Worst margin per row and its gradient with respect to the inputs (analytic backprop)."""
    hs, zs = [X], []
    h = X
    for layer in network.layers[:-1]:
        z = layer.forward(h, pre=True)
        zs.append(z)
        h = _ACT[layer.activation][0](z)
        hs.append(h)
    out = network.layers[-1].forward(h, pre=True)
    m = spec.margins(out)
    worst = m.argmin(axis=1)
    g = spec.C[worst] @ network.layers[-1].weights
    for k in range(len(zs) - 1, -1, -1):
        g = g * _ACT[network.layers[k].activation][1](zs[k])
        g = g @ network.layers[k].weights
    return m.min(axis=1), g


def falsify(network, spec, domain, box, rng, n_samples: int = 64, steps: int = 20, confirm=None):
    """Search ``box`` for a point the network answers differently; return the confirmed row or None.

    Random points of the box, then projected gradient descent on the worst margin from the best few
    (continuous and integer inputs move; categories stay as sampled; integers are rounded after).
    """
    X = domain.sample(box, n_samples, rng)
    xl, xu = domain.encoded_bounds(box)
    movable = np.zeros(X.shape[1], dtype=bool)
    for f in domain.features:
        if isinstance(box[f.name], Span) and box[f.name].hi > box[f.name].lo:
            movable[domain.encoder.groups_[f.name][0]] = True
    m, _ = _grad_worst(network, spec, X)
    cands = [X[m <= 0]]
    if steps and movable.any():
        best = X[np.argsort(m)[:min(8, len(m))]].copy()
        step = 0.1 * (xu - xl)
        for _ in range(steps):
            _, gb = _grad_worst(network, spec, best)
            best = best - step * np.sign(gb) * movable
            best = np.clip(best, xl, xu)
            step = step * 0.85
        cands.append(best)
    C = np.vstack(cands)
    if not len(C) or confirm is None:
        return None
    return confirm(C)


def branch_and_bound(network, spec, domain, pieces, deadline: float, rng, *, delta: float, confirm,
                     min_width: float = 1e-6, samples: int = 16):
    """Certify ``spec`` on the union of disjoint ``pieces`` or find a counterexample.

    Returns
    -------
    dict
        ``status`` (certified | counterexample | unknown), ``row`` (the confirmed counterexample frame
        or None), ``certified`` (share of the pieces' volume proved), ``nodes``.
    """
    total = sum(domain.volume(p) for p in pieces)
    heap = [(-domain.volume(p), i, p) for i, p in enumerate(pieces)]
    heapq.heapify(heap)
    counter = len(heap)
    proved, proved_all, nodes, open_boxes = 0.0, True, 0, 0
    while heap:
        if time.monotonic() > deadline:
            proved_all = False
            break
        negv, _, box = heapq.heappop(heap)
        nodes += 1
        xl, xu = domain.encoded_bounds(box)
        cr = crown(network, xl, xu)
        low, lam = cr.spec_lower(spec)
        if (low > delta).all():
            proved += -negv
            continue
        row = falsify(network, spec, domain, box, rng, n_samples=samples * (4 if nodes == 1 else 1),
                      steps=15, confirm=confirm)
        if row is not None:
            return {"status": "counterexample", "row": row, "certified": _share(proved, total, False),
                    "nodes": nodes}
        child = _split(domain, box, lam[np.argmin(low)], xl, xu, min_width)
        if child is None:
            proved_all = False
            open_boxes += 1
            continue
        for c in child:
            counter += 1
            heapq.heappush(heap, (-domain.volume(c), counter, c))
    status = "certified" if proved_all and not heap and not open_boxes else "unknown"
    return {"status": status, "row": None, "certified": _share(proved, total, status == "certified"),
            "nodes": nodes}


def _share(proved, total, done):
    if done:
        return 1.0
    return proved / total if total > 0 else 0.0


def _split(domain, box, lam, xl, xu, min_width):
    """Two boxes splitting ``box`` on its most influential splittable feature, or None."""
    enc = domain.encoder
    best, best_score = None, -1.0
    for f in domain.features:
        cols = enc.groups_[f.name]
        x = box[f.name]
        score = float(np.sum(np.abs(lam[cols]) * (xu[cols] - xl[cols])))
        if isinstance(x, Span):
            if f.kind == "integer":
                ok = x.hi > x.lo
            else:
                ok = xu[cols[0]] - xl[cols[0]] > min_width
            score = score if ok else -1.0
        elif len(x) < 2:
            score = -1.0
        if score > best_score or (score == best_score and score >= 0 and best is None):
            best, best_score = f, score
    if best is None or best_score < 0:
        return None
    x = box[best.name]
    if isinstance(x, frozenset):
        idx = sorted(x)
        h = len(idx) // 2
        return [{**box, best.name: frozenset(idx[:h])}, {**box, best.name: frozenset(idx[h:])}]
    if best.kind == "integer":
        mid = math.floor((x.lo + x.hi) / 2)
        return [{**box, best.name: Span(x.lo, float(mid))}, {**box, best.name: Span(float(mid + 1), x.hi)}]
    mid = x.lo + (x.hi - x.lo) / 2
    return [{**box, best.name: Span(x.lo, mid, x.lo_open, False)},
            {**box, best.name: Span(mid, x.hi, True, x.hi_open)}]
