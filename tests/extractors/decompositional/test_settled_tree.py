"""CRED's and DeepRED's intermediate trees on a settled sample, and their one pass of activations."""
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

import rulex
from rulex import Condition
from rulex.extractors.decompositional._dnf_composition import tree_dnf
from rulex.extractors.decompositional import _settled_tree
from rulex.extractors.decompositional._settled_tree import TreeLog, settled_tree_dnf
from rulex.rules.intervals import implies

NAMES = ["a", "b", "c", "d"]


def _labels(dnf, A):
    """Each row's label under a tree's DNF (its paths are exhaustive and exclusive)."""
    frame = pd.DataFrame(A, columns=NAMES)
    out = np.full(len(A), -1)
    for lab, conjs in dnf.items():
        for conj in conjs:
            mask = np.ones(len(A), dtype=bool)
            for lit in conj:
                mask &= lit.evaluate(frame)
            assert not (mask & (out >= 0)).any()
            out[mask] = lab
    assert (out >= 0).all()
    return out


def _box_concept(n, seed=0):
    A = np.random.default_rng(seed).uniform(0, 1, (n, 4))
    return A, ((A[:, 0] > 0.3) & (A[:, 1] <= 0.7)).astype(int)


def test_at_most_four_times_the_sample_is_exactly_the_full_tree():
    A, y = _box_concept(8000)
    log = TreeLog()
    got = settled_tree_dnf(A, y, NAMES, min_samples_leaf=0.005, max_depth=None, random_state=0,
                           sample_rows=2000, tolerance=0.002, log=log)
    assert got == tree_dnf(A, y, NAMES, min_samples_leaf=0.005, random_state=0)
    assert log.provenance() == {"intermediate_trees_fitted": 1, "trees_on_a_sample": 0, "largest_tree_rows": 8000}


def test_a_settled_concept_is_learned_on_a_sample_and_says_what_the_full_tree_says():
    A, y = _box_concept(40_000)
    log = TreeLog()
    got = settled_tree_dnf(A, y, NAMES, min_samples_leaf=0.005, max_depth=None, random_state=0,
                           sample_rows=2000, tolerance=0.002, log=log)
    full = tree_dnf(A, y, NAMES, min_samples_leaf=0.005, random_state=0)
    assert log.sampled == 1 and log.rows[0] < 40_000
    # the same two cuts, on the same features and sides, thresholds within a sample's spacing
    assert [sorted((c.feature, c.op) for c in conj) for conj in got[1]] == \
        [sorted((c.feature, c.op) for c in conj) for conj in full[1]]
    assert np.mean(_labels(got, A) != _labels(full, A)) <= 0.002
    assert np.mean(_labels(got, A) != y) <= 0.002


def test_a_curve_that_never_flattens_ends_on_every_row_exactly():
    """Random labels and single-row leaves: every doubling memorises more rows, so the sampling never
    settles and the last tree is the full one, the same as :func:`tree_dnf`."""
    rng = np.random.default_rng(1)
    A, y = rng.uniform(0, 1, (3000, 4)), rng.integers(0, 2, 3000)
    log = TreeLog()
    got = settled_tree_dnf(A, y, NAMES, min_samples_leaf=1, max_depth=None, random_state=0,
                           sample_rows=500, tolerance=0.0, log=log)
    assert log.rows == [3000] and log.sampled == 0
    assert got == tree_dnf(A, y, NAMES, min_samples_leaf=1, random_state=0)


def test_an_absolute_leaf_size_is_scaled_to_the_sample(monkeypatch):
    seen = []
    fit = DecisionTreeClassifier.fit

    def spy(self, X, y, *a, **k):
        seen.append((len(X), self.min_samples_leaf))
        return fit(self, X, y, *a, **k)

    monkeypatch.setattr(DecisionTreeClassifier, "fit", spy)
    A, y = _box_concept(20_000)
    settled_tree_dnf(A, y, NAMES, min_samples_leaf=200, max_depth=None, random_state=0,
                     sample_rows=2000, tolerance=0.002)
    assert seen[0] == (2000, 20)
    assert all(leaf == round(200 * m / 20_000) for m, leaf in seen)


def test_a_label_missing_from_the_sample_is_still_a_key_and_false():
    A, y = _box_concept(20_000)
    y = y.copy()
    y[[5, 17]] = 2                        # two rows of a third label: no sample of 2000 is likely to hold both
    got = settled_tree_dnf(A, y, NAMES, min_samples_leaf=0.01, max_depth=None, random_state=0,
                           sample_rows=2000, tolerance=0.002)
    assert set(got) == {0, 1, 2}
    assert got[2] == []


def test_implies_reads_each_conjunction_the_same_with_or_without_the_memory():
    a = (Condition("x", ">", 1.0), Condition("x", "<=", 2.0))
    b = (Condition("x", ">", 0.5),)
    for _ in range(2):                    # the second time from the remembered boxes
        assert implies(a, b) and not implies(b, a)
        assert implies(list(a), b) and implies(a, list(b))
    unhashable = [Condition("c", "in", ("u", "v"))]
    assert implies(unhashable, [Condition("c", "in", ("u", "v", "w"))])


@pytest.fixture(scope="module")
def wide_rows():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x0": rng.uniform(0, 1, 12_000), "x1": rng.uniform(0, 1, 12_000),
                          "x2": rng.normal(0, 1, 12_000)})
    frame["y"] = np.where((frame.x0 > 0.5) & (frame.x1 < 0.6), "yes", "no")
    ds = rulex.Dataset.from_frame(frame, target="y", numeric=["x0", "x1", "x2"])
    net = rulex.train_network(ds, (4,), "sigmoid", max_epochs=30, random_state=0)
    return net, ds


def _extract(net, ds, method, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rulex.extract(net, ds, method, **kw)


def test_deepred_samples_its_trees_on_many_rows_and_records_it(wide_rows):
    net, ds = wide_rows
    sampled = _extract(net, ds, "deepred", n_samples=0, tree_sample_rows=2000)
    full = _extract(net, ds, "deepred", n_samples=0, tree_sample_rows=None)
    p = sampled.provenance
    assert p["trees_on_a_sample"] >= 1 and p["largest_tree_rows"] < 12_000
    assert full.provenance["trees_on_a_sample"] == 0 and full.provenance["largest_tree_rows"] == 12_000
    fid = [np.mean(np.asarray(r.predict(ds.frame)) == np.asarray(net.predict(ds.frame))) for r in (sampled, full)]
    assert fid[0] >= fid[1] - 0.01
    again = _extract(net, ds, "deepred", n_samples=0, tree_sample_rows=2000)
    assert str(again) == str(sampled)


def test_cred_keeps_every_row_by_default(wide_rows):
    net, ds = wide_rows
    p = _extract(net, ds, "cred", n_samples=0).provenance
    assert p["trees_on_a_sample"] == 0


@pytest.mark.parametrize("bad", [{"tree_sample_rows": 0}, {"tree_tolerance": 1.5}, {"tree_sample_rows": "many"}])
def test_bad_sampling_options_are_named(wide_rows, bad):
    net, ds = wide_rows
    with pytest.raises(rulex.RulexError, match=next(iter(bad))):
        rulex.extract(net, ds, "deepred", **bad)


@pytest.mark.parametrize("method,kw", [("deepred", {}), ("cred", {"boundary_share": 0.5})])
def test_every_row_goes_through_the_network_once(wide_rows, monkeypatch, method, kw):
    net, ds = wide_rows
    small = ds.subset(np.arange(600), "-600")
    before = _extract(net, small, method, n_samples=300, **kw)
    rows = []
    activations = type(net).activations

    def counting(self, X):
        rows.append(len(X))
        return activations(self, X)

    monkeypatch.setattr(type(net), "activations", counting)
    after = _extract(net, small, method, n_samples=300, **kw)
    monkeypatch.undo()
    assert rows[:2] == [600, 300] and 900 not in rows and len(rows) <= 4, rows
    assert str(after) == str(before)


@pytest.mark.parametrize("method", ["cred", "deepred"])
def test_the_large_rows_path_is_deterministic_and_as_faithful(wide_rows, monkeypatch, method):
    """Above ``FAST_ROWS`` (lowered here) every tree is grown on the presorted columns of _exact_cart."""
    net, ds = wide_rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = rulex.extract(net, ds, method, n_samples=0, tree_sample_rows=None)
        monkeypatch.setattr(_settled_tree, "FAST_ROWS", 500)     # every tree on the presorted columns
        grown = []
        fit_tree = _settled_tree.fit_tree
        monkeypatch.setattr(_settled_tree, "fit_tree", lambda cols, y, **kw: grown.append(len(y)) or fit_tree(cols, y, **kw))
        large = rulex.extract(net, ds, method, n_samples=0, tree_sample_rows=None)
        assert grown and set(grown) == {12_000}
        again = rulex.extract(net, ds, method, n_samples=0, tree_sample_rows=None)
    assert str(large) == str(again)
    fid = [np.mean(np.asarray(r.predict(ds.frame)) == np.asarray(net.predict(ds.frame))) for r in (small, large)]
    assert fid[1] >= fid[0] - 0.005
