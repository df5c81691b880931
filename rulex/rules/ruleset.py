"""Rule and RuleSet: the one representation every extractor returns and every exporter reads.

Both are immutable values; :class:`Rule` is defined in :mod:`rulex.rules.rule` and importable from here.

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
from ..schema.features import Schema, check_column, check_column_names, to_native
from .conditions import format_conditions
from .intervals import fold, implies
from .linear import LinearModel, format_linear, format_value
from .notebook import ruleset_frame, ruleset_html
from .rule import Rule, _canonical_text, conclusion_from_json, conclusion_to_json

__all__ = ["Rule", "RuleSet", "SEMANTICS"]

SEMANTICS = ("ordered", "unordered")


def _format_conclusion(v, digits: int) -> str:
    return format_linear(v, digits) if isinstance(v, LinearModel) else format_value(v)


class RuleSet:
    """An ordered decision list or an unordered rule set with an explicit default: an immutable value.

    Every attribute is read-only (setting or deleting one raises AttributeError); derive a changed
    rule set with :meth:`replace` or :meth:`with_provenance`. Equal rule sets hash equally, so rule
    sets can be set members and dict keys.

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
        JSON-native record: method, parameters, fingerprints, rulex version, metrics. It is kept
        as its canonical JSON text; :attr:`provenance` gives a fresh copy on every read.
    """

    __slots__ = ("rules", "default", "semantics", "task", "classes", "target", "schema", "space", "_provenance")
    rules: tuple
    default: Any
    semantics: str
    task: str
    classes: tuple
    target: str | None
    schema: Schema | None
    space: str
    _provenance: str

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
        for name, value in (("rules", rules), ("default", to_native(default)), ("semantics", semantics),
                            ("task", task), ("classes", classes), ("target", target), ("schema", schema),
                            ("space", space), ("_provenance", _canonical_text(provenance or {}))):
            object.__setattr__(self, name, value)

    def __setattr__(self, key, value):
        raise AttributeError(f"RuleSet is immutable: cannot set {key!r}; use RuleSet.replace(...) or "
                             "RuleSet.with_provenance(...)")

    def __delattr__(self, key):
        raise AttributeError(f"RuleSet is immutable: cannot delete {key!r}")

    # pickle, copy.deepcopy, joblib and cloudpickle rebuild the slots without __setattr__
    def __getstate__(self):
        return tuple(getattr(self, k) for k in self.__slots__)

    def __setstate__(self, state):
        if isinstance(state, dict):     # a rule set pickled before it had slots: its __dict__
            state = tuple(_canonical_text(state.get("provenance") or {}) if k == "_provenance" else state[k]
                          for k in self.__slots__)
        for k, v in zip(self.__slots__, state):
            object.__setattr__(self, k, v)

    @property
    def provenance(self) -> dict:
        """The JSON-native provenance record (method, parameters, fingerprints, metrics...).

        Each read returns a new copy: changing it leaves the rule set as it was. A rule set with
        changed provenance is :meth:`with_provenance` (or ``replace(provenance=...)``).
        """
        return json.loads(self._provenance)

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

    def __hash__(self):
        # the same key as __eq__ (provenance as sorted canonical JSON); every part is immutable
        return hash(self._key())

    def replace(self, **changes) -> "RuleSet":
        """A new rule set with the given attributes changed, checked like a new one; this one is unchanged.

        Parameters
        ----------
        **changes
            Any of the constructor's arguments: ``rules``, ``default``, ``semantics``, ``task``,
            ``classes``, ``target``, ``schema``, ``space``, ``provenance`` (the whole record).

        Returns
        -------
        RuleSet

        Raises
        ------
        RuleError
            When the changed rule set is not valid (as :class:`RuleSet` would raise).
        TypeError
            For a name that is not a constructor argument.
        """
        kw = dict(rules=self.rules, default=self.default, semantics=self.semantics, task=self.task,
                  classes=self.classes, target=self.target, schema=self.schema, space=self.space,
                  provenance=self.provenance)
        kw.update(changes)
        rules, default = kw.pop("rules"), kw.pop("default")
        return RuleSet(rules, default, **kw)

    def with_provenance(self, **updates) -> "RuleSet":
        """A new rule set whose provenance is this one's with the top-level keys ``updates`` set.

        A key in ``updates`` replaces that key's whole value (nested records are not merged); the
        other keys keep their order, new keys come last. This rule set is unchanged.

        Parameters
        ----------
        **updates
            JSON-storable values (numpy scalars and arrays, tuples and sets are stored as JSON).

        Returns
        -------
        RuleSet

        Examples
        --------
        >>> rs = RuleSet([], "a", classes=("a", "b"), provenance={"method": "x"})
        >>> rs.with_provenance(note="checked").provenance
        {'method': 'x', 'note': 'checked'}
        >>> rs.provenance
        {'method': 'x'}
        """
        return self.replace(provenance={**self.provenance, **updates})

    # -- evaluation ---------------------------------------------------------------------
    def _check(self, frame) -> pd.DataFrame:
        if isinstance(frame, pd.Series):
            frame = frame.to_frame().T
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"rules predict on a pandas DataFrame, got {type(frame).__name__}")
        used = self.features_used()
        missing = check_column_names(frame, used)
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
        """The deciding rule of each row: its number (rules count from 1; ``"default"`` for the default, as in
        every export), text and conclusion."""
        frame = self._check(frame)
        decided = self.decide(frame, self._matches(frame))
        texts = [r.to_string(self.schema if self.space == "original" else None) for r in self.rules]
        default_text = f"DEFAULT THEN {format_value(self.default)}"
        out = pd.DataFrame({
            "rule": pd.Series([int(d) + 1 if d >= 0 else "default" for d in decided], index=frame.index,
                              dtype=object),
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
