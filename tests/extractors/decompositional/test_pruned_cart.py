"""The tree grown only where a leaf of the wanted label can arise (DeepRED's clause trees on a sample) has
scikit-learn's wanted leaves and predictions, and DeepRED's rules do not change with it."""
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

import rulex
from rulex.extractors.decompositional import _settled_tree
from rulex.extractors.decompositional._dnf_composition import cart_dnf
from rulex.extractors.decompositional._pruned_cart import Presorted, fit_wanted


def _rare(n, d, seed, share=0.03):
    """A rare target: the rows in a small corner of the first columns, with label noise."""
    rng = np.random.default_rng(seed)
    A = rng.uniform(0, 1, (n, d)).astype(np.float32)
    s = A[:, 0] + 0.7 * A[:, 1] - 0.4 * A[:, 2] + rng.normal(0, 0.15, n)
    return A, s > np.quantile(s, 1 - share)


def _node_count(tree):
    return len(tree.tree_.children_left)


@pytest.mark.parametrize("n,d,share,leaf,depth", [(5000, 6, 0.03, 0.005, None), (8000, 4, 0.1, 0.01, None),
                                                 (6000, 5, 0.02, 10, 7), (4000, 3, 0.4, 0.005, None)])
def test_the_wanted_leaves_and_every_prediction_are_scikit_learns(n, d, share, leaf, depth):
    A, y = _rare(n, d, seed=n + d, share=share)
    names = [f"c{i}" for i in range(d)]
    theirs = DecisionTreeClassifier(min_samples_leaf=leaf, max_depth=depth, random_state=0).fit(A, y)
    test, _ = _rare(20_000, d, seed=99)
    labels = np.array([False, True])
    ours = fit_wanted(Presorted(A), y, wanted=True, min_samples_leaf=leaf, max_depth=depth)
    assert cart_dnf(ours, names, labels)[True] == cart_dnf(theirs, names, labels)[True]
    assert np.array_equal(ours.predict(test), theirs.predict(test))
    # the wanted label False opens almost every node: scikit-learn's tree up to equally good splits
    # (several cuts setting one true row apart), the same predictions on its rows
    ours = fit_wanted(Presorted(A), y, wanted=False, min_samples_leaf=leaf, max_depth=depth)
    assert np.array_equal(ours.predict(A), theirs.predict(A))
    assert _node_count(ours) <= theirs.tree_.node_count
    # a rare label: most of scikit-learn's tree splits regions that can never hold a leaf of it
    if share <= 0.03:
        assert _node_count(fit_wanted(Presorted(A), y, wanted=True, min_samples_leaf=leaf, max_depth=depth)) < \
            theirs.tree_.node_count * (0.5 if leaf == 0.005 else 0.7)


def test_equal_values_are_never_cut_apart_and_ties_give_as_good_a_tree():
    A, y = _rare(6000, 5, seed=3, share=0.05)
    A[:, 3] = np.round(A[:, 3] * 4)
    A[:, 4] = (A[:, 0] > 0.6).astype(np.float32)     # a 0/1 column as good as a cut of column 0
    theirs = DecisionTreeClassifier(min_samples_leaf=20, random_state=0).fit(A, y)
    ours = fit_wanted(Presorted(A), y, wanted=True, min_samples_leaf=20, max_depth=None)
    assert np.sum(ours.predict(A) != y) == np.sum(theirs.predict(A) != y)
    inner = ours.tree_.children_left >= 0
    for f, t in zip(ours.tree_.feature[inner], ours.tree_.threshold[inner]):
        assert not np.any(A[:, f] == t) or f not in (3, 4)     # thresholds lie between two values


def test_a_constant_target_is_one_leaf_of_its_label():
    A, _ = _rare(500, 3, seed=1)
    for value in (False, True):
        tree = fit_wanted(Presorted(A), np.full(500, value), wanted=True, min_samples_leaf=5, max_depth=None)
        assert _node_count(tree) == 1 and list(tree.classes_) == [value]
        assert np.all(tree.predict(A) == value)
        assert cart_dnf(tree, ["a", "b", "c"], np.array([value])) == {value: [()]}


@pytest.fixture(scope="module")
def rare_rows():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x0": rng.uniform(0, 1, 24_000), "x1": rng.uniform(0, 1, 24_000),
                          "x2": rng.normal(0, 1, 24_000)})
    frame["y"] = np.where((frame.x0 > 0.5) & (frame.x1 < 0.6) | (frame.x2 > 1.5), "yes", "no")
    ds = rulex.Dataset.from_frame(frame, target="y", numeric=["x0", "x1", "x2"])
    net = rulex.train_network(ds, (6,), "sigmoid", max_epochs=30, random_state=0)
    return net, ds


def test_deepred_reads_the_same_rules_as_with_scikit_learns_clause_trees(rare_rows, monkeypatch):
    """The clause trees on a sample grow only towards the clause's *true* leaves: the rules are those of the
    full scikit-learn trees, and the same on every run."""
    net, ds = rare_rows
    kw = {"n_samples": 0, "tree_sample_rows": 2000}
    grown = []
    fit = _settled_tree.fit_wanted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monkeypatch.setattr(_settled_tree, "fit_wanted", lambda P, y, **k: grown.append(len(y)) or fit(P, y, **k))
        pruned = rulex.extract(net, ds, "deepred", **kw)
        again = rulex.extract(net, ds, "deepred", **kw)
        monkeypatch.undo()
        sample = _settled_tree._fit_sample
        monkeypatch.setattr(_settled_tree, "_fit_sample", lambda *a, **k: sample(*a, **{**k, "wanted": None}))
        full = rulex.extract(net, ds, "deepred", **kw)
    assert grown and max(grown) < 24_000
    assert str(pruned) == str(again) == str(full)
