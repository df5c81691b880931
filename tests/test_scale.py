"""Rules where the data lives: DuckDB scoring of Parquet/CSV files, Dask DataFrames on process
workers, the grid runner (serial = joblib processes = Dask processes) and their CLI commands.

One ``LocalCluster`` with two process workers is started per module and shared.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from _helpers.exports import MISSING_ROWS, SCHEMA

import rulex
from rulex.formats.score import predict_dask, predict_partition, score_file, score_sql
from rulex.grid import MEASURED, run_grid


@pytest.fixture(scope="module")
def adult_rules():
    from _helpers.nets import tiny_net
    net, train, test = tiny_net("adult", max_train=600, max_test=1500)
    rules = rulex.extract(net, train, method="surrogate_tree", random_state=0)
    return rules, test.X


def _unordered():
    return rulex.RuleSet([rulex.Rule([rulex.Condition("x", "<=", 2.45)], "maybe"),
                          rulex.Rule([rulex.Condition("n", ">", 2.0)], "yes"),
                          rulex.Rule([rulex.Condition("b", "==", True)], "yes", weight=0.5),
                          rulex.Rule([rulex.Condition("c", "in", ("it's", "back\\slash"))], "maybe", weight=0.5),
                          rulex.Rule([rulex.Condition("o", "==", "low")], "no", weight=1.5)],
                         "no", semantics="unordered", classes=("no", "yes", "maybe"), schema=SCHEMA, target="label")


# -- DuckDB over files -----------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_score_file_agrees_with_predict(adult_rules, tmp_path, suffix):
    rules, X = adult_rules
    src = tmp_path / f"in{suffix}"
    X.to_parquet(src) if suffix == ".parquet" else X.to_csv(src, index=False)
    out = tmp_path / f"scored{suffix}"
    res = score_file(rules, src, out, threads=1, memory_limit="256MB")
    assert res["rows"] == len(X)
    got = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert list(got.columns) == list(X.columns) + ["prediction"]
    assert (got["prediction"].astype(str).to_numpy() == np.asarray(rules.predict(X)).astype(str)).all()


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".tsv"])
def test_score_file_unordered_missing_values_keeps_row_order(tmp_path, suffix):
    rules = _unordered()
    frame = pd.concat([MISSING_ROWS] * 50, ignore_index=True)
    frame["b"] = frame["b"].astype("boolean")
    src = tmp_path / f"rows{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(src)
    else:               # booleans as pandas writes them (True/False), quotes and backslashes in categories
        frame.to_csv(src, index=False, sep="," if suffix == ".csv" else "\t")
    res = score_file(rules, src, tmp_path / "out.parquet", alias="label", columns=["x", "c"])
    got = pd.read_parquet(tmp_path / "out.parquet")
    assert list(got.columns) == ["x", "c", "label"] and res["rows"] == len(frame)
    assert got["label"].tolist() == list(rules.predict(frame))
    assert got["c"].fillna("<missing>").tolist() == frame["c"].fillna("<missing>").tolist()
    assert 'FROM "__rulex_source"' in score_sql(rules, src)


def test_score_file_errors(adult_rules, tmp_path):
    rules, X = adult_rules
    X.drop(columns=[rules.features_used()[0]]).to_parquet(tmp_path / "partial.parquet")
    with pytest.raises(rulex.DataError, match="lacks the column"):
        score_file(rules, tmp_path / "partial.parquet", tmp_path / "o.parquet")
    X.to_parquet(tmp_path / "full.parquet")
    with pytest.raises(rulex.DataError, match=".parquet or .csv output"):
        score_file(rules, tmp_path / "full.parquet", tmp_path / "o.xlsx")
    with pytest.raises(rulex.DataError, match="already has a column"):
        score_file(rules, tmp_path / "full.parquet", tmp_path / "o.parquet", alias=X.columns[0])
    with pytest.raises(rulex.DataError, match="cannot read"):
        score_file(rules, tmp_path / "missing.parquet", tmp_path / "o.parquet")


# a CSV as users have them: yes/no flags, codes with leading zeros, float-coded categories, integers
CODES = rulex.Schema((rulex.Feature("code", "categorical", ("01", "02", "10")),
                      rulex.Feature("flag", "binary", ("no", "yes")),
                      rulex.Feature("grade", "categorical", (1.0, 2.0, 5.0)),
                      rulex.Feature("x", "numeric"), rulex.Feature("n", "integer")), target="label",
                     classes=("a", "b", "c"))


def _codes_rules(semantics="ordered"):
    rules = [rulex.Rule([rulex.Condition("code", "==", "01"), rulex.Condition("flag", "==", "yes")], "a"),
             rulex.Rule([rulex.Condition("grade", "in", (2.0, 5.0)), rulex.Condition("x", ">", 0.25)], "b"),
             rulex.Rule([rulex.Condition("code", "!=", "10"), rulex.Condition("n", "<=", 3.0)], "c", weight=0.5)]
    return rulex.RuleSet(rules, "c", semantics=semantics, classes=("a", "b", "c"), schema=CODES, target="label")


_CODES_CSV = "\n".join(["code,flag,grade,x,n,note",
                        '01,yes,2.0,0.5,3,"keep, as is"',
                        "02,no,5.0,1.5e-1,10,",
                        '10,yes,1.0, 7 ,2,"say ""hi"""',
                        "01,no,,$1.5,004,NA",
                        '02,yes,5.0,"1,200",1,true']) + "\n"


def _codes_file(tmp_path, text=_CODES_CSV):
    path = tmp_path / "codes.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("semantics", ["ordered", "unordered"])
def test_score_csv_reads_the_schema_and_writes_every_value_back_unchanged(tmp_path, capsys, semantics):
    """yes/no stays yes/no, 01 stays 01 (no BinderException), 2.0 is the category 2.0, and the predictions
    are RuleSet.predict's on the file read with the schema's types."""
    from rulex.cli import main
    rules = _codes_rules(semantics)
    rulex.save_rules(rules, tmp_path / "rules.json")
    src = _codes_file(tmp_path)
    out = tmp_path / "scored.csv"
    assert main(["score", str(tmp_path / "rules.json"), str(src), "--out", str(out)]) == 0
    assert "5 rows scored" in capsys.readouterr().out
    lines, scored = src.read_text().splitlines(), out.read_text().splitlines()
    assert scored[0] == lines[0] + ",prediction"
    # every input value comes back as written (DuckDB quotes only the values that need it)
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    given = pd.read_csv(src, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(back.drop(columns="prediction"), given)
    assert scored[1].startswith("01,yes,2.0,0.5,3,") and scored[4].startswith("01,no,,$1.5,004,NA,")
    frame = pd.read_csv(src, dtype={"code": str})
    frame["x"] = [0.5, 0.15, 7.0, 1.5, 1200.0]      # numbers written as text, read as Dataset.from_csv reads them
    assert back["prediction"].tolist() == list(rules.predict(frame))
    # the public API gives the same file
    score_file(rules, src, tmp_path / "api.csv", threads=1)
    assert (tmp_path / "api.csv").read_text() == out.read_text()


def test_score_csv_codes_all_digits(tmp_path):
    """Codes DuckDB's sniffing reads as integers (01, 02) stay text categories."""
    rules = _codes_rules()
    src = _codes_file(tmp_path, "code,flag,grade,x,n\n01,yes,2,1,1\n02,no,5,1,9\n")
    score_file(rules, src, tmp_path / "o.parquet")
    got = pd.read_parquet(tmp_path / "o.parquet")
    assert got["code"].tolist() == ["01", "02"] and got["flag"].tolist() == ["yes", "no"]
    assert got["prediction"].tolist() == ["a", "b"]


@pytest.mark.parametrize("column, value, message", [
    ("x", "abc", r"column 'x' should hold numbers but holds 'abc' at row 3 "),
    ("n", "2.5", r"column 'n' should hold whole numbers but holds '2.5' at row 3 "),
    ("code", "03", r"column 'code' holds '03' at row 3 .*a value not seen in training \(known: '01', '02', '10'\)"),
    ("grade", "two", r"column 'grade' holds 'two' at row 3 "),
])
def test_score_file_names_the_bad_value(tmp_path, capsys, column, value, message):
    from rulex.cli import main
    frame = pd.read_csv(_codes_file(tmp_path), dtype=str, keep_default_na=False)
    frame.loc[2, column] = value
    frame.to_csv(tmp_path / "bad.csv", index=False)
    out = tmp_path / "o.csv"
    out.write_text("an earlier result\n")
    with pytest.raises(rulex.DataError, match=message):
        score_file(_codes_rules(), tmp_path / "bad.csv", out)
    assert out.read_text() == "an earlier result\n"          # a failed run leaves no partial file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "codes.csv", "o.csv"]
    rulex.save_rules(_codes_rules(), tmp_path / "rules.json")
    assert main(["score", str(tmp_path / "rules.json"), str(tmp_path / "bad.csv"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rulex: error: column") and "unexpected" not in err and len(err.splitlines()) == 1


def test_score_file_text_in_a_numeric_parquet_column(tmp_path):
    frame = pd.read_csv(_codes_file(tmp_path), dtype=str)
    frame["x"] = ["1", "2", "3", "oops", "5"]
    frame.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(rulex.DataError, match=r"column 'x' should hold numbers but holds 'oops' at row 4 "):
        score_file(_codes_rules(), tmp_path / "bad.parquet", tmp_path / "o.parquet")


@pytest.mark.parametrize("text, message", [("", r"is empty \(0 bytes\)"),
                                           ("code,flag,grade,x,n\n", r"has no rows \(only a header\)")])
def test_score_empty_file(tmp_path, capsys, text, message):
    from rulex.cli import main
    src = _codes_file(tmp_path, text)
    with pytest.raises(rulex.DataError, match=message):
        score_file(_codes_rules(), src, tmp_path / "o.csv")
    assert not (tmp_path / "o.csv").exists()
    rulex.save_rules(_codes_rules(), tmp_path / "rules.json")
    assert main(["score", str(tmp_path / "rules.json"), str(src), "--out", str(tmp_path / "o.csv")]) == 1
    err = capsys.readouterr().err
    assert re.search(message, err) and "missing" not in err and "lacks" not in err


def test_duckdb_comes_with_the_plain_install():
    """README's install (`pip install -e .`) installs install_requires only: rulex score needs DuckDB there."""
    import configparser
    from pathlib import Path
    cfg = configparser.ConfigParser()
    cfg.read(Path(__file__).resolve().parents[1] / "setup.cfg")
    assert "duckdb" in [re.split(r"[<>=\[ ]", r.strip())[0] for r in cfg["options"]["install_requires"].split("\n")]


# -- Dask: one LocalCluster with two process workers for the module ---------------------------------
@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as c:
        yield c


def test_predict_dask_on_process_workers(adult_rules, client):
    dd = pytest.importorskip("dask.dataframe")
    rules, X = adult_rules
    ddf = dd.from_pandas(X.reset_index(drop=True), npartitions=4)
    scored = predict_dask(rules, ddf)
    got = client.compute(scored).result()
    assert len(got) == len(X)
    assert (np.asarray(got["prediction"]).astype(str) == np.asarray(rules.predict(X)).astype(str)).all()
    part = predict_partition(X.iloc[:5], rules, "p")
    assert list(part["p"]) == list(rules.predict(X.iloc[:5])) and "p" not in X.columns
    with pytest.raises(rulex.DataError, match="lacks the column"):
        predict_dask(rules, ddf.drop(columns=[rules.features_used()[0]]))


GRID = dict(datasets=["iris"], seeds=[0, 1], folds=2, methods=["surrogate_tree", "anndt"], hidden=(4,), epochs=20)


@pytest.fixture(scope="module")
def serial_grid():
    return run_grid(**GRID)


def _numbers(df):
    return df.drop(columns=MEASURED).reset_index(drop=True)


def test_grid_on_process_workers_equals_serial(serial_grid, client):
    assert len(serial_grid) == 2 * 2 * 2 and (serial_grid["error"] == "").all()
    on_dask = run_grid(**GRID, scheduler=client)
    pd.testing.assert_frame_equal(_numbers(serial_grid), _numbers(on_dask))
    address = run_grid(**{**GRID, "seeds": [0]}, scheduler=client.scheduler.address)
    pd.testing.assert_frame_equal(_numbers(serial_grid[serial_grid["seed"] == 0]), _numbers(address))


def test_grid_joblib_processes_equal_serial(serial_grid):
    pd.testing.assert_frame_equal(_numbers(serial_grid), _numbers(run_grid(**GRID, n_jobs=2)))
    with pytest.raises(rulex.DataError, match="folds"):
        run_grid(["iris"], [0], 1)


def test_compare_n_jobs_equals_serial():
    from _helpers.nets import iris_net
    net, train, test = iris_net()
    methods = ["surrogate_tree", "anndt", "cred"]
    one, rules1 = rulex.compare(net, train, test, methods=methods, progress=False, return_rules=True)
    two, rules2 = rulex.compare(net, train, test, methods=methods, progress=False, return_rules=True, n_jobs=2)
    cols = [c for c in one.columns if c not in ("seconds", "peak_mb")]
    pd.testing.assert_frame_equal(one[cols], two[cols])
    assert rules1.keys() == rules2.keys()
    for m in rules1:     # the same rules (provenance holds timings, which differ)
        assert (rules1[m].rules, rules1[m].default, rules1[m].semantics) == \
            (rules2[m].rules, rules2[m].default, rules2[m].semantics)


# -- CLI ---------------------------------------------------------------------------------------------
def test_cli_export_sql_options_and_score(adult_rules, tmp_path, capsys):
    from rulex.cli import main
    rules, X = adult_rules
    path = tmp_path / "rules.json"
    rulex.save_rules(rules, path)
    assert main(["export", str(path), "--format", "sql", "--dialect", "postgres", "--table", "applicants"]) == 0
    out = capsys.readouterr().out
    assert 'FROM "applicants"' in out and "DOUBLE PRECISION" in out and out.lstrip().startswith("SELECT")
    assert main(["export", str(path), "--format", "sql", "--expression-only"]) == 0
    assert capsys.readouterr().out.startswith("CASE")
    assert main(["export", str(path), "--format", "pmml", "--dialect", "postgres"]) == 1
    assert "--format sql only" in capsys.readouterr().err
    assert main(["export", str(path), "--format", "sql", "--dialect", "postgress"]) == 1
    assert "did you mean 'postgres'" in capsys.readouterr().err
    X.to_parquet(tmp_path / "rows.parquet")
    assert main(["score", str(path), str(tmp_path / "rows.parquet"), "--out", str(tmp_path / "s.parquet"),
                 "--threads", "1"]) == 0
    assert f"{len(X)} rows scored" in capsys.readouterr().out
    got = pd.read_parquet(tmp_path / "s.parquet")["prediction"]
    assert (got.astype(str).to_numpy() == np.asarray(rules.predict(X)).astype(str)).all()


def test_cli_grid(tmp_path, capsys):
    from rulex.cli import main
    out = tmp_path / "grid.csv"
    assert main(["grid", "--datasets", "iris", "--seeds", "0", "--folds", "2", "--methods", "surrogate_tree",
                 "--hidden", "4", "--epochs", "20", "--out", str(out)]) == 0
    table = pd.read_csv(out, keep_default_na=False)
    assert len(table) == 2 and set(table["method"]) == {"surrogate_tree"} and (table["error"] == "").all()
    assert "surrogate_tree" in capsys.readouterr().out
