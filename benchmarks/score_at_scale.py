"""Scoring at scale: rules applied to a 3-million-row Parquet file, in DuckDB and on Dask.

Generates ``--rows`` rows (default 3,000,000) by resampling the adult data set's test rows
(seed 0) into a Parquet file in a temporary folder (never committed), extracts rules from a
small network (``surrogate_tree``, ordered, and ``cred``, unordered), then for each rule set:

* ``rulex score RULES DATA.parquet --out scored.parquet`` in a fresh process (the CLI, DuckDB
  over the file, ``--threads``); wall time and the child's peak RSS (``getrusage``);
* ``rulex.formats.score.predict_dask`` on ``dask.dataframe.read_parquet`` with a ``LocalCluster``
  of two process workers, written back to Parquet (``--dask``, on by default);

and checks both outputs against ``RuleSet.predict`` on a random sample of rows (``--sample``).
Writes benchmarks/results/score_at_scale.md and .json.

    python benchmarks/score_at_scale.py [--rows 3000000] [--threads 2] [--sample 100000] [--no-dask]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"


def make_parquet(path: Path, rows: int, chunk: int = 250_000):
    """``rows`` rows resampled (with replacement, seed 0) from adult's test split, written in chunks."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import rulex
    _, test = rulex.load_dataset("adult").split(random_state=0)
    base = test.X.reset_index(drop=True)
    rng = np.random.default_rng(0)
    writer = None
    try:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            part = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True)
            table = pa.Table.from_pandas(part, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return base.columns.tolist()


def rules_for(method: str):
    import rulex
    train, _ = rulex.load_dataset("adult").split(random_state=0)
    small = train.subset(np.arange(2000))
    net = rulex.train_network(small, (8,), "sigmoid", max_epochs=30, random_state=0)
    return rulex.extract(net, small, method=method, random_state=0)


def sample_rows(path: Path, n: int, seed: int = 0) -> pd.DataFrame:
    """A reproducible random sample of ``n`` rows of a Parquet file (DuckDB reservoir sample)."""
    import duckdb
    con = duckdb.connect()
    try:
        return con.execute(f"SELECT * FROM read_parquet('{path}') USING SAMPLE reservoir({int(n)} ROWS) "
                           f"REPEATABLE ({seed})").df()
    finally:
        con.close()


def agreement(scored: Path, rules, columns, n: int) -> tuple[float, int]:
    rows = sample_rows(scored, n)
    X = rows[columns]
    for c in X.columns:                         # DuckDB returns object columns as str: same values
        if X[c].dtype == object:
            X[c] = X[c].astype(object)
    expected = np.asarray(rules.predict(X)).astype(str)
    got = rows["prediction"].astype(str).to_numpy()
    return float((expected == got).mean()), len(rows)


def score_cli(rules_path: Path, data: Path, out: Path, threads: int) -> dict:
    # the CLI's own main() in a fresh interpreter that reports its peak RSS when done
    child = ("import resource, sys\nfrom rulex.cli import main\nrc = main(sys.argv[1:])\n"
             "print('peak_rss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\nsys.exit(rc)\n")
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", child, "score", str(rules_path), str(data), "--out", str(out),
                           "--threads", str(threads)], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"rulex score failed: {proc.stderr.strip()}")
    import re
    scored = re.search(r"scored in ([0-9.]+) s", proc.stdout)
    peak_kb = int(re.search(r"peak_rss_kb (\d+)", proc.stdout).group(1))
    return {"seconds": wall, "duckdb_seconds": float(scored.group(1)) if scored else None,
            "peak_rss_mb": peak_kb / 1024, "stdout": proc.stdout.strip().splitlines()[0]}


def score_dask(rules, data: Path, out: Path) -> dict:
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    from rulex.formats.score import predict_dask
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit="2GiB", silence_logs=40) as cluster, Client(cluster) as client:
        t = time.perf_counter()
        ddf = dd.read_parquet(str(data), split_row_groups=True)
        predict_dask(rules, ddf).to_parquet(str(out), write_index=False)
        wall = time.perf_counter() - t
        mem = client.run(lambda: __import__("resource").getrusage(__import__("resource").RUSAGE_SELF).ru_maxrss)
    return {"seconds": wall, "partitions": int(ddf.npartitions),
            "worker_peak_rss_mb": max(mem.values()) / 1024}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3_000_000)
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads for rulex score")
    ap.add_argument("--sample", type=int, default=100_000, help="rows checked against RuleSet.predict")
    ap.add_argument("--methods", default="surrogate_tree,cred")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--out", default=str(RESULTS / "score_at_scale"))
    args = ap.parse_args(argv)
    import rulex
    results = {"rows": args.rows, "threads": args.threads, "sample": args.sample, "runs": []}
    with tempfile.TemporaryDirectory(prefix="rulex-scale-") as tmp:
        tmp = Path(tmp)
        data = tmp / "data.parquet"
        t = time.perf_counter()
        columns = make_parquet(data, args.rows)
        results["generate_seconds"] = time.perf_counter() - t
        results["file_mb"] = data.stat().st_size / 2 ** 20
        print(f"{args.rows} rows -> {data} ({results['file_mb']:.0f} MB) in {results['generate_seconds']:.1f} s")
        for method in [m.strip() for m in args.methods.split(",") if m.strip()]:
            rules = rules_for(method)
            rules_path = tmp / f"{method}.json"
            rulex.save_rules(rules, rules_path)
            run = {"method": method, "semantics": rules.semantics, "rules": len(rules)}
            out = tmp / f"scored_{method}.parquet"
            run["duckdb"] = score_cli(rules_path, data, out, args.threads)
            run["duckdb"]["agreement"], run["duckdb"]["checked"] = agreement(out, rules, columns, args.sample)
            print(f"{method}: rulex score {run['duckdb']['duckdb_seconds']:.1f} s ({run['duckdb']['seconds']:.1f} s "
                  f"with start-up), peak RSS "
                  f"{run['duckdb']['peak_rss_mb']:.0f} MB, agreement {run['duckdb']['agreement']:.6f}")
            if not args.no_dask:
                dout = tmp / f"dask_{method}"
                run["dask"] = score_dask(rules, data, dout)
                run["dask"]["agreement"], run["dask"]["checked"] = agreement(dout / "*.parquet", rules, columns,
                                                                             args.sample)
                print(f"{method}: Dask {run['dask']['seconds']:.1f} s on {run['dask']['partitions']} partitions, "
                      f"agreement {run['dask']['agreement']:.6f}")
            results["runs"].append(run)
    write(results, Path(args.out))


def write(results: dict, out: Path):
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    lines = ["# Scoring at scale", "",
             f"Produced by `python benchmarks/score_at_scale.py --rows {results['rows']} --threads {results['threads']}"
             f" --sample {results['sample']}`: a {results['rows']:,}-row Parquet file ({results['file_mb']:.0f} MB, "
             "adult's test rows resampled with seed 0; generated, not committed), rules from an 8-unit network "
             "trained on 2,000 adult rows. *rulex score*: the CLI in a fresh process (DuckDB over the file, "
             "streaming): *DuckDB s* is the scoring itself (read, score, write), *CLI s* the wall time including "
             "interpreter start-up and `import rulex` (torch), *peak RSS* the whole process's. *Dask*: "
             "`predict_dask` on `read_parquet` with a LocalCluster of 2 process workers, written to Parquet; peak "
             "RSS of the largest worker. *agreement*: share of a random sample of output rows whose prediction "
             "equals `RuleSet.predict` on the same row.", "",
             "| method | semantics | rules | DuckDB s | CLI s | peak RSS MB | agreement (rows) | Dask s | Dask worker "
             "peak MB | Dask agreement |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results["runs"]:
        d, k = r["duckdb"], r.get("dask")
        lines.append(f"| {r['method']} | {r['semantics']} | {r['rules']} | {d['duckdb_seconds']:.1f} | {d['seconds']:.1f} | {d['peak_rss_mb']:.0f}"
                     f" | {d['agreement']:.4%} ({d['checked']:,}) | "
                     + (f"{k['seconds']:.1f} | {k['worker_peak_rss_mb']:.0f} | {k['agreement']:.4%}" if k else "- | - | -")
                     + " |")
    lines += ["", f"Machine: {os.cpu_count()} cores (shared); file generation {results['generate_seconds']:.0f} s.", ""]
    out.with_suffix(".md").write_text("\n".join(lines))
    print(f"wrote {out.with_suffix('.md')} and .json")


if __name__ == "__main__":
    main()
