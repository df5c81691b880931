"""Does ``auto`` return a generated k-term DNF concept at its own size? (issue 28's acceptance check)

For each concept (k terms of l literals), ``rulex.data.generated.make_dnf`` draws the concept and
``--rows`` rows from it (``n_categorical`` categorical inputs of 3 levels, ``random_state`` = the
concept's seed, ``--seed`` + 1000 k + l), split 70/30; one small (16,) sigmoid network is trained on
the training rows; ``auto`` (its defaults, ``random_state=0``) extracts from them. A concept counts as
*returned at its size* when the rules' fidelity to the network on the test rows is >= 0.99 with at
most k rules and k·l conditions (a smaller set the network agrees with is as good: it is the concept
the network learned). Writes ``benchmarks/results/auto_dnf.md`` (and ``.csv``)::

    python benchmarks/auto_dnf.py                 # the 10 concepts below
    python benchmarks/auto_dnf.py --concepts 2x2,3x3 --rows 3000
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import rulex
from rulex.data.generated import make_dnf

RESULTS = Path(__file__).resolve().parent / "results"
CONCEPTS = ((2, 2), (2, 3), (3, 2), (3, 3), (4, 2), (2, 4), (4, 3), (5, 2), (3, 4), (5, 3))
LR = 0.03


def run_concept(k: int, lits: int, rows: int, seed: int, n_categorical: int = 10, epochs=None) -> dict:
    """Draw the concept, train its network, run ``auto``; one result row."""
    ds, terms = make_dnf(k, lits, n_categorical=n_categorical, n_levels=3, n_samples=rows,
                         random_state=seed + 1000 * k + lits)
    train, test = ds.split(random_state=0)
    net = rulex.train_network(train, (16,), "sigmoid", lr=LR, max_epochs=epochs, random_state=0)
    truth = test.frame[test.target].to_numpy()
    t0 = time.perf_counter()
    rules = rulex.extract(net, train, method="auto", random_state=0)
    seconds = time.perf_counter() - t0
    fid = float(np.mean(np.asarray(rules.predict(test.frame)) == np.asarray(net.predict(test.frame))))
    win = rules.provenance["winner"]
    chosen = win["method"] + ("+compress" if win.get("compressed") else "") + (
        f" {win['parameters']}" if win["parameters"] else "")
    ok = fid >= 0.99 and len(rules) <= k and rules.conditions_count() <= k * lits
    return {"k": k, "literals": lits, "concept_rules": k, "concept_conditions": k * lits,
            "network_accuracy": float(np.mean(np.asarray(net.predict(test.frame)) == truth)),
            "rules": len(rules), "conditions": rules.conditions_count(), "fidelity": fid,
            "seconds": seconds, "chosen": chosen, "stage": rules.provenance["selection"]["stage"],
            "at_size": ok, "concept": ds.description}


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report(df: pd.DataFrame, command: str, load: tuple, wall: float) -> str:
    n_ok = int(df["at_size"].sum())
    same = (df["rules"] == df["concept_rules"]) & (df["conditions"] == df["concept_conditions"])
    exact = int((df["at_size"] & same).sum())
    smaller = ", ".join(f"{r.k}x{r.literals} ({r.rules} rules, {r.conditions} conditions)"
                        for r in df[df["at_size"] & ~same].itertuples())
    lines = ["# `auto` on generated k-term DNF concepts", "",
             f"Produced by `{command}` at commit {_commit()} on {time.strftime('%Y-%m-%d')} ({wall / 60:.1f} min "
             f"in all). Load average {load[0]:.1f} at start, {load[1]:.1f} at end (2 cores shared with other "
             "jobs; *seconds* is wall time and moves with the load, the rules do not: `auto`'s budgets are "
             "counted in work).", "",
             "Each concept: `make_dnf(k, l, 10 categorical inputs of 3 levels)`, 70/30 split, one (16,) sigmoid "
             f"network (learning rate {LR}, seed 0) on the training rows, `auto` at its defaults "
             "(`random_state=0`). *fidelity*: agreement with the network on the test rows. *at size*: "
             "fidelity >= 0.99 with at most k rules and k·l conditions. *chosen*: the winning candidate; "
             "*stage*: `confirmed` when the short-listed candidates were refitted on all rows and "
             "compared on fresh points, `held-out` when nothing smaller was near the best.", "",
             f"**{n_ok} of {len(df)} concepts returned at their size** ({exact} with exactly k rules and k·l "
             "conditions" + (f"; smaller: {smaller}, where a rule set with fewer rules is within `auto`'s "
                             "tolerance of 0.01 of the most faithful candidate" if smaller else "") + ").", "",
             "| k | l | network acc. | rules | conditions (concept) | fidelity | at size | seconds | chosen | stage |",
             "|---:|---:|---:|---:|---:|---:|:-:|---:|---|---|"]
    for r in df.itertuples():
        lines.append(f"| {r.k} | {r.literals} | {r.network_accuracy:.4f} | {r.rules} | {r.conditions} "
                     f"({r.concept_conditions}) | {r.fidelity:.4f} | {'yes' if r.at_size else '**no**'} | "
                     f"{r.seconds:.1f} | {r.chosen} | {r.stage} |")
    lines += ["", "Concepts:", ""] + [f"- {r.k}x{r.literals}: {r.concept}" for r in df.itertuples()]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--concepts", default=",".join(f"{k}x{n}" for k, n in CONCEPTS),
                    help="comma-separated KxL (k terms of l literals)")
    ap.add_argument("--rows", type=int, default=4000, help="rows drawn per concept (default 4000)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the concepts (default 0)")
    ap.add_argument("--epochs", type=int, default=None, help="network training epochs (default: train_network's)")
    ap.add_argument("--out", default=str(RESULTS), help="folder for auto_dnf.md/.csv")
    args = ap.parse_args(argv)
    concepts = [tuple(int(x) for x in c.split("x")) for c in args.concepts.split(",") if c]
    load0, t0 = os.getloadavg()[0], time.perf_counter()
    rows = []
    for k, lits in concepts:
        rows.append(run_concept(k, lits, args.rows, args.seed, epochs=args.epochs))
        r = rows[-1]
        print(f"{k}x{lits}: {r['rules']} rules, {r['conditions']} conditions, fidelity {r['fidelity']:.4f}, "
              f"{r['seconds']:.1f} s, {r['chosen']}", flush=True)
    df = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "auto_dnf.csv", index=False)
    command = "python benchmarks/auto_dnf.py " + " ".join(sys.argv[1:] if argv is None else argv)
    (out / "auto_dnf.md").write_text(report(df, command.strip(), (load0, os.getloadavg()[0]),
                                            time.perf_counter() - t0))
    return df


if __name__ == "__main__":
    main()
