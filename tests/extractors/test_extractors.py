"""The shared suite every registered extractor must pass, the registry, and surrogate-tree specifics."""
from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from sklearn.base import clone

import rulex
from rulex.extractors import EXTRACTORS
from _helpers.nets import all_conditions, breast_cancer_net, diabetes_net, iris_net, same_weights, tiny_net, weights_of

METHODS = sorted(rulex.available_methods())
REGRESSION_METHODS = [m for m, info in rulex.available_methods().items() if info.regression]
CLASSIFICATION_ONLY = [m for m in METHODS if m not in REGRESSION_METHODS]

CLASSIFICATION_NETS = {"iris": iris_net, "breast_cancer": breast_cancer_net,
                       # binary, all-categorical inputs (one-hot groups to decode)
                       "monk3": lambda: tiny_net("monk3")}


def _strip_run(provenance: dict) -> dict:
    return {k: v for k, v in provenance.items() if k != "run"}


@functools.lru_cache(maxsize=None)
def _extracted(method, which="iris"):
    """One extraction per (method, net), shared by the tests that only read the result.

    Returns the rule set and snapshots of the network (weights, fingerprint, metadata) and
    of the training frame taken just before and just after the extraction.
    """
    net, train, _ = CLASSIFICATION_NETS[which]()
    before = (weights_of(net), net.fingerprint(), json.dumps(net.metadata, sort_keys=True), train.frame.copy())
    rules = rulex.extract(net, train, method=method, random_state=0)
    after = (weights_of(net), net.fingerprint(), json.dumps(net.metadata, sort_keys=True), train.frame.copy())
    return rules, before, after


# -- registry ---------------------------------------------------------------------------------------------
def test_registry_is_not_empty_and_consistent():
    assert METHODS, "no extractor is registered"
    assert "surrogate_tree" in METHODS
    infos = rulex.available_methods()
    assert sorted(infos) == sorted(EXTRACTORS)


@pytest.mark.parametrize("name", sorted(EXTRACTORS))
def test_every_extractor_class_is_described(name):
    cls = EXTRACTORS[name]
    assert issubclass(cls, rulex.BaseExtractor)
    assert cls.name == name
    assert cls.kind in ("decompositional", "pedagogical")
    assert isinstance(cls.description, str) and cls.description.strip()
    info = rulex.available_methods()[name]
    assert (info.name, info.kind, info.description, info.regression) == (
        cls.name, cls.kind, cls.description, cls.supports_regression)
    assert name in str(info) and cls.kind in str(info)
    # the methods live in extractors/; auto, a selection over them, in the layer above (refine/)
    assert cls.__module__.startswith("rulex.refine." if name == "auto" else "rulex.extractors.")


# -- shared suite: classification ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("which", ["iris", "monk3"])
def test_returns_original_space_ruleset_with_provenance(method, which):
    net, train, test = CLASSIFICATION_NETS[which]()
    rules, _, _ = _extracted(method, which)
    assert isinstance(rules, rulex.RuleSet)
    assert rules.space == "original"
    assert rules.task == "classification"
    assert len(rules) >= 0
    p = rules.provenance
    assert p["method"] == method
    assert p["network_fingerprint"] == net.fingerprint()
    assert p["data_fingerprint"] == train.fingerprint()
    assert p["rulex_version"] == rulex.__version__
    assert set(rules.classes) == set(net.classes)
    assert rules.default in net.classes
    assert all(r.conclusion in net.classes for r in rules.rules)
    assert set(rules.predict(test.frame)) <= set(net.classes)
    assert set(rules.predict(train.frame)) <= set(net.classes)
    # original space: every condition names a user column, never a network input like "col=cat"
    features = set(net.schema.feature_names)
    assert all(c.feature in features for c in all_conditions(rules))
    assert 0.0 <= p["train_fidelity"] <= 1.0


@pytest.mark.parametrize("method", METHODS)
def test_same_random_state_gives_identical_rules(method):
    net, train, _ = iris_net()
    a, _, _ = _extracted(method)
    b = rulex.extract(net, train, method=method, random_state=0)
    assert a.rules == b.rules
    assert a.default == b.default
    assert a.semantics == b.semantics
    assert _strip_run(a.provenance) == _strip_run(b.provenance)


@pytest.mark.parametrize("method", METHODS)
def test_json_round_trip_is_exact(method, tmp_path):
    net, train, test = iris_net()
    rules, _, _ = _extracted(method)
    path = tmp_path / "rules.json"
    rulex.save_rules(rules, path)
    loaded = rulex.load_rules(path)
    assert loaded == rules
    np.testing.assert_array_equal(loaded.predict(test.frame), rules.predict(test.frame))
    assert rulex.export(loaded, "json") == rulex.export(rules, "json")


@pytest.mark.parametrize("method", METHODS)
def test_network_and_data_unchanged_by_extraction(method):
    _, (w0, fp0, meta0, frame0), (w1, fp1, meta1, frame1) = _extracted(method)
    assert same_weights(w0, w1)
    assert fp0 == fp1
    assert meta0 == meta1
    assert frame0.equals(frame1)


@pytest.mark.parametrize("method", METHODS)
def test_sklearn_estimator_conventions(method):
    net, train, test = iris_net()
    cls = EXTRACTORS[method]
    ex = cls()
    params = ex.get_params()
    assert params == cls().get_params()
    assert not hasattr(ex, "rules_")
    with pytest.raises(rulex.NotFittedError):
        ex.predict(test.frame)
    # set_params returns self and stores verbatim
    assert ex.set_params(**params) is ex
    assert ex.get_params() == params
    # clone of an unfitted extractor keeps the parameters, and fitting it gives the same rules
    # as rulex.extract(..., random_state=0)
    if "random_state" in params:
        ex.set_params(random_state=0)
    twin = clone(ex)
    assert twin is not ex and twin.get_params() == ex.get_params()
    assert twin.fit(net, train) is twin
    reference, _, _ = _extracted(method)
    assert twin.rules_.rules == reference.rules
    assert twin.rules_.default == reference.default
    # learned attributes end in "_"; a clone of a fitted extractor is unfitted but keeps its parameters
    assert isinstance(twin.rules_, rulex.RuleSet)
    learned = [k for k in vars(twin) if k not in params]
    assert learned and all(k.endswith("_") or k.startswith("_") for k in learned), learned
    np.testing.assert_array_equal(twin.predict(test.frame), twin.rules_.predict(test.frame))
    fresh = clone(twin)
    assert not hasattr(fresh, "rules_") and fresh.get_params() == twin.get_params()
    assert not hasattr(ex, "rules_")                  # fitting the clone left the original alone
    # every parameter is recorded in the provenance
    assert set(twin.rules_.provenance["parameters"]) == set(params)


@pytest.mark.parametrize("method", METHODS)
def test_every_constrained_parameter_rejects_an_invalid_value(method):
    net, train, _ = iris_net()
    cls = EXTRACTORS[method]
    constrained = sorted(k for k in cls().get_params() if cls._parameter_constraints.get(k))
    assert constrained == sorted(cls().get_params()), "every parameter needs a constraint that fit() checks"
    for key in constrained:
        ex = cls().set_params(**{key: object()})          # no constraint accepts an arbitrary object
        with pytest.raises(rulex.DataError, match=key):
            ex.fit(net, train)


@pytest.mark.parametrize("method", METHODS)
def test_unknown_parameter_lists_the_valid_ones(method):
    net, train, _ = iris_net()
    with pytest.raises(rulex.RulexError) as err:
        rulex.extract(net, train, method=method, definitely_not_a_parameter=1)
    msg = str(err.value)
    assert "definitely_not_a_parameter" in msg
    for name in EXTRACTORS[method]().get_params():
        assert name in msg
    with pytest.raises(ValueError):
        EXTRACTORS[method]().set_params(definitely_not_a_parameter=1)


@pytest.mark.parametrize("method", METHODS)
def test_rejects_non_network_and_non_dataset(method):
    net, train, _ = iris_net()
    with pytest.raises(rulex.NetworkError):
        EXTRACTORS[method]().fit("not a network", train)
    with pytest.raises(rulex.DataError):
        EXTRACTORS[method]().fit(net, train.frame)


# -- shared suite: regression ------------------------------------------------------------------------------
@pytest.mark.parametrize("method", REGRESSION_METHODS)
def test_regression_methods_give_numeric_rules(method):
    net, train, test = diabetes_net()
    rules = rulex.extract(net, train, method=method, random_state=0)
    assert rules.task == "regression" and rules.space == "original"
    assert rules.provenance["network_fingerprint"] == net.fingerprint()
    pred = np.asarray(rules.predict(test.frame), dtype=float)
    assert pred.shape == (len(test),) and np.isfinite(pred).all()
    assert isinstance(rules.default, (int, float))
    again = rulex.extract(net, train, method=method, random_state=0)
    assert again.rules == rules.rules and again.default == rules.default


@pytest.mark.parametrize("method", CLASSIFICATION_ONLY)
def test_classification_only_methods_refuse_regression_nets(method):
    net, train, _ = diabetes_net()
    with pytest.raises(rulex.DataError, match="regression"):
        rulex.extract(net, train, method=method)


# -- unknown method ----------------------------------------------------------------------------------------
def test_misspelled_method_suggests_the_right_one():
    net, train, _ = iris_net()
    with pytest.raises(rulex.UnknownNameError) as err:
        rulex.extract(net, train, method="surogate_tree")
    msg = str(err.value)
    assert "did you mean" in msg and "'surrogate_tree'" in msg
    assert isinstance(err.value, KeyError)
    with pytest.raises(rulex.UnknownNameError):
        rulex.get_extractor("nope")


# -- surrogate tree specifics ------------------------------------------------------------------------------
@pytest.mark.parametrize("params, name", [
    (dict(max_depth=0), "max_depth"),
    (dict(max_depth=2.5), "max_depth"),
    (dict(max_depth=True), "max_depth"),
    (dict(max_leaf_nodes="x"), "max_leaf_nodes"),
    (dict(max_leaf_nodes=1), "max_leaf_nodes"),
    (dict(min_samples_leaf=0), "min_samples_leaf"),
    (dict(ccp_alpha=-0.1), "ccp_alpha"),
    (dict(ccp_alpha=float("nan")), "ccp_alpha"),
    (dict(criterion="gin"), "criterion"),
    (dict(random_state=-1), "random_state"),
])
def test_surrogate_tree_invalid_parameters_raise_data_error(params, name):
    net, train, _ = iris_net()
    with pytest.raises(rulex.DataError, match=name):
        rulex.extract(net, train, method="surrogate_tree", **params)
    with pytest.raises(rulex.DataError, match=name):
        rulex.extractors.SurrogateTree(**params).fit(net, train)
    # the constructor only stores: no error until fit
    assert rulex.extractors.SurrogateTree(**params).get_params()[name] is params[name]


def test_surrogate_tree_with_two_leaves_has_at_most_one_rule():
    net, train, test = iris_net()
    rules = rulex.extract(net, train, method="surrogate_tree", max_leaf_nodes=2)
    assert len(rules) <= 1
    assert rules.conditions_count() <= 1


def test_surrogate_tree_regression_fidelity_on_test_split():
    net, train, test = diabetes_net()
    rules = rulex.extract(net, train, method="surrogate_tree", random_state=0)
    report = rulex.evaluate(rules, net, test)
    assert report.task == "regression"
    assert report.fidelity > 0.5


def _tree_params(rules_params):
    return dict(max_depth=rules_params.get("max_depth"), max_leaf_nodes=rules_params.get("max_leaf_nodes", 16),
                min_samples_leaf=rules_params.get("min_samples_leaf", 2), random_state=0)


def _walk_tree_float64(tree, X):
    """Leaf values of a fitted sklearn tree, comparing the float64 inputs with each threshold.

    sklearn itself casts X to float32 before comparing; the rules are defined on the
    float64 encoding, so on unseen rows they follow this walk, not ``tree.predict``.
    """
    t = tree.tree_
    out = []
    for x in X:
        node = 0
        while t.children_left[node] != -1:
            node = t.children_left[node] if x[t.feature[node]] <= t.threshold[node] else t.children_right[node]
        out.append(t.value[node][0])
    return np.array(out)


@pytest.mark.parametrize("which", ["iris", "breast_cancer"])
@pytest.mark.parametrize("params", [{}, dict(max_depth=3), dict(max_leaf_nodes=5, min_samples_leaf=4)])
def test_surrogate_tree_rules_predict_what_the_sklearn_tree_predicts(which, params):
    from sklearn.tree import DecisionTreeClassifier
    net, train, test = CLASSIFICATION_NETS[which]()
    rules = rulex.extract(net, train, method="surrogate_tree", random_state=0, **params)
    X = net.encoder.transform(train.frame)
    y = net.predict_index(X)
    tree = DecisionTreeClassifier(**_tree_params(params)).fit(X, y)
    labels = np.array(net.classes)[tree.classes_]
    # training rows: exactly what the sklearn tree predicts
    np.testing.assert_array_equal(rules.predict(train.frame), labels[tree.predict(X)])
    # any rows: exactly the tree walked on the float64 encoding
    for ds in (train, test):
        leaf = _walk_tree_float64(tree, net.encoder.transform(ds.frame))
        np.testing.assert_array_equal(rules.predict(ds.frame), labels[np.argmax(leaf, axis=1)])
    assert len(rules) <= tree.get_n_leaves()


def test_surrogate_tree_regression_rules_predict_what_the_sklearn_tree_predicts():
    from sklearn.tree import DecisionTreeRegressor
    net, train, test = diabetes_net()
    rules = rulex.extract(net, train, method="surrogate_tree", random_state=0)
    X = net.encoder.transform(train.frame)
    tree = DecisionTreeRegressor(**_tree_params({})).fit(X, net.predict_encoded(X))
    np.testing.assert_array_equal(np.asarray(rules.predict(train.frame), dtype=float), tree.predict(X))
    for ds in (train, test):
        expected = _walk_tree_float64(tree, net.encoder.transform(ds.frame))[:, 0]
        np.testing.assert_array_equal(np.asarray(rules.predict(ds.frame), dtype=float), expected)


def test_surrogate_tree_train_fidelity_matches_rules_on_training_rows():
    net, train, _ = iris_net()
    rules = rulex.extract(net, train, method="surrogate_tree")
    agree = float(np.mean(rules.predict(train.frame) == net.predict(train.frame)))
    assert rules.provenance["train_fidelity"] == pytest.approx(agree)
    assert agree > 0.9
