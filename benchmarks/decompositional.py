"""Acceptance figures of the decompositional extractors (CRED, DeepRED, Tsukimoto).

Each case runs in its own process so that its peak resident memory (ru_maxrss) is its own.
Writes benchmarks/results/decompositional.md and .csv.

    python benchmarks/decompositional.py            # all cases (about 10 minutes on 2 cores)
    python benchmarks/decompositional.py --quick    # skip the adult cases
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

CASES = {
    # name: (data, hidden, seeds, [(method label, method, params)])
    "xor": ("xor", (4,), (0, 1, 2), [("cred", "cred", {}), ("deepred term", "deepred", {"substitution": "term"}),
                                     ("deepred clause", "deepred", {"substitution": "clause"}),
                                     ("tsukimoto", "tsukimoto", {}), ("surrogate_tree", "surrogate_tree", {})]),
    "monk1": ("monk1", (8,), (0, 1, 2), [("cred", "cred", {}), ("deepred term", "deepred", {"substitution": "term"}),
                                         ("deepred clause", "deepred", {"substitution": "clause"}),
                                         ("tsukimoto (max_order=6)", "tsukimoto", {"max_order": 6}),
                                         ("surrogate_tree", "surrogate_tree", {})]),
    "breast_cancer": ("breast_cancer", (16, 8), (0, 1, 2),
                      [("deepred term", "deepred", {"substitution": "term"}),
                       ("deepred clause", "deepred", {"substitution": "clause"}),
                       ("tsukimoto", "tsukimoto", {}), ("surrogate_tree", "surrogate_tree", {})]),
    "adult": ("adult", (32, 16, 8), (0,), [("deepred clause", "deepred", {"substitution": "clause"}),
                                           ("deepred term", "deepred", {"substitution": "term"})]),
}


def run_one(data, hidden, seed, method, params):
    import rulex
    warnings.simplefilter("ignore")
    if data == "xor":
        ds = rulex.load_dataset("xor")
        train = test = ds           # evaluated on all 256 points
    else:
        train, test = rulex.load_dataset(data).split(random_state=seed)
    net = rulex.train_network(train, hidden, "sigmoid", random_state=seed)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    out = {"data": data, "hidden": list(hidden), "seed": seed, "method": method, "params": params,
           "test_rows": len(test), "network_accuracy": float((net.predict(test.frame) == test.y.to_numpy()).mean())}
    try:
        rules = rulex.extract(net, train, method=method, random_state=seed, **params)
        rep = rulex.evaluate(rules, net, test)
        out.update(fidelity=rep.fidelity, accuracy=rep.accuracy, rules=rep.n_rules, conditions=rep.n_conditions,
                   status="ok" if rules.provenance.get("complete", True) else "partial")
    except rulex.BudgetExceededError as exc:
        out.update(status="budget", message=str(exc))
    out["seconds"] = time.perf_counter() - t
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["rss_before_mb"] = rss_before / 1024
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        spec = json.loads(args.one)
        print(json.dumps(run_one(spec["data"], tuple(spec["hidden"]), spec["seed"], spec["method"], spec["params"])))
        return
    rows = []
    for case, (data, hidden, seeds, methods) in CASES.items():
        if args.quick and case == "adult":
            continue
        for seed in seeds:
            for label, method, params in methods:
                spec = json.dumps({"data": data, "hidden": hidden, "seed": seed, "method": method, "params": params})
                res = subprocess.run([sys.executable, __file__, "--one", spec], capture_output=True, text=True)
                if res.returncode != 0:
                    print(res.stderr[-2000:], file=sys.stderr)
                    continue
                row = json.loads(res.stdout.strip().splitlines()[-1])
                row["label"] = label
                rows.append(row)
                print(f"{case:<14} seed {seed} {label:<24} " + (
                    f"fid {row['fidelity']:.4f} rules {row['rules']:>4} conds {row['conditions']:>5}"
                    if row["status"] != "budget" else "stopped at budget") +
                    f"  {row['seconds']:.1f} s  peak {row['peak_rss_mb']:.0f} MB", flush=True)
    import pandas as pd
    df = pd.DataFrame(rows)
    RESULTS.mkdir(exist_ok=True)
    df.to_csv(RESULTS / "decompositional.csv", index=False)
    lines = ["# Decompositional extractors: acceptance figures", "",
             "Produced by `python benchmarks/decompositional.py`. Networks: `rulex.train_network(train, hidden, "
             "\"sigmoid\", random_state=seed)`; rules extracted on the training split and scored on held-out rows "
             "(xor: all 256 points; MONK-1: all 432 points after training on its 124-row sample; others: the 30 % "
             "test split). Peak RSS is the whole process (data, network training and extraction).", ""]
    for case in df["data"].unique():
        sub = df[df["data"] == case]
        lines += [f"## {case} (hidden {tuple(sub['hidden'].iloc[0])}, {sub['test_rows'].iloc[0]} evaluation rows)", "",
                  "| method | seed | fidelity | accuracy | rules | conditions | seconds | peak RSS MB | status |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for _, r in sub.iterrows():
            f = lambda k, fmt: "" if pd.isna(r.get(k)) else format(r[k], fmt)
            lines.append(f"| {r['label']} | {r['seed']} | {f('fidelity', '.4f')} | {f('accuracy', '.4f')} | "
                         f"{f('rules', '.0f')} | {f('conditions', '.0f')} | {r['seconds']:.1f} | "
                         f"{r['peak_rss_mb']:.0f} | {r['status']} |")
        msgs = sub[sub["status"] == "budget"]
        for _, r in msgs.iterrows():
            lines += ["", f"> {r['label']}, seed {r['seed']}: {r['message']}"]
        lines.append("")
    (RESULTS / "decompositional.md").write_text("\n".join(lines))
    print(f"wrote {RESULTS / 'decompositional.md'}")


if __name__ == "__main__":
    main()
