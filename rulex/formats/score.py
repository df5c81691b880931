"""Apply rules where the data lives: DuckDB over Parquet/CSV files, and Dask DataFrames.

:func:`score_file` runs the exported SQL (:func:`~rulex.formats.sql.to_sql`, the DuckDB form)
in DuckDB over a Parquet or CSV file and writes the rows with their prediction to a Parquet or
CSV file. DuckDB streams both files, so the data never has to fit in memory (``memory_limit``
bounds DuckDB's own buffers). The SQL is the export every test checks row by row against
:meth:`RuleSet.predict`, so the file gets exactly the rules' predictions.

:func:`predict_partition` is :meth:`RuleSet.predict` for one pandas partition, a module-level
function that process workers can import; :func:`predict_dask` maps it over a Dask DataFrame,
partition by partition.
"""
from __future__ import annotations

import glob
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import DataError, FormatError
from ..rules.conditions import MofN
from ..rules.ruleset import RuleSet
from .jsonio import from_json, to_json
from .sql import sql_identifier, sql_value, to_sql

__all__ = ["predict_dask", "predict_partition", "score_file", "score_sql"]

_PARQUET = ("read_parquet", "")
_CSV = ("read_csv", ", all_varchar = true, header = true")      # every column as its text: no type sniffing
_READERS = {".parquet": _PARQUET, ".pq": _PARQUET, ".csv": _CSV, ".gz": _CSV, ".tsv": _CSV}
_WRITERS = {".parquet": "(FORMAT PARQUET)", ".pq": "(FORMAT PARQUET)", ".csv": "(FORMAT CSV, HEADER TRUE)"}
# the texts pandas.read_csv reads as missing by default (RuleSet.predict sees those rows as missing)
_NA_TEXTS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
             "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"          # as rulex.schema reads numbers written as text
_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
_NUMERIC_TYPES = re.compile(r"^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|REAL|DECIMAL.*)$")


def _sql_string(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _reader(path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in _READERS:
        raise DataError(f"cannot read {str(path)!r}: give a .parquet or .csv file")
    function, options = _READERS[suffix]
    return f"{function}({_sql_string(path)}{options})"


@dataclass(frozen=True)
class _Column:
    """How one tested column is read: ``as_`` "number", "text" or "boolean"; the values allowed (None: any)."""

    name: str
    kind: str                       # the schema's kind, or "number"/"category" without a schema
    as_: str
    allowed: tuple | None = None


def _leaves(rules):
    for rule in rules.rules:
        for lit in rule.conditions:
            yield from (lit.conditions if isinstance(lit, MofN) else (lit,))


def _columns(rules) -> list:
    """How to read each column the rules test: by the rules' schema, else by the values the conditions hold."""
    out = []
    schema = rules.schema
    values: dict = {}
    for c in _leaves(rules):
        vals = c.value if c.op in ("in", "not in") else () if c.value is None else (c.value,)
        values.setdefault(c.feature, []).extend(("threshold",) if c.op in ("<=", ">") else vals)
    for name in rules.features_used():
        if schema is not None and name in schema:
            f = schema[name]
            cats = f.categories
            if not f.is_discrete:
                out.append(_Column(name, f.kind, "number"))
            elif all(isinstance(v, bool) for v in cats):
                out.append(_Column(name, f.kind, "boolean", cats))
            elif all(isinstance(v, (int, float)) for v in cats):
                out.append(_Column(name, f.kind, "number", cats))
            else:                   # text, or text and numbers mixed (the SQL export compares their text)
                out.append(_Column(name, f.kind, "text", tuple(str(v) for v in cats)))
            continue
        seen = values.get(name, ["threshold"])          # a linear conclusion's input is a number
        if all(isinstance(v, bool) for v in seen):
            out.append(_Column(name, "category", "boolean"))
        elif all(v == "threshold" or isinstance(v, (int, float)) for v in seen):
            out.append(_Column(name, "number", "number"))
        else:
            out.append(_Column(name, "category", "text"))
    return out


def _reading(col: _Column, source_type: str | None) -> tuple:
    """SQL for one column: (missing, valid, value), each on the column as the source holds it."""
    q = sql_identifier(col.name)
    typed_number = source_type is not None and _NUMERIC_TYPES.match(source_type)
    if col.as_ == "number" and typed_number:
        value = f"CAST({q} AS DOUBLE)"
        missing, valid = f"({q} IS NULL OR isnan({value}))", f"isfinite({value})"
    elif col.as_ == "boolean" and source_type == "BOOLEAN":
        value, missing, valid = q, f"({q} IS NULL)", "TRUE"
    else:
        text = q if source_type == "VARCHAR" else f"CAST({q} AS VARCHAR)"
        na = [t for t in _NA_TEXTS if col.allowed is None or t not in col.allowed]
        missing = f"({text} IS NULL OR {text} IN ({', '.join(_sql_string(t) for t in na)}))"
        if col.as_ == "text":
            value, valid = text, "TRUE"
        elif col.as_ == "boolean":
            value = f"(lower(trim({text})) = 'true')"
            valid = f"lower(trim({text})) IN ('true', 'false')"
        else:
            plain = f"regexp_full_match({text}, {_sql_string(_NUMBER)})"          # the usual case, cheaply
            clean = _number_text(text) if col.allowed is None else f"trim({text})"
            value = f"(CASE WHEN {plain} THEN TRY_CAST({text} AS DOUBLE) ELSE TRY_CAST({clean} AS DOUBLE) END)"
            valid = f"(({plain} OR regexp_full_match({clean}, {_sql_string(_NUMBER)})) AND isfinite({value}))"
    if col.kind == "integer":
        valid = f"({valid} AND {value} = floor({value}))"
    if col.allowed is not None and col.as_ != "boolean":
        valid = f"({valid} AND {value} IN ({', '.join(sql_value(v) for v in col.allowed)}))"
    return missing, valid, value


def _number_text(text: str) -> str:
    """The text of a number as :func:`rulex.schema.features.numbers_from_text` reads it: spaces, one leading
    currency symbol and one trailing percent sign dropped, commas only as thousands separators."""
    t = f"regexp_replace(regexp_replace({text}, '^\\s+|\\s+$', '', 'g'), '[ \u00a0]', '', 'g')"
    t = f"regexp_replace(regexp_replace({t}, '%$', ''), '^([+-]?)[$€£¥₹]', '\\1')"
    return f"(CASE WHEN regexp_full_match({t}, {_sql_string(_THOUSANDS)}) THEN replace({t}, ',', '') ELSE {t} END)"


def _raw_names(columns, taken) -> dict:
    """A free name for each tested column's text as the file holds it (written back unchanged)."""
    out, i = {}, 0
    for col in columns:
        while f"__rulex_raw_{i}" in taken:
            i += 1
        out[col.name] = f"__rulex_raw_{i}"
        i += 1
    return out


def _query(rules, data, alias: str, types: dict | None = None) -> str:
    columns = _columns(rules)
    types = types or {}
    csv = _READERS.get(Path(data).suffix.lower()) == _CSV
    raw = _raw_names(columns, set(types))
    select = to_sql(rules, table="__rulex_source", alias=alias).rstrip().rstrip(";")
    if not columns:
        return f"WITH {sql_identifier('__rulex_source')} AS (SELECT * FROM {_reader(data)})\n{select}"
    typed, keep, restore = [], [], []
    for col in columns:
        missing, valid, value = _reading(col, "VARCHAR" if csv else types.get(col.name))
        message = _sql_string(f"rulex-bad-value {col.name}")
        typed.append(f"CASE WHEN {missing} THEN NULL WHEN {valid} THEN {value} ELSE error({message}) END "
                     f"AS {sql_identifier(col.name)}")
        keep.append(f"{sql_identifier(col.name)} AS {sql_identifier(raw[col.name])}")
        restore.append(f"{sql_identifier(raw[col.name])} AS {sql_identifier(col.name)}")
    source = f"SELECT * REPLACE ({', '.join(typed)}), {', '.join(keep)} FROM {_reader(data)}"
    return (f"WITH {sql_identifier('__rulex_source')} AS ({source})\n"
            f"SELECT * EXCLUDE ({', '.join(sql_identifier(r) for r in raw.values())}) REPLACE "
            f"({', '.join(restore)}) FROM ({select}) AS {sql_identifier('__rulex_scored')}")


def score_sql(rules, data, *, alias: str = "prediction") -> str:
    """The DuckDB query that adds the rules' prediction (column ``alias``) to every row of ``data``.

    ``data`` is a path to a Parquet or CSV file (or several, as a glob such as ``part-*.parquet``).
    The columns the rules test are read as the rules' schema says (numbers, text categories such as
    ``01``, booleans; a CSV file's columns are read as text, never as DuckDB's type sniffing guesses)
    and come out as the file holds them; a value the schema does not allow stops the query with DuckDB's
    ``error()`` (:func:`score_file` turns it into a :class:`DataError` naming the column, row and value).
    """
    return _query(rules, data, alias)


def _connect(memory_limit, threads):
    try:
        import duckdb      # lazily: DuckDB is needed only to score files, not to import rulex
    except ImportError:     # pragma: no cover - duckdb is a dependency of rulex
        raise FormatError("scoring a file needs DuckDB, which this installation lacks: pip install duckdb") from None
    con = duckdb.connect()
    if memory_limit is not None:
        con.execute(f"SET memory_limit = {_sql_string(memory_limit)}")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = true")      # rows come out in the file's order
    return duckdb, con


def _check_not_empty(data) -> None:
    """A zero-byte file has no header to read: say so (DuckDB would read one column named ``column0``)."""
    for name in sorted(glob.glob(str(data))) or [str(data)]:
        if os.path.isfile(name) and os.path.getsize(name) == 0:
            raise DataError(f"{name!r} is empty (0 bytes): there is no header and no row to score")


def _source_types(duckdb, con, rules, data, alias, columns) -> tuple:
    """The file's columns and their DuckDB types, checked against what the rules test, ``alias`` and ``columns``."""
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {_reader(data)}").fetchall()
    except duckdb.Error as exc:
        raise DataError(f"cannot read {str(data)!r}: {str(exc).splitlines()[0]}") from None
    types = {r[0]: r[1] for r in described}
    missing = [f for f in rules.features_used() if f not in types]
    if missing:
        raise DataError(f"{str(data)!r} lacks the column(s) {missing} that the rules test")
    if alias in types:
        raise DataError(f"{str(data)!r} already has a column {alias!r}: choose another alias")
    keep = list(types) if columns is None else list(columns)
    unknown = [c for c in keep if c not in types]
    if unknown:
        raise DataError(f"columns {unknown} are not in {str(data)!r}")
    return types, keep


def _bad_value(con, rules, data, types) -> DataError:
    """The first value (in file order) the schema does not allow, as a DataError naming its column and row."""
    con.execute("SET threads = 1")                      # row_number() in the file's order
    first = None
    csv = _READERS.get(Path(data).suffix.lower()) == _CSV
    for col in _columns(rules):
        missing, valid, _ = _reading(col, "VARCHAR" if csv else types.get(col.name))
        q = sql_identifier(col.name)
        found = con.execute(f"SELECT __rulex_row, CAST({q} AS VARCHAR) FROM (SELECT row_number() OVER () AS __rulex_row, * FROM "
                            f"{_reader(data)}) WHERE NOT {missing} AND NOT ({valid}) ORDER BY __rulex_row LIMIT 1").fetchone()
        if found is not None and (first is None or found[0] < first[0]):
            first = (found[0], found[1], col)
    if first is None:        # pragma: no cover - the query stopped on a value this search finds
        return DataError(f"{str(data)!r} holds a value the rules' schema does not allow")
    row, value, col = first
    where = f"row {row} of {str(data)!r} (data rows counted from 1{', after the header' if csv else ''})"
    if col.allowed is not None:
        known = ", ".join(repr(c) for c in col.allowed[:10]) + (", ..." if len(col.allowed) > 10 else "")
        return DataError(f"column {col.name!r} holds {value!r} at {where}, a value not seen in training "
                         f"(known: {known}); map it to a known value or retrain with it")
    what = {"integer": "whole numbers", "category": "the values the rules test"}.get(col.kind, "numbers")
    return DataError(f"column {col.name!r} should hold {what} but holds {value!r} at {where}; clean the "
                     f"column, or retrain with it declared categorical")


def score_file(rules, data, out, *, alias: str = "prediction", columns=None, memory_limit: str | None = None,
               threads: int | None = None) -> dict:
    """Score every row of a Parquet/CSV file with ``rules`` in DuckDB and write ``out``.

    The columns the rules test are read as the rules' schema says, not as DuckDB's sniffing of a CSV
    file guesses: numbers (written as text the way :meth:`rulex.Dataset.from_csv` reads them), text
    categories (``01`` stays ``01``), booleans. A CSV file's columns are read as text and written to
    ``out`` exactly as the file holds them (``yes`` stays ``yes``); a Parquet file's keep their types.

    Parameters
    ----------
    rules : RuleSet
        Rules in the original space (the file's columns and values).
    data : str or Path
        A ``.parquet`` or ``.csv`` file, or a glob of them.
    out : str or Path
        The ``.parquet`` or ``.csv`` file to write: the input columns (or ``columns``) and ``alias``.
        It is written under a temporary name and renamed when complete, so a failed run leaves no
        partial file (and an existing ``out`` untouched).
    alias : str, default "prediction"
        Name of the prediction column (must not be a column of ``data``).
    columns : list of str, optional
        Input columns to keep in ``out`` (default: all).
    memory_limit : str, optional
        DuckDB's ``memory_limit``, e.g. ``"1GB"`` (DuckDB spills to disk beyond it).
    threads : int, optional
        DuckDB's thread count (default: DuckDB's, the number of cores).

    Returns
    -------
    dict
        ``rows`` written, ``seconds`` taken, ``out`` path and the ``sql`` run.

    Raises
    ------
    DataError
        ``rules`` not a RuleSet, a file suffix that is neither Parquet nor CSV, an empty file (zero
        bytes, or a header and no rows), a column the rules need that the file lacks, ``alias`` already
        a column, or a value the schema does not allow (text in a numeric column, a category not seen in
        training): the message names the column, the row and the value.
    """
    if not isinstance(rules, RuleSet):
        raise DataError(f"score_file takes a RuleSet, got {type(rules).__name__}")
    if rules.space != "original":
        raise FormatError("score_file needs rules in the original space (decode encoded rules first)")
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in _WRITERS:
        raise DataError(f"cannot write {str(out)!r}: give a .parquet or .csv output file")
    _reader(data)
    _check_not_empty(data)
    started = time.perf_counter()
    duckdb, con = _connect(memory_limit, threads)
    partial = out.with_name(f".{out.name}.rulex-partial")
    try:
        types, keep = _source_types(duckdb, con, rules, data, alias, columns)
        query = _query(rules, data, alias, types)
        picked = ", ".join(sql_identifier(c) for c in keep + [alias])
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            written = con.execute(f"COPY (SELECT {picked} FROM ({query}) AS scored) TO {_sql_string(partial)} "
                                  f"{_WRITERS[suffix]}").fetchone()       # DuckDB reports the rows copied
        except duckdb.Error as exc:
            if "rulex-bad-value" in str(exc):
                raise _bad_value(con, rules, data, types) from None
            raise DataError(f"DuckDB could not score {str(data)!r} into {str(out)!r}: "
                            f"{str(exc).splitlines()[0]}") from None
        rows = written[0] if written else 0
        if not rows:
            raise DataError(f"{str(data)!r} has no rows (only a header): nothing to score")
        os.replace(partial, out)
    finally:
        con.close()
        if partial.exists():
            partial.unlink()
    return {"rows": int(rows), "seconds": time.perf_counter() - started, "out": str(out), "sql": query}


def predict_partition(frame, rules, alias: str = "prediction"):
    """``frame`` with a column ``alias`` holding ``rules.predict(frame)`` (one pandas partition).

    ``rules`` is a RuleSet or its lossless JSON text. A module-level function, so Dask process
    workers can unpickle it by name.
    """
    if isinstance(rules, str):
        rules = from_json(rules)
    out = frame.copy()
    out[alias] = rules.predict(frame)
    return out


def predict_dask(rules, ddf, alias: str = "prediction"):
    """A lazy Dask DataFrame: ``ddf`` with the rules' prediction in column ``alias``, per partition.

    Parameters
    ----------
    rules : RuleSet
    ddf : dask.dataframe.DataFrame
        The rows, with the columns the rules test.
    alias : str, default "prediction"

    Returns
    -------
    dask.dataframe.DataFrame
        Compute it (or write it with ``to_parquet``) on any scheduler, process workers included.
    """
    meta = ddf._meta.copy()
    missing = [f for f in rules.features_used() if f not in meta.columns]
    if missing:
        raise DataError(f"the Dask DataFrame lacks the column(s) {missing} that the rules test")
    # the column as predict() fills it: float64 for regression, else the classes' numpy dtype
    sample = np.zeros(1) if rules.task == "regression" else np.asarray(list(rules.classes) or [rules.default])
    meta[alias] = pd.Series(sample[:0], index=meta.index[:0])
    # the rules travel as their lossless JSON: a string Dask hashes deterministically and every
    # worker rebuilds exactly (a RuleSet object has no deterministic Dask token)
    return ddf.map_partitions(predict_partition, to_json(rules), alias, meta=meta)
