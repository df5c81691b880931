"""What audits and diffs share: input checks, the scope's boxes, budgets, real pairs as records, and rules
learned on an oracle ("does this row flip?", "do the two versions disagree here?")."""
from __future__ import annotations

import hashlib
import math
import time

import numpy as np
import pandas as pd

from ..data import Dataset
from ..exceptions import DataError, NetworkError
from ..extractors import PedagogicalExtractor, extractor_class
from ..network import Layer, Network
from ..refine import extract
from ..schema import Schema
from ..schema.features import to_native
from ..verification import Domain, Span
from ..verification.spec import check_seconds, hidden_activations

__all__ = ["check_network", "check_options", "check_radius", "frame_of", "scope_boxes", "Clock", "record", "oracle_rules",
           "STATUS_ORDER", "native_row"]

#: Order in which a scope's per-box answers combine: one counterexample decides, then any unknown.
STATUS_ORDER = ("counterexample", "unknown", "certified")


def check_network(network, what: str = "network") -> None:
    if not isinstance(network, Network):
        raise NetworkError(f"the {what} must be a rulex Network (rulex.load_network, Network.from_sklearn, ...), "
                           f"got {type(network).__name__}")
    if network.task != "classification":
        raise NetworkError(f"audits and diffs read classification networks; the {what} is a regression network")
    hidden_activations(network)


def check_radius(radius):
    if radius is None:
        return None
    try:
        r = float(radius)
    except (TypeError, ValueError):
        raise DataError(f"radius must be a number in (0, 1] (a share of each feature's range), got {radius!r}") from None
    if not (0 < r <= 1):
        raise DataError(f"radius must be in (0, 1] (a share of each feature's range), got {radius!r}")
    return r


def check_budget(max_seconds) -> float:
    return check_seconds(max_seconds)


def check_options(radius, max_seconds, method, max_counterexamples) -> tuple:
    """The options audit and diff share, checked: ``(radius, max_seconds, method, max_counterexamples, clock)``."""
    max_seconds = check_budget(max_seconds)
    return (check_radius(radius), max_seconds, check_method(method),
            check_count(max_counterexamples, "max_counterexamples"), Clock(max_seconds))


def check_count(value, name: str) -> int:
    """A non-negative whole number, or a DataError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise DataError(f"{name} must be a whole number >= 0, got {value!r}")
    return int(value)


def frame_of(data, network) -> pd.DataFrame:
    """The rows of ``data`` (a Dataset or a DataFrame) with the network's feature columns, checked."""
    frame = data.frame if isinstance(data, Dataset) else data
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"data must be a rulex Dataset or a pandas DataFrame, got {type(data).__name__}")
    network.schema.check_frame(frame, what="data")
    if not len(frame):
        raise DataError("data has no rows")
    return frame[network.schema.feature_names].reset_index(drop=True).copy()


def _row_box(domain: Domain, row: dict, r: float, skip=()) -> dict:
    """Box of half-width ``r * (max - min)`` around the row's numeric values, clipped; categories fixed."""
    box: dict = {}
    for f in domain.features:
        if f.name in skip:
            continue
        full = domain.full[f.name]
        if isinstance(full, Span):
            v = min(max(float(row[f.name]), full.lo), full.hi)
            w = r * (full.hi - full.lo)
            lo, hi = max(full.lo, v - w), min(full.hi, v + w)
            if f.kind == "integer":
                lo, hi = float(math.ceil(lo - 1e-9)), float(math.floor(hi + 1e-9))
            box[f.name] = Span(lo, hi)
        else:
            box[f.name] = frozenset({f.categories.index(to_native(row[f.name]))})
    return box


def scope_boxes(domain: Domain, rows, radius, free: dict | None = None) -> list:
    """The boxes of the audit's scope: the whole domain, or one per row at ``radius``.

    ``rows`` is a frame or its ``to_dict("records")`` (read once: pandas row access is slow). ``free``
    maps features to the value set they take in every box whatever the row (the protected feature and
    its second copy).
    """
    free = free or {}
    if radius is None:
        return [{**domain.box(), **free}]
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else rows
    return [{**_row_box(domain, row, radius, free), **free} for row in records]


class Clock:
    """The audit's deadline, shared out among its queries."""

    def __init__(self, max_seconds: float):
        self.start = time.monotonic()
        self.end = self.start + max_seconds

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def share(self, parts_left: int) -> float:
        """A deadline for the next of ``parts_left`` parts (an even share of the time left)."""
        return time.monotonic() + self.left() / max(1, parts_left)

    def elapsed(self) -> float:
        return time.monotonic() - self.start


def native_row(row: pd.Series) -> dict:
    out = {}
    for k, v in row.items():
        v = to_native(v)
        if isinstance(v, float) and v == int(v) and abs(v) < 2 ** 53:
            v = float(v)
        out[str(k)] = v
    return out


def record(feature, x: pd.Series, x_prime: pd.Series, y, y_prime, source: str) -> dict:
    """A real pair as a JSON-ready record (both rows in original units, both classes)."""
    return {"feature": feature, "x": native_row(x), "x_prime": native_row(x_prime),
            "class": to_native(y), "class_prime": to_native(y_prime), "source": source}


# -- rules on an oracle -------------------------------------------------------------------------------
class OracleNetwork(Network):
    """A network whose answer is an oracle's 0/1 label (e.g. "changing the protected value flips this row").

    It keeps the real network's encoder and hidden layers, so a pedagogical extractor reads it like any
    network (its points are encoded inputs); only its output is the oracle's.
    """

    def __init__(self, network, oracle, classes: tuple, name: str, known=None):
        hidden = list(network.hidden_layers)
        width = hidden[-1].n_units if hidden else network.encoder.n_inputs
        super().__init__(hidden + [Layer(np.zeros((2, width)), np.zeros(2), "softmax")], network.encoder,
                         classes=classes, metadata={"oracle": name})
        self._oracle = oracle
        self._known = known            # (encoded rows, their labels): the data rows, labelled once
        self._key = hashlib.sha256(f"{network.fingerprint()}:{name}".encode()).hexdigest()[:16]

    def activations(self, X) -> list:
        X = self._encode(X)
        outs, h = [], X
        for layer in self.layers[:-1]:
            h = layer.forward(h)
            outs.append(h)
        if self._known is not None and self._known[0].shape == X.shape and np.array_equal(self._known[0], X):
            y = np.asarray(self._known[1], dtype=float)
        else:
            y = np.asarray(self._oracle(X), dtype=float)
        outs.append(np.column_stack([1.0 - y, y]))
        return outs

    def fingerprint(self) -> str:
        return self._key


def check_method(method: str) -> str:
    cls = extractor_class(method)
    if not issubclass(cls, PedagogicalExtractor):
        raise DataError(f"method={method!r} reads the network's weights; audit and diff rules need a pedagogical "
                        "method (it only asks the oracle), such as 'surrogate_tree', 'trepan' or 'cover'")
    return method


def oracle_rules(network, frame: pd.DataFrame, oracle, classes: tuple, name: str, method: str, labels=None):
    """Rules in original units, learned by ``method`` on the rows of ``frame`` labelled by ``oracle``
    (``labels``: the oracle's 0/1 answers on ``frame``'s rows, when already known)."""
    known = None if labels is None else (network.encoder.transform(frame), np.asarray(labels))
    oracle_net = OracleNetwork(network, oracle, classes, name, known)
    labels = oracle_net.predict(frame)
    target = "__oracle__"
    schema = Schema(network.schema.features, target=target, classes=classes)
    ds = Dataset(frame.assign(**{target: labels}), target, schema, name=name, _checked=True)
    return extract(oracle_net, ds, method=method, random_state=0).replace(target=name)
