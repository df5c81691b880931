"""benchmarks/scaling.py: the quick grid runs every method; growth fit and budget skipping are right.

Correctness only: no assertion looks at a timing or a memory figure.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from _helpers.benchload import load_script

scaling = load_script("scaling.py")


# -- the quick grid, end to end -------------------------------------------------------------------
@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("scaling")
    df, growth = scaling.main(["--quick", "--out", str(out), "--no-plot"])
    return df, growth, out


def test_quick_grid_runs_every_method(quick):
    import rulex
    df, _, _ = quick
    methods = set(rulex.available_methods())
    assert list(df.columns) == scaling.COLUMNS
    expected = sum(len(v) for v in scaling.QUICK_SIZES.values()) * len(methods)
    assert len(df) == expected
    for axis, sizes in scaling.QUICK_SIZES.items():
        sub = df[df["axis"] == axis]
        assert sorted(sub["size"].unique()) == sorted(sizes)
        assert set(sub["method"]) == methods
        assert not sub.duplicated(["size", "method"]).any()
    assert set(df["status"]) <= {"ok", "n/a"}, df[~df["status"].isin(["ok", "n/a"])][["method", "error"]]
    # CRED refuses exactly the multi-layer networks, with its own message, as "n/a"
    na = df[df["status"] == "n/a"]
    assert set(na["method"]) == {"cred"}
    assert set(na["axis"]) == {"depth"} and (na["size"] > 1).all()
    assert na["error"].str.contains("one hidden layer").all()
    ok = df[df["status"] == "ok"]
    assert ok["fidelity"].between(0, 1).all() and (ok["rules"] >= 0).all() and (ok["seconds"] >= 0).all()
    assert (ok["error"].fillna("") == "").all()
    # shapes and rows follow the axis definitions
    assert (df[df["axis"] == "depth"]["hidden"] == df[df["axis"] == "depth"]["size"].map(
        lambda d: ",".join([str(scaling.QUICK_SETUP["base_width"])] * d))).all()
    assert (df[df["axis"] == "width"]["hidden"] == df[df["axis"] == "width"]["size"].astype(str)).all()
    assert (df[df["axis"] == "rows"]["rows"] == df[df["axis"] == "rows"]["size"]).all()
    assert (df["floor_seconds"] > 0).all()


def test_quick_reports_written(quick):
    df, growth, out = quick
    csv = pd.read_csv(out / "scaling.csv")
    assert list(csv.columns) == scaling.COLUMNS and len(csv) == len(df)
    md = (out / "scaling.md").read_text()
    for axis in scaling.AXES:
        assert f"## Axis: {axis}" in md
    assert "network predict (floor)" in md and "n/a from depth 2" in md and "x floor" in md
    assert set(growth["axis"]) == set(scaling.AXES)
    assert "(network predict)" in set(growth["method"])


def test_same_cell_reused_across_axes(quick):
    """rows=300 on (3,), depth 1 and width 3 are one network and one set of rows: one measurement."""
    df, _, _ = quick
    cells = df[((df["axis"] == "rows") & (df["size"] == 300)) | ((df["axis"] == "depth") & (df["size"] == 1))
               | ((df["axis"] == "width") & (df["size"] == 3))]
    for _, g in cells.groupby("method"):
        assert len(g) == 3 and g["seconds"].nunique(dropna=False) == 1


# -- data --------------------------------------------------------------------------------------------
def test_data_prefixes_and_determinism():
    a, b = scaling.make_frame(500, 0), scaling.make_frame(2000, 0)
    pd.testing.assert_frame_equal(a, b.iloc[:500])
    assert not scaling.make_frame(500, 1).equals(a)
    assert set(b["label"]) == {"yes", "no"} and 0.3 < (b["label"] == "yes").mean() < 0.7
    ds = scaling.make_dataset(200, 0)
    kinds = {f.name: f.kind for f in ds.schema.features}
    assert kinds["age"] == "integer" and kinds["region"] == "categorical" and kinds["x0"] == "numeric"


def test_shapes():
    assert scaling.shape_of("rows", 10_000, 16) == (16,)
    assert scaling.shape_of("depth", 3, 16) == (16, 16, 16)
    assert scaling.shape_of("width", 64, 16) == (64,)
    assert scaling.rows_of("rows", 30_000, 5_000) == 30_000 and scaling.rows_of("width", 64, 5_000) == 5_000


# -- growth rate --------------------------------------------------------------------------------------
def test_growth_exponent_recovers_powers():
    n = np.array([1e3, 3e3, 1e4, 3e4, 1e5])
    assert scaling.growth_exponent(n, 3 * n ** 2) == pytest.approx(2.0)
    assert scaling.growth_exponent(n, 0.5 * n) == pytest.approx(1.0)
    assert scaling.growth_exponent(n, np.full(5, 7.0)) == pytest.approx(0.0, abs=1e-12)
    assert scaling.growth_exponent([1, 2, 3, 4], [2.0, 2 * 2 ** 1.5, 2 * 3 ** 1.5, 2 * 4 ** 1.5]) == pytest.approx(1.5)
    # missing or non-positive values are left out; fewer than two sizes give NaN
    assert scaling.growth_exponent([10, 100, 1000], [1.0, np.nan, 100.0]) == pytest.approx(1.0)
    assert math.isnan(scaling.growth_exponent([10], [1.0]))
    assert math.isnan(scaling.growth_exponent([10, 100], [1.0, 0.0]))


def _fake_frame(statuses: dict, sizes=(10, 20, 40, 80)) -> pd.DataFrame:
    """Rows of run_axis with a fake runner: ``statuses[method][size]`` (default ok, seconds = size**2)."""
    def runner(method, size):
        st = statuses.get(method, {}).get(size, "ok")
        return {"status": st, "seconds": float(size) ** 2 if st in scaling.COMPLETED else np.nan,
                "peak_mb": float(size) if st in scaling.COMPLETED else np.nan, "error": "" if st == "ok" else st}

    def floor(size):
        return {"floor_seconds": 1e-3 * size, "floor_peak_mb": 0.1 * size, "floor_encoded_seconds": 1e-4 * size}

    rows = scaling.run_axis("rows", sizes, ["a", "b", "c"], runner, floor, {"a": "x", "b": "x", "c": "x"},
                            progress=None)
    return pd.DataFrame(rows)


# -- budgets -------------------------------------------------------------------------------------------
def test_budget_hit_skips_larger_sizes():
    df = _fake_frame({"a": {20: "budget"}, "b": {40: "timeout"}})
    st = df.pivot(index="size", columns="method", values="status")
    assert st["a"].tolist() == ["ok", "budget", "skipped", "skipped"]
    assert st["b"].tolist() == ["ok", "ok", "timeout", "skipped"]
    assert st["c"].tolist() == ["ok"] * 4
    assert df[df["status"] == "skipped"]["error"].str.contains("after budget at rows=").all()
    g = scaling.growth_table(df).set_index("method")
    assert g.loc["a", "budget_at"] == 20 and g.loc["b", "budget_at"] == 40 and math.isnan(g.loc["c", "budget_at"])
    assert g.loc["c", "exp_seconds"] == pytest.approx(2.0) and g.loc["c", "exp_peak_mb"] == pytest.approx(1.0)
    assert g.loc["b", "exp_seconds"] == pytest.approx(2.0) and g.loc["b", "points"] == 2
    assert math.isnan(g.loc["a", "exp_seconds"]) and g.loc["a", "points"] == 1
    assert g.loc["(network predict)", "exp_seconds"] == pytest.approx(1.0)
    big = scaling.largest_vs_floor(df).set_index("method")
    assert big.loc["a", "size"] == 10 and big.loc["c", "size"] == 80 and big.loc["b", "size"] == 20
    assert big.loc["c", "x_floor_seconds"] == pytest.approx(80 ** 2 / 0.08)
    assert big.loc["c", "x_floor_peak_mb"] == pytest.approx(10.0)


def test_reports_from_a_grid_with_budget_hits(tmp_path):
    df = _fake_frame({"a": {20: "budget"}, "b": {40: "over budget"}, "c": {10: "n/a"}})
    for col in scaling.COLUMNS:
        if col not in df:
            df[col] = np.nan if col not in ("hidden", "kind", "error") else ""
    df = df[scaling.COLUMNS]
    scaling.write_reports(df, scaling.growth_table(df), "--quick", 1.0, scaling.QUICK_SETUP, 5.0, 0, tmp_path)
    md = (tmp_path / "scaling.md").read_text()
    assert "| a | " in md and "rows 20" in md and "rows 40 (over budget)" in md and "n/a from rows 10" in md
    assert "skipped" in md and (tmp_path / "scaling.png").stat().st_size > 0
    assert len(pd.read_csv(tmp_path / "scaling.csv")) == len(df)


def test_over_budget_counts_but_is_measured():
    df = _fake_frame({"a": {40: "over budget"}})
    st = df[df["method"] == "a"].set_index("size")["status"]
    assert st.tolist() == ["ok", "ok", "over budget", "skipped"]
    g = scaling.growth_table(df).set_index("method")
    assert g.loc["a", "budget_at"] == 40 and g.loc["a", "points"] == 3      # it finished: it is a data point


def test_na_does_not_stop_larger_sizes():
    df = _fake_frame({"a": {10: "n/a", 20: "n/a"}})
    assert df[df["method"] == "a"]["status"].tolist() == ["n/a", "n/a", "ok", "ok"]


def test_real_budget_is_reported_and_skips(tmp_path):
    """A real extraction with a budget of zero seconds stops itself; the larger size is skipped."""
    rows = scaling.run_grid(axes=["rows"], methods=["tsukimoto", "surrogate_tree"], sizes={"rows": (200, 400)},
                            setup=scaling.QUICK_SETUP, max_seconds=0.0, progress=None)
    st = rows.set_index(["method", "size"])["status"]
    assert st[("tsukimoto", 200)] == "budget" and st[("tsukimoto", 400)] == "skipped"
    assert "BudgetExceededError" in rows[(rows["method"] == "tsukimoto") & (rows["size"] == 200)]["error"].iloc[0]
    # surrogate_tree has no budget of its own: any positive time is "over budget" at max_seconds=0
    assert st[("surrogate_tree", 200)] == "over budget" and st[("surrogate_tree", 400)] == "skipped"


def test_hard_timeout_kills_worker():
    import time
    out = scaling.run_isolated(lambda: time.sleep(30) or {"status": "ok"}, timeout=0.5)
    assert out["status"] == "timeout" and "killed" in out["error"]
    assert scaling.run_isolated(lambda: {"status": "ok", "x": 1}, timeout=30) == {"status": "ok", "x": 1}


def test_worker_floor_and_ratio(quick):
    df, _, _ = quick
    ok = df[df["status"] == "ok"]
    assert (ok["floor_worker_seconds"] > 0).all()
    assert np.allclose(ok["x_floor"], ok["seconds"] / ok["floor_worker_seconds"])


def test_merge_keeps_only_cells_not_redone(tmp_path):
    row = dict.fromkeys(scaling.COLUMNS, np.nan)
    old = pd.DataFrame([dict(row, axis=a, size=s, method=m, status=st, seconds=1.0, floor_seconds=0.5)
                        for a, s, m, st in [("rows", 1000, "trepan", "ok"), ("rows", 1000, "cred", "ok"),
                                            ("depth", 2, "cred", "n/a"), ("depth", 2, "trepan", "ok")]])
    old.drop(columns=["run", "floor_worker_seconds", "x_floor"]).to_csv(tmp_path / "scaling.csv", index=False)
    new = pd.DataFrame([dict(row, axis="rows", size=1000, method="trepan", status="ok", seconds=0.5,
                             floor_seconds=0.4, floor_worker_seconds=0.25, run="today")])
    out = scaling.merge_previous(new, tmp_path / "scaling.csv", "the old run")
    assert list(out.columns) == scaling.COLUMNS
    got = {(a, m): r for a, m, r in zip(out["axis"], out["method"], out["run"])}
    assert got == {("rows", "trepan"): "today", ("rows", "cred"): "the old run", ("depth", "cred"): "the old run",
                   ("depth", "trepan"): "the old run"}
    assert out.loc[(out["axis"] == "depth") & (out["method"] == "cred"), "status"].item() == "n/a"
    # the ratio uses the worker's floor where the run has it, the parent's otherwise
    big = scaling.largest_vs_floor(out)
    assert big.set_index("method")["x_floor_seconds"].to_dict() == {"cred": 2.0, "trepan": 2.0}
