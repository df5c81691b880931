"""Grid comparison: data sets x methods x network seeds x cross-validation folds.

The grid itself is :mod:`rulex.grid` (also ``rulex grid`` on the command line); this script
runs it and writes the reports.

Every cell ``(data, seed, fold)`` trains one network on the fold's training rows
(``rulex.train_network(train, hidden, "sigmoid", random_state=seed)``), runs every method on that
same network and those same rows (``rulex.compare``), and scores the rules on the fold's held-out
rows: fidelity to the network, accuracy, rules, conditions, seconds and peak traced memory of the
extraction. Folds come from ``StratifiedKFold(folds, shuffle=True, random_state=0)`` on the data
set's rows, so they are the same for every seed: the seed changes only the network (and the
methods' own ``random_state``). A cell is a pure function of ``(data, seed, fold, folds, methods,
hidden, epochs)``, so the numbers do not depend on which backend or worker runs it (timing and
memory aside). Results are aggregated per (data, method) over seeds x folds as mean and standard
deviation.

Writes, per data set, benchmarks/results/compare_<data>.md (summary table), compare_<data>.csv
(one row per cell and method) and compare_<data>.png (fidelity against conditions, Pareto front
marked).

    python benchmarks/compare.py --datasets iris,breast_cancer --seeds 0 1 2 --folds 3
    python benchmarks/compare.py --datasets iris --methods surrogate_tree,cred --hidden 16 --n-jobs 2
    python benchmarks/compare.py --datasets iris --backend dask --scheduler tcp://127.0.0.1:8786
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from rulex.grid import (  # noqa: F401  (re-exported: peers/ scripts and tests use compare.<name>)
    MEASURED,
    METRICS,
    budget_params,
    cell_network,
    fold_indices,
    pareto_front,
    run_cell,
    summarize,
)
from rulex.grid import run_grid as _run_grid

RESULTS = Path(__file__).resolve().parent / "results"


def run_grid(datasets, seeds, folds: int, methods=None, hidden=(16,), epochs=None, n_jobs: int = 1,
             backend: str = "joblib", scheduler=None, max_seconds=None) -> pd.DataFrame:
    """:func:`rulex.grid.run_grid` (the grid lives in the library): ``backend="dask"`` sends the
    cells to the Dask cluster ``scheduler`` (an address, a Client or a cluster object)."""
    if backend not in ("joblib", "dask"):
        raise ValueError(f"backend must be 'joblib' or 'dask', got {backend!r}")
    if backend == "dask" and scheduler is None:
        raise SystemExit("--backend dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    return _run_grid(datasets, seeds, folds, methods, hidden, epochs, n_jobs=n_jobs,
                     scheduler=scheduler if backend == "dask" else None, max_seconds=max_seconds)


def _pm(r, m, fmt):
    mean, std = r.get(f"{m}_mean"), r.get(f"{m}_std")
    if mean is None or pd.isna(mean):
        return ""
    return format(mean, fmt) + ("" if std is None or pd.isna(std) else " ± " + format(std, fmt))


def _is_regression(cells: pd.DataFrame) -> bool:
    from rulex.data.registry import DATASETS      # the registry knows the task: no need to load the data
    return DATASETS[cells["data"].iloc[0]].task == "regression"


def write_reports(df: pd.DataFrame, summary: pd.DataFrame, args_line: str, wall: float, out=RESULTS):
    out.mkdir(exist_ok=True)
    for d in summary["data"].unique():
        cells = df[df["data"] == d]
        cells.to_csv(out / f"compare_{d}.csv", index=False)
        sub = summary[summary["data"] == d]
        n_seeds, n_folds = cells["seed"].nunique(), cells["fold"].nunique()
        netacc = cells.drop_duplicates(["seed", "fold"])["network_accuracy"]
        lines = [f"# rulex benchmark grid: {d}", "",
                 f"Produced by `python benchmarks/compare.py {args_line}` ({wall:.0f} s for the whole grid). "
                 f"Hidden layers ({cells['hidden'].iloc[0]}), sigmoid; {n_seeds} network seeds x {n_folds} "
                 f"stratified folds = {n_seeds * n_folds} cells per method; each cell trains on "
                 f"{cells['train_rows'].iloc[0]} rows and scores on {cells['test_rows'].iloc[0]} held-out rows. "
                 f"Network test {'R²' if _is_regression(cells) else 'accuracy'} "
                 f"{netacc.mean():.4f} ± {netacc.std():.4f}.", "",
                 "Values are mean ± standard deviation over seeds x folds. *fidelity*: agreement of rules and "
                 "network on held-out rows (R² for regression); *accuracy*: rules against the true labels; *seconds* and *peak MB* "
                 "are the extraction only (traced Python allocations). *Pareto*: not dominated in (fidelity "
                 "up, conditions down)."
                 + ("" if (sub["cells"] + sub["errors"]).nunique() <= 1 else
                    " Not every method ran on every cell (`--only-folds` with `--merge`): *errors* gives each "
                    "method's failed / run cells."), "",
                 "| method | kind | fidelity | accuracy | rules | conditions | seconds | peak MB | Pareto | "
                 "errors |", "|---|---|---:|---:|---:|---:|---:|---:|:---:|---:|"]
        for _, r in sub.iterrows():
            lines.append(f"| {r['method']} | {r['kind']} | {_pm(r, 'fidelity', '.4f')} | "
                         f"{_pm(r, 'accuracy', '.4f')} | {_pm(r, 'rules', '.1f')} | {_pm(r, 'conditions', '.1f')} | "
                         f"{_pm(r, 'seconds', '.2f')} | {_pm(r, 'peak_mb', '.1f')} | "
                         f"{'**yes**' if r['pareto'] else ''} | {r['errors']}/{r['cells'] + r['errors']} |")
        errs = cells[cells["error"] != ""]
        if len(errs):
            lines += ["", "Errors:", ""] + [f"- {e['method']} seed {e['seed']} fold {e['fold']}: {e['error']}"
                                            for _, e in errs.iterrows()]
        lines += ["", f"![fidelity against conditions](compare_{d}.png)", ""]
        (out / f"compare_{d}.md").write_text("\n".join(lines))
        plot(sub, d, out / f"compare_{d}.png")


def plot(sub: pd.DataFrame, data: str, path: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sub = sub.dropna(subset=["fidelity_mean", "conditions_mean"])
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    offsets = [(6, 5), (6, -11), (-6, 5), (-6, -11)]
    for i, (_, r) in enumerate(sub.sort_values("conditions_mean").iterrows()):
        color = "tab:red" if r["pareto"] else "tab:blue"
        x, sx = r["conditions_mean"], np.nan_to_num(r["conditions_std"])
        ax.errorbar(x, r["fidelity_mean"], xerr=[[min(sx, x)], [sx]],   # conditions are never negative
                    yerr=np.nan_to_num(r["fidelity_std"]), fmt="o", color=color, capsize=3, alpha=0.85)
        dx, dy = offsets[i % len(offsets)]
        ax.annotate(r["method"], (x, r["fidelity_mean"]), textcoords="offset points", xytext=(dx, dy),
                    fontsize=8, ha="left" if dx > 0 else "right")
    front = sub[sub["pareto"]].sort_values("conditions_mean")
    if len(front):
        ax.step(front["conditions_mean"], front["fidelity_mean"], where="post", color="tab:red", lw=1.2,
                label="Pareto front")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(left=0)
    ax.set_xlabel("conditions (mean ± std over seeds x folds)")
    ax.set_ylabel("fidelity to the network (held-out)")
    ax.set_title(f"{data}: fidelity against rule-set size")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _hidden(text: str) -> tuple:
    return tuple(int(h) for h in text.replace(" ", "").split(",") if h)


def merge_existing(df: pd.DataFrame, methods, out=RESULTS) -> pd.DataFrame:
    """New rows for ``methods`` plus the other methods' rows of each data set's existing CSV. The cells
    must be the same networks: each cell's network accuracy is checked against the CSV's."""
    parts = []
    for d in df["data"].unique():
        new = df[df["data"] == d]
        path = Path(out) / f"compare_{d}.csv"
        if path.exists():
            old = pd.read_csv(path, keep_default_na=False, na_values=[""])
            old["error"] = old["error"].astype(object).fillna("")     # all-empty: read as floats
            key = ["seed", "fold"]
            a = new.drop_duplicates(key).set_index(key)["network_accuracy"]
            b = old.drop_duplicates(key).set_index(key)["network_accuracy"]
            common = a.index.intersection(b.index)
            if len(common) != len(a) or not np.allclose(a[common], b[common]):
                raise SystemExit(f"--merge: {path.name} holds other cells or networks than this run")
            replaced = old["method"].isin(methods or new["method"].unique())
            if len(common) < len(b):                  # a subset of the cells (--only-folds): keep the others
                replaced &= pd.MultiIndex.from_frame(old[key]).isin(a.index)
            parts.append(old[~replaced])
        parts.append(new)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["data", "seed", "fold", "method"], kind="stable").reset_index(drop=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="iris,breast_cancer", help="comma-separated data set names")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--methods", default=None, help="comma-separated (default: every method that fits the task)")
    ap.add_argument("--hidden", type=_hidden, default=(16,), help="hidden layer sizes, e.g. 16 or 16,8")
    ap.add_argument("--epochs", type=int, default=None, help="training epochs (default: rulex's rule)")
    ap.add_argument("--n-jobs", type=int, default=1, help="joblib processes over cells (default 1)")
    ap.add_argument("--backend", choices=("joblib", "dask"), default="joblib")
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address (with --backend dask)")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="time budget of every method that takes one (max_seconds; default: each method's own)")
    ap.add_argument("--only-folds", type=int, nargs="+", default=None,
                    help="run only these folds of the split (e.g. 0 on a large set; with --merge the other "
                         "cells keep their rows)")
    ap.add_argument("--merge", action="store_true",
                    help="keep the other methods' rows of the existing compare_<data>.csv (same cells) and "
                         "replace only those of --methods")
    args = ap.parse_args(argv)
    if len(args.seeds) < 1 or args.folds < 2:
        ap.error("need at least one seed and two folds")
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()] if args.methods else None
    started = time.perf_counter()
    if args.only_folds:
        df = pd.DataFrame([row for d in datasets for s in args.seeds for f in args.only_folds
                           for row in run_cell(d, s, f, args.folds, methods, args.hidden, args.epochs,
                                               args.max_seconds)])
    else:
        df = run_grid(datasets, args.seeds, args.folds, methods, args.hidden, args.epochs, args.n_jobs,
                      args.backend, args.scheduler, args.max_seconds)
    wall = time.perf_counter() - started
    if args.merge:
        df = merge_existing(df, methods)
    summary = summarize(df)
    args_line = (f"--datasets {','.join(datasets)} --seeds {' '.join(map(str, args.seeds))} --folds {args.folds}"
                 + (f" --only-folds {' '.join(map(str, args.only_folds))}" if args.only_folds else "")
                 + (f" --methods {','.join(methods)}" if methods else "")
                 + f" --hidden {','.join(map(str, args.hidden))}" + (f" --epochs {args.epochs}" if args.epochs else "")
                 + (f" --max-seconds {args.max_seconds:g}" if args.max_seconds else "")
                 + (" --merge (the other methods' rows kept from the previous run of the same cells)"
                    if args.merge else ""))
    write_reports(df, summary, args_line, wall)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary[["data", "method", "fidelity_mean", "fidelity_std", "rules_mean", "conditions_mean",
                       "seconds_mean", "peak_mb_mean", "pareto", "errors"]].to_string(index=False))
    print(f"{wall:.1f} s; wrote " + ", ".join(f"compare_{d}.md/.csv/.png" for d in datasets) + f" in {RESULTS}")


if __name__ == "__main__":
    main()
