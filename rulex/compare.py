"""compare(): many extractors on one network and one split, as a tidy table."""
from __future__ import annotations

import warnings

import pandas as pd

from .exceptions import RulexError, UnknownNameError, did_you_mean
from .extractors.base import EXTRACTORS, get_extractor

__all__ = ["compare", "COLUMNS"]

COLUMNS = ["method", "kind", "fidelity", "accuracy", "network_accuracy", "rules", "conditions", "mean_length",
           "features", "coverage", "seconds", "peak_mb", "error"]


def compare(network, train, test, methods=None, params: dict | None = None, random_state: int | None = 0,
            progress: bool | None = None, return_rules: bool = False):
    """Run every method (default: all registered that fit the task) on the same network and split.

    Each method extracts on ``train`` and is scored on ``test``. A method that fails
    (a budget, an unsupported network) gets a row with its error instead of stopping
    the comparison. Returns a DataFrame, one row per method (and the rule sets if
    ``return_rules``).

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
    progress : bool or None, default None
        Progress bar (None: only on a terminal).
    return_rules : bool, default False
        Also return ``{method: RuleSet}``.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, dict)
        One row per method: fidelity, accuracy, size, coverage, time, memory, error.

    Raises
    ------
    UnknownNameError
        For an unknown method name.
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
    return (table, rulesets) if return_rules else table
