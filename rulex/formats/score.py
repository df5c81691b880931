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

import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import DataError, FormatError
from ..rules.ruleset import RuleSet
from .jsonio import from_json, to_json
from .sql import sql_identifier, to_sql

__all__ = ["predict_dask", "predict_partition", "score_file", "score_sql"]

_READERS = {".parquet": "read_parquet", ".pq": "read_parquet", ".csv": "read_csv_auto", ".gz": "read_csv_auto",
            ".tsv": "read_csv_auto"}
_WRITERS = {".parquet": "(FORMAT PARQUET)", ".pq": "(FORMAT PARQUET)", ".csv": "(FORMAT CSV, HEADER TRUE)"}


def _sql_string(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _reader(path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in _READERS:
        raise DataError(f"cannot read {str(path)!r}: give a .parquet or .csv file")
    return f"{_READERS[suffix]}({_sql_string(path)})"


def score_sql(rules, data, *, alias: str = "prediction") -> str:
    """The DuckDB query that adds the rules' prediction (column ``alias``) to every row of ``data``.

    ``data`` is a path to a Parquet or CSV file (or several, as a glob such as ``part-*.parquet``).
    """
    select = to_sql(rules, table="__rulex_source", alias=alias).rstrip().rstrip(";")
    return f"WITH {sql_identifier('__rulex_source')} AS (SELECT * FROM {_reader(data)})\n{select}"


def score_file(rules, data, out, *, alias: str = "prediction", columns=None, memory_limit: str | None = None,
               threads: int | None = None) -> dict:
    """Score every row of a Parquet/CSV file with ``rules`` in DuckDB and write ``out``.

    Parameters
    ----------
    rules : RuleSet
        Rules in the original space (the file's columns and values).
    data : str or Path
        A ``.parquet`` or ``.csv`` file, or a glob of them.
    out : str or Path
        The ``.parquet`` or ``.csv`` file to write: the input columns (or ``columns``) and ``alias``.
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
        ``rules`` not a RuleSet, a file suffix that is neither Parquet nor CSV, a column the rules need that the file
        lacks, or ``alias`` already a column.
    """
    import duckdb      # lazily: DuckDB is needed only to score files, not to import rulex

    if not isinstance(rules, RuleSet):
        raise DataError(f"score_file takes a RuleSet, got {type(rules).__name__}")
    if rules.space != "original":
        raise FormatError("score_file needs rules in the original space (decode encoded rules first)")
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in _WRITERS:
        raise DataError(f"cannot write {str(out)!r}: give a .parquet or .csv output file")
    started = time.perf_counter()
    con = duckdb.connect()
    try:
        if memory_limit is not None:
            con.execute(f"SET memory_limit = {_sql_string(memory_limit)}")
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        con.execute("SET preserve_insertion_order = true")      # rows come out in the file's order
        try:
            have = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {_reader(data)}").fetchall()]
        except duckdb.Error as exc:
            raise DataError(f"cannot read {str(data)!r}: {str(exc).splitlines()[0]}") from None
        missing = [f for f in rules.features_used() if f not in have]
        if missing:
            raise DataError(f"{str(data)!r} lacks the column(s) {missing} that the rules test")
        if alias in have:
            raise DataError(f"{str(data)!r} already has a column {alias!r}: choose another alias")
        keep = have if columns is None else list(columns)
        unknown = [c for c in keep if c not in have]
        if unknown:
            raise DataError(f"columns {unknown} are not in {str(data)!r}")
        query = score_sql(rules, data, alias=alias)
        picked = ", ".join(sql_identifier(c) for c in keep + [alias])
        out.parent.mkdir(parents=True, exist_ok=True)
        written = con.execute(f"COPY (SELECT {picked} FROM ({query}) AS scored) TO {_sql_string(out)} "
                              f"{_WRITERS[suffix]}").fetchone()       # DuckDB reports the rows copied
        rows = written[0] if written else 0
    finally:
        con.close()
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
