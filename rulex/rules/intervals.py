"""Interval folding: a conjunction of conditions as one box per feature.

Each feature gets at most one lower bound (``x > lo``), one upper bound
(``x <= hi``) and one set test. Folding keeps the tightest bounds, intersects the
sets, detects unsatisfiable conjunctions and decides implication between boxes,
all in time linear in the number of conditions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .conditions import Condition, MofN

__all__ = ["Box", "fold", "box_of", "implies"]


@dataclass
class _FeatureBox:
    lo: float = -math.inf            # x > lo
    hi: float = math.inf             # x <= hi
    allowed: frozenset | None = None  # x in allowed (None: no positive set test)
    excluded: frozenset = field(default_factory=frozenset)  # x not in excluded
    missing: bool | None = None      # True: x is missing; False: x is not missing; None: no test
    lo_from: Condition | None = None  # the condition that set ``lo`` (fold returns it, not a copy)
    hi_from: Condition | None = None

    def tests_value(self) -> bool:
        return math.isfinite(self.lo) or math.isfinite(self.hi) or self.allowed is not None or bool(self.excluded)


@dataclass
class Box:
    features: dict            # feature -> _FeatureBox, in first-appearance order
    mofn: list                # MofN literals, kept as they are
    empty: bool = False


def box_of(conditions, schema=None) -> Box:
    feats: dict = {}
    mofn = []
    empty = False
    for c in conditions:
        if isinstance(c, MofN):
            if c not in mofn:
                mofn.append(c)
            continue
        fb = feats.setdefault(c.feature, _FeatureBox())
        if c.op in ("is missing", "is not missing"):
            want = c.op == "is missing"
            if fb.missing is not None and fb.missing != want:
                empty = True
            fb.missing = want
        elif c.op == ">":
            if c.value > fb.lo:
                fb.lo, fb.lo_from = c.value, c
        elif c.op == "<=":
            if c.value < fb.hi:
                fb.hi, fb.hi_from = c.value, c
        elif c.op in ("==", "in"):
            vals = frozenset([c.value] if c.op == "==" else c.value)
            fb.allowed = vals if fb.allowed is None else fb.allowed & vals
        else:
            fb.excluded = fb.excluded | frozenset([c.value] if c.op == "!=" else c.value)
    for name, fb in feats.items():
        feature = schema[name] if schema is not None and name in schema else None
        if fb.missing and fb.tests_value():      # a test on the value is false on a missing value
            empty = True
        if feature is not None and feature.is_discrete and fb.allowed is None and fb.excluded:
            fb.allowed = frozenset(feature.categories)
        if fb.allowed is not None:
            fb.allowed = fb.allowed - fb.excluded
            fb.excluded = frozenset()
            if not fb.allowed:
                empty = True
        lo, hi = fb.lo, fb.hi
        if feature is not None and feature.kind == "integer":
            lo, hi = math.floor(lo) if math.isfinite(lo) else lo, math.floor(hi) if math.isfinite(hi) else hi
        if lo >= hi:
            empty = True
    return Box(feats, mofn, empty)


def _set_conditions(name, fb: _FeatureBox, feature) -> list:
    if fb.allowed is None:
        if not fb.excluded:
            return []
        ex = fb.excluded
        return [Condition(name, "!=", next(iter(ex))) if len(ex) == 1 else Condition(name, "not in", ex)]
    allowed = fb.allowed
    if feature is not None and feature.is_discrete:
        domain = feature.categories
        if set(domain) <= allowed:
            return []   # always true on the feature's domain
        rest = [v for v in domain if v not in allowed]
        if len(allowed) == 1:
            return [Condition(name, "==", next(iter(allowed)))]
        if len(rest) == 1:
            return [Condition(name, "!=", rest[0])]
        if feature.kind != "ordinal" and len(rest) < len(allowed):
            return [Condition(name, "not in", rest)]
        return [Condition(name, "in", allowed)]
    if len(allowed) == 1:
        return [Condition(name, "==", next(iter(allowed)))]
    return [Condition(name, "in", allowed)]


def fold(conditions, schema=None):
    """Fold a conjunction; return the canonical tuple of conditions, or None if unsatisfiable.

    With a ``schema``, set tests on discrete features are rewritten against the
    feature's domain (``not in`` the complement, ``==`` a single value) and
    tests that hold for every category are dropped.
    """
    box = box_of(conditions, schema)
    if box.empty:
        return None
    out = []
    for name, fb in box.features.items():
        feature = schema[name] if schema is not None and name in schema else None
        if fb.missing is not None and (fb.missing or not fb.tests_value()):
            out.append(Condition(name, "is missing" if fb.missing else "is not missing"))
        # a bound is the condition that set it (conditions are immutable: a new one would be equal, and
        # building it is most of a product's fold in a decompositional composition)
        if math.isfinite(fb.lo):
            out.append(fb.lo_from if fb.lo_from is not None else Condition(name, ">", fb.lo))
        if math.isfinite(fb.hi):
            out.append(fb.hi_from if fb.hi_from is not None else Condition(name, "<=", fb.hi))
        out.extend(_set_conditions(name, fb, feature))
    out.extend(box.mofn)
    return tuple(out)


#: boxes of recently read conjunctions (tuples, immutable), by identity: ``id -> (conjunction, box)``; the
#: entry holds the conjunction, so its id cannot be reused while it is remembered
_BOXES: dict = {}
_BOXES_MAX = 8192


def _read_box(conditions, schema) -> Box:
    """``box_of`` for reading only: without a schema, a tuple's box is remembered by the tuple's identity
    (the subsumption checks of a rule set ask about the same few hundred conjunctions many thousand
    times, and hashing their conditions would cost as much as folding them)."""
    if schema is not None or type(conditions) is not tuple:
        return box_of(conditions, schema)
    hit = _BOXES.get(id(conditions))
    if hit is not None and hit[0] is conditions:
        return hit[1]
    if len(_BOXES) >= _BOXES_MAX:
        _BOXES.clear()
    box = box_of(conditions)
    _BOXES[id(conditions)] = (conditions, box)
    return box


def implies(a_conditions, b_conditions, schema=None) -> bool:
    """True if every row satisfying conjunction ``a`` also satisfies conjunction ``b``.

    Sound but not complete: m-of-n tests in ``b`` must appear literally in ``a``.
    """
    a, b = _read_box(a_conditions, schema), _read_box(b_conditions, schema)
    if a.empty:
        return True
    if b.empty:
        return False
    if any(m not in a.mofn for m in b.mofn):
        return False
    for name, fb in b.features.items():
        fa = a.features.get(name)
        if fb.missing is not None:
            if fa is None:
                return False
            if fb.missing != (fa.missing if fa.missing is not None else (False if fa.tests_value() else None)):
                return False
            if not fb.tests_value():
                continue
        if fa is None:
            feature = schema[name] if schema is not None and name in schema else None
            if feature is not None and feature.is_discrete and fb.allowed is not None and \
                    set(feature.categories) <= fb.allowed:
                continue
            if math.isfinite(fb.lo) or math.isfinite(fb.hi) or fb.allowed is not None or fb.excluded:
                return False
            continue
        if fa.lo < fb.lo or fa.hi > fb.hi:
            return False
        if fb.allowed is not None:
            if fa.allowed is None or not fa.allowed <= fb.allowed:
                return False
        if fb.excluded:
            if fa.allowed is not None:
                if fa.allowed & fb.excluded:
                    return False
            elif not fb.excluded <= fa.excluded:
                return False
    return True
