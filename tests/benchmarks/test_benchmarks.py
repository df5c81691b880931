"""The benchmark scripts: backends give identical numbers; recovery's equivalence check is exact."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _helpers.benchload import load_script

compare_bench = load_script("compare.py")
recovery = load_script("recovery.py")

GRID = dict(datasets=["iris"], seeds=[0, 1], folds=2, methods=["surrogate_tree", "anndt"], hidden=(4,), epochs=30)


def _numbers(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=compare_bench.MEASURED).reset_index(drop=True)


@pytest.fixture(scope="module")
def serial():
    return compare_bench.run_grid(**GRID, n_jobs=1)


def test_grid_shape_and_folds(serial):
    assert len(serial) == 2 * 2 * 2
    assert (serial["error"] == "").all()
    assert set(serial["test_rows"]) == {75} and set(serial["train_rows"]) == {75}
    tr, te = compare_bench.fold_indices(__import__("rulex").load_dataset("iris"), 2, 0)
    assert not set(tr) & set(te) and len(tr) + len(te) == 150
    summary = compare_bench.summarize(serial)
    assert set(summary["method"]) == {"surrogate_tree", "anndt"} and (summary["cells"] == 4).all()
    assert summary["pareto"].any()


def test_merge_keeps_the_other_methods_rows_of_the_same_cells(serial, tmp_path):
    serial.to_csv(tmp_path / "compare_iris.csv", index=False)
    fresh = serial[serial["method"] == "anndt"].assign(rules=99)
    merged = compare_bench.merge_existing(fresh, ["anndt"], out=tmp_path)
    assert len(merged) == len(serial)
    assert (merged[merged["method"] == "anndt"]["rules"] == 99).all()
    assert (merged[merged["method"] == "surrogate_tree"]["rules"].to_numpy()
            == serial[serial["method"] == "surrogate_tree"]["rules"].to_numpy()).all()
    with pytest.raises(SystemExit, match="other cells or networks"):
        compare_bench.merge_existing(fresh.assign(network_accuracy=0.1), ["anndt"], out=tmp_path)


def test_merge_of_a_subset_of_cells_keeps_the_methods_other_cells(serial, tmp_path):
    serial.to_csv(tmp_path / "compare_iris.csv", index=False)
    first = serial[["seed", "fold"]].drop_duplicates().iloc[0]
    sub = serial[(serial["seed"] == first["seed"]) & (serial["fold"] == first["fold"])]   # --only-folds
    fresh = sub[sub["method"] == "anndt"].assign(rules=99)
    merged = compare_bench.merge_existing(fresh, ["anndt"], out=tmp_path)
    assert len(merged) == len(serial)
    anndt = merged[merged["method"] == "anndt"]
    assert (anndt["rules"] == 99).sum() == 1 and len(anndt) == (serial["method"] == "anndt").sum()


def test_joblib_two_workers_identical(serial):
    parallel = compare_bench.run_grid(**GRID, n_jobs=2)
    pd.testing.assert_frame_equal(_numbers(serial), _numbers(parallel))


def test_dask_local_cluster_identical(serial):
    distributed = pytest.importorskip("dask.distributed",
                                      reason="dask.distributed is not installed (pip install 'dask[distributed]')")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        out = compare_bench.run_grid(**GRID, backend="dask", scheduler=client)
    pd.testing.assert_frame_equal(_numbers(serial), _numbers(out))


def test_pareto_front():
    keep = compare_bench.pareto_front([0.9, 0.95, 0.95, 0.8, 1.0], [5, 10, 12, 5, 40])
    assert keep.tolist() == [True, True, False, False, True]


# -- recovery: the equivalence check is exact ------------------------------------------------------
def _xor_rules():
    from rulex import Condition, Rule, RuleSet
    return RuleSet([Rule([Condition("x0", "==", 1), Condition("x1", "==", 0)], 1),
                    Rule([Condition("x0", "==", 0), Condition("x1", "==", 1)], 1)], default=0, classes=(0, 1))


class _Table:
    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def predict(self, frame):
        return self.labels


def test_recovery_equivalence_exact_on_xor():
    train, space = recovery.problem_data("xor")
    assert len(space) == 256
    truth = recovery.concept("xor", space.frame)
    assert np.array_equal(truth, space.y.to_numpy())
    assert recovery.equivalence(_xor_rules(), space.frame, truth) == (True, 1.0)
    flipped = truth.copy()
    flipped[137] = 1 - flipped[137]
    eq, fid = recovery.equivalence(_xor_rules(), space.frame, flipped)
    assert eq is False and fid == pytest.approx(255 / 256)
    eq, fid = recovery.equivalence(_Table(flipped), space.frame, truth)   # a rule set wrong on one point
    assert eq is False and fid == pytest.approx(255 / 256)


@pytest.mark.parametrize("name", ["monk1", "monk2", "monk3"])
def test_recovery_equivalence_exact_on_monk(name):
    train, space = recovery.problem_data(name)
    assert len(space) == 432
    truth = recovery.concept(name, space.frame)
    assert np.array_equal(truth, space.y.to_numpy())          # noise-free: labels are the concept
    assert recovery.equivalence(_Table(truth), space.frame, truth) == (True, 1.0)
    for i in (0, 431):
        wrong = truth.copy()
        wrong[i] = 1 - wrong[i]
        eq, fid = recovery.equivalence(_Table(wrong), space.frame, truth)
        assert eq is False and fid == pytest.approx(431 / 432)
