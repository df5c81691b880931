"""What each hidden unit responds to: :func:`profile_units`."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from ..decoding import decode_rules
from ..exceptions import DataError, NetworkError
from ..rules import Condition, Rule, RuleSet
from ..rules.render import format_conditions, format_value
from ..schema.features import to_native
from ..extractors.budget import check_rows
from ..extractors.sampling import Sampler
from ._common import CONTINUOUS, check_classifier, dataset_frame, feature_value_label

__all__ = ["profile_units", "UnitProfile", "UnitProfiles"]

_ACTIVE_THRESHOLD = {"sigmoid": 0.5, "tanh": 0.0, "relu": 0.0, "identity": 0.0}


@dataclass
class UnitProfile:
    """Profile of one hidden unit (see :func:`profile_units`).

    Attributes
    ----------
    layer, index : int
        Hidden layer (0 = first) and unit within it; ``name`` is ``h{layer+1}_{index}``.
    activation : str
    inputs : list of (input, weight, effect)
        The strongest inputs by absolute weight: original names (``feature`` for a
        numeric, integer or ordinal input, ``feature = category`` for a one-hot or binary
        input, ``h{l}_{i}`` for a unit of the previous layer), the weight and
        ``"promotes"`` (positive) or ``"inhibits"`` (negative).
    active_rate : float
        Share of the data rows on which the unit is active (sigmoid > 0.5, tanh > 0, relu > 0).
    max_row_index, max_row, max_row_value : the data row that maximises the unit.
    max_input, max_input_value : the in-bounds synthetic input that maximises it.
    rule : RuleSet
        A depth-2 tree's description of when the unit is active, in original units
        (conclusion ``"active"``, default ``"inactive"``).
    rule_fidelity : float
        Share of the data rows on which ``rule`` predicts the unit's state correctly.
    logic : str
        ``"AND"``, ``"OR"``, ``"ALWAYS"`` or ``"NEVER"`` (see :func:`profile_units`).
    n_literals, n_needed : int or None
        Inputs with a nonzero weight (read as literals), and how many of them (largest
        ``|weight|`` first) must hold to turn the unit on (None: never).
    """

    layer: int
    index: int
    activation: str
    inputs: list
    active_rate: float
    max_row_index: int
    max_row: pd.Series
    max_row_value: float
    max_input: pd.Series
    max_input_value: float
    rule: RuleSet
    rule_fidelity: float
    logic: str
    n_literals: int
    n_needed: int | None

    @property
    def name(self) -> str:
        return f"h{self.layer + 1}_{self.index}"

    def __str__(self) -> str:
        ins = ", ".join(f"{n} ({e}, {w:+.3g})" for n, w, e in self.inputs)
        rules = " OR ".join(f"({format_conditions(r.conditions, self.rule.schema)})" if r.conditions else "TRUE"
                            for r in self.rule.rules if r.conclusion == "active")
        if self.rule.default == "active":
            rules = "unless " + (" OR ".join(f"({format_conditions(r.conditions, self.rule.schema)})"
                                             for r in self.rule.rules) or "never")
        lines = [f"{self.name} [{self.activation}] {self.logic}"
                 + (f" (needs {self.n_needed} of {self.n_literals} input literals)"
                    if self.n_needed is not None else ""),
                 f"  inputs: {ins}",
                 f"  active on {self.active_rate:.1%} of rows; "
                 f"active when: {rules or 'never'} (fidelity {self.rule_fidelity:.3f})",
                 f"  max on data row {self.max_row_index} ({self.max_row_value:.3g}); "
                 f"max in bounds {self.max_input_value:.3g} at "
                 + ", ".join(f"{k} = {format_value(to_native(v))}" for k, v in self.max_input.items())]
        return "\n".join(lines)


class UnitProfiles(list):
    """A list of :class:`UnitProfile` with a summary table and a readable print-out."""

    def to_frame(self) -> pd.DataFrame:
        recs = []
        for p in self:
            recs.append({"unit": p.name, "layer": p.layer, "index": p.index, "activation": p.activation,
                         "logic": p.logic, "n_literals": p.n_literals, "n_needed": p.n_needed,
                         "active_rate": p.active_rate, "rule_fidelity": p.rule_fidelity,
                         "top_inputs": "; ".join(f"{n} ({e})" for n, w, e in p.inputs),
                         "max_row_index": p.max_row_index, "max_row_value": p.max_row_value,
                         "max_input_value": p.max_input_value})
        return pd.DataFrame(recs)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self)


def _input_labels(net, layer: int) -> list:
    if layer > 0:
        return [f"h{layer}_{i}" for i in range(net.layers[layer - 1].n_units)]
    enc = net.encoder
    labels: list = []
    for f in net.schema.features:
        if f.kind == "categorical":
            labels.extend(feature_value_label(f, c) for c in f.categories)
        elif f.kind == "binary":
            labels.append(feature_value_label(f, f.categories[1]))
        else:
            labels.append(f.name)
    labels.extend(f"{name} is missing" for name in enc.missing_inputs_)     # after every value input
    assert len(labels) == enc.n_inputs
    return labels


def _logic(weights: np.ndarray, bias: float, lo=0.0, hi=1.0) -> tuple[str, int, int | None]:
    """AND/OR reading of a unit from its weights and bias; inputs range over [lo, hi]."""
    lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), weights.shape)
    hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), weights.shape)
    nz = weights != 0
    # every literal false: positive-weight inputs at their low end, negative-weight ones at their high end
    base = bias + float(np.where(weights > 0, weights * lo, weights * hi)[nz].sum())
    gains = np.sort((np.abs(weights) * (hi - lo))[nz])[::-1]
    if base > 0:
        return "ALWAYS", len(gains), 0
    on = np.flatnonzero(base + np.cumsum(gains) > 0)
    if len(on) == 0:
        return "NEVER", len(gains), None
    need = int(on[0]) + 1
    logic = "AND" if need >= 2 and need >= len(gains) / 2 else "OR"
    return logic, len(gains), need


def _unit_rule(net, X: np.ndarray, active: np.ndarray, random_state) -> tuple[RuleSet, float]:
    enc = net.encoder
    classes = ("inactive", "active")
    if active.all() or not active.any():
        label = "active" if active.all() else "inactive"
        rs = RuleSet([], label, classes=classes, target="unit", schema=net.schema)
        return rs, 1.0
    tree = DecisionTreeClassifier(max_depth=2, random_state=random_state).fit(X, active.astype(int))
    t = tree.tree_
    rules = []

    def all_active(node):
        if t.children_left[node] == -1:
            return int(np.argmax(t.value[node][0])) == 1     # tree classes are [0, 1] here
        return all_active(t.children_left[node]) and all_active(t.children_right[node])

    def walk(node, path):
        # a subtree whose leaves all say "active" becomes one rule (siblings merge)
        if all_active(node):
            rules.append(Rule(path, "active", support=int(t.n_node_samples[node])))
            return
        if t.children_left[node] == -1:
            return
        name, thr = enc.input_names_[t.feature[node]], float(t.threshold[node])
        walk(t.children_left[node], path + [Condition(name, "<=", thr)])
        walk(t.children_right[node], path + [Condition(name, ">", thr)])

    walk(0, [])
    rs = RuleSet(rules, "inactive", classes=classes, target="unit", space="encoded")
    rs = decode_rules(enc, rs).simplify()
    rs = rs.replace(target="unit")
    frame = enc.inverse_transform(X)
    fid = float((rs.predict(frame) == np.where(active, "active", "inactive")).mean())
    return rs, fid


def profile_units(net, dataset, random_state=0, *, top: int = 5, n_samples: int = 2000) -> UnitProfiles:
    """Profile every hidden unit of ``net`` on the rows of ``dataset``.

    For each unit: the ``top`` strongest incoming weights (with original names and
    sign), the share of rows on which it is active (sigmoid > 0.5, tanh > 0, relu > 0,
    identity > 0), the data row that maximises it, the in-bounds synthetic input that
    maximises it, a depth-2 tree rule (in original units) for when it is active, and an
    AND/OR reading.

    *Synthetic maximiser.* First layer: closed form (the activation is increasing, so
    maximise the pre-activation): each numeric/integer/binary/ordinal input at its
    upper bound when its weight is positive, at its lower bound otherwise, each one-hot
    group at its largest-weight category. Deeper layers: the best of the data rows and
    ``n_samples`` domain-aware samples (:meth:`~rulex.extractors.sampling.Sampler.sample`).

    *AND / OR.* Read each input with a nonzero weight as a literal: "high" for a positive
    weight, "low" (NOT high) for a negative one, worth ``|weight| * (high - low)``. Inputs
    range over the encoder's [0, 1] scale in the first layer; deeper, over the previous
    unit's output range (sigmoid [0, 1], tanh [-1, 1], relu/identity: its range on the
    data). Start with every literal false (first layer: pre-activation ``bias + sum of
    the negative weights``); ``n_needed`` is the smallest number of literals, largest worth
    first, that must be true for the pre-activation to exceed the unit's threshold (0 for
    every activation: sigmoid 0.5, tanh 0, relu 0). Out of ``n_literals``, the unit is an ``AND`` when at least two and at
    least half of its literals are needed, an ``OR`` when fewer suffice (typically any
    single one), ``ALWAYS`` when it is on with every literal false and ``NEVER`` when all
    literals together cannot turn it on. E.g. ``sigmoid(10 x0 + 10 x1 - 15)`` needs 2 of 2
    (AND), ``sigmoid(10 x2 + 10 x3 - 5)`` needs 1 of 2 (OR). (Inputs of one one-hot group
    cannot all be on together; the reading ignores that.)

    Parameters
    ----------
    net : Network
        A classification network with at least one hidden layer.
    dataset : Dataset or DataFrame
        The rows to profile the units on (e.g. the training split).
    random_state : int, default 0
        Seed of the depth-2 trees and of the synthetic samples.
    top : int, default 5
        Strongest incoming weights listed per unit.
    n_samples : int, default 2000
        Domain-aware samples searched for the maximiser of units beyond the first layer (checked
        against the memory budget first).

    Returns
    -------
    UnitProfiles
        One :class:`UnitProfile` per hidden unit, layer by layer; ``.to_frame()`` for a table.

    Raises
    ------
    NetworkError
        For a regression network or one without hidden layers.
    DataError
        For no rows, a bad ``n_samples`` or data that does not fit the network.
    """
    check_classifier(net, "profile_units")
    if not net.hidden_layers:
        raise NetworkError("the network has no hidden layers to profile")
    enc = net.encoder
    frame = dataset_frame(dataset, net.schema, bool(net.encoder.fill_))
    if len(frame) == 0:
        raise DataError("profile_units needs at least one row")
    if not (isinstance(n_samples, (int, np.integer)) and n_samples >= 0):
        raise DataError(f"n_samples must be a whole number >= 0, got {n_samples!r}")
    check_rows("n_samples", n_samples, enc.n_inputs, copies=4)
    X = enc.transform(frame)
    acts = net.activations(X)[:-1]
    sampler = Sampler(enc, X, random_state=random_state)
    synth = None
    out = UnitProfiles()
    for li, layer in enumerate(net.hidden_layers):
        labels = _input_labels(net, li)
        ranges = _input_ranges(net, acts, li)
        if li > 0 and synth is None:        # deeper units: the data rows and domain-aware samples
            synth = np.vstack([X, sampler.sample(int(n_samples))])
        for u in range(layer.n_units):
            cand = _first_layer_maximiser(net, layer.weights[u]) if li == 0 else synth
            out.append(_profile(net, frame, X, acts[li], li, u, labels, ranges, cand, top, random_state))
    return out


def _input_ranges(net, acts, li: int):
    """The range of the inputs of hidden layer ``li``: the encoder's [0, 1] scale, then the previous
    layer's output range (sigmoid [0, 1], tanh [-1, 1], else its range on the data, with 0)."""
    if li == 0:
        return (0.0, 1.0)
    prev = net.hidden_layers[li - 1].activation
    P = acts[li - 1]
    return {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}.get(
        prev, (np.minimum(P.min(axis=0), 0.0), np.maximum(P.max(axis=0), 0.0)))


def _first_layer_maximiser(net, w: np.ndarray) -> np.ndarray:
    """The in-bounds encoded input (one row) that maximises a first-layer unit with weights ``w``:
    each numeric input at the bound its weight favours, each one-hot group at its best category."""
    enc = net.encoder
    xs = np.zeros(enc.n_inputs)
    for f in net.schema.features:
        cols = enc.groups_[f.name]
        if f.kind in CONTINUOUS:
            off, sc = enc.scale(f.name)
            v = enc.upper_[f.name] if w[cols[0]] > 0 else enc.lower_[f.name]
            xs[cols[0]] = (v - off) / sc
        else:
            codes = enc.category_codes(f)
            xs[cols] = codes[int(np.argmax(codes @ w[cols]))]
    return xs[None, :]


def _profile(net, frame, X, A, li: int, u: int, labels, ranges, cand, top: int, random_state) -> UnitProfile:
    """The profile of unit ``u`` of hidden layer ``li`` (``A``: the layer's activations on the rows,
    ``cand``: the encoded inputs searched for its maximiser)."""
    layer = net.hidden_layers[li]
    w, b = layer.weights[u], float(layer.bias[u])
    order = sorted(range(len(w)), key=lambda j: (-abs(w[j]), j))[:top]
    inputs = [(labels[j], float(w[j]), "promotes" if w[j] > 0 else "inhibits") for j in order if w[j] != 0]
    a = A[:, u]
    active = a > _ACTIVE_THRESHOLD[layer.activation]
    imax = int(np.argmax(a))
    ca = net.activations(cand)[li][:, u]
    k = int(np.argmax(ca))
    max_input = net.encoder.inverse_transform(cand[k:k + 1]).iloc[0]
    rule, fid = _unit_rule(net, X, active, random_state)
    logic, npos, need = _logic(w, b, *ranges)
    return UnitProfile(
        layer=li, index=u, activation=layer.activation, inputs=inputs,
        active_rate=float(active.mean()), max_row_index=imax, max_row=frame.iloc[imax],
        max_row_value=float(a[imax]), max_input=max_input, max_input_value=float(ca[k]),
        rule=rule, rule_fidelity=fid, logic=logic, n_literals=npos, n_needed=need)
