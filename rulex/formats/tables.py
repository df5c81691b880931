"""Tables to files: the comparison table of ``rulex compare`` (CSV, Markdown, HTML, JSON) and tidy
tables such as ``rulex grid``'s (CSV, Parquet).

:func:`write_table` chooses the format by the file's suffix; :func:`format_compare_table` gives
the comparison table's cells as the terminal, the Markdown and the HTML page show them.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..exceptions import DataError
from .html import render_page
from .pareto_svg import pareto_chart

__all__ = ["write_table", "markdown_table", "format_compare_table", "TABLE_SUFFIXES"]

_BY_SUFFIX = {".csv": "csv", ".md": "markdown", ".html": "html", ".htm": "html", ".json": "json"}
TABLE_SUFFIXES = tuple(_BY_SUFFIX)


def format_compare_table(table: pd.DataFrame) -> pd.DataFrame:
    """The cells of a comparison table (:func:`rulex.compare`) as text: scores to 4 decimals, seconds
    to 3, megabytes to 1; the ``complete``, ``cut_short`` (``WALL CLOCK``: stopped by the wall clock),
    ``warnings`` and ``error`` columns only when some row needs them (long messages cut)."""
    show = table.copy()
    for c in ("fidelity", "accuracy", "network_accuracy", "coverage", "mean_length"):
        show[c] = show[c].map(lambda v: "" if v != v else f"{v:.4f}" if c != "mean_length" else f"{v:.2f}")
    show["seconds"] = show["seconds"].map(lambda v: "" if v != v else f"{v:.3f}")
    show["peak_mb"] = show["peak_mb"].map(lambda v: "" if v != v else f"{v:.1f}")
    for c in ("rules", "conditions", "features"):
        show[c] = show[c].map(lambda v: "" if v != v else str(int(v)))
    partial = show["complete"].map(lambda v: v is False)          # NaN: the method failed (see error)
    if not partial.any():
        show = show.drop(columns="complete")
    else:
        show["complete"] = [("PARTIAL" if p else "yes") if v == v else "" for p, v in zip(partial, show["complete"])]
    cut = (show["cut_short"].map(lambda v: v is not None and v == v and bool(v)) if "cut_short" in show
           else pd.Series(False, index=show.index))
    show = show.drop(columns="cut_short", errors="ignore")
    if cut.any():                     # stopped by the wall clock, not the work budget: depends on the load
        show.insert(list(show.columns).index("seconds") + 1, "cut_short", cut.map({True: "WALL CLOCK", False: ""}))
    show["warnings"] = show["warnings"].fillna("").astype(str)
    if not show["warnings"].astype(bool).any():
        show = show.drop(columns="warnings")
    else:
        show["warnings"] = show["warnings"].map(lambda e: e if len(e) <= 70 else e[:69] + "…")
    if not show["error"].astype(bool).any():
        show = show.drop(columns="error")
    else:
        show["error"] = show["error"].fillna("").map(lambda e: e if len(e) <= 90 else e[:89] + "…")
    return show


def markdown_table(frame: pd.DataFrame) -> str:
    """A Markdown table of already formatted cells (no tabulate dependency)."""
    cols = [str(c) for c in frame.columns]
    esc = lambda v: str(v).replace("|", "\\|").replace("\n", " ")     # noqa: E731
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def write_table(table: pd.DataFrame, path, *, shown: pd.DataFrame | None = None, format: str | None = None,
                what: str = "the table file", title: str = "", network: str = "", task: str = "classification",
                network_score: float = float("nan"), n_train: int = 0, n_test: int = 0) -> Path:
    """Write ``table`` to ``path`` (parent folders are created) and return the path.

    Parameters
    ----------
    table : pandas.DataFrame
        The values: ``.csv`` (no index), ``.json`` (records, indent 1) and ``parquet`` write them.
    path : str or Path
    shown : pandas.DataFrame, optional
        The same rows as formatted cells (:func:`format_compare_table`), in the order to show, for
        ``.md`` and ``.html``/``.htm`` (default: ``table``). The HTML page's chart reads the rows of
        ``table`` with ``shown``'s index, in ``shown``'s order.
    format : {"csv", "markdown", "html", "json", "parquet"}, optional
        Default: by the suffix of ``path`` (``.csv``, ``.md``, ``.html``, ``.htm``, ``.json``).
    what : str, default "the table file"
        How an error message names ``path`` (the CLI: ``--out``).
    title, network, task, network_score, n_train, n_test
        The comparison's heading for ``.md`` and ``.html``: the page title, the network's description,
        its task (``R²`` rather than accuracy for regression), its test score and the split's sizes.

    Returns
    -------
    Path

    Raises
    ------
    DataError
        A suffix none of the formats has (and no ``format``).
    """
    out = Path(path)
    fmt = format or _BY_SUFFIX.get(out.suffix)
    if fmt not in ("csv", "markdown", "html", "json", "parquet"):
        raise DataError(f"{what} must end in .csv, .md, .html or .json, got {out.name!r}")
    shown = table if shown is None else shown
    out.parent.mkdir(parents=True, exist_ok=True)
    score = "R²" if task == "regression" else "accuracy"
    if fmt == "csv":
        table.to_csv(out, index=False)
    elif fmt == "parquet":
        table.to_parquet(out, index=False)
    elif fmt == "json":
        out.write_text(table.to_json(orient="records", indent=1))
    elif fmt == "markdown":
        out.write_text(f"# {title}\n\nNetwork {network}, test {score} {network_score:.4f}; "
                       f"{n_train} training / {n_test} test rows.\n\n" + markdown_table(shown) + "\n",
                       encoding="utf-8")
    else:
        front = table.loc[shown.index]
        chart = pareto_chart(front["method"], front["fidelity"], front["conditions"], front["pareto"],
                             score="fidelity (R²)" if task == "regression" else "fidelity")
        numbers = set(table.select_dtypes("number").columns)
        numeric = tuple(i for i, c in enumerate(shown.columns) if c in numbers)
        out.write_text(render_page("compare.html", title=title, network=network, what=score,
                                   network_score=network_score, n_train=n_train, n_test=n_test,
                                   headers=[str(c) for c in shown.columns], numeric=numeric,
                                   rows=shown.astype(str).values.tolist(), chart=chart), encoding="utf-8")
    return out
