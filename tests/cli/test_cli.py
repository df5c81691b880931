"""The ``rulex`` command (in-process through ``rulex.cli.main`` and as a real subprocess) and
Python-API handling of bad input."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import rulex
from rulex.cli import main
from _helpers.nets import iris_net


def run(capsys, *argv):
    """``main(argv)`` in process: (exit code, stdout, stderr). argparse usage errors exit 2."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:       # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def run_subprocess(*argv, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "rulex.cli", *map(str, argv)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def assert_clean_error(code, err, *needles):
    """Non-zero exit, a single 'rulex: error:' line on stderr, no traceback."""
    assert code not in (0, None), err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("rulex: error:"), err
    for n in needles:
        assert n in lines[0], (n, lines[0])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder with a model trained by the CLI on iris and rules extracted from it."""
    d = tmp_path_factory.mktemp("cli")
    assert main(["train", "iris", "--out", str(d / "tmp" / "model.rulex"), "--epochs", "30"]) == 0
    assert main(["extract", str(d / "tmp" / "model.rulex"), "iris", "--method", "surrogate_tree",
                 "--out", str(d / "rules.json")]) == 0
    return d


@pytest.fixture(scope="module")
def csvs(tmp_path_factory):
    """Small CSV files: a clean one and broken variants."""
    d = tmp_path_factory.mktemp("csv")
    rng = np.random.default_rng(0)
    n = 80
    df = pd.DataFrame({"a": rng.normal(size=n).round(3), "b": rng.normal(size=n).round(3),
                       "color": rng.choice(["red", "green", "blue"], n)})
    df["label"] = np.where(df["a"] + df["b"] > 0, "yes", "no")
    df.to_csv(d / "good.csv", index=False)
    nan = df.copy()
    nan.loc[5, "a"] = np.nan
    nan.to_csv(d / "nan.csv", index=False)
    abc = df.copy()
    abc["a"] = abc["a"].astype(object)
    abc.loc[::10, "a"] = "abc"          # in both halves of any split
    abc.to_csv(d / "abc.csv", index=False)
    return d


# -- the happy path ---------------------------------------------------------------------------------------
def test_datasets(capsys):
    code, out, err = run(capsys, "datasets")
    assert code == 0 and not err
    for name in ("iris", "breast_cancer", "adult", "mushroom", "diabetes"):
        assert name in out


def test_methods(capsys):
    code, out, err = run(capsys, "methods")
    assert code == 0
    for name, info in rulex.available_methods().items():
        assert name in out and info.kind in out


def test_train_writes_a_loadable_model(workdir, capsys):
    code, out, err = run(capsys, "train", "iris", "--out", workdir / "tmp" / "again.rulex", "--epochs", "30")
    assert code == 0, err
    assert "accuracy" in out and "again.rulex" in out
    net = rulex.load_network(workdir / "tmp" / "again.rulex")
    first = rulex.load_network(workdir / "tmp" / "model.rulex")
    assert net.fingerprint() == first.fingerprint()          # same seed, same network
    assert net.task == "classification" and net.metadata["max_epochs"] == 30


def test_extract_writes_rules(workdir, capsys):
    out_path = workdir / "rules2.json"
    code, out, err = run(capsys, "extract", workdir / "tmp" / "model.rulex", "iris", "--method", "surrogate_tree",
                         "--param", "max_leaf_nodes=3", "--out", out_path)
    assert code == 0, err
    rules = rulex.load_rules(out_path)
    assert rules.provenance["method"] == "surrogate_tree"
    assert rules.provenance["parameters"]["max_leaf_nodes"] == 3
    assert len(rules) <= 2
    assert "rules" in out and str(out_path) in out
    net = rulex.load_network(workdir / "tmp" / "model.rulex")
    assert rules.provenance["network_fingerprint"] == net.fingerprint()


def test_evaluate(workdir, capsys):
    code, out, err = run(capsys, "evaluate", workdir / "rules.json", workdir / "tmp" / "model.rulex", "iris")
    assert code == 0, err
    assert "fidelity" in out and "accuracy" in out
    code, out, err = run(capsys, "evaluate", workdir / "rules.json", workdir / "tmp" / "model.rulex", "iris",
                         "--json")
    assert code == 0, err
    report = json.loads(out)
    assert 0.0 <= report["fidelity"] <= 1.0
    assert report["n_rules"] == len(rulex.load_rules(workdir / "rules.json"))


def test_export_markdown(workdir, capsys):
    code, out, err = run(capsys, "export", workdir / "rules.json", "--format", "markdown")
    assert code == 0, err
    rules = rulex.load_rules(workdir / "rules.json")
    assert out == rulex.export(rules, "markdown")
    code, out, err = run(capsys, "export", workdir / "rules.json", "--format", "markdown",
                         "--out", workdir / "rules.md")
    assert code == 0, err
    assert (workdir / "rules.md").read_text(encoding="utf-8") == rulex.export(rules, "markdown")


def test_compare_writes_csv(tmp_path, capsys):
    code, out, err = run(capsys, "compare", "iris", "--epochs", "30", "--out", tmp_path / "t.csv")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "t.csv", keep_default_na=False)
    assert list(table["method"]) == sorted(rulex.available_methods())
    assert "fidelity" in table.columns
    assert "surrogate_tree" in out


def test_train_extract_evaluate_in_a_subprocess(tmp_path):
    code, out, err = run_subprocess("train", "iris", "--out", "tmp/model.rulex", "--epochs", "30", cwd=tmp_path)
    assert code == 0, err
    assert "Traceback" not in err
    code, out, err = run_subprocess("extract", "tmp/model.rulex", "iris", "--method", "surrogate_tree",
                                    "--out", "rules.json", cwd=tmp_path)
    assert code == 0, err
    code, out, err = run_subprocess("evaluate", "rules.json", "tmp/model.rulex", "iris", cwd=tmp_path)
    assert code == 0, err
    assert "fidelity" in out
    # piped output: no progress bar noise on stderr
    assert "training network" not in err and "extracting" not in err


def test_subprocess_entry_points_list_and_fail_cleanly(tmp_path):
    code, out, err = run_subprocess("methods")
    assert code == 0 and "surrogate_tree" in out
    code, out, err = run_subprocess("train", "irsi", "--out", "m.rulex", cwd=tmp_path)
    assert_clean_error(code, err, "did you mean", "'iris'")
    assert not (tmp_path / "m.rulex").exists()


# -- bad input on the command line -------------------------------------------------------------------------
def test_csv_without_target(csvs, tmp_path, capsys):
    code, out, err = run(capsys, "train", csvs / "good.csv", "--out", tmp_path / "m.rulex", "--epochs", "2")
    assert_clean_error(code, err, "--target")


def test_csv_with_misspelled_target(csvs, tmp_path, capsys):
    code, out, err = run(capsys, "train", csvs / "good.csv", "--target", "lable", "--out", tmp_path / "m.rulex",
                         "--epochs", "2")
    assert_clean_error(code, err, "did you mean", "'label'")


def test_csv_with_nan_in_a_feature(csvs, tmp_path, capsys):
    code, out, err = run(capsys, "train", csvs / "nan.csv", "--target", "label", "--out", tmp_path / "m.rulex",
                         "--epochs", "2")
    assert_clean_error(code, err, "'a'", "missing")


def test_csv_with_strings_in_a_numeric_column_at_training(csvs, tmp_path, capsys):
    """A numeric column with a stray "abc" is dirty data, not 70 categories."""
    code, out, err = run(capsys, "train", csvs / "abc.csv", "--target", "label", "--out", tmp_path / "m.rulex",
                         "--epochs", "2")
    assert_clean_error(code, err, "'a'", "abc")


@pytest.mark.parametrize("command", ["extract", "evaluate"])
def test_csv_with_strings_in_a_numeric_column_against_a_model(csvs, tmp_path, capsys, command):
    model = tmp_path / "m.rulex"
    assert run(capsys, "train", csvs / "good.csv", "--target", "label", "--out", model, "--epochs", "2")[0] == 0
    rules = tmp_path / "r.json"
    assert run(capsys, "extract", model, csvs / "good.csv", "--target", "label", "--method", "surrogate_tree",
               "--out", rules)[0] == 0
    if command == "extract":
        argv = ["extract", model, csvs / "abc.csv", "--target", "label", "--method", "surrogate_tree",
                "--out", tmp_path / "r2.json"]
    else:
        argv = ["evaluate", rules, model, csvs / "abc.csv", "--target", "label"]
    code, out, err = run(capsys, *argv)
    assert_clean_error(code, err, "'a'", "abc")


def test_unknown_method(workdir, tmp_path, capsys):
    code, out, err = run(capsys, "extract", workdir / "tmp" / "model.rulex", "iris", "--method", "surogate_tree",
                         "--out", tmp_path / "r.json")
    assert_clean_error(code, err, "did you mean", "'surrogate_tree'")
    assert not (tmp_path / "r.json").exists()


def test_unknown_method_in_compare(capsys):
    code, out, err = run(capsys, "compare", "iris", "--epochs", "2", "--methods", "surogate_tree")
    assert_clean_error(code, err, "did you mean", "'surrogate_tree'")


def test_unknown_dataset(tmp_path, capsys):
    code, out, err = run(capsys, "train", "irsi", "--out", tmp_path / "m.rulex")
    assert_clean_error(code, err, "did you mean", "'iris'")


def test_missing_csv_file(tmp_path, capsys):
    code, out, err = run(capsys, "train", tmp_path / "nope.csv", "--target", "y", "--out", tmp_path / "m.rulex")
    assert_clean_error(code, err, "nope.csv")


def test_corrupted_model_file(workdir, tmp_path, capsys):
    bad = tmp_path / "bad.rulex"
    bad.write_bytes((workdir / "tmp" / "model.rulex").read_bytes()[:100])
    code, out, err = run(capsys, "extract", bad, "iris", "--method", "surrogate_tree", "--out", tmp_path / "r.json")
    assert_clean_error(code, err, "bad.rulex")
    code, out, err = run(capsys, "evaluate", workdir / "rules.json", bad, "iris")
    assert_clean_error(code, err, "bad.rulex")


def test_missing_model_file(workdir, tmp_path, capsys):
    code, out, err = run(capsys, "evaluate", workdir / "rules.json", tmp_path / "none.rulex", "iris")
    assert_clean_error(code, err, "none.rulex")


@pytest.mark.parametrize("content", [
    '{"format": "rulex.ruleset", "version": 1, "rules": [',          # truncated JSON
    '{"format": "something else"}',                                  # foreign JSON
    '{"format": "rulex.ruleset", "version": 1, "rules": "oops"}',    # damaged body
    '[1, 2, 3]',
    '',
])
def test_corrupted_rules_file(workdir, tmp_path, capsys, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, out, err = run(capsys, "evaluate", bad, workdir / "tmp" / "model.rulex", "iris")
    assert_clean_error(code, err, "bad.json")
    code, out, err = run(capsys, "export", bad, "--format", "markdown")
    assert_clean_error(code, err, "bad.json")


def test_binary_rules_file(workdir, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_bytes(bytes(range(256)))
    code, out, err = run(capsys, "export", bad, "--format", "text")
    assert_clean_error(code, err, "bad.json")


def test_param_without_equals(workdir, tmp_path, capsys):
    code, out, err = run(capsys, "extract", workdir / "tmp" / "model.rulex", "iris", "--method", "surrogate_tree",
                         "--param", "max_depth", "--out", tmp_path / "r.json")
    assert_clean_error(code, err, "--param", "max_depth")


def test_param_with_invalid_value(workdir, tmp_path, capsys):
    code, out, err = run(capsys, "extract", workdir / "tmp" / "model.rulex", "iris", "--method", "surrogate_tree",
                         "--param", "max_depth=0", "--out", tmp_path / "r.json")
    assert_clean_error(code, err, "max_depth")


def test_unknown_param(workdir, tmp_path, capsys):
    code, out, err = run(capsys, "extract", workdir / "tmp" / "model.rulex", "iris", "--method", "surrogate_tree",
                         "--param", "depth=3", "--out", tmp_path / "r.json")
    assert_clean_error(code, err, "depth", "max_depth")


def test_unknown_export_format(workdir, capsys):
    code, out, err = run(capsys, "export", workdir / "rules.json", "--format", "markdwn")
    assert_clean_error(code, err, "did you mean", "'markdown'")


def test_wrong_target_for_a_named_dataset(tmp_path, capsys):
    code, out, err = run(capsys, "train", "iris", "--target", "class", "--out", tmp_path / "m.rulex")
    assert_clean_error(code, err, "'species'")


# -- bad input through the Python API ------------------------------------------------------------------------
def test_unseen_category_at_predict_time_names_column_and_value():
    df = pd.DataFrame({"x": np.linspace(0, 1, 40), "color": ["red", "green", "blue", "red"] * 10,
                       "y": ["p", "q"] * 20})
    ds = rulex.Dataset.from_frame(df, target="y")
    net = rulex.train_network(ds, (2,), max_epochs=2, random_state=0)
    frame = ds.frame.copy()
    frame.loc[3, "color"] = "purple"
    with pytest.raises(rulex.DataError) as err:
        net.predict(frame)
    assert "'color'" in str(err.value) and "'purple'" in str(err.value)
    rules = rulex.extract(net, ds, method="surrogate_tree")
    with pytest.raises(rulex.DataError, match="purple"):
        rulex.evaluate(rules, net, rulex.Dataset(frame, "y", ds.schema, _checked=True))


def test_frame_missing_a_column_names_it():
    net, _, test = iris_net()
    frame = test.frame.drop(columns=["petal length (cm)"])
    with pytest.raises(rulex.DataError, match="petal length"):
        net.predict(frame)
    with pytest.raises(rulex.DataError, match="petal length"):
        net.predict_proba(frame)


def test_frame_with_strings_in_a_numeric_column_names_column_and_value():
    net, _, test = iris_net()
    frame = test.frame.copy()
    frame["sepal width (cm)"] = frame["sepal width (cm)"].astype(object)
    frame.loc[0, "sepal width (cm)"] = "abc"
    with pytest.raises(rulex.DataError) as err:
        net.predict(frame)
    assert "sepal width" in str(err.value) and "abc" in str(err.value)


def test_frame_with_nan_names_the_column():
    net, _, test = iris_net()
    frame = test.frame.copy()
    frame.loc[2, "sepal length (cm)"] = np.nan
    with pytest.raises(rulex.DataError, match="sepal length"):
        net.predict(frame)


def test_from_frame_with_misspelled_target_suggests():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "label": ["x", "y", "x", "y"]})
    with pytest.raises(rulex.DataError) as err:
        rulex.Dataset.from_frame(df, target="lable")
    assert "did you mean" in str(err.value) and "'label'" in str(err.value)


def test_errors_are_also_builtin_exceptions():
    df = pd.DataFrame({"a": [1.0, 2.0], "label": ["x", "y"]})
    with pytest.raises(ValueError):
        rulex.Dataset.from_frame(df, target="nope")
    with pytest.raises(KeyError):
        rulex.load_dataset("nope")
