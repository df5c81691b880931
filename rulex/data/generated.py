"""Data sets generated from their definitions: XOR parity and MONK's problems 1-3.

MONK's problems (Thrun et al., 1991) live on six discrete attributes, 432 points in
all. The originals are evaluated on the whole space after training on a random
sample: 124 rows (MONK-1), 169 (MONK-2), 122 (MONK-3, with 5 % of the training
labels flipped). We draw those samples from the space under ``random_state``.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ..schema.features import Feature, Schema
from .dataset import Dataset

__all__ = ["make_xor", "make_monk", "MONK_CONCEPTS"]

MONK_VALUES = {"a1": (1, 2, 3), "a2": (1, 2, 3), "a3": (1, 2), "a4": (1, 2, 3), "a5": (1, 2, 3, 4), "a6": (1, 2)}
MONK_TRAIN_SIZE = {1: 124, 2: 169, 3: 122}


def _monk1(f):
    return (f.a1 == f.a2) | (f.a5 == 1)


def _monk2(f):
    return sum((f[a] == 1).astype(int) for a in MONK_VALUES) == 2


def _monk3(f):
    return ((f.a5 == 3) & (f.a4 == 1)) | ((f.a5 != 4) & (f.a2 != 3))


MONK_CONCEPTS = {1: _monk1, 2: _monk2, 3: _monk3}
MONK_TEXT = {1: "(a1 == a2) or (a5 == 1)", 2: "exactly two of a1..a6 take their first value",
             3: "(a5 == 3 and a4 == 1) or (a5 != 4 and a2 != 3); 5 % training-label noise"}


def make_monk(problem: int, random_state: int = 0, noise: float | None = None) -> Dataset:
    """MONK's problem 1, 2 or 3: the whole 432-point space with a predefined training sample."""
    if problem not in MONK_CONCEPTS:
        raise DataError(f"MONK's problem must be 1, 2 or 3, got {problem!r}")
    rows = list(itertools.product(*MONK_VALUES.values()))
    frame = pd.DataFrame(rows, columns=list(MONK_VALUES))
    frame["y"] = MONK_CONCEPTS[problem](frame).astype(np.int64)
    feats = tuple(Feature(a, "binary" if len(v) == 2 else "categorical", v) for a, v in MONK_VALUES.items())
    schema = Schema(feats, target="y", task="classification", classes=(0, 1))
    rng = np.random.default_rng(random_state)
    n_train = MONK_TRAIN_SIZE[problem]
    idx = np.sort(rng.choice(len(frame), size=n_train, replace=False))
    train = frame.iloc[idx].reset_index(drop=True)
    noise = (0.05 if problem == 3 else 0.0) if noise is None else float(noise)
    if noise > 0:
        flip = rng.choice(n_train, size=int(round(noise * n_train)), replace=False)
        y = train["y"].to_numpy().copy()
        y[flip] = 1 - y[flip]
        train["y"] = y
    return Dataset(frame, "y", schema, name=f"monk{problem}",
                   description=f"MONK-{problem}: {MONK_TEXT[problem]} (432 points, train {n_train})",
                   predefined_split=(train, frame.copy()), _checked=True)


def make_xor(n_bits: int = 8, n_relevant: int = 2, noise: float = 0.0, n_samples: int | None = None,
             random_state: int = 0) -> Dataset:
    """Parity of the first ``n_relevant`` of ``n_bits`` binary inputs.

    Up to 14 bits the whole space is enumerated (``n_samples=None``); otherwise
    ``n_samples`` points are drawn. ``noise`` flips that share of labels.
    """
    if not 1 <= n_relevant <= n_bits:
        raise DataError(f"xor needs 1 <= n_relevant <= n_bits, got n_relevant={n_relevant}, n_bits={n_bits}")
    if not 0 <= noise < 0.5:
        raise DataError(f"xor noise must be in [0, 0.5), got {noise}")
    rng = np.random.default_rng(random_state)
    if n_samples is None:
        if n_bits > 14:
            raise DataError(f"xor with {n_bits} bits is too large to enumerate; pass n_samples")
        X = np.array(list(itertools.product((0, 1), repeat=n_bits)), dtype=np.int64)
    else:
        X = rng.integers(0, 2, size=(int(n_samples), n_bits))
    y = X[:, :n_relevant].sum(axis=1) % 2
    if noise > 0:
        flip = rng.random(len(y)) < noise
        y = np.where(flip, 1 - y, y)
    cols = [f"x{i}" for i in range(n_bits)]
    frame = pd.DataFrame(X, columns=cols)
    frame["y"] = y.astype(np.int64)
    schema = Schema(tuple(Feature(c, "binary", (0, 1)) for c in cols), target="y", classes=(0, 1))
    return Dataset(frame, "y", schema, name="xor",
                   description=f"parity of x0..x{n_relevant - 1} among {n_bits} bits", _checked=True)
