"""benchmarks/audit.py: every part writes its rows; zeroed protected inputs come out proven independent."""
from __future__ import annotations

from _helpers.benchload import load_script

bench = load_script("audit.py", "bench_audit")


def test_parts_write_their_tables(tmp_path):
    out = tmp_path / "audit.md"
    bench.main(["--data", "german_credit", "--nets", "8:relu", "--rows", "20", "--diff-rows", "40", "--epochs", "3",
                "--max-seconds", "2", "--out", str(out)])
    text = out.read_text(encoding="utf-8")
    for title in ("## 1. Protected attributes", "## 2. Monotonicity", "## 3. Two seeds of one network"):
        assert title in text
    zeroed = [line for line in text.splitlines() if "protected zeroed" in line]
    assert len(zeroed) == 3 and all("| proven independent |" in line for line in zeroed)
    assert "| german_credit | (8,) relu | duration_months | decreasing |" in text
    assert bench.nets("16:relu,64-64:sigmoid") == [((16,), "relu"), ((64, 64), "sigmoid")]
