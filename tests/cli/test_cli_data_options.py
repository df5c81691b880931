"""The CLI says what the API can: --task, --integer, --numeric, --ordinal, --features, --missing and the
training options, each with a test; errors name the flag on the command line (the parameter in Python)."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

import rulex
from rulex.cli import main


def _cli(capsys, *argv):
    """(exit status, stdout, stderr) of ``rulex argv`` run in process."""
    try:
        status = main([str(a) for a in argv])
    except SystemExit as exc:       # argparse's usage errors
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def _one_error(status, err) -> str:
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("rulex: warning:")]
    assert status == 1 and len(lines) == 1 and lines[0].startswith("rulex: error:"), err
    return lines[0]


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    """A survey as users have it: ratings 1-5 and category codes written as floats, a count target
    (visits, many distinct whole numbers), a yes/no target, and a copy with missing ages."""
    d = tmp_path_factory.mktemp("survey")
    rng = np.random.default_rng(3)
    n = 240
    df = pd.DataFrame({"age": rng.integers(18, 80, n).astype(float), "rating": rng.integers(1, 6, n).astype(float),
                       "code": rng.choice([1.0, 2.0, 5.0], n), "id": [f"r{i}" for i in range(n)]})
    df["visits"] = (df["rating"] * 4 + rng.poisson(4, n)).astype(int)
    df["ok"] = np.where(df["rating"] + rng.normal(0, 0.3, n) > 3, "yes", "no")
    df.to_csv(d / "survey.csv", index=False)
    gaps = df.copy()
    gaps.loc[::6, "age"] = np.nan
    gaps.to_csv(d / "gaps.csv", index=False)
    return d


_MODELS = itertools.count()


def _train(capsys, survey, *extra, data="survey.csv", target="ok"):
    model = survey / f"model{next(_MODELS)}.rulex"
    status, out, err = _cli(capsys, "train", survey / data, "--target", target, "--epochs", 5, "--hidden", 4,
                            "--out", model, *extra)
    return status, out, err, model


def test_count_target_is_regression_and_task_sets_it(capsys, survey):
    status, out, err, model = _train(capsys, survey, "--features", "age,rating,code", target="visits")
    assert status == 0, err
    assert rulex.load_network(model).task == "regression"
    status, out, err, model = _train(capsys, survey, "--features", "age,rating,code", "--task", "classification",
                                     target="visits")
    assert status == 0, err
    net = rulex.load_network(model)
    assert net.task == "classification" and len(net.classes) == pd.read_csv(survey / "survey.csv")["visits"].nunique()


def test_features_leaves_other_columns_out(capsys, survey):
    status, out, err, model = _train(capsys, survey, "--features", "rating,code")
    assert status == 0, err
    assert rulex.load_network(model).schema.feature_names == ["rating", "code"]


def test_integer_ordinal_and_numeric_set_the_kinds_and_the_thresholds(capsys, survey):
    status, out, err, model = _train(capsys, survey, "--features", "age,rating,code", "--integer", "code",
                                     "--ordinal", "rating", "--numeric", "age")
    assert status == 0, err
    kinds = {f.name: f.kind for f in rulex.load_network(model).schema}
    assert kinds == {"age": "numeric", "rating": "ordinal", "code": "integer"}
    assert rulex.load_network(model).schema["rating"].categories == (1.0, 2.0, 3.0, 4.0, 5.0)
    rules = survey / "ordinal_rules.json"
    status, out, err = _cli(capsys, "extract", model, survey / "survey.csv", "--method", "surrogate_tree",
                            "--param", "max_depth=4", "--out", rules)
    assert status == 0, err
    loaded = rulex.load_rules(rules)
    values = [c.value for r in loaded.rules for c in r.conditions if c.feature in ("rating", "code")]
    assert values and all(float(v) == int(v) for vs in values for v in np.atleast_1d(vs))


def test_ordinal_text_levels_in_order(capsys, survey, tmp_path):
    df = pd.read_csv(survey / "survey.csv")
    df["size"] = np.array(["small", "medium", "large"])[df["rating"].astype(int) % 3]
    df.to_csv(tmp_path / "sizes.csv", index=False)
    model = tmp_path / "m.rulex"
    status, out, err = _cli(capsys, "train", tmp_path / "sizes.csv", "--target", "ok", "--features", "size,age",
                            "--ordinal", "size=small<medium<large", "--epochs", 3, "--out", model)
    assert status == 0, err
    assert rulex.load_network(model).schema["size"].categories == ("small", "medium", "large")
    status, out, err = _cli(capsys, "train", tmp_path / "sizes.csv", "--target", "ok", "--features", "size,age",
                            "--ordinal", "size", "--epochs", 3, "--out", model)
    assert "--ordinal 'size=low<...<high'" in _one_error(status, err)


def test_missing_impute_and_the_error_names_the_flag(capsys, survey):
    status, out, err, model = _train(capsys, survey, data="gaps.csv")
    line = _one_error(status, err)
    assert "--missing impute" in line and "train_network" not in line
    status, out, err, model = _train(capsys, survey, "--missing", "impute", "--features", "age,rating", data="gaps.csv")
    assert status == 0, err
    assert "age is missing" in rulex.load_network(model).encoder.input_names_


def test_training_options_reach_train_network_and_errors_name_the_flags(capsys, survey):
    status, out, err, model = _train(capsys, survey, "--lr", 0.05, "--batch-size", 32, "--weight-decay", 0.001)
    assert status == 0, err
    meta = rulex.load_network(model).metadata
    assert (meta["lr"], meta["batch_size"], meta["weight_decay"]) == (0.05, 32, 0.001)
    status, out, err, model = _train(capsys, survey, "--lr", 50)
    line = _one_error(status, err)
    assert "--lr 50" in line and "lr=" not in line
    status, out, err, model = _train(capsys, survey, "--hidden", "100000,100000")
    line = _one_error(status, err)
    assert "--hidden 100000,100000" in line and "memory budget" in line


def test_saved_model_reads_its_data_with_its_own_kinds(capsys, survey):
    status, out, err, model = _train(capsys, survey, "--features", "age,rating,code", "--ordinal", "rating",
                                     "--integer", "code")
    assert status == 0, err
    rules = survey / "r.json"
    assert _cli(capsys, "extract", model, survey / "survey.csv", "--method", "surrogate_tree", "--out", rules)[0] == 0
    status, out, err = _cli(capsys, "evaluate", rules, model, survey / "survey.csv", "--json")
    assert status == 0, err
    assert json.loads(out)["fidelity"] > 0.5


def test_column_flags_on_a_bundled_data_set_are_refused(capsys, tmp_path):
    status, out, err = _cli(capsys, "train", "iris", "--integer", "sepal_length", "--out", tmp_path / "m.rulex")
    assert "--integer" in _one_error(status, err)


def test_task_inference_warning_names_the_flag(capsys, tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=120), "grade": rng.integers(0, 15, 120)})
    df.to_csv(tmp_path / "g.csv", index=False)
    status, out, err = _cli(capsys, "train", tmp_path / "g.csv", "--target", "grade", "--epochs", 2, "--hidden", 2,
                            "--out", tmp_path / "m.rulex")
    assert status == 0, err
    assert "--task classification" in err and "task=" not in err


def test_out_under_an_existing_file_is_a_clear_error(capsys, tmp_path):
    (tmp_path / "FILE").write_text("x")
    status, out, err = _cli(capsys, "train", "iris", "--epochs", 2, "--out", tmp_path / "FILE" / "m.rulex")
    line = _one_error(status, err)
    assert "is a file, not a folder" in line and "unexpected" not in line
    model = tmp_path / "m.rulex"
    assert _cli(capsys, "train", "iris", "--epochs", 2, "--hidden", 2, "--out", model)[0] == 0
    status, out, err = _cli(capsys, "report", model, "iris", "--method", "surrogate_tree",
                            "--out", tmp_path / "FILE" / "x.html")
    line = _one_error(status, err)
    assert "is a file, not a folder" in line and "unexpected" not in line


def test_compare_takes_the_data_options(capsys, survey):
    status, out, err = _cli(capsys, "compare", survey / "gaps.csv", "--target", "ok", "--missing", "impute",
                            "--ordinal", "rating", "--features", "age,rating", "--methods", "surrogate_tree",
                            "--epochs", 3, "--hidden", 3)
    assert status == 0, err
    assert "surrogate_tree" in out


def test_a_seed_numpy_cannot_take_is_a_usage_error(capsys, tmp_path):
    status, out, err = _cli(capsys, "train", "iris", "--seed", 2 ** 32, "--out", tmp_path / "m.rulex")
    assert status == 2 and "--seed" in err and "4294967295" in err and "Traceback" not in err


def test_grid_errors_name_the_flags(capsys):
    status, out, err = _cli(capsys, "grid", "--datasets", "xor", "--methods", "surrogate_tree", "--n-jobs", 0)
    line = _one_error(status, err)
    assert "--n-jobs 0" in line and "n_jobs=" not in line and "joblib" not in line
    status, out, err = _cli(capsys, "grid", "--datasets", "xor", "--methods", "surrogate_tree", "--folds", 1)
    assert "--folds 1" in _one_error(status, err)
    for flag, value in (("--seeds", "0,x"), ("--seeds", str(2 ** 32)), ("--hidden", "4,0")):
        status, out, err = _cli(capsys, "grid", "--datasets", "xor", "--methods", "surrogate_tree", flag, value)
        line = _one_error(status, err)
        assert flag in line and "unexpected" not in line


def test_sep_reads_a_semicolon_csv(capsys, survey, tmp_path):
    pd.read_csv(survey / "survey.csv").to_csv(tmp_path / "semi.csv", sep=";", index=False)
    model = tmp_path / "m.rulex"
    status, out, err = _cli(capsys, "train", tmp_path / "semi.csv", "--target", "ok", "--sep", ";",
                            "--features", "age,rating", "--epochs", 2, "--hidden", 2, "--out", model)
    assert status == 0, err
    assert rulex.load_network(model).schema.feature_names == ["age", "rating"]
    status, out, err = _cli(capsys, "train", tmp_path / "semi.csv", "--target", "ok", "--epochs", 2,
                            "--out", model)
    assert "target column not found" in _one_error(status, err)


def test_a_saved_model_keeps_its_task_and_features(capsys, survey):
    status, out, err, model = _train(capsys, survey, "--features", "age,rating")
    assert status == 0, err
    for flag, value in (("--task", "regression"), ("--features", "age")):
        status, out, err = _cli(capsys, "compare", survey / "survey.csv", "--model", model, "--methods",
                                "surrogate_tree", flag, value)
        assert "saved model was trained with " + flag in _one_error(status, err)
    status, out, err = _cli(capsys, "compare", survey / "survey.csv", "--model", model, "--methods", "surrogate_tree",
                            "--task", "classification")
    assert status == 0, err
