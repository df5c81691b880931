"""Product networks: two copies of a network (or two networks) on one shared input, read by the verifier.

ALGORITHMS-3 §2.1 and §2.2. A :class:`ProductNetwork` is a plain feed-forward network (layers with
``weights``, ``bias``, ``activation``, ``n_units`` and ``forward``) that the verifier of
:mod:`rulex.verification` reads like any other (``crown``, ``branch_and_bound``, ``relu_query``,
``decide_region``), so the same construction runs on any engine that reads layers.

**Copies.** Each copy ``k`` reads its own input ``A_k x + a_k`` of the shared input ``x``: for a
protected category the copy's one-hot columns are fixed to the category's code (folded into the first
layer's bias, the columns themselves get weight 0); for a numeric protected feature copy 2 reads an extra
input column (a second value of the feature, see :class:`PairEncoder`); for a diff the second network
reads the first network's encoding through the affine map between the two encoders. The first layers
are stacked, the other hidden layers are block-diagonal, and the output layers give the two copies'
logits ``z = (z1, z2)`` side by side.

**"Both copies decide the same class" as margins.** The verifier proves conjunctions of margins
``C z + d > delta``; "same class" is a disjunction (both class 0 or both class 1 ...), so it is written as
the negation of every way of disagreeing. For an ordered pair of classes ``(c1, c2)`` with ``c1 != c2``
the *disagreement score*

    g(c1, c2) = min( margins of class c1 in copy 1 , margins of class c2 in copy 2 )

(class ``c`` of a softmax head: ``z_c - z_j`` for every ``j != c``; of a one-unit logit head: ``z`` for
class 1 and ``-z`` for class 0) is ``>= 0`` at every point where copy 1 decides ``c1`` and copy 2 decides
``c2`` (the argmax, ties to the first class, has all its margins ``>= 0``; a one-unit head decides class 1
exactly when ``z > 0``). The minimum is computed exactly inside the product by extra ReLU layers
(``min(a, b) = relu(a) - relu(-a) - relu(a - b)``, a pairwise tree), and the product's outputs are the
scores ``g`` of every disagreement pair asked for. The spec is ``-g > delta`` for each of them: a proof
shows that at every point of the region some margin of every disagreeing pair is below ``-delta``, so no
point makes the copies disagree (sound; near ties of both copies at once are left unknown, never proven).
A point with ``g >= 0`` is only a candidate: it is decoded and both copies are run through
``network.predict`` before it is reported.

**Copies that compute the same function** (every protected input of weight 0, ``diff(a, a)``) are
recognised from the weights before any bound is computed: their stacked first-layer rows are equal
number for number, so the two copies are the same function and agree everywhere (:func:`identical_copies`).
A proof by margins could not show this, because the copies tie wherever the network itself ties.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.linalg import block_diag

from ..exceptions import NetworkError
from ..network.layers import Layer
from ..schema import Feature, Schema

__all__ = ["Copy", "ProductNetwork", "build_product", "class_terms", "disagreement_pairs", "identical_copies",
           "PairEncoder", "margin_gradient_bounds", "order_margins", "agree_on_box"]


@dataclass
class Copy:
    """One copy of a network inside a product: it reads ``x @ A.T + a0`` of the shared input ``x``."""

    network: Any
    A: np.ndarray
    a0: np.ndarray

    def first_layer(self) -> tuple[np.ndarray, np.ndarray]:
        layer = self.network.layers[0]
        return layer.weights @ self.A, layer.weights @ self.a0 + layer.bias


class ProductNetwork:
    """A duck-typed network: ``layers`` (hidden, then the output layer of disagreement scores)."""

    task = "classification"

    def __init__(self, layers: list, n_inputs: int):
        self.layers = tuple(layers)
        self.n_inputs = n_inputs

    @property
    def hidden_layers(self) -> tuple:
        return self.layers[:-1]

    def scores(self, X: np.ndarray) -> np.ndarray:
        """The disagreement scores ``g`` (rows x pairs) of shared inputs ``X``."""
        h = X
        for layer in self.hidden_layers:
            h = layer.forward(h)
        return self.layers[-1].forward(h, pre=True)

    def predict_index(self, X: np.ndarray) -> np.ndarray:
        """1 where some disagreement score is >= 0 (a candidate, to be confirmed), else 0."""
        return np.asarray((self.scores(X) >= 0).any(axis=1), dtype=np.int64)


def class_terms(n_out: int, c: int) -> np.ndarray:
    """Rows ``T`` with ``T @ z`` the margins of class ``c`` for a head of ``n_out`` logits."""
    if n_out == 1:
        return np.array([[1.0 if c == 1 else -1.0]])
    rows = []
    for j in range(n_out):
        if j != c:
            r = np.zeros(n_out)
            r[c], r[j] = 1.0, -1.0
            rows.append(r)
    return np.array(rows)


def disagreement_pairs(n_classes: int) -> list:
    return [(a, b) for a in range(n_classes) for b in range(n_classes) if a != b]


def _n_classes(network) -> int:
    return max(2, network.layers[-1].n_units)


def build_product(copies: list, pairs: list) -> ProductNetwork:
    """The product of two :class:`Copy` objects whose outputs are the disagreement scores of ``pairs``.

    Raises
    ------
    NetworkError
        When the two networks differ in depth or in a hidden layer's activation (they cannot be stacked).
    """
    a, b = copies
    na, nb = a.network.layers, b.network.layers
    if len(na) != len(nb) or any(x.activation != y.activation for x, y in zip(na[:-1], nb[:-1])):
        raise NetworkError("the two networks cannot be stacked into one product: their hidden layers differ "
                           f"({_shape(a.network)} vs {_shape(b.network)})")
    layers = []
    if len(na) > 1:
        (Wa, ba), (Wb, bb) = a.first_layer(), b.first_layer()
        layers.append(Layer(np.vstack([Wa, Wb]), np.concatenate([ba, bb]), na[0].activation))
        for la, lb in zip(na[1:-1], nb[1:-1]):
            layers.append(Layer(block_diag(la.weights, lb.weights), np.concatenate([la.bias, lb.bias]),
                                la.activation))
        Wout = block_diag(na[-1].weights, nb[-1].weights)
        bout = np.concatenate([na[-1].bias, nb[-1].bias])
    else:                                   # no hidden layer: the logits are affine in the shared input
        (Wa, ba), (Wb, bb) = a.first_layer(), b.first_layer()
        Wout, bout = np.vstack([Wa, Wb]), np.concatenate([ba, bb])
    ka = na[-1].n_units
    terms = []
    for c1, c2 in pairs:
        T = block_diag(class_terms(ka, c1), class_terms(nb[-1].n_units, c2))
        terms.append((T @ Wout, T @ bout))
    layers.extend(_min_layers(terms))
    return ProductNetwork(layers, a.A.shape[1])


def _shape(network) -> str:
    return "-".join(f"{layer.n_units}{layer.activation[0]}" for layer in network.hidden_layers) or "no hidden layer"


def _min_layers(terms: list) -> list:
    """ReLU layers computing, per entry ``(M, m0)`` of ``terms``, ``min_i (M h + m0)_i``; then the output layer.

    Every level halves the number of terms of each entry: a pair ``(a, b)`` becomes
    ``relu(a) - relu(-a) - relu(a - b)`` (= ``min(a, b)``), an odd one out ``relu(a) - relu(-a)`` (= ``a``).
    """
    layers = []
    while max(M.shape[0] for M, _ in terms) > 1:
        rows: list = []
        consts: list = []
        nxt: list = []
        for M, m0 in terms:
            # each new term is a linear function of the new units: remember which units and signs
            combos = []
            for i in range(0, M.shape[0], 2):
                start = len(rows)
                rows += [M[i], -M[i]]
                consts += [m0[i], -m0[i]]
                combo = {start: 1.0, start + 1: -1.0}
                if i + 1 < M.shape[0]:
                    rows.append(M[i] - M[i + 1])
                    consts.append(m0[i] - m0[i + 1])
                    combo[start + 2] = -1.0
                combos.append(combo)
            nxt.append(combos)
        layer = Layer(np.array(rows), np.array(consts), "relu")
        layers.append(layer)
        terms = []
        for combos in nxt:
            M = np.zeros((len(combos), layer.n_units))
            for r, combo in enumerate(combos):
                for unit, sign in combo.items():
                    M[r, unit] = sign
            terms.append((M, np.zeros(len(combos))))
    out_W = np.vstack([M for M, _ in terms])
    out_b = np.concatenate([m0 for _, m0 in terms])
    layers.append(Layer(out_W, out_b, "identity"))
    return layers


def identical_copies(copies: list) -> bool:
    """Whether the two copies compute the same function of the shared input (equal weights, number for number)."""
    a, b = copies
    na, nb = a.network.layers, b.network.layers
    if len(na) != len(nb):
        return False
    (Wa, ba), (Wb, bb) = a.first_layer(), b.first_layer()
    if not (np.array_equal(Wa, Wb) and np.array_equal(ba, bb)):
        return False
    return all(x.activation == y.activation and np.array_equal(x.weights, y.weights) and np.array_equal(x.bias, y.bias)
               for x, y in zip(na[1:], nb[1:]))


def agree_on_box(copies: list, xl: np.ndarray, xu: np.ndarray) -> bool:
    """Whether the two copies compute the same function on the input box ``[xl, xu]``, read from the weights.

    The copies must have equal layers after the first; each first-layer unit whose weights differ must
    not matter there: its outgoing weights are all 0, or it is a ReLU unit whose pre-activation is
    ``<= 0`` in both copies on the whole box (interval bounds), so both copies output 0 for it.
    """
    a, b = copies
    na, nb = a.network.layers, b.network.layers
    if len(na) != len(nb) or len(na) < 2:
        return False
    if not all(x.activation == y.activation and np.array_equal(x.weights, y.weights)
               and np.array_equal(x.bias, y.bias) for x, y in zip(na[1:], nb[1:])):
        return False
    (Wa, ba), (Wb, bb) = a.first_layer(), b.first_layer()
    differ = np.flatnonzero((Wa != Wb).any(axis=1) | (ba != bb))
    differ = differ[na[1].weights[:, differ].any(axis=0)]
    if not len(differ):
        return True
    if na[0].activation != "relu":
        return False
    for W, bias in ((Wa[differ], ba[differ]), (Wb[differ], bb[differ])):
        upper = np.maximum(W, 0) @ xu + np.minimum(W, 0) @ xl + bias
        if (upper > 0).any():
            return False
    return True


def same_copy(network, n_inputs: int) -> Copy:
    return Copy(network, np.eye(n_inputs), np.zeros(n_inputs))


# -- numeric features with two values: the shared input gets one more column ------------------------
class PairEncoder:
    """The network's encoder with one extra numeric input: a second value of feature ``name``.

    The extra feature (named ``alias``) is encoded exactly like ``name`` and sits in the last input
    column; everything the verifier's :class:`~rulex.verification.Domain` and MILP read (``schema``,
    ``groups_``, ``scale``, ``lower_``/``upper_``, ``category_codes``, ``inverse_transform``) answers
    for both.
    """

    def __init__(self, encoder, name: str, alias: str):
        self.base, self.name, self.alias = encoder, name, alias
        feature = encoder.schema[name]
        self.schema = Schema(tuple(encoder.schema.features) + (Feature(alias, feature.kind),),
                             encoder.schema.target, encoder.schema.task, encoder.schema.classes)
        self.n_inputs = encoder.n_inputs + 1
        self.groups_ = {**encoder.groups_, alias: [encoder.n_inputs]}
        self.lower_ = {**encoder.lower_, alias: encoder.lower_[name]}
        self.upper_ = {**encoder.upper_, alias: encoder.upper_[name]}
        self.fill_: dict = {}

    def scale(self, name: str):
        return self.base.scale(self.name if name == self.alias else name)

    def category_codes(self, feature):
        return self.base.category_codes(feature)

    def inverse_transform(self, X: np.ndarray) -> pd.DataFrame:
        X = np.atleast_2d(X)
        frame = self.base.inverse_transform(X[:, :-1])
        off, sc = self.base.scale(self.name)
        frame[self.alias] = X[:, -1] * sc + off
        return frame

    def copy_inputs(self) -> tuple[tuple, tuple]:
        """Input maps of the two copies: copy 1 reads the feature's column, copy 2 the extra column."""
        n = self.base.n_inputs
        col = self.base.groups_[self.name][0]
        A1 = np.hstack([np.eye(n), np.zeros((n, 1))])
        A2 = A1.copy()
        A2[col, col], A2[col, n] = 0.0, 1.0
        return (A1, np.zeros(n)), (A2, np.zeros(n))


# -- monotonicity: interval bounds of the margin's derivative along one input ------------------------
def _derivative_range(act: str, l: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of ``act'`` on ``[l, u]`` (sigmoid and tanh: unimodal, peak at 0)."""
    if act == "identity":
        return np.ones_like(l), np.ones_like(l)
    if act == "relu":
        return (l > 0).astype(float), (u > 0).astype(float)
    if act == "sigmoid":
        def d(z):
            s = 0.5 * (1.0 + np.tanh(0.5 * z))
            return s * (1 - s)
    elif act == "tanh":
        def d(z):
            return 1 - np.tanh(z) ** 2
    else:
        raise NetworkError(f"monotonicity proofs read relu, sigmoid, tanh and identity layers, not {act!r}")
    near = np.clip(0.0, l, u)
    far = np.where(np.abs(l) > np.abs(u), l, u)
    return np.maximum(d(far) - 1e-12, 0.0), d(near) + 1e-12


def order_margins(network) -> np.ndarray:
    """Rows ``w`` with ``w @ z`` the margin of a later class over an earlier one (``z_l - z_j``, ``j < l``).

    If every such margin is non-decreasing along a feature, the predicted class index never falls as
    the feature rises: where class ``l`` wins, every earlier ``j`` is strictly behind it (ties go to the
    earlier class), and ``z_l - z_j`` can only grow. A one-logit head has the single row ``[1]``.
    """
    k = network.layers[-1].n_units
    if k == 1:
        return np.array([[1.0]])
    rows = []
    for j in range(k):
        for l in range(j + 1, k):
            r = np.zeros(k)
            r[l], r[j] = 1.0, -1.0
            rows.append(r)
    return np.array(rows)


def margin_gradient_bounds(network, layer_bounds: list, col: int, w: np.ndarray) -> tuple[float, float]:
    """Bounds of d (w @ z) / d x_col over a box (``layer_bounds``: CROWN's (l, u) per hidden layer).

    Interval arithmetic on the chain rule: the first layer's column, then per hidden layer the
    activation's derivative range and the next layer's weights. Sound for every point of the box.
    """
    layers = list(network.layers[:-1]) + [Layer((w @ network.layers[-1].weights)[None, :], np.atleast_1d(w @ network.layers[-1].bias),
                                                "identity")]
    g_lo = g_hi = layers[0].weights[:, col].astype(float)
    for k, layer in enumerate(network.hidden_layers):
        dl, du = _derivative_range(layer.activation, *layer_bounds[k])
        cands = np.stack([g_lo * dl, g_lo * du, g_hi * dl, g_hi * du])
        p_lo, p_hi = cands.min(axis=0), cands.max(axis=0)
        W = layers[k + 1].weights
        Wp, Wn = np.maximum(W, 0), np.minimum(W, 0)
        g_lo, g_hi = Wp @ p_lo + Wn @ p_hi, Wp @ p_hi + Wn @ p_lo
    slack = 1e-9 * (1 + np.abs(g_lo) + np.abs(g_hi))
    return float(g_lo[0] - slack[0]), float(g_hi[0] + slack[0])
