"""Budgets and clear errors: every size parameter is checked before it allocates, files are bounded
before they are read, and the CLI answers bad arguments with one line, never a traceback."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings
import zipfile

import pytest

import rulex


@pytest.fixture(scope="module")
def iris():
    train, test = rulex.load_dataset("iris").split(test_size=0.3, random_state=0)
    net = rulex.train_network(train, hidden_layer_sizes=(3,), random_state=0, max_epochs=10)
    return net, train, test


@pytest.mark.parametrize("method, param", [("cred", "n_samples"), ("deepred", "n_samples"), ("anndt", "n_samples"),
                                           ("trepan", "min_samples"), ("brcg", "n_samples"), ("cover", "n_samples"),
                                           ("checklist", "n_samples")])
def test_size_parameters_are_checked_before_allocating(iris, method, param):
    net, train, _ = iris
    with pytest.raises(rulex.DataError, match=rf"{param}=1000000000 .* largest value that fits is \d+"):
        rulex.extract(net, train, method=method, **{param: 10 ** 9})


def test_explanations_check_their_sample_sizes(iris):
    net, train, test = iris
    with pytest.raises(rulex.DataError, match="n_samples=1000000000"):
        rulex.explain_row(net, test, 0, n_samples=10 ** 9)
    with pytest.raises(rulex.DataError, match="n_samples=1000000000"):
        rulex.profile_units(net, train, n_samples=10 ** 9)


def test_the_memory_budget_can_be_set(iris, monkeypatch):
    net, train, _ = iris
    monkeypatch.setenv("RULEX_MEMORY_BUDGET_MB", "1")
    with pytest.raises(rulex.DataError, match="n_samples=100000"):
        rulex.extract(net, train, method="anndt", n_samples=100_000)


@pytest.mark.parametrize("kwargs, bad", [({"max_epochs": -3}, "max_epochs"), ({"batch_size": 0}, "batch_size"),
                                         ({"lr": 1e30}, "lr"), ({"lr": float("nan")}, "lr"),
                                         ({"random_state": -1}, "random_state"), ({"max_epochs": 2.5}, "max_epochs")])
def test_training_parameters_are_validated(iris, kwargs, bad):
    _, train, _ = iris
    with pytest.raises(rulex.DataError, match=rf"invalid parameter\(s\): {bad}="):
        rulex.train_network(train, hidden_layer_sizes=(2,), **kwargs)


def test_load_rules_takes_a_path_text_or_a_file_and_refuses_deep_nesting(iris, tmp_path):
    net, train, _ = iris
    rules = rulex.extract(net, train, method="surrogate_tree", random_state=0)
    text = rulex.export(rules, "json")
    path = tmp_path / "r.json"
    path.write_text(text, encoding="utf-8")
    assert rulex.load_rules(text) == rules
    assert rulex.load_rules(str(path)) == rulex.load_rules(path) == rules
    assert rulex.load_rules(io.StringIO(text)) == rules
    with path.open("rb") as fh:
        assert rulex.load_rules(fh) == rules
    deep = '{"format": "rulex.ruleset", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(rulex.FormatError, match="nests deeper"):
        rulex.load_rules(deep)


def test_load_network_bounds_what_it_decompresses(tmp_path):
    bomb = tmp_path / "bomb.rulex"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("meta.json", json.dumps({"format": "rulex.network", "version": 1}))
        with z.open("weights.npz", "w", force_zip64=True) as fh:
            block = b"\0" * 2 ** 24
            for _ in range(40):         # 640 MiB of zeros, under 1 MiB on disk
                fh.write(block)
    assert bomb.stat().st_size < 2 ** 20
    with pytest.raises(rulex.FormatError, match="would decompress to 640 MiB"):
        rulex.load_network(bomb)


def test_partial_budgets_never_raise(iris):
    net, train, _ = iris
    for seconds in (0.0, 0.01, 0.05):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rules = rulex.extract(net, train, method="deepred", substitution="term", max_seconds=seconds,
                                  on_budget="partial", random_state=0)
        assert isinstance(rules, rulex.RuleSet)


class _Result:
    def __init__(self, returncode, stderr):
        self.returncode, self.stderr = returncode, stderr


def _cli(*args, cwd=None):
    """Run the CLI in this process (as `rulex ARGS`), returning its exit status and standard error."""
    import contextlib
    import os

    from rulex.cli import main
    err = io.StringIO()
    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = main(list(args))
            except SystemExit as exc:          # argparse's usage errors
                code = exc.code
    finally:
        os.chdir(old)
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return _Result(code, err.getvalue())


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    res = _cli("train", "iris", "--hidden", "3", "--epochs", "3", "--out", str(d / "m.rulex"))
    assert res.returncode == 0, res.stderr
    return d / "m.rulex"


def test_an_unexpected_error_is_one_line_without_a_traceback(tmp_path):
    res = subprocess.run([sys.executable, "-m", "rulex.cli", "evaluate", str(tmp_path), str(tmp_path), "iris"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith("rulex: error:") and len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("extra, message", [
    (["--param", "random_state=3"], "use --seed"),
    (["--param", "method=x"], "use --method"),
    (["--param", "max_depth=2", "--param", "max_depth=3"], "given twice"),
    (["--param", "nonsense"], "key=value"),
])
def test_cli_method_parameters_are_checked(model_file, tmp_path, extra, message):
    res = _cli("extract", str(model_file), "iris", "--method", "surrogate_tree", "--out", str(tmp_path / "r.json"),
               *extra)
    assert res.returncode == 1 and message in res.stderr and res.stderr.startswith("rulex: error:")


@pytest.mark.parametrize("extra, message", [
    (["--params", "[1, 2]"], "JSON object of objects"),
    (["--params", "{not json"], "not valid JSON"),
    (["--params", '{"surrogate_tree": {"random_state": 1}}'], "use --seed"),
    (["--out", "table.txt"], "--out must end in"),
    (["--methods", "surogate_tree"], "did you mean"),
    (["--hidden", "0"], "--hidden"),
])
def test_cli_compare_checks_its_arguments_before_training(tmp_path, extra, message):
    res = _cli("compare", "iris", *extra, cwd=tmp_path)
    assert res.returncode == 1 and message in res.stderr, res.stderr


@pytest.mark.parametrize("extra", [["--epochs", "-3"], ["--test-size", "1.5"]])
def test_cli_numbers_out_of_range_are_usage_errors(tmp_path, extra):
    res = _cli("train", "iris", "--out", str(tmp_path / "m.rulex"), *extra)
    assert res.returncode == 2 and "expected" in res.stderr


@pytest.mark.parametrize("seed", [2 ** 32, -1])
def test_a_seed_numpy_cannot_take_is_refused_naming_random_state(iris, seed):
    net, train, _ = iris
    with pytest.raises(rulex.DataError, match="random_state"):
        rulex.extract(net, train, method="surrogate_tree", random_state=seed)
    from rulex.estimators import RuleExtractorClassifier
    with pytest.raises(rulex.DataError, match="random_state"):
        RuleExtractorClassifier(method="trepan", random_state=seed).fit(train.X, train.y)
