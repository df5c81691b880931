"""Tables to files: the comparison table of ``rulex compare`` (CSV, Markdown, HTML, JSON) and tidy
tables such as ``rulex grid``'s (CSV, Parquet).

:func:`write_table` chooses the format by the file's suffix; :func:`format_compare_table` gives
the comparison table's cells as the terminal, the Markdown and the HTML page show them.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

from ..exceptions import DataError
from .html import render_page
from .pareto_svg import pareto_chart

__all__ = ["write_table", "markdown_table", "format_compare_table", "format_terminal_table", "TABLE_SUFFIXES"]

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


# the terminal's columns: (column, header, left-aligned), in the order shown
_TERMINAL = (("method", "method", True), ("kind", "kind", True), ("fidelity", "fidelity", False),
             ("accuracy", "accuracy", False), ("rules", "rules", False), ("conditions", "conds", False),
             ("mean_length", "length", False), ("features", "feats", False), ("coverage", "coverage", False),
             ("seconds", "seconds", False), ("peak_mb", "MB", False), ("complete", "complete", True),
             ("pareto", "front", True), ("note", "note", True))
_KINDS = {"pedagogical": "pedag.", "decompositional": "decomp."}
# the columns left out first when the table is wider than the terminal
_DROP_ORDER = ("peak_mb", "kind", "features", "mean_length", "coverage", "seconds", "accuracy", "rules")


def _layout(rows: list, columns: list) -> list:
    widths = [max(len(head), *(len(r[i]) for r in rows)) if rows else len(head)
              for i, (_, head, _) in enumerate(columns)]
    lines = []
    for cells in [[head for _, head, _ in columns]] + rows:
        parts = [c.ljust(w) if left else c.rjust(w) for c, w, (_, _, left) in zip(cells, widths, columns)]
        lines.append("  ".join(parts).rstrip())
    return lines


def format_terminal_table(table: pd.DataFrame, width: int = 100, *, left_out_hint: str = "") -> str:
    """A comparison table (:func:`rulex.compare`, rows in the order to show) as text at most ``width``
    characters wide, for a terminal.

    The cells are :func:`format_compare_table`'s. The network's accuracy (one value for every row,
    printed above the table by the CLI) is left out and the kinds are abbreviated; warnings and errors
    become numbered notes under the table, in full, wrapped to ``width``; the fidelity-conditions front
    is marked ``*``. When the table is still too wide, the least telling columns are left out (peak
    memory first, then kind, features used, mean length, coverage, seconds, accuracy, rules) and a last
    line names them, followed by ``left_out_hint`` (the CLI: where the full table goes).
    """
    shown = format_compare_table(table)
    notes: list[str] = []
    rows_in: list[dict] = []
    for (_, row), (_, raw) in zip(shown.iterrows(), table.iterrows()):
        cells = {c: str(row[c]) for c in shown.columns}
        cells["pareto"] = "*" if bool(raw["pareto"]) else ""
        cells["kind"] = _KINDS.get(cells.get("kind", ""), cells.get("kind", ""))
        said = [f"{what}: {raw[what]}" for what in ("error", "warnings")
                if isinstance(raw.get(what), str) and raw[what]]
        cells["note"] = f"[{len(notes) + 1}]" if said else ""
        if said:
            notes.append(f"[{len(notes) + 1}] {row['method']}: " + "; ".join(said))
        rows_in.append(cells)
    columns = [c for c in _TERMINAL if c[0] in rows_in[0]] if rows_in else list(_TERMINAL[:1])
    if not notes:
        columns = [c for c in columns if c[0] != "note"]
    dropped: list = []

    def lines_of(cols):
        return _layout([[r[c] for c, _, _ in cols] for r in rows_in], cols)

    lines = lines_of(columns)
    for name in _DROP_ORDER:
        if max(map(len, lines)) <= width:
            break
        if any(c[0] == name for c in columns):
            columns = [c for c in columns if c[0] != name]
            dropped.append(name)
            lines = lines_of(columns)
    for note in notes:
        lines += textwrap.wrap(note, width=max(width, 40), subsequent_indent="    ", break_long_words=True)
    if dropped:
        hint = f"; {left_out_hint}" if left_out_hint else ""
        lines += textwrap.wrap(f"(left out to fit {width} columns: {', '.join(dropped)}{hint})", width=max(width, 40))
    return "\n".join(lines)


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
