"""One verification query: does the network answer a :class:`Spec` on a region (boxes minus boxes)?

ReLU (and identity) networks are decided exactly by the MILP of :mod:`rulex.verification.milp`, after two
cheap filters: a sampled/gradient falsifier and a CROWN bound on each box. Networks with a sigmoid or
tanh hidden layer go to the branch and bound of :mod:`rulex.verification.bounds`, over the region written as
disjoint boxes (box minus boxes, §4(c)).
"""
from __future__ import annotations

import time


from .bounds import branch_and_bound, crown, falsify
from .milp import relu_query
from .spec import hidden_activations

__all__ = ["decide_region", "region_share"]


def region_share(domain, own: list, exclude: list, max_pieces: int = 2000, deadline: float = float("inf")):
    """Share of the domain in the union of ``own`` minus the union of ``exclude``, as disjoint boxes.

    Returns ``(share, pieces)``, or ``(None, None)`` when the difference passes ``max_pieces`` boxes or
    ``deadline`` (the caller then estimates the share by sampling).
    """
    pieces = domain.subtract_all(list(own), list(exclude), max_pieces, deadline)
    if pieces is None:
        return None, None
    return sum(domain.volume(p) for p in pieces), pieces


def decide_region(network, spec, domain, own: list, exclude: list, pieces, deadline: float, *,
                  confirm, rng, delta: float, own_mofns=()) -> dict:
    """Decide ``spec`` on (union of ``own``, all satisfying ``own_mofns``) minus (union of ``exclude``).

    An entry of ``exclude`` is a box or a pair (box, m-of-n tests); m-of-n tests are decided by the
    MILP only (ReLU networks), other engines answer unknown for them.

    ``pieces`` is the same region as disjoint boxes, or None when it is too fragmented (then the
    branch and bound of sigmoid/tanh networks answers unknown). Returns a dict with ``status``
    (certified | counterexample | unknown), ``row`` (a confirmed counterexample frame, or None),
    ``certified`` (share of the region's volume proved), ``engine`` and ``note``.
    """
    acts = hidden_activations(network)
    exact = acts <= {"relu", "identity"}
    if pieces is not None and not pieces:
        return {"status": "certified", "row": None, "certified": 1.0, "engine": "empty", "note": "empty region"}
    # cheap falsifier on every box of the region
    for box in (pieces if pieces is not None else own)[:64]:
        if time.monotonic() > deadline:
            break
        row = falsify(network, spec, domain, box, rng, n_samples=64, steps=20, confirm=confirm)
        if row is not None:
            return {"status": "counterexample", "row": row, "certified": 0.0, "engine": "sampling", "note": ""}
    if exact:
        status, note = "certified", ""
        engine = "crown"
        for box in own:
            if time.monotonic() > deadline:
                return {"status": "unknown", "row": None, "certified": 0.0, "engine": engine, "note": "budget"}
            xl, xu = domain.encoded_bounds(box)       # a superset of the region: a proof here is sound
            low, _ = crown(network, xl, xu).spec_lower(spec)
            if (low > delta).all():
                continue
            engine = "milp"
            out = relu_query(network, spec, domain, box, exclude, deadline, delta=delta, confirm=confirm,
                             mofns=own_mofns)
            if out["status"] == "counterexample":
                return {"status": "counterexample", "row": out["row"], "certified": 0.0, "engine": engine,
                        "note": ""}
            if out["status"] == "unknown":
                status, note = "unknown", out["note"]
        return {"status": status, "row": None, "certified": 1.0 if status == "certified" else 0.0,
                "engine": engine, "note": note}
    if pieces is None or own_mofns or any(isinstance(e, tuple) for e in exclude):
        return {"status": "unknown", "row": None, "certified": 0.0, "engine": "bnb",
                "note": "the region splits into too many boxes for branch and bound"}
    out = branch_and_bound(network, spec, domain, pieces, deadline, rng, delta=delta, confirm=confirm)
    return {"status": out["status"], "row": out["row"], "certified": out["certified"], "engine": "bnb",
            "note": f"{out['nodes']} nodes" + (", budget" if out["status"] == "unknown" else "")}
