"""BaseExtractor, parameter validation and the registry every entry point reads.

An extractor is a scikit-learn style estimator: ``__init__`` stores parameters,
``fit(network, dataset)`` validates them, extracts and returns ``self``; the learned
rule set is ``rules_``. Extractors never keep the network as a parameter, so
``clone`` and ``get_params`` cannot lose or unfit it.
"""
from __future__ import annotations

import contextvars
import math
import time
import tracemalloc
import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .._version import __version__
from ..data.dataset import Dataset, check_random_state
from ..decoding import decode_rules
from ..exceptions import (DataError, NetworkError, NotFittedError, PartialResultWarning, RulexWarning,
                          UnknownNameError, did_you_mean)
from ..metrics import agreement
from ..network.adapter import Network
from .budget import check_rows, wall_clock_note

__all__ = ["BaseExtractor", "DecompositionalExtractor", "PedagogicalExtractor", "register", "EXTRACTORS",
           "available_methods", "get_extractor", "extractor_class", "seeded_extractor", "annotate", "Interval",
           "Options", "MethodInfo"]

EXTRACTORS: dict = {}

#: False while a method that runs other methods as its parts (``auto``, ``traces_memory = False``) is
#: fitting: its parts are not traced either (tracemalloc makes their Python allocations 2-3 times slower)
_TRACE_MEMORY = contextvars.ContextVar("rulex_trace_memory", default=True)


@dataclass(frozen=True)
class Interval:
    """A numeric constraint: ``type`` int or float, closed bounds, None for unbounded."""
    type: type
    low: float | None = None
    high: float | None = None

    def check(self, value) -> bool:
        if isinstance(value, bool):
            return False
        if self.type is int and not isinstance(value, (int, np.integer)):
            return False
        if self.type is float and not isinstance(value, (int, float, np.integer, np.floating)):
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def __str__(self):
        lo = "-inf" if self.low is None else self.low
        hi = "inf" if self.high is None else self.high
        return f"{'an integer' if self.type is int else 'a number'} in [{lo}, {hi}]"


@dataclass(frozen=True)
class Options:
    values: tuple

    def check(self, value) -> bool:
        return value in self.values

    def __str__(self):
        return "one of " + ", ".join(repr(v) for v in self.values)


def _describe(constraint) -> str:
    if constraint is None:
        return "None"
    if constraint is bool:
        return "True or False"
    return str(constraint)


def _satisfies(constraint, value) -> bool:
    if constraint is None:
        return value is None
    if constraint is bool:
        return isinstance(value, (bool, np.bool_))
    return constraint.check(value)


@dataclass(frozen=True)
class MethodInfo:
    name: str
    kind: str
    description: str
    regression: bool

    def __str__(self):
        return f"{self.name} ({self.kind}): {self.description}"


class BaseExtractor(BaseEstimator):
    """Base of every rule extractor.

    Subclasses set ``name``, ``kind``, ``description``, ``_parameter_constraints`` and
    implement ``_extract(network, dataset, X)``, returning a :class:`RuleSet` in the
    encoded or original space. The base class validates, times, measures peak memory,
    decodes to original units, annotates support and precision, and records provenance.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[str] = ""
    description: ClassVar[str] = ""
    supports_regression: ClassVar[bool] = False
    #: whether ``fit`` measures the peak memory (tracemalloc); False: ``peak_memory_mb`` is None
    traces_memory: ClassVar[bool] = True
    _parameter_constraints: ClassVar[dict] = {}

    def _validate_params(self):
        problems = []
        for key, value in self.get_params(deep=False).items():
            allowed = self._parameter_constraints.get(key)
            if allowed is None:
                continue
            if not any(_satisfies(c, value) for c in allowed):
                problems.append(f"{key}={value!r} (must be " + " or ".join(_describe(c) for c in allowed) + ")")
        if problems:
            raise DataError(f"{type(self).__name__}: invalid parameter(s): " + "; ".join(problems))

    def _check_inputs(self, network, dataset):
        if not isinstance(network, Network):
            raise NetworkError(f"{self.name}: expected a rulex Network, got {type(network).__name__}; wrap your "
                               "model with rulex.Network.from_sklearn/from_torch/from_skorch")
        if not isinstance(dataset, Dataset):
            raise DataError(f"{self.name}: expected a rulex Dataset, got {type(dataset).__name__}")
        network.check_dataset(dataset)
        if network.task == "regression" and not self.supports_regression:
            raise DataError(f"method {self.name!r} extracts classification rules only; the network is a "
                            "regression network (try surrogate_tree)")

    #: parameters that set how many points of network inputs are generated -> copies held at once
    _row_parameters: ClassVar[dict] = {}

    def fit(self, network, dataset):
        """Extract rules from ``network`` using the rows of ``dataset`` (usually the training split).

        Parameters
        ----------
        network : Network
        dataset : Dataset

        Returns
        -------
        self
            With ``rules_`` (a :class:`~rulex.RuleSet` in original units, with support, precision and
            provenance), ``extraction_seconds_``, ``peak_memory_mb_`` (None for a method that does not
            trace its memory, e.g. ``auto``) and ``n_features_in_``.
            :func:`rulex.extract` also compresses or certifies on request (``rulex.refine``).
        """
        seed = getattr(self, "random_state", None)
        if isinstance(seed, (int, np.integer)):      # before scikit-learn's validator sees a seed it cannot take
            check_random_state(seed)
        self._validate_params()
        self._check_inputs(network, dataset)
        for name, copies in self._row_parameters.items():
            value = getattr(self, name, None)
            if value:
                check_rows(name, value, network.encoder.n_inputs, copies)
        frame = dataset.frame
        X = network.encoder.transform(frame)
        measure = self.traces_memory and _TRACE_MEMORY.get()
        token = None if measure else _TRACE_MEMORY.set(False)
        tracing = tracemalloc.is_tracing()
        if measure and not tracing:
            tracemalloc.start()
        base_current, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        started = time.perf_counter()
        try:
            rules, extra = _split_extraction(self._extract(network, dataset, X))
            if rules.space == "encoded":
                rules = decode_rules(network.encoder, rules)
            rules = rules.simplify()
        finally:
            seconds = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            if measure and not tracing:
                tracemalloc.stop()
            if token is not None:
                _TRACE_MEMORY.reset(token)
        peak_mb = round(max(peak - base_current, 0) / 2**20, 3) if measure else None
        y_net = network.predict(frame)
        rules = annotate(rules, frame, y_net)
        provenance = {
            "method": self.name, "kind": self.kind, "parameters": _jsonable(self.get_params(deep=False)),
            "network_fingerprint": network.fingerprint(), "network": network.architecture,
            "data": dataset.name, "data_fingerprint": dataset.fingerprint(), "data_rows": len(dataset),
            "rulex_version": __version__,
            "train_fidelity": agreement(rules.predict(frame), y_net, network.task),
            "run": {"seconds": round(seconds, 4), "peak_memory_mb": peak_mb},
        }
        provenance.update(extra)
        note = wall_clock_note(self.name, extra)
        if note:        # the safety net, not the work budget, stopped it: the result says so
            provenance["complete"] = False
            warnings.warn(note, PartialResultWarning, stacklevel=2)
        _warn_unreached_classes(self.name, rules, y_net, network)
        self.rules_ = rules.replace(provenance=provenance, target=network.schema.target)
        self.extraction_seconds_ = seconds
        self.peak_memory_mb_ = peak_mb
        self.n_features_in_ = len(network.schema)
        return self

    def _extract(self, network, dataset, X):  # pragma: no cover - abstract hook, never registered as is
        raise NotImplementedError(f"{type(self).__name__} must implement _extract(network, dataset, X)")

    def _check_fitted(self):
        if not hasattr(self, "rules_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted; call fit(network, dataset) first")

    def predict(self, frame):
        self._check_fitted()
        return self.rules_.predict(frame)

    def __sklearn_tags__(self):
        return super().__sklearn_tags__()


class DecompositionalExtractor(BaseExtractor):
    kind = "decompositional"


class PedagogicalExtractor(BaseExtractor):
    kind = "pedagogical"


def _warn_unreached_classes(method: str, rules, y_net, network) -> None:
    """A :class:`~rulex.RulexWarning` when the network predicts classes on the extraction rows that no
    rule and not the default can conclude (e.g. 50 classes and a 16-leaf budget): such rows are always
    wrong, and the fidelity says so only as a number."""
    if network.task != "classification":
        return
    reachable = {r.conclusion for r in rules.rules} | {rules.default}
    predicted = pd.Series(y_net).value_counts()
    missing = [c for c in predicted.index if c not in reachable]
    if missing:
        share = float(predicted[missing].sum() / predicted.sum())
        shown = ", ".join(repr(c) for c in missing[:8]) + (", ..." if len(missing) > 8 else "")
        warnings.warn(f"{method}: no rule concludes {len(missing)} class(es) the network predicts on "
                      f"{share:.1%} of the extraction rows ({shown}); raise the method's size budget "
                      "(e.g. max_leaf_nodes, max_rules) to reach them", RulexWarning, stacklevel=3)


def _split_extraction(out):
    """``_extract`` returns a :class:`RuleSet`, or ``(rules, extra)`` where ``extra`` is a dict of
    method-specific provenance (e.g. ``complete``, the units read approximately) that the base adds
    after its own keys."""
    if isinstance(out, tuple):
        rules, extra = out
        return rules, dict(extra)
    return out, {}


def _jsonable(params: dict) -> dict:
    out: dict = {}
    for k, v in params.items():
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, (str, int, float, bool)) or v is None:
            out[k] = v
        elif isinstance(v, (list, tuple)):
            out[k] = list(v)
        else:
            out[k] = repr(v)
    return out


def annotate(rules, frame, y_net):
    """Fill each rule's support (rows it decides) and precision (share where the net agrees)."""
    decided = rules.decide(frame)
    new = []
    y_net = np.asarray(y_net)
    for i, r in enumerate(rules.rules):
        mask = decided == i
        support = int(mask.sum())
        precision = None
        if rules.task == "classification" and support:
            precision = float(np.mean(y_net[mask] == np.asarray(r.conclusion, dtype=y_net.dtype)))
        new.append(r.replace(support=support, precision=precision))
    return rules.replace(rules=tuple(new))


# -- registry ---------------------------------------------------------------------------
def register(cls):
    """Class decorator: add an extractor to the registry under ``cls.name``."""
    if not cls.name or cls.kind not in ("decompositional", "pedagogical"):
        raise TypeError(f"{cls.__name__} needs a name and a kind to be registered")
    EXTRACTORS[cls.name] = cls
    return cls


def available_methods() -> dict:
    """Registered extractors: ``{name: MethodInfo(name, kind, description, regression)}``.

    Returns
    -------
    dict
        Sorted by name.
    """
    return {n: MethodInfo(n, c.kind, c.description, c.supports_regression) for n, c in sorted(EXTRACTORS.items())}


def extractor_class(method: str) -> type[BaseExtractor]:
    """The registered class of ``method``: the one place a method name is checked.

    Raises
    ------
    UnknownNameError
        For a name that is not registered (the message suggests the nearest).
    """
    if not isinstance(method, str) or method not in EXTRACTORS:
        raise UnknownNameError(did_you_mean(method, EXTRACTORS, "method"))
    return EXTRACTORS[method]


def takes_seed(method: str) -> bool:
    """Whether ``method`` has a ``random_state`` parameter."""
    return "random_state" in extractor_class(method)().get_params(deep=False)


def seeded_extractor(method: str, params: dict | None = None, random_state=0) -> BaseExtractor:
    """A new extractor of ``method`` with ``params``, seeded with ``random_state`` when the method takes
    a seed and ``params`` does not set one: the one place the seeding rule is written.

    Raises
    ------
    UnknownNameError, DataError
        As :func:`get_extractor`.
    """
    params = dict(params or {})
    if takes_seed(method):
        params.setdefault("random_state", random_state)
    return get_extractor(method, **params)


def get_extractor(method: str, **params) -> BaseExtractor:
    """A new, unfitted extractor of ``method`` with ``params``.

    Parameters
    ----------
    method : str
        A registered method name.
    **params
        Its parameters.

    Returns
    -------
    BaseExtractor

    Raises
    ------
    UnknownNameError
        For an unknown method.
    DataError
        For a parameter the method does not take (the message lists those it takes).
    """
    cls = extractor_class(method)
    valid = cls().get_params(deep=False)
    unknown = [k for k in params if k not in valid]
    if unknown:
        raise DataError(f"method {method!r} has no parameter(s) {unknown}; it takes "
                        + (", ".join(sorted(valid)) or "no parameters"))
    return cls(**params)
