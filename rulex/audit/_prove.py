"""Many product queries under one deadline: bounds on every box first, the full engine on what is left.

ALGORITHMS-3 §1.1's order: a box whose copies are provably equal on it (:func:`~rulex.audit.product.
agree_on_box`) or whose disagreement scores CROWN bounds below ``-delta`` is proven at the cost of a
forward pass, so every box gets that chance before any box gets the expensive engine
(:func:`rulex.verification.engine.decide_region`: falsifier, then MILP for ReLU or branch and bound), which
then shares the time left evenly among the boxes still open.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..verification import Spec
from ..verification.bounds import crown
from ..verification.engine import decide_region
from ..verification.spec import DELTA
from .product import agree_on_box

__all__ = ["Query", "prove_queries", "disagreement_spec"]


def disagreement_spec(product) -> Spec:
    """Every disagreement score below ``-delta`` (see :mod:`rulex.audit.product`)."""
    n = product.layers[-1].n_units
    return Spec(-np.eye(n), np.zeros(n), None, [f"disagreement {i}" for i in range(n)])


@dataclass
class Query:
    """One box of one product; ``group`` ties the queries whose verdicts combine (a row's box)."""

    copies: list
    product: Any
    domain: Any
    box: dict
    confirm: Any
    group: int = 0
    status: str = "unknown"
    row: Any = None
    engine: str = ""
    spec: Any = None               # set by prove_queries: one spec per product


def prove_queries(queries: list, deadline: float, rng, stop_on_first: bool = False) -> None:
    """Set ``status`` (certified | counterexample | unknown), ``row`` and ``engine`` of every query in place.

    Once a query of a group has a counterexample the other queries of that group are not run (they stay
    unknown); with ``stop_on_first`` no query runs after the first counterexample.
    """
    pending = []
    specs: dict = {}
    for q in queries:
        if id(q.product) not in specs:
            specs[id(q.product)] = disagreement_spec(q.product)
        q.spec = specs[id(q.product)]
        if time.monotonic() >= deadline:
            return
        xl, xu = q.domain.encoded_bounds(q.box)
        if agree_on_box(q.copies, xl, xu):
            q.status, q.engine = "certified", "equal on the box"
            continue
        low, _ = crown(q.product, xl, xu).spec_lower(q.spec)
        if (low > DELTA).all():
            q.status, q.engine = "certified", "crown"
            continue
        pending.append(q)
    bad: set = set()
    for k, q in enumerate(pending):
        now = time.monotonic()
        if now >= deadline:
            return
        if q.group in bad:
            continue
        share = now + (deadline - now) / (len(pending) - k)
        out = decide_region(q.product, q.spec, q.domain, [q.box], [], [q.box], share, confirm=q.confirm, rng=rng,
                            delta=DELTA)
        q.status, q.row, q.engine = out["status"], out["row"], out["engine"]
        if q.status == "counterexample":
            bad.add(q.group)
            if stop_on_first:
                return
