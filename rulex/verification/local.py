"""Many small boxes at once: batched bounds, input-splitting branch and bound, MILP last (ALGORITHMS-3 §1.1).

A *root* is one box around one data row: every numeric or integer feature ranges over an interval in
original units, every other feature keeps the root's own value. The question asked of every point of
a root is either

- *the rules and the network agree* (``rules`` given): in each piece of the root where every rule's
  conditions are decided (all true or all false), the rules give one conclusion, and the network's
  margins for that conclusion must be positive on the piece; or
- *the network keeps the root's class* (``classes`` given): a robustness query, as sufficient reasons ask.

All open nodes of all roots are processed as one batch per wave: nodes where a rule is undecided are
split on that rule's threshold; decided nodes get a CROWN lower bound on their margins
(:class:`~rulex.verification.batch.BatchCrown`), which certifies them, or else a counterexample search
(the node's centre, the corner the bound points to, projected gradient steps from both) whose
candidates are decoded to real rows in original units and checked with ``network.predict`` (and the
rules' own ``predict``) before a root is called refuted; or else the node is split on the input with
the largest ``|coefficient| x width`` of its worst margin. A root whose nodes pass its work budget
(``max_nodes``) is finished, for ReLU networks, by the exact MILP on each node left; otherwise it is
``unknown``. The work budget makes the answer independent of the machine's load; the wall clock
(``deadline``) is a safety net whose use is reported (``complete`` False).

Proofs are over the reals (sound for integer features too); integer features are split on integers so
that a branch ends on single values.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..rules.conditions import MofN
from ..rules.linear import LinearModel
from ..schema.encoder import category_positions
from ..schema.features import to_native
from .batch import BatchCrown, batch_margins, worst_margin_grad
from .domain import Span
from .milp import relu_query
from .spec import Spec, hidden_activations

__all__ = ["Roots", "decide_roots", "Outcome", "disagree", "native_record"]

#: Nodes processed in one batch of a wave.
WAVE = 4096
_TRUE, _FALSE, _MIXED = 1, 0, -1


@dataclass
class Roots:
    """Boxes around rows: ``rows`` (a frame in original units, one row per root), and the interval
    ``[lo, hi]`` (original units) of every numeric or integer feature ``num`` in each root."""

    rows: pd.DataFrame
    num: list
    lo: np.ndarray
    hi: np.ndarray


@dataclass
class Outcome:
    """Per root: ``status`` (certified | counterexample | unknown), ``row`` (the real counterexample
    frame or None), ``nodes`` (work spent), ``seconds``, ``engine``; ``complete`` False when the wall
    clock, not the work budget, stopped the search."""

    status: list
    row: list
    nodes: np.ndarray
    seconds: np.ndarray
    engine: list
    complete: bool


class _Target:
    """What each node must satisfy: its spec (an index into ``C``/``d``), or that it must still be split."""

    def __init__(self, network, rules=None, classes=None, tol=None):
        self.network, self.rules, self.tol = network, rules, tol
        if rules is not None:
            concl = [r.conclusion for r in rules.rules] + [rules.default]
            specs = [None if isinstance(v, LinearModel) else _spec_for(network, v, tol) for v in concl]
        else:
            specs = [Spec.for_class(network, c) for c in range(len(network.classes))]
        m = max(s.C.shape[0] for s in specs if s is not None)
        k = network.layers[-1].n_units
        self.C = np.zeros((len(specs) + 1, m, k))
        self.d = np.ones((len(specs) + 1, m))              # padding rows: margin 1, always proven
        for i, s in enumerate(specs):
            if s is not None:
                self.C[i, :s.C.shape[0]], self.d[i, :s.C.shape[0]] = s.C, s.d
        self.linear = np.array([s is None for s in specs] + [False])
        self.specs = specs
        self.classes = None if classes is None else np.asarray(classes, dtype=np.int64)


def _spec_for(network, conclusion, tol):
    if network.task == "regression":
        v = float(conclusion)
        return Spec.for_range(network, v - tol, v + tol)
    return Spec.for_class(network, list(network.classes).index(conclusion))


class _RuleIntervals:
    """Three-valued truth of every rule's conditions on boxes: true, false, or mixed with a cut
    (feature position, value, and whether the value is a point of a set test rather than a threshold)."""

    def __init__(self, rules, roots: Roots, schema):
        self.rules = rules
        self.pos = {n: i for i, n in enumerate(roots.num)}
        self.fixed: dict = {}                 # conditions on fixed features: truth per root
        for r in rules.rules:
            for c in r.conditions:
                for sub in (c.conditions if isinstance(c, MofN) else (c,)):
                    if sub.feature not in self.pos and id(sub) not in self.fixed:
                        self.fixed[id(sub)] = sub.evaluate(roots.rows)

    def condition(self, c, lo, hi, root):
        """(truth, cut feature, cut value, point cut) arrays over nodes for one condition."""
        n = len(root)
        none = (np.full(n, -1), np.full(n, np.nan), np.zeros(n, bool))
        if c.feature not in self.pos:
            return (np.where(self.fixed[id(c)][root], _TRUE, _FALSE),) + none
        if c.op in ("is missing", "is not missing"):
            return (np.full(n, _FALSE if c.op == "is missing" else _TRUE),) + none
        j = self.pos[c.feature]
        a, b = lo[:, j], hi[:, j]
        if c.op in ("<=", ">"):
            t = c.value
            truth = np.where(b <= t, _TRUE, np.where(a > t, _FALSE, _MIXED))
            if c.op == ">":
                truth = np.where(truth == _MIXED, _MIXED, 1 - truth)
            return truth, np.where(truth == _MIXED, j, -1), np.full(n, float(t)), np.zeros(n, bool)
        vals = [c.value] if c.op in ("==", "!=") else list(c.value)
        nums = np.array([float(v) for v in vals if isinstance(v, (int, float, np.integer, np.floating))
                         and not isinstance(v, (bool, np.bool_))], dtype=float)
        point = a == b
        inside = ((nums[None, :] >= a[:, None]) & (nums[None, :] <= b[:, None]) if len(nums)
                  else np.zeros((n, 1), bool))
        truth = np.where(point, np.where(np.isin(a, nums), _TRUE, _FALSE),
                         np.where(inside.any(axis=1), _MIXED, _FALSE))
        if c.op in ("!=", "not in"):
            truth = np.where(truth == _MIXED, _MIXED, 1 - truth)
        cut = nums[inside.argmax(axis=1)] if len(nums) else np.full(n, np.nan)
        return truth, np.where(truth == _MIXED, j, -1), cut, np.ones(n, bool)

    def _combine(self, parts, n):
        """First cut among the mixed parts (in order), as arrays."""
        cf, cv, ck = np.full(n, -1), np.full(n, np.nan), np.zeros(n, bool)
        for t, f, v, k in parts:
            newly = (cf < 0) & (f >= 0)
            cf, cv, ck = np.where(newly, f, cf), np.where(newly, v, cv), np.where(newly, k, ck)
        return cf, cv, ck

    def literal(self, c, lo, hi, root):
        if not isinstance(c, MofN):
            return self.condition(c, lo, hi, root)
        parts = [self.condition(sub, lo, hi, root) for sub in c.conditions]
        sure = sum((p[0] == _TRUE).astype(int) for p in parts)
        maybe = sum((p[0] != _FALSE).astype(int) for p in parts)
        truth = np.where(sure >= c.m, _TRUE, np.where(maybe < c.m, _FALSE, _MIXED))
        cf, cv, ck = self._combine(parts, len(root))
        return truth, np.where(truth == _MIXED, cf, -1), cv, ck

    def rule(self, r, lo, hi, root):
        parts = [self.literal(c, lo, hi, root) for c in r.conditions]
        n = len(root)
        truth = np.full(n, _TRUE)
        for p in parts:
            truth = np.where((truth == _FALSE) | (p[0] == _FALSE), _FALSE,
                             np.where((truth == _MIXED) | (p[0] == _MIXED), _MIXED, _TRUE))
        cf, cv, ck = self._combine(parts, n)
        return truth, np.where(truth == _MIXED, cf, -1), cv, ck

    def decide(self, lo, hi, root):
        """(decided rule per node: 0..R-1, R for the default, -1 undecided; and the cut of the first
        undecided rule: feature position, value, point cut)."""
        n, R = len(root), len(self.rules.rules)
        if not R:
            return np.zeros(n, dtype=np.int64), np.full(n, -1), np.full(n, np.nan), np.zeros(n, bool)
        T = np.empty((n, R), dtype=np.int64)
        CF, CV, CK = np.full((n, R), -1), np.full((n, R), np.nan), np.zeros((n, R), bool)
        for j, r in enumerate(self.rules.rules):
            T[:, j], CF[:, j], CV[:, j], CK[:, j] = self.rule(r, lo, hi, root)
        rows = np.arange(n)
        if self.rules.semantics == "ordered":
            live = T != _FALSE
            first = np.where(live.any(axis=1), live.argmax(axis=1), R)
            idx = np.minimum(first, R - 1)
            settled = (first == R) | (T[rows, idx] == _TRUE)
            return np.where(settled, first, -1), CF[rows, idx], CV[rows, idx], CK[rows, idx]
        mixed = T == _MIXED
        settled = ~mixed.any(axis=1)
        decided = np.full(n, -1)
        if settled.any():
            d = self.rules.decide(None, T[settled] == _TRUE)
            decided[settled] = np.where(d < 0, R, d)
        j = mixed.argmax(axis=1)
        return decided, CF[rows, j], CV[rows, j], CK[rows, j]


def decide_roots(network, domain, roots: Roots, *, rules=None, classes=None, tol=None, max_nodes: int = 200,
                 deadline: float = math.inf, delta: float = 1e-6, milp_nodes: int = 4, rng=None,
                 progress=None) -> Outcome:
    """Decide every root (see the module docstring). ``classes`` (robustness) or ``rules`` (agreement)."""
    rng = np.random.default_rng(0) if rng is None else rng
    R = len(roots.rows)
    enc = network.encoder
    target = _Target(network, rules, classes, tol)
    intervals = _RuleIntervals(rules, roots, network.schema) if rules is not None else None
    base = enc.transform(roots.rows)
    cols = np.array([enc.groups_[n][0] for n in roots.num], dtype=int)
    scale = np.array([enc.scale(n) for n in roots.num], dtype=float).reshape(-1, 2)
    integer = np.array([network.schema[n].kind == "integer" for n in roots.num], dtype=bool)
    st = _State(R)
    lo, hi, root = roots.lo.copy(), roots.hi.copy(), np.arange(R)
    checker = _Checker(network, roots, rules, target, tol, cols, scale, integer)
    # the rows themselves first: a row the rules and the network decide differently refutes its box
    checker.rows_first(st)
    keep = st.status[root] == 0
    lo, hi, root = lo[keep], hi[keep], root[keep]
    leftovers: list = []
    complete = True
    while len(root):
        if time.monotonic() > deadline:
            complete = False
            break
        t0 = time.monotonic()
        done = root[:WAVE]                      # the nodes this wave works on share its time
        lo, hi, root, left = _wave(network, target, intervals, checker, st, lo, hi, root, base, cols, scale,
                                   integer, delta, max_nodes, rng)
        leftovers.extend(left)
        np.add.at(st.seconds, done, (time.monotonic() - t0) / max(len(done), 1))
        if progress is not None:
            progress(int((st.status != 0).sum()), R)
    for i in np.unique(root):                 # open when the wall clock stopped the search
        if st.status[i] == 0:
            st.status[i] = 2
    complete &= _finish(network, domain, target, checker, st, leftovers, deadline, delta, milp_nodes)
    status = [{0: "certified", 1: "certified", -1: "counterexample", 2: "unknown"}[int(s)] for s in st.status]
    return Outcome(status, st.rows, st.nodes, st.seconds, st.engine, complete)


class _State:
    def __init__(self, R):
        self.status = np.zeros(R, dtype=np.int64)       # 0 open/certified so far, -1 refuted, 2 unknown
        self.rows: list = [None] * R
        self.nodes = np.zeros(R, dtype=np.int64)
        self.seconds = np.zeros(R)
        self.engine = ["crown"] * R


def _encode(lo, hi, root, base, cols, scale):
    xl, xu = base[root].copy(), base[root].copy()
    xl[:, cols] = (lo - scale[:, 0]) / scale[:, 1]
    xu[:, cols] = (hi - scale[:, 0]) / scale[:, 1]
    return xl, xu


def _wave(network, target, intervals, checker, st, lo, hi, root, base, cols, scale, integer, delta, max_nodes,
          rng):
    """One batch of nodes: decide, bound, search, split. Returns the next nodes and the leftovers."""
    rest_lo, rest_hi, rest_root = lo[WAVE:], hi[WAVE:], root[WAVE:]   # the rest waits for the next wave
    lo, hi, root = lo[:WAVE], hi[:WAVE], root[:WAVE]
    np.add.at(st.nodes, root, 1)
    n = len(root)
    if intervals is not None:
        decided, cut_f, cut_v, cut_k = intervals.decide(lo, hi, root)
        spec = decided
    else:
        decided = np.zeros(n, dtype=np.int64)
        cut_f, cut_v, cut_k = np.full(n, -1), np.full(n, np.nan), np.zeros(n, bool)
        spec = target.classes[root]
    und = decided < 0
    linear = ~und & target.linear[np.where(und, 0, spec)]
    bound = ~und & ~linear
    proven = np.zeros(n, dtype=bool)
    lam_split = np.zeros((n, len(cols)))
    if bound.any():
        b = np.flatnonzero(bound)
        xl, xu = _encode(lo[b], hi[b], root[b], base, cols, scale)
        C, d = target.C[spec[b]], target.d[spec[b]]
        low, lam = BatchCrown(network, xl, xu).margin_lower(C, d)
        proven[b] = (low > delta).all(axis=1)
        worst = low.argmin(axis=1)
        lam_w = lam[np.arange(len(b)), worst]
        lam_split[b] = lam_w[:, cols]
        hard = ~proven[b]
        if hard.any():
            h = b[hard]
            checker.search(st, h, lo[h], hi[h], root[h], xl[hard], xu[hard], C[hard], d[hard], lam_w[hard], rng)
    for i in np.flatnonzero(linear):
        st.status[root[i]] = 2
    alive = ~proven & ~linear & (st.status[root] == 0)
    over = alive & (st.nodes[root] >= max_nodes)
    left = [(lo[i], hi[i], root[i], int(spec[i])) for i in np.flatnonzero(over & ~und)]
    for i in np.flatnonzero(over & und):
        st.status[root[i]] = 2
    split = alive & ~over
    nlo, nhi, nroot = _split(lo[split], hi[split], root[split], und[split], cut_f[split], cut_v[split], cut_k[split],
                             lam_split[split], integer, scale)
    for i in np.unique(root[split][_stuck(lo[split], hi[split], und[split], integer)]):
        st.status[i] = 2
    # drop nodes of roots already refuted or unknown
    ok, ok_rest = st.status[nroot] == 0, st.status[rest_root] == 0
    return (np.vstack([nlo[ok], rest_lo[ok_rest]]), np.vstack([nhi[ok], rest_hi[ok_rest]]),
            np.concatenate([nroot[ok], rest_root[ok_rest]]), left)


def _stuck(lo, hi, und, integer):
    """Decided nodes too small to split further (every numeric width ~0)."""
    width = hi - lo
    tiny = np.where(integer[None, :], width < 1, width <= 1e-9 * np.maximum(1.0, np.abs(hi)))
    return ~und & tiny.all(axis=1)


def _split(lo, hi, root, und, cut_f, cut_v, cut_point, lam, integer, scale):
    """Two children per node: on the rule's cut where a rule is undecided, else on the input whose
    ``|coefficient| x width`` is largest, at its midpoint (integers on an integer)."""
    n = len(root)
    if not n:
        return lo, hi, root
    width = hi - lo
    enc_width = width / scale[:, 1]
    score = np.abs(lam) * enc_width
    splittable = np.where(integer[None, :], width >= 1, width > 1e-9 * np.maximum(1.0, np.abs(hi)))
    score = np.where(splittable, score, -1.0)
    # a zero coefficient everywhere (a flat margin): split the widest input instead
    flat = score.max(axis=1) <= 0
    score[flat] = np.where(splittable[flat], enc_width[flat], -1.0)
    f = np.where(und, cut_f, score.argmax(axis=1))
    ok = (f >= 0) & (und | (score.max(axis=1) >= 0))
    rows = np.arange(n)
    fs = np.where(ok, f, 0)
    a, b = lo[rows, fs], hi[rows, fs]
    t = np.clip(np.where(und, cut_v, a + (b - a) / 2), a, b)
    is_int = integer[fs]
    # a rule's cut t: "<= t" holds on [a, t] and fails on (t, b], whose first double is nextafter(t);
    # a set test's value v: (.., v), [v, v], (v, ..); a midpoint: two closed halves
    point = ok & und & cut_point
    left_hi = np.where(is_int, np.where(point, np.ceil(t) - 1, np.floor(t)),
                       np.where(point, np.nextafter(t, -np.inf), t))
    right_lo = np.where(is_int, np.floor(t) + 1, np.where(und, np.nextafter(t, np.inf), t))
    # an integer midpoint at the box's top leaves an empty right child: cut below instead
    low_cut = is_int & ~und & (left_hi >= b)
    left_hi = np.where(low_cut, b - 1, left_hi)
    right_lo = np.where(low_cut, b, right_lo)
    L_lo, L_hi, R_lo, R_hi = lo.copy(), hi.copy(), lo.copy(), hi.copy()
    L_hi[rows, fs] = left_hi
    R_lo[rows, fs] = right_lo
    nonempty_L = ok & (L_hi[rows, fs] >= L_lo[rows, fs])
    nonempty_R = ok & (R_lo[rows, fs] <= R_hi[rows, fs])
    P_lo, P_hi = lo.copy(), hi.copy()
    P_lo[rows, fs] = P_hi[rows, fs] = t
    parts_lo = [L_lo[nonempty_L], R_lo[nonempty_R], P_lo[point]]
    parts_hi = [L_hi[nonempty_L], R_hi[nonempty_R], P_hi[point]]
    parts_root = [root[nonempty_L], root[nonempty_R], root[point]]
    return np.vstack(parts_lo), np.vstack(parts_hi), np.concatenate(parts_root)


def disagree(rules, network, frame, tol) -> np.ndarray:
    """Rows of ``frame`` where the rules and the network answer differently (regression: by more than ``tol``)."""
    mine, net = rules.predict(frame), network.predict(frame)
    if network.task == "regression":
        return np.abs(np.asarray(mine, float) - np.asarray(net, float)) > tol
    return np.asarray(mine) != np.asarray(net)


def native_record(d: dict) -> dict:
    """A row's values as plain Python values (for JSON and display)."""
    return {k: to_native(v) for k, v in d.items()}


class _Checker:
    """Decodes candidate points to real rows of a root's box and keeps those that really disagree."""

    def __init__(self, network, roots, rules, target, tol, cols, scale, integer):
        self.network, self.roots, self.rules, self.target, self.tol = network, roots, rules, target, tol
        self.cols, self.scale, self.integer = cols, scale, integer
        self.rlo = np.where(integer[None, :], np.ceil(roots.lo), roots.lo)
        self.rhi = np.where(integer[None, :], np.floor(roots.hi), roots.hi)

    def frames(self, X, root):
        """Rows in original units: the roots' own values, numeric features from ``X`` clipped into the box."""
        v = X[:, self.cols] * self.scale[:, 1] + self.scale[:, 0]
        v = np.where(self.integer[None, :], np.round(v), v)
        v = np.clip(v, self.rlo[root], self.rhi[root])
        frame = self.roots.rows.iloc[root].reset_index(drop=True).copy()
        for j, name in enumerate(self.roots.num):
            frame[name] = v[:, j].astype(np.int64) if self.integer[j] else v[:, j]
        return frame

    def wrong(self, frame, root) -> np.ndarray:
        if self.rules is None:
            return self.network.predict_index(frame) != self.target.classes[root]
        return disagree(self.rules, self.network, frame, self.tol)

    def confirm(self, st, X, root) -> None:
        """Mark roots refuted by a real row among candidates ``X`` (encoded) of roots ``root``."""
        open_ = st.status[root] == 0
        if not open_.any():
            return
        X, root = X[open_], root[open_]
        frame = self.frames(X, root)
        bad = np.flatnonzero(self.wrong(frame, root))
        for i in bad:
            r = root[i]
            if st.status[r] == 0:
                st.status[r] = -1
                st.rows[r] = frame.iloc[[i]].reset_index(drop=True)
                st.engine[r] = "search"

    def confirm_one(self, X, r):
        """The first candidate of ``X`` that is a real counterexample row of root ``r``, or None."""
        X = np.atleast_2d(X)
        frame = self.frames(X, np.full(len(X), r))
        bad = np.flatnonzero(self.wrong(frame, np.full(len(X), r)))
        return frame.iloc[[int(bad[0])]].reset_index(drop=True) if len(bad) else None

    def box(self, r, lo, hi, domain) -> dict:
        """Node ``[lo, hi]`` of root ``r`` as a domain box (numeric spans; the root's own categories)."""
        pos = {n: j for j, n in enumerate(self.roots.num)}
        box: dict = {}
        for f in domain.features:
            if f.name in pos:
                box[f.name] = Span(float(lo[pos[f.name]]), float(hi[pos[f.name]]))
            else:
                box[f.name] = frozenset(category_positions(f, self.roots.rows[f.name].iloc[[r]]).tolist())
        return box

    def rows_first(self, st):
        frame = self.roots.rows.reset_index(drop=True)
        bad = np.flatnonzero(self.wrong(frame, np.arange(len(frame))))
        for r in bad:
            st.status[r] = -1
            st.rows[r] = frame.iloc[[r]].reset_index(drop=True)
            st.engine[r] = "row"

    def search(self, st, idx, lo, hi, root, xl, xu, C, d, lam_w, rng, steps: int = 8):
        """Centre, bound corner and projected gradient steps from both; confirmed candidates refute."""
        centre = (xl + xu) / 2
        corner = np.where(lam_w > 0, xl, xu)
        cands = [centre, corner]
        for start in (centre, corner):
            x = start.copy()
            step = 0.25 * (xu - xl)
            for _ in range(steps):
                _, g = worst_margin_grad(self.network, C, d, x)
                x = np.clip(x - step * np.sign(g), xl, xu)
                step = step * 0.7
            cands.append(x)
        X = np.vstack(cands)
        roots = np.tile(root, len(cands))
        m = batch_margins(self.network, np.tile(C, (len(cands), 1, 1)), np.tile(d, (len(cands), 1)), X).min(axis=1)
        hit = m <= 0
        if hit.any():
            self.confirm(st, X[hit], roots[hit])


def _finish(network, domain, target, checker, st, leftovers, deadline, delta, milp_nodes) -> bool:
    """The nodes left by the work budget: exact MILP for ReLU networks, on each node left (at most
    ``milp_nodes`` per root) or, for a robustness question (one class per root), on the whole root box."""
    exact = hidden_activations(network) <= {"relu", "identity"}
    complete = True
    by_root: dict = {}
    for lo, hi, r, s in leftovers:
        by_root.setdefault(int(r), []).append((lo, hi, s))
    for r, nodes in sorted(by_root.items()):
        if st.status[r] != 0:
            continue
        if exact and len(nodes) > milp_nodes and target.classes is not None:
            nodes = [(checker.roots.lo[r], checker.roots.hi[r], int(target.classes[r]))]
        if not exact or len(nodes) > milp_nodes:
            st.status[r] = 2
            continue
        t0 = time.monotonic()
        st.engine[r] = "milp"
        for lo, hi, s in nodes:
            if time.monotonic() > deadline:
                st.status[r], complete = 2, False
                break
            box = checker.box(r, lo, hi, domain)
            spec = target.specs[s]
            out = relu_query(network, spec, domain, box, [], deadline, delta=delta,
                             confirm=lambda X, r=r: checker.confirm_one(X, r))
            if out["status"] == "counterexample":
                st.status[r], st.rows[r] = -1, out["row"]
                break
            if out["status"] == "unknown":
                st.status[r] = 2
                break
        st.seconds[r] += time.monotonic() - t0
    return complete
