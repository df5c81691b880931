"""Dense layers and activations: the plain values a :class:`~rulex.network.adapter.Network` is made of.

Nothing here knows a Network, an encoder or a file: the adapters (:mod:`rulex.network.adapter`),
the preprocessing reader (:mod:`rulex.network.preprocessing`), the model bundles
(:mod:`rulex.network.io`) and training (:mod:`rulex.network.train`) all import this module, and
it imports none of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..exceptions import NetworkError, NotFittedError
from ..schema.features import to_native

__all__ = ["Layer", "ACTIVATIONS", "sklearn_layers"]


def _sigmoid(z):
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "identity": lambda z: z,
    "softmax": _softmax,
}


@dataclass(frozen=True, eq=False)
class Layer:
    """One dense layer: ``activation(inputs @ weights.T + bias)``.

    ``weights`` has shape (units, inputs). Arrays are read-only float64 copies.

    Parameters
    ----------
    weights : array-like of shape (units, inputs)
    bias : array-like of shape (units,)
    activation : {"sigmoid", "tanh", "relu", "identity", "softmax"}

    Raises
    ------
    NetworkError
        For shapes that do not fit, an unknown activation, or NaN/infinite weights.
    """

    weights: np.ndarray
    bias: np.ndarray
    activation: str

    def __post_init__(self):
        w = np.array(self.weights, dtype=np.float64, copy=True)
        b = np.array(self.bias, dtype=np.float64, copy=True).reshape(-1)
        if w.ndim != 2 or b.shape[0] != w.shape[0]:
            raise NetworkError(f"layer weights {w.shape} and bias {b.shape} do not fit together")
        if self.activation not in ACTIVATIONS:
            raise NetworkError(f"unsupported activation {self.activation!r}; rulex reads "
                               f"{', '.join(ACTIVATIONS)}")
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise NetworkError("the network has NaN or infinite weights; was training diverging?")
        w.setflags(write=False)
        b.setflags(write=False)
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "bias", b)

    @property
    def n_inputs(self) -> int:
        return self.weights.shape[1]

    @property
    def n_units(self) -> int:
        return self.weights.shape[0]

    def forward(self, X: np.ndarray, pre: bool = False) -> np.ndarray:
        z = X @ self.weights.T + self.bias
        return z if pre else ACTIVATIONS[self.activation](z)


def sklearn_layers(mlp) -> list:
    """The dense layers of a fitted ``MLPClassifier``/``MLPRegressor`` (weights copied)."""
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    if not isinstance(mlp, (MLPClassifier, MLPRegressor)):
        raise NetworkError(f"rulex reads MLPClassifier or MLPRegressor, got {type(mlp).__name__}")
    if not hasattr(mlp, "coefs_"):
        raise NotFittedError("the MLP is not fitted; call its fit() first")
    names = {"logistic": "sigmoid", "tanh": "tanh", "relu": "relu", "identity": "identity"}
    act = names[mlp.activation]
    layers = [Layer(W.T, b, act) for W, b in zip(mlp.coefs_[:-1], mlp.intercepts_[:-1])]
    out_act = {"logistic": "sigmoid", "softmax": "softmax", "identity": "identity"}[mlp.out_activation_]
    layers.append(Layer(mlp.coefs_[-1].T, mlp.intercepts_[-1], out_act))
    return layers


def _match_classes(model_classes: list, schema_classes: tuple) -> tuple:
    mc = [to_native(c) for c in model_classes]
    if set(mc) == set(schema_classes):
        return tuple(mc)
    if mc == list(range(len(schema_classes))):
        return tuple(schema_classes)
    raise NetworkError(f"the model's classes {mc} match neither the data's classes {list(schema_classes)} "
                       "nor their indices 0..K-1")
