"""rulex's hyper-cube methods at PSyKE's size: a second rulex setting for the family table of
peers_psyke.md.

The rule, the same on every data set and family: where rulex's method (default settings) has more
mean rules than PSyKE's best setting of the same family (the one the family table shows), rulex's
method is also run with ``max_rules`` equal to the rules of that PSyKE setting **on the same cell**
(the same network, rebuilt by ``compare.cell_network`` and checked against the recorded network
accuracy). Its rows are stored in peers_psyke.csv as method ``<method>@psyke-size`` (side rulex) and
shown beside the default row; the default rows stay as they are. PSyKE is not run.

    python benchmarks/peers/psyke_size.py                      # every data set of peers_psyke.csv
    python benchmarks/peers/psyke_size.py --datasets iris,wine
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def _load_peer():
    """benchmarks/peers/psyke.py, under another name ("psyke" is PSyKE's own package)."""
    import importlib.util
    if "peers_psyke" in sys.modules:
        return sys.modules["peers_psyke"]
    spec = importlib.util.spec_from_file_location("peers_psyke", HERE / "psyke.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["peers_psyke"] = module
    spec.loader.exec_module(module)
    return module


psyke = _load_peer()

SUFFIX = "@psyke-size"


def members(methods, prefixes):
    return [m for m in methods if any(m == p or (p.endswith("-") and m.startswith(p)) for p in prefixes)]


def plan(df: pd.DataFrame, data: str) -> list:
    """``[(rulex method, PSyKE setting, {(seed, fold): max_rules})]`` for ``data`` under the rule above."""
    summary = psyke.summarize(df[(df["data"] == data) & ~df["method"].str.endswith(SUFFIX)])
    out = []
    for ours, (_, prefixes) in psyke.FAMILIES.items():
        o = summary[(summary["side"] == "rulex") & (summary["method"] == ours)]
        theirs = summary[(summary["side"] == "psyke") & summary["method"].isin(members(summary["method"], prefixes))]
        t = psyke.best(theirs) if len(theirs) else None
        if not len(o) or t is None or not o.iloc[0]["complete"] or o.iloc[0]["rules_mean"] <= t["rules_mean"] + 1e-12:
            continue
        rows = df[(df["data"] == data) & (df["side"] == "psyke") & (df["method"] == t["method"])]
        out.append((ours, t["method"], {(int(r.seed), int(r.fold)): int(round(r.rules)) for r in rows.itertuples()}))
    return out


def run(df: pd.DataFrame, meta: dict, data: str, max_seconds: float = 30.0) -> pd.DataFrame:
    from rulex.compare import compare as rulex_compare
    todo = plan(df, data)
    m = meta.get(data, {})
    rows = []
    cells = sorted({c for _, _, ks in todo for c in ks})
    for seed, fold in cells:
        net, train, test = psyke.compare.cell_network(data, seed, fold, m.get("folds", 3),
                                                      tuple(m.get("hidden", (16,))), m.get("epochs"))
        recorded = df[(df["data"] == data) & (df["seed"] == seed) & (df["fold"] == fold)]["network_accuracy"].iloc[0]
        from rulex.metrics import agreement
        acc = agreement(net.predict(test.frame), test.y.to_numpy(), net.task)
        if abs(acc - float(recorded)) > 1e-9:
            raise SystemExit(f"{data} seed {seed} fold {fold}: the rebuilt network differs ({acc} vs {recorded})")
        for ours, setting, ks in todo:
            if (seed, fold) not in ks:
                continue
            k = ks[(seed, fold)]
            table = rulex_compare(net, train, test, methods=[ours], random_state=seed, progress=False,
                                  params={ours: {"max_rules": k, "max_seconds": max_seconds}})
            r = table.iloc[0]
            err = r["error"] if isinstance(r["error"], str) else ""
            rows.append({"data": data, "seed": seed, "fold": fold, "side": "rulex", "method": ours + SUFFIX,
                         "status": "ok" if not err else "error", "fidelity": r["fidelity"],
                         "accuracy": r["accuracy"], "coverage": np.nan, "rules": r["rules"],
                         "conditions": r["conditions"], "psyke_n_rules": np.nan, "seconds": r["seconds"],
                         "train_rows": len(train), "test_rows": len(test), "inputs": np.nan,
                         "network_accuracy": acc, "error": err})
            print(f"  {data} seed {seed} fold {fold}: {ours} max_rules={k} (as {setting}) -> "
                  f"{r['fidelity']:.4f}, {r['rules']} rules", flush=True)
    m["psyke_size"] = {"rule": "max_rules = rules of PSyKE's best family setting on the same cell, where "
                               "rulex's default has more mean rules",
                       "runs": {ours: setting for ours, setting, _ in todo},
                       "max_seconds": max_seconds}
    meta[data] = m
    return pd.DataFrame(rows, columns=psyke.COLUMNS)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=None, help="comma-separated (default: every data set of peers_psyke.csv)")
    ap.add_argument("--max-seconds", type=float, default=30.0, help="rulex's budget per method and cell (default 30)")
    args = ap.parse_args(argv)
    out = psyke.RESULTS
    df = pd.read_csv(out / "peers_psyke.csv", keep_default_na=False, na_values=[""])
    df["error"] = psyke._text(df["error"])
    meta = json.loads((out / "peers_psyke.json").read_text())
    datasets = args.datasets.split(",") if args.datasets else list(dict.fromkeys(df["data"]))
    for d in datasets:
        t = time.perf_counter()
        new = run(df, meta, d, args.max_seconds)
        keep = ~((df["data"] == d) & df["method"].str.endswith(SUFFIX))
        df = pd.concat([df[keep], new], ignore_index=True)
        psyke.write_reports(df, meta, out)                    # after every data set
        print(f"{d}: {time.perf_counter() - t:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
