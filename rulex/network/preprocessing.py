"""Read a scikit-learn preprocessing step so that a model trained on it becomes a rulex Network.

A data scientist's model is usually ``Pipeline([("prep", ColumnTransformer(...)), ("mlp", MLP)])``.
Every supported transformer is affine per output column: ``StandardScaler`` computes
``(x - mean) / scale``, ``MinMaxScaler`` ``x * scale + min``, ``passthrough`` ``x``, and
``OneHotEncoder`` (no ``drop``, no infrequent categories) one 0/1 column per category. So the
user's network input ``u`` is an affine function of rulex's own encoding ``e`` (numeric columns
min-max scaled to [0, 1], one-hot groups): ``u = A @ e + c`` with one nonzero per row of ``A``.
Folding it into a COPY of the first layer (``W' = W @ A``, ``b' = b + W @ c``) gives a network on
rulex's encoding that computes the same function, so every extractor sees its usual [0, 1] inputs
and rules decode exactly to the user's units and category names (:mod:`rulex.decoding`). The
network's outputs equal the pipeline's up to floating-point rounding of the folded layer.

This module reads the preprocessing and folds it; :func:`rulex.network.adapter.network_from_model`
builds the Network from it (both are importable from :mod:`rulex.network.pipeline`, as before).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..exceptions import DataError, NetworkError, NotFittedError
from ..schema.encoder import Encoder
from ..schema.features import Feature, Schema, to_native
from .layers import Layer

__all__ = ["read_preprocessor", "fold_first_layer", "split_pipeline", "SUPPORTED"]

SUPPORTED = "StandardScaler, MinMaxScaler, OneHotEncoder or 'passthrough'"


def _columns(ct, cols, names_in) -> list:
    """The column names a fitted ColumnTransformer entry selects."""
    if isinstance(cols, str):
        return [cols]
    if callable(cols):
        raise NetworkError("a ColumnTransformer column selector is a callable; rulex reads fitted selectors only")
    if isinstance(cols, slice):
        return list(np.asarray(names_in)[cols])
    cols = list(cols)
    if cols and all(isinstance(c, (bool, np.bool_)) for c in cols):
        return [n for n, keep in zip(names_in, cols) if keep]
    if cols and all(isinstance(c, (int, np.integer)) for c in cols):
        return [names_in[int(c)] for c in cols]
    return [str(c) for c in cols]


def _steps(preprocessor, names_in) -> list:
    """``[(transformer, [column, ...]), ...]`` in output order (dropped columns left out)."""
    from sklearn.compose import ColumnTransformer
    if isinstance(preprocessor, ColumnTransformer):
        if not hasattr(preprocessor, "transformers_"):
            raise NotFittedError("the ColumnTransformer is not fitted; fit the pipeline first")
        names = list(getattr(preprocessor, "feature_names_in_", names_in))
        out = []
        for _name, trans, cols in preprocessor.transformers_:
            cols = _columns(preprocessor, cols, names)
            if trans == "drop" or not cols:
                continue
            out.append((trans, cols))
        return out
    return [(preprocessor, list(names_in))]


def _is_identity(trans) -> bool:
    """A fitted ColumnTransformer stores 'passthrough' as FunctionTransformer(func=None)."""
    from sklearn.preprocessing import FunctionTransformer
    return isinstance(trans, FunctionTransformer) and trans.func is None


def read_preprocessor(preprocessor, frame: pd.DataFrame, *, target: str | None = None,
                      task: str = "classification", classes=()) -> tuple:
    """Build rulex's schema and encoder for the user's preprocessing, and the affine map to it.

    Parameters
    ----------
    preprocessor : fitted ColumnTransformer, StandardScaler, MinMaxScaler, OneHotEncoder or None
        ``None`` means the model reads the frame's numeric columns as they are.
    frame : pandas.DataFrame
        Training rows in original units (the rulex encoder's min and max are taken from them).
    target, task, classes
        Recorded in the schema.

    Returns
    -------
    encoder : Encoder
        Fitted on ``frame``; its inputs are ordered like the preprocessor's outputs.
    A, c : numpy.ndarray
        ``user_inputs = rulex_inputs @ A.T + c`` for every row.

    Raises
    ------
    NetworkError
        For a transformer or option that is not affine per column (e.g. ``clip=True``, ``drop``).
    """
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"reading a preprocessor needs the training rows as a DataFrame, got {type(frame).__name__}")
    steps = _steps(preprocessor, [str(c) for c in frame.columns]) if preprocessor is not None else \
        [("passthrough", [str(c) for c in frame.columns if c != target])]
    features: list = []
    plan: list = []          # per user output column: (feature, category or None, kind, p, q)
    seen: set = set()
    for trans, cols in steps:
        for k, col in enumerate(cols):
            if col in seen:
                raise NetworkError(f"column {col!r} feeds two transformers; rulex needs one encoding per column")
            if col not in frame.columns:
                raise DataError(f"the preprocessor reads column {col!r}, which is not in the data")
            seen.add(col)
            series = frame[col]
            if isinstance(trans, OneHotEncoder):
                if getattr(trans, "drop_idx_", None) is not None:
                    raise NetworkError(f"OneHotEncoder(drop={trans.drop!r}) on {col!r}: rulex reads one-hot groups "
                                       "without a dropped category; use drop=None")
                if any(v is not None for v in (getattr(trans, "infrequent_categories_", None) or [])):
                    raise NetworkError(f"OneHotEncoder on {col!r} groups infrequent categories; rulex needs one "
                                       "column per category (min_frequency=None, max_categories=None)")
                cats = tuple(to_native(v) for v in trans.categories_[k])
                features.append(Feature(col, "categorical", cats))
                plan.extend((col, cat, "onehot", 0.0, 0.0) for cat in cats)
                continue
            if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
                raise NetworkError(f"column {col!r} ({series.dtype}) reaches the network without a OneHotEncoder; "
                                   "rulex reads numeric columns scaled or passed through, and one-hot groups")
            kind = "integer" if pd.api.types.is_integer_dtype(series) else "numeric"
            features.append(Feature(col, kind))
            if isinstance(trans, StandardScaler):
                off = float(trans.mean_[k]) if trans.with_mean else 0.0
                sc = float(trans.scale_[k]) if trans.with_std else 1.0
                plan.append((col, None, "subdiv", off, sc))
            elif isinstance(trans, MinMaxScaler):
                if trans.clip:
                    raise NetworkError(f"MinMaxScaler(clip=True) on {col!r} is not affine; use clip=False")
                plan.append((col, None, "muladd", float(trans.scale_[k]), float(trans.min_[k])))
            elif (isinstance(trans, str) and trans == "passthrough") or _is_identity(trans):
                plan.append((col, None, "subdiv", 0.0, 1.0))
            else:
                raise NetworkError(f"rulex reads {SUPPORTED} in front of the network, got "
                                   f"{type(trans).__name__ if not isinstance(trans, str) else repr(trans)} on {col!r}")
    schema = Schema(tuple(features), target=target, task=task, classes=tuple(classes))
    encoder = Encoder(schema).fit(frame)
    position = {name: j for j, name in enumerate(encoder.input_names_)}
    A = np.zeros((len(plan), encoder.n_inputs))
    c = np.zeros(len(plan))
    for i, (col, cat, how, p, q) in enumerate(plan):
        if how == "onehot":
            A[i, encoder.groups_[col][schema[col].categories.index(cat)]] = 1.0
            continue
        lo, R = encoder.scale(col)       # x = lo + R * e
        j = position[col]
        if how == "subdiv":              # u = (x - p) / q
            A[i, j], c[i] = R / q, (lo - p) / q
        else:                            # u = x * p + q
            A[i, j], c[i] = R * p, lo * p + q
    return encoder, A, c


def fold_first_layer(layers: list, A: np.ndarray, c: np.ndarray) -> list:
    """A copy of ``layers`` whose first layer reads rulex's inputs ``e`` where it read ``A @ e + c``."""
    first = layers[0]
    if first.n_inputs != A.shape[0]:
        raise NetworkError(f"the network takes {first.n_inputs} inputs but the preprocessor gives {A.shape[0]}; "
                           "was it trained on this preprocessor's output?")
    W = first.weights @ A
    b = first.bias + first.weights @ c
    return [Layer(W, b, first.activation)] + list(layers[1:])


def _frame_and_target(data, target=None):
    if isinstance(data, Dataset):
        return data.frame, data.target
    if isinstance(data, pd.DataFrame):
        return data, target if target in data.columns else None
    raise DataError(f"reading a model with its preprocessing needs the training rows (a Dataset or a DataFrame), "
                    f"got {type(data).__name__}")


def split_pipeline(model) -> tuple:
    """``(preprocessor or None, final model)`` of a ``Pipeline([preprocessor, model])`` (or a bare model)."""
    from sklearn.pipeline import Pipeline
    if not isinstance(model, Pipeline):
        return None, model
    steps = [s for _, s in model.steps if s is not None and not (isinstance(s, str) and s == "passthrough")]
    if not 1 <= len(steps) <= 2:
        raise NetworkError("rulex reads Pipeline([preprocessor, model]) or Pipeline([model]); this pipeline has "
                           f"{len(steps)} steps")
    return (steps[0] if len(steps) == 2 else None), steps[-1]
