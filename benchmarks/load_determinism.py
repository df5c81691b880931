"""Same rules on an idle and on a busy machine: ``rulex compare NAME`` run twice, the second time beside
CPU-bound processes, and the rule sets compared.

Every method stops on a count of work (terms, clauses, queries, rows scanned, integer-program nodes);
the wall clock (``max_seconds``) is only a safety net, and a row it cut short says so (``cut_short``).
So the two runs must print the same rule sets; a row cut by the wall clock on either side is listed.

Each run is a fresh process doing what ``rulex compare NAME`` does with its defaults: load the bundled
set, the default split (seed 0), ``train_network(train, (16,), "sigmoid", max_epochs=None,
random_state=0)``, then ``rulex.compare(net, train, test)`` with every method that fits the task. It
writes per method the rules (rulex's JSON with the provenance's timing and memory keys removed, and
the text rendering) and the table's row. The busy run starts ``--busy`` processes (default: twice the
CPU count) that spin in a loop for the whole run, and stops them (by their process ids) after it.

    python benchmarks/load_determinism.py                      # breast_cancer, idle then busy
    python benchmarks/load_determinism.py --dataset iris --busy 4 --methods cover,brcg

Writes ``benchmarks/results/load_determinism.md`` (``--summary PATH`` elsewhere) and exits 0 when every
method gave the same rules (or the same error) in both runs, 1 otherwise.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SUMMARY = RESULTS / "load_determinism.md"
# keys of the provenance that hold a measured time or memory, wherever they sit
TIMING_KEYS = frozenset({"run", "seconds", "train_seconds", "elapsed", "peak_memory_mb"})
BUSY_LOOP = "while True:\n    pass\n"


def _scrub(obj):
    if isinstance(obj, dict):
        return {k: _scrub(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [_scrub(v) for v in obj]
    return obj


def worker(name: str, methods, out: Path) -> None:
    """One ``rulex compare NAME`` (API, the CLI's defaults): rules and rows to ``out`` as JSON."""
    import warnings

    import rulex
    from rulex.formats import to_json
    warnings.simplefilter("ignore")
    started = time.monotonic()
    train, test = rulex.load_dataset(name).split(test_size=None, random_state=0)
    net = rulex.train_network(train, (16,), "sigmoid", max_epochs=None, random_state=0)
    trained = time.monotonic()
    table, rules = rulex.compare(net, train, test, methods=methods, return_rules=True, progress=False)
    cells = {}
    for row in table.to_dict("records"):
        m = row["method"]
        r = rules.get(m)
        cells[m] = {"rules": None if r is None else _scrub(json.loads(to_json(r))),
                    "text": None if r is None else str(r), "error": row["error"] or None,
                    "cut_short": bool(row["cut_short"]), "complete": row["complete"] is not False,
                    "seconds": None if row["seconds"] != row["seconds"] else round(float(row["seconds"]), 2),
                    "conditions": None if row["conditions"] != row["conditions"] else int(row["conditions"]),
                    "fidelity": None if row["fidelity"] != row["fidelity"] else round(float(row["fidelity"]), 4)}
    out.write_text(json.dumps({"network": net.fingerprint(), "train_seconds": round(trained - started, 1),
                               "compare_seconds": round(time.monotonic() - trained, 1), "cells": cells}))


def _run(name: str, methods, busy: int, tmp: Path, label: str) -> dict:
    out = tmp / f"{label}.json"
    cmd = [sys.executable, __file__, "--worker", str(out), "--dataset", name]
    if methods:
        cmd += ["--methods", ",".join(methods)]
    spinners = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(busy)]
    try:
        t = time.monotonic()
        subprocess.run(cmd, check=True)
        seconds = time.monotonic() - t
    finally:
        for p in spinners:          # only the processes this script started, by their ids
            p.kill()
            p.wait()
    doc = json.loads(out.read_text())
    doc["wall_seconds"] = round(seconds, 1)
    doc["busy"] = busy
    return doc


def _same(a: dict, b: dict) -> bool:
    return (a["rules"], a["text"], a["error"]) == (b["rules"], b["text"], b["error"])


def summary(name: str, idle: dict, busy: dict, path: Path) -> bool:
    methods = sorted(set(idle["cells"]) | set(busy["cells"]))
    rows, same_all = [], idle["network"] == busy["network"]
    for m in methods:
        a, b = idle["cells"].get(m), busy["cells"].get(m)
        same = a is not None and b is not None and _same(a, b)
        same_all &= same
        cut = ", ".join(side for side, c in (("idle", a), ("busy", b)) if c and c["cut_short"]) or "-"
        outcome = lambda c: "missing" if c is None else ("error" if c["error"] else f"{c['conditions']} cond.")  # noqa: E731
        rows.append(f"| {m} | {'yes' if same else '**NO**'} | {outcome(a)} | {outcome(b)} | "
                    f"{a and a['seconds']} | {b and b['seconds']} | {cut} |")
    n_same = sum(1 for r in rows if "| yes |" in r)
    text = [f"# Same rules on an idle and a busy machine: `rulex compare {name}`", "",
            "`python benchmarks/load_determinism.py` (its docstring says how): the same comparison run twice in "
            "fresh processes, the second beside CPU-bound busy loops; rules compared as rulex's JSON (timing and "
            "memory fields removed) and as text.", "",
            f"- run on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs "
            "(shared with other users' work during both runs)",
            f"- idle run: no busy loop, network trained in {idle['train_seconds']} s, comparison "
            f"{idle['compare_seconds']} s",
            f"- busy run: {busy['busy']} busy loops, network trained in {busy['train_seconds']} s, comparison "
            f"{busy['compare_seconds']} s",
            f"- same network both times: {'yes' if idle['network'] == busy['network'] else '**NO**'}", "",
            f"**{n_same} of {len(methods)} methods gave the same rules; verdict: "
            f"{'identical' if same_all else 'NOT identical'}.**", "",
            "| method | same rules | idle | busy | idle s | busy s | cut short by the wall clock |",
            "|---|---|---|---|---|---|---|", *rows, ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text))
    print("\n".join(text))
    return same_all


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="breast_cancer")
    ap.add_argument("--methods", default=None, help="comma-separated (default: every method that fits)")
    ap.add_argument("--busy", type=int, default=2 * (os.cpu_count() or 1), help="busy-loop processes")
    ap.add_argument("--summary", type=Path, default=SUMMARY)
    ap.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m] if args.methods else None
    if args.worker is not None:
        worker(args.dataset, methods, args.worker)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        idle = _run(args.dataset, methods, 0, Path(tmp), "idle")
        busy = _run(args.dataset, methods, args.busy, Path(tmp), "busy")
    return 0 if summary(args.dataset, idle, busy, args.summary) else 1


if __name__ == "__main__":
    sys.exit(main())
