"""benchmarks/auto_dnf.py: one tiny concept end to end, and the report's count of concepts at their size."""
from __future__ import annotations

import pandas as pd
from _helpers.benchload import load_script

bench = load_script("auto_dnf.py", "bench_auto_dnf")


def test_one_concept_writes_its_row(tmp_path):
    df = bench.main(["--concepts", "2x2", "--rows", "400", "--epochs", "30", "--out", str(tmp_path)])
    row = df.iloc[0]
    assert (row["k"], row["literals"], row["concept_conditions"]) == (2, 2, 4)
    assert row["at_size"] == (row["fidelity"] >= 0.99 and row["rules"] <= 2 and row["conditions"] <= 4)
    text = (tmp_path / "auto_dnf.md").read_text()
    assert "python benchmarks/auto_dnf.py --concepts 2x2" in text and "| 2 | 2 |" in text
    assert len(pd.read_csv(tmp_path / "auto_dnf.csv")) == 1


def test_report_counts_exact_and_smaller_concepts():
    base = {"network_accuracy": 1.0, "fidelity": 1.0, "seconds": 1.0, "chosen": "cover", "stage": "held-out",
            "concept": "c"}
    df = pd.DataFrame([
        {**base, "k": 2, "literals": 2, "concept_rules": 2, "concept_conditions": 4, "rules": 2, "conditions": 4,
         "at_size": True},
        {**base, "k": 3, "literals": 4, "concept_rules": 3, "concept_conditions": 12, "rules": 2, "conditions": 8,
         "at_size": True},
        {**base, "k": 2, "literals": 3, "concept_rules": 2, "concept_conditions": 6, "rules": 4, "conditions": 9,
         "at_size": False}])
    text = bench.report(df, "python benchmarks/auto_dnf.py", (1.0, 1.0), 60.0)
    assert "**2 of 3 concepts returned at their size** (1 with exactly k rules" in text
    assert "smaller: 3x4 (2 rules, 8 conditions)" in text and "| **no** |" in text
