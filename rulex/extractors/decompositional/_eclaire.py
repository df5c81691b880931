"""The top-level clauses DeepRED rewrites over the inputs: from the last hidden layer only (DeepRED,
Zilke et al. 2016) or from every hidden layer (ECLAIRE, Espinosa Zarlenga, Shams & Jamnik 2021).

For each chosen hidden layer ``l`` a tree learns the network's class from layer ``l``'s
activations; each of its leaves is a clause over layer-``l`` units ("h2_3 > 0.41 and
h2_7 <= 0.1 -> class c"). DeepRED keeps the last layer's clauses of the non-default
classes (the default decides elsewhere); ECLAIRE keeps every layer's clauses of every
class, so that the rules learned through different layers vote against each other.

Intermediate-term pruning by coverage: a clause true on fewer than ``min_coverage`` of the
rows is dropped before anything is learned for it -- its input tree would see a target that
is almost always false, and the rule it gave would speak for too few rows to be trusted.

The union repeats itself (the layers describe the same function), so ``drop_redundant_rules``
removes, one at a time, the rules the vote does not need on the extraction rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...rules import RuleSet

__all__ = ["drop_redundant_rules", "layer_clauses"]


def layer_clauses(hidden, frames, y, default: int, *, layers: str, min_coverage: float, tree) -> tuple:
    """``(clauses, n_pruned)``: ``clauses`` is a list of ``(layer, class index, clause)``, the clauses
    with the largest coverage first (so a budget cut keeps the most support), ties broken by the
    deeper layer, the class and the clause text; ``n_pruned`` counts the clauses dropped for coverage.

    ``layers="last"``: the last hidden layer's clauses of the non-default classes;
    ``"all"``: every hidden layer's clauses of every class. ``tree(A, y, names)`` learns a layer's tree
    as ``{label: [conjunction, ...]}`` (the extractor's intermediate tree).
    """
    k = len(hidden)
    n = len(y)
    chosen = [k] if layers == "last" else list(range(k, 0, -1))
    every_class = layers == "all"
    floor = max(1, int(np.ceil(min_coverage * n)))
    keyed, pruned = [], 0
    for layer in chosen:
        frame = frames[layer]
        top = tree(hidden[layer - 1], y, list(frame.columns))
        for cls, conjs in top.items():
            if cls == default and not every_class:
                continue
            for c in conjs:
                mask = np.ones(n, dtype=bool)
                for lit in c:
                    mask &= lit.evaluate(frame)
                cover = int(mask.sum())
                if cover < floor:
                    pruned += 1
                    continue
                keyed.append((-cover, -layer, cls, str(c), layer, c))
    keyed.sort(key=lambda t: t[:4])
    return [(t[4], t[2], t[5]) for t in keyed], pruned


def drop_redundant_rules(rules: RuleSet, X: np.ndarray, y_idx: np.ndarray, input_names) -> tuple:
    """``(rules, n_dropped)``: the rules, but those whose removal leaves the vote's agreement with the
    network on the extraction rows ``X`` (labels ``y_idx``) no lower. Rules are tried once each, those
    covering the fewest rows first (then the lowest weight, then the text): the rules the union of
    several layers repeats are the ones that go. Exact: every trial re-decides the rows the rule covers
    with :meth:`RuleSet.decide`, ties and the default included."""
    if len(rules.rules) < 2:
        return rules, 0
    frame = pd.DataFrame(X, columns=list(input_names))
    M = rules.matches(frame)
    classes = list(rules.classes)
    conclusion = np.array([classes.index(r.conclusion) for r in rules.rules] + [classes.index(rules.default)])
    alive = np.ones(len(rules.rules), dtype=bool)
    cover = M.sum(axis=0)
    order = sorted(range(len(rules.rules)), key=lambda j: (int(cover[j]), rules.rules[j].weight, str(rules.rules[j])))

    def agreement(rows, keep):
        kept = np.flatnonzero(keep)
        sub = rules.replace(rules=[rules.rules[j] for j in kept])
        decided = sub.decide(frame.iloc[rows], matches=M[np.ix_(rows, kept)])
        pred = conclusion[np.where(decided >= 0, kept[np.maximum(decided, 0)] if len(kept) else -1, -1)]
        return int(np.sum(pred == y_idx[rows]))

    for j in order:
        rows = np.flatnonzero(M[:, j])
        trial = alive.copy()
        trial[j] = False
        if not trial.any():
            break
        if agreement(rows, trial) >= agreement(rows, alive):
            alive = trial
    kept_rules = [r for r, a in zip(rules.rules, alive) if a]
    return rules.replace(rules=kept_rules), int((~alive).sum())
