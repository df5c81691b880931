"""Scaling: extraction time and peak memory of every method as rows, depth and width grow.

Three axes, every registered method on each, against the network's own prediction time as the floor:

* ``rows``: extraction on the first n rows, n in 1k, 3k, 10k, 30k, 100k, 200k, one hidden layer of 16;
* ``depth``: 1 to 4 hidden layers of 16 units, extraction on 5k rows;
* ``width``: one hidden layer of 8, 16, 32, 64, 128 units, extraction on 5k rows.

Data: a synthetic binary problem generated from its definition (``make_frame``, deterministic
under ``--seed``): six real features, two integer features (``age``, ``visits``) and two
categorical ones (``region``, ``plan``); the label is a known OR of four nonlinear terms with 3 %
of labels flipped. Rows are nested prefixes of one 200k-row draw, so a larger n contains every
smaller one; fidelity is scored on a separate 2k-row draw (another seed).

Networks: one per shape, ``rulex.train_network(first 5k rows, hidden, "sigmoid", max_epochs=150,
random_state=seed)``; trained once and shared by every size and method that uses that shape.
On the ``rows`` axis the network does *not* change with n (it is trained on 5k rows whatever n
is): what grows is only the input of the extractor, so the times are the extractor's cost as a
function of its input, not training cost.

Each extraction runs in a forked worker process (one thread for numpy/BLAS), so a run starts
from the same parent state, its memory is returned afterwards, and a run can be stopped:

* ``seconds`` and ``peak_mb``: the extractor's own figures, from the rule set's
  ``provenance["run"]`` (wall time of the extraction and peak traced Python/numpy allocations,
  ``tracemalloc``, above the baseline at its start); ``wall_seconds``: the whole ``extract`` call
  (encoding, extraction, annotating support/precision on the n rows); ``rss_mb``: growth of the
  worker's resident set over the call (peak ``VmHWM`` after a reset, minus ``VmRSS`` at the start;
  Linux only, a coarse cross-check that includes untraced allocations).
* Budget: methods with a ``max_seconds`` parameter (cred, deepred, tsukimoto) get
  ``--max-seconds`` and stop themselves with ``BudgetExceededError`` (status ``budget``); methods
  without one run to the end and are marked ``over budget`` when they took longer. Every worker is
  killed after ``1.5 x max-seconds + 30`` s (``timeout``). Once a method hits its budget (or its
  worker dies) on an axis, its larger sizes on that axis are not run (``skipped``). A method that
  refuses the network (CRED reads one hidden layer only) is ``n/a``, not a failure.
* Floor: ``net.predict`` on the same rows with the same network, from the frame
  (``floor_seconds``, includes encoding) and from the encoded matrix (``floor_encoded_seconds``),
  in the parent process (best of 7); and again in each worker right before its extraction
  (``floor_worker_seconds``, best of 5), which ``x_floor`` = seconds / that floor uses, so that a
  method and its floor are timed under the same load of a shared machine.
* ``--own-budgets``: methods keep their own default ``max_seconds`` (capped by ``--max-seconds``)
  instead of all getting ``--max-seconds``: the speed of each method as a user runs it.
* ``--repeats N``: every cell is extracted N times, each in its own worker with its own floor, and the
  fastest run is kept (a best of N, as the floor is a best of 5).
* ``--merge``: the cells of the existing scaling.csv that this run does not redo (other axes, other
  methods) are kept, each with its own floor and the run it comes from (column ``run``);
  ``--notes FILE`` closes scaling.md with a hand-written section.

Growth rate: least squares of log(seconds) on log(size) per method and axis over the sizes that
finished (the slope is the empirical exponent: 1 is linear), also on the last two sizes only
(``tail``), and the same for ``peak_mb``.

Writes benchmarks/results/scaling.csv (one row per axis, size and method), scaling.md (tables)
and scaling.png (seconds against size, log-log, per axis).

    python benchmarks/scaling.py                         # all axes, all methods (~20-40 min on 2 shared cores)
    python benchmarks/scaling.py --axes rows --methods surrogate_tree,cred --max-seconds 60
    python benchmarks/scaling.py --quick --out /tmp/scaling    # tiny sizes, seconds
    python benchmarks/scaling.py --axes rows --rows 1000,10000,100000,200000 --own-budgets --merge \
        --methods surrogate_tree,anndt,trepan,cover,brcg --notes benchmarks/scaling_notes.md
"""
from __future__ import annotations

import argparse
import datetime as _dt
import math
import multiprocessing as mp
import os
import platform
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
AXES = ("rows", "depth", "width")
SIZES = {"rows": (1_000, 3_000, 10_000, 30_000, 100_000, 200_000), "depth": (1, 2, 3, 4),
         "width": (8, 16, 32, 64, 128)}
QUICK_SIZES = {"rows": (300, 600), "depth": (1, 2), "width": (3, 6)}
#: network and data set-up: rows the networks are trained on, rows the depth/width axes extract on,
#: the width of the rows/depth axes, training epochs, rows of the fidelity sample
SETUP = dict(train_rows=5_000, fixed_rows=5_000, base_width=16, epochs=150, holdout_rows=2_000)
QUICK_SETUP = dict(train_rows=300, fixed_rows=300, base_width=3, epochs=30, holdout_rows=300)
#: --quick only (a smoke test, not figures): lighter sampling so that the tiny grid runs in seconds
QUICK_PARAMS = {"trepan": {"min_samples": 100, "max_internal_nodes": 3}, "deepred": {"n_samples": 200},
                "anndt": {"n_samples": 200}, "auto": {"max_seconds": 5.0}, "brcg": {"max_seconds": 3.0},
                "cover": {"max_seconds": 3.0}, "iter": {"max_seconds": 3.0}, "gridex": {"max_seconds": 3.0},
                "gridrex": {"max_seconds": 3.0}, "creepy": {"max_seconds": 3.0}, "kt": {"max_seconds": 3.0},
                "nofm": {"max_seconds": 3.0}}
TARGET = "label"
#: statuses: the run finished / stopped by a budget / did not run
COMPLETED = ("ok", "over budget")
STOPPED = ("budget", "over budget", "timeout", "died")
COLUMNS = ["axis", "size", "hidden", "rows", "method", "kind", "status", "seconds", "wall_seconds", "peak_mb",
           "rss_mb", "fidelity", "rules", "conditions", "floor_seconds", "floor_encoded_seconds", "floor_peak_mb",
           "error", "floor_worker_seconds", "x_floor", "run"]
#: columns that depend on the machine and the moment (everything else is a function of the inputs)
MEASURED = ["seconds", "wall_seconds", "peak_mb", "rss_mb", "floor_seconds", "floor_encoded_seconds",
            "floor_peak_mb", "floor_worker_seconds", "x_floor"]
#: repeats of the floor measured in each worker right before its extraction (best of)
WORKER_FLOOR_REPEATS = 5
AXIS_LABEL = {"rows": "rows extracted on", "depth": "hidden layers", "width": "hidden units (one layer)"}


# -- the data -----------------------------------------------------------------------------------
def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` rows of the synthetic problem (deterministic under ``seed``; prefixes are stable).

    Features: ``x0``, ``x1`` ~ U(0, 1); ``x2``, ``x3`` ~ N(0, 1); ``x4`` ~ U(-1, 1); ``x5`` ~ Exp(1);
    ``age`` integer in [18, 79]; ``visits`` ~ Poisson(3); ``region`` in {north, south, east, west};
    ``plan`` in {basic, plus, pro} (50/30/20 %). Label ``yes`` when
    ``(x0 > 0.6 and x1 < 0.4) or (age >= 50 and region in {north, east}) or (x2 + x3 > 1.5)
    or (plan == pro and visits >= 4)``, else ``no``; then 3 % of labels are flipped.
    ``x4`` and ``x5`` are irrelevant.
    """
    draws = (("x0", lambda g: g.uniform(0, 1, n)), ("x1", lambda g: g.uniform(0, 1, n)),
             ("x2", lambda g: g.normal(0, 1, n)), ("x3", lambda g: g.normal(0, 1, n)),
             ("x4", lambda g: g.uniform(-1, 1, n)), ("x5", lambda g: g.exponential(1.0, n)),
             ("age", lambda g: g.integers(18, 80, n)), ("visits", lambda g: g.poisson(3, n)),
             ("region", lambda g: g.choice(np.array(["north", "south", "east", "west"], dtype=object), n)),
             ("plan", lambda g: g.choice(np.array(["basic", "plus", "pro"], dtype=object), n, p=[0.5, 0.3, 0.2])),
             ("flip", lambda g: g.random(n)))
    # one generator per column: the first k rows are the same whatever n is (make_frame(k) is a prefix)
    cols = {name: draw(np.random.default_rng([seed, i])) for i, (name, draw) in enumerate(draws)}
    f = pd.DataFrame({k: v for k, v in cols.items() if k != "flip"})
    f["age"] = f["age"].astype(np.int64)
    f["visits"] = f["visits"].astype(np.int64)
    y = (((f["x0"] > 0.6) & (f["x1"] < 0.4)) | ((f["age"] >= 50) & f["region"].isin(["north", "east"]))
         | (f["x2"] + f["x3"] > 1.5) | ((f["plan"] == "pro") & (f["visits"] >= 4))).to_numpy()
    y = y ^ (cols["flip"] < 0.03)
    f[TARGET] = np.where(y, "yes", "no")
    return f


def make_dataset(n: int, seed: int = 0, name: str = "scaling"):
    import rulex
    return rulex.Dataset.from_frame(make_frame(n, seed), TARGET, integer=["age", "visits"],
                                    categorical=["region", "plan"], name=name)


def shape_of(axis: str, size: int, base_width: int) -> tuple:
    """Hidden layer sizes of the network used at ``size`` on ``axis``."""
    if axis == "rows":
        return (base_width,)
    if axis == "depth":
        return (base_width,) * int(size)
    if axis == "width":
        return (int(size),)
    raise ValueError(f"unknown axis {axis!r}; use one of {AXES}")


def rows_of(axis: str, size: int, fixed_rows: int) -> int:
    return int(size) if axis == "rows" else int(fixed_rows)


# -- growth rate ----------------------------------------------------------------------------------
def growth_exponent(sizes, values) -> float:
    """Slope ``b`` of ``log(value) = a + b log(size)`` by least squares; NaN with fewer than 2 usable points.

    Points with a missing or non-positive value are left out (they have no logarithm).
    """
    s = np.asarray(sizes, dtype=float)
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(s) & np.isfinite(v) & (s > 0) & (v > 0)
    s, v = s[ok], v[ok]
    if len(np.unique(s)) < 2:
        return float("nan")
    b, _a = np.polyfit(np.log(s), np.log(v), 1)
    return float(b)


def growth_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per axis and method (and the floor): exponents of seconds and peak MB, points used, first budget hit."""
    rows = []
    for axis in [a for a in AXES if a in set(df["axis"])]:
        sub = df[df["axis"] == axis]
        for m in sorted(sub["method"].unique()):
            r = sub[sub["method"] == m].sort_values("size")
            done = r[r["status"].isin(COMPLETED)]
            stop = r[r["status"].isin(STOPPED)]
            na = r[r["status"] == "n/a"]
            rows.append({"axis": axis, "method": m, "kind": r["kind"].iloc[0], "points": len(done),
                         "exp_seconds": growth_exponent(done["size"], done["seconds"]),
                         "exp_seconds_tail": growth_exponent(done["size"].tail(2), done["seconds"].tail(2)),
                         "exp_peak_mb": growth_exponent(done["size"], done["peak_mb"]),
                         "largest_done": done["size"].max() if len(done) else np.nan,
                         "budget_at": stop["size"].min() if len(stop) else np.nan,
                         "budget_status": stop["status"].iloc[0] if len(stop) else "",
                         "n/a_at": na["size"].min() if len(na) else np.nan})
        floor = sub.drop_duplicates("size").sort_values("size")
        rows.append({"axis": axis, "method": "(network predict)", "kind": "floor", "points": len(floor),
                     "exp_seconds": growth_exponent(floor["size"], floor["floor_seconds"]),
                     "exp_seconds_tail": growth_exponent(floor["size"].tail(2), floor["floor_seconds"].tail(2)),
                     "exp_peak_mb": growth_exponent(floor["size"], floor["floor_peak_mb"]),
                     "largest_done": floor["size"].max(), "budget_at": np.nan, "budget_status": "",
                     "n/a_at": np.nan})
    return pd.DataFrame(rows)


def _floor_of(df: pd.DataFrame) -> pd.Series:
    """The floor each row is compared with: measured in its own worker right before the extraction
    when the run recorded it, else the parent's (older runs)."""
    worker = df["floor_worker_seconds"] if "floor_worker_seconds" in df else pd.Series(np.nan, index=df.index)
    return worker.where(np.isfinite(worker.astype(float)), df["floor_seconds"])


def largest_vs_floor(df: pd.DataFrame) -> pd.DataFrame:
    """Per method, the largest finished size of the rows axis: seconds and peak MB, and their ratio to the floor."""
    sub = df[(df["axis"] == "rows") & df["status"].isin(COMPLETED)].sort_values("size")
    big = sub.groupby("method").tail(1).sort_values("method").copy()
    big["x_floor_seconds"] = big["seconds"] / _floor_of(big)
    big["x_floor_peak_mb"] = big["peak_mb"] / big["floor_peak_mb"]
    big["floor_used"] = _floor_of(big)
    return big[["method", "size", "seconds", "floor_used", "x_floor_seconds", "peak_mb",
                "x_floor_peak_mb"]].reset_index(drop=True)


# -- one run ------------------------------------------------------------------------------------
def _proc_status() -> dict:
    out = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    key, val = line.split(":", 1)
                    out[key] = int(val.split()[0]) / 1024.0
    except OSError:
        pass
    return out


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")                  # Linux >= 4.0: reset VmHWM to the current RSS
        return True
    except OSError:
        return False


def extract_one(net, data, holdout, method: str, max_seconds: float | None, seed: int = 0,
                params: dict | None = None, own_budgets: bool = False) -> dict:
    """Run ``method`` on ``net`` and ``data`` in this process; a result dict, never raises a rulex error.

    ``params`` are extra parameters of the method; ``max_seconds`` goes to the methods that take it
    (with ``own_budgets``, only as a cap on the method's own default budget). The floor
    (``net.predict`` on the same rows, best of ``WORKER_FLOOR_REPEATS``) is measured here first,
    so the extraction and its floor share the worker and the moment.
    """
    import rulex
    from rulex.extractors.base import EXTRACTORS
    warnings.simplefilter("ignore")
    extra, params = params, EXTRACTORS[method]().get_params(deep=False)
    kw = dict(extra or {})
    if "max_seconds" in params and max_seconds is not None:
        own = params["max_seconds"]
        kw["max_seconds"] = float(max_seconds) if not own_budgets or own is None else float(min(own, max_seconds))
    floor = math.inf
    for _ in range(WORKER_FLOOR_REPEATS):
        t = time.perf_counter()
        net.predict(data.frame)
        floor = min(floor, time.perf_counter() - t)
    if "random_state" in params:
        kw["random_state"] = seed
    for col in data.frame.columns:         # map the rows' pages in before the RSS baseline
        data.frame[col].to_numpy()
    rss_ok = _reset_peak_rss()
    rss0 = _proc_status().get("VmRSS", np.nan)
    out = {"status": "ok", "seconds": np.nan, "peak_mb": np.nan, "rss_mb": np.nan, "fidelity": np.nan,
           "rules": np.nan, "conditions": np.nan, "error": "", "floor_worker_seconds": floor, "x_floor": np.nan}
    t = time.perf_counter()
    try:
        rs = rulex.extract(net, data, method, **kw)
    except rulex.BudgetExceededError as exc:
        out.update(status="budget", error=f"BudgetExceededError: {exc}")
    except rulex.NetworkError as exc:      # the method refuses this network (CRED: one hidden layer)
        out.update(status="n/a", error=f"NetworkError: {exc}")
    except (rulex.RulexError, NotImplementedError, MemoryError) as exc:
        out.update(status="error", error=f"{type(exc).__name__}: {exc}")
    else:
        run = rs.provenance.get("run", {})
        out.update(seconds=float(run.get("seconds", np.nan)), peak_mb=float(np.nan if run.get("peak_memory_mb") is None else run["peak_memory_mb"]),
                   fidelity=float(np.mean(np.asarray(rs.predict(holdout.frame)) ==
                                          np.asarray(net.predict(holdout.frame)))),
                   rules=int(len(rs)), conditions=int(rs.conditions_count()))
        out["x_floor"] = out["seconds"] / floor
        if max_seconds is not None and "max_seconds" not in params and out["seconds"] > max_seconds:
            out.update(status="over budget", error=f"took {out['seconds']:.1f} s > max_seconds={_g(max_seconds)} "
                                                    f"({method} has no time budget of its own)")
    out["wall_seconds"] = time.perf_counter() - t
    if rss_ok and np.isfinite(rss0):
        out["rss_mb"] = max(_proc_status().get("VmHWM", np.nan) - rss0, 0.0)
    return out


def _child(fn, conn):
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except Exception:                      # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    try:
        out = fn()
    except BaseException as exc:           # anything unexpected: report it, do not hang the parent
        out = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    conn.send(out)
    conn.close()


def run_isolated(fn, timeout: float) -> dict:
    """``fn()`` in a forked process; its dict, or a ``timeout``/``died`` status.

    The worker is killed once ``timeout`` seconds have passed without an answer.
    """
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn, send), daemon=True)
    t = time.perf_counter()
    proc.start()
    send.close()
    try:
        if recv.poll(timeout):
            try:
                return recv.recv()
            except EOFError:
                proc.join(5)
                return {"status": "died", "wall_seconds": time.perf_counter() - t,
                        "error": f"worker died (exit code {proc.exitcode}; -9 is usually the kernel's "
                                 "out-of-memory killer)"}
        proc.kill()
        return {"status": "timeout", "wall_seconds": time.perf_counter() - t,
                "error": f"killed after {timeout:.0f} s (hard limit; the method did not stop itself)"}
    finally:
        proc.join(10)
        recv.close()


def preload():
    """Import what the extractors import lazily, once in the parent, so no worker times an import."""
    import importlib
    for mod in ("sklearn.tree", "scipy.stats", "scipy.special", "sympy", "sympy.logic.boolalg"):
        try:
            importlib.import_module(mod)
        except ImportError:                # pragma: no cover - a method that needs it reports the error
            pass


def floor_times(net, data, repeats: int = 7) -> dict:
    """Network prediction on the rows of ``data``: best-of-``repeats`` seconds and peak traced MB."""
    X = net.encoder.transform(data.frame)
    best, best_enc = math.inf, math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        net.predict(data.frame)
        best = min(best, time.perf_counter() - t)
        t = time.perf_counter()
        net.predict_index(X)
        best_enc = min(best_enc, time.perf_counter() - t)
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        net.predict(data.frame)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"floor_seconds": best, "floor_encoded_seconds": best_enc, "floor_peak_mb": max(peak - base, 0) / 2**20}


# -- one axis -------------------------------------------------------------------------------------
def run_axis(axis: str, sizes, methods, runner, floor=None, kinds=None, progress=print) -> list[dict]:
    """Every size (ascending) and method on one axis; ``runner(method, size) -> dict`` does one run.

    After a method's first stop (a status in ``STOPPED``) its larger sizes on this axis are not
    run: they get status ``skipped``. ``floor(size) -> dict`` adds the floor columns; ``kinds``
    maps method to kind.
    """
    stopped: dict = {}
    rows = []
    for size in sorted(sizes):
        base = {"axis": axis, "size": int(size)}
        if floor is not None:
            base.update(floor(size))
        for m in methods:
            row = dict(base, method=m, kind=(kinds or {}).get(m, ""))
            if m in stopped:
                row.update(status="skipped", error=f"skipped after budget at {axis}={stopped[m]}")
            else:
                row.update(runner(m, size))
                if row["status"] in STOPPED:
                    stopped[m] = int(size)
            rows.append(row)
            if progress:
                progress(_progress_line(row))
    return rows


def _progress_line(r: dict) -> str:
    head = f"[{r['axis']} {r['size']:>6}] {r['method']:<15}"
    if r["status"] in COMPLETED:
        return (f"{head} {r['status']:<11} {r['seconds']:8.2f} s {r['peak_mb']:8.1f} MB  fid {r['fidelity']:.3f}  "
                f"{r['rules']:.0f} rules")
    return f"{head} {r['status']:<11} {str(r.get('error', ''))[:110]}"


# -- the grid -------------------------------------------------------------------------------------
def code_version() -> str:
    """Short git commit of the checkout, with a mark when rulex/ has uncommitted changes ("" without git)."""
    import subprocess
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "rulex"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + (" + uncommitted changes in rulex/" if head and dirty else "")


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:                        # pragma: no cover
        return float("nan")


def run_grid(axes=AXES, methods=None, sizes=None, setup=None, max_seconds: float | None = 120.0, seed: int = 0,
             hard_timeout: float | None = None, params: dict | None = None, progress=print,
             own_budgets: bool = False, repeats: int = 1) -> pd.DataFrame:
    """Every axis x size x method; one row each (see ``COLUMNS``).

    A cell with the same network shape, rows and method as an earlier cell (e.g. depth 1 and
    width 16 at 5k rows) reuses that cell's measurement instead of running again.
    """
    import rulex
    warnings.simplefilter("ignore")
    preload()
    setup = dict(SETUP if setup is None else setup)
    sizes = {a: tuple(SIZES[a] if sizes is None else sizes[a]) for a in axes}
    info = rulex.available_methods()
    methods = list(info) if methods is None else list(methods)
    unknown = [m for m in methods if m not in info]
    if unknown:
        raise SystemExit(f"unknown method(s) {unknown}; available: {', '.join(info)}")
    kinds = {m: info[m].kind for m in methods}
    if hard_timeout is None:
        hard_timeout = (1.5 * max_seconds + 30.0) if max_seconds is not None else 3600.0
    n_pool = max([setup["train_rows"], setup["fixed_rows"]] + [int(s) for s in sizes.get("rows", ())])
    pool = make_dataset(n_pool, seed, name=f"scaling-seed{seed}")
    holdout = make_dataset(setup["holdout_rows"], seed + 1, name=f"scaling-seed{seed + 1}-holdout")
    train = pool.subset(np.arange(setup["train_rows"]), "-train")
    nets, subsets, done = {}, {}, {}
    params = dict(params or {})

    def network(hidden):
        if hidden not in nets:
            t = time.perf_counter()
            net = rulex.train_network(train, hidden, "sigmoid", max_epochs=setup["epochs"], random_state=seed)
            acc = float(np.mean(np.asarray(net.predict(holdout.frame)) == holdout.y.to_numpy()))
            nets[hidden] = net
            if progress:
                progress(f"trained {hidden} on {len(train)} rows in {time.perf_counter() - t:.1f} s, "
                         f"holdout accuracy {acc:.4f}")
            NETWORKS.append({"hidden": ",".join(map(str, hidden)), "train_seconds": time.perf_counter() - t,
                             "holdout_accuracy": acc})
        return nets[hidden]

    def rows_data(n):
        if n not in subsets:
            subsets[n] = pool.subset(np.arange(n), f"-{n}")
        return subsets[n]

    NETWORKS = []
    out = []
    load0, code0 = _load(), code_version()
    for axis in axes:
        def floor(size, axis=axis):
            hidden = shape_of(axis, size, setup["base_width"])
            f = floor_times(network(hidden), rows_data(rows_of(axis, size, setup["fixed_rows"])))
            return dict(f, hidden=",".join(map(str, hidden)), rows=rows_of(axis, size, setup["fixed_rows"]))

        def runner(method, size, axis=axis):
            key = (shape_of(axis, size, setup["base_width"]), rows_of(axis, size, setup["fixed_rows"]), method)
            if key not in done:
                net, data = network(key[0]), rows_data(key[1])
                runs = [run_isolated(lambda: extract_one(net, data, holdout, method, max_seconds, seed,
                                                         params.get(method), own_budgets), hard_timeout)
                        for _ in range(max(1, int(repeats)))]
                ok = [r for r in runs if r.get("status") == "ok" and np.isfinite(r.get("seconds", np.nan))]
                # best of the repeats, as the floor is a best of several: the quietest moment of a shared machine
                done[key] = min(ok, key=lambda r: r["seconds"]) if ok else runs[0]
            return dict(done[key])

        out += run_axis(axis, sizes[axis], methods, runner, floor, kinds, progress)
    df = pd.DataFrame(out).reindex(columns=COLUMNS)
    df["run"] = f"{_dt.date.today().isoformat()} {code0}".strip()
    df.attrs["networks"] = NETWORKS
    df.attrs["params"] = params
    df.attrs["own_budgets"] = own_budgets
    df.attrs["repeats"] = int(repeats)
    df.attrs["load"] = (load0, _load())
    df.attrs["code"] = (code0, code_version())
    df.attrs["data"] = {"pool_rows": n_pool, "positive_share": float((pool.y == "yes").mean()),
                        "encoded_inputs": int(next(iter(nets.values())).encoder.n_inputs) if nets else None}
    return df


def merge_previous(df: pd.DataFrame, path: Path, label: str | None = None) -> pd.DataFrame:
    """``df`` plus the cells of an earlier run's CSV at ``path`` that ``df`` does not redo (same axis
    and method); each kept cell keeps its own floor and says which run it comes from (``label`` for
    cells of a file written before the ``run`` column existed)."""
    if not path.exists():
        return df
    old = pd.read_csv(path, keep_default_na=False, na_values=[""]).reindex(columns=COLUMNS)   # "n/a" is a status
    old["run"] = old["run"].astype(object).fillna(label or "an earlier run")     # all-empty: read as floats
    redone = set(zip(df["axis"], df["method"]))
    keep = old[[(a, m) not in redone for a, m in zip(old["axis"], old["method"])]]
    out = pd.concat([df, keep], ignore_index=True).reindex(columns=COLUMNS)
    out.attrs = dict(df.attrs, merged=sorted(set(keep["run"])), merged_cells=sorted(
        {(a, m) for a, m in zip(keep["axis"], keep["method"])}))
    return out


# -- reports ------------------------------------------------------------------------------------------
def _cell(r, value: str, fmt: str) -> str:
    st = r["status"]
    if st == "ok":
        return format(r[value], fmt)
    if st == "over budget":
        return f"{format(r[value], fmt)} (over)"
    return {"budget": "budget", "timeout": "timeout", "died": "died", "n/a": "n/a", "skipped": "skipped"}.get(st, st)


def _num(v, fmt=".2f", empty="—"):
    return empty if v is None or (isinstance(v, float) and not np.isfinite(v)) else format(v, fmt)


def _g(v) -> str:
    return "None" if v is None else format(v, "g")


def _size_label(axis, s):
    if axis == "rows":
        return f"{s // 1000}k" if s >= 1000 and s % 1000 == 0 else str(s)
    return str(s)


def axis_tables(df: pd.DataFrame, axis: str, holdout_rows: int = SETUP["holdout_rows"]) -> list[str]:
    sub = df[df["axis"] == axis]
    sizes = sorted(sub["size"].unique())
    methods = sorted(sub["method"].unique())
    head = "| method | " + " | ".join(_size_label(axis, s) for s in sizes) + " |"
    sep = "|---|" + "---:|" * len(sizes)
    floor = sub.drop_duplicates("size").set_index("size")
    lines = []
    for title, col, fmt, floor_col in (("seconds (extraction)", "seconds", ".2f", "floor_seconds"),
                                       ("peak MB (traced, extraction)", "peak_mb", ".1f", "floor_peak_mb"),
                                       ("worker RSS growth MB (whole extract call)", "rss_mb", ".0f", None),
                                       (f"fidelity to the network ({holdout_rows} held-out rows, sanity)",
                                        "fidelity", ".3f", None),
                                       ("rules", "rules", ".0f", None)):
        lines += [f"**{title}**", "", head, sep]
        for m in methods:
            cells = {r["size"]: _cell(r, col, fmt) for _, r in sub[sub["method"] == m].iterrows()}
            lines.append(f"| {m} | " + " | ".join(cells.get(s, "") for s in sizes) + " |")
        if floor_col:
            fmt2 = ".4f" if col == "seconds" else fmt
            lines.append("| *network predict (floor)* | " + " | ".join(_num(floor.loc[s, floor_col], fmt2)
                                                                      for s in sizes) + " |")
            if col == "seconds":
                lines.append("| *predict, encoded matrix* | " + " | ".join(
                    _num(floor.loc[s, "floor_encoded_seconds"], ".4f") for s in sizes) + " |")
        lines.append("")
    if axis == "rows":
        lines += ["**x floor (extraction seconds / `net.predict` on the same rows, measured in the same worker "
                  "right before; cells from an earlier run: its parent-process floor)**", "", head, sep]
        for m in methods:
            r_m = sub[sub["method"] == m]
            ratio = r_m["seconds"] / _floor_of(r_m)
            cells = {r["size"]: (_num(q, ".1f") if r["status"] in COMPLETED else _cell(r, "seconds", ".2f"))
                     for (_, r), q in zip(r_m.iterrows(), ratio)}
            lines.append(f"| {m} | " + " | ".join(cells.get(s, "") for s in sizes) + " |")
        lines.append("")
    return lines


def write_reports(df: pd.DataFrame, growth: pd.DataFrame, args_line: str, wall: float, setup: dict,
                  max_seconds, seed: int, out: Path = RESULTS, png: bool = True):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "scaling.csv", index=False, float_format="%.6g")
    axes = [a for a in AXES if a in set(df["axis"])]
    nets = df.attrs.get("networks", [])
    code = df.attrs.get("code", ("", ""))
    code = ("rulex at commit " + code[0] if code[0] == code[1] else
            f"rulex code changed during the run ({code[0] or '?'} at start, {code[1] or '?'} at end)") \
        if any(code) else "rulex version not known (no git)"
    load = " at start, ".join(f"{v:.1f}" for v in df.attrs.get("load", ())) + " at end" if df.attrs.get("load") \
        else "not known"
    data = df.attrs.get("data", {})
    lines = ["# Scaling of rule extraction: rows, depth, width", "",
             f"Produced by `python benchmarks/scaling.py {args_line}` on "
             f"{_dt.date.today().isoformat()} ({wall / 60:.1f} min in all). Machine: {os.cpu_count()} cores "
             f"shared with other jobs (load average {load}), Python {platform.python_version()}, {code}; every "
             "extraction runs single-threaded in its own forked worker, "
             + (f"the fastest of {df.attrs['repeats']} runs per cell (each in its own worker with its own floor), "
              "the cells kept from earlier runs one run each; times still carry some noise." if
              df.attrs.get("repeats", 1) > 1 else
              "one measurement per cell (no repeats), so times carry a few tens of percent of noise."), "",
             f"Data: the synthetic binary problem of `make_frame` (seed {seed}; 6 real, 2 integer, 2 categorical "
             f"features, {data.get('encoded_inputs', '?')} encoded inputs, {100 * data.get('positive_share', 0):.1f} % "
             "positive), extraction on the first n rows of one draw, fidelity on a separate "
             f"{setup['holdout_rows']}-row draw. "
             f"Networks: sigmoid, trained once per shape on the first {setup['train_rows']} rows for "
             f"{setup['epochs']} epochs (`random_state={seed}`); the rows axis uses one network "
             f"({setup['base_width']},) for every n, so it measures the extractor's cost as its input grows, "
             "not training. "
             f"Depth and width axes extract on {setup['fixed_rows']} rows. "
             + (f"Methods at their defaults, their own `max_seconds` included (capped at {_g(max_seconds)}); "
                if df.attrs.get("own_budgets") else
                f"Methods at their defaults, except `max_seconds={_g(max_seconds)}` for the methods that have it; ")
             + f"methods without a budget count as *over budget* past {_g(max_seconds)} s; every worker is killed "
             "at 1.5 x budget + 30 s."
             + ("" if not df.attrs.get("params") else " Other parameters (`--quick` smoke test, not figures): "
                + "; ".join(f"{m} {p}" for m, p in df.attrs["params"].items()) + "."), "",
             "*seconds* and *peak MB*: the extraction alone as the rule set's provenance records it (wall time; "
             "peak traced allocations, `tracemalloc`). *Floor*: `net.predict` on the same rows with the same "
             "network (best of 7; from the frame, i.e. with encoding, and from the encoded matrix). "
             "*budget*: the method stopped itself (`BudgetExceededError`); *skipped*: not run because a smaller "
             "size on the same axis already hit the budget; *n/a*: the method refuses the network (CRED reads "
             "one hidden layer only).", ""]
    if df.attrs.get("merged"):
        cells: dict = {}
        for a, m in df.attrs.get("merged_cells", []):
            cells.setdefault(a, []).append(m)
        lines += ["**Merged run.** This run (" + ", ".join(sorted(set(df['run'].dropna()) - set(df.attrs['merged'])))
                  + ") redid only the cells it lists in its command line; the cells of "
                  + "; ".join(f"the {a} axis for {', '.join(ms)}" for a, ms in sorted(cells.items()))
                  + " are kept from " + ", ".join(df.attrs["merged"]) + " (column `run` of scaling.csv; their "
                  "header figures, load and networks table are that run's, not repeated here).", ""]
    # headline
    lines += ["## Growth exponents and budget hits", "",
              "Slope of log(seconds) and log(peak MB) against log(size) over the sizes that finished "
              "(1 = linear, 0 = flat; rows: *all sizes / last two sizes*, the second is the rate at the large "
              "end, where fixed costs no longer hide it). *Budget hit at*: the smallest size on each axis at "
              "which the method stopped (— : never, within the grid). With 4-5 points and times of a few "
              "seconds, the depth and width exponents are rough (noise of a shared machine is of the order of "
              "their size).", ""]
    cols = []
    for a in axes:
        cols += [f"{a}: time", f"{a}: memory"]
    lines += ["| method | " + " | ".join(cols) + " | budget hit at |", "|---|" + "---:|" * len(cols) + "---|"]
    order = sorted(m for m in growth["method"].unique() if not m.startswith("(")) + ["(network predict)"]
    for m in order:
        cells, hits = [], []
        for a in axes:
            g = growth[(growth["axis"] == a) & (growth["method"] == m)]
            if not len(g):
                cells += ["", ""]
                continue
            g = g.iloc[0]
            if g["points"] < 2:
                t = tm = "n/a" if np.isfinite(g["n/a_at"]) and g["points"] <= 1 else "—"
            else:
                t, tm = _num(g["exp_seconds"]), _num(g["exp_peak_mb"])
                if a == "rows":
                    t += " / " + _num(g["exp_seconds_tail"])
            cells += [t, tm]
            if np.isfinite(g["budget_at"]):
                hits.append(f"{a} {_size_label(a, int(g['budget_at']))}"
                            + ("" if g["budget_status"] == "budget" else f" ({g['budget_status']})"))
            if np.isfinite(g["n/a_at"]):
                hits.append(f"n/a from {a} {_size_label(a, int(g['n/a_at']))}")
        label = "*network predict (floor)*" if m.startswith("(") else m
        lines.append(f"| {label} | " + " | ".join(cells) + " | "
                     + ("" if m.startswith("(") else ", ".join(hits) or "—") + " |")
    lines.append("")
    if "rows" in axes:
        big = largest_vs_floor(df)
        lines += ["At the largest number of rows each method finished, against the floor (network prediction "
                  "on the same rows from the frame: best of several in the method's own worker right before "
                  "the extraction; peak traced MB against the parent's measurement):", "",
                  "| method | rows | seconds | floor s | x floor | peak MB | x floor |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['method']} | {_size_label('rows', int(r['size']))} | {r['seconds']:.2f} | "
                  f"{r['floor_used']:.3f} | {r['x_floor_seconds']:.1f} | {r['peak_mb']:.1f} | "
                  f"{r['x_floor_peak_mb']:.1f} |" for _, r in big.iterrows()]
        rows_axis = df[df["axis"] == "rows"]
        last = rows_axis[rows_axis["size"] == rows_axis["size"].max()].iloc[0]     # this run's floor first
        lines.append(f"| *network predict (floor, parent)* | {_size_label('rows', int(last['size']))} | "
                     f"{last['floor_seconds']:.3f} | | 1 | {last['floor_peak_mb']:.1f} | 1 |")
        lines.append("")
    if nets:
        lines += ["## Networks", "", "| hidden | training s | holdout accuracy |", "|---|---:|---:|"]
        lines += [f"| ({n['hidden']}) | {n['train_seconds']:.1f} | {n['holdout_accuracy']:.4f} |" for n in nets]
        lines.append("")
    for a in axes:
        sub = df[df["axis"] == a]
        lines += [f"## Axis: {a} — {AXIS_LABEL[a]}", ""]
        if a == "rows":
            lines += [f"Network ({sub['hidden'].iloc[0]}); extraction on the first n rows.", ""]
        else:
            lines += [f"Extraction on {int(sub['rows'].iloc[0])} rows; network shape per column: "
                      + ", ".join(f"{_size_label(a, s)} = ({h})" for s, h in
                                  sub.drop_duplicates('size')[['size', 'hidden']].itertuples(index=False)) + ".", ""]
        lines += axis_tables(df, a, setup["holdout_rows"])
    errs = df[df["status"].isin(STOPPED + ("error",))]
    if len(errs):
        lines += ["## Budget hits and errors", ""]
        lines += [f"- {r['axis']}={_size_label(r['axis'], int(r['size']))}, {r['method']} ({r['status']}): "
                  f"{str(r['error'])[:300]}" for _, r in errs.iterrows()]
        lines.append("")
    na = df[df["status"] == "n/a"]
    if len(na):
        parts = []
        for m, g in na.groupby("method"):
            where = ", ".join(f"{a} {_size_label(a, int(x))}" for a, x in g[["axis", "size"]].itertuples(index=False))
            parts.append(f"{m} on {where} ({str(g['error'].iloc[0])[:160]})")
        lines += ["Not applicable: " + "; ".join(parts), ""]
    if png and plot(df, out / "scaling.png", max_seconds):
        lines += ["![seconds against size, log-log, per axis](scaling.png)", ""]
    if df.attrs.get("notes"):
        lines += ["## Notes", "", df.attrs["notes"], ""]
    (out / "scaling.md").write_text("\n".join(lines))


def plot(df: pd.DataFrame, path: Path, max_seconds=None) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:                    # pragma: no cover
        return False
    axes = [a for a in AXES if a in set(df["axis"])]
    methods = sorted(df["method"].unique())
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    # more methods than colours: the second round gets dashed lines
    colors = {m: cycle[i % len(cycle)] for i, m in enumerate(methods)}
    styles = {m: "o-" if i < len(cycle) else "s--" for i, m in enumerate(methods)}
    fig, axs = plt.subplots(1, len(axes), figsize=(4.6 * len(axes), 4.2), squeeze=False)
    for ax, a in zip(axs[0], axes):
        sub = df[df["axis"] == a]
        for m in methods:
            r = sub[sub["method"] == m].sort_values("size")
            done = r[r["status"].isin(COMPLETED)]
            if len(done):
                ax.plot(done["size"], done["seconds"], styles[m], color=colors[m], label=m, ms=4)
            stop = r[r["status"].isin(STOPPED) & ~r["status"].isin(COMPLETED)]
            if len(stop) and max_seconds:
                ax.plot(stop["size"], [max_seconds] * len(stop), "x", color=colors[m], ms=9, mew=2)
        fl = sub.drop_duplicates("size").sort_values("size")
        ax.plot(fl["size"], fl["floor_seconds"], "k--", label="network predict (floor)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        if a != "rows":
            ax.set_xticks(sorted(fl["size"]))
            ax.set_xticklabels([str(s) for s in sorted(fl["size"])])
            ax.minorticks_off()
        ax.set_xlabel(AXIS_LABEL[a])
        ax.set_ylabel("seconds")
        ax.set_title(f"{a} (x: stopped by budget)" if max_seconds else a, fontsize=10)
        ax.grid(alpha=0.3, which="both")
    seen = {}
    for ax in axs[0]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    labels = sorted(seen, key=lambda lab: (lab.startswith("network"), lab))
    handles = [seen[lab] for lab in labels]
    ncol = min(len(labels), 8)
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05 * (1 + (len(labels) - 1) // ncol), 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


# -- command line ---------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--axes", default=",".join(AXES), help="comma-separated subset of rows,depth,width")
    ap.add_argument("--methods", default=None, help="comma-separated (default: every available method)")
    ap.add_argument("--max-seconds", type=float, default=120.0, help="time budget per extraction (default 120)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="tiny sizes and networks (seconds; for tests)")
    ap.add_argument("--out", default=str(RESULTS), help="folder for scaling.md/.csv/.png")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--rows", default=None, help="comma-separated sizes of the rows axis (default "
                    + ",".join(map(str, SIZES["rows"])) + ")")
    ap.add_argument("--own-budgets", action="store_true",
                    help="methods keep their own default max_seconds (capped by --max-seconds) instead of "
                         "getting --max-seconds")
    ap.add_argument("--repeats", type=int, default=1,
                    help="extract every cell this many times (own worker and floor each) and keep the fastest")
    ap.add_argument("--merge", action="store_true",
                    help="keep the cells of the existing scaling.csv in --out that this run does not redo "
                         "(other axes, other methods), marked with the run they come from")
    ap.add_argument("--merge-label", default=None, help="how to name the earlier run's cells that carry no "
                                                        "run label (e.g. 'the run of 2026-11-23, commit 460841e')")
    ap.add_argument("--notes", default=None, help="a Markdown file whose text closes scaling.md (hand-written "
                                                  "conclusions)")
    args = ap.parse_args(argv)
    axes = [a.strip() for a in args.axes.split(",") if a.strip()]
    bad = [a for a in axes if a not in AXES]
    if bad or not axes:
        ap.error(f"--axes takes a comma-separated subset of {','.join(AXES)}, got {args.axes!r}")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()] if args.methods else None
    setup = QUICK_SETUP if args.quick else SETUP
    sizes = dict(QUICK_SIZES if args.quick else SIZES)
    if args.rows:
        sizes["rows"] = tuple(int(v) for v in args.rows.split(",") if v.strip())
    started = time.perf_counter()
    df = run_grid(axes, methods, sizes, setup, args.max_seconds, args.seed,
                  params=QUICK_PARAMS if args.quick else None, own_budgets=args.own_budgets,
                  repeats=args.repeats)
    wall = time.perf_counter() - started
    if args.merge:
        df = merge_previous(df, Path(args.out) / "scaling.csv", args.merge_label)
    growth = growth_table(df)
    args_line = " ".join(["--axes " + ",".join(axes)] + (["--methods " + ",".join(methods)] if methods else [])
                         + ([f"--rows {args.rows}"] if args.rows else [])
                         + [f"--max-seconds {args.max_seconds:g}", f"--seed {args.seed}"]
                         + (["--own-budgets"] if args.own_budgets else [])
                         + ([f"--repeats {args.repeats}"] if args.repeats > 1 else []) + (["--merge"] if args.merge else [])
                         + ([f"--merge-label '{args.merge_label}'"] if args.merge_label else [])
                         + ([f"--notes {args.notes}"] if args.notes else []) + (["--quick"] if args.quick else []))
    if args.notes:
        df.attrs["notes"] = Path(args.notes).read_text().strip()
    write_reports(df, growth, args_line, wall, setup, args.max_seconds, args.seed, Path(args.out),
                  png=not args.no_plot)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(growth.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(f"{wall:.1f} s; wrote scaling.md/.csv" + ("" if args.no_plot else "/.png") + f" in {args.out}")
    return df, growth


if __name__ == "__main__":
    main()
