"""evaluate(rules, network, dataset): every score of a rule set on one set of rows."""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .data.dataset import Dataset
from .exceptions import DataError, RulexWarning
from .schema.features import check_labels
from .metrics import (agreement, complexity, confusion, coverage_stats, per_class_fidelity, rmse,
                      rule_table)
from .rules.notebook import render_fragment
from .verification.radius import is_dask_frame

__all__ = ["Report", "evaluate", "check_rules", "fidelity", "accuracy"]


@dataclass
class Report:
    """Scores of a rule set on a set of rows (use the test split).

    For regression, ``fidelity`` and ``accuracy`` are R^2 against the network and the
    truth, with the RMSEs beside them. Built by :func:`evaluate`.

    Parameters
    ----------
    method, task : str
        The extraction method and the task.
    n_rows : int
        Rows scored.
    fidelity, accuracy, network_accuracy : float
        Rules against the network, rules against the truth, network against the truth.
    n_rules, n_conditions, n_terms : int
        Rules, literal tests, linear-conclusion terms.
    mean_rule_length : float
    max_rule_length : int
    n_features_used : int
    coverage : float
        Share of rows some rule (not the default) decides.
    default_rule_use : float
        Share of rows the default decides.
    overlap, conflict : float
        Share of rows where several rules fire, and where firing rules disagree.
    extraction_seconds, peak_memory_mb : float, optional
        Cost of the extraction.
    rmse_network, rmse_truth : float, optional
        Regression only.
    per_class_fidelity : dict
        Class -> fidelity on the rows the network gives that class.
    confusion : pandas.DataFrame, optional
        Network (rows) versus rules (columns).
    rules : pandas.DataFrame, optional
        One row per rule: support, precision, ... on these rows.
    """

    method: str
    task: str
    n_rows: int
    fidelity: float
    accuracy: float
    network_accuracy: float
    n_rules: int
    n_conditions: int
    n_terms: int
    mean_rule_length: float
    max_rule_length: int
    n_features_used: int
    coverage: float
    default_rule_use: float
    overlap: float
    conflict: float
    extraction_seconds: float | None = None
    peak_memory_mb: float | None = None
    rmse_network: float | None = None
    rmse_truth: float | None = None
    per_class_fidelity: dict = field(default_factory=dict)
    confusion: pd.DataFrame | None = field(default=None, repr=False)
    rules: pd.DataFrame | None = field(default=None, repr=False)

    SCALARS = ("method", "task", "n_rows", "fidelity", "accuracy", "network_accuracy", "n_rules", "n_conditions",
               "n_terms", "mean_rule_length", "max_rule_length", "n_features_used", "coverage", "default_rule_use", "overlap",
               "conflict", "extraction_seconds", "peak_memory_mb", "rmse_network", "rmse_truth")

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.SCALARS}
        d["per_class_fidelity"] = {str(k): v for k, v in self.per_class_fidelity.items()}
        if self.confusion is not None:
            d["confusion"] = {str(i): {str(j): int(self.confusion.loc[i, j]) for j in self.confusion.columns}
                              for i in self.confusion.index}
        if self.rules is not None:
            d["rules"] = self.rules.to_dict(orient="records")
        return d

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{k: getattr(self, k) for k in self.SCALARS}])

    def _repr_html_(self) -> str:
        rows = [(k.replace("_", " "), v if isinstance(v, str) else ("" if v is None else f"{v:.4g}"))
                for k in self.SCALARS[2:] for v in [getattr(self, k)] if v is not None]
        return render_fragment("nb_report.html", report=self, rows=rows)

    def __eq__(self, other):
        """Equal scores, tables and confusion matrix (NaN equals NaN: a copy equals its original)."""
        if not isinstance(other, Report):
            return NotImplemented
        def key(r):
            return json.dumps(r.to_dict(), sort_keys=True, default=str)
        return key(self) == key(other)

    def __str__(self) -> str:
        fid = "fidelity (R² vs network)" if self.task == "regression" else "fidelity"
        acc = "accuracy (R² vs truth)" if self.task == "regression" else "accuracy"
        lines = [f"{self.method} on {self.n_rows} rows",
                 f"  {fid:<26} {self.fidelity:.4f}",
                 f"  {acc:<26} {self.accuracy:.4f}   (network: {self.network_accuracy:.4f})"]
        if self.task == "regression":
            lines.append(f"  {'RMSE vs network / truth':<26} {self.rmse_network:.4g} / {self.rmse_truth:.4g}")
        terms = f", {self.n_terms} linear terms" if self.n_terms else ""
        lines += [f"  {'rules / conditions':<26} {self.n_rules} / {self.n_conditions}{terms} "
                  f"(mean length {self.mean_rule_length:.2f}, features used {self.n_features_used})",
                  f"  {'coverage / overlap':<26} {self.coverage:.3f} / {self.overlap:.3f} "
                  f"(default decides {self.default_rule_use:.1%})"]
        if self.per_class_fidelity:
            lines.append("  per-class fidelity: " + ", ".join(f"{k}: {v:.3f}" for k, v in
                                                             self.per_class_fidelity.items()))
        if self.extraction_seconds is not None:
            peak = "not traced" if self.peak_memory_mb is None else f"{self.peak_memory_mb:.1f} MiB"
            lines.append(f"  extraction: {self.extraction_seconds:.3f} s, peak memory {peak}")
        return "\n".join(lines)


def check_rules(rules, network, dataset=None) -> None:
    """Refuse rules that cannot describe ``network`` on ``dataset``; warn when they come from another network.

    Refused (:class:`DataError`): another task, other classes, another target column, a data set whose
    labels are not the network's classes. Warned (:class:`RulexWarning`): rules whose provenance names
    another network fingerprint (fidelity is then measured against this network, not theirs).
    """
    if rules.task != network.task:
        raise DataError(f"the rules are {rules.task} rules but the network is a {network.task} network")
    if rules.task == "classification" and rules.classes and set(rules.classes) != set(network.classes):
        raise DataError(f"the rules predict the classes {list(rules.classes)} but the network's classes are "
                        f"{list(network.classes)}: they were extracted from another model or target")
    if dataset is not None:
        if rules.target and dataset.target and rules.target != dataset.target:
            raise DataError(f"the rules predict {rules.target!r} but the data set's target is {dataset.target!r}")
        network.check_dataset(dataset)
    fp = rules.provenance.get("network_fingerprint")
    if fp and fp != network.fingerprint():
        warnings.warn(f"these rules were extracted from network {fp}, not from this one ({network.fingerprint()}); "
                      "fidelity is measured against this network", RulexWarning, stacklevel=3)


def fidelity(rules, network, data) -> float:
    """Agreement of ``rules`` with ``network`` on the rows of ``data``, checked as :func:`evaluate` checks.

    Parameters
    ----------
    rules : RuleSet
    network : Network
    data : Dataset or pandas.DataFrame
        A Dataset's target is checked against the network's classes like :func:`evaluate` checks it.

    Returns
    -------
    float
        Share of rows where both predict the same class (classification) or R² against the
        network (regression).

    Raises
    ------
    DataError
        Rules of another task, classes or target; a frame without the network's columns; labels that
        are not the network's classes.
    """
    if isinstance(data, Dataset):
        check_rules(rules, network, data)
        frame = data.frame
    elif isinstance(data, pd.DataFrame):
        check_rules(rules, network)
        network.schema.check_frame(data, allow_missing=bool(getattr(network.encoder, "fill_", {})))
        frame = data
    else:
        raise DataError(f"fidelity takes a rulex Dataset or a pandas DataFrame, got {type(data).__name__}")
    return agreement(rules.predict(frame), network.predict(frame), rules.task)


def accuracy(rules, dataset) -> float:
    """Agreement of ``rules`` with the true target of ``dataset``, whose labels are checked against the
    rules' classes as :func:`evaluate` checks them against the network's.

    Parameters
    ----------
    rules : RuleSet
    dataset : Dataset

    Returns
    -------
    float
        Accuracy (classification) or R² (regression) against ``dataset.y``.

    Raises
    ------
    DataError
        Not a Dataset, another target column, or labels that are not the rules' classes (``"YES"`` for
        ``"yes"``): refused with the closest class named instead of an accuracy of 0.
    """
    if not isinstance(dataset, Dataset):
        raise DataError(f"accuracy takes a rulex Dataset (e.g. the test split), got {type(dataset).__name__}")
    if rules.target and dataset.target and rules.target != dataset.target:
        raise DataError(f"the rules predict {rules.target!r} but the data set's target is {dataset.target!r}")
    check_labels(dataset.y, rules.task, rules.classes, target=dataset.target, owner="rules")
    return agreement(rules.predict(dataset.frame), dataset.y.to_numpy(), rules.task)


def evaluate(rules, network, dataset) -> Report:
    """Score ``rules`` against ``network`` and the truth on the rows of ``dataset``.

    Parameters
    ----------
    rules : RuleSet
        Rules in original units (as every extractor returns them).
    network : Network
        The network the rules explain.
    dataset : Dataset or dask DataFrame
        The rows to score on, usually the test split. A Dask DataFrame (features and the rules' target
        column) is scored partition by partition on the active Dask scheduler.

    Returns
    -------
    Report
        Fidelity, accuracy, size, coverage, per-rule table and confusion against the network.

    Raises
    ------
    DataError
        When ``dataset`` is not a Dataset or lacks the rules' columns.
    """
    if is_dask_frame(dataset):
        return _evaluate_dask(rules, network, dataset)
    if not isinstance(dataset, Dataset):
        raise DataError(f"evaluate takes a rulex Dataset (e.g. the test split) or a Dask DataFrame with the "
                        f"target column, got {type(dataset).__name__}")
    check_rules(rules, network, dataset)
    return _report(rules, network, *_scored(rules, network, dataset))


def _scored(rules, network, dataset) -> tuple:
    """``(matches, decided, rules' answers, network's answers, truth)`` on the rows of ``dataset``."""
    frame = dataset.frame
    matches = rules.matches(frame)
    decided = rules.decide(frame, matches)
    return matches, decided, rules._conclusions(decided, frame), network.predict(frame), dataset.y.to_numpy()


def _scored_partition(part, rules, network, target) -> tuple:
    ds = Dataset(part.reset_index(drop=True), target, network.schema)
    check_rules(rules, network, ds)
    return _scored(rules, network, ds)


def _evaluate_dask(rules, network, ddf) -> Report:
    """:func:`evaluate` on a Dask DataFrame: each partition is scored where it lives (on the active Dask
    scheduler) and only the per-row answers and rule matches (a few bytes a row) are gathered."""
    import dask          # only reached with a Dask DataFrame, so dask is installed (the "scale" extra)

    check_rules(rules, network)
    target = rules.target
    if not target or target not in ddf.columns:
        raise DataError(f"evaluate on a Dask DataFrame needs the target column {target!r} among its columns")
    cols = list(network.schema.feature_names) + [target]
    parts = dask.compute(*[dask.delayed(_scored_partition)(p, rules, network, target)
                           for p in ddf[cols].to_delayed()])
    return _report(rules, network, *(np.concatenate([p[k] for p in parts]) for k in range(5)))


def _report(rules, network, matches, decided, y_rules, y_net, y_true) -> Report:
    task = rules.task
    run = rules.provenance.get("run", {})
    rep = Report(
        method=rules.provenance.get("method", "rules"), task=task, n_rows=len(decided),
        fidelity=agreement(y_rules, y_net, task), accuracy=agreement(y_rules, y_true, task),
        network_accuracy=agreement(y_net, y_true, task),
        extraction_seconds=run.get("seconds"), peak_memory_mb=run.get("peak_memory_mb"),
        **complexity(rules), **coverage_stats(rules, matches),
        rules=rule_table(rules, decided, matches, y_net, y_true, y_rules),
    )
    if task == "classification":
        rep.per_class_fidelity = per_class_fidelity(y_rules, y_net, network.classes)
        rep.confusion = confusion(y_net, y_rules, network.classes)
    else:
        rep.rmse_network = rmse(y_rules, y_net)
        rep.rmse_truth = rmse(y_rules, y_true)
    return rep
