"""SQL export: one ``CASE WHEN ... END`` expression, or a full ``SELECT``.

SQLite and DuckDB evaluate the expression exactly like :meth:`RuleSet.predict`.

Quoting
    Identifiers are double-quoted (embedded ``"`` doubled), strings single-quoted
    (embedded ``'`` doubled), booleans are ``TRUE``/``FALSE``.
Numbers
    A float literal is the shortest decimal that reads back as the same double
    (Python's ``repr``), in scientific notation (``2.5000000447034836e0``), which
    both engines read as DOUBLE (DuckDB reads ``2.45`` as a DECIMAL). SQLite
    before 3.43 (and later ones where a long double is wider than a double) does
    not always round decimal literals correctly (3.40 on x86-64 reads
    ``59.74737633665573`` one ulp off), so the decimal literal is used only when it
    provably parses exactly under SQLite's algorithm on every platform (see
    :func:`_sqlite_reads_exactly`), else the nearest 17- or 18-digit decimal
    that does (``5.9747376336655726e1``); the rare others are written as an exact
    product of an integer and powers of two, preceded by the decimal value in a
    comment: ``/* 59.74737633665573 */ (CAST(4204... AS DOUBLE) / CAST(... AS DOUBLE))``.
    With ``dialect="duckdb"`` or ``"postgres"``, engines whose parsers round every
    decimal correctly, every float is its shortest decimal.
    Column values are compared as they are (bind Python floats, not numpy
    scalars, in sqlite3: numpy integers arrive as BLOBs); a boolean column is
    cast to INTEGER then DOUBLE for ``<=`` / ``>``.
Missing values
    ``NULL`` compared with anything is ``NULL``; the expression only combines
    conditions with ``AND``/``OR`` (never ``NOT``), so a ``WHEN`` holds exactly
    when it holds with every ``NULL`` read as false: rulex's "a condition on a
    missing value is false", for ``<>`` and ``NOT IN`` too. An m-of-n test counts
    ``CASE WHEN cond THEN 1 ELSE 0 END``, where ``NULL`` counts 0.
Dialects
    ``dialect=None`` (or ``"sqlite"`` / ``"duckdb"``) gives the SQL above, written
    for SQLite and DuckDB. Any other dialect that `sqlglot <https://sqlglot.com>`_
    knows (``postgres``, ``spark``, ``bigquery``, ``snowflake``, ``mysql``,
    ``tsql``, ``oracle``, ``trino``, ...) is obtained by parsing that SQL and
    generating the target dialect with sqlglot, which handles identifier quoting
    (backticks, brackets), string escapes (MySQL, BigQuery and Spark read a backslash
    as an escape) and type names (``DOUBLE PRECISION``, ``FLOAT64``, ``FLOAT``).
    Before generating, every decimal literal ``x`` becomes ``CAST(x AS DOUBLE)``:
    engines such as PostgreSQL read ``2.45e0`` as an exact NUMERIC, and sums or
    comparisons in NUMERIC can differ from rulex's float64 ones (``0.1 + 0.2``);
    a cast of a decimal to double rounds correctly, so every literal is the same
    double as in rulex. One engine limit: PostgreSQL raises "value out of range:
    underflow" when a float8 product of non-zero values rounds to zero (a linear
    conclusion times a subnormal input such as ``5e-324``), where rulex gives 0.
    Checked by running the ``postgres`` output in PostgreSQL,
    and for the other dialects by reading their output back with sqlglot and
    running it in DuckDB.
Unordered rules
    Per-class vote totals ``S_k`` are sums of ``CASE WHEN rule THEN weight ELSE 0 END``;
    the result is the conclusion of the earliest firing rule whose class total is
    the largest (``S_k >= S_other`` for every other class), which is rulex's
    tie-break, else the default. When several classes have rules, the full SELECT
    computes each rule's 0/1 flag and each class total once per row in a correlated
    subquery (``expression_only`` repeats the totals inside the one expression). Totals are exact, hence identical to rulex's,
    whenever the weights are exact in float64 sums (e.g. the default weight 1);
    with arbitrary float weights two totals that differ by less than float
    rounding could compare differently.
"""
from __future__ import annotations

import contextvars
import math
from typing import Any, Callable
from fractions import Fraction

from ..exceptions import DataError, FormatError, UnknownNameError, did_you_mean
from ..rules.conditions import Condition, MofN
from ..rules.linear import LinearModel

__all__ = ["to_sql", "sql_identifier", "sql_string", "sql_float", "sql_value", "DIALECTS", "transpile_sql"]

# the dialects the tests cover (sqlglot knows more; any of its names is accepted)
DIALECTS = ("sqlite", "duckdb", "postgres", "spark", "bigquery", "snowflake", "mysql", "tsql")
_NATIVE = (None, "sqlite", "duckdb")
# engines that read every decimal literal correctly rounded (run by the tests): their SQL writes every
# float as its shortest decimal; the others get the form SQLite reads exactly (see sql_float)
_CORRECTLY_ROUNDED = ("duckdb", "postgres")
_SHORTEST = contextvars.ContextVar("rulex_sql_shortest_literals", default=False)


def sql_identifier(name: str) -> str:
    """``"name"`` with embedded double quotes doubled."""
    if "\x00" in str(name):
        raise FormatError(f"SQL identifiers cannot contain NUL characters: {name!r}")
    return '"' + str(name).replace('"', '""') + '"'


def sql_string(s: str) -> str:
    """``'text'`` with embedded single quotes doubled."""
    if "\x00" in s:
        raise FormatError(f"SQL strings cannot contain NUL characters: {s!r}")
    return "'" + s.replace("'", "''") + "'"


def _round_binary(q: Fraction, bits: int) -> Fraction:
    """Round a positive rational to ``bits`` significant bits, ties to even (no exponent limits)."""
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if Fraction(2) ** e > q:
        e -= 1
    scale = Fraction(2) ** (bits - 1 - e)          # q * scale in [2**(bits-1), 2**bits)
    m = q * scale
    lo = math.floor(m)
    rest = m - lo
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and lo % 2 == 1):
        lo += 1
    return lo / scale


_LARGEST_INT64 = 2 ** 63 - 1


def _sqlite_operands(text: str) -> tuple[int, int]:
    """``(s, e)`` as SQLite's ``sqlite3AtoF`` holds a decimal literal before its one scaling step:
    the significant digits as an integer ``s`` (at most 17 here, within its 64-bit accumulator) and
    the power of ten ``e``, after its exponent reduction (``s *= 10`` while ``e > 0`` and ``s`` stays
    below ``LARGEST_INT64 / 10``; ``s /= 10`` while ``e < 0`` and ``s`` ends in a zero)."""
    mant, _, exp = text.lower().partition("e")
    mant = mant.lstrip("+-")
    e = int(exp) if exp else 0
    if "." in mant:
        whole, frac = mant.split(".")
        e -= len(frac)
        mant = whole + frac
    s = int(mant) if mant else 0
    while e > 0 and s < _LARGEST_INT64 // 10:
        s, e = s * 10, e - 1
    while e < 0 and s and s % 10 == 0:
        s, e = s // 10, e + 1
    return s, e


def _sqlite_reads_exactly(text: str, x: float) -> bool:
    """True if SQLite's ``sqlite3AtoF`` turns ``text`` into exactly ``x`` on every platform.

    Before 3.43 (and later wherever a long double is wider than a double) that parser holds the
    digits in a 64-bit integer ``s``, builds ``10**|e|`` by repeated multiplication and divides (or
    multiplies) once in ``long double``, then rounds to double. With ``|e| <= 22`` the power is
    exact, so the result is one rounded operation; it is accepted only when it lands on ``x``

    * with an 80-bit long double (x86): ``s`` exact, the quotient rounded to 64 bits, then to 53;
    * where a long double is a double: ``s`` first rounded to 53 bits, the quotient to 53;
    * in any evaluation with a relative error below 2**-90 (IEEE quad long doubles; the
      double-double arithmetic SQLite 3.43 uses without a wide long double, about 2**-100; correctly
      rounded parsers such as DuckDB's and the newest SQLite's): the exact value lies farther than
      that from a rounding boundary.

    A full-precision (17-digit) shortest literal passes in nine cases of ten; :func:`sql_float`
    then tries the nearest 17- and 18-digit decimals and writes the rare others in the exact form.
    """
    s, e = _sqlite_operands(text)
    if s == 0:
        return x == 0
    if s >= (_LARGEST_INT64 - 9) // 10 or abs(e) > 22:     # SQLite drops digits beyond that
        return False
    target = Fraction(abs(x))
    power = Fraction(10) ** e
    exact = Fraction(s) * power
    if _round_binary(_round_binary(exact, 64), 53) != target:             # x86 long double
        return False
    if Fraction(_round_binary(Fraction(s), 53)) * power != exact:          # s inexact in a double
        if _round_binary(_round_binary(Fraction(s), 53) * power, 53) != target:
            return False
    margin = exact / 2 ** 90                                               # any accurate evaluation
    return _round_binary(exact - margin, 53) == target == _round_binary(exact + margin, 53)


def _decimal_candidates(x: float):
    """Decimal literals of ``x`` to try, most readable first: the shortest that reads back as ``x``
    (``repr``), then every 17- and 18-significant-digit decimal that reads back as ``x``, nearest
    first (one of them may survive a parser's double rounding where the shortest does not)."""
    text = repr(x)
    yield text if "e" in text else text + "e0"
    exact = Fraction(abs(x))
    half_ulp = (Fraction(math.nextafter(abs(x), math.inf)) - exact) / 2
    sign = "-" if x < 0 else ""
    for digits in (17, 18):
        k = digits - 1 - math.floor(math.log10(abs(x)))     # s = x * 10**k has about `digits` digits
        scale = Fraction(10) ** k
        centre, reach = round(exact * scale), math.ceil(half_ulp * scale)
        if reach > 256:          # a subnormal: so few bits that no digit string is near enough
            return
        for s in sorted(range(centre - reach, centre + reach + 1), key=lambda s: abs(s - exact * scale)):
            body = str(s)
            yield f"{sign}{body[0]}.{body[1:]}e{len(body) - 1 - k}"


def sql_float(x: float) -> str:
    """An exact DOUBLE literal for ``x`` that SQLite and DuckDB both read back as ``x``: a decimal
    (the shortest that SQLite provably reads exactly), else an exact product with the decimal in a
    comment. While :func:`to_sql` writes for DuckDB or PostgreSQL, always the shortest decimal."""
    x = float(x)
    if not math.isfinite(x):
        raise FormatError(f"SQL has no portable literal for {x!r}")
    if x == 0:
        return "0e0"
    for text in _decimal_candidates(x):
        if _SHORTEST.get() or (float(text) == x and _sqlite_reads_exactly(text, x)):
            return text
    # exact form: m * 2**k with an odd integer m < 2**53, built from exact operations
    num, den = x.as_integer_ratio()
    if den > 1:                      # x = num / 2**k with num odd, |num| < 2**53
        op, k = "/", den.bit_length() - 1
    else:                            # x = m * 2**k with m odd
        k = (num & -num).bit_length() - 1
        op, num = "*", num >> k
    expr = f"CAST({num} AS DOUBLE)"
    while k > 0:
        step = min(k, 62)
        expr = f"{expr} {op} CAST({2 ** step} AS DOUBLE)"
        k -= step
    return f"/* {repr(x)} */ ({expr})"


def sql_value(v) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return sql_float(v)
    if isinstance(v, str):
        return sql_string(v)
    raise FormatError(f"SQL export cannot write the value {v!r} of type {type(v).__name__}")


def _is_boolean_feature(rules, name) -> bool:
    schema = rules.schema if rules.space == "original" else None
    if schema is None or name not in schema:
        return False
    f = schema[name]
    return f.is_discrete and all(isinstance(c, bool) for c in f.categories)


def _is_mixed_feature(rules, name) -> bool:
    """A discrete feature whose categories mix text and numbers: its column can only be text in a
    database, so its tests compare text (``CAST(col AS TEXT) IN ('1', '2.5', 'nurse')``)."""
    schema = rules.schema if rules.space == "original" else None
    if schema is None or name not in schema or not schema[name].is_discrete:
        return False
    cats = schema[name].categories
    return any(isinstance(c, str) for c in cats) and any(not isinstance(c, str) for c in cats)


def _condition(c: Condition, rules) -> str:
    col = sql_identifier(c.feature)
    op, v = c.op, c.value
    value: Callable[[Any], str] = sql_value
    if op not in ("is missing", "is not missing", "<=", ">") and _is_mixed_feature(rules, c.feature):
        col = f"CAST({col} AS TEXT)"
        value = lambda x: sql_string(str(x))     # noqa: E731  Python's text of the value, as pandas -> SQL stores it
    if op == "is missing":
        return f"({col} IS NULL)"
    if op == "is not missing":
        return f"({col} IS NOT NULL)"
    if op in ("<=", ">"):
        t = float(v)
        if _is_boolean_feature(rules, c.feature):
            col = f"CAST(CAST({col} AS INTEGER) AS DOUBLE)"    # PostgreSQL casts boolean to integer only
        if math.isinf(t):     # a constant test on every non-missing value
            holds = (op == "<=") == (t > 0)
            return f"({col} IS NOT NULL)" if holds else "FALSE"
        return f"{col} {op} {sql_float(t)}"
    if op == "==":
        return f"{col} = {value(v)}"
    if op == "!=":
        return f"{col} <> {value(v)}"
    items = ", ".join(value(x) for x in v)
    return f"{col} {'IN' if op == 'in' else 'NOT IN'} ({items})"


def _literal(lit, rules) -> str:
    if isinstance(lit, Condition):
        return _condition(lit, rules)
    counts = " + ".join(f"CASE WHEN {_condition(c, rules)} THEN 1 ELSE 0 END" for c in lit.conditions)
    return f"({counts}) >= {lit.m}"


def _rule(rule, rules) -> str:
    if not rule.conditions:
        return "TRUE"
    parts = [_literal(lit, rules) for lit in rule.conditions]
    if len(parts) == 1:
        return parts[0]
    return " AND ".join(f"({p})" if isinstance(lit, MofN) or " OR " in p else p
                        for p, lit in zip(parts, rule.conditions))


def _linear(model) -> str:
    """``((b + c1 * x1) + c2 * CASE WHEN z = 'a' THEN 1e0 ELSE 0e0 END)``: the in-memory order of operations."""
    expr = sql_float(model.intercept)
    for t in model.terms:
        col = sql_identifier(t.feature)
        if t.is_indicator:
            x = f"CASE WHEN {col} = {sql_value(t.category)} THEN 1e0 ELSE 0e0 END"
        else:
            x = f"CAST({col} AS DOUBLE)"
        expr = f"({expr} + {sql_float(t.coef)} * {x})"
    return expr


def _weight(w: float, integral: bool) -> str:
    if not math.isfinite(w):
        raise FormatError(f"SQL export needs finite rule weights, got {w!r}")
    return str(int(w)) if integral else sql_float(w)


def _dialect(name):
    """sqlglot's dialect object for ``name``, with a clear error for an unknown name."""
    try:        # lazily: sqlglot loads only for a dialect other than SQLite/DuckDB
        from sqlglot.dialects.dialect import Dialect, Dialects
    except ImportError as exc:       # pragma: no cover - sqlglot is a dependency
        raise FormatError(f"SQL dialect {name!r} needs sqlglot (pip install sqlglot)") from exc
    if not isinstance(name, str):
        raise DataError(f"dialect must be a string such as 'postgres', got {type(name).__name__}")
    known = sorted(d.value for d in Dialects if d.value)
    if name.lower() not in known:
        raise UnknownNameError(did_you_mean(name, known, "SQL dialect"))
    return Dialect.get_or_raise(name.lower())


def transpile_sql(sql: str, dialect: str, *, pretty: bool = True) -> str:
    """Rewrite rulex's SQLite/DuckDB SQL (a statement or an expression) in another sqlglot dialect.

    Every decimal literal is first cast to DOUBLE (see the module docstring), then sqlglot
    generates ``dialect``. A trailing ``;`` is kept.
    """
    import sqlglot      # lazily, as in _dialect
    from sqlglot import exp
    target = _dialect(dialect)
    text = sql.rstrip()
    statement = text.endswith(";")
    tree = sqlglot.parse_one(text.rstrip(";"), read="duckdb")

    def double_literals(node):
        if isinstance(node, exp.Literal) and not node.is_string and not node.this.lstrip("-").isdigit():
            parent = node.parent
            if isinstance(parent, exp.Cast) and parent.to.is_type("double"):
                return node
            return exp.Cast(this=node.copy(), to=exp.DataType.build("double"))
        return node

    out = tree.transform(double_literals).sql(dialect=target, pretty=pretty)
    return out + (";\n" if statement else "")


def to_sql(rules, *, table: str = "data", expression_only: bool = False, alias: str = "prediction",
           indent: str = "  ", dialect: str | None = None) -> str:
    """SQL for ``rules``: ``SELECT *, CASE ... END AS "prediction" FROM "table"``.

    Parameters
    ----------
    rules : RuleSet
    table : str, default "data"
        Table to select from (quoted as an identifier).
    expression_only : bool, default False
        Return only the ``CASE WHEN ... END`` expression (a bare literal when there are no
        rules). For an unordered rule set whose rules conclude several classes, the
        expression repeats every class total in each ``WHEN``, so its size grows with the
        square of the number of rules; the full SELECT instead computes each rule's flag
        and each class total once, in a correlated subquery.
    alias : str, default "prediction"
        Name of the computed column in the full SELECT.
    indent : str
        Indentation of the WHEN lines (of the SQLite/DuckDB form; other dialects are laid out
        by sqlglot).
    dialect : str, optional
        Target SQL dialect, any name sqlglot knows: ``sqlite``, ``duckdb`` (both give the
        native form, the default, for SQLite and DuckDB alike; ``duckdb`` writes every float as
        its shortest decimal, as ``postgres`` does), ``postgres``, ``spark``, ``bigquery``,
        ``snowflake``, ``mysql``, ``tsql``, ... (see the module docstring).

    Returns
    -------
    str
        The SQL text.

    Raises
    ------
    FormatError
        A value SQL cannot hold (a NUL character, a non-finite number).
    UnknownNameError
        An unknown ``dialect``.
    """
    if dialect is not None and not isinstance(dialect, str):
        raise DataError(f"dialect must be a string such as 'postgres', got {type(dialect).__name__}")
    if dialect is not None and dialect.lower() in _CORRECTLY_ROUNDED and not _SHORTEST.get():
        token = _SHORTEST.set(True)       # every float as its shortest decimal (see sql_float)
        try:
            return to_sql(rules, table=table, expression_only=expression_only, alias=alias, indent=indent,
                          dialect=dialect)
        finally:
            _SHORTEST.reset(token)
    if dialect is not None and dialect.lower() not in _NATIVE:
        _dialect(dialect)      # an unknown name fails before any work
        return transpile_sql(to_sql(rules, table=table, expression_only=expression_only, alias=alias,
                                    indent=indent), dialect)
    conds = [_rule(r, rules) for r in rules.rules]
    default = _conclusion(rules.default, rules)
    if rules.semantics == "ordered" or not rules.rules:
        whens = [f"WHEN {cond} THEN {_conclusion(r.conclusion, rules)}  /* rule {i} */"
                 for i, (r, cond) in enumerate(zip(rules.rules, conds), 1)]
        return _case(whens, default, indent) if expression_only else _select(whens, default, indent, alias, table)
    return _unordered(rules, conds, default, expression_only=expression_only, alias=alias, indent=indent,
                      table=table)


def _conclusion(v, rules) -> str:
    if isinstance(v, LinearModel):
        return _linear(v)
    return sql_value(v) if rules.task == "classification" else sql_float(float(v))


# Layout is built line by line: re-indenting finished text would change identifiers and
# strings that contain line breaks.
def _case(whens, default: str, indent: str, at: str = "") -> str:
    if not whens:
        return default
    lines = ["CASE"] + [f"{at}{indent}{w}" for w in whens] + [f"{at}{indent}ELSE {default}  /* default */", f"{at}END"]
    return "\n".join(lines)


def _select(whens, default: str, indent: str, alias: str, table: str) -> str:
    return (f"SELECT *,\n{indent}{_case(whens, default, indent, indent)} AS {sql_identifier(alias)}\n"
            f"FROM {sql_identifier(table)};\n")


def _vote_whens(rules, with_rules, zero_class: bool, fired, total) -> list:
    """WHEN clauses: rule j fires and its class total is the largest (rulex's tie-break)."""
    whens = []
    for j, r in enumerate(rules.rules):
        k = r.conclusion
        tests = [f"{total(k)} >= {total(o)}" for o in with_rules if o != k]
        if zero_class:       # a class without rules scores 0 and can hold the maximum
            tests.append(f"{total(k)} >= 0")
        clause = " AND ".join([fired(j)] + tests)
        whens.append(f"WHEN {clause} THEN {_conclusion(k, rules)}  /* rule {j + 1} */")
    return whens


def _unordered(rules, conds, default: str, *, expression_only: bool, alias: str, indent: str, table: str) -> str:
    """The SQL of an unordered rule set: class vote totals, the earliest firing rule of the largest wins."""
    classes = list(rules.classes)
    weights = [float(r.weight) for r in rules.rules]
    integral = all(math.isfinite(w) and w.is_integer() and abs(w) < 2 ** 53 for w in weights)
    ws = [_weight(w, integral) for w in weights]
    by_class = {k: [j for j, r in enumerate(rules.rules) if r.conclusion == k] for k in classes}
    with_rules = [k for k in classes if by_class[k]]
    zero_class = len(with_rules) < len(classes) and any(w < 0 for w in weights)

    if expression_only or (len(with_rules) == 1 and not zero_class):
        totals = {k: "(" + " + ".join(f"CASE WHEN {conds[j]} THEN {ws[j]} ELSE 0 END" for j in by_class[k]) + ")"
                  for k in with_rules}
        single = len(with_rules) == 1 and not zero_class
        whens = _vote_whens(rules, with_rules, zero_class, lambda j: conds[j] if single else f"({conds[j]})",
                            totals.__getitem__)
        return _case(whens, default, indent) if expression_only else _select(whens, default, indent, alias, table)

    # full SELECT: flags and totals computed once per row in a correlated subquery
    flag = [sql_identifier(f"rule {j + 1}") for j in range(len(rules.rules))]
    # identifiers are case-insensitive in SQLite and DuckDB: number the totals to keep them distinct
    vote = {k: sql_identifier(f"votes {i + 1}") for i, k in enumerate(with_rules)}
    pad = indent * 5
    flags = f",\n{pad}        ".join(f"CASE WHEN {c} THEN 1 ELSE 0 END AS {flag[j]}" for j, c in enumerate(conds))
    sums = f",\n{pad}".join(f"{' + '.join(f'f.{flag[j]} * {ws[j]}' for j in by_class[k])} AS {vote[k]}"
                            for k in with_rules)
    whens = _vote_whens(rules, with_rules, zero_class, lambda j: f"v.{flag[j]} = 1", lambda k: f"v.{vote[k]}")
    expr = _case(whens, default, indent, indent * 2)
    return (f"SELECT t.*,\n{indent}(SELECT {expr}\n{indent}   FROM (SELECT f.*,\n{pad}{sums}\n"
            f"{indent * 4}FROM (SELECT {flags}) AS f) AS v) AS {sql_identifier(alias)}\n"
            f"FROM {sql_identifier(table)} AS t;\n")
