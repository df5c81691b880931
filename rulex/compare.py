"""compare(): many extractors on one network and one split, as a tidy table."""
from __future__ import annotations

import warnings

import pandas as pd

from .exceptions import RulexError, UnknownNameError, did_you_mean
from .extractors.base import EXTRACTORS, get_extractor

__all__ = ["compare", "COLUMNS"]

COLUMNS = ["method", "kind", "fidelity", "accuracy", "network_accuracy", "rules", "conditions", "mean_length",
           "features", "coverage", "seconds", "peak_mb", "error", "pareto"]


def compare(network, train, test, methods=None, params: dict | None = None, random_state: int | None = 0,
            progress: bool | None = None, return_rules: bool = False):
    """Run every method (default: all registered that fit the task) on the same network and split.

    Each method extracts on ``train`` and is scored on ``test``. A method that fails
    (a budget, an unsupported network) gets a row with its error instead of stopping
    the comparison. Returns a DataFrame, one row per method (and the rule sets if
    ``return_rules``). Column ``pareto`` marks the fidelity-conditions front: the methods
    no other method beats on both (fidelity >= and conditions <=, one of them strictly).
    """
    from tqdm.auto import tqdm

    from .evaluate import evaluate
    params = dict(params or {})
    if methods is None:
        methods = [n for n, c in sorted(EXTRACTORS.items())
                   if network.task == "classification" or c.supports_regression]
    elif isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    for m in list(methods) + list(params):
        if m not in EXTRACTORS:
            raise UnknownNameError(did_you_mean(m, EXTRACTORS, "method"))
    rows, rulesets = [], {}
    bar = tqdm(methods, desc="extracting", unit="method", disable=None if progress is None else not progress,
               leave=False)
    for m in bar:
        bar.set_postfix(method=m)
        row = {"method": m, "kind": EXTRACTORS[m].kind}
        try:
            p = dict(params.get(m, {}))
            if "random_state" in EXTRACTORS[m]().get_params(deep=False):
                p.setdefault("random_state", random_state)
            ex = get_extractor(m, **p)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ex.fit(network, train)
            rep = evaluate(ex.rules_, network, test)
            row.update(fidelity=rep.fidelity, accuracy=rep.accuracy, network_accuracy=rep.network_accuracy,
                       rules=rep.n_rules, conditions=rep.n_conditions, mean_length=rep.mean_rule_length,
                       features=rep.n_features_used, coverage=rep.coverage, seconds=ex.extraction_seconds_,
                       peak_mb=ex.peak_memory_mb_, error="")
            rulesets[m] = ex.rules_
        except (RulexError, NotImplementedError, MemoryError) as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["pareto"] = _pareto(table["fidelity"].to_numpy(float), table["conditions"].to_numpy(float))
    return (table, rulesets) if return_rules else table


def _pareto(fidelity, conditions):
    """Rows on the fidelity-conditions front (NaN rows, i.e. failed methods, never are)."""
    import numpy as np
    keep = np.zeros(len(fidelity), dtype=bool)
    for i in range(len(fidelity)):
        if np.isnan(fidelity[i]) or np.isnan(conditions[i]):
            continue
        f, c = fidelity, conditions
        with np.errstate(invalid="ignore"):
            dominated = (f >= f[i]) & (c <= c[i]) & ((f > f[i]) | (c < c[i]))
        keep[i] = not dominated.any()
    return keep
