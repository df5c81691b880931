"""Concept recovery: do the extracted rules *equal* the known concept on its whole input space?

On generated problems whose concept is known and whose input space is finite, a rule set is
logically equivalent to the concept exactly when it predicts the concept on every point of the
space, so the check is exact (no sampling):

* xor: parity of x0, x1 among 8 binary inputs (``make_xor(8, 2)``); the network is trained on the
  full 256-point space and the rules are checked on all 256 points;
* monk1, monk2, monk3: ``make_monk(p, noise=0.0)`` (MONK-3 *without* its usual 5 % label noise);
  the network is trained on the predefined training sample (``ds.split()``: 124 / 169 / 122 rows),
  rules are extracted on that sample and checked on all 432 points.

Networks: ``rulex.train_network(train, (8,), "sigmoid", random_state=seed)``. Every available
classification method runs on the same network (``rulex.compare``); tsukimoto gets
``max_order=6`` since the inputs are discrete with 6-8 features.

Writes benchmarks/results/recovery.md and recovery.csv.

    python benchmarks/recovery.py                  # seeds 0 1 2 (a few minutes on 2 cores)
    python benchmarks/recovery.py --seeds 0        # one seed
"""
from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
PROBLEMS = ("xor", "monk1", "monk2", "monk3")
HIDDEN = (8,)
PARAMS = {"tsukimoto": {"max_order": 6}}
CONCEPT_TEXT = {
    "xor": "x0 xor x1 (8 binary inputs, 256 points)",
    "monk1": "(a1 == a2) or (a5 == 1)  (432 points)",
    "monk2": "exactly two of a1..a6 take their first value  (432 points)",
    "monk3": "(a5 == 3 and a4 == 1) or (a5 != 4 and a2 != 3), no label noise  (432 points)",
}


# -- the problems and their concepts ----------------------------------------------------------
def problem_data(name: str):
    """``(train, space)``: the rows to train/extract on and the whole finite input space."""
    from rulex.data.generated import make_monk, make_xor
    if name == "xor":
        ds = make_xor(8, 2)
        return ds, ds
    if name.startswith("monk"):
        train, space = make_monk(int(name[4:]), noise=0.0).split()
        return train, space
    raise ValueError(f"unknown problem {name!r}; use one of {PROBLEMS}")


def concept(name: str, frame: pd.DataFrame) -> np.ndarray:
    """The true concept on ``frame``, computed from its definition (not from the data's labels)."""
    from rulex.data.generated import MONK_CONCEPTS
    if name == "xor":
        return ((frame["x0"].to_numpy() + frame["x1"].to_numpy()) % 2).astype(np.int64)
    return np.asarray(MONK_CONCEPTS[int(name[4:])](frame), dtype=np.int64)


def equivalence(rules, frame: pd.DataFrame, truth) -> tuple[bool, float]:
    """``(equivalent, agreement)`` of ``rules`` (anything with ``predict(frame)``) with ``truth``.

    ``frame`` must be the *whole* finite input space: then "predicts ``truth`` on every row" is
    logical equivalence, not an estimate. ``agreement`` is the share of rows where they agree.
    """
    pred = np.asarray(rules.predict(frame))
    truth = np.asarray(truth)
    if pred.shape != truth.shape:
        raise ValueError(f"rules predicted {pred.shape} values for {truth.shape} truth values")
    agree = pred.astype(truth.dtype, copy=False) == truth if pred.dtype != object else \
        np.array([p == t for p, t in zip(pred, truth)])
    return bool(agree.all()), float(agree.mean())


# -- one (problem, seed) ------------------------------------------------------------------------
def run_problem(name: str, seed: int, methods=None) -> list[dict]:
    import rulex
    warnings.simplefilter("ignore")
    train, space = problem_data(name)
    truth = concept(name, space.frame)
    net = rulex.train_network(train, HIDDEN, "sigmoid", random_state=seed)
    y_net = np.asarray(net.predict(space.frame))
    net_equiv, net_fid = equivalence(net, space.frame, truth)
    if methods is None:
        methods = [m for m, info in rulex.available_methods().items()]
    params = {m: p for m, p in PARAMS.items() if m in methods}
    table, rulesets = rulex.compare(net, train, space, methods=methods, params=params, random_state=seed,
                                    progress=False, return_rules=True)
    rows = []
    for _, r in table.iterrows():
        m = r["method"]
        row = {"problem": name, "seed": seed, "method": m, "kind": r["kind"], "space_rows": len(space),
               "train_rows": len(train), "network_concept_fidelity": net_fid, "network_equivalent": net_equiv}
        if m in rulesets:
            rs = rulesets[m]
            eq, fid_concept = equivalence(rs, space.frame, truth)
            pred = np.asarray(rs.predict(space.frame))
            row.update(equivalent=eq, concept_fidelity=fid_concept,
                       network_fidelity=float(np.mean(pred == y_net)),
                       rules=int(len(rs)), conditions=int(rs.conditions_count()),
                       seconds=float(r["seconds"]), peak_mb=float(r["peak_mb"]),
                       complete=bool(rs.provenance.get("complete", True)), error="")
        else:
            row.update(equivalent=False, error=r["error"])
        rows.append(row)
    return rows


# -- report ------------------------------------------------------------------------------------
def _fmt(v, fmt):
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else format(v, fmt)


def write_report(df: pd.DataFrame, seeds, total_seconds: float):
    RESULTS.mkdir(exist_ok=True)
    df.to_csv(RESULTS / "recovery.csv", index=False)
    methods = sorted(df["method"].unique())
    lines = ["# Concept recovery on generated problems", "",
             f"Produced by `python benchmarks/recovery.py --seeds {' '.join(map(str, seeds))}` "
             f"({total_seconds:.0f} s in all). Network per seed: `rulex.train_network(train, {HIDDEN}, "
             "\"sigmoid\", random_state=seed)`; every method extracts on the training rows of that same "
             "network (tsukimoto with `max_order=6`).", "",
             "The input spaces are finite, so every score below is over the **whole** space, and "
             "*equivalent* is exact: the rules predict the true concept on every point of the space, i.e. "
             "they are logically equivalent to it on the problem's domain. *concept fid.* is the share of "
             "the space where rules and concept agree; *network fid.* the share where rules and network "
             "agree; the line under each heading (and the last summary row) shows how well the network "
             "itself learned the concept: where the network is exactly the concept, the two fidelities "
             "coincide.", "",
             "## Summary: seeds on which each method recovered the concept exactly", "",
             "| method | " + " | ".join(PROBLEMS_IN(df)) + " | total |",
             "|---|" + "---:|" * (len(PROBLEMS_IN(df)) + 1)]
    n_seeds = df["seed"].nunique()
    for m in methods:
        cells, tot = [], 0
        for p in PROBLEMS_IN(df):
            k = int(df[(df["method"] == m) & (df["problem"] == p)]["equivalent"].astype(bool).sum())
            tot += k
            cells.append(f"{k}/{n_seeds}")
        lines.append(f"| {m} | " + " | ".join(cells) + f" | {tot}/{n_seeds * len(PROBLEMS_IN(df))} |")
    net = df.drop_duplicates(["problem", "seed"])
    cells = [f"{int(net[net['problem'] == p]['network_equivalent'].astype(bool).sum())}/{n_seeds}"
             for p in PROBLEMS_IN(df)]
    lines += ["| *(the network itself)* | " + " | ".join(cells) + " | |", ""]
    for p in PROBLEMS_IN(df):
        sub = df[df["problem"] == p]
        first = sub.iloc[0]
        netfid = ", ".join(f"seed {s}: {v:.4f}" for s, v in
                           sub.drop_duplicates("seed")[["seed", "network_concept_fidelity"]].itertuples(index=False))
        lines += [f"## {p}: {CONCEPT_TEXT[p]}", "",
                  f"Trained on {first['train_rows']} rows, checked on {first['space_rows']} points. "
                  f"Network agreement with the concept: {netfid}.", "",
                  "| method | seed | equivalent | concept fid. | network fid. | rules | conditions | seconds | "
                  "peak MB | note |",
                  "|---|---:|:---:|---:|---:|---:|---:|---:|---:|---|"]
        for _, r in sub.sort_values(["method", "seed"]).iterrows():
            note = r.get("error") or ("" if r.get("complete", True) in (True, None) or pd.isna(r.get("complete"))
                                      else "partial (budget)")
            lines.append(f"| {r['method']} | {r['seed']} | {'**yes**' if r['equivalent'] else 'no'} | "
                         f"{_fmt(r.get('concept_fidelity'), '.4f')} | {_fmt(r.get('network_fidelity'), '.4f')} | "
                         f"{_fmt(r.get('rules'), '.0f')} | {_fmt(r.get('conditions'), '.0f')} | "
                         f"{_fmt(r.get('seconds'), '.2f')} | {_fmt(r.get('peak_mb'), '.1f')} | {note} |")
        lines.append("")
    (RESULTS / "recovery.md").write_text("\n".join(lines))


def PROBLEMS_IN(df):
    return [p for p in PROBLEMS if p in set(df["problem"])]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=PROBLEMS)
    ap.add_argument("--methods", default=None, help="comma-separated (default: every available method)")
    args = ap.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",")] if args.methods else None
    rows, started = [], time.perf_counter()
    for p in args.problems:
        for seed in args.seeds:
            t = time.perf_counter()
            out = run_problem(p, seed, methods)
            rows += out
            rec = ", ".join(r["method"] for r in out if r["equivalent"]) or "none"
            print(f"{p:<6} seed {seed}: recovered by {rec}  ({time.perf_counter() - t:.1f} s)", flush=True)
    df = pd.DataFrame(rows)
    write_report(df, args.seeds, time.perf_counter() - started)
    print(f"wrote {RESULTS / 'recovery.md'} and recovery.csv")


if __name__ == "__main__":
    main()
