"""Model bundles: a zip holding ``meta.json`` and ``weights.npz``; loading executes no pickled code.

The file itself is :mod:`rulex.network.bundle` (written by ``Network.save``); this module turns a
bundle back into a :class:`~rulex.network.adapter.Network`. ``save_network`` and the bundle
constants stay importable from here.
"""
from __future__ import annotations

from pathlib import Path

from ..exceptions import FormatError
from ..schema.encoder import Encoder
from .adapter import Layer, Network
from .bundle import BUNDLE_FORMAT, BUNDLE_VERSION, read_bundle, save_network
from .bundle import MAX_BUNDLE_BYTES as MAX_BUNDLE_BYTES  # re-exported: its old place

__all__ = ["save_network", "load_network", "BUNDLE_FORMAT", "BUNDLE_VERSION"]


def load_network(path):
    """Load a bundle written by :meth:`Network.save`; a corrupted or foreign file raises FormatError.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Network
        With its encoder and metadata (including the training split and seed of ``rulex train``).

    Raises
    ------
    FormatError
        When the file is missing, not a bundle, of another version, or fails its integrity check.
    """
    path = Path(path)
    meta, arrays = read_bundle(path)
    try:
        layers = [Layer(arrays[f"W{i}"], arrays[f"b{i}"], l["activation"]) for i, l in enumerate(meta["layers"])]
        encoder = Encoder.from_dict(meta["encoder"])
        net = Network(layers, encoder, task=meta["task"], classes=tuple(meta["classes"]),
                      metadata=meta.get("metadata"))
    except FormatError:
        raise
    except Exception as exc:
        raise FormatError(f"{str(path)!r} is a damaged rulex model bundle: {exc}") from None
    if meta.get("fingerprint") and net.fingerprint() != meta["fingerprint"]:
        raise FormatError(f"{str(path)!r} fails its integrity check (fingerprint mismatch): the file was "
                          "altered or damaged")
    return net
