"""The CART tree grown on presorted, binned columns (CRED's and DeepRED's trees on many rows) is
scikit-learn's tree, and the extractors that use it above ``FAST_ROWS`` stay deterministic."""
import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from rulex.extractors.decompositional import _settled_tree
from rulex.extractors.decompositional._dnf_composition import cart_dnf, tree_dnf
from rulex.extractors.decompositional._exact_cart import Columns, fit_tree
from rulex.extractors.decompositional._settled_tree import settled_tree_dnf


def _problem(n, d, k, seed):
    rng = np.random.default_rng(seed)
    A = rng.uniform(0, 1, (n, d)).astype(np.float32)
    s = A[:, 0] + 0.5 * A[:, 1] - 0.3 * A[:, 2] + rng.normal(0, 0.2, n)
    return A, np.digitize(s, np.quantile(s, np.linspace(0, 1, k + 1)[1:-1]))


@pytest.mark.parametrize("n,d,k,leaf,depth", [(20_000, 10, 2, 0.02, 4), (20_000, 6, 3, 0.02, 4),
                                              (40_000, 8, 3, 0.02, 6), (30_000, 5, 6, 0.01, 5)])
def test_the_tree_is_scikit_learns_on_continuous_columns(n, d, k, leaf, depth):
    A, y = _problem(n, d, k, seed=n + d + k)
    names = [f"c{i}" for i in range(d)]
    ours = fit_tree(Columns(A), y, min_samples_leaf=leaf, max_depth=depth)
    theirs = DecisionTreeClassifier(min_samples_leaf=leaf, max_depth=depth, random_state=0).fit(A, y)
    assert cart_dnf(ours, names, np.unique(y)) == cart_dnf(theirs, names, np.unique(y))
    assert np.array_equal(ours.predict(A), theirs.predict(A))


def test_ties_and_an_absolute_leaf_size_give_a_tree_as_good_as_scikit_learns():
    """Integer and 0/1 columns (exactly equal splits, which scikit-learn breaks by a random feature order)
    and single-row leaves (the small nodes grown by scikit-learn itself): the same training error."""
    A, y = _problem(12_000, 6, 2, seed=3)
    A[:, 3] = np.round(A[:, 3] * 5)
    A[:, 4] = (A[:, 4] > 0.5).astype(np.float32)
    A[:, 5] = 1 - A[:, 4]
    for leaf, depth in [(1, None), (30, 6)]:
        ours = fit_tree(Columns(A), y, min_samples_leaf=leaf, max_depth=depth)
        theirs = DecisionTreeClassifier(min_samples_leaf=leaf, max_depth=depth, random_state=0).fit(A, y)
        assert np.sum(ours.predict(A) != y) == np.sum(theirs.predict(A) != y)


def test_a_constant_column_and_a_pure_target():
    A, y = _problem(25_000, 3, 2, seed=5)
    A[:, 1] = 0.5
    names = ["a", "b", "c"]
    ours = cart_dnf(fit_tree(Columns(A), y, min_samples_leaf=0.02, max_depth=3), names, np.unique(y))
    assert all(lit.feature != "b" for conjs in ours.values() for c in conjs for lit in c)
    got = settled_tree_dnf(A, np.ones(len(A), dtype=int), names, min_samples_leaf=0.02, max_depth=3,
                           random_state=0, sample_rows=None, tolerance=0.002)
    assert got == {1: [()]}


def test_above_fast_rows_the_settled_tree_reads_the_same_function(monkeypatch):
    A, y = _problem(6_000, 4, 3, seed=7)
    names = ["a", "b", "c", "d"]
    sk = tree_dnf(A, y, names, min_samples_leaf=0.02, max_depth=4)
    monkeypatch.setattr(_settled_tree, "FAST_ROWS", 1_000)
    columns: dict = {}
    fast = settled_tree_dnf(A, y, names, min_samples_leaf=0.02, max_depth=4, random_state=0,
                            sample_rows=None, tolerance=0.002, columns=columns, key=0)
    assert fast == sk
    assert list(columns) == [(0, 6_000)]           # the sorted columns are kept for the next tree


def test_missing_values_are_left_to_scikit_learn(monkeypatch):
    A, y = _problem(3_000, 3, 2, seed=9)
    A[::7, 1] = np.nan
    names = ["a", "b", "c"]
    monkeypatch.setattr(_settled_tree, "FAST_ROWS", 1_000)
    got = settled_tree_dnf(A, y, names, min_samples_leaf=0.02, max_depth=3, random_state=0,
                           sample_rows=None, tolerance=0.002)
    theirs = DecisionTreeClassifier(min_samples_leaf=0.02, max_depth=3, random_state=0).fit(A, y)
    assert got == cart_dnf(theirs, names, np.unique(y))
