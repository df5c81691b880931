"""evaluate(): a consistent report; compare(): one tidy row per method, on every bundled data set."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import rulex
from _helpers.nets import (CLASSIFICATION_DATASETS, SWEEP_PARAMS, all_conditions, diabetes_net, iris_net,
                          tiny_net)

# compare()'s documented columns (rulex/compare.py docstring and COLUMNS)
COMPARE_COLUMNS = ["method", "kind", "fidelity", "accuracy", "network_accuracy", "rules", "conditions",
                   "mean_length", "features", "coverage", "seconds", "peak_mb", "complete", "cut_short", "warnings",
                   "error", "pareto"]


def _methods_for(task):
    return sorted(n for n, info in rulex.available_methods().items()
                  if task == "classification" or info.regression)


# -- evaluate ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("params", [{}, dict(max_leaf_nodes=2), dict(max_depth=2)])
def test_classification_report_is_consistent(params):
    net, train, test = iris_net()
    rules = rulex.extract(net, train, method="surrogate_tree", random_state=0, **params)
    rep = rulex.evaluate(rules, net, test)
    y_rules = np.asarray(rules.predict(test.frame))
    y_net = net.predict(test.frame)
    y_true = test.y.to_numpy()
    assert rep.method == "surrogate_tree" and rep.task == "classification"
    assert rep.n_rows == len(test)
    for v in (rep.fidelity, rep.accuracy, rep.network_accuracy, rep.coverage, rep.default_rule_use,
              rep.overlap, rep.conflict):
        assert 0.0 <= v <= 1.0
    assert rep.fidelity == pytest.approx(np.mean(y_rules == y_net))
    assert rep.accuracy == pytest.approx(np.mean(y_rules == y_true))
    assert rep.network_accuracy == pytest.approx(np.mean(y_net == y_true))
    assert rep.n_rules == len(rules)
    assert rep.n_conditions == rules.conditions_count()
    assert rep.coverage + rep.default_rule_use == pytest.approx(1.0)
    assert rep.max_rule_length >= rep.mean_rule_length >= 0
    assert rep.n_features_used == len(rules.features_used())
    # confusion: network (rows) x rules (columns), over the classes, summing to the rows
    cm = rep.confusion
    assert list(cm.index) == list(net.classes) and list(cm.columns) == list(net.classes)
    assert int(cm.to_numpy().sum()) == rep.n_rows
    assert int(np.trace(cm.to_numpy())) == int(np.sum(y_rules == y_net))
    for c in net.classes:
        assert int(cm.loc[c].sum()) == int(np.sum(y_net == c))
    # per-class fidelity: keyed by the network's classes
    assert set(rep.per_class_fidelity) <= set(net.classes)
    assert set(rep.per_class_fidelity) >= set(np.unique(y_net))
    for c, v in rep.per_class_fidelity.items():
        if np.any(y_net == c):
            assert v == pytest.approx(np.mean(y_rules[y_net == c] == c))
    assert rep.rmse_network is None and rep.rmse_truth is None
    # per-rule table, dict and frame views
    assert rep.rules is not None and len(rep.rules) >= len(rules)
    d = rep.to_dict()
    json.dumps(d, default=str)
    assert d["n_rules"] == rep.n_rules and d["fidelity"] == rep.fidelity
    assert sum(sum(row.values()) for row in d["confusion"].values()) == rep.n_rows
    frame = rep.to_frame()
    assert len(frame) == 1 and frame.loc[0, "fidelity"] == rep.fidelity
    text = str(rep)
    assert "fidelity" in text and "surrogate_tree" in text


def test_regression_report_has_rmse():
    net, train, test = diabetes_net()
    rules = rulex.extract(net, train, method="surrogate_tree", random_state=0)
    rep = rulex.evaluate(rules, net, test)
    assert rep.task == "regression" and rep.n_rows == len(test)
    y_rules = np.asarray(rules.predict(test.frame), dtype=float)
    y_net = net.predict(test.frame)
    y_true = test.y.to_numpy(dtype=float)
    assert rep.rmse_network == pytest.approx(math.sqrt(np.mean((y_rules - y_net) ** 2)))
    assert rep.rmse_truth == pytest.approx(math.sqrt(np.mean((y_rules - y_true) ** 2)))
    r2 = 1 - np.sum((y_rules - y_net) ** 2) / np.sum((y_net - y_net.mean()) ** 2)
    assert rep.fidelity == pytest.approx(r2)
    assert rep.fidelity <= 1.0 and rep.accuracy <= 1.0
    assert rep.n_rules == len(rules)
    assert rep.coverage + rep.default_rule_use == pytest.approx(1.0)
    assert not rep.per_class_fidelity and rep.confusion is None
    d = rep.to_dict()
    assert d["rmse_network"] == rep.rmse_network and d["rmse_truth"] == rep.rmse_truth
    assert "RMSE" in str(rep)


def test_evaluate_rejects_a_frame():
    net, train, test = iris_net()
    rules = rulex.extract(net, train, method="surrogate_tree")
    with pytest.raises(rulex.DataError):
        rulex.evaluate(rules, net, test.frame)


def test_evaluate_after_json_round_trip_is_identical(tmp_path):
    net, train, test = iris_net()
    rules = rulex.extract(net, train, method="surrogate_tree")
    rulex.save_rules(rules, tmp_path / "r.json")
    a = rulex.evaluate(rules, net, test).to_dict()
    b = rulex.evaluate(rulex.load_rules(tmp_path / "r.json"), net, test).to_dict()
    assert a == b


# -- compare ---------------------------------------------------------------------------------------------
def _check_table(table, methods):
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == COMPARE_COLUMNS
    assert list(table["method"]) == list(methods)
    assert table["method"].is_unique
    kinds = {n: info.kind for n, info in rulex.available_methods().items()}
    assert list(table["kind"]) == [kinds[m] for m in methods]


def test_compare_one_row_per_method_with_documented_columns():
    net, train, test = iris_net()
    methods = _methods_for("classification")
    table, rulesets = rulex.compare(net, train, test, progress=False, return_rules=True)
    _check_table(table, methods)
    ok = table[table["error"] == ""]
    assert "surrogate_tree" in set(ok["method"])
    for _, row in ok.iterrows():
        assert 0.0 <= row["fidelity"] <= 1.0 and 0.0 <= row["accuracy"] <= 1.0
        rules = rulesets[row["method"]]
        assert row["rules"] == len(rules)
        assert row["conditions"] == rules.conditions_count()
        assert row["fidelity"] == pytest.approx(rulex.evaluate(rules, net, test).fidelity)
    assert table["network_accuracy"].dropna().nunique() == 1      # same network for every method


def test_compare_selected_methods_and_params():
    net, train, test = iris_net()
    table = rulex.compare(net, train, test, methods="surrogate_tree", progress=False,
                          params={"surrogate_tree": {"max_leaf_nodes": 2}})
    _check_table(table, ["surrogate_tree"])
    assert table.loc[0, "rules"] <= 1 and table.loc[0, "error"] == ""


def test_compare_is_deterministic():
    # each extractor's own determinism is in the shared suite (test_extractors.py); here the plumbing
    net, train, test = iris_net()
    a, ra = rulex.compare(net, train, test, methods=["surrogate_tree"], progress=False, return_rules=True)
    b, rb = rulex.compare(net, train, test, methods=["surrogate_tree"], progress=False, return_rules=True)
    pd.testing.assert_frame_equal(a.drop(columns=["seconds", "peak_mb"]), b.drop(columns=["seconds", "peak_mb"]))
    assert ra["surrogate_tree"].rules == rb["surrogate_tree"].rules


def test_compare_unknown_method_suggests():
    net, train, test = iris_net()
    with pytest.raises(rulex.UnknownNameError, match="did you mean"):
        rulex.compare(net, train, test, methods=["surogate_tree"], progress=False)


def test_compare_regression_runs_only_regression_methods():
    net, train, test = diabetes_net()
    methods = _methods_for("regression")
    table = rulex.compare(net, train, test, progress=False)
    _check_table(table, methods)
    row = table.set_index("method").loc["surrogate_tree"]
    assert row["error"] == "" and row["fidelity"] > 0.5


def test_dataset_list_covers_the_bundled_classification_sets():
    listed = rulex.list_datasets()
    names = set(listed.loc[listed["task"] == "classification", "name"])
    assert set(CLASSIFICATION_DATASETS) <= names


@pytest.mark.parametrize("name", CLASSIFICATION_DATASETS)
def test_compare_runs_on_every_bundled_classification_dataset(name):
    net, train, test = tiny_net(name)
    assert len(train) <= 2000 and len(test) <= 1000
    methods = _methods_for("classification")
    params = {}
    for m in methods:
        accepted = rulex.extractors.EXTRACTORS[m]().get_params()
        params[m] = {k: v for k, v in SWEEP_PARAMS.items() if k in accepted}
    table = rulex.compare(net, train, test, progress=False, params=params)
    _check_table(table, methods)
    failed = table[(table["error"] != "") & ~table["error"].str.startswith("BudgetExceededError")]
    assert failed.empty, failed[["method", "error"]].to_string()
    ok = table[table["error"] == ""]
    assert "surrogate_tree" in set(ok["method"])
    for col in ("fidelity", "accuracy", "network_accuracy", "coverage"):
        assert ok[col].between(0.0, 1.0).all(), (col, ok[col].tolist())
    assert (ok["rules"] >= 0).all() and (ok["conditions"] >= 0).all()


@pytest.mark.parametrize("name, expected", [
    ("adult", {"Married-civ-spouse", "Never-married", "Husband", "Wife", "Not-in-family", "Own-child",
               "Exec-managerial", "Prof-specialty", "Bachelors", "HS-grad", "Masters", "Doctorate",
               "Private", "Self-emp-inc", "Male", "Female"}),
    ("mushroom", {"none", "foul", "almond", "anise", "creosote", "fishy", "musty", "pungent", "spicy"}),
])
def test_rules_name_categories_by_their_names(name, expected):
    net, train, _ = tiny_net(name)
    rules = rulex.extract(net, train, method="surrogate_tree", random_state=0)
    schema = net.schema
    categorical = {f.name: f for f in schema.features if f.kind == "categorical"}
    conds = all_conditions(rules)
    assert conds, "the surrogate tree found no split"
    seen = set()
    for c in conds:
        assert c.feature in schema, c                      # a user column, never "col=cat"
        f = schema[c.feature]
        if f.is_discrete:
            values = c.value if c.op in ("in", "not in") else (c.value,)
            assert c.op in ("==", "!=", "in", "not in"), c
            assert set(values) <= set(f.categories), c
            seen.update(v for v in values if isinstance(v, str))
    assert seen & expected, (seen, str(rules))
    text = str(rules) + rulex.export(rules, "markdown")
    for f in categorical.values():
        for cat in f.categories:
            assert f"{f.name}={cat}" not in text
