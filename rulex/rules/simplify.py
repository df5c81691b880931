"""Simplification of a disjunction of conjunctions (one class's DNF), sympy-backed, under a size budget."""
from __future__ import annotations

import warnings

from .conditions import Condition, MofN
from .intervals import fold, implies

__all__ = ["simplify_dnf"]

_POSITIVE = {"<=": "<=", ">": "<=", "==": "==", "!=": "==", "in": "in", "not in": "in",
             "is missing": "is missing", "is not missing": "is missing"}


def _remove_subsumed(clauses, schema, check=None):
    kept = []
    calls = 0
    for i, c in enumerate(clauses):
        dominated = False
        for j, d in enumerate(clauses):
            if i == j:
                continue
            if check is not None and calls % 512 == 0:     # quadratic: check within a row of pairs too
                check()
            calls += 1
            if implies(c, d, schema) and (not implies(d, c, schema) or j < i):
                dominated = True   # c's box lies inside d's (equal boxes: keep the first)
                break
        if not dominated:
            kept.append(c)
    return kept


def simplify_dnf(clauses, schema=None, max_symbols: int = 8, check=None):
    """Return an equivalent, usually smaller, list of conjunctions.

    1. folds each conjunction into one interval/set per feature and drops the empty ones;
    2. drops conjunctions whose box lies inside another's (exact for a disjunction);
    3. if at most ``max_symbols`` distinct tests remain, minimises the disjunction with
       :func:`sympy.logic.boolalg.simplify_logic` (each test, or its negation, is one symbol;
       relations between thresholds are not known to sympy, so this step is sound, never lossy).

    Above the budget step 3 is skipped with a warning; the result is still exact. ``check``, if
    given, is called every few clauses (a caller's time budget: it raises to stop the work).
    """
    folded = []
    for i, c in enumerate(clauses):
        if check is not None and i % 64 == 0:
            check()
        f = fold(c, schema)
        if f is not None and f not in folded:
            folded.append(f)
    if any(len(c) == 0 for c in folded):
        return [()]
    folded = _remove_subsumed(folded, schema, check)
    literals: dict = {}
    for clause in folded:
        for lit in clause:
            key = lit if isinstance(lit, MofN) else Condition(lit.feature, _POSITIVE[lit.op], lit.value)
            literals.setdefault(key, None)
    if len(folded) <= 1 or not literals:
        return folded
    if len(literals) > max_symbols:
        warnings.warn(f"simplify_dnf: {len(literals)} distinct tests exceed max_symbols={max_symbols}; "
                      "skipped Boolean minimisation (the rules are exact, just not minimal)", stacklevel=2)
        return folded
    from sympy import And, Not, Or, Symbol
    from sympy.logic.boolalg import simplify_logic

    sym = {lit: Symbol(f"t{i}") for i, lit in enumerate(literals)}
    back = {s: lit for lit, s in sym.items()}

    def to_expr(lit):
        if isinstance(lit, MofN):
            return sym[lit]
        pos = Condition(lit.feature, _POSITIVE[lit.op], lit.value)
        return sym[pos] if pos == lit else Not(sym[pos])

    expr = Or(*[And(*[to_expr(l) for l in clause]) for clause in folded])
    simple = simplify_logic(expr, form="dnf", force=True)
    if simple is True or str(simple) == "True":
        return [()]
    if simple is False or str(simple) == "False":
        return []
    terms = simple.args if isinstance(simple, Or) else (simple,)
    out = []
    for term in terms:
        lits = term.args if isinstance(term, And) else (term,)
        conds = []
        for l in lits:
            if isinstance(l, Not):
                conds.append(back[l.args[0]].negate())
            else:
                conds.append(back[l])
        f = fold(conds, schema)
        if f is not None and f not in out:
            out.append(f)
    out = _remove_subsumed(out, schema, check)
    # keep whichever is smaller: sympy's form or the folded input
    size = lambda cl: sum(sum(x.size() for x in c) for c in cl)
    return out if (len(out), size(out)) <= (len(folded), size(folded)) else folded
