"""Rule: a conjunction of conditions with a conclusion, an immutable value (see :mod:`rulex.rules.ruleset`).

Also the JSON forms a rule and a rule set share: a conclusion's JSON and the canonical JSON of a
provenance record.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..exceptions import RuleError
from ..schema.features import to_native
from .conditions import Condition, MofN, format_conditions, literal_from_dict
from .linear import LinearModel, format_value

__all__ = ["Rule", "conclusion_to_json", "conclusion_from_json"]


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, frozenset)):
        return sorted(o, key=str)
    raise TypeError(f"cannot store {type(o).__name__} in rule provenance")


def _canonical_text(obj) -> str:
    """The JSON text of ``obj`` (tuples as lists, numpy scalars as Python numbers, sets sorted, keys in
    their order, NaN and infinities kept): a frozen form of a provenance record."""
    return json.dumps(obj, default=_json_default, allow_nan=True)


def conclusion_to_json(v):
    """JSON form of a conclusion: the value itself, or ``{"linear": {...}}`` for a LinearModel."""
    return {"linear": v.to_dict()} if isinstance(v, LinearModel) else v


def conclusion_from_json(v):
    if isinstance(v, dict):
        if set(v) != {"linear"}:
            raise RuleError(f"a conclusion is a value or {{'linear': ...}}, got {v!r}")
        return LinearModel.from_dict(v["linear"])
    return v


class Rule:
    """A conjunction of conditions (and m-of-n tests) with a conclusion.

    Parameters
    ----------
    conditions : sequence of Condition or MofN
        Empty means the rule always holds.
    conclusion : class label, number or LinearModel
        A :class:`~rulex.rules.linear.LinearModel` (regression only) predicts a linear
        formula of the row's columns where the rule holds.
    weight : float, default 1.0
        Vote weight under ``unordered`` semantics.
    support : int, optional
        Rows of the extraction data the rule decides.
    precision : float, optional
        Share of those rows where the network agrees with the conclusion.
    provenance : dict, optional
        JSON-native record of where the rule came from (tree node, hidden-unit terms...). It is
        kept as its canonical JSON text; :attr:`provenance` gives a fresh copy on every read.
    """

    __slots__ = ("conditions", "conclusion", "weight", "support", "precision", "_provenance")
    conditions: tuple
    conclusion: Any
    weight: float
    support: int | None
    precision: float | None
    _provenance: str

    def __init__(self, conditions: Sequence = (), conclusion=None, *, weight: float = 1.0,
                 support: int | None = None, precision: float | None = None, provenance: dict | None = None):
        conds = tuple(conditions)
        for c in conds:
            if not isinstance(c, (Condition, MofN)):
                raise RuleError(f"a rule's conditions must be Condition or MofN objects, got {type(c).__name__}")
        if conclusion is None:
            raise RuleError("a rule needs a conclusion")
        weight = float(weight)
        if not (weight >= 0 and np.isfinite(weight)):
            raise RuleError(f"a rule's weight must be a finite number >= 0, got {weight!r}")
        object.__setattr__(self, "conditions", conds)
        object.__setattr__(self, "conclusion", to_native(conclusion))
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "support", None if support is None else int(support))
        object.__setattr__(self, "precision", None if precision is None else float(precision))
        object.__setattr__(self, "_provenance", _canonical_text(provenance or {}))

    def __setattr__(self, key, value):
        raise AttributeError("Rule is immutable; use Rule.replace(...)")

    def __delattr__(self, key):
        raise AttributeError("Rule is immutable; use Rule.replace(...)")

    # pickle, copy.deepcopy, joblib and cloudpickle rebuild the slots without __setattr__
    def __getstate__(self):
        return tuple(getattr(self, k) for k in self.__slots__)

    def __setstate__(self, state):
        state = tuple(state)
        if not isinstance(state[-1], str):     # pickled when the provenance was kept as a dict
            state = state[:-1] + (_canonical_text(state[-1] or {}),)
        for k, v in zip(self.__slots__, state):
            object.__setattr__(self, k, v)

    @property
    def provenance(self) -> dict:
        """The JSON-native provenance record; each read returns a new copy (changing it changes no rule)."""
        return json.loads(self._provenance)

    def replace(self, **changes) -> "Rule":
        """A new rule with the given constructor arguments changed (``provenance`` replaces the whole record)."""
        kw = {"conditions": self.conditions, "conclusion": self.conclusion, "weight": self.weight,
              "support": self.support, "precision": self.precision, "provenance": self.provenance}
        kw.update(changes)
        conds = kw.pop("conditions")
        concl = kw.pop("conclusion")
        return Rule(conds, concl, **kw)

    def _key(self):
        return (self.conditions, self.conclusion, self.weight, self.support, self.precision,
                json.dumps(self.provenance, sort_keys=True))

    def __eq__(self, other):
        return isinstance(other, Rule) and self._key() == other._key()

    def __hash__(self):
        return hash((self.conditions, self.conclusion))

    def __repr__(self):
        return f"Rule({format_conditions(self.conditions)} -> {self.conclusion!r})"

    def __len__(self):
        return len(self.conditions)

    def size(self) -> int:
        """Number of literal tests (an m-of-n test counts each of its literals)."""
        return sum(c.size() for c in self.conditions)

    @property
    def features(self) -> tuple:
        """Features the rule reads: those its conditions test, then those of a linear conclusion."""
        extra = self.conclusion.features if isinstance(self.conclusion, LinearModel) else ()
        return tuple(dict.fromkeys([f for c in self.conditions for f in c.features] + list(extra)))

    def evaluate(self, frame: pd.DataFrame, cache: dict | None = None) -> np.ndarray:
        mask = np.ones(len(frame), dtype=bool)
        for c in self.conditions:
            if cache is not None:
                m = cache.get(c)
                if m is None:
                    m = cache[c] = c.evaluate(frame)
            else:
                m = c.evaluate(frame)
            mask &= m
        return mask

    def to_dict(self) -> dict:
        d = {"if": [c.to_dict() for c in self.conditions], "then": conclusion_to_json(self.conclusion)}
        if self.weight != 1.0:
            d["weight"] = self.weight
        if self.support is not None:
            d["support"] = self.support
        if self.precision is not None:
            d["precision"] = self.precision
        if self.provenance:
            d["provenance"] = self.provenance
        return d

    @classmethod
    def from_dict(cls, d) -> "Rule":
        return cls(tuple(literal_from_dict(c) for c in d.get("if", [])), conclusion_from_json(d["then"]),
                   weight=d.get("weight", 1.0), support=d.get("support"), precision=d.get("precision"),
                   provenance=d.get("provenance"))

    def to_string(self, schema=None, digits: int = 6) -> str:
        return f"IF {format_conditions(self.conditions, schema, digits)} THEN {format_value(self.conclusion)}"

    def provenance_text(self, digits: int = 4) -> str:
        """The hidden-unit terms a decompositional rule came from, top layer first, or ''."""
        terms = self.provenance.get("hidden_terms") or []
        return ", ".join(f"h{t['layer']}_{t['unit']} {t['op']} {t['threshold']:.{digits}g}" for t in terms)
