"""Feature kinds and the schema of a tabular data set.

A :class:`Schema` names the features, their kinds (numeric, integer, binary,
categorical, ordinal), the categories of the discrete ones, the target and the
task. It is inferred from dtypes and can be overridden column by column. It
carries no statistics fitted on data: those live in :class:`rulex.schema.Encoder`.
"""
from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..exceptions import DataError, Param, RulexWarning, SchemaError, did_you_mean

__all__ = ["Feature", "Schema", "KINDS", "to_native", "sort_values", "numbers_from_text", "as_numbers", "codes_among",
           "text_column_names", "check_column_names", "check_labels", "read_target", "MAX_CLASS_CODES"]

#: A numeric target with more distinct whole numbers than this is read as a regression target (a count or an
#: amount), with fewer as class codes; ``task=`` overrides the inference (see :meth:`Schema.infer`).
MAX_CLASS_CODES = 10

KINDS = ("numeric", "integer", "binary", "categorical", "ordinal")
DISCRETE = ("binary", "categorical", "ordinal")


def to_native(value: Any) -> Any:
    """Turn numpy/pandas scalars into plain Python values (for hashing, JSON and display)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def codes_among(values, categories) -> np.ndarray:
    """Position of each of ``values`` among ``categories`` (-1: none), matched as
    ``pd.Categorical(values, categories=categories).codes`` matches them, without the construction
    pandas deprecates (and will refuse) when a value is no category."""
    return np.asarray(pd.CategoricalDtype(list(categories)).categories.get_indexer_for(values), dtype=np.int64)


def text_column_names(columns, what: str = "frame") -> list[str]:
    """The column names as text (``0`` -> ``"0"``: rulex names columns by text, once, here), after refusing
    repeated names and names that become equal as text (``1`` and ``"1"``) with a :class:`DataError` naming them."""
    names = [str(c) for c in columns]
    seen: dict = {}
    for original, name in zip(columns, names):
        seen.setdefault(name, []).append(original)
    clashes = {n: cols for n, cols in seen.items() if len(cols) > 1}
    if clashes:
        shown = "; ".join(f"{n!r} ({len(cols)} columns)" if len({repr(c) for c in cols}) == 1
                          else f"{' and '.join(repr(c) for c in cols)} (all read as {n!r})"
                          for n, cols in list(clashes.items())[:5])
        raise DataError(f"the {what} has repeated column names: {shown}; rulex names columns by their text, so "
                        "every name must be unique as text: rename them first (e.g. df.columns = [...])")
    return names


def check_column_names(frame: pd.DataFrame, needed, what: str = "frame") -> list:
    """The names of ``needed`` that ``frame`` lacks, after refusing repeated ones (:func:`text_column_names`)
    and columns named by numbers where rulex reads their text (``0`` for ``"0"``: names are text once the
    data are wrapped) with a :class:`DataError` saying how to rename them."""
    if not frame.columns.is_unique or any(not isinstance(c, str) for c in frame.columns):
        counts = Counter(str(c) for c in frame.columns)
        if any(counts[n] > 1 for n in needed):      # a repeated column the rules or network do not read is left
            text_column_names([c for c in frame.columns if counts[str(c)] > 1], what)
    missing = [n for n in needed if n not in frame.columns]
    as_text = [c for c in frame.columns if not isinstance(c, str) and str(c) in missing]
    if as_text:
        raise DataError(f"the {what} names column(s) {as_text[:5]} by number, but rulex names columns by text "
                        f"(read as {[str(c) for c in as_text[:5]]} when the data were wrapped): rename them with "
                        "frame.columns = frame.columns.astype(str)")
    return missing


def sort_values(values: Iterable[Any]) -> tuple:
    """Deterministic order for category values of possibly mixed types."""
    def key(v):
        if isinstance(v, bool):
            return (0, int(v), "")
        if isinstance(v, (int, float)):
            return (1, float(v), "")
        return (2, 0.0, str(v))
    return tuple(sorted({to_native(v) for v in values}, key=key))


@dataclass(frozen=True)
class Feature:
    """One input column.

    Parameters
    ----------
    name : str
        Column name in the user's frame.
    kind : {"numeric", "integer", "binary", "categorical", "ordinal"}
    categories : tuple
        For binary: the two values, the one encoded as 0 first. For categorical:
        the categories in a deterministic order (one network input each). For
        ordinal: the levels from lowest to highest. Empty for numeric/integer.
    """

    name: str
    kind: str
    categories: tuple = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise SchemaError(f"feature {self.name!r}: unknown kind {self.kind!r}; use one of {', '.join(KINDS)}")
        cats = tuple(to_native(c) for c in self.categories)
        object.__setattr__(self, "categories", cats)
        if self.kind in ("numeric", "integer") and cats:
            raise SchemaError(f"feature {self.name!r} is {self.kind} and cannot have categories")
        if self.kind in DISCRETE and not cats:
            raise SchemaError(f"feature {self.name!r} is {self.kind} and needs at least one category")
        if self.kind == "binary" and len(cats) != 2:
            raise SchemaError(
                f"feature {self.name!r} is declared binary but has {len(cats)} value(s) {list(cats)}; "
                "declare it categorical instead")
        if len(set(cats)) != len(cats):
            raise SchemaError(f"feature {self.name!r} lists a category twice: {list(cats)}")

    @property
    def is_discrete(self) -> bool:
        return self.kind in DISCRETE

    def to_dict(self) -> dict:
        d: dict = {"name": self.name, "kind": self.kind}
        if self.categories:
            d["categories"] = list(self.categories)
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> "Feature":
        return cls(d["name"], d["kind"], tuple(d.get("categories", ())))


@dataclass(frozen=True)
class Schema:
    """Features, target and task of a data set.

    Build one with :meth:`Schema.infer` (from a frame's dtypes, with overrides) or
    directly from :class:`Feature` objects.

    Parameters
    ----------
    features : sequence of Feature
    target : str, optional
        The target column's name.
    task : {"classification", "regression"}, default "classification"
    classes : sequence, optional
        Class labels in a fixed order (classification).

    Raises
    ------
    SchemaError
        For an unknown task, repeated feature names, or a target that is also a feature.
    """

    features: tuple
    target: str | None = None
    task: str = "classification"
    classes: tuple = ()
    _index: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        feats = tuple(self.features)
        object.__setattr__(self, "features", feats)
        object.__setattr__(self, "classes", tuple(to_native(c) for c in self.classes))
        if self.task not in ("classification", "regression"):
            raise SchemaError(f"task must be 'classification' or 'regression', got {self.task!r}")
        names = [f.name for f in feats]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise SchemaError(f"feature names must be unique; repeated: {dup}")
        if self.target is not None and self.target in names:
            raise SchemaError(f"the target {self.target!r} cannot also be a feature")
        object.__setattr__(self, "_index", {f.name: f for f in feats})

    # -- access -------------------------------------------------------------------------
    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def __getitem__(self, name: str) -> Feature:
        try:
            return self._index[name]
        except KeyError:
            raise DataError(did_you_mean(name, self._index, "feature")) from None

    def __contains__(self, name) -> bool:
        return name in self._index

    def __iter__(self):
        return iter(self.features)

    def __len__(self) -> int:
        return len(self.features)

    # -- inference ----------------------------------------------------------------------
    @classmethod
    def infer(cls, frame: pd.DataFrame, target: str | None = None, *, task: str | None = None,
              categorical: Sequence[str] = (), ordinal: Mapping[str, Sequence | None] | Sequence[str] | None = None,
              integer: Sequence[str] = (), numeric: Sequence[str] = (), binary: Sequence[str] = (),
              features: Sequence[str] | None = None) -> "Schema":
        """Infer a schema from dtypes; the keyword lists override the inferred kind.

        Rules: bool and two-valued columns are binary; strings, pandas categoricals and
        objects are categorical (ordered pandas categoricals are ordinal); integer
        dtypes are integer; floats are numeric. ``ordinal`` maps columns to their levels
        (lowest first; ``None``: the column's numbers in increasing order) or lists columns of
        numbers. The target decides the task unless ``task`` is given: a numeric target with
        fractions or more than :data:`MAX_CLASS_CODES` (10) distinct whole numbers means
        regression; text, booleans and up to 10 whole numbers classification.
        """
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"expected a pandas DataFrame, got {type(frame).__name__}")
        ordinal = _ordinal_levels(frame, ordinal)
        text_column_names(frame.columns)
        _check_task(task)
        if target is not None and target not in frame.columns:
            raise DataError(f"target column not found: {did_you_mean(target, frame.columns, 'column')}")
        overrides: dict = {}
        for kind, cols in (("categorical", categorical), ("integer", integer), ("numeric", numeric),
                           ("binary", binary), ("ordinal", list(ordinal))):
            for c in cols:
                if c not in frame.columns:
                    raise DataError(Param(kind, [c]), f" names column {c!r}, which is not in the frame; "
                                    + did_you_mean(c, frame.columns, "column"))
                if c in overrides and overrides[c] != kind:
                    raise SchemaError(f"column {c!r} is declared both {overrides[c]} and {kind}")
                overrides[c] = kind
        if features is None:
            features = [c for c in frame.columns if c != target]
        feats = []
        for name in features:
            if name not in frame.columns:
                raise DataError(f"feature {did_you_mean(name, frame.columns, 'column')}")
            feats.append(_infer_feature(frame[name], str(name), overrides.get(name), ordinal.get(name)))
        classes: tuple = ()
        if target is not None:
            task, classes = read_target(frame[target], str(target), task)
        return cls(tuple(feats), target=target, task=task or "classification", classes=classes)

    # -- validation ---------------------------------------------------------------------
    def check_frame(self, frame, *, allow_missing: bool = False, what: str = "frame") -> None:
        """Raise :class:`DataError` unless ``frame`` has every feature with valid values."""
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"expected a pandas DataFrame for the {what}, got {type(frame).__name__}")
        missing = check_column_names(frame, self.feature_names, what)
        if missing:
            hint = ""
            extra = [c for c in frame.columns if c not in self._index and c != self.target]
            if extra:
                hint = " " + did_you_mean(missing[0], extra, "column").split(" Available")[0].replace(
                    f"unknown column {missing[0]!r}", "").strip()
            raise DataError(f"the {what} is missing column(s) {missing} that the schema needs.{hint}".rstrip())
        for f in self.features:
            check_column(frame[f.name], f, allow_missing=allow_missing)

    # -- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"features": [f.to_dict() for f in self.features], "target": self.target,
                "task": self.task, "classes": list(self.classes)}

    @classmethod
    def from_dict(cls, d: Mapping) -> "Schema":
        return cls(tuple(Feature.from_dict(f) for f in d["features"]), target=d.get("target"),
                   task=d.get("task", "classification"), classes=tuple(d.get("classes", ())))


_NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?$")   # "0,822" is a decimal comma, not 822
_CURRENCY = "$€£¥₹"


def _number_from_text(v) -> float | None:
    """A number written as text (``" 42 "``, ``"1.5e3"``, ``"121,300"``, ``"$1,200.50"``, ``"12%"``), or None.

    Spaces, one leading currency symbol and one trailing percent sign are dropped (``"12%"`` reads 12:
    the number as written), commas only as thousands separators (groups of three digits after a first
    group that does not start with 0). A decimal comma (``"0,822"``, ``"12,5"``) reads as no number, so
    the column is refused with the value named, never read as 822 or 125.
    """
    if isinstance(v, bool) or not isinstance(v, str):
        return None
    t = v.strip().replace("\u00a0", "").replace(" ", "")
    if t.endswith("%"):
        t = t[:-1]
    sign = ""
    if t[:1] in "+-" and len(t) > 1 and t[1] in _CURRENCY:
        sign, t = t[0], t[1:]
    if t[:1] and t[0] in _CURRENCY:
        t = t[1:]
    t = sign + t
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
    if not _NUMBER_TEXT.match(t):
        return None
    x = float(t)
    return x if math.isfinite(x) else None


def numbers_from_text(col: pd.Series) -> pd.Series | None:
    """The column as floats when every present value is a number (or a number written as text); else None."""
    if pd.api.types.is_bool_dtype(col):
        return None
    if pd.api.types.is_numeric_dtype(col):
        return col.astype(float)
    present = col.dropna()
    out = pd.Series(np.nan, index=col.index, dtype=float)
    for i, v in present.items():
        x: float | None
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
            x = float(v)
        else:
            x = _number_from_text(v)
        if x is None:
            return None
        out[i] = x
    return out


def as_numbers(col, name: str) -> np.ndarray:
    """float64 values of a numeric feature's column, reading numbers written as text the same way as
    :func:`numbers_from_text`; a value that is no number raises a :class:`DataError` naming the column."""
    col = pd.Series(col)
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    conv = numbers_from_text(col)
    if conv is None:
        bad = next((v for v in col.dropna() if _number_from_text(v) is None
                    and not isinstance(v, (int, float, np.integer, np.floating))),
                   next((v for v in col.dropna() if isinstance(v, (bool, np.bool_))), None))
        raise DataError(f"column {name!r} should hold numbers but holds {bad!r}" + _comma_hint(bad))
    return conv.to_numpy(dtype=np.float64, na_value=np.nan)


def _comma_hint(value) -> str:
    """What to do about a number written with a decimal comma (rulex reads commas only as thousands
    separators, so ``"0,822"`` is no number rather than a wrong one)."""
    if isinstance(value, str) and "," in value and _number_from_text(value.replace(".", "").replace(",", ".")) \
            is not None:
        return (" (a decimal comma? rulex reads a comma only as a thousands separator: convert the column, "
                "e.g. df[col].str.replace('.', '', regex=False).str.replace(',', '.', regex=False))")
    return ""


def _is_dates(col: pd.Series) -> bool:
    """Datetime dtypes, date/time objects, or text that is all ISO dates (``2024-01-31``, with a time or not)."""
    import datetime as _dt
    if pd.api.types.is_datetime64_any_dtype(col) or pd.api.types.is_timedelta64_dtype(col) \
            or isinstance(col.dtype, pd.PeriodDtype):
        return True
    present = col.dropna()
    if present.empty or pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return False
    sample = present.iloc[:200]
    if all(isinstance(v, (_dt.date, _dt.time, _dt.timedelta, pd.Timestamp)) for v in sample):
        return True
    return all(isinstance(v, str) and _ISO_DATE.match(v.strip()) for v in sample)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


def _infer_task(y: pd.Series, name: str) -> str:
    """Regression for a numeric target with fractions or more than :data:`MAX_CLASS_CODES` distinct whole
    numbers (a count such as visits per year is an amount, not 59 classes); classification for text, booleans,
    categoricals and up to that many whole numbers (class codes). Between that and 20 distinct whole numbers
    the reading is announced with a :class:`~rulex.RulexWarning`, since they may be class codes."""
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return "classification"
    values = y.to_numpy(dtype=float)
    if not np.all(np.equal(np.mod(values, 1), 0)):
        return "regression"
    n_distinct = int(y.nunique())
    if n_distinct <= MAX_CLASS_CODES:
        return "classification"
    if n_distinct <= 20:
        warnings.warn(RulexWarning(
            f"target {name!r} holds {n_distinct} distinct whole numbers: read as a regression target (a count or "
            "an amount); if they are class codes, set ", Param("task", "classification")), stacklevel=4)
    return "regression"


def _check_task(task) -> None:
    if task not in (None, "classification", "regression"):
        raise DataError("task must be 'classification', 'regression' or None (inferred), got ", Param("task", task))


def read_target(y: pd.Series, target: str, task: str | None = None) -> tuple:
    """``(task, classes)`` of the target column ``y``: ``task`` as given (or inferred, see :func:`_infer_task`),
    the classes in a fixed order (classification); a missing value, a single class or a regression target
    that is not numeric is a :class:`DataError`."""
    _check_task(task)
    if y.isna().any():
        raise DataError(f"target column {target!r} has {int(y.isna().sum())} missing value(s); drop those rows first")
    if task is None:
        task = _infer_task(y, target)
    if task == "classification":
        classes = sort_values(y.unique())
        if len(classes) < 2:
            raise DataError(f"target column {target!r} has a single class {classes}; a classifier needs at least two")
        return task, classes
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        raise DataError(f"regression target {target!r} must be numeric, got dtype {y.dtype}; set ",
                        Param("task", "classification"))
    return task, ()


def _ordinal_levels(frame: pd.DataFrame, ordinal) -> dict:
    """``ordinal`` as ``{column: levels}``. Given as a mapping, a column's levels are as given, or with
    ``None`` its distinct values in increasing order; given as a list of columns, every one's levels are read
    that way (ratings 1-5). Text has no order to read, so a column of text without its levels is refused."""
    if ordinal is None:
        return {}
    if isinstance(ordinal, str) or not isinstance(ordinal, Iterable):
        raise DataError("ordinal takes {column: [levels, lowest first]} or a list of numeric columns, got ",
                        Param("ordinal", ordinal))
    given = dict(ordinal) if isinstance(ordinal, Mapping) else dict.fromkeys(ordinal)
    out = {}
    for c, levels in given.items():
        if levels is not None:
            out[c] = levels
            continue
        if c not in frame.columns:
            raise DataError(Param("ordinal", [c]), f" names column {c!r}, which is not in the frame; "
                            + did_you_mean(c, frame.columns, "column"))
        values = pd.Series(pd.unique(frame[c].dropna()), dtype=object)
        keys = numbers_from_text(values)
        if keys is None:
            raise DataError(f"ordinal column {c!r} holds text, whose order rulex cannot guess: give its levels "
                            "lowest first, ", Param("ordinal", {c: ["low", "...", "high"]}))
        out[c] = tuple(to_native(values[i]) for i in np.argsort(keys.to_numpy(), kind="stable"))
    return out


def _infer_feature(col: pd.Series, name: str, kind: str | None, levels) -> Feature:
    if _is_dates(col) and kind not in ("categorical", "ordinal", "binary"):
        raise DataError(f"column {name!r} holds dates or times ({col.dropna().iloc[0]!r}); rules compare numbers or "
                        f"categories: convert it first, e.g. to days since a reference date "
                        f"(df[{name!r}] = (pd.to_datetime(df[{name!r}]) - pd.Timestamp('2000-01-01')).dt.days), "
                        "or pass ", Param("categorical", [name]), " to treat each value as a category")
    values = col.dropna()
    uniq = sort_values(values.unique())
    if kind is None:
        if isinstance(col.dtype, pd.CategoricalDtype) and col.dtype.ordered:
            kind, levels = "ordinal", list(col.dtype.categories)
        elif pd.api.types.is_bool_dtype(col):
            if len(uniq) < 2:
                raise DataError(f"column {name!r} holds the same value {uniq[0] if uniq else None!r} in every row: "
                                "it cannot inform a model; drop it, or declare it ", Param("categorical", [name]),
                                " to keep it")
            kind = "binary"
        elif pd.api.types.is_numeric_dtype(col):
            if len(uniq) == 2 and set(uniq) <= {0, 1}:
                kind = "binary"
            elif pd.api.types.is_integer_dtype(col):
                kind = "integer"
            else:
                kind = "numeric"
        else:
            _check_mostly_numeric(values, name)
            kind = "binary" if len(uniq) == 2 else "categorical"
    if kind in ("numeric", "integer"):
        check_column(col, Feature(name, kind), allow_missing=True)
        return Feature(name, kind)
    if kind == "binary":
        if len(uniq) != 2:
            raise SchemaError(f"column {name!r} is declared binary but holds {len(uniq)} distinct value(s) "
                              f"{list(uniq)[:5]}; declare it ", Param("categorical", [name]))
        return Feature(name, "binary", uniq)
    if kind == "ordinal":
        levels = tuple(to_native(v) for v in levels)
        unknown = [v for v in uniq if v not in levels]
        if unknown:
            raise SchemaError(f"ordinal column {name!r} holds {unknown[:5]} which are not among its levels "
                              f"{list(levels)}; add them to ", Param("ordinal", {name: [*levels, *unknown[:5]]}))
        return Feature(name, "ordinal", levels)
    return Feature(name, "categorical", uniq)


def _check_mostly_numeric(values: pd.Series, name: str) -> None:
    """A text column whose values are nearly all numbers is a numeric column with typos."""
    if len(values) < 5:
        return
    ok = np.array([_number_from_text(v) is not None or (isinstance(v, (int, float)) and not isinstance(v, bool))
                   for v in values])
    comma = np.array([not k and _comma_hint(v) != "" for k, v in zip(ok, values)])
    if (ok | comma).mean() >= 0.9 and comma.any():
        i = int(np.flatnonzero(comma)[0])
        raise DataError(f"column {name!r} holds numbers written with a decimal comma (row {values.index[i]!r}: "
                        f"{values.iloc[i]!r}){_comma_hint(values.iloc[i])}; or pass ",
                        Param("categorical", [name]), " if it really is categorical")
    if ok.mean() >= 0.9 and not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise DataError(f"column {name!r} looks numeric but row {values.index[i]!r} holds {values.iloc[i]!r}"
                        f"{_comma_hint(values.iloc[i])}; "
                        "clean the column, or pass ", Param("categorical", [name]), " if it really is categorical")


def check_column(col: pd.Series, feature: Feature, *, allow_missing: bool = False) -> None:
    """Validate one column against its feature; raise a :class:`DataError` that names it."""
    name = feature.name
    isna = col.isna().to_numpy()
    if isna.any() and not allow_missing:
        first = col.index[np.flatnonzero(isna)[0]]
        raise DataError(f"column {name!r} has {int(isna.sum())} missing value(s) (first at row {first!r}); "
                        "the network needs complete rows: drop or fill them, or train with ",
                        Param("missing", "impute", call="train_network"),
                        " so that the network learns what a missing value means")
    if feature.kind in ("numeric", "integer"):
        if pd.api.types.is_bool_dtype(col):
            raise DataError(f"column {name!r} should be {feature.kind} but holds booleans; "
                            "declare it binary")
        if not pd.api.types.is_numeric_dtype(col):
            conv = pd.Series([v if isinstance(v, (int, float, np.integer, np.floating)) else _number_from_text(v)
                              for v in col], index=col.index, dtype=float)
            bad = conv.isna().to_numpy() & ~isna
            if bad.any():
                i = np.flatnonzero(bad)[0]
                raise DataError(f"column {name!r} should be {feature.kind} but row {col.index[i]!r} holds "
                                f"{col.iloc[i]!r}{_comma_hint(col.iloc[i])}; clean the column or declare it ",
                                Param("categorical", [name]))
            col = conv
        values = col.to_numpy(dtype=float, na_value=np.nan)
        inf = np.isinf(values)
        if inf.any():
            raise DataError(f"column {name!r} holds an infinite value at row {col.index[np.flatnonzero(inf)[0]]!r}")
        if feature.kind == "integer":
            frac = ~np.isnan(values) & (np.mod(values, 1) != 0)
            if frac.any():
                i = np.flatnonzero(frac)[0]
                raise DataError(f"column {name!r} is integer but row {col.index[i]!r} holds {values[i]!r}; "
                                "declare it ", Param("numeric", [name]), " if fractions are allowed")
        return
    known = list(feature.categories)
    ok = col.isin(known).to_numpy() | isna
    if not ok.all():
        i = np.flatnonzero(~ok)[0]
        value = col.iloc[i]
        shown = ", ".join(repr(c) for c in known[:10]) + (", ..." if len(known) > 10 else "")
        raise DataError(f"column {name!r} holds {to_native(value)!r} (row {col.index[i]!r}), a value not seen in "
                        f"training (known: {shown}); map it to a known value or retrain with it")


def check_labels(y, task: str, classes, *, target, what: str = "data set", owner: str = "network") -> None:
    """Raise a :class:`DataError` unless the target values ``y`` are among ``classes`` (classification) or
    numbers (regression): the one check of labels before any score is computed (:func:`rulex.evaluate`,
    :func:`rulex.accuracy`, :func:`rulex.fidelity`, the :class:`Network`'s checks).

    ``target=None``: ``what`` names the values (e.g. ``"y_true"``).
    Labels are compared by value: ``"YES"`` is not ``"yes"`` and ``1`` is not ``"1"``; scoring such a target
    would report accuracy 0 without a word, so it is refused with the closest class named.
    """
    y = pd.Series(y)
    subject = f"the {what}'s target {target!r}" if target is not None else what
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
            raise DataError(f"{subject} is not numeric (dtype {y.dtype}) but the {owner} is a "
                            "regression model")
        return
    if y.isna().any():
        raise DataError(f"{subject} has {int(y.isna().sum())} missing value(s); drop those rows")
    known = set(classes)
    unknown = [to_native(v) for v in pd.unique(y) if to_native(v) not in known]
    if unknown:
        def near(v):
            for c in classes:
                if str(c).strip().lower() == str(v).strip().lower():
                    return f" ({v!r} looks like the class {c!r})"
            return ""
        shown = ", ".join(f"{v!r}{near(v)}" for v in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        raise DataError(f"{subject} holds {shown}, not among the {owner}'s classes "
                        f"{list(classes)}; map the labels to those classes (same spelling and type)")


def is_integral(x: float) -> bool:
    return math.isfinite(x) and float(x).is_integer()
