"""rulex.compress before and after, for every extractor on every bundled data set.

For each bundled data set and each registered method (``auto`` aside: it already picks the
smallest rule set), on one grid cell (``rulex.grid.cell_network(data, seed=0, fold=0, folds=3)``:
a (16,) sigmoid network trained on two thirds of the rows), the script extracts rules on the
training rows (``random_state=0``, ``max_seconds`` per method, ``on_budget="partial"`` where the
method has it), then calls ``rulex.compress(rules, net, train, tolerance=t, random_state=0)`` for
t = 0.0 and 0.01. Every rule set is scored on the held-out third: fidelity to the network,
rules, conditions, and the seconds of the extraction or of the compression.

``compress`` guarantees its tolerance on its own sample (the training rows plus 4,000 sampler
points, half perturbations and half marginal draws, each change checked on the rows and on both halves); on the held-out rows fidelity may move either way, and the report lists every case where
it fell by more than the tolerance.

Each data set runs in its own process (a crash or a kill leaves the sets already done in the
results); ``compress.csv`` keeps one row per (data, method, stage) and a rerun of a set replaces
its rows. The Markdown summary is rebuilt from the CSV after every set.

    nice -n 10 python benchmarks/compress.py --datasets iris,breast_cancer
    nice -n 10 python benchmarks/compress.py                 # every bundled set
    python benchmarks/compress.py --report-only              # rebuild compress.md from compress.csv
"""
from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
TOLERANCES = (0.0, 0.01)
COLUMNS = ["data", "method", "kind", "stage", "tolerance", "train_rows", "test_rows", "network_accuracy",
           "fidelity", "rules", "conditions", "seconds", "sample_fidelity_before", "sample_fidelity_after",
           "complete", "note"]


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _alarm(seconds: float):
    """Raise :class:`_Timeout` in this (main) thread after ``seconds`` of wall time."""
    def handler(signum, frame):
        raise _Timeout
    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _methods():
    from rulex.extractors.base import EXTRACTORS
    return sorted(m for m in EXTRACTORS if m != "auto")


def _params(method, max_seconds):
    from rulex.extractors.base import EXTRACTORS
    have = EXTRACTORS[method]().get_params(deep=False)
    p = {}
    if "random_state" in have:
        p["random_state"] = 0
    if "max_seconds" in have:
        p["max_seconds"] = float(max_seconds)
    if "on_budget" in have:
        p["on_budget"] = "partial"
    return p


def run_dataset(data: str, max_seconds: float, compress_seconds: float, methods=None) -> list[dict]:
    """All rows of one data set (one network, every method, before and after compression)."""
    import rulex
    from rulex.exceptions import RulexError
    from rulex.extractors.base import EXTRACTORS, get_extractor
    from rulex.grid import cell_network
    from rulex.metrics import agreement
    net, train, test = cell_network(data, seed=0, fold=0, folds=3)
    net_acc = agreement(net.predict(test.frame), test.y.to_numpy(), net.task)
    base = {"data": data, "train_rows": len(train), "test_rows": len(test), "network_accuracy": net_acc}
    rows = []

    def row(method, stage, tol, rules=None, seconds=np.nan, note="", complete=None, sample=(np.nan, np.nan)):
        r = {**base, "method": method, "kind": EXTRACTORS[method].kind, "stage": stage, "tolerance": tol,
             "seconds": seconds, "note": note, "complete": complete,
             "sample_fidelity_before": sample[0], "sample_fidelity_after": sample[1]}
        if rules is not None:
            rep = rulex.evaluate(rules, net, test)
            r.update(fidelity=rep.fidelity, rules=rep.n_rules, conditions=rep.n_conditions)
        rows.append(r)

    for m in methods or _methods():
        cls = EXTRACTORS[m]
        if net.task == "regression" and not cls.supports_regression:
            row(m, "extracted", np.nan, note="skipped: the method extracts classification rules only")
            continue
        try:
            ex = get_extractor(m, **_params(m, max_seconds))
            with warnings.catch_warnings(), _alarm(max_seconds * 3 + 30):
                warnings.simplefilter("ignore")
                ex.fit(net, train)
        except _Timeout:
            row(m, "extracted", np.nan, note=f"extraction: no result after {max_seconds * 3 + 30:.0f} s (killed)")
            continue
        except (RulexError, NotImplementedError, MemoryError) as exc:
            row(m, "extracted", np.nan, note=f"extraction: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            continue
        rules = ex.rules_
        complete = bool(rules.provenance.get("complete", True))
        row(m, "extracted", np.nan, rules, ex.extraction_seconds_, complete=complete,
            note="" if complete else "partial result (budget)")
        for tol in TOLERANCES:
            t0 = time.perf_counter()
            try:
                with _alarm(compress_seconds):
                    small = rulex.compress(rules, net, train, tolerance=tol, random_state=0)
            except _Timeout:
                row(m, "compressed", tol, note=f"compress: stopped after {compress_seconds:.0f} s (no result)",
                    seconds=time.perf_counter() - t0)
                continue
            except RulexError as exc:
                row(m, "compressed", tol, note=f"compress: {type(exc).__name__}: {str(exc).splitlines()[0]}",
                    seconds=time.perf_counter() - t0)
                continue
            seconds = time.perf_counter() - t0
            rec = small.provenance["compression"]
            row(m, "compressed", tol, small, seconds, complete=complete,
                sample=(rec["fidelity_before"], rec["fidelity_after"]))
        print(f"  {data} {m}: done", flush=True)
    return rows


# -- report ----------------------------------------------------------------------------------------
def _wide(df: pd.DataFrame) -> pd.DataFrame:
    """One line per (data, method): before, and after each tolerance."""
    df = df.assign(note=df["note"].astype(object).where(df["note"].notna(), "").astype(str))
    out = []
    for (d, m), g in df.groupby(["data", "method"], sort=False):
        ext = g[g["stage"] == "extracted"].iloc[0]
        r = {"data": d, "method": m, "fidelity": ext["fidelity"], "rules": ext["rules"],
             "conditions": ext["conditions"], "seconds": ext["seconds"], "note": ext["note"] or ""}
        for tol in TOLERANCES:
            c = g[(g["stage"] == "compressed") & np.isclose(g["tolerance"].astype(float), tol)]
            k = f"{tol:g}"
            if len(c):
                c = c.iloc[0]
                r.update({f"fidelity@{k}": c["fidelity"], f"rules@{k}": c["rules"],
                          f"conditions@{k}": c["conditions"], f"seconds@{k}": c["seconds"],
                          f"sample_delta@{k}": c["sample_fidelity_after"] - c["sample_fidelity_before"]})
                if c["note"] and not r["note"]:
                    r["note"] = c["note"]
        out.append(r)
    return pd.DataFrame(out)


def _f(v, fmt="{:.4f}"):
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else fmt.format(v)


def _i(v):
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(int(v))


def write_report(df: pd.DataFrame, args_line: str, out: Path = RESULTS) -> str:
    w = _wide(df)
    ran = list(dict.fromkeys(df["data"]))
    lines = [
        "# rulex.compress: before and after, every method on every bundled set", "",
        f"Produced by `{args_line}`. One cell per data set (`rulex.grid.cell_network(data, seed=0, fold=0, "
        "folds=3)`: a (16,) sigmoid network trained on two thirds of the rows); every method extracts on the "
        "training rows (random_state=0, a per-method budget, on_budget='partial' where the method has it); "
        "`rulex.compress(rules, net, train, tolerance=t, random_state=0)` for t = 0 and 0.01. *fidelity* is "
        "agreement with the network on the **held-out** third; *seconds* is the extraction, then each "
        "compression. compress guarantees its tolerance on its own sample (training rows + 4,000 sampler "
        "points), not on held-out rows.", "",
        f"Data sets in this file: {', '.join(ran)}.", "",
        "## Summary per method", "",
        "Over the data sets where the method and compress both ran: median share of conditions removed, "
        "median held-out fidelity change, and the number of sets where held-out fidelity fell by more than "
        "the tolerance; *worst Δ on sample* is the lowest fidelity change compress measured on its own sample "
        "(never below -t by construction).", "",
        "| method | sets | median conditions removed (t=0) | median Δ fidelity (t=0) | drops > t (t=0) "
        "| worst Δ on sample (t=0) | median conditions removed (t=0.01) | median Δ fidelity (t=0.01) "
        "| drops > t (t=0.01) | worst Δ on sample (t=0.01) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    drops = []
    for m, g in w.groupby("method"):
        cells = [m]
        ok0 = g[g["fidelity@0"].notna()] if "fidelity@0" in g else g.iloc[:0]
        cells.append(str(len(ok0)))
        for tol in TOLERANCES:
            k = f"{tol:g}"
            if f"fidelity@{k}" not in g:
                cells += ["", "", "", ""]
                continue
            ok = g[g[f"fidelity@{k}"].notna() & g["fidelity"].notna()]
            if not len(ok):
                cells += ["", "", "", ""]
                continue
            cond = ok["conditions"].astype(float)
            removed = np.where(cond > 0, 1 - ok[f"conditions@{k}"].astype(float) / cond.where(cond > 0, 1), 0.0)
            delta = ok[f"fidelity@{k}"] - ok["fidelity"]
            fell = ok[delta < -tol - 1e-12]
            for _, r in fell.iterrows():
                drops.append((r["data"], m, tol, r["fidelity"], r[f"fidelity@{k}"]))
            cells += [f"{np.median(removed):.0%}", f"{np.median(delta):+.4f}", str(len(fell)),
                      f"{ok[f'sample_delta@{k}'].min():+.4f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Over all (set, method) pairs where both ran:", ""]
    for tol in TOLERANCES:
        k = f"{tol:g}"
        if f"fidelity@{k}" not in w:
            continue
        ok = w[w[f"fidelity@{k}"].notna() & w["fidelity"].notna()]
        cond = ok["conditions"].astype(float)
        shrunk = ok[cond > 0]
        removed = 1 - shrunk[f"conditions@{k}"].astype(float) / shrunk["conditions"].astype(float)
        delta = ok[f"fidelity@{k}"] - ok["fidelity"]
        lines.append(f"- t={k}: {len(ok)} pairs; conditions removed: median {np.median(removed):.0%} over the "
                     f"{len(shrunk)} with conditions, {int((removed > 0).sum())} shrunk; held-out fidelity "
                     f"rose in {int((delta > 1e-12).sum())}, unchanged in {int((delta.abs() <= 1e-12).sum())}, "
                     f"fell within t in {int(((delta < -1e-12) & (delta >= -tol - 1e-12)).sum())}, fell by more "
                     f"than t in {int((delta < -tol - 1e-12).sum())} (by more than 0.05 in "
                     f"{int((delta < -0.05).sum())}).")
    lines += ["", "## Held-out fidelity lower by more than the tolerance", "",
              "*net rows*: the drop times the held-out rows (rows that turned wrong minus rows that turned right).",
              ""]
    if drops:
        lines += ["| data | method | tolerance | fidelity before | fidelity after | drop (net rows) |",
                  "|---|---|---:|---:|---:|---:|"]
        n_test = df.drop_duplicates("data").set_index("data")["test_rows"]
        for d, m, tol, b, a in drops:
            lines.append(f"| {d} | {m} | {tol:g} | {b:.4f} | {a:.4f} | {b - a:.4f} "
                         f"({round((b - a) * n_test[d])} of {n_test[d]} rows) |")
    else:
        lines.append("None: on every held-out third, compressed rules kept fidelity within the tolerance.")
    lines += ["", "## Every set and method", "",
              "Before: extracted rules; @0 and @0.01: after compress with that tolerance.", "",
              "| data | method | fidelity | rules | conditions | s | fidelity@0 | rules@0 | conditions@0 | s@0 "
              "| fidelity@0.01 | rules@0.01 | conditions@0.01 | s@0.01 | note |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for _, r in w.iterrows():
        cells = [r["data"], r["method"], _f(r["fidelity"]), _i(r["rules"]), _i(r["conditions"]),
                 _f(r["seconds"], "{:.2f}")]
        for tol in TOLERANCES:
            k = f"{tol:g}"
            cells += [_f(r.get(f"fidelity@{k}")), _i(r.get(f"rules@{k}")), _i(r.get(f"conditions@{k}")),
                      _f(r.get(f"seconds@{k}"), "{:.2f}")]
        cells.append(str(r["note"]).replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    (out / "compress.md").write_text(text, encoding="utf-8")
    return text


def _store(rows: list[dict], out: Path = RESULTS) -> pd.DataFrame:
    """Replace the rows of these data sets and methods in compress.csv (keep the others)."""
    path = out / "compress.csv"
    new = pd.DataFrame(rows, columns=COLUMNS)
    if path.exists():
        old = pd.read_csv(path, keep_default_na=True)
        redone = set(zip(new["data"], new["method"]))
        old = old[[(d, m) not in redone for d, m in zip(old["data"], old["method"])]]
        new = pd.concat([old, new], ignore_index=True) if len(old) else new
    new.to_csv(path, index=False)
    return pd.read_csv(path)


def main(argv=None):
    from rulex.data.registry import DATASETS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated bundled data sets")
    ap.add_argument("--methods", default=None, help="comma-separated methods (default: every one but auto)")
    ap.add_argument("--max-seconds", type=float, default=20.0, help="extraction budget per method")
    ap.add_argument("--compress-seconds", type=float, default=180.0, help="wall-time cap per compress call")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)   # worker: this process, one set
    ap.add_argument("--report-only", action="store_true", help="rebuild compress.md from compress.csv")
    args = ap.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    line = "python benchmarks/compress.py" + (f" --max-seconds {args.max_seconds:g}" if args.max_seconds != 20 else "")
    if args.report_only:
        print(write_report(pd.read_csv(RESULTS / "compress.csv"), line))
        return 0
    sets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    for d in sets:
        if d not in DATASETS:
            raise SystemExit(f"unknown data set {d!r}; bundled: {', '.join(DATASETS)}")
    methods = [m.strip() for m in args.methods.split(",")] if args.methods else None
    if args.one:
        for d in sets:
            t = time.perf_counter()
            rows = run_dataset(d, args.max_seconds, args.compress_seconds, methods)
            df = _store(rows)
            write_report(df, line)
            print(f"{d}: {time.perf_counter() - t:.0f} s", flush=True)
        return 0
    failed = []
    for d in sets:                  # one process per set: a crash or a kill keeps the sets already done
        cmd = [sys.executable, __file__, "--one", "--datasets", d, "--max-seconds", str(args.max_seconds),
               "--compress-seconds", str(args.compress_seconds)] + (["--methods", args.methods] if args.methods else [])
        if subprocess.run(cmd).returncode != 0:
            failed.append(d)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
