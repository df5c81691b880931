"""compare(): many extractors on one network and one split, as a tidy table."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from ._progress import progress_bar
from .data import check_random_state
from .evaluate import evaluate
from .exceptions import DataError, Param, RulexError
from .extractors.base import EXTRACTORS, extractor_class, seeded_extractor
from .extractors.budget import cut_by_wall_clock

__all__ = ["compare", "pareto_front", "COLUMNS"]

COLUMNS = ["method", "kind", "fidelity", "accuracy", "network_accuracy", "rules", "conditions", "mean_length",
           "features", "coverage", "seconds", "peak_mb", "complete", "cut_short", "warnings", "error", "pareto"]


def _run_method(m, p, random_state, network, train, test):
    """One method of :func:`compare`: ``(row, rules or None)``; module-level for process workers
    (rule sets pickle, so workers return them as they are)."""
    row = {"method": m, "kind": extractor_class(m).kind}
    try:
        ex = seeded_extractor(m, p, random_state)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ex.fit(network, train)
        # a method's warnings and a partial result are part of its row, not hidden
        said = list(dict.fromkeys(str(w.message).splitlines()[0] for w in caught
                                  if not issubclass(w.category, (DeprecationWarning, FutureWarning))))
        row["warnings"] = " | ".join(said)
        row["complete"] = bool(ex.rules_.provenance.get("complete", True))
        row["cut_short"] = cut_by_wall_clock(ex.rules_.provenance)
        rep = evaluate(ex.rules_, network, test)
        row.update(fidelity=rep.fidelity, accuracy=rep.accuracy, network_accuracy=rep.network_accuracy,
                   rules=rep.n_rules, conditions=rep.n_conditions, mean_length=rep.mean_rule_length,
                   features=rep.n_features_used, coverage=rep.coverage, seconds=ex.extraction_seconds_,
                   peak_mb=float("nan") if ex.peak_memory_mb_ is None else ex.peak_memory_mb_, error="")
        return row, ex.rules_
    except (RulexError, NotImplementedError, MemoryError) as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
        row["cut_short"] = cut_by_wall_clock(error=exc)
        return row, None


def compare(network, train, test, methods=None, params: dict | None = None, random_state: int | None = 0,
            progress: bool | None = False, return_rules: bool = False, n_jobs: int | None = 1):
    """Run every method (default: all registered that fit the task) on the same network and split.

    Each method extracts on ``train`` and is scored on ``test``. A method that fails
    (a budget, an unsupported network) gets a row with its error instead of stopping
    the comparison; a method that warned or returned a partial result (its budget ran out with
    ``on_budget="partial"``) says so in the ``warnings`` and ``complete`` columns. Column ``cut_short``
    marks the rows the wall clock (a method's ``max_seconds``, a safety net), not its work budget,
    stopped: their rules (or error) depend on the machine's load. Returns a DataFrame, one row per method (and the rule sets if
    ``return_rules``). Column ``pareto`` marks the fidelity-conditions front: the methods
    no other method beats on both (fidelity >= and conditions <=, one of them strictly); a
    result without conditions (no rules: the default alone) is never on it (see
    :func:`pareto_front`).
    ``n_jobs`` runs the methods in that many joblib workers
    (processes; -1: all cores; inside ``joblib.parallel_config(backend="dask")`` on a
    Dask cluster); every method is a pure function of its inputs, so the table is the
    same as the serial one (``seconds`` and ``peak_mb`` aside).
    
    Parameters
    ----------
    network : Network
    train : Dataset
        Rows the methods extract from.
    test : Dataset
        Rows the rules are scored on.
    methods : sequence of str or str, optional
        Method names (a comma-separated string works too); default every method that fits the task.
    params : dict, optional
        ``{method: {parameter: value}}``.
    random_state : int or None, default 0
        Seed of every method that takes one (unless set in ``params``).
    progress : bool or None, default False
        Report the methods on stderr once the comparison has run a few seconds: a bar on a terminal, a
        line per method when stderr is piped (None: the same as True; serial runs only, ``n_jobs=1``).
    return_rules : bool, default False
        Also return ``{method: RuleSet}``.
    n_jobs : int or None, default 1
        Workers (joblib processes) that run the methods; see above.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, dict)
        One row per method: fidelity, accuracy, size, coverage, time, memory, error.

    Raises
    ------
    UnknownNameError
        For an unknown method name.
    DataError
        For ``methods``, ``params``, ``random_state`` or ``n_jobs`` of the wrong type or range.
    """
    methods, params = check_arguments(methods, params, random_state, n_jobs)
    if methods is None:
        methods = [n for n, c in sorted(EXTRACTORS.items())
                   if network.task == "classification" or c.supports_regression]
    if n_jobs is not None and n_jobs != 1:
        results = Parallel(n_jobs=n_jobs)(delayed(_run_method)(m, params.get(m, {}), random_state, network, train,
                                                               test) for m in methods)
    else:
        results = []
        with progress_bar(len(methods), "comparing", "methods", progress, every=0) as bar:
            for m in methods:
                bar.start(f"extracting with {m}")
                results.append(_run_method(m, params.get(m, {}), random_state, network, train, test))
                bar.update(1)
    rows = [row for row, _ in results]
    rulesets = {row["method"]: rules for row, rules in results if rules is not None}
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["pareto"] = pareto_front(table["fidelity"].to_numpy(float), table["conditions"].to_numpy(float))
    return (table, rulesets) if return_rules else table


def check_arguments(methods, params, random_state, n_jobs, call: str = "compare") -> tuple:
    """``(methods, params)`` of :func:`compare` as a list of known names (or None) and a dict of dicts, after
    refusing what is not one with a :class:`DataError` naming the parameter (and an unknown name with the
    registry's :class:`~rulex.exceptions.UnknownNameError`)."""
    if isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    elif methods is not None:
        if isinstance(methods, dict) or not hasattr(methods, "__iter__"):
            raise DataError(f"{call}: ", Param("methods", methods), " is not a list of method names; give e.g. "
                            "['surrogate_tree', 'trepan'] or None for every method")
        methods = list(methods)
        bad = [m for m in methods if not isinstance(m, str)]
        if bad:
            raise DataError(f"{call}: ", Param("methods", methods), f" holds {bad[0]!r}, not a method name")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise DataError(f"{call}: ", Param("params", params), " is not a dict; give {method: {parameter: value}}")
    for m, p in params.items():
        if not isinstance(p, dict):
            raise DataError(f"{call}: ", Param("params", {m: p}), f" gives {type(p).__name__} {p!r} for method "
                            f"{m!r}; give a dict of its parameters, e.g. {{{m!r}: {{'max_depth': 3}}}}")
    for m in (methods or []) + list(params):
        extractor_class(m)
    check_random_state(random_state)
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0):
        raise DataError(f"{call}: ", Param("n_jobs", n_jobs), " is not a number of workers; give a whole number "
                        ">= 1, or -1 for every core (-2 every core but one, ...)")
    return methods, {m: dict(p) for m, p in params.items()}


def pareto_front(fidelity, conditions) -> np.ndarray:
    """Which points are on the fidelity-conditions front: no other point has fidelity >= and
    conditions <=, one of them strictly.

    A point without a value (a failed method) never is, and neither is one with 0 conditions:
    no rules (or only rules that always hold), i.e. one constant prediction, the baseline the
    rule sets are measured against, not a trade-off to choose. Such a point still dominates
    the rule sets it beats (a rule set less faithful than the constant is on no front).
    """
    f, c = np.asarray(fidelity, float), np.asarray(conditions, float)
    keep = np.zeros(len(f), dtype=bool)
    for i in range(len(f)):
        if np.isnan(f[i]) or np.isnan(c[i]) or c[i] == 0:
            continue
        with np.errstate(invalid="ignore"):
            dominated = (f >= f[i]) & (c <= c[i]) & ((f > f[i]) | (c < c[i]))
        keep[i] = not dominated.any()
    return keep
