"""Rule and RuleSet: the one representation every extractor returns and every exporter reads.

Semantics
---------
``ordered``
    A decision list: the first rule whose conditions hold decides; if none holds,
    the default decides (PMML ``firstHit``).
``unordered``
    Every rule that holds votes for its conclusion with its ``weight``; the
    class with the largest total wins (PMML ``weightedSum``). A tie goes to the
    tied class whose first firing rule comes earliest in the list, so results
    never depend on chance. If no rule holds, the default decides. Classification only.

Missing values make a condition false (see :mod:`rulex.rules.conditions`).
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..exceptions import DataError, RuleError
from ..schema.features import Schema, check_column, to_native
from .conditions import Condition, MofN, format_conditions, literal_from_dict
from .intervals import fold, implies
from .linear import LinearModel, format_linear, format_value
from .notebook import ruleset_frame, ruleset_html

__all__ = ["Rule", "RuleSet", "SEMANTICS"]

SEMANTICS = ("ordered", "unordered")


def _canonical(obj) -> Any:
    """JSON-native deep copy (tuples to lists, numpy scalars to Python): what a round trip gives back."""
    def default(o):
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, (set, frozenset)):
            return sorted(o, key=str)
        raise TypeError(f"cannot store {type(o).__name__} in rule provenance")
    return json.loads(json.dumps(obj, default=default, allow_nan=True))


def _format_conclusion(v, digits: int) -> str:
    return format_linear(v, digits) if isinstance(v, LinearModel) else format_value(v)


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
        JSON-native record of where the rule came from (tree node, hidden-unit terms...).
    """

    __slots__ = ("conditions", "conclusion", "weight", "support", "precision", "provenance")
    conditions: tuple
    conclusion: Any
    weight: float
    support: int | None
    precision: float | None
    provenance: dict

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
        object.__setattr__(self, "provenance", _canonical(provenance or {}))

    def __setattr__(self, key, value):
        raise AttributeError("Rule is immutable; use Rule.replace(...)")

    # pickle, copy.deepcopy, joblib and cloudpickle rebuild the slots without __setattr__
    def __getstate__(self):
        return tuple(getattr(self, k) for k in self.__slots__)

    def __setstate__(self, state):
        for k, v in zip(self.__slots__, state):
            object.__setattr__(self, k, v)

    def replace(self, **changes) -> "Rule":
        kw = {k: getattr(self, k) for k in self.__slots__}
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


class RuleSet:
    """An ordered decision list or an unordered rule set with an explicit default.

    Parameters
    ----------
    rules : sequence of Rule
    default : class label or number
        The conclusion when no rule decides.
    semantics : {"ordered", "unordered"}
    task : {"classification", "regression"}
    classes : sequence, optional
        The class labels, in the network's order (classification).
    target : str, optional
        Name of the predicted column.
    schema : Schema, optional
        The features the rules speak about. With a schema, ``predict`` checks the
        frame's types and unseen categories, and rendering shows integers naturally.
    space : {"original", "encoded"}
        ``original`` rules talk about the user's columns; ``encoded`` rules about
        network inputs (see :func:`rulex.decoding.decode_rules`).
    provenance : dict, optional
        JSON-native record: method, parameters, fingerprints, rulex version, metrics.
    """

    def __init__(self, rules: Iterable[Rule], default, *, semantics: str = "ordered",
                 task: str = "classification", classes: Sequence = (), target: str | None = None,
                 schema: Schema | None = None, space: str = "original", provenance: dict | None = None):
        rules = tuple(rules)
        for r in rules:
            if not isinstance(r, Rule):
                raise RuleError(f"RuleSet takes Rule objects, got {type(r).__name__}")
        if semantics not in SEMANTICS:
            raise RuleError(f"semantics must be one of {SEMANTICS}, got {semantics!r}")
        if task not in ("classification", "regression"):
            raise RuleError(f"task must be 'classification' or 'regression', got {task!r}")
        if task == "regression" and semantics != "ordered":
            raise RuleError("regression rule sets must be ordered (a vote between numbers is not defined)")
        if space not in ("original", "encoded"):
            raise RuleError(f"space must be 'original' or 'encoded', got {space!r}")
        if default is None:
            raise RuleError("a rule set needs an explicit default conclusion")
        if task == "classification" and any(isinstance(v, LinearModel)
                                            for v in [r.conclusion for r in rules] + [default]):
            raise RuleError("linear conclusions need task='regression'")
        classes = tuple(to_native(c) for c in classes)
        if task == "classification":
            if not classes:
                classes = tuple(dict.fromkeys([r.conclusion for r in rules] + [to_native(default)]))
            known = set(classes)
            bad = [r.conclusion for r in rules if r.conclusion not in known]
            if to_native(default) not in known:
                bad.append(default)
            if bad:
                raise RuleError(f"conclusion(s) {bad[:3]} are not among the classes {list(classes)}")
        else:
            for v in [r.conclusion for r in rules] + [default]:
                if not isinstance(v, (LinearModel, int, float, np.number)) or isinstance(v, (bool, np.bool_)):
                    raise RuleError(f"a regression conclusion must be a number or a LinearModel, got {v!r}")
        if schema is not None and space == "original":
            for r in rules:
                for f in r.features:
                    if f not in schema:
                        raise RuleError(f"a rule tests feature {f!r}, which is not in the schema")
        self.rules = rules
        self.default = to_native(default)
        self.semantics = semantics
        self.task = task
        self.classes = classes
        self.target = target
        self.schema = schema
        self.space = space
        self.provenance = _canonical(provenance or {})

    # -- size -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self):
        return iter(self.rules)

    def __getitem__(self, i) -> Rule:
        return self.rules[i]

    def conditions_count(self) -> int:
        """Total literal tests over all rules."""
        return sum(r.size() for r in self.rules)

    def features_used(self) -> list:
        extra = self.default.features if isinstance(self.default, LinearModel) else ()
        return list(dict.fromkeys([f for r in self.rules for f in r.features] + list(extra)))

    @property
    def is_linear(self) -> bool:
        """Whether any conclusion (or the default) is a :class:`LinearModel`."""
        return any(isinstance(v, LinearModel) for v in [r.conclusion for r in self.rules] + [self.default])

    def terms_count(self) -> int:
        """Total terms of the linear conclusions (0 when every conclusion is a constant)."""
        return sum(len(v.terms) for v in [r.conclusion for r in self.rules] + [self.default]
                   if isinstance(v, LinearModel))

    # -- equality / copy ----------------------------------------------------------------
    def _key(self):
        return (self.rules, self.default, self.semantics, self.task, self.classes, self.target,
                self.schema, self.space, json.dumps(self.provenance, sort_keys=True))

    def __eq__(self, other):
        return isinstance(other, RuleSet) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable provenance: not hashable

    def replace(self, **changes) -> "RuleSet":
        kw = dict(rules=self.rules, default=self.default, semantics=self.semantics, task=self.task,
                  classes=self.classes, target=self.target, schema=self.schema, space=self.space,
                  provenance=self.provenance)
        kw.update(changes)
        rules, default = kw.pop("rules"), kw.pop("default")
        return RuleSet(rules, default, **kw)

    # -- evaluation ---------------------------------------------------------------------
    def _check(self, frame) -> pd.DataFrame:
        if isinstance(frame, pd.Series):
            frame = frame.to_frame().T
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"rules predict on a pandas DataFrame, got {type(frame).__name__}")
        used = self.features_used()
        missing = [f for f in used if f not in frame.columns]
        if missing:
            raise DataError(f"the frame is missing column(s) {missing} that the rules test")
        if self.schema is not None and self.space == "original":
            for f in used:
                check_column(frame[f], self.schema[f], allow_missing=True)
        return frame

    def matches(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean matrix (rows x rules): which rules' conditions hold on each row."""
        return self._matches(self._check(frame))

    def _matches(self, frame: pd.DataFrame) -> np.ndarray:
        """:meth:`matches` on a frame :meth:`_check` has already validated."""
        cache: dict = {}
        out = np.zeros((len(frame), len(self.rules)), dtype=bool)
        for j, r in enumerate(self.rules):
            out[:, j] = r.evaluate(frame, cache)
        return out

    def decide(self, frame: pd.DataFrame, matches: np.ndarray | None = None) -> np.ndarray:
        """Index of the rule that decides each row, or -1 where the default decides.

        Under ``unordered`` semantics the deciding rule is the earliest firing rule of
        the winning class.
        """
        M = self.matches(frame) if matches is None else matches
        n, R = M.shape
        if R == 0:
            return np.full(n, -1, dtype=np.int64)
        first = np.where(M.any(axis=1), M.argmax(axis=1), -1)
        if self.semantics == "ordered":
            return first.astype(np.int64)
        classes = list(self.classes)
        cidx = np.array([classes.index(r.conclusion) for r in self.rules])
        weights = np.array([r.weight for r in self.rules])
        K = len(classes)
        score = np.zeros((n, K))
        first_fire = np.full((n, K), R, dtype=np.int64)
        order = np.arange(R)
        for k in range(K):
            cols = cidx == k
            if not cols.any():
                continue
            Mk = M[:, cols]
            score[:, k] = Mk.astype(float) @ weights[cols]
            idx = order[cols]
            ff = np.where(Mk.any(axis=1), idx[Mk.argmax(axis=1)], R)
            first_fire[:, k] = ff
        best = score.max(axis=1, keepdims=True)
        tied = score == best
        cand = np.where(tied & (first_fire < R), first_fire, R)
        win = cand.min(axis=1)
        return np.where(first >= 0, win, -1).astype(np.int64)

    def _conclusions(self, decided: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
        values = [r.conclusion for r in self.rules] + [self.default]
        if self.is_linear:
            out = np.empty(len(decided), dtype=np.float64)
            for j, v in enumerate(values):
                rows = np.flatnonzero(decided == (j if j < len(self.rules) else -1))
                if not len(rows):
                    continue
                out[rows] = v.predict(frame.iloc[rows]) if isinstance(v, LinearModel) else float(v)
            return out
        if self.task == "regression":
            arr = np.array(values, dtype=float)
        else:
            arr = np.array(list(self.classes) + [self.default])
            lookup = {c: i for i, c in enumerate(self.classes)}
            arr = arr[[lookup[v] for v in values]]
        return arr[decided]  # -1 picks the default, the last entry

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Vectorised prediction on a frame of the rules' columns."""
        frame = self._check(frame)
        return self._conclusions(self.decide(frame, self._matches(frame)), frame)

    def explain(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The deciding rule of each row: its number (1-based, 0 for the default), text and conclusion."""
        frame = self._check(frame)
        decided = self.decide(frame, self._matches(frame))
        texts = [r.to_string(self.schema if self.space == "original" else None) for r in self.rules]
        default_text = f"DEFAULT THEN {format_value(self.default)}"
        out = pd.DataFrame({
            "rule": decided + 1,
            "text": [texts[d] if d >= 0 else default_text for d in decided],
            "prediction": self._conclusions(decided, frame),
        }, index=frame.index)
        chains = [r.provenance_text() for r in self.rules]
        if any(chains):
            out["hidden_terms"] = [chains[d] if d >= 0 else "" for d in decided]
        return out

    # -- transformation -----------------------------------------------------------------
    def simplify(self) -> "RuleSet":
        """Exact simplification: the result predicts the same on every complete row.

        Folds each rule's conditions into one interval or set per feature and drops
        unsatisfiable rules. For ordered lists it also drops rules that can never fire
        (implied by an earlier rule), everything after an always-true rule (which
        becomes the default), and trailing rules that conclude the default.
        """
        schema = self.schema if self.space == "original" else None
        rules = []
        for r in self.rules:
            conds = fold(r.conditions, schema)
            if conds is None:
                continue
            rules.append(r.replace(conditions=conds))
        default = self.default
        if self.semantics == "ordered":
            kept: list = []
            for r in rules:
                if any(implies(r.conditions, k.conditions, schema) for k in kept):
                    continue   # an earlier rule catches every row this one would
                if not r.conditions:
                    default = r.conclusion
                    break
                kept.append(r)
            while kept and kept[-1].conclusion == default:
                kept.pop()
            rules = kept
        return self.replace(rules=tuple(rules), default=default)

    # -- rendering / serialisation ------------------------------------------------------
    def to_string(self, digits: int = 6, stats: bool = True, provenance: bool = False) -> str:
        """Readable rules; ``provenance=True`` adds, under each rule, the hidden-unit terms it came from."""
        schema = self.schema if self.space == "original" else None
        target = self.target or "prediction"
        head = ("Ordered rules (the first rule that holds decides)" if self.semantics == "ordered"
                else "Unordered rules (every rule that holds votes; ties go to the earliest rule)")
        lines = [f"{head}, predicting {target!r}:"]
        width = len(str(len(self.rules)))
        for i, r in enumerate(self.rules, 1):
            word = "IF" if (self.semantics == "unordered" or i == 1) else "ELSE IF"
            line = (f"{i:>{width}}. {word} {format_conditions(r.conditions, schema, digits)} "
                    f"THEN {target} = {_format_conclusion(r.conclusion, digits)}")
            if stats:
                extra = []
                if r.support is not None:
                    extra.append(f"support {r.support}")
                if r.precision is not None:
                    extra.append(f"precision {r.precision:.3f}")
                if r.weight != 1.0:
                    extra.append(f"weight {r.weight:g}")
                if extra:
                    line += "  [" + ", ".join(extra) + "]"
            lines.append(line)
            if provenance and r.provenance_text():
                lines.append(f"{' ' * (width + 2)}from hidden terms: {r.provenance_text()}")
        word = "ELSE" if (self.semantics == "ordered" and self.rules) else "DEFAULT (no rule holds)"
        lines.append(f"{' ' * (width + 2)}{word} {target} = {_format_conclusion(self.default, digits)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_string()

    def to_frame(self, digits: int = 6) -> pd.DataFrame:
        """One row per rule then the default (``rule`` 0): conditions, conclusion, support, precision, weight.

        Parameters
        ----------
        digits : int, default 6
            Significant digits of the thresholds as shown (the rules keep them exact).

        Returns
        -------
        pandas.DataFrame
        """
        return ruleset_frame(self, digits)

    def _repr_html_(self) -> str:
        return ruleset_html(self)

    def __repr__(self) -> str:
        return (f"RuleSet({len(self.rules)} rules, {self.conditions_count()} conditions, "
                f"semantics={self.semantics!r}, default={self.default!r})")

    def to_dict(self) -> dict:
        return {
            "semantics": self.semantics, "task": self.task, "target": self.target,
            "classes": list(self.classes), "default": conclusion_to_json(self.default), "space": self.space,
            "schema": None if self.schema is None else self.schema.to_dict(),
            "rules": [r.to_dict() for r in self.rules], "provenance": self.provenance,
        }

    @classmethod
    def from_dict(cls, d) -> "RuleSet":
        schema = None if d.get("schema") is None else Schema.from_dict(d["schema"])
        return cls([Rule.from_dict(r) for r in d["rules"]], conclusion_from_json(d["default"]),
                   semantics=d["semantics"],
                   task=d["task"], classes=tuple(d.get("classes", ())), target=d.get("target"), schema=schema,
                   space=d.get("space", "original"), provenance=d.get("provenance"))
