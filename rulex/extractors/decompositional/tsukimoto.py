"""Tsukimoto's polynomial-time method: each unit as its nearest Boolean function.

A unit ``y = S(w.v + b)`` is read as the Boolean function "the unit is on"
(``w.v + b >= 0`` for sigmoid and tanh, ``h > tau`` for ReLU with ``tau`` half the
unit's mean positive activation). Its prime implicants are generated in order of
size, up to ``max_order`` literals, using unateness (a variable enters only on the
side that raises the unit) and one of two term tests:

``domain="vertex"``
    the worst case over the free variables still turns the unit on:
    ``b + sum of restricted minima + sum of free minima >= 0`` (exact on the whole box);
``domain="data"``
    (Tsukimoto's data-limited domain) every training row the term covers turns the
    unit on, and at least one row is covered: shorter, more accurate rules.

Input variables: binary inputs and one-hot groups are discrete (a literal fixes the
value or the category); numeric, integer and ordinal inputs on the [0, 1] scale are
cut at ``continuous_threshold`` ("x is large" / "x is small"), the continuous-domain
reading. The negation of a unit is generated as the threshold unit ``-w, -b``, never
by De Morgan. Units are composed layer by layer: the output decision is a Boolean
function of hidden literals, each replaced by its unit's implicants, down to the inputs.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ...decoding import decode_condition
from ...exceptions import BudgetExceededError, NetworkError, PartialResultWarning
from ...rules import Condition
from ...rules.render import format_condition
from ..base import DecompositionalExtractor, Interval, Options, register
from ..budget import SAFETY_SECONDS
from ._dnf_composition import MAX_STEPS, Budget, Clauses, compose, finish_within, pairwise_logits
from ._stage_bound import BoundedReading, covered_rows
from ._unit_reading import RowGroups, climb_tolerances, cover_terms, data_terms, reading_agreement
from ._units import half_positive_mean, unit_name

__all__ = ["Tsukimoto"]

#: the raised tolerances of a data-limited reading of an output decision: with ``tolerance="auto"`` on
#: continuous inputs the one (or 0.05) whose reading agrees best with the decision on the training rows is
#: kept (ECLAIRE's XOR, 64-32-16 tanh, fold 1: 0.74 at 0.05, 0.93 at 0.15, as the hidden literals' composed
#: rules each agree with their unit on about 0.92 of the rows, so that few terms of them are 95 % pure);
#: with a given tolerance, the first that gives a term when none decides the class at it (a wide ReLU
#: layer over coarse input cuts: breast_cancer's (16,) net)
RAISED_TOLERANCES = (0.1, 0.15, 0.2, 0.3)
#: above this many rows the output decision's tolerance is chosen on a seeded sample of this many (the five
#: readings on 200,000 rows were a third of Tsukimoto's time there), then read once on every row
CHOICE_ROWS = 20_000


class _Var:
    """A variable of a layer: its literals, each with (name, restricted minimum factor, conditions, mask)."""

    def __init__(self, name, cols, lits, free_lo, free_hi):
        self.name = name
        self.cols = cols          # columns of the layer's value matrix
        self.lits = lits          # list of dicts: key, conds, lo, hi (bounds per col) / category index
        self.free_lo = free_lo
        self.free_hi = free_hi


def _min_contrib(w, lo, hi):
    return np.minimum(w * lo, w * hi).sum()


@register
class Tsukimoto(DecompositionalExtractor):
    """Tsukimoto's nearest-Boolean-function extraction, composed layer by layer.

    Parameters
    ----------
    domain : {"auto", "vertex", "data"}, default "auto"
        (With ``auto``, terms over hidden units always use the data-limited test and at most 4
        literals: a vertex test against every configuration of a wide hidden layer accepts no
        short term. Tsukimoto's data-limiting step.)
        Term test: over the whole box (exact for the unit), or over the training rows the
        term covers (Tsukimoto's data-limited domain: shorter terms, but with few rows it
        accepts terms the data cannot refute). ``auto`` takes ``vertex`` when every input
        is discrete (binary or one-hot) and ``data`` otherwise, where the worst case over
        all continuous inputs is too pessimistic to turn any unit on.
    max_order : int or "auto", default "auto"
        Largest number of literals in a unit's term (the polynomial bound, O(n^max_order)
        candidate terms). ``auto``: the number of features up to 6 when every input is
        discrete (an exact reading of small discrete problems such as MONK's), 3 otherwise.
    continuous_threshold : float or "median", default 0.5
        Cut of numeric/integer/ordinal inputs: "large" means above it. ``"median"`` cuts each
        input between its training median and the next observed value; a float is a cut on
        the [0, 1] scale for every input.
    tolerance : float or "auto", default "auto"
        Data-limited test only: the share of covered training rows on which the unit may be
        off while the term is still accepted (0 is Tsukimoto's strict test; a little slack
        lets terms through on continuous data where no short term is perfectly pure). ``auto``:
        0 when every input is discrete (exact readings of small discrete problems), 0.05
        otherwise (measured: on a 4-12-8 tanh network of ECLAIRE's XOR, fidelity 0.61 strict,
        0.97 with 0.05 or 0.1), and on continuous inputs the output decision at whichever of 0.05,
        0.1, 0.15, 0.2 and 0.3 agrees best with it on the training rows through the hidden literals'
        composed rules (recorded in its ``read``; on a 64-32-16 tanh network of ECLAIRE's XOR, fold 1:
        0.74 at 0.05, 0.93 at 0.15, fidelity 0.73 -> 0.90). A hidden unit read over the hidden layer
        below whose reading at 0.05 agrees with it no better than a constant does gets the same choice
        (breast_cancer's (16, 8) sigmoid network: every second-layer unit, then the decision, had no
        term; fidelity 0.65, no rule -> 0.91 with 9 rules).
    max_clauses : int or None, default 20000
        Largest number of clauses alive while composing layers.
    max_stage_clauses : int or None, default 64
        Bound on the composition: every stage (a unit's input-level rules, each product, each
        class decision) keeping more clauses is reduced to a greedy cover of the training rows it
        covers (as N-of-M's; provenance ``bound``), and a unit with more data-limited terms keeps a
        cover of the rows they cover. None: the exact expansion. Over discrete inputs (the exact
        vertex reading) the unbounded expansion is tried first within half of ``max_clauses`` and
        ``max_steps``, and the bound applies only when it does not fit (provenance ``exact_first``):
        a cover keeps every training row but may drop clauses that decide unseen points.
    max_steps : int or None, default 20_000_000
        The work budget, the deterministic stop: the vertex test's candidate terms times one more than
        the terms accepted, the data-limited search's steps (per term extended, a fixed 40, one per
        candidate extension and per 1,024 64-row words tested, two per extension covering an on-row), and
        the composition at its cost (per clause multiplied with a stage, one step, one per 8 KiB of row
        masks ANDed, one per product folded and per condition folded; per mask a greedy cover counts,
        3; and one per check-point): about 3 microseconds a step or less. A reading that needs more
        raises :class:`~rulex.BudgetExceededError` naming it, on every machine alike. The default
        stops at about a minute of CPU (adult's (32, 16) relu network: 15.4 million steps in 50 s). None: no
        work budget.
    max_seconds : float or None, default 1200
        Safety net only: a wall-clock limit a normal run never reaches (``max_steps`` stops first).
        When it stops the run, the error says the wall clock did and the outcome depends on the load.
    generalise : bool, default False
        Drop literals of the final rules that do not reduce errors on the training rows.

    Notes
    -----
    Deep, wide networks get a bounded reading, never none: each unit's data-limited term generation
    may spend a share of the work left (:data:`~rulex.extractors.decompositional._unit_reading.WORK_SHARE`)
    and keeps the orders it finished; provenance ``unit_readings`` says per unit how it was read (the
    test, the order bound, a cut, a cover of its terms) and its agreement with the unit's real on/off
    state on the training rows (``agreement``, on the layer below's real values; ``composed_agreement``,
    through its input-level rules), and ``units_approximated`` lists the units read approximately.
    An output decision that no term decides at a given ``tolerance`` is read again at 0.1, 0.15, 0.2 and
    0.3 (the first that gives a term; recorded in its ``read``) rather than giving no rule; with
    ``tolerance="auto"`` on continuous inputs it is read at each and the most faithful on the training
    rows is kept. Every unit reads its single literals whatever its share of the work.

    Attributes
    ----------
    unit_functions_ : dict
        ``{unit name: sympy expression}``: each hidden unit's Boolean function over the
        layer below (inputs in original units; hidden units by name), and the decision of
        each class over the last hidden layer (``"class <label>"``).
    """

    name = "tsukimoto"
    description = "Tsukimoto: each unit as its nearest Boolean function (polynomial term generator), composed"
    _parameter_constraints = {
        "domain": [Options(("auto", "data", "vertex"))],
        "max_order": [Interval(int, 1, 8), Options(("auto",))],
        "continuous_threshold": [Interval(float, 0.0, 1.0), Options(("median",))],
        "max_clauses": [Interval(int, 1, None), None],
        "max_stage_clauses": [Interval(int, 1, None), None],
        "max_steps": [Interval(int, 1, None), None],
        "max_seconds": [Interval(float, 0.0, None), None],
        "generalise": [bool],
        "tolerance": [Interval(float, 0.0, 0.5), Options(("auto",))],
    }

    def __init__(self, domain="auto", max_order="auto", continuous_threshold=0.5, tolerance="auto", max_clauses=20000,
                 max_stage_clauses=64, max_steps=MAX_STEPS, max_seconds=SAFETY_SECONDS, generalise=False):
        self.domain = domain
        self.max_order = max_order
        self.continuous_threshold = continuous_threshold
        self.max_clauses = max_clauses
        self.max_stage_clauses = max_stage_clauses
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.generalise = generalise
        self.tolerance = tolerance

    # -- variables of each layer -------------------------------------------------------------
    def _input_vars(self, network, X):
        enc = network.encoder
        out = []
        for f in enc.schema.features:
            cols = enc.groups_[f.name]
            if f.kind == "categorical":
                lits = []
                for pos, col in enumerate(cols):
                    lo = np.zeros(len(cols)); hi = np.zeros(len(cols))
                    lo[pos] = hi[pos] = 1.0
                    on = X[:, col] > 0.5        # "mask" and "real" share it (a composed layer's masks are replaced)
                    lits.append({"key": ("in", col), "conds": (Condition(enc.input_names_[col], ">", 0.5),),
                                 "lo": lo, "hi": hi, "mask": on, "real": on})
                # free: exactly one category is on (minimum is over the categories)
                out.append(_Var(f.name, cols, lits, None, None))
                continue
            col = cols[0]
            name = enc.input_names_[col]
            vals = X[:, col]
            a, b = float(min(0.0, vals.min())), float(max(1.0, vals.max()))
            if f.kind == "binary":
                cut = 0.5
            elif self.continuous_threshold == "median":
                # "large" means above the training median; the cut sits between two observed values
                srt = np.unique(vals)
                med = float(np.median(vals))
                above = srt[srt > med]
                cut = float((med + above[0]) / 2) if len(above) else med
            else:
                cut = float(self.continuous_threshold)
            hi_lo = 1.0 if f.kind == "binary" else cut
            lo_hi = 0.0 if f.kind == "binary" else cut
            large, small = vals > cut, vals <= cut
            lits = [{"key": ("hi", col), "conds": (Condition(name, ">", cut),), "lo": np.array([hi_lo]),
                     "hi": np.array([b]), "mask": large, "real": large},
                    {"key": ("lo", col), "conds": (Condition(name, "<=", cut),), "lo": np.array([a]),
                     "hi": np.array([lo_hi]), "mask": small, "real": small}]
            out.append(_Var(f.name, cols, lits, np.array([a]), np.array([b])))
        return out

    def _hidden_vars(self, layer_idx, H, activation, on_thresholds):
        """Hidden units as Boolean variables (Tsukimoto's composition): 'on' stands for the unit's
        saturated value (1 for sigmoid and tanh, twice the on-threshold -- the mean positive
        activation -- for ReLU), 'off' for its resting value (0, -1, 0)."""
        out = []
        for j in range(H.shape[1]):
            th = on_thresholds[j]
            if activation == "sigmoid":
                off, on = 0.0, 1.0
            elif activation == "tanh":
                off, on = -1.0, 1.0
            else:
                off, on = 0.0, 2.0 * th
            name = unit_name(layer_idx, j)
            up, down = H[:, j] >= th, H[:, j] < th
            lits = [{"key": (layer_idx, j, True), "conds": (), "lo": np.array([on]), "hi": np.array([on]),
                     "mask": up, "real": up},
                    {"key": (layer_idx, j, False), "conds": (), "lo": np.array([off]), "hi": np.array([off]),
                     "mask": down, "real": down}]
            out.append(_Var(name, [j], lits, np.array([min(on, off)]), np.array([max(on, off)])))
        return out

    @staticmethod
    def _on_threshold(activation, H):
        if activation == "sigmoid":
            return np.full(H.shape[1], 0.5)
        if activation == "tanh":
            return np.zeros(H.shape[1])
        if activation == "relu":
            return half_positive_mean(H)
        raise NetworkError(f"tsukimoto reads sigmoid, tanh and relu hidden units, not {activation!r}")

    # -- the term generator -----------------------------------------------------------------
    def _terms(self, w, b, variables, on_rows, budget, where, domain, order, max_work=None, tolerance=None,
               rows=None, groups=None):
        """Prime implicants (up to ``order`` literals) of ``w.v + b >= 0`` over ``variables``.

        ``on_rows`` is the unit's truth on the data rows (used by the data-limited test).
        Returns ``(terms, cut)``: a list of tuples of literal dicts (``[()]`` if always on, ``[]`` if
        never) and, when ``max_work`` stopped the data-limited generation, the order it reached (else None).
        ``domain`` is the term test for this unit (``"vertex"`` or ``"data"``); ``rows`` (positions) limits
        the data-limited test to those rows, ``groups`` (:class:`RowGroups` of those rows by the variables'
        literal masks) lets it count each group of equal rows once.
        """
        free = 0.0
        cands = []
        for v in variables:
            wv = w[v.cols]
            if v.free_lo is None:     # one-hot group: one category on
                fmin = float(wv.min())
            else:
                fmin = _min_contrib(wv, v.free_lo, v.free_hi)
            free += fmin
            for lit in v.lits:
                gain = _min_contrib(wv, lit["lo"], lit["hi"]) - fmin
                if domain == "vertex" and gain <= 0:
                    continue      # unateness: a literal that cannot raise the minimum never helps
                if domain == "data" and gain < 0:
                    continue
                cands.append((gain, v.name, lit))
        theta = -(b + free)
        if theta <= 0:
            return [()], None
        cands.sort(key=lambda t: (-t[0], t[1], str(t[2]["key"])))
        if domain == "data":
            sel = slice(None) if rows is None else rows
            found, reached, cut = data_terms([(name, lit["mask"][sel]) for _, name, lit in cands], on_rows[sel],
                                             int(order),
                                             self.tolerance_ if tolerance is None else tolerance, budget,
                                             where, max_work, groups)
            return [tuple(cands[i][2] for i in t) for t in found], (reached if cut else None)
        return self._vertex_terms(cands, theta, int(order), budget, where), None

    @staticmethod
    def _vertex_terms(cands, theta, K, budget, where):
        """Implicants under the whole-box test (the literals' gains reach ``theta``), breadth-first by
        order so that accepted terms are prime among those generated; branch and bound on the gains."""
        gains = np.array([g for g, _, _ in cands])
        accepted: list = []
        n = len(cands)
        steps = 0
        frontier: list = [((), set())]
        for order in range(1, K + 1):
            budget.check(0, f"{where}: generating terms of order {order}")
            nxt = []
            for idx, used in frontier:
                start = idx[-1] + 1 if idx else 0
                steps += 1
                budget.spend((n - start) * (1 + len(accepted)))    # each candidate against every accepted term
                if steps % 64 == 0:
                    budget.check(0, f"{where}: generating terms of order {order}")
                for i in range(start, n):
                    vname = cands[i][1]
                    if vname in used:
                        continue
                    new = idx + (i,)
                    if any(set(a) <= set(new) for a in accepted):
                        continue
                    best = gains[list(new)].sum()
                    if best >= theta:
                        accepted.append(new)
                        continue
                    others = [gains[j] for j in range(i + 1, n) if cands[j][1] not in used | {vname}]
                    if order < K and best + sum(others[:K - order]) >= theta:
                        nxt.append((new, used | {vname}))
            frontier = nxt
            if not frontier:
                break
        return [tuple(cands[i][2] for i in a) for a in accepted]

    # -- extraction -------------------------------------------------------------------------
    def _extract(self, network, dataset, X):
        if not network.hidden_layers:
            raise NetworkError("tsukimoto needs at least one hidden layer")
        discrete = all(f.kind in ("binary", "categorical") for f in network.schema.features)
        domain = self.domain if self.domain != "auto" else ("vertex" if discrete else "data")
        max_order = (int(self.max_order) if self.max_order != "auto"
                     else (min(len(network.schema), 6) if discrete else 3))
        # over hidden units (graded values read as Booleans) the data-limited test and order 4
        # keep terms short; over discrete inputs the exact vertex test with the full order
        hidden_domain = "data" if self.domain == "auto" else domain
        self.tolerance_ = float(self.tolerance) if self.tolerance != "auto" else (0.0 if discrete else 0.05)
        hidden_order = 4 if self.max_order == "auto" else max_order
        tests = ((domain, max_order), (hidden_domain, hidden_order))
        acts = network.activations(X)           # one forward pass: the hidden values and the network's classes
        exact_try = None
        if domain == "vertex" and self.max_stage_clauses is not None:
            # an exact reading over discrete inputs is tried whole first: a stage cover keeps every training
            # row but may drop clauses that decide unseen points (MONK-1 seed 0: 1.0 exact, 0.972 bounded);
            # the bound applies only when the unbounded expansion outgrows half the budgets
            half = (lambda v: None if v is None else max(v // 2, 1))
            try:
                return self._read(network, X, acts, tests, None, half(self.max_clauses), half(self.max_steps),
                                  {"exact_first": "the unbounded expansion fitted half the budgets; no stage was "
                                                  "bounded"})
            except BudgetExceededError as exc:
                exact_try = f"the unbounded expansion outgrew half the budgets ({exc}); stages bounded"
        return self._read(network, X, acts, tests, self.max_stage_clauses, self.max_clauses, self.max_steps,
                          {} if exact_try is None else {"exact_first": exact_try})

    def _read(self, network, X, acts, tests, stage_clauses, max_clauses, max_steps, note):
        """One reading under the given stage bound and budgets (``acts``: the network's activations on ``X``):
        the rules and the provenance."""
        budget = Budget(max_clauses, self.max_seconds, "tsukimoto",
                        advice="lower max_order, or use method='deepred'", max_steps=max_steps, real_cost=True)
        y = acts[-1].argmax(axis=1)
        reading = _Reading(self, network, X, acts[:-1], budget, *tests, stage_clauses)
        K = len(network.classes)
        default = int(np.argmax(np.bincount(y, minlength=K)))
        dnfs = {}
        for c in range(K):
            if c != default:
                dnfs[c] = reading.class_dnf(c)
        self.unit_functions_ = reading.functions
        extra = {"unit_functions": {k: str(v) for k, v in reading.functions.items()}, "domain": tests[0][0],
                 "peak_clauses": budget.peak, **note, **reading.stats.as_provenance(), **reading.log.provenance()}
        rules, partial = finish_within(dnfs, network, X, y, default, budget=budget, generalise=self.generalise)
        return rules, {**extra, **partial, **budget.provenance()}


class _Reading(BoundedReading):
    """One Tsukimoto reading of a network: every layer's variables, each unit's implicants (as
    ``functions``, sympy expressions) and their input-level composition, memoised per unit and
    polarity. Lives for one ``_extract`` call. ``input_test`` and ``hidden_test`` are the
    ``(domain, max order)`` of the term test over the inputs and over hidden units."""

    def __init__(self, params: Tsukimoto, network, X, hidden, budget, input_test, hidden_test, stage_clauses):
        super().__init__(network, len(X), budget, stage_clauses)
        self.params, self.network = params, network
        self.input_test, self.hidden_test = input_test, hidden_test
        self.hidden = hidden
        self.n_rows = len(X)
        self.frame0 = pd.DataFrame(X, columns=network.encoder.input_names_)
        self.layers = network.layers
        self.variables = [params._input_vars(network, X)]
        self.values = [X]
        self.thresholds = []
        for l, (layer, H) in enumerate(zip(self.layers[:-1], self.hidden), start=1):
            th = params._on_threshold(layer.activation, H)
            self.thresholds.append(th)
            self.variables.append(params._hidden_vars(l, H, layer.activation, th))
            self.values.append(H)
        self.functions: dict = {}
        self.groups: dict = {}

    def read(self, name, w, b, l, truth, domain, order, decision=False):
        """A unit's terms over the variables of layer ``l`` (and how they were read, in the log).

        With the data-limited test over a hidden layer, a hidden literal's rows are those its composed
        input-level rules cover (not those on which the unit really is on): a term is kept when every
        training row its input-level rules cover turns the unit on, so errors of the layers below are
        seen, not multiplied. (Over the inputs, and for an exact reading of the layer below, the two agree.)"""
        if domain == "data" and l >= 1:
            self.compose_layer(l)
        if decision and domain == "data" and truth.any():
            terms, cut, tol, note = self.decision_terms(name, w, b, l, truth, order)
        elif domain == "data" and l >= 1 and truth.any() and not truth.all():
            terms, cut, tol, note = self.decision_terms(name, w, b, l, truth, order, degenerate_only=True)
        else:
            terms, cut = self.params._terms(w, b, self.variables[l], truth, self.budget, name, domain, order,
                                            self.work_cap(), groups=self.row_groups(l) if domain == "data" else None)
            tol, note = self.params.tolerance_, ""
        ones = [np.ones(self.n_rows, dtype=bool)]
        masks = [np.logical_and.reduce([lit["mask"] for lit in t] or ones) for t in terms]
        limit = self.max_stage_clauses
        how = f"{domain} test, at most {order} literals" + (f"; cut by its work share at order {cut}"
                                                            if cut is not None else "")
        bounded = cut is not None or tol != self.params.tolerance_
        how += note
        if domain == "data" and limit is not None and len(terms) > limit:
            kept = cover_terms(terms, masks, budget=self.budget)
            how += f"; {len(kept)} of {len(terms)} terms cover the same training rows"
            terms, masks, bounded = [terms[i] for i in kept], [masks[i] for i in kept], True
        local = [np.logical_and.reduce([lit["real"] for lit in t] or ones) for t in terms]
        self.log.record(name, how, reading_agreement(local, truth), bounded)
        return terms

    def decision_terms(self, name, w, b, l, truth, order, degenerate_only=False):
        """The data-limited terms of an output decision over the last hidden layer: ``(terms, cut, tolerance,
        note for the log)``. With ``tolerance="auto"`` on continuous inputs, the reading at ``tolerance_``
        and at each of RAISED_TOLERANCES, whichever agrees best with the decision on the training rows
        through the hidden literals' composed rows (ties: the smaller tolerance; an exact one stops the
        search); otherwise the reading at ``tolerance_``, or when it has no term, the first raised
        tolerance that gives one (no rule at all is the worst reading). ``degenerate_only`` (a hidden unit):
        the reading at ``tolerance_`` is kept unless it agrees with the unit no better than a constant."""
        base, cap = self.params.tolerance_, self.work_cap()
        ones = np.ones(self.n_rows, dtype=bool)

        def read(tol, rows=None):
            sel = slice(None) if rows is None else rows
            terms, cut = self.params._terms(w, b, self.variables[l], truth, self.budget, name, "data", order,
                                            cap, tol, rows=rows, groups=self.row_groups(l, rows))
            masks = [np.logical_and.reduce([lit["mask"][sel] for lit in t] or [ones[sel]]) for t in terms]
            return terms, cut, tol, reading_agreement(masks, truth[sel])

        ladder = self.params.tolerance == "auto" and base > 0
        # on many rows a decision's tolerance is chosen on a seeded sample, then read once on every row (a
        # hidden unit is read on every row: its reading at the base tolerance is kept when not degenerate)
        sample = (np.sort(np.random.default_rng(0).permutation(self.n_rows)[:CHOICE_ROWS])
                  if ladder and not degenerate_only and self.n_rows > CHOICE_ROWS else None)
        best = read(base, sample)
        raised = [t for t in RAISED_TOLERANCES if t > base]
        if degenerate_only and best[3] > max(truth.mean(), 1.0 - truth.mean()) + 1e-12:
            return best[0], best[1], best[2], ""
        if ladder:          # the best agreement (the first of equals: the smaller tolerance); an exact one stops
            best, tried = climb_tolerances(lambda tol: read(tol, sample), best, raised, lambda r: r[3] == 1.0,
                                           lambda new, kept: new[3] > kept[3])
            where = "the training rows" if sample is None else f"a seeded sample of {CHOICE_ROWS:,} training rows"
            note = "" if len(tried) == 1 else (
                f"; tolerance {best[2]}, the best agreement on {where} through the composed rules of "
                "the hidden literals (" + ", ".join(f"{r[3]:.4f} at {r[2]}" for r in tried) + ")")
            if sample is not None:
                best = read(best[2])
            return best[0], best[1], best[2], note
        best, _ = climb_tolerances(read, best, raised, lambda r: bool(r[0]), lambda new, kept: True)
        note = f"; tolerance raised to {best[2]} (no term at {base})" if best[2] != base else ""
        return best[0], best[1], best[2], note

    def row_groups(self, l, rows=None):
        """:class:`RowGroups` of the training rows (or of ``rows``) by the literal masks of layer ``l``'s variables
        (after :meth:`compose_layer`, those of its composed rules), made once per layer and rows."""
        key = (l, None if rows is None else hash(rows.tobytes()))
        if key not in self.groups:
            sel = slice(None) if rows is None else rows
            self.groups[key] = RowGroups([lit["mask"][sel] for var in self.variables[l] for lit in var.lits])
        return self.groups[key]

    def compose_layer(self, l):
        """Compose every unit of hidden layer ``l`` (on and off) and give its literals the rows their
        input-level rules cover."""
        if l in self.composed_layers:
            return
        self.composed_layers.add(l)
        for j, var in enumerate(self.variables[l]):
            for lit, on in zip(var.lits, (True, False)):
                lit["mask"] = covered_rows(self.unit_dnf(l, j, on), self.n_rows)

    def describe(self, terms, l):
        """sympy DNF of a unit over the variables of layer ``l``."""
        import sympy        # heavy to import: loaded only when tsukimoto runs
        if terms == [()]:
            return sympy.true
        ors = []
        for t in terms:
            ands = []
            for lit in t:
                if l == 0:
                    cond = decode_condition(self.network.encoder, lit["conds"][0])
                    ands.append(sympy.true if cond is True else sympy.false if cond is False
                                else sympy.Symbol(format_condition(cond, self.network.schema)))
                else:
                    li, j, on = lit["key"]
                    s = sympy.Symbol(unit_name(li, j))
                    ands.append(s if on else sympy.Not(s))
            ors.append(sympy.And(*ands))
        return sympy.Or(*ors)

    def unit_dnf(self, l, j, on):
        """Input-level Clauses of 'unit j of hidden layer l is on' (or off)."""
        key = (l, j, on)
        if key in self.memo:
            return self.memo[key]
        layer = self.layers[l - 1]
        sign = 1.0 if on else -1.0
        th = self.thresholds[l - 1][j]
        w, b = sign * layer.weights[j], sign * layer.bias[j]
        if layer.activation == "relu":
            b = b - sign * th     # on iff pre > tau (tau: the ReLU's on-threshold)
        values = self.values[l]
        truth = values[:, j] >= th if on else values[:, j] < th
        domain, order = self.input_test if l == 1 else self.hidden_test
        name = f"{unit_name(l, j)} {'on' if on else 'off'}"
        terms = self.read(name, w, b, l - 1, truth, domain, order)
        if on:
            self.functions[unit_name(l, j)] = self.describe(terms, l - 1)
        clauses = compose(terms, l - 1, _literals, self.unit_dnf, self.frame0, self.budget,
                          f"composing unit {unit_name(l, j)}", self.bound)
        self.log.composed(name, [m for _, m, _ in clauses.items], truth)
        self.memo[key] = clauses.with_terms([(l, j, ">=" if on else "<", float(th))])
        return self.memo[key]

    def class_dnf(self, c):
        """Input-level Clauses of class ``c``: the AND over every other class of "c wins over it",
        each a Boolean function of the last hidden layer composed down to the inputs."""
        import sympy        # heavy to import: loaded only when tsukimoto runs
        classes, budget = self.network.classes, self.budget
        Wo, bo = pairwise_logits(self.layers[-1])
        domain, order = self.hidden_test
        acc = Clauses.true(self.n_rows)
        expr = []
        for c2 in range(len(classes)):
            if c2 == c:
                continue
            w, b = Wo[c] - Wo[c2], bo[c] - bo[c2]
            truth = (self.hidden[-1] @ w + b) >= 0
            name = f"class {classes[c]} over {classes[c2]}"
            terms = self.read(name, w, b, len(self.hidden), truth, domain, order, decision=True)
            if not terms and truth.any():
                warnings.warn(f"tsukimoto: no term of at most {order} hidden literals decides class "
                              f"{classes[c]!r} against {classes[c2]!r} ({domain} test); the network spreads "
                              "this decision over many units. Raise max_order, or use deepred",
                              PartialResultWarning, stacklevel=5)
            expr.append(self.describe(terms, len(self.hidden)))
            part = compose(terms, len(self.hidden), _literals, self.unit_dnf, self.frame0, budget,
                           f"the decision for class {classes[c]!r}", self.bound)
            self.log.composed(name, [m for _, m, _ in part.items], truth)
            acc = self.bound(acc.and_(part, budget, f"combining the pairwise tests of class {classes[c]!r}",
                                      keep_uncovered=False))
        self.functions[f"class {classes[c]}"] = sympy.And(*expr)
        return acc


def _literals(term) -> list:
    """A Tsukimoto term's literals as (conditions, unit key) pairs for :func:`compose`."""
    return [(lit.get("conds"), lit.get("key")) for lit in term]
