"""Helpers shared by the explanation modules: input checks and the value grid of one feature."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..exceptions import DataError, NetworkError
from ..network.adapter import Network
from ..rules.render import format_value
from ..schema.features import to_native

CONTINUOUS = ("numeric", "integer")


def dataset_frame(dataset, schema, allow_missing: bool = False) -> pd.DataFrame:
    """The feature columns of a Dataset or a frame."""
    if isinstance(dataset, Dataset):
        frame = dataset.frame
    elif isinstance(dataset, pd.DataFrame):
        frame = dataset
    else:
        raise DataError(f"expected a rulex Dataset or a pandas DataFrame, got {type(dataset).__name__}")
    schema.check_frame(frame, allow_missing=allow_missing)
    return frame[schema.feature_names].reset_index(drop=True)


def check_classifier(net, what: str):
    if not isinstance(net, Network):
        raise NetworkError(f"{what} takes a rulex Network, got {type(net).__name__}")
    if net.task != "classification":
        raise NetworkError(f"{what} is defined for classification networks; this one is a regression network")


def feature_value_label(f, value) -> str:
    return f"{f.name} = {format_value(to_native(value))}"


def value_grid(encoder, f, n_grid: int) -> np.ndarray:
    """Values in original units that a numeric or integer feature is tried at: every integer of
    the training range when there are at most ``n_grid``, else ``n_grid`` evenly spaced values
    (rounded and deduplicated for integers). Shared by the flip search and the influence."""
    lo, hi = encoder.lower_[f.name], encoder.upper_[f.name]
    if f.kind == "integer":
        k_lo, k_hi = math.ceil(lo), math.floor(hi)
        if k_hi - k_lo + 1 <= n_grid:
            return np.arange(k_lo, k_hi + 1, dtype=np.float64)
        return np.unique(np.round(np.linspace(lo, hi, n_grid)))
    return np.linspace(lo, hi, n_grid)
