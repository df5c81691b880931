"""What a verification query asks of the network, and how a candidate point is confirmed.

A :class:`Spec` is a set of margins ``m = C z + d`` on the output layer's pre-activations ``z``
(logits) that must all be positive: for class ``c`` of a softmax output the rows are
``z_c - z_j`` for every other class ``j``; for a one-unit sigmoid output ``z`` (class 1) or ``-z``
(class 0); for a regression range ``[a, b]`` the rows ``y - a`` and ``b - y`` written on ``z``
(through the logit for a sigmoid output). A proof shows every margin's lower bound exceeds a
small ``delta`` (see :data:`DELTA`); a counterexample is a concrete point that violates the
question when the network itself (``network.predict``) is run on the decoded row.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..exceptions import DataError, NetworkError

__all__ = ["Spec", "DELTA", "hidden_activations", "forward"]

#: Margin a proof must clear. It absorbs the solver's feasibility tolerances (HiGHS: 1e-7 on
#: constraints, 1e-6 on integrality) and float rounding, in the safe direction: a point whose
#: margin is positive but below DELTA is never reported certified.
DELTA = 1e-6


def hidden_activations(network) -> set:
    acts = {layer.activation for layer in network.hidden_layers}
    bad = acts - {"relu", "sigmoid", "tanh", "identity"}
    if bad:
        raise NetworkError(f"verification reads relu, sigmoid, tanh and identity hidden layers, not {sorted(bad)}")
    return acts


def forward(network, X: np.ndarray) -> np.ndarray:
    """Output-layer pre-activations (rows x outputs) of encoded inputs, float64."""
    h = X
    for layer in network.hidden_layers:
        h = layer.forward(h)
    return network.layers[-1].forward(h, pre=True)


@dataclass
class Spec:
    """Margins ``C z + d`` that must all be positive (see the module docstring)."""

    C: np.ndarray
    d: np.ndarray
    target: object = None                     # class index, or (low, high) for regression
    names: list = field(default_factory=list)  # a label per margin row

    @classmethod
    def for_class(cls, network, c: int) -> "Spec":
        k = network.layers[-1].n_units
        if k == 1:
            sign = 1.0 if c == 1 else -1.0
            return cls(np.array([[sign]]), np.zeros(1), c, [f"class {network.classes[1 - c]!r}"])
        rows = [j for j in range(k) if j != c]
        C = np.zeros((len(rows), k))
        for r, j in enumerate(rows):
            C[r, c], C[r, j] = 1.0, -1.0
        return cls(C, np.zeros(len(rows)), c, [f"class {network.classes[j]!r}" for j in rows])

    @classmethod
    def for_range(cls, network, low: float, high: float) -> "Spec":
        act = network.layers[-1].activation
        a, b = float(low), float(high)
        if act == "sigmoid":   # y = sigmoid(z): y >= a <=> z >= logit(a)
            a = -math.inf if a <= 0 else (math.inf if a >= 1 else math.log(a / (1 - a)))
            b = math.inf if b >= 1 else (-math.inf if b <= 0 else math.log(b / (1 - b)))
        elif act != "identity":
            raise NetworkError(f"verification of a regression output reads identity or sigmoid, not {act!r}")
        rows, d = [], []
        for sign, bound in ((1.0, a), (-1.0, b)):
            if math.isinf(bound) and (bound < 0) == (sign > 0):
                continue                       # the output can never leave this side
            if math.isfinite(bound):
                rows.append([sign])
                d.append(-sign * bound)
            else:                              # the output can never reach this side: always fails
                rows.append([0.0])
                d.append(-1.0)
        if not rows:
            rows, d = [[0.0]], [1.0]
        return cls(np.array(rows), np.array(d), (float(low), float(high)), ["below", "above"][:len(rows)])

    def margins(self, Z: np.ndarray) -> np.ndarray:
        return Z @ self.C.T + self.d

    def holds(self, network, X: np.ndarray) -> np.ndarray:
        """Whether the network itself answers as asked on encoded points (float64, its own forward)."""
        if isinstance(self.target, tuple):
            y = network.predict_index(X)
            return (y >= self.target[0]) & (y <= self.target[1])
        return network.predict_index(X) == self.target


def check_seconds(max_seconds) -> float:
    """``max_seconds`` as a positive float, or a DataError naming it."""
    try:
        max_seconds = float(max_seconds)
    except (TypeError, ValueError):
        raise DataError(f"max_seconds must be a positive number, got {max_seconds!r}") from None
    if not max_seconds > 0:
        raise DataError(f"max_seconds must be a positive number, got {max_seconds!r}")
    return max_seconds
