"""What the CLI prints is readable: the comparison fits the terminal, every method's parameters are
listed one by one, and long work reports progress on stderr only (silenced by --quiet)."""
from __future__ import annotations

import re
import time

import pandas as pd
import pytest

import rulex
import rulex._progress as progress
from rulex.cli import main
from rulex.extractors import EXTRACTORS
from rulex.extractors.docs import method_parameters, parameter_docs

METHODS = "surrogate_tree,cred,gridex"


# -- rulex methods ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", sorted(EXTRACTORS))
def test_methods_lists_every_parameter_on_its_own_lines(method, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "90")
    assert main(["methods", method]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    table = method_parameters(method)
    heads = [i for i, line in enumerate(lines) if re.match(r"^  [A-Za-z_]\w* = ", line)]
    assert [lines[i].split(" = ")[0].strip() for i in heads] == list(table["parameter"])
    for i, row in zip(heads, table.itertuples(index=False)):
        # the lines under a parameter (up to the blank line) are its own description, and hold no other entry
        end = lines.index("", i) if "" in lines[i:] else len(lines)
        block = " ".join(" ".join(line.split()) for line in lines[i + 1:end])
        assert not re.search(r"\b[a-z_]+(, [a-z_]+)* : ", block), (row.parameter, block)
        assert block.split()[:3] == row.meaning.replace("``", "`").split()[:3] or ":" in row.meaning
    assert max(map(len, lines)) <= 90


def test_methods_describes_parameters_documented_together_and_inherited(capsys):
    assert main(["methods", "trepan"]) == 0
    out = capsys.readouterr().out
    eps = out.index("  stop_epsilon = ")
    assert "Local stop" in out[eps:out.index("  stop_delta = ")]                # its own description
    assert "stop_epsilon, stop_delta" not in out and ": float, default" not in out
    # CRED's docstring refers to DeepRED's parameters: each is described, not left blank
    cred = method_parameters("cred").set_index("parameter")["meaning"]
    assert "clauses alive" in cred["max_clauses"] and "leaf" in cred["min_samples_leaf"]
    doc = """T.

    Parameters
    ----------
    a, b : float, default 1 and 2
        Shared.
    c : int
        Own.
    """
    assert parameter_docs(doc) == {"a": ("float, default 1 and 2", "Shared."), "b": ("float, default 1 and 2",
                                                                                      "Shared."), "c": ("int", "Own.")}


def test_methods_listing_fits_the_terminal(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["methods"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 80
    starts = [line.split()[0] for line in lines if not line.startswith(" ")]
    assert starts == list(rulex.available_methods())


# -- rulex compare: the table fits the terminal ----------------------------------------------------------------
@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    d = tmp_path_factory.mktemp("compare")
    model = d / "m.rulex"
    assert main(["train", "iris", "--epochs", "20", "--hidden", "4", "--out", str(model), "--quiet"]) == 0
    return model, d


@pytest.mark.parametrize("columns", ["60", "80", "100", "200"])
def test_compare_table_fits_the_terminal(compared, capsys, monkeypatch, columns):
    model, d = compared
    monkeypatch.setenv("COLUMNS", columns)
    capsys.readouterr()
    # a budget of one clause makes CRED fail: its error becomes a note under the table
    assert main(["compare", "iris", "--model", str(model), "--methods", METHODS, "--quiet",
                 "--params", '{"cred": {"max_clauses": 1}}', "--out", str(d / "t.csv")]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if not line.startswith("table written to")]
    assert max(map(len, lines)) <= max(int(columns), 60), out
    table = pd.read_csv(d / "t.csv", keep_default_na=False)
    error = table.set_index("method").loc["cred", "error"]
    assert error and "BudgetExceededError" in error
    rows = [line for line in lines if line.split() and line.split()[0] in table["method"].tolist()]
    assert len(rows) == len(table)
    note = out[out.index("[1] cred: error: BudgetExceededError"):out.index("table written to")]
    assert " ".join(f"[1] cred: error: {error}".split()) in " ".join(note.split())        # in full
    assert any(line.startswith("method ") and " fidelity " in line for line in lines)
    if columns == "200":
        assert "left out" not in out and "peak_mb" not in out and "MB" in out
    if columns == "60":
        assert "left out to fit 60 columns: peak_mb, kind" in " ".join(out.split())


# -- progress on stderr ---------------------------------------------------------------------------------------
def test_progress_is_on_stderr_one_line_per_step_and_quiet_silences_it(compared, capsys, monkeypatch):
    model, d = compared
    monkeypatch.setattr(progress, "DELAY", 0.0)
    assert main(["compare", "iris", "--epochs", "5", "--hidden", "4", "--methods", METHODS]) == 0
    out, err = capsys.readouterr()
    assert "rulex:" not in out and "\r" not in err                     # stdout is the table; no bar redrawn
    steps = [line for line in err.splitlines() if line.startswith("rulex: comparing: extracting with")]
    assert [re.sub(r" after \d+ s$", "", s) for s in steps] == [
        f"rulex: comparing: extracting with {m} ({i} of 3)" for i, m in enumerate(METHODS.split(","), 1)]
    assert err.splitlines()[-1].startswith("rulex: comparing: done, 3 methods in ")
    assert any(line.startswith("rulex: training network: ") for line in err.splitlines())
    for argv in (["compare", "iris", "--epochs", "5", "--hidden", "4", "--methods", METHODS, "--quiet"],
                 ["--quiet", "train", "iris", "--epochs", "5", "--out", str(d / "q.rulex")]):
        assert main(argv) == 0
        assert capsys.readouterr().err == ""


def test_progress_in_python_only_when_asked(capsys, monkeypatch):
    from _helpers.nets import iris_net
    net, train, test = iris_net()
    monkeypatch.setattr(progress, "DELAY", 0.0)
    capsys.readouterr()
    rulex.compare(net, train, test, methods=["surrogate_tree"])
    rulex.train_network(train, (3,), max_epochs=3, random_state=0)
    assert capsys.readouterr().err == ""                               # scikit-learn's convention: quiet
    rulex.compare(net, train, test, methods=["surrogate_tree"], progress=True)
    rulex.train_network(train, (3,), max_epochs=3, random_state=0, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "rulex: comparing: extracting with surrogate_tree (1 of 1)" in err
    assert "rulex: training network: done, 3 epochs in" in err


def test_progress_bar_on_a_terminal_writes_to_stderr_only(capsys, monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "_on_terminal", lambda stream: True)
    with progress.progress_bar(3, "counting", "steps", None) as bar:
        for i in range(3):
            bar.start(f"step {i}")
            bar.update(1)
    out, err = capsys.readouterr()
    assert out == "" and "counting" in err and "/3 " in err


def test_working_says_what_runs_and_nothing_for_quick_or_failed_work(capsys, monkeypatch):
    import threading
    monkeypatch.setattr(progress, "_TICK", 0.01)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    said = threading.Event()
    real_print = print

    def spy(*args, **kwargs):
        real_print(*args, **kwargs)
        said.set()
    monkeypatch.setattr(progress, "print", spy, raising=False)
    with progress.working("extracting with trepan", None):
        assert said.wait(10)                       # the line comes while the step runs
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines()[0] == "rulex: extracting with trepan ..."
    assert err.splitlines()[1].startswith("rulex: extracting with trepan: done in ")
    said.clear()
    with pytest.raises(ValueError), progress.working("failing", None):
        assert said.wait(10)
        raise ValueError("x")
    assert capsys.readouterr().err == "rulex: failing ...\n"            # no "done" for work that failed
    monkeypatch.setattr(progress, "DELAY", 3600.0)
    with progress.working("quick", None):
        pass
    monkeypatch.setattr(progress, "DELAY", 0.0)
    with progress.working("off", False):
        time.sleep(0.1)
    assert capsys.readouterr() == ("", "")


def test_a_long_step_says_it_is_still_running(capsys, monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "_TICK", 0.01)
    monkeypatch.setattr(progress, "_STILL", 0.05)
    with progress.progress_bar(2, "comparing", "methods", True, every=0) as bar:
        bar.start("extracting with auto")
        deadline = time.monotonic() + 10
        while "still" not in capsys.readouterr().err and time.monotonic() < deadline:
            time.sleep(0.01)
        assert time.monotonic() < deadline
        bar.update(1)


def test_extract_reports_a_long_step_on_stderr(compared, capsys, monkeypatch):
    model, d = compared
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "_TICK", 0.001)
    capsys.readouterr()
    # TREPAN draws 20,000 network-labelled points per node: far longer than a tick
    assert main(["extract", str(model), "iris", "--method", "trepan", "--param", "min_samples=20000",
                 "--param", "max_internal_nodes=2", "--out", str(d / "r.json")]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines()[0] == "rulex: extracting with trepan ..."
    assert err.splitlines()[-1].startswith("rulex: extracting with trepan: done in ")
    assert "rulex:" not in out and "rules" in out
    assert main(["extract", str(model), "iris", "--method", "trepan", "--param", "min_samples=20000", "-q",
                 "--param", "max_internal_nodes=2", "--out", str(d / "r.json")]) == 0
    assert "rulex: extracting" not in capsys.readouterr().err          # warnings still show; progress not
