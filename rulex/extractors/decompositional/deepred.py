"""DeepRED (Zilke et al. 2016) with term-wise or clause-wise substitution, and CRED (Sato & Tsukimoto 2001).

Both read the network layer by layer: a tree from the last hidden layer to the
network's class gives clauses over hidden units; each hidden term ``h > t`` is then
described by a tree over the layer below, down to the inputs.

``substitution="term"`` (the original DeepRED) replaces each term by its DNF and
multiplies out; memory grows with the products, so ``max_clauses`` and
``max_steps`` (the wall clock ``max_seconds`` only as a safety net) stop it with a message naming the layer, or return the clauses
finished so far (``on_budget="partial"``). ``substitution="clause"`` (ECLAIRE's
change of variables) learns one tree from the inputs to each whole clause, so
nothing multiplies out. ``layers="all"`` (ECLAIRE) starts from a tree on
every hidden layer instead of the last only and unites the rule sets, every class voting;
``layers="last"`` is DeepRED's reading, unchanged. The default ``layers="auto"`` reads the last layer
of a one-hidden-layer network, and every layer of a deeper one, pruned and compressed at the end.
"""
from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from ...exceptions import BudgetExceededError, NetworkError, PartialResultWarning
from ...rules.intervals import box_of, fold
from ..base import DecompositionalExtractor, Interval, Options, annotate, register
from ..sampling import Sampler
from ..budget import SAFETY_SECONDS
from ..compression import compress
from ._dnf_composition import MAX_STEPS, Budget, Clauses, finish_within, hidden_frame
from ._eclaire import drop_redundant_rules, layer_clauses
from ._settled_tree import SAMPLE_ROWS, TOLERANCE, TreeLog, settled_tree_dnf
from ._units import unit_name

__all__ = ["DeepRED", "CRED"]

_LEAF = [Interval(int, 1, None), Interval(float, 0.0, 0.5)]
COMPRESS_ROWS = 20_000          # the rows the default's compression judges its edits on (a seeded sample above)


def _parse_unit(name: str):
    layer, unit = name[1:].split("_")
    return int(layer), int(unit)


class _LayerWise(DecompositionalExtractor):
    """Shared set-up: activations of every layer, the network's classes, the default class."""

    _row_parameters = {"n_samples": 4}

    def _augment(self, network, X):
        """``(rows, activations)``: the training rows plus ``n_samples`` points drawn around them (ANN-DT
        style), and every layer's activations on them. The network labels the drawn points, so the trees
        learn the network's function, not the noise of a small sample. One forward pass over the
        training rows (which also finds the rows the network is least sure about) and one over the
        drawn points: no row goes through the network twice."""
        acts = network.activations(X)
        if not self.n_samples:
            return X, acts
        sampler = Sampler(network.encoder, X, random_state=self.random_state)
        n_focus = int(round(self.n_samples * self.boundary_share))
        parts = [sampler.perturb(int(self.n_samples) - n_focus, scale=float(self.sample_scale))]
        if n_focus and network.task == "classification":
            # the rows the network is least sure about: where the rules' boundaries must go
            sure = acts[-1].max(axis=1)
            ref = X[np.argsort(sure, kind="stable")[: max(20, len(X) // 4)]]
            parts.append(sampler.perturb(n_focus, scale=float(self.sample_scale), reference=ref))
        drawn = np.vstack(parts)
        more = network.activations(drawn)
        return np.vstack([X, drawn]), [np.concatenate([a, b]) for a, b in zip(acts, more)]

    def _setup(self, network, X):
        """``(X, y, default, hidden, frames)``: the rows (training rows and drawn points), the network's
        class of each row and the most frequent one, every hidden layer's activations, and the frames
        of every layer's values (inputs first)."""
        X, acts = self._augment(network, X)
        hidden = acts[:-1]
        y = acts[-1].argmax(axis=1)          # network.predict_index, read off the same pass
        counts = np.bincount(y, minlength=len(network.classes))
        default = int(np.argmax(counts))
        frames = [pd.DataFrame(X, columns=network.encoder.input_names_)]
        frames += [hidden_frame(h, l + 1) for l, h in enumerate(hidden)]
        self._tree_log = TreeLog()
        self._columns: dict = {}            # sorted columns of the rows, shared by the trees on many rows
        # the inputs as every tree reads them (CART works in float32): converted once for all the trees
        self._inputs32 = np.ascontiguousarray(X, dtype=np.float32)
        return X, y, default, hidden, frames

    def _tree(self, A, y, names, key=None, wanted=None) -> dict:
        """An intermediate tree (``{label: [conjunction, ...]}``), on a settled sample of the rows when
        there are many (``tree_sample_rows``, ``tree_tolerance``); ``key`` names ``A`` (a layer's values) so
        that the trees on the same many rows share its sorted columns; ``wanted``: only that label's
        conjunctions are read (see :func:`settled_tree_dnf`)."""
        return settled_tree_dnf(A, y, names, min_samples_leaf=self.min_samples_leaf,
                                max_depth=self.max_depth,
                                random_state=self.random_state, sample_rows=self.tree_sample_rows,
                                tolerance=float(self.tree_tolerance), log=self._tree_log,
                                columns=self._columns, key=key, wanted=wanted)

    def _top(self, y, hidden, frames):
        return self._tree(hidden[-1], y, list(frames[len(hidden)].columns))


@register
class DeepRED(_LayerWise):
    """DeepRED: layer-by-layer decomposition of a network of any depth (by default the last hidden layer's
    reading on one hidden layer, ECLAIRE's reading of every hidden layer, pruned and compressed, on more).

    Parameters
    ----------
    substitution : {"term", "clause"}, default "clause"
        ``term``: each hidden term is replaced by the DNF learned for it one layer down,
        multiplied out (exponential in the worst case, guarded by the budgets).
        ``clause``: each top-level clause is learned directly from the inputs
        (polynomial). The original DeepRED is ``substitution="term", layers="last"``.
    layers : {"auto", "last", "all"}, default "auto"
        Which hidden layers give the top-level clauses. ``last``: a tree from the last
        hidden layer to the network's class, its clauses for the non-default classes
        (DeepRED). ``all``: such a tree on *every* hidden layer, the clauses of every
        class, each rewritten over the inputs and the rule sets united; the rules vote
        with their Laplace confidence (ECLAIRE, Espinosa Zarlenga et al. 2021, with
        ``substitution="clause"``). Each rule's provenance names the hidden-unit terms,
        of whichever layer, it came from. ``auto``: ``last`` on a network with one hidden
        layer and with ``substitution="term"`` (the original DeepRED); clause-wise on a deeper
        one ``all`` with ``min_coverage=0.01``, ``drop_redundant=True`` (unless given) and
        :func:`~rulex.compress` at the end (``compress_tolerance``; above 20,000 rows on a seeded
        sample of 20,000 of them), the combination
        that measured best on ECLAIRE's protocol (``benchmarks/results/decompositional.md``:
        64-32-16 networks, 5 folds; fidelity 0.948 / 0.942 / 0.766 on XOR, breast_cancer and
        german_credit with 12 / 34 / 262 conditions, where the last layer alone gave 0.934 / 0.939
        / 0.712 with 69 / 113 / 243). With one hidden layer ``all`` was no more faithful on the
        scaling benchmark's network, with 5 times the rules. Provenance ``reading`` records
        what was used.
    min_coverage : float or None, default None
        Intermediate-term pruning: a top-level clause true on fewer than this share of
        the (augmented) rows is dropped before it is rewritten over the inputs. None: 0.01
        where ``layers="auto"`` reads every layer, else 0.
    drop_redundant : bool or None, default None
        At the end, drop the rules (fewest rows covered first) whose removal does not
        lower the vote's agreement with the network on the (augmented) rows: with
        ``layers="all"`` the layers repeat each other, and this keeps the rules the
        vote needs. The remaining rules keep their provenance. None: True where
        ``layers="auto"`` reads every layer, else False.
    compress_tolerance : float, default 0.0
        The fidelity :func:`~rulex.compress` may give up where ``layers="auto"`` compresses
        (on the training rows and 4,000 network-labelled points, see its docstring).
    min_samples_leaf : int or float, default 0.005
        Minimum rows (or share of rows) in a leaf of every intermediate tree.
    max_depth : int or None, default None
        Depth limit of every intermediate tree.
    max_clauses : int or None, default 20000
        Largest number of clauses alive during a term-wise product.
    max_steps : int or None, default 20_000_000
        The work budget, the deterministic stop: clause pairs multiplied and candidates tried while
        composing (plus one per check-point); the same ``random_state`` gives the same outcome on any
        machine (provenance ``budget``). None: no work budget.
    max_seconds : float or None, default 1200
        Safety net only: a wall-clock limit a normal run never reaches. When it, not the work budget,
        stops the run, the outcome depends on the machine's load and says so (the error, or with
        ``on_budget="partial"`` provenance ``complete: False``, ``budget.stopped_by: "max_seconds"`` and
        a :class:`~rulex.PartialResultWarning`).
    on_budget : {"error", "partial"}, default "error"
        On a budget overrun: raise :class:`~rulex.BudgetExceededError` naming the layer,
        or return the clauses completed so far with a warning.
    generalise : bool, default True
        Drop literals that do not reduce errors against the network on the training rows.
    n_samples : int, default 4000
        Extra points drawn around the training rows by the shared sampler (Gaussian
        perturbation snapped onto the schema) and labelled by the network; 0 uses the
        training rows only, as the original DeepRED does.
    sample_scale : float, default 0.3
        Noise of those points, in training standard deviations per input.
    boundary_share : float, default 0.5
        Share of the extra points drawn around the quarter of training rows the network
        is least sure about (lowest top-class probability), where boundaries must go.
    tree_sample_rows : int or None, default 5000
        Above four times this many rows (training rows plus drawn points), every intermediate tree is
        learned on a seeded random sample of this many rows, then twice as many, and so on, until
        doubling the sample no longer makes the tree agree with its target on more than
        ``tree_tolerance`` of all the rows more (the larger tree is kept; if that never happens, the
        last is learned on every row, as with None). Leaves are a share of the rows
        (``min_samples_leaf``), so more rows only sharpen the split estimates; at 200k rows of
        ``benchmarks/scaling.py`` this takes DeepRED from about 200 to about 25 times the network's
        prediction time. None: every tree on every row. A tree on more than 20,000 rows is grown on
        columns sorted and binned once per extraction (the same CART splits and thresholds as
        scikit-learn's; only which of two equally good splits is taken may differ). A clause-wise
        tree on a sample, of which only the "clause holds" leaves are read, is grown on the sample's
        columns sorted once, and only where such a leaf can still arise: the same leaves and the same
        prediction on every row as scikit-learn's full tree (again up to ties between equally good
        splits), most of its nodes never grown -- the clauses are mostly rare. Provenance:
        ``intermediate_trees_fitted``, ``trees_on_a_sample``, ``largest_tree_rows``.
    tree_tolerance : float, default 0.002
        Share of all rows a doubling of the sample must gain in agreement for the sampling to go on
        (see ``tree_sample_rows``); 0 goes on while the tree gets any better.
    random_state : int or None, default 0
    """

    name = "deepred"
    description = "DeepRED: layer-wise trees on hidden activations, term- or clause-wise substitution (any depth)"
    _parameter_constraints = {
        "substitution": [Options(("term", "clause"))],
        "layers": [Options(("auto", "last", "all"))],
        "min_coverage": [Interval(float, 0.0, 1.0), None],
        "drop_redundant": [bool, None],
        "compress_tolerance": [Interval(float, 0.0, 1.0)],
        "min_samples_leaf": _LEAF,
        "max_depth": [Interval(int, 1, None), None],
        "max_clauses": [Interval(int, 1, None), None],
        "max_steps": [Interval(int, 1, None), None],
        "max_seconds": [Interval(float, 0.0, None), None],
        "on_budget": [Options(("error", "partial"))],
        "generalise": [bool],
        "n_samples": [Interval(int, 0, None)],
        "sample_scale": [Interval(float, 0.0, None)],
        "boundary_share": [Interval(float, 0.0, 1.0)],
        "tree_sample_rows": [Interval(int, 1, None), None],
        "tree_tolerance": [Interval(float, 0.0, 1.0)],
        "random_state": [Interval(int, 0, None), None],
    }

    def __init__(self, substitution="clause", layers="auto", min_coverage=None, drop_redundant=None,
                 compress_tolerance=0.0, min_samples_leaf=0.005, max_depth=None, max_clauses=20000, max_steps=MAX_STEPS,
                 max_seconds=SAFETY_SECONDS, on_budget="error", generalise=True, n_samples=4000, sample_scale=0.3,
                 boundary_share=0.5, tree_sample_rows=SAMPLE_ROWS, tree_tolerance=TOLERANCE, random_state=0):
        self.substitution = substitution
        self.layers = layers
        self.min_coverage = min_coverage
        self.drop_redundant = drop_redundant
        self.compress_tolerance = compress_tolerance
        self.min_samples_leaf = min_samples_leaf
        self.max_depth = max_depth
        self.max_clauses = max_clauses
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.on_budget = on_budget
        self.generalise = generalise
        self.n_samples = n_samples
        self.sample_scale = sample_scale
        self.boundary_share = boundary_share
        self.tree_sample_rows = tree_sample_rows
        self.tree_tolerance = tree_tolerance
        self.random_state = random_state

    def _extract(self, network, dataset, X):
        if not network.hidden_layers:
            raise NetworkError("deepred needs at least one hidden layer; this network has none")
        X, y, default, hidden, frames = self._setup(network, X)
        budget = Budget(self.max_clauses, self.max_seconds, "deepred", max_steps=self.max_steps)
        reading = self._reading(network)
        order, pruned = layer_clauses(hidden, frames, y, default, layers=reading["layers"],
                                      min_coverage=reading["min_coverage"], tree=self._tree)
        dnfs: dict = {}
        complete = True
        term_wise = _TermWise(self, hidden, frames, budget)
        done = 0
        try:
            for layer, cls, clause in order:
                if self.substitution == "term":
                    dnf = term_wise.expand_clause(clause, layer)
                else:
                    dnf = self._clause_wise(clause, layer, frames, budget)
                dnfs[cls] = dnfs.get(cls, Clauses([])).or_(dnf)
                budget.check(sum(len(d) for d in dnfs.values()), f"collecting the rules of class "
                                                                  f"{network.classes[cls]!r}")
                done += 1
        except BudgetExceededError as exc:
            if self.on_budget == "error":
                raise
            complete = False
            warnings.warn(f"{exc}. Returning the partial rule set built from {done} of {len(order)} top-level "
                          "clauses (on_budget='partial')", PartialResultWarning, stacklevel=3)
        extra = {"complete": complete, "top_clauses": len(order), "top_clauses_done": done,
                 "top_clauses_pruned": pruned, "peak_clauses": budget.peak,
                 "intermediate_trees": len(term_wise.memo)}
        self._inputs32, self._columns = None, {}       # the trees are done: their copies go before the finish
        rules, partial = finish_within(dnfs, network, X, y, default, budget=budget, generalise=self.generalise,
                                       on_budget=self.on_budget, every_class=reading["layers"] == "all")
        if reading["drop_redundant"]:
            rules, extra["rules_dropped"] = drop_redundant_rules(rules, X, y, network.encoder.input_names_)
        return rules, {**extra, **partial, **budget.provenance(), **self._tree_log.provenance(), "reading": reading}

    def _reading(self, network) -> dict:
        """The layers, pruning and compression this network gets (``layers="auto"`` resolved)."""
        deep = self.layers == "auto" and self.substitution == "clause" and len(network.hidden_layers) > 1
        layers = ("all" if deep else "last") if self.layers == "auto" else self.layers
        return {"layers": layers,
                "min_coverage": float(self.min_coverage if self.min_coverage is not None else 0.01 if deep else 0.0),
                "drop_redundant": bool(self.drop_redundant if self.drop_redundant is not None else deep),
                "compress": deep}

    def fit(self, network, dataset):
        """Extract the rules (see :meth:`DecompositionalExtractor.fit`); with ``layers="auto"`` on a
        network of more than one hidden layer, compressed at the end (provenance ``compression``; the
        seconds include it, ``peak_memory_mb`` is the extraction's)."""
        super().fit(network, dataset)
        if self.rules_.provenance.get("reading", {}).get("compress"):
            started = time.perf_counter()
            self.rules_ = self._compressed(network, dataset)
            seconds = time.perf_counter() - started
            prov = self.rules_.provenance
            prov["run"] = {**prov["run"], "seconds": round(prov["run"]["seconds"] + seconds, 4),
                           "compress_seconds": round(seconds, 4)}
            self.extraction_seconds_ += seconds
            self.rules_ = self.rules_.replace(provenance=prov)
        return self

    def _compressed(self, network, dataset):
        """``rules_`` compressed; above ``COMPRESS_ROWS`` rows on a seeded sample of that many (each edit is
        judged on every row of the sample, so its cost grows with the rows, and 20,000 rows plus the
        4,000 network-labelled points settle a share to about 0.3 %), then support, precision and
        ``train_fidelity`` measured again on every row."""
        rows = len(dataset.frame)
        if rows <= COMPRESS_ROWS:
            return compress(self.rules_, network, dataset, tolerance=float(self.compress_tolerance),
                            random_state=self.random_state)
        pick = np.sort(np.random.default_rng(self.random_state).choice(rows, COMPRESS_ROWS, replace=False))
        rules = compress(self.rules_, network, dataset.subset(pick, "-compress-sample"),
                         tolerance=float(self.compress_tolerance), random_state=self.random_state)
        y_net = network.predict(dataset.frame)
        rules = annotate(rules, dataset.frame, y_net)
        prov = rules.provenance
        prov["compression"]["sampled_from_rows"] = rows
        prov["train_fidelity"] = float(np.mean(rules.predict(dataset.frame) == y_net))
        return rules.replace(provenance=prov)

    # -- clause-wise -------------------------------------------------------------------
    def _clause_wise(self, clause, layer, frames, budget) -> Clauses:
        target = np.ones(len(frames[0]), dtype=bool)
        for lit in clause:                  # a tree's literals: "<=" or ">" on an activation (never missing)
            col = frames[layer][lit.feature].to_numpy()
            target &= (col > lit.value) if lit.op == ">" else (col <= lit.value)
        d = self._tree(self._inputs32, target, list(frames[0].columns), key=0, wanted=True)
        terms = [(*_parse_unit(l.feature), l.op, l.value) for l in clause]
        out = Clauses.from_conjunctions(d.get(True, []), frames[0], terms)
        budget.check(len(out), f"learning input rules for a clause of hidden layer {layer}")
        return out


class _TermWise:
    """DeepRED's term-wise substitution for one ``_extract`` call: every hidden term ``h > t`` is
    learned by a tree over the layer below (memoised per term, the trees counted in ``memo``) and
    replaced by its input-level DNF, multiplied out."""

    def __init__(self, params: DeepRED, hidden, frames, budget):
        self.params, self.hidden, self.frames, self.budget = params, hidden, frames, budget
        self.memo: dict = {}

    def term_dnfs(self, layer, unit, thr):
        """DNFs (over layer-1 literals) for ``h > thr`` and ``h <= thr``; one tree per term."""
        key = (layer, unit, thr)
        if key not in self.memo:
            p, below = self.params, self.frames[layer - 1]
            target = self.hidden[layer - 1][:, unit] > thr
            d = p._tree(below.to_numpy(), target, list(below.columns), key=layer - 1)
            self.memo[key] = {"pos": d.get(True, []), "neg": d.get(False, []), "expanded": {}}
            self.budget.check(0, f"learning the term {unit_name(layer, unit)} > {thr:.4g}")
        return self.memo[key]

    def expand_literal(self, lit) -> Clauses:
        """Full input-level DNF of a literal on a hidden layer (memoised)."""
        l, u = _parse_unit(lit.feature)
        thr = lit.value
        entry = self.term_dnfs(l, u, thr)
        side = "pos" if lit.op == ">" else "neg"
        if side in entry["expanded"]:
            return entry["expanded"][side]
        term = (l, u, lit.op, thr)
        below = l - 1
        result = Clauses([])
        for conj in entry[side]:
            if below == 0:
                part = Clauses.from_conjunctions([conj], self.frames[0])
            else:
                part = self.expand_clause(conj, below)
            result = result.or_(part)
            self.budget.check(len(result), f"substituting layer {l} into layer {below} "
                                           f"(term {lit.feature} {lit.op} {thr:.4g})")
        result = result.with_terms([term])
        entry["expanded"][side] = result
        return result

    def expand_clause(self, clause, layer) -> Clauses:
        """AND of the expansions of a clause's literals (all on hidden layer ``layer``)."""
        clause = fold(clause) or ()
        acc = Clauses.true(len(self.frames[0]))
        for lit in sorted(clause, key=lambda c: (c.feature, c.op, c.value)):
            part = self.expand_literal(lit)
            acc = acc.and_(part, self.budget, f"multiplying out a clause of hidden layer {layer}",
                           keep_uncovered=False)
            if not len(acc):
                break
        return acc


@register
class CRED(_LayerWise):
    """CRED: one hidden layer; hidden units discretised at the thresholds the output tree uses.

    A tree from the hidden activations to the network's class gives clauses over hidden
    units. Each hidden unit's thresholds cut its range into intervals; one tree per unit
    learns the interval from the inputs. Every hidden condition is replaced by the
    rules of the intervals it admits, and the clauses are multiplied out.

    Parameters are those of :class:`DeepRED` without ``substitution``, with coarser defaults
    (``min_samples_leaf=0.02``, ``n_samples=1000``): every interval tree is multiplied
    with every other one in a clause, so small leaves make large products. CRED's trees are on
    every row by default (``tree_sample_rows=None``): its few shallow trees decide every interval, and
    on sampled rows its rules were less faithful (0.79 against 0.80 at 200k rows of
    ``benchmarks/scaling.py``). Above 20,000 rows they are grown on presorted, binned columns shared
    by all of them: the same trees as scikit-learn's (but for the choice between two equally good
    splits), several times faster.
    """

    name = "cred"
    description = "CRED: hidden->output tree, per-unit interval trees from the inputs, substitution (1 hidden layer)"
    _parameter_constraints = {k: v for k, v in DeepRED._parameter_constraints.items() if k != "substitution"}

    def __init__(self, min_samples_leaf=0.02, max_depth=4, max_clauses=20000, max_steps=MAX_STEPS,
                 max_seconds=SAFETY_SECONDS, on_budget="error", generalise=True, n_samples=1000, sample_scale=0.3, boundary_share=0.0,
                 tree_sample_rows=None, tree_tolerance=TOLERANCE, random_state=0):
        self.min_samples_leaf = min_samples_leaf
        self.max_depth = max_depth
        self.max_clauses = max_clauses
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.on_budget = on_budget
        self.generalise = generalise
        self.n_samples = n_samples
        self.sample_scale = sample_scale
        self.boundary_share = boundary_share
        self.tree_sample_rows = tree_sample_rows
        self.tree_tolerance = tree_tolerance
        self.random_state = random_state

    def _extract(self, network, dataset, X):
        n_hidden = len(network.hidden_layers)
        if n_hidden != 1:
            raise NetworkError(f"cred reads networks with exactly one hidden layer; this one has {n_hidden}. "
                               "Use method='deepred' for deeper networks")
        X, y, default, hidden, frames = self._setup(network, X)
        budget = Budget(self.max_clauses, self.max_seconds, "cred",
                        advice="raise min_samples_leaf to get fewer intervals per hidden unit", max_steps=self.max_steps)
        top = self._top(y, hidden, frames)
        H = hidden[0]
        thresholds: dict = {}
        for cls, conjs in top.items():
            for c in conjs:
                for lit in c:
                    thresholds.setdefault(_parse_unit(lit.feature)[1], set()).add(lit.value)
        interval_dnfs = {}
        for unit, ts in sorted(thresholds.items()):
            ts = np.array(sorted(ts))
            label = np.searchsorted(ts, H[:, unit], side="left")  # number of thresholds below the value
            d = self._tree(self._inputs32, label, list(frames[0].columns), key=0)
            interval_dnfs[unit] = (ts, {lab: Clauses.from_conjunctions(c, frames[0]) for lab, c in d.items()})
        dnfs = {}
        done, total = 0, 0
        try:
            for cls, conjs in sorted(top.items()):
                if cls == default:
                    continue
                for conj in conjs:
                    total += 1
                    box = box_of(conj)
                    acc = Clauses.true(len(X))
                    for name, fb in sorted(box.features.items()):
                        unit = _parse_unit(name)[1]
                        ts, per_label = interval_dnfs[unit]
                        lo = 0 if not np.isfinite(fb.lo) else int(np.searchsorted(ts, fb.lo, side="left")) + 1
                        hi = len(ts) if not np.isfinite(fb.hi) else int(np.searchsorted(ts, fb.hi, side="left"))
                        admitted = Clauses([])
                        for lab in range(lo, hi + 1):
                            admitted = admitted.or_(per_label.get(lab, Clauses([])))
                        terms = [(1, unit, ">", fb.lo)] if np.isfinite(fb.lo) else []
                        terms += [(1, unit, "<=", fb.hi)] if np.isfinite(fb.hi) else []
                        acc = acc.and_(admitted.with_terms(terms), budget,
                                       "substituting the hidden layer into the inputs", keep_uncovered=False)
                        if not len(acc):
                            break
                    dnfs[cls] = dnfs.get(cls, Clauses([])).or_(acc)
                    done += 1
        except BudgetExceededError as exc:
            if self.on_budget == "error":
                raise
            warnings.warn(f"{exc}. Returning the partial rule set built from {done} top-level clauses "
                          "(on_budget='partial')", PartialResultWarning, stacklevel=3)
        extra = {"complete": done == total or not total, "top_clauses_done": done, "peak_clauses": budget.peak}
        rules, partial = finish_within(dnfs, network, X, y, default, budget=budget, generalise=self.generalise,
                                       on_budget=self.on_budget)
        self._inputs32, self._columns = None, {}
        return rules, {**extra, **partial, **budget.provenance(), **self._tree_log.provenance()}
