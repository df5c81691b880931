"""Exports: text, markdown, lossless JSON, PMML 4.4, SQL, standalone Python and an HTML audit report;
:func:`write_table` writes the tables of ``rulex compare`` and ``rulex grid``."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..exceptions import DataError, UnknownNameError, did_you_mean
from ..rules.ruleset import RuleSet
from .html import to_html
from .jsonio import from_json, load_rules, to_json
from .pmml import to_pmml
from .python import to_python
from .sql import to_sql
from .tables import write_table
from .text import to_markdown, to_text

__all__ = ["export", "load_rules", "save_rules", "FORMATS", "to_json", "from_json", "to_text", "to_markdown",
           "to_pmml", "to_sql", "to_python", "to_html", "write_table"]

FORMATS: dict[str, Callable[..., str]] = {
    "text": to_text,
    "markdown": to_markdown,
    "json": to_json,
    "pmml": to_pmml,
    "sql": to_sql,
    "python": to_python,
    "html": to_html,
}
SUFFIX = {".txt": "text", ".md": "markdown", ".json": "json", ".pmml": "pmml", ".sql": "sql", ".py": "python",
          ".html": "html", ".htm": "html"}


def export(rules, format: str = "text", path=None, **options) -> str:
    """Render ``rules`` in ``format`` and return the text; also write it to ``path`` if given.

    Parameters
    ----------
    rules : RuleSet
    format : {"text", "markdown", "json", "pmml", "sql", "python", "html"}, default "text"
    path : str or Path, optional
        File to write (parent folders are created).
    **options
        Passed to the format's writer, e.g. ``table=`` and ``dialect=`` for SQL, ``network=``
        and ``dataset=`` for the HTML report.

    Returns
    -------
    str
        The rendered text.

    Raises
    ------
    DataError
        When ``rules`` is not a RuleSet.
    UnknownNameError
        For an unknown format (the message lists the formats).
    """
    if not isinstance(rules, RuleSet):
        raise DataError(f"export takes a RuleSet, got {type(rules).__name__}")
    if format not in FORMATS:
        raise UnknownNameError(did_you_mean(format, FORMATS, "export format"))
    text = FORMATS[format](rules, **options)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    return text


def save_rules(rules, path) -> str:
    """Write lossless JSON (load it back with :func:`load_rules`).

    Parameters
    ----------
    rules : RuleSet
    path : str or Path

    Returns
    -------
    str
        The JSON text written.
    """
    return export(rules, "json", path=path)
