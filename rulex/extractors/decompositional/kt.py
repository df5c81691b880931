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
from ._stage_bound import BoundedReading, covered_rows
from ._unit_reading import climb_tolerances, cover_terms, data_terms, reading_agreement
from ._units import Lit, hidden_variables, input_variables, min_contrib, unit_name, unit_thresholds

__all__ = ["KT", "kt_rules"]

_EPS = 1e-12

#: the tolerances a data-limited reading is read again at, in turn: a unit whose reading finds no set (a
#: sigmoid layer whose units all cut the inputs along one direction at another level than the class does:
#: breast_cancer's (16,) network), and every output decision, whose best reading is kept
RAISED_TOLERANCES = (0.05, 0.1, 0.2, 0.3)


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
    worst_case : {"auto", "box", "data"}, default "auto"
        Where a set's worst case is taken: ``box``, Fu's test over every state of the other antecedents;
        ``data``, over the training rows the set covers (read through the layer below's input-level
        rules, Tsukimoto's data-limited domain); ``auto``, the box, and for a unit whose box reading
        disagrees with it on a training row (no set of at most ``max_subset`` literals, or sets that
        miss rows where the unit takes the state: the wide units of deep networks) also the data, kept
        when it agrees better with the unit on the training rows through the input-level rules (with a
        ``tolerance`` above 0 for hidden units, only where the box gives no set).
        Provenance ``unit_readings`` says how each unit was read (with the agreement of the reading
        not kept) and its agreement with the unit on the training rows.
    tolerance : float or "auto", default "auto"
        Data-limited worst case only: the share of the covered training rows on which the unit may
        miss the state while the set is still kept (as Tsukimoto's ``tolerance``). ``auto``: 0 for the
        hidden units, and for each output decision the reading at 0, 0.05, 0.1, 0.2 or 0.3 that agrees
        best with the decision on the training rows. 0.05 for the hidden units (measured with
        ``max_unit_sets=4``) reads ECLAIRE's XOR 64-32-16 tanh networks at 0.89-0.91 (5 folds, in less work)
        and a 4-12-8 one at 0.86, against 0.895-0.93 and 0.89 with the strict default, but breast_cancer's
        (16,) sigmoid network at 0.87 against 0.96; without a cap on the sets, slack sets added up to 0.52
        on a 64-32-16 network. Hence strict hidden units. Whatever the tolerance, a unit whose data-limited
        reading finds no set is read again at the next of those values up to 0.3 (the first that gives
        a set; recorded in its ``read``) rather than giving no rule.
    max_clauses : int or None, default 20000
        Largest number of rules per unit and of clauses alive while composing layers.
    max_unit_sets : int or None, default 3
        Data-limited readings of hidden units only: the sets a unit keeps, a greedy cover of the training
        rows its sets cover (each time the set covering most rows not yet covered); rows only the dropped
        sets cover are lost and show in the unit's agreement and ``read``. Every kept set multiplies the
        clauses of the layers above. Measured on ECLAIRE's XOR with 64-32-16 tanh networks, 5 folds: 3
        gives 0.895-0.93 fidelity (mean 0.91), 4 gives 0.875-0.925 (mean 0.90) in more work, 2 gives 0.875
        and 0.90 on folds 0-1, every set (None) 0.85 and 0.905 there in twice the work of 4. None: every
        set (a cover of their rows when there are more than ``max_stage_clauses``).
    max_stage_clauses : int or None, default 64
        Every stage of the composition keeping more clauses is reduced to a greedy cover of the
        training rows it covers (as N-of-M's ``max_stage_clauses``; provenance ``bound``). None: exact.
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
        "worst_case": [Options(("auto", "box", "data"))],
        "tolerance": [Interval(float, 0.0, 0.5), Options(("auto",))],
        "max_clauses": [Interval(int, 1, None), None],
        "max_unit_sets": [Interval(int, 1, None), None],
        "max_stage_clauses": [Interval(int, 1, None), None],
        "max_steps": [Interval(int, 1, None), None],
        "max_seconds": [Interval(float, 0.0, None), None],
        "on_budget": [Options(("error", "partial"))],
        "generalise": [bool],
    }

    def __init__(self, max_subset=3, n_thresholds=3, activation_level=0.5, hidden_values="boolean",
                 worst_case="auto", tolerance="auto", max_clauses=20000, max_unit_sets=3, max_stage_clauses=64, max_steps=MAX_STEPS, max_seconds=SAFETY_SECONDS, on_budget="error",
                 generalise=False):
        self.max_subset = max_subset
        self.n_thresholds = n_thresholds
        self.activation_level = activation_level
        self.hidden_values = hidden_values
        self.worst_case = worst_case
        self.tolerance = tolerance
        self.max_clauses = max_clauses
        self.max_unit_sets = max_unit_sets
        self.max_stage_clauses = max_stage_clauses
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.on_budget = on_budget
        self.generalise = generalise

    def _extract(self, network, dataset, X):
        if not network.hidden_layers:
            raise NetworkError("kt needs at least one hidden layer")
        budget = Budget(self.max_clauses, self.max_seconds, "kt",
                        advice="lower max_subset or n_thresholds, or use on_budget='partial'", max_steps=self.max_steps)
        y = network.predict_index(X)
        K = len(network.classes)
        default = int(np.argmax(np.bincount(y, minlength=K)))
        reading = _Reading(self, network, X, budget)
        dnfs, done = class_rules(network, len(X), default, reading.decision, budget, self.on_budget,
                                 reduce=reading.bound)
        self.unit_rules_ = reading.unit_rules
        extra = {"complete": len(done) == K - 1, "classes_done": done, "peak_clauses": budget.peak,
                 **reading.stats.as_provenance(), **reading.log.provenance()}
        rules, partial = finish_within(dnfs, network, X, y, default, budget=budget, generalise=self.generalise,
                                       on_budget=self.on_budget)
        return rules, {**extra, **partial, **budget.provenance()}


class _Reading(BoundedReading):
    """One KT reading of a network: every layer's variables, each unit's rules (``unit_rules``) and their
    input-level composition, memoised per unit and polarity; ``log`` says how each unit was read. Lives
    for one ``_extract`` call."""

    #: KT's data readings search sets of at most ``max_subset`` literals, and a hidden unit keeps at most
    #: ``max_unit_sets`` of them: a fifth of the work left (over the readings to come) rather than
    #: Tsukimoto's twentieth. ECLAIRE's XOR, 64-32-16 tanh, fold 0: 0.805 with 1/20 (5.9 million steps),
    #: 0.925 with 1/5 (9.6 million; benchmarks/results/decompositional_deep.md)
    work_share = 5

    def __init__(self, params: KT, network, X, budget):
        super().__init__(network, len(X), budget, params.max_stage_clauses)
        self.params, self.network = params, network
        self.k = int(params.max_subset)
        self.n_rows = len(X)
        self.hidden = network.activations(X)[:-1]
        self.frame0 = pd.DataFrame(X, columns=network.encoder.input_names_)
        self.layers = network.layers
        self.variables = [input_variables(network, X, int(params.n_thresholds))]
        self.bounds = []
        for l, (layer, H) in enumerate(zip(self.layers[:-1], self.hidden), start=1):
            bd = unit_thresholds(layer.activation, H, float(params.activation_level))
            self.bounds.append(bd)
            self.variables.append(hidden_variables(l, H, bd, params.hidden_values == "boolean"))
        self.unit_rules: dict = {}
        self.covered: dict = {}          # hidden literal key -> rows its input-level rules cover

    def compose_layer(self, l):
        """Compose every unit of hidden layer ``l`` (on and off): each literal's rows become the rows its
        input-level rules cover."""
        if l in self.composed_layers:
            return
        self.composed_layers.add(l)
        for j in range(len(self.variables[l])):
            for on in (True, False):
                self.covered[(l, j, on)] = covered_rows(self.unit_dnf(l, j, on), self.n_rows)

    def sets(self, name, w, b, theta, l, truth, decision=False):
        """The unit's rules over layer ``l``: Fu's whole-box worst case; where that reading disagrees with
        the unit on a training row (or with ``worst_case="data"``), also the data-limited worst case: every
        training row the literals' input-level rules cover reaches ``theta`` (up to ``tolerance``), kept
        when it agrees better with the unit on the training rows (through the input-level rules; with a
        slack ``tolerance``, only where the box gives no set). A
        data-limited reading that finds no set, and an output decision's, are also read at
        :data:`RAISED_TOLERANCES` (see ``tolerance``)."""
        params, k = self.params, self.k
        sets = [] if params.worst_case == "data" else kt_rules(w, b, theta, self.variables[l], k, self.budget, name)
        how, bounded = f"whole-box worst case, at most {k} literals", False
        ones = [np.ones(self.n_rows, dtype=bool)]
        local = reading_agreement([np.logical_and.reduce([x.mask for x in s] or ones) for s in sets], truth)
        # a box reading that misses rows is compared with the strict data-limited one only: slack sets that agree
        # better unit by unit add their errors up over the layers above (see ``tolerance``)
        strict = params.tolerance in ("auto", 0.0)
        if params.worst_case == "data" or (params.worst_case == "auto" and local < 1.0 and truth.any()
                                           and (strict or not sets)):
            if l >= 1:
                self.compose_layer(l)
            box = self.agreement(sets, l, truth) if sets else -1.0
            data, how2, agree = self.data_read(name, l, truth, decision)
            if agree > box:
                sets, how, bounded = data, how2 + (f" (whole-box reading: {box:.4f})" if box >= 0 else ""), True
            else:
                how += f" (data-limited reading: {agree:.4f})"
            local = reading_agreement([np.logical_and.reduce([x.mask for x in s] or ones) for s in sets], truth)
        self.log.record(name, how, local, bounded)
        return sets

    def data_read(self, name, l, truth, decision):
        """The data-limited reading at ``tolerance``, read again at :data:`RAISED_TOLERANCES` where it finds no
        set (and for an output decision with ``tolerance="auto"``, keeping the best): the sets, how they were
        read and their agreement."""
        auto = self.params.tolerance == "auto"
        tol = 0.0 if auto else float(self.params.tolerance)

        def read(raised):
            return [*self.data_sets(name, l, truth, raised, decision), raised]

        def better(new, kept):          # a reading with sets, better than the one kept (or than none)
            if not new[0] or kept[0] and new[2] <= kept[2]:
                return False
            new[1] += f"; tolerance raised to {new[3]} (agreement {kept[2]:.4f} at {tol})"
            return True

        (sets, how, agree, _), _ = climb_tolerances(read, read(tol), [t for t in RAISED_TOLERANCES if t > tol],
                                                    lambda kept: bool(kept[0]) and not (decision and auto), better)
        return sets, how, agree if sets else -1.0

    def agreement(self, sets, l, truth):
        """Agreement of ``sets`` over layer ``l`` with ``truth`` through the literals' input-level rules."""
        ones = np.ones(self.n_rows, dtype=bool)
        return reading_agreement([np.logical_and.reduce([self.covered.get(x.key, x.mask) for x in s] or [ones])
                                  for s in sets], truth)

    def data_sets(self, name, l, truth, tolerance, decision=False):
        """The data-limited sets at ``tolerance``, how they were read, and their agreement with ``truth``
        through the literals' input-level rules. A hidden unit keeps a greedy cover of the training rows
        its sets cover, at most ``max_unit_sets`` of them; an output decision, when it has more than
        ``max_stage_clauses`` sets, a cover of all its rows."""
        params, k = self.params, self.k
        pairs = [(v.name, lit) for v in self.variables[l] for lit in v.lits]     # no unateness on the data
        lits = [lit for _, lit in pairs]
        cands = [(vname, self.covered.get(lit.key, lit.mask)) for vname, lit in pairs]
        found, _, cut = data_terms(cands, truth, k, tolerance, self.budget, name, self.work_cap())
        sets = [tuple(lits[i] for i in t) for t in found]
        masks = [np.logical_and.reduce([cands[i][1] for i in t]) for t in found]
        how = f"data-limited worst case, at most {k} literals" + ("; cut by its work share" if cut else "")
        cap = None if decision else params.max_unit_sets
        limit = params.max_stage_clauses
        if cap is not None or limit is not None and len(sets) > limit:
            kept = cover_terms(sets, masks, cap)
            if len(kept) < len(sets):
                lost = np.logical_or.reduce(masks) & ~np.logical_or.reduce([masks[i] for i in kept])
                how += f"; {len(kept)} of {len(sets)} sets cover " + (
                    f"all but {np.count_nonzero(lost)} of their training rows" if lost.any() else "the same training rows")
                sets, masks = [sets[i] for i in kept], [masks[i] for i in kept]
        return sets, how, reading_agreement(masks, truth)

    def unit_dnf(self, l, j, on):
        key = (l, j, on)
        if key not in self.memo:
            bd, layer, H = self.bounds[l - 1], self.layers[l - 1], self.hidden[l - 1]
            w, b = layer.weights[j], layer.bias[j]
            name = f"{unit_name(l, j)} {'on' if on else 'off'}"
            if on:
                sets = self.sets(name, w, b, bd[0][j], l - 1, H[:, j] >= bd[2][j])
            else:
                sets = self.sets(name, -w, -b, -bd[1][j], l - 1, H[:, j] <= bd[3][j])
            self.unit_rules[name] = _show(sets)
            clauses = compose(sets, l - 1, _literals, self.unit_dnf, self.frame0, self.budget,
                              f"composing unit {unit_name(l, j)}", self.bound)
            self.log.composed(name, [m for _, m, _ in clauses.items], H[:, j] >= bd[2][j] if on else H[:, j] <= bd[3][j])
            self.memo[key] = clauses.with_terms([(l, j, ">=" if on else "<=", float(bd[2 if on else 3][j]))])
        return self.memo[key]

    def decision(self, c, c2):
        classes = self.network.classes
        Wo, bo = pairwise_logits(self.layers[-1])
        w, b = Wo[c] - Wo[c2], bo[c] - bo[c2]
        name = f"class {classes[c]} over {classes[c2]}"
        truth = (self.hidden[-1] @ w + b) >= 0
        sets = self.sets(name, w, b, 0.0, len(self.hidden), truth, decision=True)
        self.unit_rules[name] = _show(sets)
        part = compose(sets, len(self.hidden), _literals, self.unit_dnf, self.frame0, self.budget,
                       f"the decision for class {classes[c]!r}", self.bound)
        self.log.composed(name, [m for _, m, _ in part.items], truth)
        return part


def _literals(subset) -> list:
    """A KT rule's literals as (conditions, unit key) pairs for :func:`compose`."""
    return [(lit.conds, lit.key) for lit in subset]


def _show(sets) -> list:
    return ["true" if not s else " & ".join(l.label for l in s) for s in sets]
