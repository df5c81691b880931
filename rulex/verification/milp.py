"""Exact verification of ReLU networks as a mixed-integer linear program (ALGORITHMS-2 §4(a)).

Variables: one per numeric feature (its encoded value, bounded by the box), one integer variable per
integer feature (in original units), one binary per category of a binary/categorical/ordinal feature
with their sum fixed to 1 (so exactly one category, and every network input is a linear function of
these variables), and for every hidden ReLU unit whose pre-activation interval ``[l, u]`` crosses 0 a
continuous output ``h`` and a binary ``a`` with ``h >= z, h >= 0, h <= z - l (1 - a), h <= u a``
(stable units are ``0`` or ``z`` exactly). ``l``/``u`` come from interval and CROWN bounds, tightened
by one LP per unstable unit (min and max of its pre-activation over the LP relaxation) where the
budget allows. The region "box minus earlier boxes" adds, per excluded box, a binary per way of
leaving it (below or above a bound, another category, or failing one of its m-of-n tests), at least
one of which must hold. m-of-n tests are encoded natively, one indicator binary per literal (``t = 1``
forces the literal; at least ``m`` indicators of a rule's own test, at least ``n - m + 1`` indicators
of negated literals to fail an excluded one), so they never have to be expanded into boxes.

For every margin row ``m`` of the :class:`~rulex.verification.spec.Spec`, ``min m`` is solved with HiGHS
(``scipy.optimize.milp``); the row holds when the solver's dual bound exceeds ``delta``. A point
with ``m <= 0`` is decoded and confirmed with ``network.predict`` before it counts.

Strict inequalities (``x > t``, or leaving a closed end of an excluded box) are relaxed to their
closure, a superset, so proofs stay sound; a counterexample found on such a face is re-checked, and
the query is solved again with the strict sides moved inward by :data:`STRICT_EPS`.
"""
from __future__ import annotations

import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from .bounds import crown
from .domain import Span

__all__ = ["STRICT_EPS", "UnsupportedLiteral", "relu_query"]

#: How far (in encoded units) a strict side is moved inward in the second, strict solve.
STRICT_EPS = 1e-6


class _Model:
    def __init__(self):
        self.lb, self.ub, self.integ = [], [], []
        self.rows, self.rlo, self.rhi = [], [], []

    def var(self, lb, ub, integer=False):
        self.lb.append(float(lb))
        self.ub.append(float(ub))
        self.integ.append(1 if integer else 0)
        return len(self.lb) - 1

    def row(self, coefs: dict, lo, hi):
        self.rows.append(coefs)
        self.rlo.append(lo)
        self.rhi.append(hi)

    def matrix(self):
        n = len(self.lb)
        data, ri, ci = [], [], []
        for r, coefs in enumerate(self.rows):
            for c, v in coefs.items():
                if v != 0:
                    ri.append(r)
                    ci.append(c)
                    data.append(v)
        return csr_matrix((data, (ri, ci)), shape=(len(self.rows), n))


def _expr_row(expr, n):
    """Dense (coefs, const) -> sparse dict."""
    coefs, const = expr
    nz = np.flatnonzero(coefs[:n])
    return {int(j): float(coefs[j]) for j in nz}, float(const)


class _Builder:
    """Build the MILP of ``spec`` over ``piece`` minus ``exclude``."""

    def __init__(self, network, domain, piece, exclude, deadline, strict, tighten, mofns=()):
        self.net, self.dom, self.piece = network, domain, piece
        self.m = _Model()
        self.deadline = deadline
        enc = domain.encoder
        n_in = enc.n_inputs
        # maximum number of variables, so that expressions can be dense arrays of a fixed width
        width = sum(len(f.categories) if f.is_discrete else 1 for f in domain.features)
        width += 2 * sum(layer.n_units for layer in network.hidden_layers)
        exclude = [e if isinstance(e, tuple) else (e, ()) for e in exclude]
        width += sum(2 * len(domain.features) + sum(len(c.conditions) + 1 for c in ms) for _, ms in exclude)
        width += sum(len(c.conditions) for c in mofns)
        self.W = width
        E = np.zeros((n_in, width))
        e0 = np.zeros(n_in)
        self.feature_vars = {}
        eps = STRICT_EPS if strict else 0.0
        for f in domain.features:
            cols = enc.groups_[f.name]
            x = piece[f.name]
            if isinstance(x, Span):
                off, sc = enc.scale(f.name)
                if f.kind == "integer":
                    v = self.m.var(x.lo, x.hi, integer=True)
                    E[cols[0], v], e0[cols[0]] = 1.0 / sc, -off / sc
                else:
                    lo, hi = (x.lo - off) / sc, (x.hi - off) / sc
                    lo += eps if x.lo_open else 0.0
                    hi -= eps if x.hi_open else 0.0
                    v = self.m.var(lo, max(lo, hi))
                    E[cols[0], v] = 1.0
                self.feature_vars[f.name] = [v]
            else:
                codes = enc.category_codes(f)
                vs = [self.m.var(0, 1 if i in x else 0, integer=True) for i in range(len(f.categories))]
                for pos, col in enumerate(cols):
                    E[col, vs] = codes[:, pos]
                self.m.row({v: 1.0 for v in vs}, 1.0, 1.0)
                self.feature_vars[f.name] = vs
        self.input = (E, e0)
        for c in mofns:                    # at least m literals hold
            ts = [self._indicator(lit, eps) for lit in c.conditions]
            self.m.row({t: 1.0 for t in ts}, float(c.m), np.inf)
        self.feasible = self._exclusions(exclude, eps)
        xl, xu = domain.encoded_bounds(piece)
        self.crown = crown(network, xl, xu)
        self.hidden = self._layers(tighten)

    def _indicator(self, cond, eps) -> int:
        """A binary ``t`` with ``t = 1`` => ``cond`` holds (numeric strict sides relaxed to closed)."""
        f = self.dom.schema[cond.feature]
        vs = self.feature_vars[f.name]
        t = self.m.var(0, 1, integer=True)
        if f.is_discrete:
            hold = self.dom.apply(self.dom.box(), cond)
            allowed = hold[0][f.name] if hold else frozenset()
            self.m.row({**{vs[i]: 1.0 for i in allowed}, t: -1.0}, 0.0, np.inf)
            return t
        if cond.op not in ("<=", ">"):
            raise UnsupportedLiteral(f"m-of-n literal {cond.feature} {cond.op} on a numeric feature")
        v = vs[0]
        lb, ub = self.m.lb[v], self.m.ub[v]
        if f.kind == "integer":
            thr = float(np.floor(cond.value))
            if cond.op == "<=":           # n <= thr when t
                M = max(0.0, ub - thr)
                self.m.row({v: 1.0, t: M}, -np.inf, thr + M)
            else:                         # n >= thr + 1 when t
                M = max(0.0, thr + 1 - lb)
                self.m.row({v: 1.0, t: -M}, thr + 1 - M, np.inf)
            return t
        off, sc = self.dom.encoder.scale(f.name)
        te = (cond.value - off) / sc
        if cond.op == "<=":
            M = max(0.0, ub - te)
            self.m.row({v: 1.0, t: M}, -np.inf, te + M)
        else:
            M = max(0.0, te + eps - lb)
            self.m.row({v: 1.0, t: -M}, te + eps - M, np.inf)
        return t

    def _exclusions(self, exclude, eps) -> bool:
        enc = self.dom.encoder
        for box, box_mofns in exclude:
            if self.dom.disjoint(self.piece, box):
                continue
            options = []
            for c in box_mofns:           # leave through an m-of-n test: at least n - m + 1 literals fail
                s = self.m.var(0, 1, integer=True)
                fs = [self._indicator(lit.negate(), eps) for lit in c.conditions]
                self.m.row({**{x: 1.0 for x in fs}, s: -float(len(c.conditions) - c.m + 1)}, 0.0, np.inf)
                options.append(s)
            for f in self.dom.features:
                x, y = self.piece[f.name], box[f.name]
                vs = self.feature_vars[f.name]
                if isinstance(x, frozenset):
                    if x - y:
                        s = self.m.var(0, 1, integer=True)
                        self.m.row({**{vs[i]: 1.0 for i in y}, s: 1.0}, -np.inf, 1.0)
                        options.append(s)
                    continue
                v = vs[0]
                if f.kind == "integer":
                    if x.lo <= y.lo - 1:       # n <= y.lo - 1 when s
                        s = self.m.var(0, 1, integer=True)
                        M = x.hi - (y.lo - 1)
                        self.m.row({v: 1.0, s: M}, -np.inf, y.lo - 1 + M)
                        options.append(s)
                    if x.hi >= y.hi + 1:
                        s = self.m.var(0, 1, integer=True)
                        M = (y.hi + 1) - x.lo
                        self.m.row({v: 1.0, s: -M}, y.hi + 1 - M, np.inf)
                        options.append(s)
                    continue
                off, sc = enc.scale(f.name)
                ulo, uhi = self.m.lb[v], self.m.ub[v]
                # options exist only where the piece really has points outside the box on that side
                below = x.lo < y.lo or (y.lo_open and x.lo == y.lo and not x.lo_open)
                above = x.hi > y.hi or (y.hi_open and x.hi == y.hi and not x.hi_open)
                t = (y.lo - off) / sc - (0.0 if y.lo_open else eps)      # leave below: u <= t
                if below and ulo <= t:
                    s = self.m.var(0, 1, integer=True)
                    M = max(uhi - t, 0.0)
                    self.m.row({v: 1.0, s: M}, -np.inf, t + M)
                    options.append(s)
                t = (y.hi - off) / sc + (0.0 if y.hi_open else eps)      # leave above: u >= t
                if above and uhi >= t:
                    s = self.m.var(0, 1, integer=True)
                    M = max(t - ulo, 0.0)
                    self.m.row({v: 1.0, s: -M}, t - M, np.inf)
                    options.append(s)
            if not options:
                return False
            self.m.row({s: 1.0 for s in options}, 1.0, np.inf)
        return True

    def _lp_bounds(self, expr, lo, hi):
        """Tighten [lo, hi] of an affine expression by the LP relaxation of the model built so far."""
        coefs, const = _expr_row(expr, len(self.m.lb))
        n = len(self.m.lb)
        c = np.zeros(n)
        for j, v in coefs.items():
            c[j] = v
        A = self.m.matrix()
        out = [lo, hi]
        for sign, k in ((1.0, 0), (-1.0, 1)):
            cons = [LinearConstraint(A, self.m.rlo, self.m.rhi)] if A.shape[0] else []
            res = milp(sign * c, integrality=np.zeros(n), bounds=Bounds(self.m.lb, self.m.ub), constraints=cons,
                       options={"time_limit": max(0.05, self.deadline - time.monotonic()), "disp": False})
            if res.status == 0:
                val = sign * res.fun + const
                # the LP optimum is exact up to HiGHS' tolerances; loosen by a relative 1e-7
                slack = 1e-7 * (1.0 + abs(val))
                out[k] = max(out[k], val - slack) if k == 0 else min(out[k], val + slack)
        return out[0], out[1]

    def _layers(self, tighten):
        """Add the hidden layers; return the last hidden layer's outputs as dense expressions."""
        E, e0 = self.input
        H, h0 = E, e0
        for k, layer in enumerate(self.net.hidden_layers):
            Z = layer.weights @ H
            z0 = layer.weights @ h0 + layer.bias
            l, u = (arr.copy() for arr in self.crown.bounds[k])
            if layer.activation == "identity":
                H, h0 = Z, z0
                continue
            newH = np.zeros((layer.n_units, self.W))
            newh0 = np.zeros(layer.n_units)
            for i in range(layer.n_units):
                if tighten and k > 0 and l[i] < 0 < u[i] and time.monotonic() < self.deadline:
                    l[i], u[i] = self._lp_bounds((Z[i], z0[i]), l[i], u[i])
                if l[i] >= 0:
                    newH[i], newh0[i] = Z[i], z0[i]
                elif u[i] <= 0:
                    continue
                else:
                    h = self.m.var(0.0, u[i])
                    a = self.m.var(0, 1, integer=True)
                    zc, zk = _expr_row((Z[i], z0[i]), len(self.m.lb))
                    # h - z >= 0 ; h - z - l a <= -l ; h - u a <= 0
                    self.m.row({**{j: -v for j, v in zc.items()}, h: 1.0}, zk, np.inf)
                    self.m.row({**{j: -v for j, v in zc.items()}, h: 1.0, a: -l[i]}, -np.inf, zk - l[i])
                    self.m.row({h: 1.0, a: -u[i]}, -np.inf, 0.0)
                    newH[i, h] = 1.0
            H, h0 = newH, newh0
        return H, h0

    def objective(self, spec, r):
        H, h0 = self.hidden
        out = self.net.layers[-1]
        w = spec.C[r] @ out.weights
        coefs = w @ H
        const = float(w @ h0 + spec.C[r] @ out.bias + spec.d[r])
        return coefs[:len(self.m.lb)], const

    def point(self, x):
        E, e0 = self.input
        return E[:, :len(x)] @ x + e0

    def solve(self, c, extra_row=None):
        n = len(self.m.lb)
        A = self.m.matrix()
        lo, hi = list(self.m.rlo), list(self.m.rhi)
        cons = [LinearConstraint(A, lo, hi)] if A.shape[0] else []
        if extra_row is not None:
            cons.append(LinearConstraint(csr_matrix(extra_row[0][None, :n]), -np.inf, extra_row[1]))
        t = max(0.05, self.deadline - time.monotonic())
        return milp(c, integrality=np.array(self.m.integ), bounds=Bounds(self.m.lb, self.m.ub),
                    constraints=cons, options={"time_limit": t, "disp": False})


class UnsupportedLiteral(ValueError):
    """An m-of-n literal the MILP does not encode (a set test on a numeric feature)."""


def relu_query(network, spec, domain, piece, exclude, deadline, *, delta, confirm, tighten=True, mofns=()):
    """Decide ``spec`` on ``piece`` (with its m-of-n tests ``mofns``) minus the boxes ``exclude`` exactly.

    An entry of ``exclude`` is a box or a pair ``(box, m-of-n tests)``.

    Returns
    -------
    dict
        ``status`` certified | counterexample | unknown, ``row`` (confirmed counterexample or None),
        ``bound`` (the smallest proven lower bound of the margins), ``note``.
    """
    worst = np.inf
    for strict in (False, True):
        try:
            b = _Builder(network, domain, piece, exclude, deadline, strict, tighten, mofns)
        except UnsupportedLiteral as exc:
            return {"status": "unknown", "row": None, "bound": -np.inf, "note": str(exc)}
        if not b.feasible:
            return {"status": "certified", "row": None, "bound": np.inf, "note": "empty region"}
        spurious = False
        for r in range(spec.C.shape[0]):
            c, const = b.objective(spec, r)
            res = b.solve(c)
            if res.status == 2:            # infeasible: the region is empty
                return {"status": "certified", "row": None, "bound": np.inf, "note": "empty region"}
            dual = getattr(res, "mip_dual_bound", None)
            low = (dual + const) if dual is not None and np.isfinite(dual) else -np.inf
            if low > delta:
                worst = min(worst, low)
                continue
            if res.x is not None and res.fun + const <= delta:
                row = confirm(b.point(res.x)[None, :])
                if row is None and res.fun + const > -delta:
                    # margin in (-delta, delta]: ask for a point with a clearly negative margin
                    res2 = b.solve(c, extra_row=(c, -delta - const))
                    if res2.x is not None:
                        row = confirm(b.point(res2.x)[None, :])
                if row is not None:
                    return {"status": "counterexample", "row": row, "bound": low, "note": ""}
                if res.fun + const > -delta:
                    return {"status": "unknown", "row": None, "bound": low,
                            "note": "the smallest margin is within delta of 0 (a near tie): not provable"}
                spurious = True
                break
            if time.monotonic() >= deadline:
                return {"status": "unknown", "row": None, "bound": low, "note": "budget"}
            return {"status": "unknown", "row": None, "bound": low, "note": f"solver status {res.status}"}
        else:
            if not strict:
                return {"status": "certified", "row": None, "bound": worst, "note": ""}
            # the closure has a point below the margin, the inside does not (beyond STRICT_EPS): the
            # margin tends to 0 towards an open face; a proof with margin delta is impossible there
            break
        if not spurious or time.monotonic() >= deadline:
            break
    return {"status": "unknown", "row": None, "bound": -np.inf,
            "note": "the margin tends to 0 towards an open face of the region (a near tie)"}
