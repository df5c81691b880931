"""``rulex score`` and ``rulex grid``: the subcommands for data and grids larger than one machine's memory
(registered by :func:`rulex.cli.build_parser`)."""
from __future__ import annotations

import sys
from pathlib import Path

from ._cli_data import hidden_sizes, seed_list
from ._progress import working
from .formats import load_rules, write_table
from .formats.score import score_file
from .grid import run_grid, summarize

__all__ = ["add_parsers"]


def cmd_score(args):
    rules = load_rules(args.rules)
    cols = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    with working(f"scoring {args.data}", False if getattr(args, "quiet", False) else None):
        res = score_file(rules, args.data, args.out, alias=args.alias, columns=cols, memory_limit=args.memory_limit,
                         threads=args.threads)
    print(f"{res['rows']} rows scored in {res['seconds']:.2f} s; written to {res['out']}")


def cmd_grid(args):
    seeds, hidden = seed_list(args.seeds), hidden_sizes(args.hidden)
    df = run_grid(args.datasets, seeds, args.folds, args.methods, hidden, args.epochs, n_jobs=args.n_jobs,
                  scheduler=args.scheduler, max_seconds=args.max_seconds, max_rows=args.max_rows)
    if args.out:
        out = Path(args.out)
        write_table(df, out, format="parquet" if out.suffix.lower() == ".parquet" else "csv")
        print(f"{len(df)} rows written to {out}")
    summary = summarize(df)
    cols = ["data", "method", "fidelity_mean", "fidelity_std", "conditions_mean", "seconds_mean", "pareto", "errors"]
    sys.stdout.write(summary[cols].to_string(index=False) + "\n")


def add_parsers(sub) -> None:
    sp = sub.add_parser("score", help="score a Parquet/CSV file with saved rules in DuckDB (streams: no size limit)")
    sp.add_argument("rules", metavar="RULES", help="saved rules (JSON)")
    sp.add_argument("data", metavar="DATA", help=".parquet or .csv file (or a glob of them)")
    sp.add_argument("-o", "--out", required=True, help=".parquet or .csv file to write (rows + prediction)")
    sp.add_argument("--alias", default="prediction", help="name of the prediction column")
    sp.add_argument("--columns", help="comma-separated input columns to keep (default: all)")
    sp.add_argument("--memory-limit", help="DuckDB memory limit, e.g. 1GB (spills to disk beyond)")
    sp.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    sp.set_defaults(func=cmd_score)

    sp = sub.add_parser("grid", help="data sets x seeds x folds x methods as one tidy table (joblib or Dask)")
    sp.add_argument("--datasets", required=True, help="comma-separated bundled data set names")
    sp.add_argument("--seeds", default="0", help="network seeds, e.g. '0 1 2' or 0,1,2")
    sp.add_argument("--folds", type=int, default=3)
    sp.add_argument("--methods", help="comma-separated methods (default: every method that fits the task)")
    sp.add_argument("--hidden", default="16", help="hidden layer sizes, e.g. 16 or 16,8")
    sp.add_argument("--epochs", type=int, help="training epochs (default: rulex's rule)")
    sp.add_argument("--max-seconds", type=float, help="time budget of every method that takes one")
    sp.add_argument("--max-rows", type=int, help="use a fixed random subset of that many rows per data set")
    sp.add_argument("--n-jobs", type=int, default=1, help="joblib worker processes over cells")
    sp.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786 (joblib's Dask backend)")
    sp.add_argument("-o", "--out", help="write the tidy table (.csv or .parquet)")
    sp.set_defaults(func=cmd_grid)
