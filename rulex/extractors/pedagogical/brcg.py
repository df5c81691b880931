"""Boolean rule sets by column generation (BRCG, Dash, Guenluek & Wei 2018) on network labels,
solved with SciPy's HiGHS (``linprog`` for the master LP and its duals, ``milp`` for the final
integer program).

Conditions are binarised in the user's units (quantile cuts plus the cuts of a shallow CART
fitted to the network's labels, ``<=`` and ``>``; ``==`` and ``!=`` per category). For each class
but the most frequent (smallest first, as a decision list), a DNF is chosen among generated
clauses: columns are priced by a beam search on the LP duals; the final integer program counts
errors exactly (a negative covered by several clauses counts once) and either

* minimises conditions subject to fidelity >= ``fidelity_target`` on the labelled sample, or
* maximises fidelity subject to at most ``max_conditions`` conditions, or
* (neither given) minimises errors + ``complexity`` x n x conditions.

The work is bounded by counts, so the same ``random_state`` gives the same rules on any machine:
``max_iterations`` column-generation rounds per class, ``max_nodes`` branch-and-bound nodes per integer
program. The provenance says whether every integer program was solved to proven optimality (over the
generated clauses) within its node budget. The chosen clauses are then refined on the whole
labelled pool (every threshold, category set and literal re-chosen exactly against the list's
agreement with the network, see ``rulex.extractors._list_refinement``; provenance ``refined``). The
wall clock (``max_seconds``) is only a safety net; a result it cut short says so.
"""
from __future__ import annotations

import numpy as np

from ...rules import Rule, RuleSet  # noqa: F401  (RuleSet built by to_ruleset)
from .._sequential_covering import Clock, rule_mask
from .._list_refinement import REFINE_ROWS, refine_ordered
from .._value_table import Lit, ValueTable
from ..base import Interval, Options, PedagogicalExtractor, register
from ..budget import SAFETY_SECONDS, WALL_CLOCK
from ..sampling import Sampler
from .cover import draw_points, to_ruleset

__all__ = ["BRCG"]


def binarise(table, V, y, n_thresholds: int, random_state) -> list:
    """Candidate literals on the pool ``V``: quantile and CART cuts, category tests."""
    from sklearn.tree import DecisionTreeClassifier
    lits = []
    Vf = V          # missing values (NaN) stay: scikit-learn's trees route them natively
    tree = DecisionTreeClassifier(max_depth=4, random_state=random_state).fit(Vf[:, table.continuous] if
                                                                               table.continuous.any() else
                                                                               np.zeros((len(V), 1)), y)
    cont_idx = np.flatnonzero(table.continuous)
    tree_cuts: dict = {}
    t = tree.tree_
    for node in range(t.node_count):
        if t.children_left[node] != -1 and table.continuous.any():
            tree_cuts.setdefault(int(cont_idx[t.feature[node]]), set()).add(float(t.threshold[node]))
    for j in range(V.shape[1]):
        x = V[:, j][~np.isnan(V[:, j])]
        if table.continuous[j]:
            u = np.unique(x)
            if len(u) < 2:
                continue
            qs = np.unique(np.quantile(x, np.linspace(0, 1, n_thresholds + 2)[1:-1]))
            cuts = set()
            for q in list(qs) + sorted(tree_cuts.get(j, ())):
                i = int(np.searchsorted(u, q, side="right")) - 1      # largest value <= q
                if 0 <= i < len(u) - 1:
                    cuts.add(float(table.threshold(j, u[i:i + 1], u[i + 1:i + 2])[0]))
            for c in sorted(cuts):
                lits += [Lit(j, "le", c), Lit(j, "gt", c)]
        else:
            K = table.n_codes(j)
            present = sorted(int(c) for c in np.unique(x))
            if len(present) < 2:
                continue
            for c in present:
                lits.append(Lit(j, "in", (c,)))
                if K > 2:
                    lits.append(Lit(j, "in", tuple(k for k in range(K) if k != c)))
    return lits


def _price(L, r, lam0, lam1, max_degree, beam, k_out, used):
    """Beam search for clauses (sets of literal columns of ``L``) of most negative reduced cost
    ``sum_i r_i a_i + lam0 + lam1 * degree``; returns up to ``k_out`` (value, columns)."""
    n, _m = L.shape
    Lf = L.astype(np.float64)
    frontier = [((), np.ones(n, dtype=bool))]
    found, seen = {}, set()
    for d in range(1, max_degree + 1):
        children = []
        for cols, mask in frontier:
            rm = np.where(mask, r, 0.0)
            vals = rm @ Lf + lam0 + lam1 * d
            # lower bound of any extension: keep only the negative r rows still covered
            lbs = np.minimum(rm, 0.0) @ Lf + lam0 + lam1 * (d + 1)
            for j in np.argsort(vals, kind="stable")[:4 * beam]:
                if j in cols:
                    continue
                new = tuple(sorted(cols + (int(j),)))
                if new in seen:
                    continue
                seen.add(new)
                v = float(vals[j])
                if v < -1e-6 and new not in used:
                    found[new] = v
                children.append((0.5 * v + 0.5 * float(lbs[j]), float(lbs[j]), new, mask & L[:, j]))
        worst = sorted(found.values())[k_out - 1] if len(found) >= k_out else 0.0
        children = [c for c in children if c[1] < worst - 1e-6]
        children.sort(key=lambda c: (c[0], c[2]))
        frontier = [(c[2], c[3]) for c in children[:beam]]
        if not frontier:
            break
    best = sorted(found.items(), key=lambda kv: (kv[1], kv[0]))[:k_out]
    return [(v, cols) for cols, v in best]


@register
class BRCG(PedagogicalExtractor):
    """Boolean rule sets by column generation and a HiGHS integer program, on network labels.

    Parameters
    ----------
    fidelity_target : float in [0, 1] or None, default None
        Smallest DNF (fewest conditions) whose agreement with the network on the labelled sample
        reaches this value (per class stage). Falls back to the most faithful one found when no
        generated DNF reaches it (provenance ``target_met``).
    max_conditions : int or None, default None
        Most faithful DNF with at most this many conditions (per class stage).
    complexity : float, default 0.002
        With neither of the above: minimise error rate + ``complexity`` x conditions.
    max_degree : int, default 4
        Most conditions per clause.
    n_thresholds : int, default 9
        Quantile cuts per numeric feature (CART cuts on the network's labels are added).
    n_samples : int, default 500
        Sampler points labelled by the network added to the training rows.
    max_rows : int, default 1000
        Rows of the labelled pool the optimisation uses (a random subset when larger).
    max_columns : int, default 40
        Most clauses the integer program chooses from (those of the last LP solution first).
    max_iterations : int, default 20
        Column-generation rounds per class.
    beam_width : int, default 8
    max_nodes : int, default 5000
        Branch-and-bound nodes per integer program: a limit in work, not time, so that the
        same ``random_state`` gives the same rules (``max_seconds`` remains a safety net). With
        ``max_iterations`` the work budget.
    max_seconds : float or None, default 1200
        Safety net only, shared by the whole extraction (the integer programs get what is left): a
        wall-clock limit a normal run never reaches. When it, not the work budget, stops the run, the
        rules depend on the machine's load; the provenance says so (``complete: False``,
        ``budget.stopped_by: "max_seconds"``) with a :class:`~rulex.PartialResultWarning`.
    on_budget : {"partial", "error"}, default "partial"
        When the wall clock runs out: keep the clauses found so far, or raise.
    random_state : int or None, default 0
    """

    name = "brcg"
    _row_parameters = {"n_samples": 6}
    description = "Boolean rule sets by column generation + HiGHS integer program (near-optimal DNF)"
    _parameter_constraints = {
        "fidelity_target": [Interval(float, 0.0, 1.0), None],
        "max_conditions": [Interval(int, 1, None), None],
        "complexity": [Interval(float, 0.0, None)],
        "max_degree": [Interval(int, 1, None)],
        "n_thresholds": [Interval(int, 1, None)],
        "n_samples": [Interval(int, 0, None)],
        "max_rows": [Interval(int, 10, None)],
        "max_columns": [Interval(int, 1, None)],
        "max_iterations": [Interval(int, 0, None)],
        "beam_width": [Interval(int, 1, None)],
        "max_nodes": [Interval(int, 1, None)],
        "max_seconds": [Interval(float, 0.0, None), None],
        "on_budget": [Options(("partial", "error"))],
        "random_state": [Interval(int, 0, None), None],
    }

    def __init__(self, fidelity_target=None, max_conditions=None, complexity=0.002, max_degree=4, n_thresholds=9,
                 n_samples=500, max_rows=1000, max_columns=40, max_iterations=20, beam_width=8, max_nodes=5000,
                 max_seconds=SAFETY_SECONDS, on_budget="partial", random_state=0):
        self.fidelity_target = fidelity_target
        self.max_conditions = max_conditions
        self.complexity = complexity
        self.max_degree = max_degree
        self.n_thresholds = n_thresholds
        self.n_samples = n_samples
        self.max_rows = max_rows
        self.max_columns = max_columns
        self.max_iterations = max_iterations
        self.beam_width = beam_width
        self.max_nodes = max_nodes
        self.max_seconds = max_seconds
        self.on_budget = on_budget
        self.random_state = random_state

    def _extract(self, network, dataset, X):
        clock = Clock(self.max_seconds, self.on_budget, self.name)
        rng = np.random.default_rng(self.random_state)
        table = ValueTable(network.encoder)
        S = np.zeros((0, X.shape[1]))
        if self.n_samples:
            S = draw_points(Sampler(network.encoder, X, random_state=self.random_state), self.n_samples)
        # the pool is the training rows then the sampler's points; the optimisation uses max_rows of
        # them, the final refinement all of them up to REFINE_ROWS (beyond: the same max_rows). Only
        # the rows used are tabulated and labelled, each once.
        n_pool = len(X) + len(S)
        keep = np.sort(rng.choice(n_pool, self.max_rows, replace=False)) if n_pool > self.max_rows \
            else np.arange(n_pool)
        rows = np.arange(n_pool) if n_pool <= REFINE_ROWS else keep
        kx, ks = rows[rows < len(X)], rows[rows >= len(X)] - len(X)
        parts = [(table.from_frame(dataset.frame.iloc[kx]), network.predict_index(X[kx]))]
        if len(ks):
            parts.append((table.from_encoded(S[ks]), network.predict_index(S[ks])))
        V_all, y_all = np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        V, y = (V_all[keep], y_all[keep]) if len(rows) == n_pool else (V_all, y_all)
        lits = binarise(table, V, y, self.n_thresholds, self.random_state)
        L = np.column_stack([lit.evaluate(V) for lit in lits]) if lits else np.zeros((len(V), 0), dtype=bool)
        n_classes = len(network.classes)
        freq = np.bincount(y, minlength=n_classes)
        order = [k for k in sorted(range(n_classes), key=lambda k: (freq[k], k)) if freq[k] > 0] or [0]
        rules, stages = [], []
        active = np.ones(len(V), dtype=bool)
        for k in order[:-1]:
            if clock.over("generating clauses"):
                break
            clauses, info = self._solve(L[active], y[active] == k, clock)
            stages.append({"class": network.classes[k], **info})
            for cols in clauses:
                lits_k = [lits[j] for j in cols]
                rules.append((lits_k, k, 1.0))
                active &= ~rule_mask(lits_k, V)
        # the chosen clauses' cuts are quantile or CART cuts of a subsample: re-choose every threshold,
        # category set and literal exactly on the whole labelled pool (agreement never falls)
        refined = refine_ordered(rules, order[-1], V_all, y_all, table, clock=clock)
        extra = {
            "refined": refined != rules,
            "proven_optimal": bool(stages) and all(s["ip_optimal"] for s in stages) and not clock.hit,
            "budget_exhausted": bool(clock.hit), "stages": stages, "literals": len(lits), "rows": len(V),
            "max_iterations": self.max_iterations, "max_nodes": self.max_nodes, **clock.provenance()}
        return to_ruleset(refined, order[-1], "ordered", table, network), extra

    # -- one class: column generation + integer program ------------------------------------------
    def _solve(self, L, pos, clock):
        from scipy.optimize import linprog
        n = len(pos)
        P, Z = np.flatnonzero(pos), np.flatnonzero(~pos)
        if not len(P) or not L.shape[1]:
            return [], {"ip_optimal": True, "columns": 0, "errors": len(P), "rows": n, "target_met": True}
        lam0, lam1 = self.complexity, self.complexity
        cols = [(j,) for j in range(L.shape[1])]
        used = set(cols)

        def cover(c):
            return np.all(L[:, list(c)], axis=1)

        A = [cover(c) for c in cols]
        lp_w = np.zeros(len(cols))
        for _ in range(self.max_iterations):
            if clock.over("column generation"):
                break
            Am = np.column_stack(A)
            cost = np.array([a[Z].sum() / n + lam0 + lam1 * len(c) for a, c in zip(A, cols)])
            m = len(cols)
            c_lp = np.concatenate([cost, np.full(len(P), 1.0 / n)])
            A_ub = -np.hstack([Am[P].astype(float), np.eye(len(P))])
            res = linprog(c_lp, A_ub=A_ub, b_ub=-np.ones(len(P)), bounds=(0, None), method="highs")
            if res.status != 0:
                break
            mu = -res.ineqlin.marginals
            lp_w = res.x[:len(cols)]
            r = np.zeros(n)
            r[Z] = 1.0 / n
            r[P] = -mu
            new = _price(L, r, lam0, lam1, self.max_degree, self.beam_width, 10, used)
            if not new:
                break
            for _, c in new:
                used.add(c)
                cols.append(c)
                A.append(cover(c))
            del m
        return self._integer_program(np.column_stack(A), cols, P, Z, n, clock, lp_w)

    def _integer_program(self, A, cols, P, Z, n, clock, lp_w):
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import csr_matrix, hstack, identity
        # the clauses of the last LP solution, then the most precise others, at most max_columns
        useful = [i for i in range(A.shape[1]) if A[P, i].any()]
        if len(useful) > self.max_columns:
            w = np.concatenate([lp_w, np.zeros(A.shape[1] - len(lp_w))])
            key = [(-int(w[i] > 1e-9), -int(A[P, i].sum() - A[Z, i].sum()), len(cols[i]), i) for i in useful]
            useful = sorted(useful[t] for t in sorted(range(len(useful)), key=lambda t: key[t])[:self.max_columns])
        A = A[:, useful]
        cols = [cols[i] for i in useful]
        m = A.shape[1]
        if m == 0:
            return [], {"ip_optimal": True, "columns": 0, "errors": len(P), "rows": n, "target_met": False}
        # identical rows (same clauses hold, same label) become one row with a count
        gP, wP = np.unique(A[P], axis=0, return_counts=True) if len(P) else (np.zeros((0, m), bool), np.zeros(0))
        gZ, wZ = np.unique(A[Z], axis=0, return_counts=True) if len(Z) else (np.zeros((0, m), bool), np.zeros(0))
        nP, nZ = len(gP), len(gZ)
        size = np.array([len(c) for c in cols], dtype=float)
        # variables: w (m), xi (nP: positive groups missed), delta (nZ: negative groups covered)
        AP = csr_matrix(gP.astype(float))
        cons = [LinearConstraint(hstack([AP, identity(nP), csr_matrix((nP, nZ))]), lb=1, ub=np.inf)]
        rows_i, cols_i = np.nonzero(gZ)      # delta_g >= w_k for every clause k covering negative group g
        k = len(rows_i)
        if k:
            M = csr_matrix((np.concatenate([np.ones(k), -np.ones(k)]),
                            (np.concatenate([np.arange(k), np.arange(k)]),
                             np.concatenate([cols_i, m + nP + rows_i]))), shape=(k, m + nP + nZ))
            cons.append(LinearConstraint(M, lb=-np.inf, ub=0))
        err = np.concatenate([np.zeros(m), wP.astype(float), wZ.astype(float)])
        cplx = np.concatenate([size, np.zeros(nP + nZ)])
        target_met = True
        if self.fidelity_target is not None:
            allowed = np.floor((1.0 - self.fidelity_target) * n + 1e-9)
            cons.append(LinearConstraint(csr_matrix(err[None, :]), lb=-np.inf, ub=allowed))
            c = cplx + 1e-3 * err / max(n, 1)
        elif self.max_conditions is not None:
            cons.append(LinearConstraint(csr_matrix(cplx[None, :]), lb=-np.inf, ub=self.max_conditions))
            c = err + 1e-4 * cplx
        else:
            c = err + self.complexity * n * cplx
        left = None if self.max_seconds is None else max(self.max_seconds - clock.elapsed(), 1.0)
        opts = {"disp": False, "node_limit": self.max_nodes, **({} if left is None else {"time_limit": left})}
        integrality = np.concatenate([np.ones(m), np.zeros(nP + nZ)])
        bounds = Bounds(np.zeros(m + nP + nZ), np.ones(m + nP + nZ))
        started = clock.elapsed()
        res = milp(c, integrality=integrality, bounds=bounds, constraints=cons, options=opts)
        if res.x is None and self.fidelity_target is not None:
            # the target is out of reach with these clauses: the most faithful DNF instead
            target_met = False
            res = milp(err + 1e-4 * cplx, integrality=integrality, bounds=bounds, constraints=cons[:-1],
                       options=opts)
        if res.status == 1 and left is not None and clock.elapsed() - started >= left:
            clock.stop(WALL_CLOCK, "solving an integer program")    # HiGHS's time limit, not its node limit
            clock.hit = True
        greedy = _greedy(A, P, Z, size, c_size=(self.complexity * n if self.fidelity_target is None
                                                and self.max_conditions is None else 0.0),
                         budget=self.max_conditions)
        w = greedy
        optimal = False
        if res.x is not None:
            w_ip = res.x[:m] > 0.5
            if res.status == 0 or _errors(A, P, Z, w_ip) <= _errors(A, P, Z, greedy):
                w, optimal = w_ip, bool(res.status == 0)
        chosen = [cols[i] for i in range(m) if w[i]]
        errors = _errors(A, P, Z, w)
        if self.fidelity_target is not None:
            target_met = target_met and errors <= (1.0 - self.fidelity_target) * n + 1e-9
        return chosen, {"ip_optimal": optimal, "columns": m, "errors": errors, "rows": n,
                        "target_met": bool(target_met)}


def _errors(A, P, Z, w) -> int:
    covered = A[:, w].any(axis=1) if w.any() else np.zeros(A.shape[0], dtype=bool)
    return int((~covered[P]).sum() + covered[Z].sum())


def _greedy(A, P, Z, size, c_size: float, budget) -> np.ndarray:
    """Fallback when the solver runs out of time: add the clause that removes the most errors
    (minus ``c_size`` per condition) while that gain is positive and the budget allows."""
    m = A.shape[1]
    w = np.zeros(m, dtype=bool)
    covered = np.zeros(A.shape[0], dtype=bool)
    used = 0.0
    while True:
        newP = (A[P] & ~covered[P, None]).sum(axis=0)
        newZ = (A[Z] & ~covered[Z, None]).sum(axis=0)
        gain = newP - newZ - c_size * size
        gain[w] = -np.inf
        if budget is not None:
            gain[used + size > budget] = -np.inf
        j = int(np.argmax(gain))
        if not gain[j] > 0:
            return w
        w[j] = True
        used += size[j]
        covered |= A[:, j]
