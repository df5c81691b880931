"""Rules where the data lives: DuckDB scoring of Parquet/CSV files, Dask DataFrames on process
workers, the grid runner (serial = joblib processes = Dask processes) and their CLI commands.

One ``LocalCluster`` with two process workers is started per module and shared.
"""
from __future__ import annotations

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


def test_score_file_unordered_missing_values_keeps_row_order(tmp_path):
    rules = _unordered()
    frame = pd.concat([MISSING_ROWS] * 50, ignore_index=True)
    frame["b"] = frame["b"].astype("boolean")
    frame.to_parquet(tmp_path / "rows.parquet")
    res = score_file(rules, tmp_path / "rows.parquet", tmp_path / "out.parquet", alias="label", columns=["x"])
    got = pd.read_parquet(tmp_path / "out.parquet")
    assert list(got.columns) == ["x", "label"] and res["rows"] == len(frame)
    assert got["label"].tolist() == list(rules.predict(frame))
    assert 'FROM "__rulex_source"' in score_sql(rules, tmp_path / "rows.parquet")


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
