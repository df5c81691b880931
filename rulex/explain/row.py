"""Why the network decides a row as it does: the deciding global rule and a local rule around the row.

:func:`explain_row` also reports the smallest single-feature change that flips the decision
(:mod:`rulex.explain.flip`).

How :func:`explain_row` computes its parts (names in double back quotes are its parameters):

*Local rule.* ``n_samples`` points are drawn around the row with the domain-aware
sampler (:meth:`rulex.extractors.sampling.Sampler.perturb`: Gaussian noise of
``scale`` standard deviations of each input in ``reference``, snapped to valid
encodings, numeric features kept in the training range) and labelled by the network.
Each point gets the proximity weight ``exp(-d^2 / width^2)``, ``d`` the Euclidean
distance to the row in the encoded space; the default width is 0.75 times the typical
distance of a perturbed point (LIME's default ratio). On 70 % of the points (plus the
row itself) candidate rules are learned, all of them conjunctions of at most
``max_depth`` encoded cuts that hold on the row: the path to the row's leaf of a
weighted ``DecisionTreeClassifier(max_depth=max_depth)``, and row-centred greedy boxes
(each cut keeps the row's side and maximises a lower confidence bound of the weighted
share of points the network labels like the row), with every prefix of each path. On
the other 30 % the rule whose weighted fidelity reaches ``target`` with the largest
coverage is chosen (failing that, the most faithful one, then the shortest). It is
decoded exactly to original units and folded; its conclusion is the network's
prediction for the row, and it holds on the row by construction.

*Local fidelity and coverage* are measured on a fresh, independent draw of
``n_samples`` perturbed points (not the ones the tree was fitted on): coverage is
the weighted share of points satisfying the rule; fidelity, among those, the
weighted share on which the network predicts the rule's conclusion.

*Flip.* For each feature alone (all others fixed): numeric features try a grid of
``n_grid`` values across the training range, then bisect towards the row to the
decision boundary; integer features try every integer of the range (or a rounded
grid) and bisect over integers; discrete features try every other category. The
change with the smallest normalised distance (see :class:`Flip`) wins, and every
reported change is verified by calling the network on the modified row.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from ..data.dataset import Dataset
from ..decoding import decode_rules
from ..exceptions import DataError
from ..extractors.budget import check_rows
from ..extractors.sampling import Sampler
from ..rules import Condition, Rule, RuleSet
from ..rules.notebook import render_fragment
from ..rules.render import format_conditions, format_value
from ..schema.features import to_native
from ..verification import sufficient_reason
from ._common import check_classifier, dataset_frame
from .flip import Flip, flip_search

__all__ = ["explain_row", "Explanation"]


@dataclass
class Explanation:
    """Result of :func:`explain_row` (see there for the definitions).

    Attributes
    ----------
    row : pandas.Series
        The row in original units.
    index : int or None
        Its position in the data set (None when a row was passed directly).
    prediction, probability : the network's class for the row and its probability.
    probabilities : dict class -> probability.
    global_rule : str or None
        Text of the rule of ``rules`` that decides the row (``DEFAULT THEN ...`` for the default).
    global_rule_number : int, "default" or None
        1-based number of that rule, or ``"default"`` when no rule decides (the numbering of
        every export and of ``verify``).
    global_prediction : the rule set's conclusion for the row.
    local_rule : Rule
        Conjunction in original units that holds on the row, concluding the network's prediction.
    local_fidelity : float
        Among fresh perturbed points that satisfy the local rule, the proximity-weighted share
        on which the network predicts the rule's conclusion (NaN if no fresh point satisfies it).
    local_coverage : float
        Proximity-weighted share of those fresh perturbed points that satisfy the local rule.
    n_samples : int
        Perturbed points used to learn the rule (as many again were drawn to score it).
    flip : Flip or None
        The smallest verified single-feature change that flips the decision.
    flips : list of Flip
        The best verified change of every feature that has one, smallest first.
    """

    row: pd.Series
    index: int | None
    prediction: Any
    probability: float
    probabilities: dict
    local_rule: Rule
    local_fidelity: float
    local_coverage: float
    n_samples: int
    flip: Flip | None = None
    flips: list = field(default_factory=list)
    global_rule: str | None = None
    global_rule_number: int | str | None = None
    global_prediction: Any = None
    sufficient_reason: Any = None
    schema: Any = field(default=None, repr=False)

    @property
    def global_rule_name(self) -> str:
        """``global rule 3`` or ``default rule``, as the text and notebook views name it."""
        return "default rule" if self.global_rule_number == "default" else f"global rule {self.global_rule_number}"

    def to_dict(self) -> dict:
        return {
            "index": self.index, "row": {k: to_native(v) for k, v in self.row.items()},
            "prediction": self.prediction, "probability": self.probability,
            "probabilities": dict(self.probabilities),
            "global_rule": self.global_rule, "global_rule_number": self.global_rule_number,
            "global_prediction": self.global_prediction,
            "local_rule": self.local_rule.to_string(self.schema),
            "local_fidelity": self.local_fidelity, "local_coverage": self.local_coverage,
            "n_samples": self.n_samples,
            "flip": None if self.flip is None else dict(self.flip.__dict__),
            "sufficient_reason": None if self.sufficient_reason is None else self.sufficient_reason.to_dict(),
        }

    def _repr_html_(self) -> str:
        local = format_conditions(self.local_rule.conditions, self.schema) if self.local_rule.conditions else "TRUE"
        values = {k: format_value(to_native(v)) for k, v in self.row.items()}
        return render_fragment("nb_explanation.html", e=self, local=local, values=values,
                               title=f"row {self.index}" if self.index is not None else "row")

    def __str__(self) -> str:
        head = f"row {self.index}" if self.index is not None else "row"
        values = ", ".join(f"{k} = {format_value(to_native(v))}" for k, v in self.row.items())
        lines = [f"{head}: {values}",
                 f"network predicts {format_value(self.prediction)} (p = {self.probability:.3f})"]
        if self.global_rule is not None:
            agree = "agrees" if self.global_prediction == self.prediction else "DISAGREES"
            lines.append(f"{self.global_rule_name}: {self.global_rule}  ({agree} with the network)")
        cond = format_conditions(self.local_rule.conditions, self.schema) if self.local_rule.conditions else "TRUE"
        lines.append(f"local rule: IF {cond} THEN {format_value(self.local_rule.conclusion)}")
        lines.append(f"  local fidelity {self.local_fidelity:.3f}, coverage {self.local_coverage:.3f} "
                     f"({self.n_samples} perturbed points)")
        if self.flip is None:
            lines.append("no single-feature change flips the decision")
        else:
            lines.append(f"smallest flip: {self.flip}")
        if self.sufficient_reason is not None:
            lines.append(f"sufficient reason: {self.sufficient_reason}")
        return "\n".join(lines)


def _row_frame(net, dataset, row) -> tuple[pd.DataFrame, int | None]:
    """One-row frame (original columns, schema-checked) and its index in the data set."""
    schema = net.schema
    if isinstance(row, (int, np.integer)) and not isinstance(row, bool):
        if dataset is None:
            raise DataError("a row index needs the data set it indexes")
        n = len(dataset.frame) if isinstance(dataset, Dataset) else len(dataset)
        i = int(row)
        if not 0 <= i < n:
            raise DataError(f"row index {i} is out of range: the data has {n} rows (valid: 0 to {n - 1})")
        frame = dataset.frame if isinstance(dataset, Dataset) else dataset
        one = frame.iloc[[i]]
        index = i
    elif isinstance(row, pd.Series):
        one, index = row.to_frame().T, None
    elif isinstance(row, pd.DataFrame):
        if len(row) != 1:
            raise DataError(f"explain_row explains one row; got a frame with {len(row)} rows")
        one, index = row, None
    elif isinstance(row, dict):
        one, index = pd.DataFrame([row]), None
    else:
        raise DataError(f"row must be an integer index, a pandas Series, a dict or a one-row frame, "
                        f"got {type(row).__name__}")
    one = one.reset_index(drop=True)
    missing = [c for c in schema.feature_names if c not in one.columns]
    if missing:
        raise DataError(f"the row is missing column(s) {missing} that the network needs")
    one = one[schema.feature_names].infer_objects()
    # the schema check: unseen categories, wrong types and missing values raise a DataError here
    schema.check_frame(one, what="row", allow_missing=bool(net.encoder.fill_))
    return one, index


def _tree_path(tree, x: np.ndarray, input_names) -> list:
    """Encoded conditions on the path from the root to the leaf that holds ``x`` (one row)."""
    t = tree.tree_
    node, conds = 0, []
    while t.children_left[node] != -1:
        j, thr = int(t.feature[node]), float(t.threshold[node])
        if x[j] <= thr:
            conds.append(Condition(input_names[j], "<=", thr))
            node = t.children_left[node]
        else:
            conds.append(Condition(input_names[j], ">", thr))
            node = t.children_right[node]
    return conds


def _decode_conditions(encoder, conds, conclusion, classes) -> tuple:
    """Decode a conjunction of encoded conditions into folded original-unit conditions."""
    rs = RuleSet([Rule(conds, conclusion)], conclusion, classes=classes, space="encoded")
    dec = decode_rules(encoder, rs)
    return dec.rules[0].conditions if dec.rules else ()


def _lcb(a, wsum, w2sum, z: float = 1.645):
    """Lower confidence bound of a weighted share ``a / wsum`` (normal approximation with the
    effective sample size ``wsum^2 / w2sum``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = a / wsum
        n_eff = wsum ** 2 / w2sum
        return np.nan_to_num(p - z * np.sqrt(p * (1 - p) / n_eff), nan=-np.inf)


def _greedy_path(S, w, ok, x, names, max_depth: int, target: float, min_share: float = 0.0,
                 min_weight: float = 0.03, z: float = 1.645) -> list:
    """Row-centred greedy box: up to ``max_depth`` axis-aligned cuts, each keeping the side that
    holds ``x``, chosen to maximise a lower confidence bound (``z`` standard errors) of the
    weighted share of ``ok`` points on that side, while keeping at least ``min_share`` of the
    current region's weight and ``min_weight`` of the total; stops once the share reaches
    ``target`` or no cut improves the bound."""
    mask = np.ones(len(S), dtype=bool)
    conds = []
    abs_floor = min_weight * float(w.sum())
    for _ in range(max_depth):
        Sm, wm, okm = S[mask], w[mask], ok[mask]
        total = float(wm.sum())
        prec = float((wm * okm).sum()) / total
        if prec >= target:
            break
        floor = max(min_share * total, abs_floor)
        best_score, best = float(_lcb(np.array([(wm * okm).sum()]), np.array([total]),
                                      np.array([(wm ** 2).sum()]), z)[0]), None
        for j in range(S.shape[1]):
            o = np.argsort(Sm[:, j], kind="stable")
            v = Sm[o, j]
            if v[0] == v[-1]:
                continue
            A = np.cumsum((wm * okm)[o])
            W = np.cumsum(wm[o])
            Q = np.cumsum((wm ** 2)[o])
            distinct = v[:-1] < v[1:]
            # keep the lower part (x <= t), t between v[k] and v[k+1], v[k] >= x_j
            lo_ok = distinct & (v[:-1] >= x[j]) & (W[:-1] >= floor)
            if lo_ok.any():
                sc = np.where(lo_ok, _lcb(A[:-1], W[:-1], Q[:-1], z), -np.inf)
                k = int(sc.argmax())
                if sc[k] > best_score + 1e-12:
                    best_score, best = sc[k], (j, "<=", (v[k] + v[k + 1]) / 2)
            # keep the upper part (x > t), v[k + 1] <= x_j
            up_w = W[-1] - W[:-1]
            hi_ok = distinct & (v[1:] <= x[j]) & (up_w >= floor)
            if hi_ok.any():
                sc = np.where(hi_ok, _lcb(A[-1] - A[:-1], up_w, Q[-1] - Q[:-1], z), -np.inf)
                k = int(sc.argmax())
                if sc[k] > best_score + 1e-12:
                    best_score, best = sc[k], (j, ">", (v[k] + v[k + 1]) / 2)
        if best is None:
            break
        j, op, t = best
        conds.append(Condition(names[j], op, float(t)))
        mask &= (S[:, j] <= t) if op == "<=" else (S[:, j] > t)
    return conds


def explain_row(net, dataset, row, rules: RuleSet | None = None, n_samples: int = 1000, random_state=0, *,
                reference=None, scale: float = 0.25, kernel_width: float | None = None, max_depth: int = 3,
                n_grid: int = 200, target: float = 0.95, prove: bool = False,
                prove_seconds: float = 30, radius: float | None = None) -> Explanation:
    """Explain the network's decision on one row.

    Parameters
    ----------
    net : Network
        A classification network.
    dataset : Dataset or DataFrame
        The rows ``row`` indexes (positionally), e.g. the test split.
    row : int, pandas Series, dict or one-row DataFrame
        The row to explain: a position in ``dataset`` or the row itself in original units.
    rules : RuleSet, optional
        A global rule set; the explanation then names the rule that decides the row.
    n_samples : int, default 1000
        Perturbed points used to learn the local rule (as many again score it).
    random_state : int, default 0
    reference : Dataset or DataFrame, optional
        Rows whose per-input standard deviation sets the perturbation size (default:
        ``dataset``; the training split is a good choice).
    scale : float, default 0.25
        Perturbation standard deviation in units of each input's standard deviation: the size
        of the neighbourhood the local rule describes. At 0.25 the local rules on
        breast_cancer cover about 94 % of their neighbourhood and 95 % of test rows reach
        local fidelity 0.95; at 0.5 the neighbourhood reaches across the decision boundary
        for more rows (88 %).
    kernel_width : float, optional
        Proximity kernel width in the encoded space (default ``0.75 * sqrt(n_inputs)``,
        as LIME).
    max_depth : int, default 3
        Depth of the local tree and the greedy boxes; the local rule has at most this many
        conditions before folding.
    target : float, default 0.95
        Local fidelity the choice between candidate rules aims at (see the module docstring).
    n_grid : int, default 200
        Grid size of the flip search on numeric features.
    prove : bool, default False
        Also find a *sufficient reason* (``Explanation.sufficient_reason``): a subset-minimal set of
        the row's feature values that forces the network's class for every value of the other
        features within the domain, proven by the verifier (:func:`rulex.verification.sufficient_reason`;
        exact for ReLU networks, bounds and branch and bound for sigmoid/tanh). Its ``status`` says
        ``proven`` or ``budget-limited``.
    prove_seconds : float, default 30
        Time budget of that proof search.
    radius : float in (0, 1], optional
        With ``prove``: the other features range only within ``radius x (max - min)`` of the row's
        values (a distance-restricted reason: short, and proven by the batched verifier), e.g. 0.1.

    The local rule, its fidelity and coverage, and the flip are defined in the module docstring.
    """
    check_classifier(net, "explain_row")
    if radius is not None and not prove:
        raise DataError("radius applies to the proven sufficient reason: pass prove=True with it")
    if not (isinstance(n_samples, (int, np.integer)) and n_samples >= 10):
        raise DataError(f"n_samples must be an integer >= 10, got {n_samples!r}")
    check_rows("n_samples", n_samples, net.encoder.n_inputs, copies=6)
    encoder = net.encoder
    frame_row, index = _row_frame(net, dataset, row)
    x = encoder.transform(frame_row)[0]
    proba = net.predict_proba_encoded(x[None, :])[0]
    pred = int(proba.argmax())
    classes = net.classes
    label = classes[pred]

    ref_src = reference if reference is not None else dataset
    if ref_src is None:
        ref_X = x[None, :]
    else:
        ref_X = encoder.transform(dataset_frame(ref_src, net.schema, bool(net.encoder.fill_)))
    sampler = Sampler(encoder, ref_X, random_state=random_state)
    width = _kernel_width(encoder, ref_X, scale, kernel_width)
    S, w, y = _draw(net, sampler, x, width, scale, int(n_samples))
    S = np.vstack([x[None, :], S])
    w = np.concatenate([[1.0], w])
    y = np.concatenate([[pred], y])
    conds = _choose_conditions(S, w, y, x, pred, encoder.input_names_, max_depth, target)
    decoded = _decode_conditions(encoder, conds, label, classes)
    local = Rule(decoded, label, provenance={"method": "local_tree", "max_depth": max_depth})
    if not local.evaluate(frame_row).all():   # guaranteed by exact decoding; checked anyway
        raise DataError("internal error: the local rule does not hold on the row it explains")

    S2, w2, y2 = _draw(net, sampler, x, width, scale, int(n_samples))
    m2 = local.evaluate(encoder.inverse_transform(S2))
    coverage = float(w2[m2].sum() / w2.sum()) if w2.sum() > 0 else 0.0
    fidelity = float((w2[m2] * (y2[m2] == pred)).sum() / w2[m2].sum()) if m2.any() else float("nan")

    flips = flip_search(net, encoder, x, frame_row, pred, int(n_grid))
    result = Explanation(
        row=frame_row.iloc[0], index=index, prediction=label, probability=float(proba[pred]),
        probabilities={c: float(p) for c, p in zip(classes, proba)},
        local_rule=local, local_fidelity=fidelity, local_coverage=coverage, n_samples=int(n_samples),
        flip=flips[0] if flips else None, flips=flips, schema=net.schema)
    if rules is not None:
        _add_global_rule(result, rules, frame_row, encoder)
    if prove:
        result.sufficient_reason = sufficient_reason(net, frame_row, max_seconds=prove_seconds,
                                                     random_state=random_state, radius=radius)
    return result


def _kernel_width(encoder, ref_X: np.ndarray, scale: float, kernel_width: float | None) -> float:
    """The proximity kernel width: ``kernel_width``, or 0.75 times the typical distance of a perturbed point."""
    if kernel_width is None:
        # as LIME's default (0.75 * sqrt(n_features) for unit-variance perturbations): 0.75 times
        # the typical distance of a perturbed point from the row
        spread = float(np.sqrt((ref_X.std(axis=0) ** 2).sum())) if len(ref_X) > 1 else 0.0
        width = 0.75 * scale * spread if spread > 0 and scale > 0 else 0.75 * math.sqrt(encoder.n_inputs)
    else:
        width = float(kernel_width)
    if not width > 0:
        raise DataError(f"kernel_width must be positive, got {kernel_width!r}")
    return width


def _draw(net, sampler, x: np.ndarray, width: float, scale: float, n: int):
    """``n`` points perturbed around ``x``, their proximity weights and the network's labels."""
    S = sampler.perturb(n, reference=x[None, :], scale=scale)
    w = np.exp(-((S - x) ** 2).sum(axis=1) / width ** 2)
    return S, w, net.predict_index(S)


def _holds(cs, X: np.ndarray, names) -> np.ndarray:
    """Which rows of ``X`` (encoded) satisfy the encoded cuts ``cs``."""
    m = np.ones(len(X), dtype=bool)
    for c in cs:
        col = X[:, names.index(c.feature)]
        m &= (col <= c.value) if c.op == "<=" else (col > c.value)
    return m


def _choose_conditions(S, w, y, x, pred: int, names, max_depth: int, target: float) -> list:
    """The encoded cuts of the local rule (see :func:`explain_row`, Notes): candidates learned on 70 %
    of the points (the row first), the choice made on the other 30 %."""
    n_fit = 1 + int(round(0.7 * (len(S) - 1)))
    Sf, wf, yf = S[:n_fit], w[:n_fit], y[:n_fit]
    Sv, wv, yv = S[n_fit:], w[n_fit:], y[n_fit:]

    def val_stats(cs):
        m = _holds(cs, Sv, names)
        if not m.any():
            return 0.0, 0.0
        return float((wv[m] * (yv[m] == pred)).sum() / wv[m].sum()), float(wv[m].sum() / wv.sum())

    paths = []
    if len(np.unique(yf)) > 1:
        tree = DecisionTreeClassifier(max_depth=max_depth, random_state=0).fit(Sf, yf, sample_weight=wf)
        paths.append(_tree_path(tree, x, names))
        for z, floor in ((1.645, 0.03), (0.0, 0.1), (1.645, 0.15), (0.0, 0.25)):
            paths.append(_greedy_path(Sf, wf, yf == pred, x, names, max_depth, target, z=z, min_weight=floor))
    candidates = [[]] + [p[:k] for p in paths for k in range(1, len(p) + 1)]
    # a rule that reaches the target fidelity on the held-out points and covers most wins;
    # otherwise the most faithful one (then the shortest)
    scored = []
    for i, cs in enumerate(candidates):
        fid, cov = val_stats(cs)
        scored.append(((min(fid, target), cov, -len(cs), -i), cs))
    return max(scored, key=lambda t: t[0])[1]


def _add_global_rule(result: Explanation, rules, frame_row: pd.DataFrame, encoder) -> None:
    """Name on ``result`` the rule of ``rules`` that decides the row, and its conclusion."""
    if not isinstance(rules, RuleSet):
        raise DataError(f"rules must be a rulex RuleSet, got {type(rules).__name__}")
    where = frame_row if rules.space == "original" else encoder.transform_frame(frame_row)
    ex = rules.explain(where).iloc[0]
    result.global_rule = str(ex["text"])
    number = ex["rule"]               # RuleSet.explain: from 1, "default" when the default decides
    result.global_rule_number = "default" if number == "default" else int(number)
    result.global_prediction = to_native(ex["prediction"])
