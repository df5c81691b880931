"""The CLI remembers what the model bundle knows: its target, categorical columns, split and seed."""
from __future__ import annotations

import json

import pytest

import rulex
from rulex.cli import main
from rulex.extractors.base import EXTRACTORS
from rulex.extractors.docs import method_parameters, parameter_docs


@pytest.fixture(scope="module")
def csv_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    ds = rulex.load_dataset("iris")
    csv = d / "flowers.csv"
    ds.frame.assign(colour=["red", "blue", "green"] * (len(ds) // 3)).to_csv(csv, index=False)
    model = d / "model.rulex"
    assert main(["train", str(csv), "--target", ds.target, "--categorical", "colour", "--hidden", "3",
                 "--epochs", "15", "--seed", "3", "--test-size", "0.25", "--out", str(model)]) == 0
    return d, csv, model


def test_extract_and_evaluate_need_no_target(csv_model, capsys):
    d, csv, model = csv_model
    rules_path = d / "rules.json"
    assert main(["extract", str(model), str(csv), "--method", "surrogate_tree", "--out", str(rules_path)]) == 0
    rules = rulex.load_rules(rules_path)
    net = rulex.load_network(model)
    assert rules.target == net.schema.target and rules.provenance["parameters"]["random_state"] == 3
    # the extraction rows are the model's own training split (test_size 0.25, seed 3)
    train, _ = rulex.Dataset.from_csv(csv, net.schema.target, categorical=["colour"]).split(test_size=0.25,
                                                                                            random_state=3)
    assert rules.provenance["data_rows"] == len(train)
    capsys.readouterr()
    assert main(["evaluate", str(rules_path), str(model), str(csv), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["n_rows"] == len(rulex.Dataset.from_csv(csv, net.schema.target)) - len(train)
    assert main(["extract", str(model), str(csv), "--method", "surrogate_tree", "--seed", "5",
                 "--out", str(rules_path)]) == 0
    assert rulex.load_rules(rules_path).provenance["parameters"]["random_state"] == 5


def test_methods_name_lists_parameters(capsys):
    assert main(["methods", "surrogate_tree"]) == 0
    out = capsys.readouterr().out
    assert "max_leaf_nodes = 16" in out and "Minimal cost-complexity pruning" in out
    assert main(["methods", "no_such_method"]) != 0
    assert "surrogate_tree" in capsys.readouterr().err


@pytest.mark.parametrize("method", sorted(EXTRACTORS))
def test_method_parameters_match_the_class(method):
    table = method_parameters(method)
    params = EXTRACTORS[method]().get_params(deep=False)
    assert set(table["parameter"]) == set(params)
    assert table.set_index("parameter")["default"].to_dict() == {k: repr(v) for k, v in params.items()}


def test_parameter_docs_parser():
    doc = """Title.

    Parameters
    ----------
    a : int, default 1
        First line.
        Second line.
    b : str

    Returns
    -------
    x : int
        Not a parameter.
    """
    assert parameter_docs(doc) == {"a": ("int, default 1", "First line. Second line."), "b": ("str", "")}
    assert parameter_docs(None) == {}
