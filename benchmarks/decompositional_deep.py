"""Deep networks for every decompositional method (issue #26, item 3): Tsukimoto, KT and N-of-M on
ECLAIRE's XOR with 64-32-16 tanh networks, Tsukimoto on breast_cancer (16,) relu and adult (32, 16)
relu, and all three on breast_cancer's (16,) and (16, 8) sigmoid networks. Writes benchmarks/results/decompositional_deep.md and .csv.

    python benchmarks/decompositional_deep.py                 # 2 XOR folds + the tables
    python benchmarks/decompositional_deep.py --folds 5       # all five folds of ECLAIRE's protocol
    python benchmarks/decompositional_deep.py --skip adult    # leave a case out
    python benchmarks/decompositional_deep.py --methods kt    # rerun one method; the others' rows are kept

Every method runs with its defaults (the 20 million-step work budget, so the same rules on a busy
machine); seconds are extraction only, on a machine shared by other processes (the header gives the load).
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from decompositional import balanced, eclaire_xor  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
NOTES_MARK = "## Reading the figures"


def run(net, train, test, method):
    import rulex
    t, cpu = time.perf_counter(), time.process_time()
    out = {"method": method}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rules = rulex.extract(net, train, method=method)
        rep = rulex.evaluate(rules, net, test)
        prov = rules.provenance
        out.update(fidelity=rep.fidelity, rules=rep.n_rules, conditions=rep.n_conditions,
                   work=prov.get("budget", {}).get("work_done"), stopped_by=prov.get("budget", {}).get("stopped_by"),
                   units_read=len(prov.get("unit_readings", {})), units_approximated=len(prov.get("units_approximated", [])),
                   status="ok" if prov.get("complete", True) else "partial")
    except rulex.RulexError as exc:
        out.update(status=f"{type(exc).__name__}: {exc}"[:300])
    out["seconds"] = time.perf_counter() - t
    out["cpu_seconds"] = time.process_time() - cpu      # this process's CPU: what the load does not inflate
    return out


def xor_rows(n_folds, methods):
    import rulex
    from sklearn.model_selection import StratifiedKFold
    ds = eclaire_xor()
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42).split(ds.frame, ds.y.to_numpy())
    for fold, (tr, te) in enumerate(folds):
        if fold >= n_folds:
            break
        train, test = ds.subset(tr, f"-fold{fold}-train"), ds.subset(te, f"-fold{fold}-test")
        net = rulex.train_network(balanced(train), (64, 32, 16), "tanh", random_state=fold)
        for method in [m for m in ("tsukimoto", "nofm", "kt") if m in methods]:
            yield {"case": "xor_eclaire 64-32-16 tanh", "fold": fold, **run(net, train, test, method)}


def table_rows(name, hidden, methods):
    import rulex
    if "tsukimoto" not in methods:
        return
    train, test = rulex.load_dataset(name).split(random_state=0)
    net = rulex.train_network(train, hidden, "relu", random_state=0)
    yield {"case": f"{name} {hidden} relu", "fold": "split 0", **run(net, train, test, "tsukimoto")}


def sigmoid_rows(name, hidden, methods):
    """Every method on a sigmoid network of a bundled table (the main command's (16,) network and a
    two-layer one, where the readings used to be empty)."""
    import rulex
    train, test = rulex.load_dataset(name).split(random_state=0)
    net = rulex.train_network(train, hidden, "sigmoid", random_state=0)
    for method in [m for m in ("tsukimoto", "nofm", "kt") if m in methods]:
        yield {"case": f"{name} {hidden} sigmoid", "fold": "split 0", **run(net, train, test, method)}


def write(df, header):
    lines = header + ["", "| case | fold | method | fidelity | rules | conditions | work (steps) | units approximated "
                          "/ read | seconds | CPU s | status |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for _, r in df.iterrows():
        f = (lambda k, fmt: "" if k not in r or r[k] != r[k] else format(r[k], fmt))
        lines.append(f"| {r['case']} | {r['fold']} | {r['method']} | {f('fidelity', '.3f')} | {f('rules', '.0f')} | "
                     f"{f('conditions', '.0f')} | {f('work', ',.0f')} | {f('units_approximated', '.0f')} / "
                     f"{f('units_read', '.0f')} | {r['seconds']:.1f} | {f('cpu_seconds', '.1f')} | {r['status']} |")
    xor = df[df["case"].str.startswith("xor") & df["fidelity"].notna()] if "fidelity" in df else df.iloc[:0]
    if len(xor):
        lines += ["", "Mean over the XOR folds:", "", "| method | fidelity | conditions | seconds |", "|---|---:|---:|---:|"]
        for m, g in xor.groupby("method"):
            lines.append(f"| {m} | {g['fidelity'].mean():.3f} | {g['conditions'].mean():.0f} | {g['seconds'].mean():.1f} |")
    path = RESULTS / "decompositional_deep.md"
    old = path.read_text() if path.exists() else ""
    kept = old[old.index(NOTES_MARK):] if NOTES_MARK in old else ""     # the hand-written reading stays
    path.write_text("\n".join(lines) + "\n" + ("\n" + kept if kept else ""))


def previous_rows(methods):
    """The rows of the last results whose method is not rerun, each with the run it comes from (column
    ``run``: the command and commit; for rows written before that column, the command line of the .md)."""
    import pandas as pd
    csv, md = RESULTS / "decompositional_deep.csv", RESULTS / "decompositional_deep.md"
    if not csv.exists():
        return pd.DataFrame()
    old = pd.read_csv(csv)
    if "run" not in old:
        lines = md.read_text().splitlines() if md.exists() else []
        old["run"] = next(("{} ({})".format(*ln.removeprefix("Command: ").split("; ")[:2]) for ln in lines
                           if ln.startswith("Command:")), "")
    return old[~old["method"].isin(methods)]


def merged(kept, rows):
    """The kept rows and the new ones, in the order of the cases, folds and methods the script runs."""
    import pandas as pd
    df = pd.concat([kept, pd.DataFrame(rows)], ignore_index=True)
    order = {m: i for i, m in enumerate(("tsukimoto", "nofm", "kt"))}
    case = {c: i for i, c in enumerate(dict.fromkeys(df["case"]))}
    key = df.apply(lambda r: (case[r["case"]], str(r["fold"]), order.get(r["method"], 9)), axis=1)
    return df.loc[sorted(df.index, key=lambda i: key[i])].reset_index(drop=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=2, help="XOR folds to run of the 5")
    ap.add_argument("--skip", default="", help="comma-separated cases to leave out: xor, breast_cancer, adult, sigmoid")
    ap.add_argument("--methods", default="tsukimoto,nofm,kt",
                    help="comma-separated methods to run; the rows of the others are kept from the last results")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    methods = set(filter(None, args.methods.split(",")))
    kept = previous_rows(methods)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    load0 = os.getloadavg()
    cmd = "python benchmarks/decompositional_deep.py " + " ".join(sys.argv[1:])
    rows = []
    gens = ([xor_rows(args.folds, methods)] if "xor" not in skip else []) + \
           ([table_rows("breast_cancer", (16,), methods)] if "breast_cancer" not in skip else []) + \
           ([table_rows("adult", (32, 16), methods)] if "adult" not in skip else []) + \
           ([sigmoid_rows("breast_cancer", h, methods) for h in ((16,), (16, 8))] if "sigmoid" not in skip else [])
    for gen in gens:
        for row in gen:
            rows.append({**row, "run": f"`{cmd.strip()}` (commit {commit})"})
            print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
            df = merged(kept, rows)
            df.to_csv(RESULTS / "decompositional_deep.csv", index=False)
            load1 = os.getloadavg()
            header = ["# Decompositional methods on deep networks (issue #26, item 3)", "",
                      f"Command: `{cmd.strip()}`; commit {commit}; machine {platform.machine()}, {os.cpu_count()} "
                      f"cores; load average at start {load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f}, at the "
                      f"last row {load1[0]:.2f} / {load1[1]:.2f} / {load1[2]:.2f} (shared machine: seconds vary "
                      "with the load, the rules do not -- every method stops on its work budget).", "",
                      "XOR: ECLAIRE's protocol (1,000 points, 10 inputs uniform on [0, 1], class round(x0) XOR "
                      "round(x1); 5 stratified folds shuffled with seed 42, the first `--folds` run; a 64-32-16 tanh "
                      "network per fold trained class-balanced, `random_state` = fold; rules extracted on the "
                      "training fold, fidelity on the held-out fold). Tables: `split(random_state=0)`, network "
                      "`train_network(train, hidden, 'relu' (or 'sigmoid' where the case says so), random_state=0)`, fidelity on the test split. Every "
                      "method with its defaults. 'units approximated / read': unit readings the provenance "
                      "(`units_approximated`, `unit_readings`) marks as bounded or disagreeing with the unit on a "
                      "training row."] + (["", f"Rows of methods other than {args.methods} are kept from "
                                                 f"earlier runs: {'; '.join(dict.fromkeys(kept['run']))}."]
                                           if len(kept) else [])
            write(df, header)
    print(f"wrote {RESULTS / 'decompositional_deep.md'}")


if __name__ == "__main__":
    main()
