"""Bad and unusual inputs, each classified: a clear rulex error, a right answer, or a fault.

Every case of the reliability issue that can be written down as a call: data as users have it
(missing values, booleans, numbers written as text, dates, mixed categories, labels), budgets,
files and the command line. A case passes when rulex either raises one of its own errors (a
``RulexError``, or argparse's usage exit for a CLI number out of range) whose message names the
column, value or parameter at fault, or returns the answer the case states. Anything else (an
exception from inside numpy/pandas/torch/sklearn, a traceback on the CLI, a wrong answer, more
than 2 GiB of memory) is a fault.

    python benchmarks/reliability.py            # writes benchmarks/results/reliability.md
"""
from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

import rulex
from rulex.cli import main as cli_main

RESULTS = Path(__file__).resolve().parent / "results"
CASES: list = []


def case(name: str, expect: str):
    """Register a case; ``expect`` is "error:<words that must appear>" or "ok"."""
    def deco(fn):
        CASES.append((name, expect, fn))
        return fn
    return deco


def _iris():
    train, test = rulex.load_dataset("iris").split(test_size=0.3, random_state=0)
    net = rulex.train_network(train, hidden_layer_sizes=(4,), random_state=0, max_epochs=30)
    return net, train, test


NET, TRAIN, TEST = _iris()
RULES = rulex.extract(NET, TRAIN, method="surrogate_tree", random_state=0)


def _credit(missing: bool = True, n: int = 300):
    rng = np.random.default_rng(0)
    income = rng.normal(50, 15, n)
    job = rng.choice(["clerk", "nurse", "driver"], n)
    y = np.where((income > 55) | (job == "nurse"), "yes", "no")
    if missing:
        income = np.where(rng.random(n) < 0.05, np.nan, income)
    return pd.DataFrame({"income": income, "job": job, "age": rng.integers(18, 70, n), "y": y})


# -- silent wrong answers of the past ---------------------------------------------------------
@case("boolean feature given later as 0/1 predicts the same", "ok")
def _():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"flag": rng.random(200) > 0.5, "x": rng.normal(size=200)})
    df["y"] = np.where(df["flag"] ^ (df["x"] > 0), "a", "b")
    ds = rulex.Dataset.from_frame(df, target="y")
    net = rulex.train_network(ds, (4,), random_state=0, max_epochs=40)
    same = (net.predict(df.assign(flag=df["flag"].astype(int))) == net.predict(df)).all()
    assert same


@case("0/1 feature given later as True/False predicts the same", "ok")
def _():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"d": rng.integers(0, 2, 200), "x": rng.normal(size=200)})
    df["y"] = np.where((df["d"] == 1) ^ (df["x"] > 0), "a", "b")
    ds = rulex.Dataset.from_frame(df, target="y")
    net = rulex.train_network(ds, (4,), random_state=0, max_epochs=40)
    assert (net.predict(df.assign(d=df["d"].astype(bool))) == net.predict(df)).all()


@case("Network.predict on an array of the user's iris values", "ok")
def _():
    frame = TEST.frame[NET.schema.feature_names]
    assert (NET.predict(frame.to_numpy()) == NET.predict(frame)).all()


@case("Network.predict on a Series (one row)", "ok")
def _():
    frame = TEST.frame[NET.schema.feature_names]
    assert NET.predict(frame.iloc[0])[0] == NET.predict(frame)[0]


@case("evaluate with labels 'SETOSA' for 'setosa'", "error:looks like the class")
def _():
    df = TEST.frame.copy()
    df[TEST.target] = df[TEST.target].str.upper()
    rulex.evaluate(RULES, NET, rulex.Dataset.from_frame(df, target=TEST.target))


@case("extract with labels of another type", "error:not among the network's classes")
def _():
    df = TRAIN.frame.copy()
    df[TRAIN.target] = df[TRAIN.target].map({"setosa": 0, "versicolor": 1, "virginica": 2})
    rulex.extract(NET, rulex.Dataset.from_frame(df, target=TRAIN.target), method="surrogate_tree")


@case("evaluate rules of another network (warning, not silence)", "ok")
def _():
    other = rulex.train_network(TRAIN, (3,), random_state=5, max_epochs=10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rulex.evaluate(RULES, other, TEST)
    assert any(issubclass(w.category, rulex.RulexWarning) for w in caught)


@case("evaluate rules of another target", "error:classes")
def _():
    tr, _ = rulex.load_dataset("breast_cancer").split(test_size=0.3, random_state=0)
    net = rulex.train_network(tr, (2,), random_state=0, max_epochs=3)
    rulex.evaluate(rulex.extract(net, tr, method="surrogate_tree"), NET, TEST)


@case("numbers written as text become numbers", "ok")
def _():
    rng = np.random.default_rng(3)
    v = rng.integers(1000, 500000, 300)
    df = pd.DataFrame({"income": [f"{x:,}" for x in v], "rate": [f" {x:.1f}% " for x in rng.random(300) * 9],
                       "price": [f"${x:,.2f}" for x in rng.random(300) * 3000], "y": np.where(v > 250000, "a", "b")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = rulex.Dataset.from_frame(df, target="y")
    assert all(ds.schema[c].kind in ("numeric", "integer") for c in ("income", "rate", "price"))


@case("numbers as text with a stray word", "error:'income'")
def _():
    df = pd.DataFrame({"income": [f"{x:,}" for x in range(1000, 1300)], "y": ["a", "b"] * 150})
    df.loc[5, "income"] = "unknown"
    rulex.Dataset.from_frame(df, target="y")


@case("datetime column", "error:holds dates")
def _():
    rulex.Dataset.from_frame(pd.DataFrame({"d": pd.date_range("2020-01-01", periods=20), "y": [0, 1] * 10}),
                             target="y")


@case("ISO date strings", "error:holds dates")
def _():
    rulex.Dataset.from_frame(pd.DataFrame({"d": [f"2020-01-{i + 1:02d}" for i in range(20)], "y": [0, 1] * 10}),
                             target="y")


@case("mixed-type categories in SQL run in DuckDB", "ok")
def _():
    import duckdb
    frame = pd.DataFrame({"job": pd.Series([1, 2.5, "nurse"] * 4, dtype=object)})
    schema = rulex.Schema([rulex.Feature("job", "categorical", (1, 2.5, "nurse"))], target="y", classes=("a", "b"))
    rules = rulex.RuleSet([rulex.Rule([rulex.Condition("job", "in", [1, 2.5])], "a")], "b", classes=("a", "b"),
                          target="y", schema=schema)
    con = duckdb.connect()
    con.register("t", frame)
    assert [r[-1] for r in con.execute(rulex.export(rules, "sql", table="t")).fetchall()] == list(rules.predict(frame))


@case("category values with HTML and newlines in Markdown and text", "ok")
def _():
    schema = rulex.Schema([rulex.Feature("job", "categorical", ("<script>x</script>", "a\nb"))], target="y",
                          classes=("a", "b"))
    rules = rulex.RuleSet([rulex.Rule([rulex.Condition("job", "==", "a\nb")], "a"),
                           rulex.Rule([rulex.Condition("job", "==", "<script>x</script>")], "b")], "a",
                          classes=("a", "b"), target="y", schema=schema)
    md, text = rulex.export(rules, "markdown"), rulex.export(rules, "text")
    assert "<script>" not in md and "a\nb" not in md and "a\nb" not in text


@case("50 classes with a 16-leaf budget (warning, not silence)", "ok")
def _():
    rng = np.random.default_rng(4)
    X = rng.random((2000, 2))
    df = pd.DataFrame(X, columns=["a", "b"])
    df["y"] = [f"c{int(v * 50)}" for v in X[:, 0]]
    ds = rulex.Dataset.from_frame(df, target="y")
    net = rulex.train_network(ds, (16,), random_state=0, max_epochs=80)
    assert len(set(net.predict(ds.frame))) > 16, "the network must predict more classes than the leaf budget"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rulex.extract(net, ds, method="surrogate_tree")
    assert any("no rule concludes" in str(w.message) for w in caught)


# -- missing values -----------------------------------------------------------------------------
@case("training on 5 % missing incomes without a strategy", "error:missing=\"impute\"")
def _():
    rulex.train_network(rulex.Dataset.from_frame(_credit(), target="y"), (2,), max_epochs=2)


@case("training with missing='impute', every extractor, rules test missingness", "ok")
def _():
    ds = rulex.Dataset.from_frame(_credit(), target="y")
    net = rulex.train_network(ds, (4,), random_state=0, max_epochs=30, missing="impute")
    for m in ("surrogate_tree", "cred", "trepan", "cover"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rules = rulex.extract(net, ds, method=m, random_state=0, **({"max_internal_nodes": 4} if m == "trepan" else {}))
        ns: dict = {}
        exec(compile(rulex.export(rules, "python"), "<rules>", "exec"), ns)
        assert list(ns["predict_many"](ds.frame)) == list(rules.predict(ds.frame))


@case("explain_row on a row with a missing value", "ok")
def _():
    ds = rulex.Dataset.from_frame(_credit(), target="y")
    net = rulex.train_network(ds, (4,), random_state=0, max_epochs=30, missing="impute")
    i = int(np.flatnonzero(ds.frame["income"].isna())[0])
    rulex.explain_row(net, ds, i)


@case("a missing value in a feature complete in training", "error:had none in the training rows")
def _():
    ds = rulex.Dataset.from_frame(_credit(), target="y")
    net = rulex.train_network(ds, (4,), random_state=0, max_epochs=5, missing="impute")
    df = ds.frame.copy()
    df["age"] = df["age"].astype(float)
    df.loc[0, "age"] = np.nan
    net.predict(df)


# -- budgets and limits -------------------------------------------------------------------------
@case("anndt n_samples=10**8", "error:n_samples=100000000")
def _():
    rulex.extract(NET, TRAIN, method="anndt", n_samples=10 ** 8)


@case("trepan min_samples=10**9", "error:min_samples=1000000000")
def _():
    rulex.extract(NET, TRAIN, method="trepan", min_samples=10 ** 9)


@case("explain_row n_samples=10**9", "error:n_samples=1000000000")
def _():
    rulex.explain_row(NET, TEST, 0, n_samples=10 ** 9)


@case("deepred on_budget='partial' never raises", "ok")
def _():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in (0.0, 0.02):
            rulex.extract(NET, TRAIN, method="deepred", substitution="term", max_seconds=s, on_budget="partial")


@case("load_network on a 640 MiB zip bomb", "error:would decompress")
def _():
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "b.rulex"
        with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("meta.json", "{}")
            with z.open("weights.npz", "w", force_zip64=True) as fh:
                for _ in range(40):
                    fh.write(b"\0" * 2 ** 24)
        rulex.load_network(p)


@case("load_rules on JSON nested 100,000 deep", "error:nests deeper")
def _():
    rulex.load_rules('{"a": ' + "[" * 100000 + "]" * 100000 + "}")


@case("load_rules on the JSON text export returns", "ok")
def _():
    assert rulex.load_rules(rulex.export(RULES, "json")) == RULES


for _bad in ({"max_epochs": -3}, {"batch_size": 0}, {"lr": 1e30}, {"random_state": -1}):
    @case(f"train_network {_bad}", f"error:{next(iter(_bad))}=")
    def _(bad=_bad):
        rulex.train_network(TRAIN, (2,), **bad)


# -- frames -------------------------------------------------------------------------------------
for _label, _frame, _target, _words in (
        ("empty frame", pd.DataFrame({"a": [], "y": []}), "y", "no rows"),
        ("one-row frame", pd.DataFrame({"a": [1.0], "y": ["x"]}), "y", "1 row"),
        ("no feature columns", pd.DataFrame({"y": ["a", "b"] * 5}), "y", "no feature columns"),
        ("constant boolean column", pd.DataFrame({"f": [True] * 10, "a": range(10), "y": ["a", "b"] * 5}), "y",
         "same value True")):
    @case(_label, f"error:{_words}")
    def _(frame=_frame, target=_target):
        rulex.Dataset.from_frame(frame, target=target)


@case("integer column names", "ok")
def _():
    ds = rulex.Dataset.from_frame(pd.DataFrame({0: np.arange(20.0), 1: ["a", "b"] * 10}), target=1)
    assert ds.schema.feature_names == ["0"]


# -- command line -------------------------------------------------------------------------------
def _cli(*args) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli_main(list(args))
        except SystemExit as exc:
            code = exc.code
    return code, err.getvalue()


MODEL = Path(tempfile.mkdtemp()) / "m.rulex"
NET.save(MODEL)

for _args, _words in ((["extract", str(MODEL), "iris", "--method", "surrogate_tree", "--out", "/tmp/r.json",
                        "--param", "random_state=3"], "use --seed"),
                      (["extract", str(MODEL), "iris", "--method", "surrogate_tree", "--out", "/tmp/r.json",
                        "--param", "method=x"], "use --method"),
                      (["compare", "iris", "--params", "[1]"], "JSON object of objects"),
                      (["compare", "iris", "--out", "x.txt"], "--out must end"),
                      (["train", "iris", "--epochs", "-3", "--out", "/tmp/m2.rulex"], "expected a whole number"),
                      (["evaluate", "/nonexistent.json", str(MODEL), "iris"], "not found")):
    @case("CLI " + " ".join(_args[:1] + _args[-2:]), f"cli:{_words}")
    def _(args=_args):
        return _cli(*args)


def run() -> pd.DataFrame:
    rows = []
    for name, expect, fn in CASES:
        started = time.perf_counter()
        outcome, detail = "right answer", ""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=rulex.RulexWarning)
                got = fn()
            if expect.startswith("cli:"):
                code, err = got
                words = expect[4:]
                ok = code != 0 and words in err and "Traceback" not in err
                outcome = "clear error" if ok else "FAULT"
                detail = err.strip().splitlines()[-1][:160] if err.strip() else f"exit {code}"
            elif expect.startswith("error:"):
                outcome, detail = "FAULT", "no error raised"
        except rulex.RulexError as exc:
            words = expect[6:] if expect.startswith("error:") else None
            outcome = "clear error" if words and words in str(exc) else "FAULT"
            detail = f"{type(exc).__name__}: {exc}"[:160]
        except AssertionError as exc:
            outcome, detail = "FAULT", f"wrong answer {exc}"[:160]
        except Exception as exc:       # noqa: BLE001 - classifying them is the point
            outcome, detail = "FAULT", f"{type(exc).__name__} from {exc.__traceback__.tb_frame.f_code.co_filename}"[:160]
        rows.append({"case": name, "expected": expect, "outcome": outcome, "seconds": time.perf_counter() - started,
                     "detail": detail})
    return pd.DataFrame(rows)


def main() -> int:
    table = run()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = table["outcome"].value_counts().to_dict()
    lines = ["# Reliability cases", "",
             f"Made by `python benchmarks/reliability.py` (rulex {rulex.__version__}). {len(table)} cases: "
             + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + f"; peak memory of the whole run "
             f"{peak_mb:.0f} MiB.", "",
             "| case | expected | outcome | detail |", "|---|---|---|---|"]
    for r in table.itertuples():
        detail = str(r.detail).replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {r.case} | {r.expected} | {r.outcome} | {detail} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reliability.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:3]))
    print(json.dumps(counts))
    return 0 if counts.get("FAULT", 0) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
