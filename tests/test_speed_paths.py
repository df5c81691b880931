"""The fast paths of the scale work (issue 13, item 5) compute exactly what the plain code computes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from rulex.extractors.pedagogical import _mofn_search as ms
from rulex.extractors.pedagogical.trepan import _KS_EXACT_N, _ks_asymptotic


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


def test_covering_grow_on_a_row_mask_equals_grow_on_the_subset():
    from rulex.extractors._covering import Clock, Covering

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
    from rulex.extractors._table import ValueTable
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
    plain = pd.Categorical(frame[cat.name].map(to_native), categories=list(cat.categories)).codes.astype(float)
    plain[plain < 0] = np.nan
    assert np.array_equal(table.from_frame(frame)[:, j], plain, equal_nan=True)
