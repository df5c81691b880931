"""Bit-packed row masks: packing and set-bit counts (``np.bitwise_count`` where numpy has it).

Used by checklist, TREPAN (the m-of-n search) and N-of-M (the stage bound).
"""
from __future__ import annotations

import numpy as np

__all__ = ["count_bits", "pack", "popcount"]

_BYTE_BITS = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def pack(B: np.ndarray) -> np.ndarray:
    """Rows of a boolean matrix (or one boolean vector) as bits in uint64 words (zero-padded)."""
    B = np.atleast_2d(B)
    bytes_ = np.packbits(B, axis=1, bitorder="little")
    width = bytes_.shape[1]
    if width % 8 or not bytes_.flags.c_contiguous:
        out = np.zeros((len(bytes_), -(-width // 8) * 8), dtype=np.uint8)     # np.pad's cost was its setup
        out[:, :width] = bytes_
        bytes_ = out
    return bytes_.view(np.uint64)


def popcount(A: np.ndarray) -> np.ndarray:
    """Set bits per element of a uint64 array (``np.bitwise_count`` where numpy has it, numpy < 2)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(A)
    return _BYTE_BITS[A.view(np.uint8)].reshape(A.shape + (8,)).sum(axis=-1)    # pragma: no cover


def count_bits(A: np.ndarray, axis=-1) -> np.ndarray:
    """Set bits of an unsigned-integer array of any width, summed over ``axis`` (-1: per row of a
    matrix; None: in all), as int64."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(A).sum(axis=axis, dtype=np.int64)
    return _BYTE_BITS[np.ascontiguousarray(A).view(np.uint8)].sum(axis=axis, dtype=np.int64)   # pragma: no cover
