"""The oracle bound of ``rule_learners.py --oracle-bound``: a DNF rule set of at most ``k`` conditions
chosen *on the test rows themselves* (with the network's labels of those rows), not a method.

It answers one question about a data set where no rulex method reaches the best peer's fidelity
(minus 0.005) with at most half its conditions: is that impossible for rule sets of that size, or
do rulex's fits on the training rows fall short of a rule set that exists?

* Candidate conditions: ``x <= t`` and ``x > t`` at every midpoint between neighbouring distinct
  values of a numeric feature on the test rows where the network's label changes (moving a
  threshold across a run of rows of one label changes the agreement monotonically, so these cuts
  suffice), ``x == c`` and ``x != c`` for each category present (``!=`` only with more than two).
* Search: best-improvement local search from the empty rule set, each step the best of adding a
  condition to a rule, adding a one-condition rule, dropping a condition or replacing one (every
  replacement scored exactly at once), until no step raises agreement or the budget is reached;
  the rules conclude one class, the default is the other (with more than two classes the commonest
  other one), every class tried.

The search is a heuristic, so its fidelity is a *lower* bound on the best such rule set: a value at
or above the target shows the target is not impossible at that size (the rule set exists); a value
below it does not prove impossibility.
"""
from __future__ import annotations

import numpy as np

import rulex


def boundary_literals(frame, features, y) -> list:
    """``[(Condition, mask)]`` on ``frame``'s rows: numeric cuts where the 0/1 label ``y`` changes,
    category tests; conditions true on no row or on every row, and repeated masks, are left out."""
    out: list = []
    for f in features:
        col = frame[f.name]
        if f.kind in ("numeric", "integer"):
            x = col.to_numpy(dtype=float)
            u = np.unique(x[~np.isnan(x)])
            labels = [set(y[x == v].tolist()) for v in u]
            for i in range(len(u) - 1):
                if len(labels[i] | labels[i + 1]) > 1:
                    t = float((u[i] + u[i + 1]) / 2)
                    out += [(rulex.Condition(f.name, "<=", t), x <= t), (rulex.Condition(f.name, ">", t), x > t)]
        else:
            values = col.to_numpy(dtype=object)
            cats = list(dict.fromkeys(v for v in values if v == v))       # present, in order, no NaN
            for c in cats:
                out.append((rulex.Condition(f.name, "==", c), values == c))
                if len(cats) > 2:
                    out.append((rulex.Condition(f.name, "!=", c), values != c))
    seen: dict = {}
    for cond, mask in out:
        mask = np.asarray(mask, dtype=bool)
        if mask.any() and not mask.all():
            seen.setdefault(mask.tobytes(), (cond, mask))
    return list(seen.values())


def _covered(A, clauses) -> np.ndarray:
    out = np.zeros(A.shape[0], bool)
    for c in clauses:
        out |= A[:, c].all(axis=1)
    return out


def _steps(A, Af, y, s, clauses, k):
    """Every rule set one step from ``clauses`` worth scoring: ``(agreement, clauses)`` of the best
    replacement, addition or new rule per rule and position, and every removal."""
    covs = [A[:, c].all(axis=1) for c in clauses]
    total = sum(len(c) for c in clauses)
    for j in range(len(clauses) + 1):
        other = np.zeros(len(y), bool)
        for i, cv in enumerate(covs):
            if i != j:
                other |= cv
        base = float(np.sum(other & y) + np.sum(~other & ~y))
        clause = clauses[j] if j < len(clauses) else []
        variants = []              # (kept literals, position of the new one)
        if total < k:
            variants.append((clause, len(clause)))
        for i in range(len(clause)):
            rest = clause[:i] + clause[i + 1:]
            variants.append((rest, i))
            smaller = clauses[:j] + ([rest] if rest else []) + clauses[j + 1:]
            yield float(np.sum(_covered(A, smaller) == y)), smaller
        for rest, pos in variants:
            free = ~other & (A[:, rest].all(axis=1) if rest else np.ones(len(y), bool))
            vals = base + s[free] @ Af[free]
            vals[rest] = -np.inf
            best = int(np.argmax(vals))
            new = rest[:pos] + [best] + rest[pos:]
            yield float(vals[best]), clauses[:j] + [new] + clauses[j + 1:]


def local_search_dnf(A, y, k: int, max_steps: int = 200) -> tuple[list, int]:
    """``(clauses, agreement)``: a DNF over the columns of the boolean matrix ``A`` with at most ``k``
    literals in all, found by best-improvement local search, agreeing with the boolean ``y`` on
    ``agreement`` rows (ties: the first step found, so the same input gives the same rule set)."""
    A = np.asarray(A, dtype=bool)
    y = np.asarray(y, dtype=bool)
    Af, s = A.astype(np.float64), np.where(y, 1.0, -1.0)
    clauses: list = []
    score = float(np.sum(~y))
    for _ in range(max_steps):
        best = max(_steps(A, Af, y, s, clauses, k), key=lambda t: t[0], default=(score, clauses))
        if best[0] <= score + 1e-9:
            break
        score, clauses = best
    return clauses, int(round(score))


def dnf_within(net, rows, k: int):
    """The most faithful on ``rows`` of the two DNF rule sets (one per concluding class) of at most
    ``k`` conditions that :func:`local_search_dnf` finds on ``rows`` and the network's labels of them:
    a rulex RuleSet (unordered; the default is the other class, with more than two classes the
    commonest other one). With the test rows this is the oracle
    bound; with the training rows, the same search as an honest fit."""
    target = np.asarray(net.predict(rows.frame), dtype=object)
    best = None
    for cls in net.classes:
        y = target == cls
        rest = [c for c in net.classes if c != cls]
        other = max(rest, key=lambda c: (int(np.sum(target == c)), -rest.index(c)))   # commonest other class
        lits = boundary_literals(rows.frame, net.schema.features, y.astype(int))
        clauses = local_search_dnf(np.column_stack([m for _, m in lits]), y, k)[0] if lits else []
        rules = rulex.RuleSet([rulex.Rule([lits[i][0] for i in c], cls) for c in clauses], other,
                              semantics="unordered", classes=tuple(net.classes))
        fid = float(np.mean(np.asarray(rules.predict(rows.frame), dtype=object) == target))
        if best is None or fid > best[0]:
            best = (fid, rules)
    return best[1]
