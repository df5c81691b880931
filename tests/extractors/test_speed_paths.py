"""The fast paths of the scale work (issue 13, item 5) compute exactly what the plain code computes."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from rulex.extractors.pedagogical import _mofn_search as ms
from rulex.extractors.pedagogical._two_sample_ks import KS_EXACT_N as _KS_EXACT_N
from rulex.extractors.pedagogical._two_sample_ks import KS_RATIO as _KS_RATIO
from rulex.extractors.pedagogical._two_sample_ks import KS_RATIO_N as _KS_RATIO_N
from rulex.extractors.pedagogical._two_sample_ks import ks_asymptotic as _ks_asymptotic
from rulex.extractors.pedagogical._two_sample_ks import ks_pvalue as _ks_pvalue
from rulex.extractors.pedagogical._two_sample_ks import subset_mark


def _thresholds_plain(x, y, n_classes):
    values, inv = np.unique(x, return_inverse=True)
    if len(values) < 2:
        return []
    counts = np.zeros((len(values), n_classes))
    np.add.at(counts, (inv, y), 1)
    pure = (counts > 0).sum(axis=1) == 1
    cls = counts.argmax(axis=1)
    idx = np.flatnonzero(~(pure[:-1] & pure[1:] & (cls[:-1] == cls[1:])))
    if len(idx) == 0:
        return []
    gains = ms._gain(np.cumsum(counts, axis=0)[idx], counts.sum(axis=0))
    order = np.lexsort((idx, -gains))[:ms._MAX_THRESHOLDS]
    return sorted(float(m) for m in (values[idx[order]] + values[idx[order] + 1]) / 2.0)


@pytest.mark.parametrize("seed", range(6))
def test_thresholds_match_plain_computation(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(5, 4000)), int(rng.integers(2, 4))
    x = rng.integers(0, 30, n).astype(float) if seed % 2 else rng.normal(size=n).round(2)
    y = rng.integers(0, k, n)
    assert ms._thresholds(x, y, k) == _thresholds_plain(x, y, k)
    # with a known sort order (linear-time unique), on the column and on a subset of its rows
    order = np.argsort(x)
    assert ms._thresholds(x, y, k, order) == _thresholds_plain(x, y, k)
    keep = rng.random(n) < 0.6
    if keep.any():
        sub = ms.order_subset(order, keep)
        assert np.array_equal(x[keep][sub], np.sort(x[keep]))
        assert ms._thresholds(x[keep], y[keep], k, sub) == _thresholds_plain(x[keep], y[keep], k)


def test_unique_with_order_matches_numpy_and_leaves_nan_to_numpy():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 50, 3000).astype(float)
    values, inv = ms._unique(x, np.argsort(x))
    ref_values, ref_inv = np.unique(x, return_inverse=True)
    assert np.array_equal(values, ref_values) and np.array_equal(inv, ref_inv.ravel())
    x[::7] = np.nan
    values, inv = ms._unique(x, np.argsort(x))
    ref_values, ref_inv = np.unique(x, return_inverse=True)
    assert np.array_equal(values, ref_values, equal_nan=True) and np.array_equal(inv, ref_inv.ravel())


def test_gain_two_classes_matches_numpy_sum():
    rng = np.random.default_rng(0)
    tot = rng.integers(1, 500, 2).astype(float)
    left = np.floor(rng.random((200, 2)) * tot)
    p = left / left.sum(axis=1, keepdims=True).clip(1)
    assert np.array_equal(ms._rowsum(left), left.sum(axis=-1))
    assert np.array_equal(ms._rowsum(p * 0.3), (p * 0.3).sum(axis=-1))


def test_hits_popcount_matches_dense_counts():
    rng = np.random.default_rng(1)
    n, k = 1000, 3
    X = rng.normal(size=(n, 2))
    y = rng.integers(0, k, n)

    class _Spec:
        index, kind, cols = 0, "numeric", [0]

    class _Sampler:
        specs = [_Spec()]

    bank = ms.LiteralBank(_Sampler(), X, y, k)
    search = ms.MofNSearch(bank, y, k, beam_width=2, max_literals=3, alpha=0.05, min_objects=2, excluded=set())
    rows = rng.random(n) < 0.4
    lits = np.arange(len(bank))
    dense = (bank.T[lits] & rows).astype(float) @ np.eye(k)[y]
    assert np.array_equal(search._hits(lits, rows), dense)


@pytest.mark.parametrize("seed", range(8))
def test_ks_fast_path_decides_like_scipy(seed):
    rng = np.random.default_rng(seed)
    n1, n2 = (int(v) for v in rng.integers(_KS_EXACT_N + 1, 30_000, 2))
    shift = [0.0, 0.01, 0.03, 0.1][seed % 4]
    a, b = rng.normal(0, 1, n1), rng.normal(shift, 1, n2)
    if seed % 3 == 0:
        a, b = np.round(a * 3), np.round(b * 3)     # ties
    ref = ks_2samp(a, b).pvalue
    for level in (0.0125, 0.05):
        assert (_ks_asymptotic(a, np.sort(b), level) < level) == (ref < level)
    assert _ks_asymptotic(a, np.sort(b)) == pytest.approx(ref, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("seed", range(6))
def test_ks_on_a_subset_of_the_reference_rows_decides_like_scipy(seed):
    """TREPAN's child-against-parent test: a child's examples are rows of the parent's reference, so
    the counts come from one running sum along the reference's sorted order."""
    rng = np.random.default_rng(seed)
    n2 = int(rng.integers(_KS_EXACT_N + 1, 40_000))
    b = rng.normal(0, 1, n2)
    if seed % 2:
        b = np.round(b * 4)                        # ties
    share = [0.9, 0.5, 0.2][seed % 3]
    mask = rng.random(n2) < np.where(b > 0.3, share + [0.0, 0.005, 0.02][seed % 3], share)
    a = b[mask]
    order = np.argsort(b, kind="stable")
    v = b[order]
    last = np.flatnonzero(np.append(v[1:] != v[:-1], True))
    rows = np.flatnonzero(mask) + 7
    mark = subset_mark(np.arange(n2) + 7, rows)
    assert np.array_equal(mark, mask)
    assert len(subset_mark(np.arange(n2) + 7, np.array([3]))) == 0       # not a subset: no mask
    c1 = np.cumsum(mark[order])[last]
    ref = ks_2samp(a, b).pvalue
    assert _ks_pvalue(c1, last + 1, len(a), n2) == pytest.approx(ref, rel=1e-12, abs=1e-300)
    for level in (0.001, 0.0125, 0.05):
        assert (_ks_pvalue(c1, last + 1, len(a), n2, level) < level) == (ref < level)


def test_ks_lower_bound_ratio_holds_on_a_grid():
    """The shortcut's claim: the one-sided tail is at least _KS_RATIO exp(-2 n d^2) from n = _KS_RATIO_N."""
    from scipy.special import smirnov
    for n in (_KS_RATIO_N, 7_000, 20_000, 100_000, 400_000):
        for t in np.linspace(1e-3, 18.0, 60):
            d = np.sqrt(t / n)
            assert smirnov(n, d) >= _KS_RATIO * np.exp(-2 * t), (n, t)


def test_kde_draws_are_the_same_with_the_mixture_cached():
    import rulex
    from rulex.extractors.sampling import Sampler
    ds = rulex.load_dataset("heart")
    net = rulex.train_network(ds, (2,), "sigmoid", max_epochs=1, random_state=0)
    X = net.encoder.transform(ds.frame)
    cached, plain = Sampler(net.encoder, X, random_state=4), Sampler(net.encoder, X, random_state=4)
    col = next(s.cols[0] for s in plain.specs if s.kind == "numeric")
    for a, b, n in [(-np.inf, np.inf, 50), (0.2, 0.6, 30), (-np.inf, 0.1, 0), (0.2, 0.6, 70), (5.0, 6.0, 5)]:
        got = cached._kernels.draw(cached.rng, X[:, col], n, a, b, 1.0, key=(X, col))
        want = plain._kernels.draw(plain.rng, X[:, col], n, a, b, 1.0)
        assert np.array_equal(got, want)
    assert len(cached._kernels.cache) == 4


def test_compress_reuses_a_given_sample():
    import rulex
    from rulex.exceptions import DataError
    from rulex.extractors.compression import compress, compression_sample
    ds = rulex.load_dataset("iris")
    net = rulex.train_network(ds, (4,), "sigmoid", max_epochs=30, random_state=0)
    rules = rulex.extract(net, ds, "surrogate_tree", max_leaf_nodes=8)
    sample = compression_sample(net, ds, 500, 0)
    assert str(compress(rules, net, ds, n_samples=500, sample=sample)) == str(compress(rules, net, ds, n_samples=500))
    with pytest.raises(DataError, match="sample must be"):
        compress(rules, net, ds, sample=(sample[0].iloc[:10], sample[1][:10]))


def test_covering_grow_on_a_row_mask_equals_grow_on_the_subset():
    from rulex.extractors._sequential_covering import Clock, Covering

    class _Table:
        continuous = np.array([True, True, False])

        @staticmethod
        def n_codes(j):
            return 4

        @staticmethod
        def threshold(j, lower, upper):
            return lower + (upper - lower) / 2.0

    rng = np.random.default_rng(2)
    n = 600
    V = np.column_stack([rng.normal(size=n).round(1), rng.integers(0, 9, n), rng.integers(0, 4, n)]).astype(float)
    V[rng.random(n) < 0.05, 0] = np.nan
    pos = ((V[:, 0] > 0.2) & (V[:, 2] != 1)) | (rng.random(n) < 0.05)
    eng = Covering(_Table(), max_rule_conditions=4, min_support=3, stop="mdl", fidelity_target=0.99, lookahead=True,
                   max_rules=10, clock=Clock(None, "partial", "test"))
    rows = rng.random(n) < 0.7
    assert eng.grow(V, pos, rows=rows) == eng.grow(V[rows], pos[rows])


def test_value_table_looks_categories_up_as_before():
    import rulex
    from rulex.extractors._value_table import ValueTable
    from rulex.schema.features import to_native
    ds = rulex.load_dataset("heart")
    net = rulex.train_network(ds, (2,), "sigmoid", max_epochs=1, random_state=0)
    table = ValueTable(net.encoder)
    frame = ds.frame.copy()
    cat = [f for f in table.features if f.kind not in ("numeric", "integer")][0]
    col = frame[cat.name].astype(object)
    col.iloc[0], col.iloc[1] = None, "no such category"
    frame[cat.name] = col
    j = table.names.index(cat.name)
    with warnings.catch_warnings():     # pandas deprecates unknown values here; rulex no longer builds it
        warnings.simplefilter("ignore")
        plain = pd.Categorical(frame[cat.name].map(to_native), categories=list(cat.categories)).codes.astype(float)
    plain[plain < 0] = np.nan
    assert np.array_equal(table.from_frame(frame)[:, j], plain, equal_nan=True)


def test_checklist_packed_agreement_counts_exactly():
    from rulex.extractors.pedagogical.checklist import _PackedAgreement
    rng = np.random.default_rng(5)
    for n, L in [(130, 7), (1000, 50), (3000, 301)]:
        B = rng.random((n, L)) < 0.4
        pos = rng.random(n) < 0.5
        w = np.where(np.arange(n) < n // 3, 2.5, 1.0)
        counts = B[:, :4].sum(axis=1).astype(np.int16)
        packed = _PackedAgreement(B, pos, w)
        for m in range(1, 6):
            dense = [float(np.sum(w * (((counts + B[:, j]) >= m) == pos))) for j in range(L)]
            assert np.array_equal(packed(counts, m), np.array(dense)), (n, L, m)


def test_trepan_same_rules_without_the_per_node_sort_orders(monkeypatch):
    """Sort orders filtered from the parent (the fast path) or each node sorting its own columns
    (when the orders would not fit the memory budget): the same tree."""
    import rulex
    from rulex.extractors.pedagogical import trepan
    ds = rulex.load_dataset("heart")
    net = rulex.train_network(ds, (4,), "sigmoid", max_epochs=40, random_state=0)
    fast = rulex.extract(net, ds, "trepan", max_internal_nodes=6, random_state=0)
    monkeypatch.setattr(trepan, "memory_budget", lambda: 0)
    plain = rulex.extract(net, ds, "trepan", max_internal_nodes=6, random_state=0)
    assert str(fast) == str(plain) and fast.conditions_count() > 0
