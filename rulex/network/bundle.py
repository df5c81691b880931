"""The model bundle file: a zip holding ``meta.json`` and ``weights.npz``; reading it executes no pickled code.

This module writes a bundle and reads one back as plain JSON metadata and arrays; it knows no
:class:`~rulex.network.adapter.Network` (``Network.save`` calls :func:`save_network` here, and
:func:`rulex.network.io.load_network` builds the Network from :func:`read_bundle`).
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from .._version import __version__
from ..exceptions import FormatError

__all__ = ["save_network", "read_bundle", "BUNDLE_FORMAT", "BUNDLE_VERSION", "MAX_BUNDLE_BYTES"]

BUNDLE_FORMAT = "rulex.network"
BUNDLE_VERSION = 1
MAX_BUNDLE_BYTES = 512 * 2 ** 20    # uncompressed; rulex's networks are small (64M float64 weights fit)


def _check_sizes(z: zipfile.ZipFile, source: str) -> None:
    """Refuse a zip whose members would decompress beyond MAX_BUNDLE_BYTES (checked before reading;
    zipfile never inflates a member past its declared size)."""
    total = sum(info.file_size for info in z.infolist())
    if total > MAX_BUNDLE_BYTES:
        raise FormatError(f"{source} would decompress to {total / 2**20:.0f} MiB, over the "
                          f"{MAX_BUNDLE_BYTES // 2**20} MiB a rulex model bundle may hold: not a rulex bundle")


def save_network(network, path) -> str:
    """Write ``network`` (its layers, encoder, task, classes, metadata and fingerprint) to ``path``."""
    path = Path(path)
    arrays = {}
    layers = []
    for i, layer in enumerate(network.layers):
        arrays[f"W{i}"] = layer.weights
        arrays[f"b{i}"] = layer.bias
        layers.append({"activation": layer.activation, "units": layer.n_units, "inputs": layer.n_inputs})
    meta = {"format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "rulex_version": __version__,
            "task": network.task, "classes": list(network.classes), "layers": layers,
            "encoder": network.encoder.to_dict(), "metadata": network.metadata,
            "fingerprint": network.fingerprint()}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("meta.json", json.dumps(meta, indent=1, default=str))
        z.writestr("weights.npz", buf.getvalue())
    return str(path)


def read_bundle(path: Path) -> tuple[dict, dict]:
    """``(meta, arrays)`` of the bundle at ``path``: its ``meta.json`` (format and version checked) and
    its weight arrays by name. A missing, foreign, oversized or unreadable file raises FormatError."""
    if not path.exists():
        raise FormatError(f"model file not found: {str(path)!r}")
    try:
        with zipfile.ZipFile(path) as z:
            _check_sizes(z, repr(str(path)))
            meta = json.loads(z.read("meta.json"))
            inner = io.BytesIO(z.read("weights.npz"))
            with zipfile.ZipFile(inner) as zi:
                _check_sizes(zi, f"{str(path)!r} (weights.npz)")
            inner.seek(0)
            weights = np.load(inner, allow_pickle=False)
            arrays = {k: weights[k] for k in weights.files}
    except FormatError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, RecursionError) as exc:
        raise FormatError(f"{str(path)!r} is not a readable rulex model bundle ({type(exc).__name__}: {exc}); "
                          "re-save it with Network.save or `rulex train`") from None
    if not isinstance(meta, dict) or meta.get("format") != BUNDLE_FORMAT:
        if not isinstance(meta, dict):
            raise FormatError(f"{str(path)!r} is not a rulex model bundle (its meta.json is not an object)")
        raise FormatError(f"{str(path)!r} is not a rulex model bundle (format {meta.get('format')!r})")
    if meta.get("version") != BUNDLE_VERSION:
        raise FormatError(f"{str(path)!r} has bundle version {meta.get('version')!r}; this rulex reads "
                          f"version {BUNDLE_VERSION}")
    return meta, arrays
