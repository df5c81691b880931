"""compress(): shrink any classification rule set while its fidelity to the network holds.

Fidelity is measured on one large network-labelled sample: the rows given plus points of the
shared :class:`~rulex.extractors.sampling.Sampler`, half ANN-DT perturbations of those rows (where
the data is) and half drawn from the product of the features' marginals (everywhere in the data's
box, where new rows may fall and perturbations of a few training rows never go), all labelled by the
network. The sampler points are cut in two halves: the *search* half (with the rows) and the *check*
half. Greedy passes, repeated until nothing changes:

1. drop rules that decide no row of the sample, or whose precision against the network on the
   rows they decide is below the default's precision on the rows it decides;
2. drop whole rules;
3. merge two rules with the same conclusion into the conditions they share (the merged rule keeps
   its provenance and the other's under ``merged_with``);
4. drop single conditions, and single literals of m-of-n tests (keeping m, or m - 1);

each change is kept only if fidelity stays >= (fidelity before compression) - ``tolerance`` on
the rows given and on both halves of the points. So the result never loses more than ``tolerance`` on the sample, whatever the
extractor was, and a change that only fits the search half (a greedy search over many candidate
removals would otherwise pick those) is refused by the check half.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..exceptions import DataError, NetworkError
from .base import annotate
from .budget import check_rows
from .sampling import Sampler
from ..network.adapter import Network
from ..rules import MofN, RuleSet

__all__ = ["compress", "compression_sample"]


def compression_sample(network, dataset, n_samples: int = 4000, random_state=0, marginal: bool = True):
    """The frame (original units) and network labels :func:`compress` measures fidelity on: the
    rows of ``dataset``, then ``n_samples`` sampler points, alternately a perturbed copy of a row
    (:meth:`Sampler.perturb`) and a draw from the marginals (:meth:`Sampler.sample`), so that any
    prefix of the points is half of each; ``marginal=False``: perturbed copies only (points like the
    data, as ``auto`` scores its candidates). Deterministic under ``random_state``."""
    frame = dataset.frame[network.schema.feature_names]
    X = network.encoder.transform(frame)
    parts, labels = [frame.reset_index(drop=True)], [network.predict_index(X)]
    if n_samples:
        check_rows("n_samples", int(n_samples), X.shape[1])
        sampler = Sampler(network.encoder, X, random_state=random_state)
        n_far = int(n_samples) // 2 if marginal else 0
        near, far = sampler.perturb(int(n_samples) - n_far), sampler.sample(n_far)
        S = np.empty((len(near) + len(far), X.shape[1]))
        if marginal and len(near) - len(far) in (0, 1):                 # interleaved: every prefix is half of each
            S[0::2], S[1::2] = near, far
        else:                                              # a starved sampler gave fewer of one kind
            S = np.vstack([near, far])
        if len(S):
            parts.append(network.encoder.inverse_transform(S))
            labels.append(network.predict_index(S))
    sample = pd.concat(parts, ignore_index=True)
    for f in network.schema.features:          # inverse_transform may widen dtypes; keep the user's
        if f.kind not in ("numeric", "integer"):
            sample[f.name] = sample[f.name].astype(object)
    y = np.asarray(network.classes, dtype=object)[np.concatenate(labels)]
    return sample, y


class _State:
    """Rule set under edit, with cached condition masks on the sample."""

    def __init__(self, rules: RuleSet, frame, y):
        self.template = rules
        self.frame, self.y = frame, y
        self.cache: dict = {}
        classes = list(rules.classes)
        self.lookup = {c: i for i, c in enumerate(classes)}
        self.yi = np.array([self.lookup.get(v, -1) for v in y])

    def cmask(self, c) -> np.ndarray:
        m = self.cache.get(c)
        if m is None:
            m = self.cache[c] = c.evaluate(self.frame)
        return m

    def rmask(self, conds) -> np.ndarray:
        m = np.ones(len(self.frame), dtype=bool)
        for c in conds:
            if isinstance(c, MofN):
                cnt = np.zeros(len(self.frame), dtype=np.int64)
                for lit in c.conditions:
                    cnt += self.cmask(lit)
                m &= cnt >= c.m
            else:
                m &= self.cmask(c)
        return m

    def decide(self, rules, masks) -> np.ndarray:
        M = np.column_stack(masks) if masks else np.zeros((len(self.frame), 0), dtype=bool)
        return self.template.replace(rules=tuple(rules)).decide(self.frame, matches=M)

    def agreement(self, rules, masks) -> np.ndarray:
        d = self.decide(rules, masks)
        concl = np.array([self.lookup[r.conclusion] for r in rules] + [self.lookup[self.template.default]])
        return concl[d] == self.yi

    def fidelity(self, rules, masks) -> float:
        return float(np.mean(self.agreement(rules, masks)))


def _mofn_variants(c: MofN):
    """m-of-n tests with one literal fewer (m kept when possible, and m - 1)."""
    out = []
    for i in range(len(c.conditions)):
        rest = c.conditions[:i] + c.conditions[i + 1:]
        for m in sorted({min(c.m, len(rest)), c.m - 1}):
            if m < 1 or not rest:
                continue
            out.append(rest[0] if len(rest) == 1 and m == 1 else
                       (list(rest) if m == len(rest) else MofN(m, rest)))
    return out


def compress(rules, network, dataset, tolerance: float = 0.0, random_state=0, *, n_samples: int = 4000,
             max_passes: int = 10, sample=None):
    """Remove conditions, m-of-n literals and rules (and merge rules) while fidelity holds.

    Parameters
    ----------
    rules : RuleSet
        A classification rule set in original units (any extractor's output).
    network : Network
        The network the rules explain.
    dataset : Dataset
        Rows to measure fidelity on (usually the training split); sampler points are added.
    tolerance : float, default 0.0
        Largest drop of fidelity on the sample that the compressed rules may show.
    random_state : int or None, default 0
    n_samples : int, default 4000
        Sampler points added to the rows of ``dataset``.
    max_passes : int, default 10
    sample : (frame, labels) or None, default None
        What :func:`compression_sample` returns for ``(network, dataset, n_samples, random_state)``,
        to reuse across calls on the same rows (``auto`` compresses every candidate on one sample);
        None: drawn here.

    Returns
    -------
    RuleSet
        The compressed rules, simplified, with support and precision on ``dataset`` and a
        ``compression`` record in the provenance (fidelity and size before/after, rows).

    Raises
    ------
    DataError
        If the rules are not an original-space classification rule set, or a parameter is invalid.
    NetworkError
        If ``network`` is not a rulex Network.
    """
    _check_inputs(rules, network, dataset, tolerance, n_samples)
    frame, y = _sample(network, dataset, n_samples, random_state, sample)
    st = _State(rules, frame, y)
    n_rows = len(dataset.frame)
    check = np.zeros(len(frame), dtype=bool)          # the later half of the sampler points
    check[n_rows + (len(frame) - n_rows) // 2:] = True
    rows = np.zeros(len(frame), dtype=bool)
    rows[:n_rows] = True
    # the rows given, the search half and the check half of the sampler points: each must hold
    edit = _Edit(st, list(rules.rules), [h for h in (rows, ~rows & ~check, check) if h.any()], tolerance)
    before, size0 = edit.fidelity(), (len(rules.rules), rules.conditions_count())
    for _ in range(max_passes):
        changed = edit.drop_weak_rules(rules.default)
        changed = edit.drop_rules() or changed
        changed = edit.merge_rules() or changed
        changed = edit.drop_conditions() or changed
        if not changed:
            break
    after = edit.fidelity()
    out = rules.replace(rules=tuple(edit.rules)).simplify()
    y_rows = np.array(list(y[:n_rows]))       # the sample starts with the rows, labelled by the network
    out = annotate(out, dataset.frame, y_rows)
    prov = dict(rules.provenance)
    if "train_fidelity" in prov:
        prov["train_fidelity"] = float(np.mean(out.predict(dataset.frame) == y_rows))
    prov["compression"] = {"tolerance": float(tolerance), "random_state": random_state, "rows": len(frame),
                           "check_rows": int(check.sum()),
                           "fidelity_before": round(before, 6), "fidelity_after": round(after, 6),
                           "rules_before": size0[0], "conditions_before": size0[1],
                           "rules_after": len(out), "conditions_after": out.conditions_count()}
    return out.replace(provenance=prov)


def _check_inputs(rules, network, dataset, tolerance, n_samples) -> None:
    if not isinstance(rules, RuleSet):
        raise DataError(f"compress: rules must be a RuleSet, got {type(rules).__name__}")
    if not isinstance(network, Network):
        raise NetworkError(f"compress: network must be a rulex Network, got {type(network).__name__}")
    if not isinstance(dataset, Dataset):
        raise DataError(f"compress: dataset must be a rulex Dataset, got {type(dataset).__name__}")
    if rules.task != "classification" or rules.is_linear:
        raise DataError("compress: only classification rule sets can be compressed")
    if rules.space != "original":
        raise DataError("compress: rules must be in original units (space='original')")
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance <= 1:
        raise DataError(f"compress: tolerance must be a number in [0, 1], got {tolerance!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 0:
        raise DataError(f"compress: n_samples must be an integer >= 0, got {n_samples!r}")
    if set(rules.classes) - set(network.classes) or set(network.classes) - set(rules.classes):
        raise DataError(f"compress: the rules' classes {list(rules.classes)} differ from the network's "
                        f"{list(network.classes)}")


def _sample(network, dataset, n_samples, random_state, sample):
    """The (frame, labels) pair to measure on: ``sample`` checked, or drawn."""
    if sample is None:
        return compression_sample(network, dataset, n_samples, random_state)
    if (not isinstance(sample, tuple) or len(sample) != 2 or not isinstance(sample[0], pd.DataFrame)
            or len(sample[0]) != len(sample[1]) or len(sample[0]) < len(dataset.frame)):
        raise DataError("compress: sample must be the (frame, labels) pair compression_sample returns for the "
                        "same network and dataset")
    return sample


class _Edit:
    """The greedy edits of :func:`compress` on one rule list; each is kept only while every part of
    the sample (``halves``) keeps its fidelity within ``tolerance``."""

    def __init__(self, st: _State, rules: list, halves: list, tolerance: float):
        self.st, self.rules, self.halves = st, rules, halves
        self.masks = [st.rmask(r.conditions) for r in rules]
        agree0 = st.agreement(self.rules, self.masks)
        self.floors = [float(np.mean(agree0[h])) - float(tolerance) - 1e-12 for h in halves]

    def fidelity(self) -> float:
        return self.st.fidelity(self.rules, self.masks)

    def _try(self, rules: list, masks: list) -> bool:
        """Keep ``rules`` (with their ``masks``) if every part of the sample holds."""
        agree = self.st.agreement(rules, masks)
        if all(float(np.mean(agree[h])) >= f for h, f in zip(self.halves, self.floors)):
            self.rules, self.masks = rules, masks
            return True
        return False

    def _without(self, i: int) -> bool:
        return self._try(self.rules[:i] + self.rules[i + 1:], self.masks[:i] + self.masks[i + 1:])

    def drop_weak_rules(self, default) -> bool:
        """1. rules that decide nothing, or decide worse than the default does on its rows."""
        st, changed = self.st, False
        d = st.decide(self.rules, self.masks)
        dflt = st.lookup[default]
        on_default = d == -1
        dprec = float(np.mean(st.yi[on_default] == dflt)) if on_default.any() else 0.0
        for i in range(len(self.rules) - 1, -1, -1):
            mine = d == i
            prec = float(np.mean(st.yi[mine] == st.lookup[self.rules[i].conclusion])) if mine.any() else -1.0
            if prec < dprec and self._without(i):
                changed = True
        return changed

    def drop_rules(self) -> bool:
        """2. whole rules, last first."""
        changed = False
        for i in range(len(self.rules) - 1, -1, -1):
            changed = self._without(i) or changed
        return changed

    def merge_rules(self) -> bool:
        """3. two rules of one class replaced by the conditions they share."""
        changed, i = False, 0
        while i < len(self.rules):
            if self._merge_first(i):
                changed = True
            else:
                i += 1
        return changed

    def _merge_first(self, i: int) -> bool:
        cur, masks = self.rules, self.masks
        for j in range(i + 1, len(cur)):
            a, b = cur[i], cur[j]
            if a.conclusion != b.conclusion:
                continue
            common = [c for c in a.conditions if c in b.conditions]
            if len(common) == len(a.conditions) == len(b.conditions):
                common = list(a.conditions)
            prov = a.provenance         # the merged rule keeps where both rules came from
            if b.provenance:
                prov["merged_with"] = [*prov.get("merged_with", []), b.provenance]
            new = a.replace(conditions=tuple(common), provenance=prov)
            if self._try(cur[:i] + [new] + cur[i + 1:j] + cur[j + 1:],
                         masks[:i] + [self.st.rmask(common)] + masks[i + 1:j] + masks[j + 1:]):
                return True
        return False

    def drop_conditions(self) -> bool:
        """4. single conditions and m-of-n literals, the first acceptable removal, in order."""
        changed = False
        for i in range(len(self.rules)):
            k = 0
            while k < len(self.rules[i].conditions):
                if self._shorten(i, k):
                    changed = True
                else:
                    k += 1
        return changed

    def _shorten(self, i: int, k: int) -> bool:
        conds = list(self.rules[i].conditions)
        c = conds[k]
        options: list = [[]] + [v if isinstance(v, list) else [v] for v in
                                (_mofn_variants(c) if isinstance(c, MofN) else [])]
        for repl in options:
            nc = conds[:k] + repl + conds[k + 1:]
            if self._try(self.rules[:i] + [self.rules[i].replace(conditions=tuple(nc))] + self.rules[i + 1:],
                         self.masks[:i] + [self.st.rmask(nc)] + self.masks[i + 1:]):
                return True
        return False
