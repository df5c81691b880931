"""A model trained on the user's scikit-learn preprocessing, read as a rulex Network: the public names.

How the preprocessing is read and folded into the first layer is :mod:`rulex.network.preprocessing`;
the Network is built by :func:`rulex.network.adapter.network_from_model` (``Network.from_sklearn``
of a Pipeline and ``from_torch``/``from_skorch`` with a ``preprocessor`` call it). This module keeps
every name it always offered importable from here; it defines nothing of its own.
"""
from __future__ import annotations

from .adapter import network_from_model, network_from_pipeline
from .layers import sklearn_layers
from .preprocessing import SUPPORTED as SUPPORTED  # re-exported: its old place
from .preprocessing import fold_first_layer, read_preprocessor, split_pipeline

__all__ = ["read_preprocessor", "fold_first_layer", "sklearn_layers", "split_pipeline", "network_from_model",
           "network_from_pipeline"]
