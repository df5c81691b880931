"""What the export tests share: rows as engines see them, running SQL and Python exports, checking
every format against ``RuleSet.predict``, the hand-made schema and rows with missing values, and
checks of the HTML pages.

Plain helpers (the ``pmml_scorer`` fixture that uses them is in ``tests/conftest.py``).
"""
from __future__ import annotations

import math
import re
import shutil
import sqlite3

import numpy as np
import pandas as pd
import pytest

import rulex
from rulex import Feature, RuleSet, Schema
from rulex.formats import FORMATS
from rulex.formats.jsonio import from_json
from rulex.formats.sql import sql_identifier


def _native(v):
    """Python scalar for a frame cell; None for a missing value."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _records(frame: pd.DataFrame, schema: Schema | None = None) -> list[dict]:
    rows = []
    for rec in frame.to_dict("records"):
        row = {}
        for k, v in rec.items():
            v = _native(v)
            if v is not None and schema is not None and k in schema:
                f = schema[k]
                if f.kind == "integer" or (f.is_discrete and all(isinstance(c, int) and not isinstance(c, bool)
                                                                 for c in f.categories)):
                    v = int(v)
            row[k] = v
        rows.append(row)
    return rows


def _same(expected, got, task) -> bool:
    if task == "regression" and (expected is None or (isinstance(expected, float) and math.isnan(expected))):
        return got is None or (isinstance(got, float) and math.isnan(got))   # a missing input, missing out
    if got is None or (isinstance(got, float) and math.isnan(got)):
        return False
    if task == "regression":
        return float(got) == float(expected)
    if isinstance(expected, bool):
        return got in (expected, int(expected), str(expected).lower())
    if isinstance(expected, int):
        return not isinstance(got, str) and got == expected
    return got == expected


def _assert_all_same(expected, got, task, what):
    assert len(got) == len(expected), what
    bad = [i for i, (e, g) in enumerate(zip(expected, got)) if not _same(e, g, task)]
    assert not bad, f"{what}: row {bad[0]} expected {expected[bad[0]]!r}, got {got[bad[0]]!r}"


def _sql_type(f: Feature | None, values) -> str:
    if f is None:
        vals = [v for v in values if v is not None]
        if all(isinstance(v, bool) for v in vals) and vals:
            return "BOOLEAN"
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            return "DOUBLE"
        return "VARCHAR"
    if f.kind == "numeric":
        return "DOUBLE"
    if f.kind == "integer":
        return "BIGINT"
    cats = f.categories
    if all(isinstance(c, bool) for c in cats):
        return "BOOLEAN"
    if all(isinstance(c, int) for c in cats):
        return "BIGINT"
    if all(isinstance(c, (int, float)) for c in cats):
        return "DOUBLE"
    return "VARCHAR"


def _run_sql(rules: RuleSet, frame: pd.DataFrame, engine: str, expression_only: bool = False) -> list:
    """Load ``frame`` into a fresh table with typed columns and run the full SELECT (or the expression)."""
    schema = rules.schema
    records = _records(frame, schema)
    cols = list(frame.columns)
    table = 'rules "table"'
    types = [_sql_type(schema[c] if schema is not None and c in schema else None, frame[c].map(_native))
             for c in cols]
    decl = ", ".join(f"{sql_identifier(c)} {t}" for c, t in zip(cols, types))
    sql = rulex.export(rules, "sql", table=table)
    if expression_only:
        expr = rulex.export(rules, "sql", expression_only=True)
        sql = f"SELECT *, {expr} AS \"prediction\" FROM {sql_identifier(table)}"
    ident = sql_identifier("__row")
    create = f"CREATE TABLE {sql_identifier(table)} ({ident} BIGINT, {decl})"
    insert = (f"INSERT INTO {sql_identifier(table)} VALUES (?, " + ", ".join("?" for _ in cols) + ")")
    data = [(i, *[r[c] for c in cols]) for i, r in enumerate(records)]
    if engine == "sqlite":
        con = sqlite3.connect(":memory:")
    else:
        duckdb = pytest.importorskip("duckdb")
        con = duckdb.connect()
    try:
        con.execute(create)
        if data:
            con.executemany(insert, data)
        cur = con.execute(sql.rstrip().rstrip(";"))
        names = [d[0] for d in cur.description]
        out = cur.fetchall()
    finally:
        con.close()
    assert names[-1] == "prediction"
    out.sort(key=lambda row: row[0])
    return [row[-1] for row in out]


def _load_module(src: str) -> dict:
    ns: dict = {"__name__": "exported_rules"}
    exec(compile(src, "<exported rules>", "exec"), ns)
    return ns


def _check_json(rules: RuleSet, frame: pd.DataFrame, expected: list, pmml) -> None:
    back = from_json(rulex.export(rules, "json"))
    assert back == rules
    _assert_all_same(expected, [_native(v) for v in back.predict(frame)], rules.task, "json")


def _check_python(rules: RuleSet, frame: pd.DataFrame, expected: list, pmml) -> None:
    ns = _load_module(rulex.export(rules, "python"))
    _assert_all_same(expected, ns["predict_many"](frame), rules.task, "python (frame)")
    _assert_all_same(expected, [ns["predict"](r) for r in _records(frame, rules.schema)], rules.task,
                     "python (dicts)")


def _check_sql(rules: RuleSet, frame: pd.DataFrame, expected: list, pmml) -> None:
    task = rules.task
    _assert_all_same(expected, _run_sql(rules, frame, "sqlite"), task, "sqlite")
    _assert_all_same(expected, _run_sql(rules, frame, "duckdb"), task, "duckdb")
    if rules.semantics == "unordered":       # the expression differs from the full SELECT here
        _assert_all_same(expected, _run_sql(rules, frame, "sqlite", True), task, "sqlite (expression)")
        _assert_all_same(expected, _run_sql(rules, frame, "duckdb", True), task, "duckdb (expression)")


def _check_pmml(rules: RuleSet, frame: pd.DataFrame, expected: list, pmml) -> None:
    if pmml is not None:
        _assert_all_same(expected, pmml(rules, frame), rules.task, "pmml (pypmml)")


def _renders(name: str):
    def check(rules: RuleSet, frame: pd.DataFrame, expected: list, pmml) -> None:
        text = rulex.export(rules, name)
        assert isinstance(text, str) and text.strip(), f"{name}: the export is empty"
    return check


# How each export format is checked; ``_check_formats`` runs the entry of every name in
# ``rulex.formats.FORMATS`` and fails on a name without one, so a new format must say here how it
# is executed (or that it is not executable) before the suite passes.
# (what runs the export, check(rules, frame, expected, pmml))
CHECKERS = {
    "json": ("lossless round trip, then RuleSet.predict", _check_json),
    "python": ("the module exec'd: predict_many on the frame, predict on dict rows (None for missing)",
               _check_python),
    "sql": ("SQLite and DuckDB: the full SELECT, and the bare expression for unordered rules", _check_sql),
    "pmml": ("pypmml, when a scorer is given (JPMML and PostgreSQL: test_exports_engines.py)", _check_pmml),
    "text": ("not executable: renders to non-empty text", _renders("text")),
    "markdown": ("not executable: renders to non-empty text", _renders("markdown")),
    "html": ("not executable: renders to non-empty text", _renders("html")),
}


def _check_formats(rules: RuleSet, frame: pd.DataFrame, *, pmml=None):
    """Every format in ``FORMATS`` checked as ``CHECKERS`` says: every executable one predicts exactly
    what ``rules.predict`` does on every row of ``frame`` (PMML only when a ``pmml`` scorer is given)."""
    missing = [name for name in FORMATS if name not in CHECKERS]
    assert not missing, f"export format(s) {missing} have no entry in CHECKERS (tests/_helpers/exports.py)"
    expected = [_native(v) for v in rules.predict(frame)]
    for name in FORMATS:
        CHECKERS[name][1](rules, frame, expected, pmml)


# ---------------------------------------------------------------------------------------------
# missing values, ties, m-of-n: the hand-made schema and rows
# ---------------------------------------------------------------------------------------------
SCHEMA = Schema((Feature("x", "numeric"), Feature("n", "integer"), Feature("b", "binary", (False, True)),
                 Feature("c", "categorical", ("a b", 'say "hi"', "it's", "é", "back\\slash")),
                 Feature("o", "ordinal", ("low", "mid", "high"))), target="label", classes=("no", "yes", "maybe"))


def _frame_of(rows):
    cols = {k: [r.get(k) for r in rows] for k in ("x", "n", "b", "c", "o")}
    return pd.DataFrame({"x": pd.Series(cols["x"], dtype="float64"), "n": pd.Series(cols["n"], dtype="float64"),
                         "b": pd.Series(cols["b"], dtype=object), "c": pd.Series(cols["c"], dtype=object),
                         "o": pd.Series(cols["o"], dtype=object)})


MISSING_ROWS = _frame_of([
    {"x": 1.0, "n": 3, "b": False, "c": "a b", "o": "low"},
    {"x": None, "n": None, "b": None, "c": None, "o": None},
    {"x": 2.45, "n": None, "b": True, "c": 'say "hi"', "o": "mid"},
    {"x": None, "n": 7, "b": None, "c": "it's", "o": None},
    {"x": 5.0, "n": 2, "b": False, "c": None, "o": "high"},
    {"x": None, "n": 1, "b": True, "c": "back\\slash", "o": "low"},
])


# ---------------------------------------------------------------------------------------------
# HTML pages
# ---------------------------------------------------------------------------------------------
def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _no_remote_references(page: str):
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?\s*([^"'\s>]+)""", page, flags=re.I)
    assert not [r for r in refs if r.lower().startswith(("http://", "https://", "//"))]
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", page, flags=re.I)
    assert not re.search(r"@import", page, flags=re.I)
    assert "<script" not in page.lower()
