"""benchmarks/compress.py: before/after rows per method, skips and refusals recorded, the report's drop list."""
from __future__ import annotations

import numpy as np
import pandas as pd
from _helpers.benchload import load_script

bench = load_script("compress.py", "bench_compress")


def test_rows_report_and_merge(tmp_path):
    rows = bench.run_dataset("iris", 5.0, 60.0, ["surrogate_tree", "cred"])
    df = pd.DataFrame(rows, columns=bench.COLUMNS)
    assert len(df) == 2 * (1 + len(bench.TOLERANCES))
    for m, g in df.groupby("method"):
        before = g[g["stage"] == "extracted"].iloc[0]
        after = g[g["stage"] == "compressed"]
        assert sorted(after["tolerance"]) == sorted(bench.TOLERANCES)
        assert (after["conditions"] <= before["conditions"]).all() and (after["rules"] <= before["rules"]).all()
        # compress's own guarantee, on its own sample
        assert (after["sample_fidelity_after"] >= after["sample_fidelity_before"] - after["tolerance"] - 1e-6).all()
    stored = bench._store(rows, out=tmp_path)
    stored = bench._store(rows, out=tmp_path)                # a rerun replaces the set's rows
    assert len(stored) == len(df)
    text = bench.write_report(stored, "test", out=tmp_path)
    assert (tmp_path / "compress.md").read_text(encoding="utf-8") == text
    assert "| iris | cred |" in text and "Data sets in this file: iris." in text
    wide = bench._wide(stored)
    fell = [(r["method"], tol) for _, r in wide.iterrows() for tol in bench.TOLERANCES
            if r[f"fidelity@{tol:g}"] < r["fidelity"] - tol - 1e-12]
    if fell:
        assert all(f"| iris | {m} | {tol:g} |" in text for m, tol in fell)
    else:
        assert "None: on every held-out third" in text


def test_skips_refusals_and_a_compress_that_runs_out_of_time_are_rows_with_a_note():
    rows = pd.DataFrame(bench.run_dataset("diabetes", 5.0, 60.0, ["surrogate_tree", "cred"]))
    cred = rows[rows["method"] == "cred"]
    assert len(cred) == 1 and "classification rules only" in cred["note"].iloc[0]
    refused = rows[(rows["method"] == "surrogate_tree") & (rows["stage"] == "compressed")]
    assert len(refused) == 2 and refused["note"].str.contains("only classification").all()
    assert refused["fidelity"].isna().all()
    cut = pd.DataFrame(bench.run_dataset("iris", 5.0, 1e-6, ["cred"]))
    cut = cut[cut["stage"] == "compressed"]
    assert cut["note"].str.startswith("compress: stopped after").all() and np.isnan(cut["fidelity"]).all()
