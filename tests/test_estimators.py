"""The scikit-learn estimators: every check_estimator check, and the tools a data scientist uses.

``parametrize_with_checks`` runs scikit-learn's own conformance suite over both estimators with
several extraction methods; the models are small scikit-learn MLPs (cloned and fitted inside
``fit``), plus one classifier that trains its own rulex network.
"""
from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import rulex
from rulex.extractors.pedagogical.surrogate import SurrogateTree

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _mlp_c():
    return MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=300, random_state=0)


def _mlp_r():
    return MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=300, random_state=0)


SMALL = {
    "surrogate_tree": {"max_leaf_nodes": 12},
    "trepan": {"max_internal_nodes": 6, "min_samples": 150},
    "anndt": {"n_samples": 300, "min_node_samples": 20, "max_leaf_nodes": 12, "n_pairs": 16},
}

ESTIMATORS = (
    [rulex.RuleExtractorClassifier(_mlp_c(), m, SMALL[m]) for m in ("surrogate_tree", "trepan", "anndt")]
    + [rulex.RuleExtractorRegressor(_mlp_r(), m, SMALL[m]) for m in ("surrogate_tree", "anndt")]
    + [rulex.RuleExtractorClassifier(None, SurrogateTree(max_leaf_nodes=12), hidden_layer_sizes=(6,),
                                     max_epochs=40)]
)


@parametrize_with_checks(ESTIMATORS)
def test_check_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


# -- the everyday tools -------------------------------------------------------------------
@pytest.fixture(scope="module")
def iris():
    from sklearn.datasets import load_iris
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


def test_fit_frame_attributes(iris):
    X, y = iris
    clf = rulex.RuleExtractorClassifier(_mlp_c(), "surrogate_tree", {"max_leaf_nodes": 4}).fit(X, y)
    assert list(clf.feature_names_in_) == list(X.columns) and clf.n_features_in_ == 4
    assert list(clf.classes_) == [0, 1, 2]
    assert isinstance(clf.rules_, rulex.RuleSet) and len(clf.rules_) <= 4
    assert isinstance(clf.model_, rulex.Network)
    assert set(clf.rules_.features_used()) <= set(X.columns)          # rules in the frame's own columns
    np.testing.assert_array_equal(clf.predict(X), clf.rules_.predict(X))
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    fidelity = np.mean(clf.predict(X) == clf.model_.predict(X))
    assert clf.score(X, y) == pytest.approx(fidelity)
    truth = clf.set_params(score_against="truth").score(X, y)
    assert truth == pytest.approx(np.mean(clf.predict(X) == y.to_numpy()))


def test_array_with_feature_names(iris):
    X, y = iris
    names = ["sl", "sw", "pl", "pw"]
    clf = rulex.RuleExtractorClassifier(_mlp_c(), feature_names=names).fit(X.to_numpy(), y.to_numpy())
    assert list(clf.feature_names_in_) == names
    assert set(clf.rules_.features_used()) <= set(names)
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # no "fitted with feature names" warning for arrays
        pred = clf.predict(X.to_numpy())
    np.testing.assert_array_equal(pred, clf.rules_.predict(pd.DataFrame(X.to_numpy(), columns=names)))
    with pytest.raises(ValueError, match="feature_names"):
        rulex.RuleExtractorClassifier(_mlp_c(), feature_names=["a"]).fit(X.to_numpy(), y)


def test_mixed_frame_with_categories(mixed_frame):
    X, y = mixed_frame.drop(columns="label"), mixed_frame["label"]
    clf = rulex.RuleExtractorClassifier(None, "surrogate_tree", {"max_leaf_nodes": 5}, hidden_layer_sizes=(4,),
                                        max_epochs=20).fit(X, y)
    assert list(clf.classes_) == ["a", "b", "c"]
    assert clf.predict(X).shape == (len(X),)
    assert 0.0 <= clf.score(X, y) <= 1.0


def test_prefit_rulex_network_is_kept():
    from _helpers.nets import iris_net
    net, train, test = iris_net()
    clf = rulex.RuleExtractorClassifier(net, "trepan", SMALL["trepan"]).fit(train.X, train.y)
    assert clf.model_ is net
    twin = clone(clf)
    assert twin.model is not None and twin.model == net      # clone never unfits the network
    assert clf.score(test.X, test.y) == pytest.approx(np.mean(clf.predict(test.X) == net.predict(test.X)))


def test_grid_search_over_max_leaf_nodes(iris):
    X, y = iris
    base = rulex.RuleExtractorClassifier(_mlp_c(), SurrogateTree())
    grid = GridSearchCV(base, {"method__max_leaf_nodes": [2, 3, 8]}, cv=3).fit(X, y)
    assert grid.best_params_["method__max_leaf_nodes"] in (3, 8)    # two leaves cannot tell three classes
    assert len(grid.best_estimator_.rules_) <= grid.best_params_["method__max_leaf_nodes"]
    grid2 = GridSearchCV(rulex.RuleExtractorClassifier(_mlp_c()),
                         {"method_params": [{"max_leaf_nodes": 2}, {"max_leaf_nodes": 6}]}, cv=3).fit(X, y)
    assert grid2.best_params_["method_params"] == {"max_leaf_nodes": 6}


def test_cross_val_score_and_pipeline(iris):
    X, y = iris
    scores = cross_val_score(rulex.RuleExtractorClassifier(_mlp_c(), "anndt", SMALL["anndt"]), X, y, cv=3)
    assert scores.shape == (3,) and np.all((scores >= 0.0) & (scores <= 1.0)) and scores.mean() > 0.7
    pipe = Pipeline([("scale", StandardScaler().set_output(transform="pandas")),
                     ("rules", rulex.RuleExtractorClassifier(_mlp_c(), "surrogate_tree"))]).fit(X, y)
    assert pipe.score(X, y) > 0.8
    assert set(pipe[-1].rules_.features_used()) <= set(X.columns)


def test_regressor_scores():
    from _helpers.nets import split
    train, test = split("diabetes")
    reg = rulex.RuleExtractorRegressor(_mlp_r(), "surrogate_tree", {"max_leaf_nodes": 8}).fit(train.X, train.y)
    pred = reg.predict(test.X)
    from sklearn.metrics import r2_score
    assert reg.score(test.X, test.y) == pytest.approx(r2_score(reg.model_.predict(test.X), pred))
    assert reg.set_params(score_against="truth").score(test.X, test.y) == pytest.approx(r2_score(test.y, pred))
    back = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(back.predict(test.X), pred)


def test_clear_errors(iris):
    X, y = iris
    with pytest.raises(ValueError, match="score_against"):
        rulex.RuleExtractorClassifier(_mlp_c(), score_against="both").fit(X, y)
    with pytest.raises(ValueError, match="method"):
        rulex.RuleExtractorClassifier(_mlp_c(), method="nope").fit(X, y)
    with pytest.raises(ValueError, match="max_leaf"):
        rulex.RuleExtractorClassifier(_mlp_c(), method_params={"max_leaf": 3}).fit(X, y)
    with pytest.raises(ValueError, match="regression"):
        rulex.RuleExtractorClassifier(_mlp_r()).fit(X, y.astype(float) + 0.5)
    with pytest.raises(rulex.NetworkError, match="OneHotEncoder"):
        frame = X.assign(colour=np.where(y == 0, "red", "blue"))
        rulex.RuleExtractorClassifier(_mlp_c()).fit(frame, y)
