"""KT (Fu 1994; the subset search of Towell & Shavlik 1993): each unit as the minimal sets of
antecedents that switch it on whatever the other antecedents do.

For a unit ``u = f(w . v + b)`` and a target "pre-activation at least ``theta``", a set S of
literals is a *confirming rule* when

    b + sum over S of (the smallest contribution the literal allows)
      + sum over the other variables of (their smallest contribution)  >=  theta,

i.e. S turns the unit on with every other antecedent in its worst state. Rules for "u is
off" are the same search on ``(-w, -b, -t_off)`` (Fu's disconfirming rules). Only minimal
sets are kept: no literal can be dropped and none can be weakened (a numeric cut moved
outwards, a set of categories enlarged) with the sum still over ``theta``. The search visits
variables by decreasing best gain and cuts a branch as soon as the best completion cannot
reach ``theta``; sets have at most ``max_subset`` literals.

Worst states respect the encoding: a one-hot group holds exactly one category, so its
worst state is its smallest weight, and its literals are "one of the k categories with the
largest weights" (nested, like the cuts of a numeric input, see :mod:`._units`).

Layers are composed as in DeepRED: the decision for a class (each pairwise logit difference
at least 0) is a set of rules over hidden literals, each replaced by that unit's rules one
layer down, multiplied out under the shared clause and time budget.
"""
from __future__ import annotations


import numpy as np
import pandas as pd

from ...exceptions import NetworkError
from ...rules import Condition
from ..base import DecompositionalExtractor, Interval, Options, register
from ..budget import SAFETY_SECONDS
from ._dnf_composition import MAX_STEPS, Budget, class_rules, compose, finish_within, pairwise_logits
from ._units import Lit, hidden_variables, input_variables, min_contrib, unit_name, unit_thresholds

__all__ = ["KT", "kt_rules"]

_EPS = 1e-12


def _candidates(var, w):
    """Literals of ``var`` that raise its worst contribution under weights ``w``, weakest first,
    each as ``(gain, lit)``; one-hot groups get the nested sets of their best categories."""
    fmin = var.free_min(w)
    if var.onehot:
        wv = w[var.cols]
        order = sorted(range(len(var.cols)), key=lambda p: (-wv[p], p))
        out = []
        for m in range(len(order) - 1, 0, -1):          # largest set (weakest literal) first
            top, rest = order[:m], order[m:]
            gain = float(wv[top].min()) - fmin
            if gain <= _EPS:
                continue
            base = var.lits
            if m == 1:
                conds = base[top[0]].conds
            else:
                conds = tuple(Condition(c.feature, "<=", 0.5) for p in rest for c in base[p].conds)
            mask = np.zeros_like(base[0].mask)
            for p in top:
                mask |= base[p].mask
            lit = Lit(("set", var.name, tuple(sorted(top))), conds, mask,
                      f"{var.name} in {{{', '.join(base[p].label.split('=', 1)[1] for p in sorted(top))}}}",
                      allowed=np.array(top))
            out.append((gain, lit))
        return fmin, out
    out = []
    for lit in var.lits:
        gain = min_contrib(var, lit, w) - fmin
        if gain > _EPS:
            out.append((gain, lit))
    out.sort(key=lambda t: (t[0], t[1].label))
    return fmin, out


def kt_rules(w, b, theta, variables, max_subset, budget=None, where=""):
    """Minimal literal sets (at most ``max_subset``) with ``w . v + b >= theta`` in the worst case.

    Returns a list of tuples of :class:`Lit`; ``[()]`` when the unit always reaches ``theta``,
    ``[]`` when no set of at most ``max_subset`` literals does.
    """
    w = np.asarray(w, dtype=np.float64)
    free = 0.0
    cands = []
    for v in variables:
        fmin, lits = _candidates(v, w)
        free += fmin
        if lits:
            cands.append((max(g for g, _ in lits), v.name, lits))
    need = theta - b - free
    if need <= 0:
        return [()]
    cands.sort(key=lambda t: (-t[0], t[1]))
    best = np.array([c[0] for c in cands])
    n = len(cands)
    prefix = np.concatenate([[0.0], np.cumsum(best)])
    out = []
    steps = [0]

    def reach(i, r):
        return prefix[min(i + r, n)] - prefix[i]

    def minimal(chosen, total):
        # chosen: (gain, gain of the next weaker literal of its variable or None, lit). Minimal means no
        # literal can be dropped and none can be replaced by the weaker literal of its variable.
        for gain, weaker, _ in chosen:
            if total - gain >= need - _EPS or (weaker is not None and total - gain + weaker >= need - _EPS):
                return False
        return True

    def search(start, chosen, total):
        steps[0] += 1
        if budget is not None and steps[0] % 512 == 0:
            budget.check(len(out), where)
        r = max_subset - len(chosen)
        for i in range(start, n):
            if total + reach(i, r) < need - _EPS:
                break                         # variables come by decreasing best gain: nothing later helps
            prev = None
            for gain, lit in cands[i][2]:     # weakest first
                new = total + gain
                item = (gain, prev, lit)
                if new >= need - _EPS:
                    if minimal(chosen + [item], new):
                        out.append(tuple(c[2] for c in chosen) + (lit,))
                    break                     # stronger literals of this variable are not minimal
                if r > 1:
                    search(i + 1, chosen + [item], new)
                prev = gain

    search(0, [], 0.0)
    if budget is not None:
        budget.check(len(out), where)
    return out


@register
class KT(DecompositionalExtractor):
    """KT / subset search (Fu 1994; Towell & Shavlik 1993), composed layer by layer.

    Parameters
    ----------
    max_subset : int, default 3
        Largest number of literals in a unit's rule (the search is exponential in it).
    n_thresholds : int, default 3
        Cuts per numeric, integer or ordinal input (training quantiles between observed
        values); each gives the literals ``x > t`` and ``x <= t``.
    activation_level : float, default 0.5
        Fu's threshold on hidden activations: a sigmoid unit is *on* at or above it and *off*
        at or below ``1 - activation_level`` (tanh on its [-1, 1] scale). 0.5 makes on/off
        exhaustive; 0.9 is Fu's "definite" reading.
    hidden_values : {"boolean", "interval"}, default "boolean"
        How an upper unit sees a hidden literal: ``boolean`` (Fu) takes an on unit as fully
        on and an off unit as fully off; ``interval`` uses the worst value the literal allows,
        so that every rule is sound for the real activations (and fewer rules fire).
    max_clauses : int or None, default 20000
        Largest number of rules per unit and of clauses alive while composing layers.
    max_steps : int or None, default 20_000_000
        Work budget, the deterministic stop (clause pairs multiplied while composing the units' rules,
        plus one per check-point; provenance ``budget``). None: none.
    max_seconds : float or None, default 1200
        Wall-clock safety net, never reached by a normal run; a stop by it says so (the error, or
        provenance ``complete: False`` and a :class:`~rulex.PartialResultWarning`), as in :class:`DeepRED`.
    on_budget : {"error", "partial"}, default "error"
        On a budget overrun: raise :class:`~rulex.BudgetExceededError` saying where, or
        return the classes whose rules were finished, with a warning.
    generalise : bool, default False
        Drop literals of the final rules that do not reduce errors on the training rows.

    Attributes
    ----------
    unit_rules_ : dict
        ``{"h1_0 on": ["x0 > 0.5 & ...", ...], ...}``: every unit's rules over the layer below
        (encoded inputs and hidden literals), as searched.
    """

    name = "kt"
    description = "KT / subset search: minimal antecedent sets that fire each unit in the worst case, composed"
    _parameter_constraints = {
        "max_subset": [Interval(int, 1, 8)],
        "n_thresholds": [Interval(int, 1, 32)],
        "activation_level": [Interval(float, 0.5, 0.999)],
        "hidden_values": [Options(("boolean", "interval"))],
        "max_clauses": [Interval(int, 1, None), None],
        "max_steps": [Interval(int, 1, None), None],
        "max_seconds": [Interval(float, 0.0, None), None],
        "on_budget": [Options(("error", "partial"))],
        "generalise": [bool],
    }

    def __init__(self, max_subset=3, n_thresholds=3, activation_level=0.5, hidden_values="boolean",
                 max_clauses=20000, max_steps=MAX_STEPS, max_seconds=SAFETY_SECONDS, on_budget="error",
                 generalise=False):
        self.max_subset = max_subset
        self.n_thresholds = n_thresholds
        self.activation_level = activation_level
        self.hidden_values = hidden_values
        self.max_clauses = max_clauses
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.on_budget = on_budget
        self.generalise = generalise

    def _extract(self, network, dataset, X):
        if not network.hidden_layers:
            raise NetworkError("kt needs at least one hidden layer")
        budget = Budget(self.max_clauses, self.max_seconds, "kt",
                        advice="lower max_subset or n_thresholds, or use on_budget='partial'", max_steps=self.max_steps)
        k = int(self.max_subset)
        acts = network.activations(X)
        hidden = acts[:-1]
        y = network.predict_index(X)
        K = len(network.classes)
        default = int(np.argmax(np.bincount(y, minlength=K)))
        frame0 = pd.DataFrame(X, columns=network.encoder.input_names_)
        layers = network.layers
        variables = [input_variables(network, X, int(self.n_thresholds))]
        bounds = []
        for l, (layer, H) in enumerate(zip(layers[:-1], hidden), start=1):
            bd = unit_thresholds(layer.activation, H, float(self.activation_level))
            bounds.append(bd)
            variables.append(hidden_variables(l, H, bd, self.hidden_values == "boolean"))
        memo: dict = {}
        unit_rules: dict = {}

        def unit_dnf(l, j, on):
            key = (l, j, on)
            if key not in memo:
                t_on, t_off = bounds[l - 1][0][j], bounds[l - 1][1][j]
                layer = layers[l - 1]
                w, b = layer.weights[j], layer.bias[j]
                if on:
                    sets = kt_rules(w, b, t_on, variables[l - 1], k, budget, f"unit {unit_name(l, j)} (on)")
                else:
                    sets = kt_rules(-w, -b, -t_off, variables[l - 1], k, budget, f"unit {unit_name(l, j)} (off)")
                unit_rules[f"{unit_name(l, j)} {'on' if on else 'off'}"] = _show(sets)
                memo[key] = compose(sets, l - 1, _literals, unit_dnf, frame0, budget,
                                    f"composing unit {unit_name(l, j)}").with_terms(
                    [(l, j, ">=" if on else "<=", float(bounds[l - 1][2 if on else 3][j]))])
            return memo[key]

        Wo, bo = pairwise_logits(layers[-1])

        def decision(c, c2):
            sets = kt_rules(Wo[c] - Wo[c2], bo[c] - bo[c2], 0.0, variables[-1], k, budget,
                            f"the output decision {network.classes[c]!r} over {network.classes[c2]!r}")
            unit_rules[f"class {network.classes[c]} over {network.classes[c2]}"] = _show(sets)
            return compose(sets, len(hidden), _literals, unit_dnf, frame0, budget,
                           f"the decision for class {network.classes[c]!r}")

        dnfs, done = class_rules(network, len(X), default, decision, budget, self.on_budget)
        self.unit_rules_ = unit_rules
        extra = {"complete": len(done) == K - 1, "classes_done": done, "peak_clauses": budget.peak}
        rules, partial = finish_within(dnfs, network, X, y, default, budget=budget, generalise=self.generalise,
                                       on_budget=self.on_budget)
        return rules, {**extra, **partial, **budget.provenance()}


def _literals(subset) -> list:
    """A KT rule's literals as (conditions, unit key) pairs for :func:`compose`."""
    return [(lit.conds, lit.key) for lit in subset]


def _show(sets) -> list:
    return ["true" if not s else " & ".join(l.label for l in s) for s in sets]
