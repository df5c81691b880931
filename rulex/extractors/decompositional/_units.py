"""Units read as threshold functions of Boolean-like variables, shared by KT and N-of-M (Tsukimoto
and the DNF composition use its unit names and ReLU thresholds).

A *variable* is one feature of a layer seen as a multi-valued antecedent (ALGORITHMS-2 §6,
"One-hot groups and numeric thresholds"):

* a binary input: two literals, ``x == 1`` and ``x == 0``;
* a one-hot group: exactly one category is on, so its free contribution lies between the
  smallest and the largest weight of the group, and a literal is a *set* of categories;
* a numeric, integer or ordinal input on the encoded [0, 1] scale: cut at a few training
  quantiles, literals ``x > t`` and ``x <= t`` (nested: the feature is one ordinal variable);
* a hidden unit: ``on`` / ``off`` literals, each with the interval of values it stands for.

Every literal carries its encoded conditions (inputs) or its hidden key, and the row mask
on the extraction rows.
"""
from __future__ import annotations

import numpy as np

from ...exceptions import NetworkError
from ...rules import Condition

__all__ = ["Lit", "Var", "half_positive_mean", "hidden_variables", "input_variables", "min_contrib", "quantile_cuts", "unit_name", "unit_thresholds"]


class Lit:
    """One literal of a variable: a box of values (``lo``/``hi`` per column) or a set of categories."""

    __slots__ = ("allowed", "conds", "hi", "key", "label", "lo", "mask")

    def __init__(self, key, conds, mask, label, lo=None, hi=None, allowed=None):
        self.key, self.conds, self.mask, self.label = key, conds, mask, label
        self.lo, self.hi, self.allowed = lo, hi, allowed


class Var:
    """A variable of a layer: its columns, its free range and its literals."""

    def __init__(self, name, cols, lits, lo=None, hi=None, onehot=False):
        self.name, self.cols, self.lits = name, list(cols), lits
        self.lo, self.hi, self.onehot = lo, hi, onehot

    def free_min(self, w: np.ndarray) -> float:
        """Smallest contribution ``w . v`` the variable can make when nothing is known about it."""
        wv = w[self.cols]
        if self.onehot:
            return float(wv.min())
        return float(np.minimum(wv * self.lo, wv * self.hi).sum())

    def free_max(self, w: np.ndarray) -> float:
        return -self.free_min(-w)


def unit_name(layer: int, unit: int) -> str:
    """Name of hidden unit ``unit`` (0-based) of hidden layer ``layer`` (1-based): ``h1_0``."""
    return f"h{layer}_{unit}"


def min_contrib(var: Var, lit: Lit, w: np.ndarray) -> float:
    """Smallest contribution of ``var`` to ``w . v`` when ``lit`` holds."""
    wv = w[var.cols]
    if var.onehot:
        return float(wv[lit.allowed].min())
    return float(np.minimum(wv * lit.lo, wv * lit.hi).sum())


def quantile_cuts(values: np.ndarray, n: int) -> list:
    """Up to ``n`` cuts between distinct observed values, at the training quantiles."""
    u = np.unique(values)
    if len(u) < 2:
        return []
    mids = (u[:-1] + u[1:]) / 2
    if len(mids) <= n:
        return [float(m) for m in mids]
    qs = np.quantile(values, np.arange(1, n + 1) / (n + 1))
    out = []
    for q in qs:
        i = int(np.clip(np.searchsorted(u, q, side="right") - 1, 0, len(mids) - 1))
        out.append(float(mids[i]))
    return sorted(set(out))


def input_variables(network, X: np.ndarray, n_thresholds: int) -> list:
    """The network's inputs as variables (see the module docstring)."""
    enc = network.encoder
    out = []
    for f in enc.schema.features:
        cols = list(enc.groups_[f.name])
        if f.kind == "categorical":
            lits = []
            for pos, col in enumerate(cols):
                lits.append(Lit(("in", col), (Condition(enc.input_names_[col], ">", 0.5),), X[:, col] > 0.5,
                                f"{f.name}={f.categories[pos]}", allowed=np.array([pos])))
            out.append(Var(f.name, cols, lits, onehot=True))
            continue
        col = cols[0]
        name = enc.input_names_[col]
        vals = X[:, col]
        a, b = float(min(0.0, vals.min())), float(max(1.0, vals.max()))
        cuts = [0.5] if f.kind == "binary" else quantile_cuts(vals, n_thresholds)
        lits = []
        for t in cuts:
            top = 1.0 if f.kind == "binary" else t
            bottom = 0.0 if f.kind == "binary" else t
            lits.append(Lit(("hi", col, t), (Condition(name, ">", t),), vals > t, f"{name}>{t:.4g}",
                            lo=np.array([top]), hi=np.array([b])))
            lits.append(Lit(("lo", col, t), (Condition(name, "<=", t),), vals <= t, f"{name}<={t:.4g}",
                            lo=np.array([a]), hi=np.array([bottom])))
        out.append(Var(f.name, [col], lits, lo=np.array([a]), hi=np.array([b])))
    return out


def half_positive_mean(H: np.ndarray) -> np.ndarray:
    """Half the mean positive activation of each ReLU unit on the rows (0 for a unit never on): the
    sums and counts ``np.nanmean`` divides, without its "mean of empty slice" warning."""
    on = H > 0
    count = on.sum(axis=0)
    total = np.where(on, H, 0.0).sum(axis=0)
    return np.divide(total, count, out=np.zeros(H.shape[1]), where=count > 0) / 2


def unit_thresholds(activation: str, H: np.ndarray, level: float):
    """``(t_on, t_off, v_on, v_off, v_min, v_max)`` per unit of a hidden layer.

    A unit is *on* when its pre-activation is at least ``t_on`` (its value is then at
    least ``v_on``) and *off* when it is at most ``t_off`` (value at most ``v_off``).
    ``level`` in [0.5, 1) is Fu's activation threshold: sigmoid units are on above ``level``
    and off below ``1 - level`` (tanh on the [-1, 1] scale). ReLU units are on above half
    their mean positive activation on the rows, off below it.
    """
    m = H.shape[1]
    if activation == "sigmoid":
        lo_v, hi_v = 0.0, 1.0
        v_on, v_off = level, 1.0 - level
        t_on, t_off = np.log(v_on / (1 - v_on)), np.log(v_off / (1 - v_off))
    elif activation == "tanh":
        lo_v, hi_v = -1.0, 1.0
        v_on, v_off = 2 * level - 1, 1 - 2 * level
        t_on, t_off = np.arctanh(v_on), np.arctanh(v_off)
    elif activation == "relu":
        tau = half_positive_mean(H)
        top = np.maximum(H.max(axis=0), 2 * tau)
        return tau, tau, tau, tau, np.zeros(m), top
    else:
        raise NetworkError(f"hidden units must be sigmoid, tanh or relu, not {activation!r}")
    full = np.ones(m)
    return (t_on * full, t_off * full, v_on * full, v_off * full, lo_v * full, hi_v * full)


def hidden_variables(layer_idx: int, H: np.ndarray, bounds, boolean: bool) -> list:
    """Units of hidden layer ``layer_idx`` as variables with ``on`` / ``off`` literals.

    ``boolean=True`` is Fu's reading (an on unit is worth its saturated value, an off unit
    its resting value); otherwise a literal stands for the whole interval of values it allows,
    which makes the rules sound for the real activations.
    """
    _, _, v_on, v_off, v_min, v_max = bounds
    out = []
    for j in range(H.shape[1]):
        name = unit_name(layer_idx, j)
        if boolean:
            on_lo, on_hi, off_lo, off_hi = v_max[j], v_max[j], v_min[j], v_min[j]
        else:
            on_lo, on_hi, off_lo, off_hi = v_on[j], v_max[j], v_min[j], v_off[j]
        lits = [Lit((layer_idx, j, True), (), H[:, j] >= v_on[j], f"{name} on",
                    lo=np.array([on_lo]), hi=np.array([on_hi])),
                Lit((layer_idx, j, False), (), H[:, j] <= v_off[j], f"{name} off",
                    lo=np.array([off_lo]), hi=np.array([off_hi]))]
        out.append(Var(name, [j], lits, lo=np.array([v_min[j]]), hi=np.array([v_max[j]])))
    return out
