"""Scores of a rule set against the network and the truth.

fidelity   share of rows where the rules predict what the network predicts (argmax),
           or R^2 of the rules against the network for regression;
accuracy   the same against the true labels (R^2 against the truth for regression);
coverage   share of rows where some rule holds (the default decides the rest);
overlap    share of rows where two or more rules hold; conflict: where they disagree.

These work on predictions already made; :func:`rulex.fidelity`, :func:`rulex.accuracy` and
:func:`rulex.evaluate` (``evaluate.py``) check the rules, network and labels first. Labels given with
their classes go through the same check of labels (:func:`rulex.schema.features.check_labels`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .schema.features import check_labels

__all__ = ["agreement", "r2", "rmse", "per_class_fidelity", "confusion",
           "coverage_stats", "complexity", "rule_table"]


def r2(pred, ref) -> float:
    """R^2 of ``pred`` against ``ref`` (scikit-learn's ``r2_score``; 1.0 for an exact fit of a constant,
    0.0 for an inexact one)."""
    from sklearn.metrics import r2_score
    pred, ref = np.asarray(pred, dtype=float), np.asarray(ref, dtype=float)
    if len(ref) < 2:        # scikit-learn leaves R^2 undefined here; a constant reference: exact or not
        return 1.0 if np.array_equal(pred, ref) else 0.0
    return float(r2_score(ref, pred))


def rmse(pred, ref) -> float:
    """Root mean squared error (scikit-learn's ``root_mean_squared_error``; NaN on no rows)."""
    from sklearn.metrics import root_mean_squared_error
    if len(ref) == 0:
        return float("nan")
    return float(root_mean_squared_error(np.asarray(ref, dtype=float), np.asarray(pred, dtype=float)))


def _class_codes(y, classes, what: str) -> np.ndarray:
    """Labels as positions in ``classes``, so that scikit-learn's classification metrics see integers
    whatever the labels' types (strings, booleans, 0.5, ...); a label outside them is a :class:`DataError`."""
    check_labels(np.asarray(y, dtype=object), "classification", classes, target=None, what=what, owner="given")
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index.get(v, -1) for v in np.asarray(y).tolist()], dtype=np.int64)


def agreement(pred, ref, task: str = "classification") -> float:
    """Share of equal predictions (classification) or R^2 of ``pred`` against ``ref`` (regression)."""
    pred, ref = np.asarray(pred), np.asarray(ref)
    if len(ref) == 0:
        return float("nan")
    if task == "regression":
        return r2(pred, ref)
    return float(np.mean(pred == ref))


def per_class_fidelity(y_rules, y_net, classes) -> dict:
    """For each class the network predicts: share of those rows where the rules agree (the rules'
    recall against the network, scikit-learn's ``recall_score``; NaN for a class the network never predicts)."""
    from sklearn.metrics import recall_score
    classes = list(classes)
    if len(np.asarray(y_net)) == 0:
        return {c: float("nan") for c in classes}
    rec = recall_score(_class_codes(y_net, classes, "y_net"), _class_codes(y_rules, classes, "y_rules"),
                       labels=range(len(classes)),
                       average=None, zero_division=np.nan)
    return {c: float(r) for c, r in zip(classes, rec)}


def confusion(y_net, y_rules, classes) -> pd.DataFrame:
    """Network (rows) versus rules (columns) counts (scikit-learn's ``confusion_matrix``)."""
    from sklearn.metrics import confusion_matrix
    classes = list(classes)
    if len(np.asarray(y_net)) == 0:
        counts = np.zeros((len(classes), len(classes)), dtype=np.int64)
    else:
        counts = confusion_matrix(_class_codes(y_net, classes, "y_net"), _class_codes(y_rules, classes, "y_rules"),
                                  labels=range(len(classes)))
    return pd.DataFrame(counts.astype(np.int64), index=pd.Index(classes, name="network"),
                        columns=pd.Index(classes, name="rules"))


def coverage_stats(rules, matches: np.ndarray) -> dict:
    """Coverage, default-rule use, overlap and conflict from a rows x rules match matrix."""
    n = matches.shape[0]
    if n == 0:
        return {"coverage": float("nan"), "default_rule_use": float("nan"), "overlap": float("nan"),
                "conflict": float("nan")}
    fired = matches.sum(axis=1)
    coverage = float(np.mean(fired > 0))
    overlap = float(np.mean(fired > 1))
    conflict = 0.0
    if rules.rules and rules.task == "classification":
        concl = np.array([rules.classes.index(r.conclusion) for r in rules.rules])
        K = len(rules.classes)
        per_class = np.stack([matches[:, concl == k].any(axis=1) for k in range(K)], axis=1)
        conflict = float(np.mean(per_class.sum(axis=1) > 1))
    elif rules.rules:
        ids: dict = {}      # equal conclusions (numbers or linear models) share an id
        values = np.array([float(ids.setdefault(r.conclusion, len(ids))) for r in rules.rules])
        lo = np.where(matches, values, np.inf).min(axis=1)
        hi = np.where(matches, values, -np.inf).max(axis=1)
        conflict = float(np.mean((fired > 1) & (hi > lo)))
    return {"coverage": coverage, "default_rule_use": 1.0 - coverage, "overlap": overlap, "conflict": conflict}


def complexity(rules) -> dict:
    lengths = [r.size() for r in rules.rules]
    return {"n_rules": len(rules.rules), "n_conditions": int(sum(lengths)), "n_terms": rules.terms_count(),
            "mean_rule_length": float(np.mean(lengths)) if lengths else 0.0,
            "max_rule_length": int(max(lengths)) if lengths else 0,
            "n_features_used": len(rules.features_used())}


def rule_table(rules, decided: np.ndarray, matches: np.ndarray, y_net, y_true=None, y_rules=None) -> pd.DataFrame:
    """Per rule: rows it fires on, rows it decides, precision against the network (and the truth).

    Regression: RMSE against the network on the rows each rule decides; with linear
    conclusions pass ``y_rules`` (the rules' predictions), since the value varies by row.
    """
    rows = []
    y_net = np.asarray(y_net)
    schema = rules.schema if rules.space == "original" else None
    for i, r in enumerate(rules.rules):
        dec = decided == i
        row = {"rule": i + 1, "text": r.to_string(schema), "conclusion": r.conclusion,
               "fires": int(matches[:, i].sum()), "decides": int(dec.sum())}
        if rules.task == "classification":
            row["precision_network"] = float(np.mean(y_net[dec] == r.conclusion)) if dec.any() else float("nan")
            if y_true is not None:
                row["precision_truth"] = float(np.mean(np.asarray(y_true)[dec] == r.conclusion)) \
                    if dec.any() else float("nan")
        else:
            pred = np.asarray(y_rules)[dec] if y_rules is not None else np.full(dec.sum(), r.conclusion)
            row["rmse_network"] = rmse(pred, y_net[dec]) if dec.any() else float("nan")
        rows.append(row)
    dec = decided == -1
    row = {"rule": "default", "text": "DEFAULT", "conclusion": rules.default, "fires": int(dec.sum()),
           "decides": int(dec.sum())}
    if rules.task == "classification":
        row["precision_network"] = float(np.mean(y_net[dec] == rules.default)) if dec.any() else float("nan")
        if y_true is not None:
            row["precision_truth"] = float(np.mean(np.asarray(y_true)[dec] == rules.default)) \
                if dec.any() else float("nan")
    rows.append(row)
    return pd.DataFrame(rows)
