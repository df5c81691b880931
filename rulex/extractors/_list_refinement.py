"""Exact refinement of an ordered rule list on network-labelled rows (used by ``cover`` and ``brcg``).

A greedy learner fixes each literal once, when it is grown, against the rows left at that moment
and under a gain that favours precision: thresholds come out too tight, a concept's term is split
over two rules, a literal that only helped early stays. Here every literal of every rule is
re-chosen with the rest of the list fixed, against the agreement of the **whole list** with the
network's labels:

* for rule ``i`` and its literal ``l``, the rows that reach rule ``i`` and satisfy its other
  literals are the only ones whose prediction depends on ``l``; on each of them, firing rule ``i``
  instead of letting the row fall through to the rules after it (and the default) changes the
  agreement by ``[y == class_i] - [y == fall-through class]``;
* so the best threshold of a numeric literal (``<=`` or ``>``) is the best prefix or suffix sum of
  those changes in the order of the feature's values (every cut between neighbouring values is
  tried, the threshold is the midpoint as the learners print it), and the best category set of a
  discrete literal is the categories whose summed change is positive;
* dropping the literal is one more candidate, taken on ties (fewer conditions).

A change is kept only when the agreement rises (a drop of a literal or a rule when it does not
fall); passes repeat until nothing changes. Each step is exact on the rows given, so agreement
never decreases.
"""
from __future__ import annotations

import numpy as np

from ._sequential_covering import predict_rules, rule_mask
from ._value_table import Lit
from .budget import capped_rows

__all__ = ["REFINE_ROWS", "refine_ordered", "refine_rows"]

REFINE_ROWS = 50_000     # most labelled rows a refinement runs on (a seeded subsample beyond)


def refine_rows(V: np.ndarray, y: np.ndarray, random_state, limit: int = REFINE_ROWS):
    """``(V, y)``, or a seeded subsample of ``limit`` of their rows when there are more."""
    keep = capped_rows(len(V), limit, random_state)
    return (V, y) if keep is None else (V[keep], y[keep])


def _fall_through(rules, i, default, V):
    """Class index each row of ``V`` gets from ``rules[i + 1:]`` and the default."""
    return predict_rules(rules[i + 1:], default, "ordered", V, 0)


def _best_literal(table, lit, g, Vm):
    """Best replacement of ``lit`` given the per-row change ``g`` of firing (rows ``Vm``):
    ``(gain, Lit or None)``; None means drop the literal."""
    j = lit.j
    x = Vm[:, j]
    ok = ~np.isnan(x)
    best_gain, best_lit = float(g.sum()), None          # dropping the literal: the rule fires on all rows
    if table.continuous[j]:
        xs_order = np.argsort(x[ok], kind="stable")
        xs, gs = x[ok][xs_order], g[ok][xs_order]
        if len(xs) >= 2:
            cut = np.flatnonzero(xs[:-1] < xs[1:])
            if len(cut):
                cum = np.cumsum(gs)
                total = float(cum[-1])
                le, gt = cum[cut], total - cum[cut]
                thr = table.threshold(j, xs[cut], xs[cut + 1])
                for op, vals in (("le", le), ("gt", gt)):
                    i = int(np.argmax(vals))
                    if vals[i] > best_gain + 1e-9:
                        best_gain, best_lit = float(vals[i]), Lit(j, op, float(thr[i]))
    else:
        codes = x[ok].astype(np.int64)
        K = table.n_codes(j)
        gc = np.bincount(codes, weights=g[ok], minlength=K)
        keep = tuple(int(c) for c in np.flatnonzero(gc > 0))
        present = np.unique(codes)
        if keep and len(keep) < len(present):
            gain = float(gc[list(keep)].sum())
            if gain > best_gain + 1e-9:
                best_gain, best_lit = gain, Lit(j, "in", keep)
    return best_gain, best_lit


def _agreement(rules, default, V, y) -> float:
    return float(np.sum(predict_rules(rules, default, "ordered", V, 0) == y))


def refine_ordered(rules, default: int, V: np.ndarray, y: np.ndarray, table, max_passes: int = 6,
                   clock=None, rule_cost: float = 0.0) -> list:
    """Re-choose every literal of an ordered list ``[(lits, k, w), ...]`` and drop literals and rules,
    each step raising (or, for a drop, keeping) the list's agreement with ``y`` on ``V``.

    Parameters
    ----------
    rules : list of (list of Lit, int, float)
    default : int
        Class index of the default.
    V : ndarray
        Value table of the rows (see :class:`~rulex.extractors._value_table.ValueTable`).
    y : ndarray of int
        Network class indices of the rows.
    table : ValueTable
    max_passes : int
        Most passes over the list.
    clock : Clock or None
        Counts the work (the rows each literal is re-chosen on) and stops between steps when a budget
        is spent.
    rule_cost : float, default 0.0
        Share of the rows a rule must be worth: once nothing else changes, each rule (last first)
        is dropped and the others refined again; the smaller list is kept when it agrees with ``y``
        on no fewer than ``rule_cost * len(V)`` rows less. (A greedy learner often covers the rounded
        corner of a network's region with a second, overlapping box worth a few rows.)

    Returns
    -------
    list of (list of Lit, int, float)
        The refined list (new lists; the input is not modified).
    """
    rules = _refine(rules, default, V, y, table, max_passes, clock)
    if rule_cost <= 0 or len(rules) < 2:
        return rules
    allowed = rule_cost * len(V)
    i = len(rules) - 1
    while i >= 0 and len(rules) >= 2:
        if clock is not None and clock.over("refining rules"):
            break
        trial = _refine(rules[:i] + rules[i + 1:], default, V, y, table, max_passes, clock)
        if _agreement(trial, default, V, y) >= _agreement(rules, default, V, y) - allowed - 1e-9:
            rules = trial
            i = min(i, len(rules)) - 1
        else:
            i -= 1
    return rules


def _refine(rules, default, V, y, table, max_passes, clock) -> list:
    rules = [(list(lits), k, w) for lits, k, w in rules]
    if not rules or not len(V):
        return rules
    for _ in range(max_passes):
        changed = False
        i = 0
        while i < len(rules):
            if clock is not None and clock.over("refining rules"):
                return rules
            reach = np.ones(len(V), dtype=bool)
            for lits, _k, _w in rules[:i]:
                reach &= ~rule_mask(lits, V)
            Vr, yr = V[reach], y[reach]
            lits, k, w = rules[i]
            fall = _fall_through(rules, i, default, Vr)
            g_all = (yr == k).astype(np.float64) - (yr == fall)
            p = 0
            while p < len(lits):
                others = lits[:p] + lits[p + 1:]
                m = rule_mask(others, Vr)
                current = float(g_all[m & lits[p].evaluate(Vr)].sum())
                if clock is not None:
                    clock.spend(int(m.sum()))          # the work: the rows this literal is re-chosen on
                gain, new = _best_literal(table, lits[p], g_all[m], Vr[m])
                if new is None and gain >= current - 1e-9 and others:
                    lits = others            # drop the literal: agreement does not fall
                    changed = True
                    continue
                if new is not None and gain > current + 1e-9 and new != lits[p]:
                    lits = others[:p] + [new] + others[p:]
                    changed = True
                p += 1
            rules[i] = (lits, k, w)
            # drop the whole rule when the rows it decides do no better under the rules after it
            if float(g_all[rule_mask(lits, Vr)].sum()) <= 1e-9:
                del rules[i]
                changed = True
                continue
            i += 1
        if not changed:
            break
    return rules
