"""Many models at once: data sets x network seeds x cross-validation folds x methods, as one tidy table.

Every cell ``(data, seed, fold)`` trains one network on the fold's training rows
(``rulex.train_network(train, hidden, "sigmoid", random_state=seed)``), runs every method on that
network and those rows (:func:`rulex.compare`) and scores the rules on the fold's held-out rows.
Folds come from ``StratifiedKFold(folds, shuffle=True, random_state=0)`` (``KFold`` for
regression), so they are the same for every seed: the seed changes only the network and the
methods' ``random_state``. A cell is a pure function of its inputs and runs with one torch
thread, so the numbers do not depend on where it runs (``seconds``, ``peak_mb`` and
``train_seconds`` aside): serially, in joblib processes (``n_jobs``) or on a Dask cluster
(``scheduler``: an address such as ``tcp://127.0.0.1:8786``, a ``dask.distributed.Client`` or a
cluster object), through joblib's Dask backend.

The cell functions are module-level so that process workers import them by name.
"""
from __future__ import annotations

import inspect
import time
import warnings

import numpy as np
import pandas as pd

from .compare import check_arguments, compare, pareto_front
from .data import check_random_state, load_dataset
from .exceptions import DataError, Param
from .extractors.base import EXTRACTORS
from .extractors.budget import capped_rows
from .metrics import agreement
from .network import train_network

__all__ = [
    "GRID_COLUMNS",
    "MEASURED",
    "METRICS",
    "budget_params",
    "cell_network",
    "fold_indices",
    "pareto_front",
    "run_cell",
    "run_grid",
    "summarize",
]

#: the tidy table's columns, one row per (data, seed, fold, method)
GRID_COLUMNS = ["data", "seed", "fold", "method", "kind", "hidden", "train_rows", "test_rows", "network_accuracy",
                "fidelity", "accuracy", "rules", "conditions", "seconds", "peak_mb", "train_seconds", "error"]
#: columns that depend on the machine and the moment, not on the cell's inputs
MEASURED = ["seconds", "peak_mb", "train_seconds"]
METRICS = ["fidelity", "accuracy", "rules", "conditions", "seconds", "peak_mb"]


def fold_indices(ds, folds: int, fold: int):
    """``(train_idx, test_idx)`` of fold ``fold`` of ``folds`` (stratified for classification)."""
    from sklearn.model_selection import KFold, StratifiedKFold
    n = len(ds.frame)
    if ds.task == "classification":
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        splits = list(splitter.split(np.zeros(n), ds.y.to_numpy()))
    else:
        splits = list(KFold(n_splits=folds, shuffle=True, random_state=0).split(np.zeros(n)))
    return splits[fold]


def cell_network(data, seed: int, fold: int, folds: int, hidden=(16,), epochs=None, max_rows: int | None = None):
    """``(net, train, test)`` of cell ``(data, seed, fold)``.

    ``data`` is a bundled data set name or a :class:`rulex.Dataset`; ``max_rows`` keeps a fixed
    random subset of that many rows (seed 0) before the folds are cut, for quick grids.
    """
    warnings.simplefilter("ignore")
    try:                                   # one thread: same numbers in any worker, fair timings
        import torch
        torch.set_num_threads(1)
    except ImportError:                    # pragma: no cover
        pass
    ds = load_dataset(data) if isinstance(data, str) else data
    keep = capped_rows(len(ds.frame), max_rows, 0)
    if keep is not None:
        ds = ds.subset(keep)
    tr_idx, te_idx = fold_indices(ds, folds, fold)
    train, test = ds.subset(tr_idx, f"-fold{fold}-train"), ds.subset(te_idx, f"-fold{fold}-test")
    net = train_network(train, tuple(hidden), "sigmoid", max_epochs=epochs, random_state=seed)
    return net, train, test


def budget_params(methods, max_seconds, params=None) -> dict:
    """Per-method parameters: ``params`` plus ``max_seconds`` for every method that takes a budget."""
    out = {m: dict(p) for m, p in (params or {}).items()}
    if max_seconds is None:
        return out
    names = list(methods) if methods is not None else sorted(EXTRACTORS)
    for m in names:
        if m in EXTRACTORS and "max_seconds" in inspect.signature(EXTRACTORS[m].__init__).parameters:
            out.setdefault(m, {}).setdefault("max_seconds", float(max_seconds))
    return out


def run_cell(data, seed: int, fold: int, folds: int, methods=None, hidden=(16,), epochs=None, max_seconds=None,
             params=None, max_rows: int | None = None) -> list[dict]:
    """Train one network on fold ``fold`` and run every method on it; one dict per method.

    ``network_accuracy`` is the network's test accuracy (R² for regression).
    """
    t = time.perf_counter()
    net, train, test = cell_network(data, seed, fold, folds, hidden, epochs, max_rows)
    train_seconds = time.perf_counter() - t
    methods = None if methods is None else list(methods)
    table, rulesets = compare(net, train, test, methods=methods, random_state=seed, progress=False,
                              return_rules=True, params=budget_params(methods, max_seconds, params) or None)
    name = data if isinstance(data, str) else getattr(data, "name", "data")
    net_acc = agreement(net.predict(test.frame), test.y.to_numpy(), net.task)
    rows = []
    for _, r in table.iterrows():
        m = r["method"]
        peak = r["peak_mb"]
        if m in rulesets:
            peak = rulesets[m].provenance.get("run", {}).get("peak_memory_mb", peak)
            peak = float("nan") if peak is None else peak       # auto does not trace its memory
        rows.append({"data": name, "seed": int(seed), "fold": int(fold), "method": m, "kind": r["kind"],
                     "hidden": ",".join(map(str, hidden)), "train_rows": len(train), "test_rows": len(test),
                     "network_accuracy": net_acc, "fidelity": r["fidelity"], "accuracy": r["accuracy"],
                     "rules": r["rules"], "conditions": r["conditions"], "seconds": r["seconds"], "peak_mb": peak,
                     "train_seconds": train_seconds, "error": r["error"] if isinstance(r["error"], str) else ""})
    return rows


def _cell_star(spec):
    return run_cell(*spec)


def run_grid(datasets, seeds=(0,), folds: int = 3, methods=None, hidden=(16,), epochs=None, *, n_jobs: int = 1,
             scheduler=None, max_seconds=None, params=None, max_rows: int | None = None) -> pd.DataFrame:
    """Run every ``(data, seed, fold)`` cell; one row per cell and method, in a fixed order.

    Parameters
    ----------
    datasets : str or list
        Bundled data set names (comma-separated string or list).
    seeds : list of int, default (0,)
        Network seeds (also the methods' ``random_state``).
    folds : int, default 3
        Cross-validation folds (>= 2); every fold is a cell.
    methods : list of str, optional
        Methods to run (default: every registered method that fits the task).
    hidden : tuple of int, default (16,)
        Hidden layer sizes.
    epochs : int, optional
        Training epochs (default: rulex's rule).
    n_jobs : int, default 1
        joblib workers over cells (processes; -1: all cores). Ignored with ``scheduler``.
    scheduler : str, dask.distributed.Client or cluster, optional
        Run the cells on this Dask cluster through joblib's Dask backend.
    max_seconds : float, optional
        Time budget of every method that takes one.
    params : dict, optional
        ``{method: {parameter: value}}`` passed to the methods.
    max_rows : int, optional
        Use a fixed random subset of that many rows of each data set.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GRID_COLUMNS`, sorted by data, seed, fold, method.

    Raises
    ------
    DataError
        Fewer than two folds, no seed, or a parameter of the wrong type or range (named).
    """
    from joblib import Parallel, delayed, parallel_config
    if isinstance(datasets, str):
        datasets = [d.strip() for d in datasets.split(",") if d.strip()]
    methods, params = check_arguments(methods, params, None, n_jobs, call="run_grid")
    seeds, folds = _check_grid(datasets, seeds, folds, max_rows)
    methods = None if methods is None else tuple(methods)
    specs = [(d, s, f, int(folds), methods, tuple(hidden), epochs, max_seconds, params, max_rows)
             for d in datasets for s in seeds for f in range(int(folds))]
    if scheduler is not None:
        client, own = _client(scheduler)
        try:
            with parallel_config(backend="dask", client=client):
                results = Parallel()(delayed(_cell_star)(s) for s in specs)
        finally:
            if own:
                client.close()
    elif n_jobs == 1:
        results = [_cell_star(s) for s in specs]
    else:
        results = Parallel(n_jobs=n_jobs)(delayed(_cell_star)(s) for s in specs)
    df = pd.DataFrame([row for cell in results for row in cell], columns=GRID_COLUMNS)
    return df.sort_values(["data", "seed", "fold", "method"], kind="stable").reset_index(drop=True)


def _is_whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_grid(datasets, seeds, folds, max_rows) -> tuple:
    """``(seeds, folds)`` of :func:`run_grid` as a list of ints and an int, after refusing bad ones (and a bad
    ``max_rows``) with a :class:`DataError` naming the parameter."""
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        seeds = [seeds]
    if isinstance(seeds, str) or not hasattr(seeds, "__iter__"):
        raise DataError("run_grid: ", Param("seeds", seeds), " is not a list of seeds; give e.g. [0, 1, 2]")
    seeds = list(seeds)
    for s in seeds:
        check_random_state(s, "seeds", allow_none=False)
    if not seeds or not datasets:
        raise DataError("run_grid needs at least one data set and one seed")
    if not _is_whole(folds) or folds < 2:
        raise DataError("run_grid: ", Param("folds", folds), " must be a whole number of at least 2")
    if max_rows is not None and not (_is_whole(max_rows) and max_rows >= 2):
        raise DataError("run_grid: ", Param("max_rows", max_rows), " must be a whole number of at least 2, or None")
    return [int(s) for s in seeds], int(folds)


def _client(scheduler):
    """``(client, owned)``: a Dask client for an address, a cluster or a client."""
    try:
        from dask.distributed import Client
    except ImportError as exc:          # pragma: no cover - an optional dependency
        raise DataError(f'a Dask scheduler needs dask.distributed: pip install "dask[distributed]" ({exc})') from None
    if isinstance(scheduler, Client):
        return scheduler, False
    try:
        return Client(scheduler, timeout=30), True
    except (OSError, TimeoutError) as exc:
        raise DataError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation per (data, method) over seeds x folds; errors counted; Pareto front."""
    ok = df[df["error"] == ""]
    agg = ok.groupby(["data", "method"])[METRICS].agg(["mean", "std"])
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    agg["cells"] = ok.groupby(["data", "method"]).size()
    agg = agg.reset_index()
    errs = df[df["error"] != ""].groupby(["data", "method"]).size().rename("errors").reset_index()
    out = df[["data", "method", "kind"]].drop_duplicates().merge(agg, how="left", on=["data", "method"])
    out = out.merge(errs, how="left", on=["data", "method"])
    out["errors"] = out["errors"].fillna(0).astype(int)
    out["cells"] = out["cells"].fillna(0).astype(int)
    out["pareto"] = False
    for _, sub in out.groupby("data"):
        out.loc[sub.index, "pareto"] = pareto_front(sub["fidelity_mean"].to_numpy(),
                                                    sub["conditions_mean"].to_numpy())
    return out.sort_values(["data", "fidelity_mean"], ascending=[True, False]).reset_index(drop=True)
