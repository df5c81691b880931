"""The sampler's continuous marginals: truncated normal draws and truncated Gaussian kernel densities
(:mod:`.sampling`, so every method that samples: TREPAN, ANN-DT, the hyper-cube family, cover, ...).

:class:`KernelDensity` keeps, per (reference sample, column, interval), the CDF of the kernel
mixture's mass over the reference rows, so that repeated draws under one box (TREPAN's forced m-of-n
combinations redraw a few features under the same thresholds again and again) cost a binary search
instead of a pass over the reference rows. The draws are those of ``Generator.choice(m, n, p=...)``.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["KernelDensity", "truncnorm"]

#: reference rows x intervals whose kernel-mixture CDFs are kept (32 MB of float64)
CACHE_CELLS = 4_000_000


def truncnorm(rng, centers: np.ndarray, sigma, a: float, b: float) -> np.ndarray:
    """One draw per centre from N(centre, sigma^2) truncated to [a, b] (inverse CDF)."""
    from scipy.special import ndtr, ndtri
    centers = np.asarray(centers, dtype=np.float64)
    sigma = np.broadcast_to(np.asarray(sigma, dtype=np.float64), centers.shape)
    out = np.clip(centers, a, b)
    if not a < b:
        return out
    pos = sigma > 0
    if not pos.any():
        return out
    c, s = centers[pos], sigma[pos]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        lo, hi = (a - c) / s, (b - c) / s
        # work in the left tail, where the normal CDF keeps its relative precision
        flip = lo > 0
        lo2, hi2 = np.where(flip, -hi, lo), np.where(flip, -lo, hi)
        p_lo, p_hi = ndtr(lo2), ndtr(hi2)
        u = rng.random(len(c))
        z = ndtri(p_lo + u * (p_hi - p_lo))
        tiny = ~(p_hi - p_lo > 0) | ~np.isfinite(z)
        # both ends beyond ~37 sd: the mass sits at the near end (exponential tail)
        z = np.where(tiny, hi2 + np.log(np.maximum(u, 1e-300)) / np.maximum(np.abs(hi2), 1.0), z)
        z = np.clip(z, lo2, hi2)
        z = np.where(flip, -z, z)
    out[pos] = np.clip(c + s * z, a, b)
    return out


class KernelDensity:
    """Gaussian kernels of width ``kernel_width * range / sqrt(m)`` on m reference values."""

    def __init__(self, kernel_width: float, max_cells: int = CACHE_CELLS):
        self.kernel_width = float(kernel_width)
        self.max_cells = int(max_cells)
        self.cache: dict = {}
        self._cells = 0

    def draw(self, rng, ref: np.ndarray, n: int, a: float, b: float, span: float, key=None) -> np.ndarray:
        """n draws from the kernel density of ``ref`` truncated to [a, b]; ``key``: ``(sample,
        column)`` that ``ref`` is a column of, to reuse the mixture for the same interval."""
        slot = None if key is None else (id(key[0]), key[1], a, b)
        hit = None if slot is None else self.cache.get(slot)
        if hit is None or hit[0] is not key[0]:
            hit = (None if key is None else key[0],) + self._mixture(ref, a, b, span)
            if slot is not None and len(ref) <= self.max_cells:
                if self._cells + len(ref) > self.max_cells:
                    self.cache.clear()
                    self._cells = 0
                self.cache[slot] = hit          # keeps the sample alive: its id is not reused meanwhile
                self._cells += len(ref)
        _, sigma, cdf, nearest = hit
        if sigma is None:
            return np.clip(np.full(n, ref[0] if len(ref) else 0.0), a, b)
        if cdf is not None:
            # what Generator.choice(m, n, p=...) does with replacement: the same draws, the same stream
            comp = cdf.searchsorted(rng.random(n), side="right")
        else:   # every kernel is (numerically) outside the interval: use the nearest one
            comp = np.full(n, nearest)
        return truncnorm(rng, ref[comp], sigma, a, b)

    def _mixture(self, ref: np.ndarray, a: float, b: float, span: float):
        """``(sigma, cdf, nearest)``: the kernel width (None: degenerate), and the CDF over ``ref``'s
        rows of each kernel's mass in [a, b] (None when there is none; ``nearest`` is then the closest row)."""
        from scipy.special import ndtr
        m = len(ref)
        rng_ = float(ref.max() - ref.min()) if m else 0.0
        if rng_ <= 0:
            rng_ = span
        sigma = self.kernel_width * rng_ / math.sqrt(max(m, 1))
        if sigma <= 0 or not math.isfinite(sigma):
            return None, None, 0
        w = ndtr((b - ref) / sigma) - ndtr((a - ref) / sigma)
        total = w.sum()
        if total > 1e-12:
            cdf = (w / total).cumsum()
            cdf /= cdf[-1]
            return sigma, cdf, 0
        dist = np.where(ref < a, a - ref, np.where(ref > b, ref - b, 0.0))
        return sigma, None, int(dist.argmin())
