"""Time and peak memory of rulex.influence as the rows analysed grow (1k to 100k), on adult.

Each size runs in a fresh process (peak resident memory is then that size's own): a (16,) sigmoid
network on adult's training split; the analysed rows are adult's rows drawn with replacement up to
the size. Defaults of ``influence`` (n_grid=50, n_draws=20, max_reference=10000). Writes
benchmarks/results/influence_scaling.md. The import of rulex and torch alone is listed as the floor.

    python benchmarks/influence_scaling.py [--sizes 1000,10000,100000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

WORKER = r"""
import json, resource, sys, time
import numpy as np
import rulex
n = int(sys.argv[1])
if n == 0:
    print(json.dumps({"rows": 0, "seconds": 0.0, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    sys.exit()
ds = rulex.load_dataset("adult")
train, _ = ds.split(test_size=0.3, random_state=0)
net = rulex.train_network(train, hidden_layer_sizes=(16,), random_state=0, max_epochs=5)
idx = np.random.default_rng(0).integers(0, len(ds.frame), n)
rows = rulex.Dataset(ds.frame.iloc[idx].reset_index(drop=True), ds.target, ds.schema)
started = time.perf_counter()
table = rulex.influence(net, rows, random_state=0)
seconds = time.perf_counter() - started
print(json.dumps({"rows": n, "seconds": seconds, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "top": str(table["expected_influence"].idxmax())}))
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    args = ap.parse_args(argv)
    sizes = [0] + [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        out = subprocess.run([sys.executable, "-c", WORKER, str(n)], capture_output=True, text=True, check=True)
        rec = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(rec)
        print(rec, flush=True)
    lines = ["# influence: time and peak memory by rows analysed (adult, (16,) network)", "",
             "Made by `python benchmarks/influence_scaling.py`; each size in a fresh process. Defaults: "
             "n_grid=50, n_draws=20, max_reference=10000 (neighbours among at most 10,000 reference rows). "
             "Row 0 is the floor: importing rulex and torch only. Timings carry the load of the machine.", "",
             "| rows | seconds | peak resident MiB | most influential (expected) |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['rows']:,} | {r['seconds']:.1f} | {r['peak_mib']:.0f} | {r.get('top', '')} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "influence_scaling.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
