"""Scoring engines outside Python shared by the export tests: JPMML (in-process JVM) and PostgreSQL.

Plain helpers (the ``pmml_scorer`` fixture is in tests/conftest.py). Each engine is
started at most once per test process (``functools.lru_cache``): one JVM for JPMML (a py4j
gateway process, shut down at exit) and one PostgreSQL connection serve every test.

PostgreSQL is reached through ``RULEX_PG_DSN`` (a libpq connection string, e.g.
``host=127.0.0.1 port=5432 dbname=rulex_test user=rulex password=rulex``; ``.ci/run``
installs and starts the server and exports it). When it is unreachable the tests skip with
the reason, except under ``CI=true``, where they fail: CI promises a PostgreSQL.
"""
from __future__ import annotations

import atexit
import functools
import os
import shutil
import zipfile
from pathlib import Path

import pytest

import rulex


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str):
    """Skip with ``reason`` locally; fail under CI (the engine is part of CI's promise)."""
    if in_ci():
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


# -- JPMML ----------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _jpmml_backend():
    try:
        import jpmml_evaluator
    except ImportError as exc:           # pragma: no cover - in the test extras
        return None, f"jpmml_evaluator is not installed ({exc})"
    if shutil.which("java") is None:
        return None, "jpmml_evaluator needs a Java runtime (java on PATH)"
    try:
        # py4j: the JVM runs in a child process. JPype would start it in this process and
        # install an import hook that turns missing Python modules into Java packages
        # (torch's optional ``import dill`` then breaks).
        from jpmml_evaluator.py4j import Py4JBackend
        backend = Py4JBackend()
        atexit.register(Py4JBackend.destroyGateway)
        return (jpmml_evaluator, backend), ""
    except Exception as exc:             # pragma: no cover - depends on the machine
        return None, f"JPMML could not start a JVM: {exc}"


def jpmml():
    """``(jpmml_evaluator module, backend)``; skips (fails under CI) when JPMML cannot run."""
    got, reason = _jpmml_backend()
    if got is None:
        unavailable(reason)
    return got


def jpmml_predict(rules, records: list[dict]) -> list:
    """JPMML's prediction for each row (dicts of Python values, ``None`` for missing)."""
    import pandas as pd
    module, backend = jpmml()
    evaluator = module.make_evaluator(rulex.export(rules, "pmml"), backend=backend).verify()
    target = evaluator.getTargetFields()[0].getName()
    if not records:
        return []
    # object columns keep Python ints, bools and None as they are (no float upcast)
    frame = pd.DataFrame({c: pd.Series([r[c] for r in records], dtype=object) for c in records[0]})
    out = evaluator.evaluateAll(frame, parallelism=1)
    errors = out.get("errors")
    if errors is not None and errors.notna().any():
        first = errors[errors.notna()].iloc[0]
        raise AssertionError(f"JPMML failed on a row: {first}")
    return list(out[target])


@functools.lru_cache(maxsize=None)
def pmml_xsd() -> Path:
    """The PMML 4.4 XSD shipped inside JPMML's pmml-model jar, extracted once to a temp folder."""
    import tempfile
    env = os.environ.get("RULEX_PMML_XSD")
    if env and os.path.exists(env):
        return Path(env)
    try:
        import jpmml_evaluator
    except ImportError:
        unavailable("no PMML XSD: install jpmml_evaluator (it ships one) or set RULEX_PMML_XSD")
    deps = Path(jpmml_evaluator.__file__).parent / "dependencies"
    jars = sorted(deps.glob("pmml-model-[0-9]*.jar"))
    if not jars:
        unavailable(f"no pmml-model jar in {deps}")
    out = Path(tempfile.mkdtemp(prefix="rulex-xsd-")) / "pmml.xsd"
    with zipfile.ZipFile(jars[-1]) as z:
        out.write_bytes(z.read("pmml.xsd"))
    return out


# -- PostgreSQL -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _pg_connection():
    dsn = os.environ.get("RULEX_PG_DSN")
    if not dsn:
        return None, "PostgreSQL not configured: set RULEX_PG_DSN (.ci/run starts one and sets it)"
    try:
        import psycopg2
    except ImportError as exc:           # pragma: no cover - in the test extras
        return None, f"psycopg2 is not installed ({exc})"
    try:
        con = psycopg2.connect(dsn, connect_timeout=5)
    except Exception as exc:
        return None, f"PostgreSQL unreachable at RULEX_PG_DSN={dsn!r}: {str(exc).strip()}"
    con.autocommit = True
    return con, ""


def postgres():
    """An autocommit psycopg2 connection; skips (fails under CI) when PostgreSQL is unreachable."""
    con, reason = _pg_connection()
    if con is None:
        unavailable(reason)
    return con
