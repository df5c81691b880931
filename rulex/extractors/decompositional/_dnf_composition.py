"""Layer-by-layer DNF composition, shared by the decompositional extractors (DeepRED, CRED, KT,
N-of-M, Tsukimoto): from per-layer DNFs to input-level clauses to an unordered RuleSet.

* ``tree_dnf``: a CART tree from one layer's values to a target, read as one DNF per
  label. Paths are exhaustive and mutually exclusive, so a term and its negation both
  get rules (pitfall P2) and a label with no leaf has an empty DNF: it is *false*.
* ``Budget``: clause and work limits (the wall clock only as a safety net) that stop an
  expansion with a message saying where it blew up, instead of running out of memory (pitfall P1).
* ``Clauses``: a DNF whose every conjunction carries a packed bitmask of the training
  rows it covers, so products drop empty combinations before they multiply.
* ``finish``: turn per-class DNFs over the inputs into an unordered RuleSet, after an
  optional generalisation pass on the training rows.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from ...exceptions import BudgetExceededError, PartialResultWarning
from ...rules import Condition, Rule, RuleSet
from ...rules.intervals import box_of, fold, implies
from ...rules.simplify import simplify_dnf
from ..budget import WorkClock
from ._units import unit_name

__all__ = ["tree_dnf", "cart_dnf", "Budget", "Clauses", "finish", "hidden_frame", "MAX_STEPS"]

#: default work budget of the decompositional methods (``max_steps``). Measured on the bundled sets with
#: ``rulex compare``'s network: tsukimoto did 11 to 15 million steps a minute (loaded 2-core machine) where
#: it runs past a minute (adult, german_credit, monk3, mushroom); where it finishes, at most ~1.2 million
#: (monk1, monk2); deepred and cred do far fewer (their work is in trees). So it stops about where the
#: old 60 s wall clock did, the same way on every machine.
MAX_STEPS = 20_000_000
#: COMPOSITION_STEPS: with ``Budget(real_cost=True)`` (Tsukimoto) the composition is charged about what it
#: costs on the calibration of MAX_STEPS (about 3 microseconds a step; the other methods still count one step
#: per clause pair): a product's fold FOLD_STEPS and as many per condition folded (with the product's
#: bookkeeping, 6 microseconds a condition under tracemalloc, as extractions run), ANDing packed masks one
#: step per MASK_BYTES_PER_STEP bytes, a greedy cover COVER_ROW_STEPS per mask it counts. Measured on adult
#: (32, 16) relu, 21,113 rows: before this count the products took 9.6 microseconds a counted step and the
#: cover (uncounted then) 52 of the 122 s of CPU; with it, 2 to 3 microseconds a step each.
FOLD_STEPS = 2
MASK_BYTES_PER_STEP = 8192
COVER_ROW_STEPS = 2


def hidden_frame(values: np.ndarray, layer: int) -> pd.DataFrame:
    return pd.DataFrame(values, columns=[unit_name(layer, i) for i in range(values.shape[1])])


def tree_dnf(A: np.ndarray, y: np.ndarray, names, *, min_samples_leaf=1, max_depth=None,
             random_state=0) -> dict:
    """Fit CART on (A, y) and return ``{label: [conjunction, ...]}`` for every label in ``y``.

    A label that no leaf predicts maps to ``[]`` (false); a constant ``y`` gives ``[()]``.
    """
    from sklearn.tree import DecisionTreeClassifier
    labels = np.unique(y)
    if len(labels) == 1:
        return {labels[0].item(): [()]}
    tree = DecisionTreeClassifier(min_samples_leaf=min_samples_leaf, max_depth=max_depth,
                                  random_state=random_state).fit(A, y)
    return cart_dnf(tree, names, labels)


def cart_dnf(tree, names, labels) -> dict:
    """A fitted ``DecisionTreeClassifier`` read as ``{label: [conjunction, ...]}``, one key per ``labels``."""
    t = tree.tree_
    out: dict = {lab.item(): [] for lab in labels}

    def walk(node, path):
        if t.children_left[node] == -1:
            lab = tree.classes_[int(np.argmax(t.value[node][0]))].item()
            out[lab].append(tuple(path))
            return
        name, thr = names[t.feature[node]], float(t.threshold[node])
        walk(t.children_left[node], path + [Condition(name, "<=", thr)])
        walk(t.children_right[node], path + [Condition(name, ">", thr)])

    walk(0, [])
    return out


class Budget(WorkClock):
    """Limits on the number of clauses alive at once (``max_clauses``) and on the work done
    (``max_steps``: candidate terms tried, clause pairs multiplied, plus one per check-point), with the
    wall clock (``max_seconds``) as a safety net. ``check`` raises :class:`BudgetExceededError` saying
    which budget ran out and where; ``provenance()`` records it (see :class:`WorkClock`)."""

    def __init__(self, max_clauses: int | None, max_seconds: float | None, method: str,
                 advice: str = "use substitution='clause' (no products), or raise min_samples_leaf to get "
                               "smaller intermediate rule sets", max_steps: int | None = None,
                 real_cost: bool = False):
        super().__init__(method, max_work=max_steps, work_name="max_steps" if max_steps is not None else None,
                         max_seconds=max_seconds)
        self.max_clauses = max_clauses
        self.advice = advice
        self.peak = 0
        self.real_cost = real_cost

    @staticmethod
    def pair_steps(n_pairs: int, n_bytes: int, n_folded: int, n_conditions: int) -> int:
        """Work steps (``real_cost``) of ANDing one clause's packed mask (``n_bytes``) with ``n_pairs`` others
        at once and folding the ``n_folded`` products that cover a row, of ``n_conditions`` conditions in all
        (see COMPOSITION_STEPS)."""
        return 1 + n_pairs * n_bytes // MASK_BYTES_PER_STEP + FOLD_STEPS * (n_folded + n_conditions)

    @staticmethod
    def rows_steps(n_rows: int, n_bytes: int) -> int:
        """Work steps (``real_cost``) of a greedy cover that counted ``n_rows`` packed masks of ``n_bytes``
        each (the count and the heap's bookkeeping of each)."""
        return n_rows * COVER_ROW_STEPS + n_rows * n_bytes // MASK_BYTES_PER_STEP

    def check(self, n_clauses: int, where: str):
        self.peak = max(self.peak, n_clauses)
        self.spend(1)
        if self.max_clauses is not None and n_clauses > self.max_clauses:
            self.stop("max_clauses", where)
            raise BudgetExceededError(
                f"{self.method}: {where} produced {n_clauses} clauses, over max_clauses={self.max_clauses}. "
                f"Raise max_clauses, or {self.advice}")
        if self.exhausted(where) is not None:
            raise self.error(f"{self.message()} ({n_clauses} clauses alive), or {self.advice}")


class Clauses:
    """A DNF with, per clause, the packed training-row coverage and the hidden terms it came from.

    Items are ``(conjunction, packed_mask, terms)``; ``terms`` is a frozenset of
    ``(layer, unit, op, threshold)`` for provenance.
    """

    def __init__(self, items):
        self.items = list(items)

    @classmethod
    def from_conjunctions(cls, conjunctions, frame: pd.DataFrame, terms=frozenset()):
        items, seen = [], set()
        for c in conjunctions:
            f = fold(c)
            if f is None or f in seen:
                continue
            seen.add(f)
            mask = np.ones(len(frame), dtype=bool)
            for lit in f:
                mask &= lit.evaluate(frame)
            items.append((f, np.packbits(mask), frozenset(terms)))
        return cls(items)

    @classmethod
    def true(cls, n_rows: int):
        return cls([((), np.packbits(np.ones(n_rows, dtype=bool)), frozenset())])

    def __len__(self):
        return len(self.items)

    def conjunctions(self):
        return [c for c, _, _ in self.items]

    def with_terms(self, terms) -> "Clauses":
        return Clauses([(c, m, p | frozenset(terms)) for c, m, p in self.items])

    def drop_uncovered(self) -> "Clauses":
        return Clauses([it for it in self.items if it[1].any()])

    def or_(self, other: "Clauses") -> "Clauses":
        index = {c: i for i, (c, _, _) in enumerate(self.items)}
        items = list(self.items)
        for c, m, p in other.items:
            if c in index:
                i = index[c]
                items[i] = (c, items[i][1], items[i][2] | p)
            else:
                index[c] = len(items)
                items.append((c, m, p))
        return Clauses(items)

    def and_(self, other: "Clauses", budget: Budget, where: str, keep_uncovered: bool) -> "Clauses":
        """The product: every pair's conjunction (folded; empty boxes dropped, and, unless ``keep_uncovered``,
        pairs covering no training row), equal conjunctions merged. Each clause of ``self`` is ANDed with
        all of ``other``'s masks at once; ``budget`` is charged one step a pair, or with ``real_cost`` the
        masks' words and a fold per pair kept (:meth:`Budget.pair_steps`)."""
        out: list = []
        index: dict = {}
        k = len(other.items)
        M = np.stack([mb for _, mb, _ in other.items]) if k else np.zeros((0, 0), dtype=np.uint8)
        lengths = np.array([len(b) for b, _, _ in other.items], dtype=np.int64)
        for a, ma, pa in self.items:
            prod = M & ma if k else M
            js = range(k) if keep_uncovered or not k else np.flatnonzero(prod.any(axis=1)).tolist()
            for j in js:
                b, _, pb = other.items[j]
                m = prod[j]
                f = fold(a + b)
                if f is None:
                    continue
                if f in index:
                    i = index[f]
                    out[i] = (f, out[i][1], out[i][2] | pa | pb)
                    continue
                index[f] = len(out)
                out.append((f, m.copy(), pa | pb))
            budget.spend(budget.pair_steps(k, len(ma), len(js), len(js) * len(a) + int(lengths[js].sum()))
                         if budget.real_cost else k)
            budget.check(len(out), where)
        return Clauses(out)


def term_provenance(terms) -> dict:
    """JSON-native provenance: the hidden-unit terms, sorted from the top layer down."""
    rows = sorted(terms, key=lambda t: (-t[0], t[1], t[2], t[3]))
    return {"hidden_terms": [{"layer": l, "unit": u, "op": op, "threshold": thr} for l, u, op, thr in rows]}


def _generalise(clauses, label_mask: np.ndarray, frame: pd.DataFrame, budget: Budget | None = None):
    """Drop literals that do not help on the training rows (C4.5-rules style).

    A literal is removed from a clause when the clause then covers no more rows the
    network assigns to another class than before. Deterministic: literals are tried
    in order.
    """
    out: list = []
    cache: dict = {}
    # row masks packed 8 to a byte, counted by popcount: the same counts at an eighth of the memory traffic
    other = np.packbits(~label_mask)
    every = np.packbits(np.ones(len(frame), dtype=bool))

    def m(lit):
        r = cache.get(lit)
        if r is None:
            r = cache[lit] = np.packbits(lit.evaluate(frame))
        return r

    def wrong(lits) -> int:
        cover = every.copy()
        for lit in lits:
            cover &= m(lit)
        return int(np.bitwise_count(cover & other).sum())

    for n_done, clause in enumerate(clauses):
        if budget is not None and n_done % 16 == 0:
            budget.check(len(clauses), "generalising the rules")
        lits = list(clause)
        bad = wrong(lits)
        i = 0
        while i < len(lits):
            trial = lits[:i] + lits[i + 1:]
            if wrong(trial) <= bad:
                lits = trial
            else:
                i += 1
        out.append(tuple(lits))
    return out


def _constrained(conjunction) -> frozenset:
    """The features a conjunction's box actually bounds (a finite end, a set of values, a missing test)."""
    box = box_of(conjunction)
    return frozenset(name for name, fb in box.features.items()
                     if math.isfinite(fb.lo) or math.isfinite(fb.hi) or fb.allowed is not None or fb.excluded
                     or fb.missing is not None)


def finish_within(dnfs: dict, network, X: np.ndarray, y_idx: np.ndarray, default_idx: int, *, budget: Budget,
                  generalise: bool, on_budget: str = "error", every_class: bool = False) -> tuple:
    """:func:`finish` under the extractor's budget: ``(rules, provenance update)``. When generalising,
    simplifying or matching provenance runs past the budget, ``on_budget="error"`` raises and
    ``"partial"`` returns the clauses as found (not generalised or simplified, each keeping its own
    terms) with the update ``{"complete": False, "simplified": False}``; otherwise the update is empty."""
    try:
        return finish(dnfs, network, X, y_idx, default_idx, generalise=generalise, budget=budget,
                      every_class=every_class), {}
    except BudgetExceededError as exc:
        if on_budget == "error":
            raise
        warnings.warn(f"{exc}. Returning the rules unsimplified (on_budget='partial')", PartialResultWarning,
                      stacklevel=3)
        rules = finish(dnfs, network, X, y_idx, default_idx, generalise=False, simplify=False,
                       every_class=every_class)
        return rules, {"complete": False, "simplified": False}


def finish(dnfs: dict, network, X: np.ndarray, y_idx: np.ndarray, default_idx: int, *, generalise: bool,
           max_symbols: int = 8, budget: Budget | None = None, simplify: bool = True,
           every_class: bool = False) -> RuleSet:
    """Per-class DNFs over network inputs (``{class index: Clauses}``) -> unordered RuleSet in encoded space.

    Each rule's weight is its Laplace confidence against the network on the training
    rows, (agree + 1) / (covered + 2), rounded to a multiple of 2**-16 so that vote totals
    are exact whatever the order of addition (and exports can reproduce ties), so
    overlapping rules of different classes are settled by how reliable they were. Rules that cover no training row are dropped.
    Every rule keeps the hidden-unit terms of the clauses it was made from. ``every_class``
    keeps the default class's rules too (they then vote against the others, as in ECLAIRE).
    The rules stand in class blocks (the default's first, then the network's class order), each by
    falling weight: a tie between class totals goes to the earlier block.
    """
    frame = pd.DataFrame(X, columns=network.encoder.input_names_)
    rules = []
    masks: dict = {}
    for k, dnf in dnfs.items():
        if k == default_idx and not every_class:
            continue
        label_mask = y_idx == k
        source = dnf.items
        clauses = [c for c, _, _ in source]
        if budget is not None:
            budget.check(len(clauses), f"simplifying the rules of class {network.classes[k]!r}")
        if generalise:
            clauses = _generalise(clauses, label_mask, frame, budget)
        if budget is not None:
            budget.check(len(clauses), f"simplifying the rules of class {network.classes[k]!r}")
        # a source box can only lie inside a rule's if it bounds every feature the rule bounds (or is empty)
        reach = [(box_of(orig).empty, frozenset(box_of(orig).features)) for orig, _, _ in source] if simplify else []
        if simplify:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                where = f"simplifying the rules of class {network.classes[k]!r}"
                simple = simplify_dnf(clauses, max_symbols=max_symbols, check=None if budget is None else
                                      (lambda: budget.check(len(clauses), where)))
        else:
            simple = clauses
        for i, clause in enumerate(simple):
            if budget is not None and i % 32 == 0:
                budget.check(len(simple), f"matching the rules of class {network.classes[k]!r} to their terms")
            cover = np.ones(len(frame), dtype=bool)
            for lit in clause:
                mask = masks.get(lit)
                if mask is None:            # clauses share most of their tests: each is evaluated once
                    mask = masks[lit] = lit.evaluate(frame)
                cover &= mask
            n = int(cover.sum())
            if n == 0:
                continue
            agree = int(np.sum(cover & label_mask))
            terms: frozenset = frozenset()
            if simplify:
                # a generalised clause only drops literals of its source, so the source's box lies inside it:
                # "the generalised clause or its source implies the rule" is "its source implies the rule"
                need = _constrained(clause)
                for (orig, _, p), (empty, has) in zip(source, reach):
                    if (empty or need <= has) and implies(orig, clause):
                        terms |= p
            else:                   # unsimplified: each clause is its own source
                terms = source[i][2]
            # Laplace confidence on a 2**-16 grid: vote totals are then exact sums in any order
            weight = round((agree + 1) / (n + 2) * 65536) / 65536
            rules.append(Rule(clause, network.classes[k], weight=weight,
                              provenance=term_provenance(terms)))
    # class blocks (the default's first, then the network's order), each by falling weight: a tie between
    # class totals goes to the earlier block (the default when its rules vote), and the deciding rule of a
    # class is its most reliable firing one. Interleaved classes would make the tie-break a decision list,
    # which PMML's weightedSum can only encode with weights exponential in the alternations.
    order = [default_idx] + [k for k in range(len(network.classes)) if k != default_idx]
    block = {network.classes[k]: i for i, k in enumerate(order)}
    rules.sort(key=lambda r: (block[r.conclusion], -r.weight))
    return RuleSet(rules, network.classes[default_idx], semantics="unordered", task="classification",
                   classes=network.classes, space="encoded")


def pairwise_logits(out_layer) -> tuple:
    """Output weights and biases with one row per class: a single logit (class 1 iff z >= 0) becomes
    the two rows (0, z), so that "class c wins over class c2" is always ``(W[c] - W[c2]) x + b >= 0``."""
    Wo, bo = out_layer.weights, out_layer.bias
    if Wo.shape[0] == 1:
        Wo = np.vstack([np.zeros_like(Wo[0]), Wo[0]])
        bo = np.array([0.0, bo[0]])
    return Wo, bo


def compose(items, layer: int, literals, unit_dnf, frame0, budget, where: str, bound=None) -> Clauses:
    """OR over items of AND over their literals: a literal on the inputs (``layer == 0``) is its
    conditions, one on a hidden unit is replaced by that unit's input-level rules ``unit_dnf(l, j, on)``.
    ``literals(item)`` gives an item's literals as ``(conditions, (l, j, on))`` pairs. ``bound``
    (optional) is applied to every partial product and partial sum (a bound on the clauses alive)."""
    bound = bound or (lambda clauses: clauses)
    result = Clauses([])
    for item in items:
        acc = Clauses.true(len(frame0))
        for conds, key in literals(item):
            part = Clauses.from_conjunctions([conds], frame0) if layer == 0 else unit_dnf(*key)
            acc = bound(acc.and_(part, budget, where, keep_uncovered=False))
            if not len(acc):
                break
        result = bound(result.or_(acc))
        budget.check(len(result), where)
    return result


def class_rules(network, n_rows: int, default: int, decision, budget, on_budget: str = "error",
                reduce=None) -> tuple:
    """Per class (but the default), the AND over every other class of ``decision(c, c2)`` (the input-level
    rules of "c wins over c2"), subsumed clauses dropped. Returns ``({class index: Clauses}, classes
    done)``; when the budget runs out, ``on_budget="partial"`` keeps the classes finished so far.
    ``reduce`` (optional) is applied to every partial product (a bound on the clauses alive)."""
    dnfs: dict = {}
    done: list = []
    K = len(network.classes)
    try:
        for c in range(K):
            if c == default:
                continue
            acc = Clauses.true(n_rows)
            for c2 in range(K):
                if c2 == c:
                    continue
                acc = acc.and_(decision(c, c2), budget,
                               f"combining the pairwise tests of class {network.classes[c]!r}", keep_uncovered=False)
                if reduce is not None:
                    acc = reduce(acc)
            dnfs[c] = drop_subsumed(acc, n_rows, budget)
            done.append(network.classes[c])
    except BudgetExceededError as exc:
        if on_budget == "error":
            raise
        warnings.warn(f"{exc}. Returning the rules of the {len(done)} class(es) finished (on_budget='partial')",
                      PartialResultWarning, stacklevel=3)
    return dnfs, done


def drop_subsumed(clauses: Clauses, n_rows: int, budget) -> Clauses:
    """Drop every clause whose box lies inside another's (so it adds nothing to the disjunction).

    A clause can only lie inside another if the rows it covers do, so the exact box test runs on
    the pairs that pass a row-coverage test (one matrix product) -- the products of layers leave
    many such clauses, and the quadratic box test of every pair would dominate the run.
    """
    items = clauses.items
    if len(items) < 2:
        return clauses
    M = np.unpackbits(np.stack([m for _, m, _ in items]), axis=1, count=n_rows).astype(np.float32)
    outside = M @ (1.0 - M).T                  # rows of clause i not covered by clause j
    keep = []
    for i, (c, _, _) in enumerate(items):
        if i % 64 == 0:
            budget.check(len(items), "dropping subsumed rules")
        inside = np.flatnonzero(outside[i] == 0)
        budget.spend(len(inside))
        dominated = False
        for j in inside:
            if j != i and implies(c, items[j][0]) and (j < i or not implies(items[j][0], c)):
                dominated = True
                break
        if not dominated:
            keep.append(items[i])
    return Clauses(keep)
