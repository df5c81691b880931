"""Dataset: a frame, the name of its target column and its schema."""
from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..exceptions import DataError, Param, RulexWarning, did_you_mean
from ..schema.features import Schema, numbers_from_text, read_target, text_column_names

__all__ = ["Dataset", "check_random_state"]

MAX_SEED = 2 ** 32 - 1


def check_random_state(value, name: str = "random_state", *, allow_none: bool = True) -> None:
    """Refuse a seed that is not a whole number from 0 to 2**32 - 1 (what NumPy and scikit-learn take) with a
    :class:`DataError` naming the parameter; large seeds are refused, not reduced, so that a seed means one run."""
    if value is None and allow_none:
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or not 0 <= value <= MAX_SEED:
        raise DataError(Param(name, value), f" is not a seed: give a whole number from 0 to 2**32 - 1 ({MAX_SEED})"
                        + (" or None" if allow_none else ""))


class Dataset:
    """A table with a target column and a :class:`~rulex.schema.Schema`.

    Build one with :meth:`from_frame` or :meth:`from_csv`, or load a bundled or
    generated set with :func:`rulex.load_dataset`. The frame given is copied: rulex
    never modifies the user's data.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows: the schema's features and the target column.
    target : str
        The target column.
    schema : Schema
    name : str, optional
    description : str, default ""
    predefined_split : tuple, optional
        The data set's own train/test split (MONK's problems), used by :meth:`split`.

    Raises
    ------
    DataError
        When the target column is missing or the frame does not fit the schema.
    """

    def __init__(self, frame: pd.DataFrame, target: str, schema: Schema, *, name: str | None = None,
                 description: str = "", predefined_split: tuple | None = None, _checked: bool = False):
        if not _checked:
            if target not in frame.columns:
                raise DataError("target column not found: " + did_you_mean(target, frame.columns, "column"))
            schema.check_frame(frame, allow_missing=True)    # the network decides what a missing value means
        self.frame = frame
        self.target = target
        self.schema = schema
        self.name = name
        self.description = description
        self._predefined = predefined_split

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, target: str, *, task: str | None = None,
                   categorical: Sequence[str] = (), ordinal: Mapping[str, Sequence | None] | Sequence[str] | None = None,
                   integer: Sequence[str] = (), numeric: Sequence[str] = (), binary: Sequence[str] = (),
                   features: Sequence[str] | None = None, name: str | None = None,
                   description: str = "") -> "Dataset":
        """Wrap a frame: kinds are inferred from dtypes, the keyword lists override them.

        Parameters
        ----------
        frame : pandas.DataFrame
            Copied; column names are read as text once, here (``0`` becomes ``"0"``; two names equal as
            text, such as ``1`` and ``"1"``, are refused).
        target : str
            The target column.
        task : {"classification", "regression"}, optional
            Default: inferred from the target (see :meth:`Schema.infer`): a numeric target with fractions
            or more than ``MAX_CLASS_CODES`` (10) distinct whole numbers is a regression target, text,
            booleans and up to 10 whole numbers are classes.
        categorical, integer, numeric, binary : list of str
            Columns of that kind whatever their dtype.
        ordinal : dict or list of str
            ``{column: [levels, lowest first]}``, or a list of numeric columns whose distinct values, in
            increasing order, are the levels (ratings 1-5: thresholds fall on the levels, never between).
        features : list of str, optional
            The feature columns (default: every column but the target).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"age": [30, 60], "job": ["a", "b"], "ok": ["no", "yes"]})
        >>> Dataset.from_frame(df, target="ok").schema.feature_names
        ['age', 'job']
        """
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"from_frame takes a pandas DataFrame, got {type(frame).__name__}")
        names = text_column_names(frame.columns)    # column names are read as text (0, 1 -> "0", "1")
        if target is None or str(target) not in names:
            raise DataError("target column not found: " + did_you_mean(str(target), names, "column"))
        frame = frame.copy()
        frame.columns = names
        target = str(target)
        categorical, integer, numeric, binary = (_names(kind, cols) for kind, cols in (
            ("categorical", categorical), ("integer", integer), ("numeric", numeric), ("binary", binary)))
        if isinstance(ordinal, Mapping):
            ordinal = {str(k): v for k, v in ordinal.items()}
        elif ordinal is not None:
            ordinal = _names("ordinal", ordinal)
        features = None if features is None else [str(c) for c in features]
        if len(frame) == 0:
            raise DataError("the frame has no rows")
        if len(frame) < 2:
            raise DataError(f"the frame has {len(frame)} row; rulex needs at least two rows to learn from")
        if features is None and len(frame.columns) < 2:
            raise DataError(f"the frame has no feature columns, only the target {target!r}: add the columns the "
                            "model should decide from")
        _parse_text_numbers(frame, target, (*categorical, *(ordinal or {}), *binary, *integer, *numeric), features)
        schema = Schema.infer(frame, target, task=task, categorical=categorical, ordinal=ordinal,
                              integer=integer, numeric=numeric, binary=binary, features=features)
        cols = schema.feature_names + [target]
        frame = frame[cols].reset_index(drop=True)
        return cls(frame, target, schema, name=name, description=description)

    @classmethod
    def from_csv(cls, path, target: str, **kwargs) -> "Dataset":
        """Read a CSV (``sep`` and other ``read_csv`` options via ``read_csv={...}``)."""
        read_opts = kwargs.pop("read_csv", {})
        path = Path(path)
        if not path.exists():
            raise DataError(f"CSV file not found: {str(path)!r}")
        try:
            frame = pd.read_csv(path, **read_opts)
        except Exception as exc:  # pandas raises many types here
            raise DataError(f"could not read {str(path)!r} as CSV: {exc}") from None
        kwargs.setdefault("name", path.stem)
        return cls.from_frame(frame, target, **kwargs)

    # -- access ---------------------------------------------------------------------------
    @property
    def X(self) -> pd.DataFrame:
        """The feature columns (a view; do not modify)."""
        return self.frame[self.schema.feature_names]

    @property
    def y(self) -> pd.Series:
        return self.frame[self.target]

    @property
    def task(self) -> str:
        return self.schema.task

    @property
    def classes(self) -> tuple:
        return self.schema.classes

    def __len__(self) -> int:
        return len(self.frame)

    def with_task(self, task: str | None) -> "Dataset":
        """The same rows and features with the target read as ``task`` (``"classification"`` or
        ``"regression"``); ``None`` or the current task returns this data set."""
        if task is None or task == self.task:
            return self
        task, classes = read_target(self.y, self.target, task)
        schema = Schema(self.schema.features, target=self.target, task=task, classes=classes)
        return Dataset(self.frame, self.target, schema, name=self.name, description=self.description,
                       predefined_split=self._predefined, _checked=True)

    def __repr__(self) -> str:
        return (f"Dataset({self.name or 'unnamed'}: {len(self)} rows, {len(self.schema)} features, "
                f"target={self.target!r}, task={self.task})")

    def fingerprint(self) -> str:
        """SHA-256 of the rows and columns (stable across runs and platforms)."""
        h = hashlib.sha256()
        h.update("\x1f".join(self.frame.columns).encode())
        h.update(pd.util.hash_pandas_object(self.frame, index=False).to_numpy().tobytes())
        return h.hexdigest()[:16]

    def subset(self, rows, name_suffix: str = "") -> "Dataset":
        frame = self.frame.iloc[rows].reset_index(drop=True) if not isinstance(rows, pd.DataFrame) else rows
        return Dataset(frame, self.target, self.schema, name=(self.name or "data") + name_suffix,
                       description=self.description, _checked=True)

    # -- splitting --------------------------------------------------------------------------
    def split(self, test_size: float | None = None, random_state: int | None = 0) -> tuple["Dataset", "Dataset"]:
        """Train/test split, stratified for classification.

        With ``test_size=None`` a data set that has a predefined split (MONK's problems: the
        original training-set size, test = the whole space) uses it; others use 0.3.
        """
        if test_size is None and self._predefined is not None:
            train, test = self._predefined
            return (Dataset(train, self.target, self.schema, name=f"{self.name}-train", _checked=True),
                    Dataset(test, self.target, self.schema, name=f"{self.name}-test", _checked=True))
        if test_size is None:
            test_size = 0.3
        check_random_state(random_state)
        if not (0 < float(test_size) < 1):
            raise DataError(f"test_size must be between 0 and 1 (exclusive), got {test_size!r}")
        from sklearn.model_selection import train_test_split
        idx = np.arange(len(self))
        strat = None
        if self.task == "classification":
            counts = self.y.value_counts()
            if counts.min() >= 2:
                strat = self.y.to_numpy()
        try:
            tr, te = train_test_split(idx, test_size=test_size, random_state=random_state, stratify=strat)
        except ValueError as exc:
            raise DataError(f"cannot split {self!r} with test_size={test_size}: {exc}") from None
        tr, te = np.sort(tr), np.sort(te)
        return self.subset(tr, "-train"), self.subset(te, "-test")


def _names(kind: str, columns) -> list[str]:
    """A keyword list of columns as text; a single string or a non-list is refused naming the parameter."""
    if isinstance(columns, str) or not isinstance(columns, (Sequence, set, frozenset, np.ndarray, pd.Index)):
        raise DataError(f"{kind} takes a list of column names, got {type(columns).__name__}; write ",
                        Param(kind, [columns] if isinstance(columns, str) else ["..."]))
    return [str(c) for c in columns]


def _parse_text_numbers(frame: pd.DataFrame, target: str, declared, features) -> None:
    """Columns of text whose every value is a number written as text become numbers (in place, on the
    caller's copy), with one :class:`~rulex.RulexWarning` naming them; integral ones become integers."""
    parsed = []
    for c in (features if features is not None else frame.columns):
        if c == target or c in declared or c not in frame.columns:
            continue
        col = frame[c]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col) or col.dropna().empty \
                or isinstance(col.dtype, pd.CategoricalDtype):
            continue
        conv = numbers_from_text(col)
        if conv is None:
            continue
        present = conv.dropna()
        integral = bool((present == present.round()).all()) and present.abs().max() < 2 ** 53
        frame[c] = conv.astype(np.int64) if integral and not conv.isna().any() else conv
        parsed.append(f"{c!r} (e.g. {col.dropna().iloc[0]!r} -> {present.iloc[0]:g})")
    if parsed:
        warnings.warn(RulexWarning("numbers written as text were read as numbers in column(s) " + ", ".join(parsed)
                      + " (spaces, currency symbols, thousands separators and percent signs dropped); pass ",
                      Param("categorical", ["..."]), " to keep a column as text categories"), stacklevel=3)

