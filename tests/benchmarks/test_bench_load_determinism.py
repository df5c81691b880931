"""benchmarks/load_determinism.py: one real worker run (iris, one method) and the comparison of two runs."""
from __future__ import annotations

import copy
import json

from _helpers.benchload import load_script

bench = load_script("load_determinism.py", "bench_load_determinism")


def test_worker_writes_the_rules_without_timings_and_the_summary_compares_them(tmp_path):
    out = tmp_path / "idle.json"
    bench.worker("iris", ["surrogate_tree"], out)
    idle = json.loads(out.read_text())
    cell = idle["cells"]["surrogate_tree"]
    assert cell["text"] and cell["error"] is None and cell["cut_short"] is False
    assert "run" not in cell["rules"]["provenance"]          # timings and memory removed
    idle.update(busy=0, wall_seconds=1.0)
    busy = copy.deepcopy(idle)
    busy["busy"] = 4
    assert bench.summary("iris", idle, busy, tmp_path / "same.md")
    text = (tmp_path / "same.md").read_text()
    assert "1 of 1 methods gave the same rules; verdict: identical" in text

    busy["cells"]["surrogate_tree"]["text"] += "\n(changed)"
    busy["cells"]["surrogate_tree"]["cut_short"] = True
    assert not bench.summary("iris", idle, busy, tmp_path / "differ.md")
    text = (tmp_path / "differ.md").read_text()
    assert "verdict: NOT identical" in text and "| surrogate_tree | **NO** |" in text and "| busy |" in text
