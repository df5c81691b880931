"""Plots for notebooks and reports: fidelity against size, its Pareto front, a rule set's coverage.

Every function draws on ``ax`` (a new figure's axes when None) and returns the matplotlib
``Axes``, so plots compose and can be restyled; matplotlib's pyplot is used only to create a
figure when no ``ax`` is given.

>>> import pandas as pd, rulex.plot
>>> table = pd.DataFrame({"method": ["a", "b", "c"], "fidelity": [0.9, 0.95, 0.85], "conditions": [4, 9, 6]})
>>> rulex.plot.pareto_mask(table).tolist()
[True, True, False]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .compare import pareto_front as _front
from .exceptions import DataError
from .rules.ruleset import RuleSet

__all__ = ["pareto_mask", "fidelity_vs_size", "pareto_front", "rule_coverage"]


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt     # lazily: matplotlib is optional and slow to import
    _, ax = plt.subplots(figsize=(6, 4))
    return ax


def _usable(table, size: str, score: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise DataError(f"expected a comparison table (a DataFrame from rulex.compare), got {type(table).__name__}")
    for col in (size, score):
        if col not in table.columns:
            raise DataError(f"the table has no column {col!r}; its columns are {list(table.columns)}")
    ok = table[size].notna() & table[score].notna()
    return table[ok]


def pareto_mask(table: pd.DataFrame, size: str = "conditions", score: str = "fidelity") -> pd.Series:
    """Which rows are Pareto-optimal: no other row is at least as small and as faithful, and better in one.

    Parameters
    ----------
    table : pandas.DataFrame
        A comparison table (:func:`rulex.compare`), one row per method.
    size : str, default "conditions"
        The column to minimise (``"rules"`` or ``"conditions"``).
    score : str, default "fidelity"
        The column to maximise.

    Returns
    -------
    pandas.Series of bool
        Indexed like ``table``; rows with a missing size or score are False, and so are rows of
        size 0 (no rules: the constant baseline, see :func:`rulex.compare.pareto_front`).

    Raises
    ------
    DataError
        When ``table`` is not a DataFrame or lacks a column.
    """
    rows = _usable(table, size, score)
    out = pd.Series(False, index=table.index)
    out[rows.index] = _front(rows[score].to_numpy(dtype=float), rows[size].to_numpy(dtype=float))
    return out


def fidelity_vs_size(table: pd.DataFrame, ax=None, *, size: str = "conditions", score: str = "fidelity",
                     front: bool = True, label: str = "method"):
    """Scatter each method's fidelity against its size, labelled, with the Pareto front.

    Parameters
    ----------
    table : pandas.DataFrame
        A comparison table (:func:`rulex.compare`).
    ax : matplotlib Axes, optional
    size, score : str
        Columns for the x axis (smaller is simpler) and the y axis.
    front : bool, default True
        Also draw the Pareto front (:func:`pareto_front`).
    label : str, default "method"
        Column whose values label the points.

    Returns
    -------
    matplotlib.axes.Axes
    """
    rows = _usable(table, size, score)
    ax = _axes(ax)
    ax.scatter(rows[size], rows[score], color="#4c72b0", zorder=3)
    if label in rows.columns:
        for x, y, text in zip(rows[size], rows[score], rows[label]):
            ax.annotate(str(text), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    if front:
        pareto_front(table, ax, size=size, score=score)
    ax.set_xlabel(f"{size} (fewer is simpler)")
    ax.set_ylabel(score)
    ax.set_title(f"{score} versus size")
    ax.grid(True, alpha=0.3)
    return ax


def pareto_front(table: pd.DataFrame, ax=None, *, size: str = "conditions", score: str = "fidelity"):
    """Draw the Pareto front of a comparison table as a staircase through the optimal methods.

    Parameters
    ----------
    table : pandas.DataFrame
    ax : matplotlib Axes, optional
    size, score : str
        As in :func:`pareto_mask`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    mask = pareto_mask(table, size, score)
    best = table[mask].sort_values(size)
    ax = _axes(ax)
    ax.step(best[size], best[score], where="post", color="#dd8452", label="Pareto front", zorder=2)
    ax.scatter(best[size], best[score], facecolors="none", edgecolors="#dd8452", s=90, zorder=4)
    ax.legend(loc="lower right")
    return ax


def rule_coverage(rules: RuleSet, frame: pd.DataFrame, ax=None, *, reference=None):
    """Bar chart of the rows each rule decides (and the default), split by agreement when ``reference`` is given.

    Parameters
    ----------
    rules : RuleSet
    frame : pandas.DataFrame
        Rows in the rules' columns.
    ax : matplotlib Axes, optional
    reference : array-like, optional
        What the rules should predict on each row (usually ``network.predict(frame)``): the bars
        then show the rows where the deciding rule agrees with it and where it does not.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    DataError
        When ``rules`` is not a RuleSet or ``reference`` has the wrong length.
    """
    if not isinstance(rules, RuleSet):
        raise DataError(f"rule_coverage takes a RuleSet, got {type(rules).__name__}")
    decided = rules.decide(frame)
    R = len(rules)
    slot = np.where(decided >= 0, decided, R)
    labels = [str(i) for i in range(1, R + 1)] + ["default"]
    ax = _axes(ax)
    x = np.arange(R + 1)
    if reference is None:
        ax.bar(x, np.bincount(slot, minlength=R + 1), color="#4c72b0")
    else:
        reference = np.asarray(reference)
        if len(reference) != len(frame):
            raise DataError(f"reference has {len(reference)} values for {len(frame)} rows")
        pred = rules.predict(frame)
        agree = np.array([a == b for a, b in zip(pred, reference)], dtype=bool) if rules.task == "classification" \
            else np.isclose(pred.astype(float), reference.astype(float))
        good = np.bincount(slot[agree], minlength=R + 1)
        bad = np.bincount(slot[~agree], minlength=R + 1)
        ax.bar(x, good, color="#55a868", label="agrees")
        ax.bar(x, bad, bottom=good, color="#c44e52", label="disagrees")
        ax.legend()
    ax.set_xticks(x)
    ax.set_xticklabels(labels)
    ax.set_xlabel("deciding rule")
    ax.set_ylabel("rows")
    ax.set_title(f"coverage of {R} rules on {len(frame)} rows")
    return ax
