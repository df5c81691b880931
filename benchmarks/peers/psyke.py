"""PSyKE beside rulex: the same networks and splits through PSyKE's extractors.

PSyKE (https://github.com/psykei/psyke-python) is the most complete open-source library of
pedagogical rule extractors. This script runs its classification extractors on exactly the networks
of ``benchmarks/compare.py`` and puts fidelity, rules and time in one table beside rulex's methods.

*The venv.* PSyKE is never installed in rulex's environment. The script makes its own virtual
environment (``--venv``, default ``~/.cache/rulex-peers/psyke-venv``) and, if ``import psyke`` fails
there, installs ``psyke==1.0.4`` and ``scipy<1.17`` with ``--ignore-requires-python`` (PSyKE's
releases declare a ``python_requires`` that excludes Python 3.11.7, so a plain ``pip install psyke``
falls back to an unbuildable dev release), then ``matplotlib deap scikit-fuzzy`` (imported by PSyKE
but not declared). If that fails, the script prints "PSyKE could not be installed: <reason>;
skipping the peer comparison", writes nothing and exits 0. A second run reuses the venv.

*Cells.* A cell ``(data, seed, fold)`` is the one of compare.py: the fold's training rows and the
network ``compare.cell_network`` trains on them (hidden ``--hidden``, sigmoid, ``random_state=seed``).
PSyKE runs on the folds ``--cells-folds`` (default: fold 0 only) of each seed; the rulex side is
read from ``benchmarks/results/compare_<data>.csv`` for those same cells (or, where that file lacks
them, computed with ``compare.run_cell``), so both sides extract from the same network and are
scored on the same held-out rows. The retrained network's test accuracy is checked against the CSV's.

*PSyKE's side.* Per cell, the network's layers, the encoded train and test matrices, the class
labels and the network's predictions go to an ``.npz`` file; ``_psyke_worker.py``, run by the PSyKE
venv's Python with ``PYTHONHASHSEED=0`` (ITER is otherwise not reproducible across processes),
rebuilds the network as a numpy float64 forward identical to ``rulex.Network`` (checked here,
prediction for prediction, on every cell) and hands PSyKE the training rows labelled by the network
(target last, labels as strings). Each extractor runs under a hard timeout (``--timeout`` seconds,
extraction and scoring): the worker is killed and the extractor reported as ``timeout``. An
extractor that timed out on one cell of a data set is not retried on its later cells (reported as
``skipped``) unless ``--retry-timeouts``. PSyKE gets all of the fold's training rows, as rulex
does; ``--max-train-rows N`` subsamples them (seeded) for PSyKE only, to save time on adult (20k
rows: about 7 instead of 13 minutes with N = 6000); the held-out rows are never subsampled.

*Scores.* fidelity: share of held-out rows where the rules' prediction equals the network's, a row
no rule covers counting as a miss (PSyKE's own ``accuracy()`` skips such rows); accuracy: the same
against the true labels; coverage: share of held-out rows some rule covers; rules and conditions
counted as rulex counts them: a clause with an empty body (an ordered theory's final catch-all) is
the default rule, not a rule; conditions are body literals, an interval ``X in [a, b]`` counting
once (PSyKE's own ``n_rules`` is kept as ``psyke_n_rules``); seconds: ``extract()`` only, JVM start
excluded. PSyKE's rules speak about the network's encoded inputs (min-max scaled numbers, one
column per category), rulex's about the original columns.

*Not run.* REAL and Trepan take only one-hot discretised inputs (a network trained on
``get_discrete_dataset``), not these networks; COSMiK, GridREx and the CReEPy/GInGER regression
outputs are for regression.

*Verdict.* Per data set, the best method of a side is the one with the highest mean fidelity over
the cells (ties: fewer mean rules, then fewer conditions) among those that succeeded on every cell.
rulex *dominates* when some rulex method has mean fidelity >= PSyKE's best's and mean rules <= PSyKE's
best's (the report also asks it with conditions instead of rules). ``psyke_notes.md`` beside this
script, a hand-written reading of the results (where rulex falls short and why), is copied into the
report after the summary.

Writes ``benchmarks/results/peers_psyke.csv`` (one row per data, seed, fold, side and method),
``peers_psyke.json`` (how each data set was run) and ``peers_psyke.md`` (regenerated from all rows:
a run on some data sets replaces only their rows, so data sets can be run one at a time).
``--refresh-rulex`` re-reads rulex's rows from the compare CSVs after compare.py was rerun, without
rerunning PSyKE; ``--report-only`` rewrites the Markdown.

    python benchmarks/peers/psyke.py                                  # every default data set
    python benchmarks/peers/psyke.py --datasets iris,breast_cancer --seeds 0 1 2 --folds 3
    python benchmarks/peers/psyke.py --datasets adult --max-train-rows 6000 --extractors cart-5,cart-20,gridex-2x3
    python benchmarks/peers/psyke.py --refresh-rulex --datasets wine
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
for _p in (str(HERE.parent), str(HERE)):            # compare.py and _psyke_worker.py
    if _p not in sys.path:
        sys.path.append(_p)
import compare                                       # noqa: E402  (benchmarks/compare.py)
import _psyke_worker as worker                       # noqa: E402

RESULTS = compare.RESULTS
WORKER = HERE / "_psyke_worker.py"
DEFAULT_VENV = Path.home() / ".cache" / "rulex-peers" / "psyke-venv"
#: pip install steps, in order (see the module docstring for why)
PSYKE_INSTALL = (["psyke==1.0.4", "scipy<1.17", "--ignore-requires-python"],
                 ["matplotlib", "deap", "scikit-fuzzy"])
DEFAULT_DATASETS = ("breast_cancer,iris,wine,adult,german_credit,mushroom,heart,monk1,monk2,monk3,xor")
#: name -> what it runs (built by _psyke_worker.build_extractor). "Best-ranked": by PSyKE's
#: FeatureRanker score (ANOVA F of each input against the network's labels).
EXTRACTORS = {
    "cart-3": "CART, at most 3 leaves",
    "cart-5": "CART, at most 5 leaves",
    "cart-10": "CART, at most 10 leaves",
    "cart-20": "CART, at most 20 leaves",
    "gridex-2x3": "GridEx, 1 iteration, 3 slices on each of the 2 best-ranked inputs",
    "gridex-3x3": "GridEx, 1 iteration, 3 slices on each of the 3 best-ranked inputs",
    "gridex-2x2x2": "GridEx, 2 iterations, 2 slices on each of the 2 best-ranked inputs",
    "gridex-3x2x2": "GridEx, 2 iterations, 2 slices on each of the 3 best-ranked inputs",
    "hex-2x2x2": "HEx, grid as gridex-2x2x2",
    "creepy-2": "CReEPy with ExACT clustering, depth 2, error threshold 0.1, 2 Gaussian components",
    "cream-2": "CReEPy with CREAM clustering, depth 2, error threshold 0.1, 2 Gaussian components",
    "ginger-2x2": "GInGER, up to 2 genetic cuts on each of the 2 best-ranked inputs (accuracy, 30 x 30)",
    "ginger-3x1": "GInGER, one genetic cut on each of the 3 best-ranked inputs (accuracy, 30 x 30)",
    "iter": "ITER, PSyKE's defaults (min_update 0.1, min_examples 250, threshold 0.1, 600 iterations)",
    "divine": "DiViNE, PSyKE's defaults (k 5, patience 15)",
}
DEFAULT_EXTRACTORS = ",".join(EXTRACTORS)
COLUMNS = ["data", "seed", "fold", "side", "method", "status", "fidelity", "accuracy", "coverage", "rules",
           "conditions", "psyke_n_rules", "seconds", "train_rows", "test_rows", "inputs", "network_accuracy",
           "error"]


class PsykeUnavailable(RuntimeError):
    """PSyKE could not be installed or imported in its venv."""


# -- PSyKE's venv -----------------------------------------------------------------------------------
def _venv_python(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _worker_env() -> dict:
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("PYTHONPATH", None)                      # nothing of rulex's venv leaks into PSyKE's
    return env


def _tail(text: str, n: int = 3) -> str:
    lines = [l for l in (text or "").strip().splitlines() if l.strip()]
    return " / ".join(lines[-n:])[-400:] or "no output"


def psyke_importable(python: Path) -> bool:
    if not python.exists():
        return False
    r = subprocess.run([str(python), "-P", "-c", "import psyke"], capture_output=True, text=True,
                       env=_worker_env(), timeout=300)
    return r.returncode == 0


def ensure_psyke(venv_dir: Path, install=PSYKE_INSTALL, pip_options=()) -> Path:
    """The Python of a venv where ``import psyke`` works; creates and installs it if needed.

    Raises :class:`PsykeUnavailable` with the reason when that cannot be done.
    """
    venv_dir = Path(venv_dir).expanduser()
    python = _venv_python(venv_dir)
    if psyke_importable(python):
        return python
    steps = []
    if not python.exists():
        steps.append(("creating the venv", [sys.executable, "-m", "venv", str(venv_dir)]))
    for reqs in install:
        steps.append((f"pip install {' '.join(reqs)}",
                      [str(python), "-m", "pip", "install", "-q", *pip_options, *reqs]))
    for what, cmd in steps:
        print(f"PSyKE venv: {what} ...", flush=True)
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PsykeUnavailable(f"{what} failed ({exc})") from None
        if r.returncode != 0:
            raise PsykeUnavailable(f"{what} failed: {_tail(r.stderr or r.stdout)}")
    if not psyke_importable(python):
        raise PsykeUnavailable(f"installed, but `import psyke` fails in {venv_dir}")
    return python


# -- one cell ----------------------------------------------------------------------------------------
def numpy_net(net) -> worker.NumpyNet:
    """The worker's numpy rebuild of a rulex classification network."""
    return worker.NumpyNet([l.weights for l in net.layers], [l.bias for l in net.layers],
                           [l.activation for l in net.layers], [str(c) for c in net.classes])


def dump_cell(path: Path, net, train, test, seed: int, max_train_rows: int | None) -> dict:
    """Write the worker's .npz for one cell; returns facts about it. Checks that the numpy forward
    predicts exactly what ``net.predict`` predicts on the held-out rows."""
    X_train, X_test = net.encoder.transform(train.frame), net.encoder.transform(test.frame)
    y_net_test = np.array([str(v) for v in net.predict(test.frame)], dtype=object)
    rebuilt = numpy_net(net)
    if not np.array_equal(rebuilt.predict(X_test), y_net_test):
        raise AssertionError("the numpy forward does not reproduce net.predict; the comparison would be unfair")
    rows = np.arange(len(X_train))
    if max_train_rows and len(rows) > max_train_rows:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_train_rows, replace=False))
    X_train = X_train[rows]
    arrays = {"n_layers": len(net.layers), "activations": np.array([l.activation for l in net.layers]),
              "classes": np.array([str(c) for c in net.classes]), "X_train": X_train, "X_test": X_test,
              "y_net_train": np.array([str(v) for v in net.predict_encoded(X_train)]),
              "y_net_test": y_net_test.astype(str), "y_test": np.array([str(v) for v in test.y]),
              "inputs": np.array(net.encoder.input_names_), "seed": seed}
    for i, l in enumerate(net.layers):
        arrays[f"W{i}"], arrays[f"b{i}"] = l.weights, l.bias
    np.savez(path, **arrays)
    return {"train_rows": len(rows), "test_rows": len(X_test), "inputs": X_train.shape[1],
            "network_accuracy": float(np.mean(y_net_test == arrays["y_test"]))}


def _reader(stream, q):
    for line in stream:
        q.put(line)
    q.put(None)


def run_extractors(python: Path, npz: Path, names, timeout: float, startup: float = 120.0) -> dict:
    """Run PSyKE's extractors ``names`` on one cell, each under ``timeout`` seconds.

    One worker process runs them in turn (one JVM start per cell); when an extractor overruns, its
    worker is killed, the extractor reported as ``timeout`` and a new worker runs the rest.
    Returns name -> result dict (``status`` ok, error or timeout).
    """
    pending, results = list(names), {}
    while pending:
        with tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen([str(python), "-P", str(WORKER), str(npz), *pending], stdout=subprocess.PIPE,
                                    stderr=err, text=True, env=_worker_env(), start_new_session=True)
            lines = queue.Queue()
            threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
            current, deadline = None, time.monotonic() + startup
            while True:
                try:
                    line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
                except queue.Empty:                                 # overran: kill, go on with the rest
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    victim = current or pending[0]
                    results[victim] = {"status": "timeout",
                                       "error": f"timeout: no result after {timeout:.0f} s" if current else
                                       f"timeout: the worker did not start in {startup:.0f} s"}
                    pending.remove(victim)
                    break
                if line is None:                                    # the worker exited
                    proc.wait()
                    if current is not None or pending:
                        err.seek(0)
                        victim = current or pending[0]
                        results[victim] = {"status": "error",
                                           "error": f"worker exited ({proc.returncode}): {_tail(err.read())}"}
                        pending.remove(victim)
                    break
                if not line.startswith("{"):
                    continue                                        # PSyKE's own prints
                event = json.loads(line)
                if event["event"] == "ready" and any(event["mismatch"].values()):
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    raise AssertionError(f"PSyKE's venv computes other predictions (mismatches {event['mismatch']})")
                elif event["event"] == "start":
                    current, deadline = event["name"], time.monotonic() + timeout
                elif event["event"] == "result":
                    name = event.pop("name")
                    event.pop("event")
                    results[name] = event
                    pending.remove(name)
                    current, deadline = None, time.monotonic() + timeout
    return results


def _text(col: pd.Series) -> pd.Series:
    return pd.Series(["" if pd.isna(v) else str(v) for v in col], index=col.index, dtype=object)


def rulex_source(data: str) -> str:
    """The command that wrote compare_<data>.csv, as its .md states it ("" if unknown)."""
    md = RESULTS / f"compare_{data}.md"
    text = md.read_text() if md.exists() else ""
    start = text.find("Produced by `")
    return text[start + 13:text.index("`", start + 13)] if start >= 0 else ""


def rulex_rows(data: str, cells, folds: int, hidden, epochs, max_seconds=None) -> tuple[pd.DataFrame, str]:
    """rulex's rows for ``cells`` (from compare_<data>.csv, else computed with compare.run_cell) and
    where they came from."""
    path = RESULTS / f"compare_{data}.csv"
    have = pd.read_csv(path, keep_default_na=False, na_values=[""]) if path.exists() else pd.DataFrame()
    parts, computed = [], False
    for seed, fold in cells:
        sub = have[(have["seed"] == seed) & (have["fold"] == fold)] if len(have) else have
        if len(sub) and str(sub["hidden"].iloc[0]) != ",".join(map(str, hidden)):
            sub = sub.iloc[0:0]                                     # another architecture: recompute
        if not len(sub):
            print(f"  {data} seed {seed} fold {fold}: not in {path.name}; running rulex (compare.run_cell)",
                  flush=True)
            sub = pd.DataFrame(compare.run_cell(data, seed, fold, folds, None, tuple(hidden), epochs, max_seconds))
            computed = True
        parts.append(sub)
    df = pd.concat(parts, ignore_index=True)
    df["error"] = _text(df["error"])
    df["side"], df["status"] = "rulex", np.where(df["error"] == "", "ok", "error")
    df["coverage"] = np.nan
    source = rulex_source(data) if path.exists() else ""
    if computed:
        source = "compare.run_cell" + (f" (and {source})" if source else "")
    return df, source


def run_dataset(data: str, python: Path, args) -> pd.DataFrame:
    """All rows (both sides) of one data set, and where rulex's rows came from."""
    cells = [(s, f) for s in args.seeds for f in args.cells_folds]
    ours, source = rulex_rows(data, cells, args.folds, args.hidden, args.epochs, args.max_seconds)
    rows, timed_out = [], {}
    with tempfile.TemporaryDirectory(prefix="rulex-psyke-") as tmp:
        for seed, fold in cells:
            t = time.perf_counter()
            net, train, test = compare.cell_network(data, seed, fold, args.folds, args.hidden, args.epochs)
            if net.task != "classification":
                raise SystemExit(f"{data} is a regression data set; this comparison is for classification")
            npz = Path(tmp) / f"{data}-{seed}-{fold}.npz"
            facts = dump_cell(npz, net, train, test, seed, args.max_train_rows)
            theirs = ours[(ours["seed"] == seed) & (ours["fold"] == fold)]["network_accuracy"]
            if len(theirs) and abs(float(theirs.iloc[0]) - facts["network_accuracy"]) > 1e-9:
                raise AssertionError(f"{data} seed {seed} fold {fold}: the retrained network's test accuracy "
                                     f"{facts['network_accuracy']} differs from compare_{data}.csv's "
                                     f"{theirs.iloc[0]}; not the same network")
            todo = [n for n in args.extractors if n not in timed_out]
            results = run_extractors(python, npz, todo, args.timeout) if todo else {}
            for name in args.extractors:
                r = results.get(name) or {"status": "skipped", "error": f"skipped: timed out on {timed_out[name]}"}
                if r["status"] == "timeout" and not args.retry_timeouts:
                    timed_out[name] = f"seed {seed} fold {fold} (> {args.timeout:.0f} s)"
                rows.append({"data": data, "seed": seed, "fold": fold, "side": "psyke", "method": name, **facts,
                             "error": "", **r})
            done = {n: (f"{r['fidelity']:.3f}/{r['rules']}" if r["status"] == "ok" else r["status"])
                    for n, r in results.items()}
            print(f"  {data} seed {seed} fold {fold} ({time.perf_counter() - t:.0f} s): {done}", flush=True)
    psyke = pd.DataFrame(rows)
    return pd.concat([ours, psyke], ignore_index=True).reindex(columns=COLUMNS), source


# -- aggregation and verdict -------------------------------------------------------------------------
def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """Per (data, side, method): mean and std over cells of the scores (successful cells), counts of
    ok / timeout / skipped / error cells, and ``complete`` (ok on every cell)."""
    keys = ["data", "side", "method"]
    ok = df[df["status"] == "ok"]
    agg = ok.groupby(keys)[["fidelity", "accuracy", "coverage", "rules", "conditions", "seconds"]].agg(["mean", "std"])
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    counts = df.groupby(keys)["status"].value_counts().unstack(fill_value=0)
    out = df[keys].drop_duplicates().merge(agg.reset_index(), how="left", on=keys)
    out = out.merge(counts.reset_index(), how="left", on=keys)
    for s in ("ok", "timeout", "skipped", "error"):
        out[s] = out[s].fillna(0).astype(int) if s in out else 0
    out["cells"] = out[["ok", "timeout", "skipped", "error"]].sum(axis=1)
    out["complete"] = out["ok"] == out["cells"]
    return out.sort_values(["data", "side", "fidelity_mean"], ascending=[True, False, False]).reset_index(drop=True)


# rulex's re-implementation of a PSyKE family -> the PSyKE extractors of that family
FAMILIES = {"iter": ("ITER", ("iter",)), "gridex": ("GridEx", ("gridex-",)),
            "creepy": ("CReEPy / CREAM", ("creepy-", "cream-"))}


def family_lines(summary: pd.DataFrame, datasets) -> list:
    """Markdown: each hyper-cube family side by side, rulex's method against the best of PSyKE's
    settings of that family (a family member counts only if it ran on every cell)."""
    def fmt(r):
        if r is None:
            return "—"
        if not r["complete"]:
            return f"{r['method']}: {int(r['ok'])}/{int(r['cells'])} cells ok"
        return f"{r['method']}: {r['fidelity_mean']:.4f}, {r['rules_mean']:.1f} rules"
    out = ["", "## The hyper-cube family side by side", "",
           "rulex's `iter`, `gridex` and `creepy` against PSyKE's ITER, best GridEx setting and best of "
           "CReEPy/CREAM on the same cells (fidelity, rules; a method that failed or timed out on some cell "
           "shows its count of cells ok). *at least as faithful, no more rules*: rulex's mean fidelity ≥ "
           "PSyKE's and its mean rules ≤ PSyKE's, or PSyKE did not finish on every cell while rulex did. "
           "*rulex at PSyKE's size* (`benchmarks/peers/psyke_size.py`): where rulex's default has more mean "
           "rules than PSyKE's setting shown, the same rulex method rerun with `max_rules` equal to that "
           "setting's rules on each cell (the same rule on every set); the verdict says which rulex "
           "setting meets it.", "",
           "| data | family | rulex (default) | rulex at PSyKE's size | PSyKE | at least as faithful, no more rules? |",
           "|---|---|---|---|---|:---:|"]
    for d in datasets:
        sub = summary[summary["data"] == d]
        for ours_name, (family, prefixes) in FAMILIES.items():
            ours = sub[(sub["side"] == "rulex") & (sub["method"] == ours_name)]
            member = [any(m == p or (p.endswith("-") and m.startswith(p)) for p in prefixes) for m in sub["method"]]
            theirs = sub[(sub["side"] == "psyke").to_numpy() & np.array(member, dtype=bool)]
            if not len(ours) and not len(theirs):
                continue
            o = ours.iloc[0] if len(ours) else None
            t = best(theirs) if len(theirs) else None
            if t is None and len(theirs):
                t = theirs.iloc[0]
            sized = sub[(sub["side"] == "rulex") & (sub["method"] == ours_name + "@psyke-size")]
            z = sized.iloc[0] if len(sized) else None

            def meets(r):
                if r is None or not r["complete"]:
                    return False
                return t is None or not t["complete"] or (r["fidelity_mean"] >= t["fidelity_mean"] - 1e-12
                                                          and r["rules_mean"] <= t["rules_mean"] + 1e-12)
            if o is None:
                ok = ""
            elif meets(o):
                ok = "yes"
            elif meets(z):
                ok = "yes (at PSyKE's size)"
            else:
                ok = "no"
            out.append(f"| {d} | {family} | {fmt(o)} | {fmt(z) if z is not None else ''} | {fmt(t)} | {ok} |")
    return out


def best(summary: pd.DataFrame):
    """The row with the highest mean fidelity among complete methods (ties: fewer mean rules, then fewer
    mean conditions, then the name), or None."""
    cand = summary[summary["complete"]]
    if not len(cand):
        return None
    return cand.sort_values(["fidelity_mean", "rules_mean", "conditions_mean", "method"],
                            ascending=[False, True, True, True], kind="stable").iloc[0]


def verdict(summary: pd.DataFrame, data: str) -> dict:
    """rulex's best against PSyKE's best on one data set: does some rulex method dominate PSyKE's best
    (mean fidelity >= and mean rules <=; also asked with conditions instead of rules), and if not,
    where rulex stands: its best at no more rules, and its smallest at no less fidelity."""
    sub = summary[summary["data"] == data]
    ours = sub[(sub["side"] == "rulex") & sub["complete"]]
    rb, pb = best(ours), best(sub[sub["side"] == "psyke"])
    out = {"data": data, "rulex_best": rb, "psyke_best": pb, "fidelity_ge": None, "dominates": None,
           "dominating": [], "dominating_conditions": [], "rulex_at_size": None, "rulex_smallest_as_good": None}
    if rb is None or pb is None:
        return out
    as_good = ours[ours["fidelity_mean"] >= pb["fidelity_mean"]].sort_values(
        ["fidelity_mean", "rules_mean"], ascending=[False, True], kind="stable")
    out["fidelity_ge"] = bool(rb["fidelity_mean"] >= pb["fidelity_mean"])
    out["dominating"] = list(as_good[as_good["rules_mean"] <= pb["rules_mean"]]["method"])
    out["dominating_conditions"] = list(as_good[as_good["conditions_mean"] <= pb["conditions_mean"]]["method"])
    out["dominates"] = bool(out["dominating"])
    out["rulex_at_size"] = best(ours[ours["rules_mean"] <= pb["rules_mean"]])
    if len(as_good):
        out["rulex_smallest_as_good"] = as_good.sort_values(["rules_mean", "fidelity_mean"],
                                                            ascending=[True, False], kind="stable").iloc[0]
    return out


def _fmt(r, m, spec):
    mean, std = r.get(f"{m}_mean"), r.get(f"{m}_std")
    if mean is None or pd.isna(mean):
        return ""
    return format(mean, spec) + ("" if pd.isna(std) else " ± " + format(std, spec))


def _short(r, conditions: bool = False) -> str:
    if r is None:
        return "—"
    return (f"{r['method']} ({r['fidelity_mean']:.4f}, {r['rules_mean']:.1f} rules"
            + (f", {r['conditions_mean']:.1f} conditions)" if conditions else ")"))


def verdict_text(v: dict) -> str:
    rb, pb = v["rulex_best"], v["psyke_best"]
    if rb is None or pb is None:
        return "no verdict: a side has no method that succeeded on every cell"
    if v["dominates"]:
        return f"**yes**: {', '.join(v['dominating'])}"
    at, small = v["rulex_at_size"], v["rulex_smallest_as_good"]
    parts = [f"**no**: at ≤ {pb['rules_mean']:.1f} rules rulex's best is "
             + ("none (no rulex method is that small)" if at is None else
                f"{_short(at, True)}, {at['fidelity_mean'] - pb['fidelity_mean']:+.4f}")]
    if small is not None:
        parts.append(f"at ≥ its fidelity rulex's smallest is {_short(small, True)}")
    else:
        parts.append(f"rulex's best is {rb['fidelity_mean'] - pb['fidelity_mean']:+.4f} in fidelity")
    return "; ".join(parts)


# -- reports ------------------------------------------------------------------------------------------
def write_reports(df: pd.DataFrame, meta: dict, out: Path = RESULTS) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    df = df.sort_values(["data", "seed", "fold", "side", "method"], kind="stable").reset_index(drop=True)
    df.to_csv(out / "peers_psyke.csv", index=False)
    (out / "peers_psyke.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    summary = summarize(df)
    datasets = list(dict.fromkeys(df["data"]))
    verdicts = [verdict(summary, d) for d in datasets]
    psyke_version = next((m.get("psyke") for m in meta.values() if m.get("psyke")), "?")
    lines = ["# PSyKE beside rulex", "",
             f"PSyKE {psyke_version} (its own venv; https://github.com/psykei/psyke-python) and rulex extract rules "
             "from **the same networks** (`benchmarks/compare.py`'s cells: one sigmoid network per data set, "
             "seed and fold, trained on the fold's training rows) and are scored on the same held-out rows. "
             "Produced by `benchmarks/peers/psyke.py`; how each data set was run is listed at the end and in "
             "`peers_psyke.json`, every cell and method is a row of `peers_psyke.csv`.", "",
             "- *fidelity*: agreement of rules and network on the held-out rows; a row no PSyKE rule covers "
             "counts as a miss (*coverage* gives the share covered; rulex's rule sets always decide, by their "
             "default rule). *accuracy*: against the true labels.",
             "- *rules*, *conditions*: counted as rulex counts them on both sides — the default (a final "
             "clause with an empty body) is not a rule; PSyKE's own `n_rules` counts it (`psyke_n_rules` in "
             "the CSV). An interval literal `X in [a, b]` is one condition.",
             "- *seconds*: the extraction (`extract()`; for rulex the method's run), not the JVM start nor "
             "the network's training.",
             "- PSyKE's rules are on the network's **encoded inputs** (numbers min-max scaled to [0, 1], one "
             "0/1 column per category), rulex's on the original columns and units; fidelity and rule counts "
             "are comparable, readability is not.",
             "- Values are mean ± std over the cells listed per data set. A method counts for *best* only "
             "if it succeeded on every cell; *best*: highest mean fidelity, ties broken by fewer rules (then "
             "fewer conditions). "
             "Settings are chosen per extractor below, not tuned per data set; picking a side's best by "
             "held-out fidelity is optimistic for both sides alike.",
             "- REAL and Trepan are not run: PSyKE's implementations take only one-hot discretised inputs "
             "(a network trained on `get_discrete_dataset`), not these networks.", "",
             "## Summary", "",
             "*dominates*: some rulex method has mean fidelity ≥ PSyKE's best's and mean rules ≤ its rules "
             "(listed, best first); the last column asks the same with conditions in place of rules.", "",
             "| data | cells | rulex best (fidelity, rules) | PSyKE best (fidelity, rules, conditions) | rulex best "
             "fidelity ≥ PSyKE best's? | dominates? (rulex methods with fidelity ≥ and rules ≤) | with conditions "
             "≤ instead |", "|---|---:|---|---|:---:|---|---|"]
    for v in verdicts:
        d = v["data"]
        n = df[df["data"] == d][["seed", "fold"]].drop_duplicates().shape[0]
        ge = "" if v["fidelity_ge"] is None else ("yes" if v["fidelity_ge"] else "no")
        by_cond = ", ".join(v["dominating_conditions"]) or ("" if v["fidelity_ge"] is None else "none")
        lines.append(f"| {d} | {n} | {_short(v['rulex_best'])} | {_short(v['psyke_best'], True)} | {ge} | "
                     f"{verdict_text(v)} | {by_cond} |")
    lines += family_lines(summary, datasets)
    notes = HERE / "psyke_notes.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    for d in datasets:
        cells = df[df["data"] == d]
        sub = summary[summary["data"] == d]
        ps = cells[cells["side"] == "psyke"]
        cell_list = ", ".join(f"seed {s} fold {f}" for s, f in cells[["seed", "fold"]].drop_duplicates().itertuples(
            index=False))
        netacc = ps.drop_duplicates(["seed", "fold"])["network_accuracy"]
        m = meta.get(d, {})
        lines += ["", f"## {d}", "",
                  f"Cells: {cell_list} (of {m.get('folds', '?')} folds). PSyKE extracted on "
                  f"{int(ps['train_rows'].iloc[0]) if len(ps) else '?'} training rows"
                  + (f" (subsampled to --max-train-rows {m.get('max_train_rows')})"
                     if m.get("subsampled") else "")
                  + f" with {int(ps['inputs'].iloc[0]) if len(ps) else '?'} encoded inputs; "
                  f"{int(ps['test_rows'].iloc[0]) if len(ps) else '?'} held-out rows. Network test accuracy "
                  f"{netacc.mean():.4f}. Timeout {m.get('timeout', '?')} s per extractor and cell.", "",
                  "| side | method | fidelity | accuracy | coverage | rules | conditions | seconds | cells ok |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---|"]
        for _, r in sub.iterrows():
            status = f"{r['ok']}/{r['cells']}" + "".join(f", {r[s]} {s}" for s in ("timeout", "skipped", "error")
                                                         if r[s])
            lines.append(f"| {r['side']} | {r['method']} | {_fmt(r, 'fidelity', '.4f')} | "
                         f"{_fmt(r, 'accuracy', '.4f')} | {_fmt(r, 'coverage', '.3f')} | {_fmt(r, 'rules', '.1f')} | "
                         f"{_fmt(r, 'conditions', '.1f')} | {_fmt(r, 'seconds', '.2f')} | {status} |")
        bad = cells[cells["status"].isin(["error", "timeout"])]
        if len(bad):
            lines += ["", "Failures:", ""] + [f"- {b['side']} {b['method']} seed {b['seed']} fold {b['fold']}: "
                                               f"{b['error']}" for _, b in bad.iterrows()]
    lines += ["", "## PSyKE extractors and settings", ""]
    ran = set(df.loc[df["side"] == "psyke", "method"])
    lines += [f"- `{n}`: {t}" for n, t in EXTRACTORS.items() if n in ran]
    lines += ["", "Best-ranked: by PSyKE's FeatureRanker score (ANOVA F of each input against the network's "
              "labels). GridEx and HEx slice only the best-ranked inputs (a fixed grid over every input makes "
              "slices^inputs cubes); min_examples 100, threshold 0.1. Seeds: the cell's seed where an extractor "
              "takes one.",
              "", "## Runs", ""]
    for d in datasets:
        m = meta.get(d, {})
        lines.append(f"- {d}: `{m.get('command', '?')}` — {m.get('wall_seconds', float('nan')):.0f} s, "
                     f"{m.get('when', '?')}; rulex's rows from `{m.get('rulex_rows') or '?'}`"
                     + (f" (re-read {m['rulex_refreshed']})" if m.get("rulex_refreshed") else ""))
    path = out / "peers_psyke.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def merge(new: pd.DataFrame, new_meta: dict, out: Path = RESULTS) -> tuple[pd.DataFrame, dict]:
    """Previous rows and run notes of other data sets plus this run's."""
    old_csv, old_json = out / "peers_psyke.csv", out / "peers_psyke.json"
    df, meta = new, dict(new_meta)
    if old_csv.exists():
        old = pd.read_csv(old_csv, keep_default_na=False, na_values=[""])
        old["error"] = _text(old["error"])
        df = pd.concat([old[~old["data"].isin(new["data"].unique())], new], ignore_index=True)
    if old_json.exists():
        meta = {**{k: v for k, v in json.loads(old_json.read_text()).items() if k not in new_meta}, **new_meta}
    return df, meta


def refresh_rulex(df: pd.DataFrame, meta: dict, datasets=None) -> pd.DataFrame:
    """Re-read rulex's rows of the data sets in ``df`` from the current compare_<data>.csv (after
    compare.py was rerun), for the cells PSyKE ran on; PSyKE's rows stay. Checks the networks agree."""
    parts = []
    for d in dict.fromkeys(df["data"]):
        sub = df[df["data"] == d]
        if datasets and d not in datasets:
            parts.append(sub)
            continue
        ps = sub[sub["side"] == "psyke"]
        sized = sub[(sub["side"] == "rulex") & sub["method"].str.endswith("@psyke-size")]   # psyke_size.py's
        cells = list(ps[["seed", "fold"]].drop_duplicates().itertuples(index=False, name=None))
        m = meta.setdefault(d, {})
        ours, m["rulex_rows"] = rulex_rows(d, cells, m.get("folds", 3), tuple(m.get("hidden", (16,))),
                                           m.get("epochs"), m.get("max_seconds"))
        m["rulex_refreshed"] = datetime.datetime.now().isoformat(timespec="seconds")
        for (seed, fold), acc in ps.groupby(["seed", "fold"])["network_accuracy"].first().items():
            theirs = ours[(ours["seed"] == seed) & (ours["fold"] == fold)]["network_accuracy"].iloc[0]
            if abs(float(theirs) - float(acc)) > 1e-9:
                raise AssertionError(f"{d} seed {seed} fold {fold}: compare_{d}.csv holds another network")
        parts.append(pd.concat([ours.reindex(columns=COLUMNS), sized, ps], ignore_index=True))
    return pd.concat(parts, ignore_index=True)


# -- command line -----------------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=DEFAULT_DATASETS, help="comma-separated (default: the classification sets)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--folds", type=int, default=3, help="folds of the split (as compare.py's --folds)")
    ap.add_argument("--cells-folds", type=int, nargs="+", default=[0], help="folds PSyKE runs on (default 0)")
    ap.add_argument("--hidden", type=compare._hidden, default=(16,))
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--extractors", default=DEFAULT_EXTRACTORS, help=f"comma-separated, of {', '.join(EXTRACTORS)}")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per extractor and cell (default 120)")
    ap.add_argument("--retry-timeouts", action="store_true",
                    help="run an extractor on later cells of a data set after it timed out on one")
    ap.add_argument("--max-train-rows", type=int, default=0,
                    help="subsample PSyKE's training rows to at most this many (default 0: all, as rulex)")
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV, help=f"PSyKE's venv (default {DEFAULT_VENV})")
    ap.add_argument("--pip-option", action="append", default=[], help="extra option for pip install (repeatable)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="as compare.py's --max-seconds, for rulex cells not found in compare_<data>.csv")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite peers_psyke.md from the existing .csv and .json; run nothing")
    ap.add_argument("--refresh-rulex", action="store_true",
                    help="re-read rulex's rows (of --datasets if given, else all) from the current "
                         "compare_<data>.csv files, keep PSyKE's, rewrite the reports; runs no PSyKE")
    args = ap.parse_args(argv)
    if args.report_only or args.refresh_rulex:
        df, meta = merge(pd.DataFrame(columns=COLUMNS), {}, args.out)
        if args.refresh_rulex:
            chosen = [d for d in args.datasets.split(",") if d] if "--datasets" in (argv or sys.argv) else None
            df = refresh_rulex(df, meta, chosen)
        print(f"wrote {write_reports(df, meta, args.out)}")
        return 0
    args.extractors = [e.strip() for e in args.extractors.split(",") if e.strip()]
    unknown = [e for e in args.extractors if e not in EXTRACTORS]
    if unknown:
        ap.error(f"unknown extractors {unknown}; known: {', '.join(EXTRACTORS)}")
    if any(not 0 <= f < args.folds for f in args.cells_folds):
        ap.error("--cells-folds must be among 0 .. folds-1")
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    try:
        python = ensure_psyke(args.venv, pip_options=tuple(args.pip_option))
    except PsykeUnavailable as exc:
        print(f"PSyKE could not be installed: {exc}; skipping the peer comparison (nothing written)")
        return 0
    version = subprocess.run([str(python), "-P", "-c", "import importlib.metadata as m; print(m.version('psyke'))"],
                             capture_output=True, text=True).stdout.strip()
    command = "python benchmarks/peers/psyke.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None
                                                                                       else sys.argv[1:]))
    for d in datasets:
        t = time.perf_counter()
        print(f"{d}: PSyKE {version} in {args.venv}", flush=True)
        rows, source = run_dataset(d, python, args)
        ps, ours = rows[rows["side"] == "psyke"], rows[rows["side"] == "rulex"]
        meta = {d: {"command": command, "wall_seconds": round(time.perf_counter() - t, 1), "psyke": version,
                    "when": datetime.datetime.now().isoformat(timespec="seconds"), "folds": args.folds,
                    "cells_folds": args.cells_folds, "seeds": args.seeds, "timeout": args.timeout,
                    "max_train_rows": args.max_train_rows, "hidden": list(args.hidden), "epochs": args.epochs,
                    "max_seconds": args.max_seconds,
                    "rulex_rows": source,
                    "subsampled": bool((ps["train_rows"] < ours["train_rows"].max()).any()),
                    "extractors": args.extractors}}
        df, allmeta = merge(rows, meta, args.out)                   # after every data set: a crash loses one
        path = write_reports(df, allmeta, args.out)
        v = verdict(summarize(df), d)
        print(f"{d}: {time.perf_counter() - t:.0f} s; rulex best {_short(v['rulex_best'])}, PSyKE best "
              f"{_short(v['psyke_best'])}; {verdict_text(v)}", flush=True)
    print(f"wrote {path} (+ .csv, .json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
