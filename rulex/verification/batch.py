"""Batched sound bounds: interval (IBP) and CROWN over many input boxes at once (ALGORITHMS-3 §1.1).

Every quantity carries a leading batch axis: ``N`` boxes ``[XL, XU]`` in the network's encoded input
space go through the layers as one ``(N, n)`` lower/upper pair per layer. Each hidden unit's
pre-activation bounds are the interval bound intersected with the CROWN backward bound, in which every
activation is replaced by a lower and an upper linear function valid on its pre-activation interval
(:func:`relax`: ReLU's triangle with CROWN's adaptive lower line; sigmoid and
tanh chords and end slopes). Margins ``C z + d`` of the output pre-activations ``z`` are bounded the same
way, with a spec per box (``C`` of shape ``(N, m, k)``), and the linear function the bound ends in
(``lam``, one row of input coefficients per margin) is returned as well: branch and bound splits along
the input with the largest ``|lam| x width`` and a counterexample search starts at the corner it points to.

The work is cut into chunks of at most :data:`CHUNK_CELLS` floats per intermediate array, so the memory
a call takes does not grow with the number of boxes.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["BatchCrown", "batch_margins", "worst_margin_grad", "relax", "CHUNK_CELLS", "SLACK"]

#: Absolute loosening of every linear-relaxation constant (float rounding).
SLACK = 1e-9


def _sig(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


_ACT: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {"sigmoid": (_sig, lambda z: _sig(z) * (1 - _sig(z))),
        "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
        "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
        "identity": (lambda z: z, lambda z: np.ones_like(z))}


def relax(act: str, l: np.ndarray, u: np.ndarray):
    """Linear bounds ``aL z + cL <= act(z) <= aU z + cU`` valid for ``l <= z <= u``."""
    if act == "identity":
        return np.ones_like(l), np.zeros_like(l), np.ones_like(l), np.zeros_like(l)
    if act == "relu":
        aL, cL, aU, cU = np.zeros_like(l), np.zeros_like(l), np.zeros_like(l), np.zeros_like(l)
        pos, neg = l >= 0, u <= 0
        cross = ~pos & ~neg
        aL[pos] = aU[pos] = 1.0
        w = np.where(cross, u - l, 1.0)
        aU[cross] = u[cross] / w[cross]
        cU[cross] = -l[cross] * aU[cross] + SLACK
        aL[cross] = (u[cross] >= -l[cross]).astype(float)
        return aL, cL, aU, cU
    f, fp = _ACT[act]
    fl, fu = f(l), f(u)
    width = u - l
    narrow = width < 1e-9
    lam = np.where(narrow, 0.0, (fu - fl) / np.where(narrow, 1.0, width))
    lamp = np.minimum(fp(l), fp(u))
    concave, convex = l >= 0, u <= 0
    aL = np.where(concave, lam, lamp)
    cL = fl - aL * l
    aU = np.where(convex, lam, lamp)
    cU = fu - aU * u
    # a monotone function also lies in [f(l), f(u)]: use it where the interval is (nearly) a point
    aL, aU = np.where(narrow, 0.0, aL), np.where(narrow, 0.0, aU)
    cL, cU = np.where(narrow, fl, cL), np.where(narrow, fu, cU)
    return aL, cL - SLACK, aU, cU + SLACK

#: Most floats one intermediate (boxes x margins x units) array of a chunk may hold (~64 MB).
CHUNK_CELLS = 8_000_000


def _back(layers, relaxes, lam, const, i_from: int, xl, xu):
    """Lower bounds of ``lam . h_{i_from} + const`` over the boxes, and the input coefficients.

    ``lam`` (N, m, n) holds coefficients on the post-activations of hidden layer ``i_from`` (on the
    inputs when ``i_from`` is -1); ``relaxes[i]`` are the linear bounds of layer ``i``'s activation.
    """
    for i in range(i_from, -1, -1):
        aL, cL, aU, cU = relaxes[i]
        pos = lam >= 0
        const = const + np.where(pos, lam * cL[:, None, :], lam * cU[:, None, :]).sum(axis=2)
        lam = np.where(pos, lam * aL[:, None, :], lam * aU[:, None, :])
        const = const + lam @ layers[i].bias
        lam = lam @ layers[i].weights
    low = (np.maximum(lam, 0) * xl[:, None, :]).sum(axis=2) + (np.minimum(lam, 0) * xu[:, None, :]).sum(axis=2)
    return low + const, lam


class BatchCrown:
    """Pre-activation bounds of every hidden layer over ``N`` boxes, and bounds of margins on them.

    Parameters
    ----------
    network : Network
        Its ``layers`` (weights ``(out, in)``, bias, activation); the last is the output layer.
    xl, xu : ndarray of shape (N, n_inputs)
        The boxes in encoded input space.
    """

    def __init__(self, network, xl: np.ndarray, xu: np.ndarray):
        self.layers = network.layers
        self.xl, self.xu = np.atleast_2d(np.asarray(xl, float)), np.atleast_2d(np.asarray(xu, float))
        self.bounds: list = []      # (l, u), each (N, n_units), of every hidden layer's pre-activations
        self.relax: list = []
        hl, hu = self.xl, self.xu
        for k, layer in enumerate(self.layers[:-1]):
            W, b = layer.weights, layer.bias
            Wp, Wn = np.maximum(W, 0), np.minimum(W, 0)
            l, u = hl @ Wp.T + hu @ Wn.T + b, hu @ Wp.T + hl @ Wn.T + b
            if k > 0:
                n = layer.n_units
                A = np.concatenate([W, -W])                     # rows: z_k and -z_k on h_{k-1}
                low = self._chunked(A, np.concatenate([b, -b]), k - 1)
                l, u = np.maximum(l, low[:, :n]), np.minimum(u, -low[:, n:])
            u = np.maximum(u, l)
            self.bounds.append((l, u))
            self.relax.append(relax(layer.activation, l, u))
            f = _ACT[layer.activation][0]
            hl, hu = f(l), f(u)

    def _chunked(self, A, c, i_from):
        """Lower bounds of ``A h_{i_from} + c`` (the same ``A`` for every box), chunk by chunk."""
        N = self.xl.shape[0]
        step = max(1, CHUNK_CELLS // max(1, A.shape[0] * max(A.shape[1], self.xl.shape[1])))
        out = np.empty((N, A.shape[0]))
        for s in range(0, N, step):
            sl = slice(s, s + step)
            lam = np.broadcast_to(A, (min(step, N - s),) + A.shape)
            const = np.broadcast_to(c, (lam.shape[0], A.shape[0]))
            rel = [tuple(a[sl] for a in r) for r in self.relax]
            out[sl], _ = _back(self.layers, rel, lam, const, i_from, self.xl[sl], self.xu[sl])
        return out

    def margin_lower(self, C: np.ndarray, d: np.ndarray):
        """Lower bounds ``(N, m)`` of the margins ``C z + d`` and their input coefficients ``(N, m, n_inputs)``.

        ``C`` is ``(N, m, k)`` (a spec per box) or ``(m, k)`` (one for all); ``d`` is ``(N, m)`` or ``(m,)``.
        """
        N = self.xl.shape[0]
        C = np.broadcast_to(C, (N,) + C.shape[-2:])
        d = np.broadcast_to(d, (N, C.shape[1]))
        last = self.layers[-1]
        lam = C @ last.weights
        const = d + C @ last.bias
        return _back(self.layers, self.relax, lam, const, len(self.layers) - 2, self.xl, self.xu)


def batch_margins(network, C: np.ndarray, d: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Margins ``(N, m)`` at points ``X`` (N, n_inputs), a spec ``C`` (N, m, k), ``d`` (N, m) per point."""
    h = X
    for layer in network.layers[:-1]:
        h = _ACT[layer.activation][0](h @ layer.weights.T + layer.bias)
    z = h @ network.layers[-1].weights.T + network.layers[-1].bias
    return np.einsum("nmk,nk->nm", C, z) + d


def worst_margin_grad(network, C: np.ndarray, d: np.ndarray, X: np.ndarray):
    """Worst margin per point and its gradient with respect to the inputs (analytic backprop, float64)."""
    zs, h = [], X
    for layer in network.layers[:-1]:
        z = h @ layer.weights.T + layer.bias
        zs.append(z)
        h = _ACT[layer.activation][0](z)
    out = h @ network.layers[-1].weights.T + network.layers[-1].bias
    m = np.einsum("nmk,nk->nm", C, out) + d
    worst = m.argmin(axis=1)
    g = C[np.arange(len(X)), worst] @ network.layers[-1].weights
    for k in range(len(zs) - 1, -1, -1):
        g = g * _ACT[network.layers[k].activation][1](zs[k])
        g = g @ network.layers[k].weights
    return m.min(axis=1), g
