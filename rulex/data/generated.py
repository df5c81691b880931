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

__all__ = ["make_xor", "make_monk", "make_dnf", "MONK_CONCEPTS"]

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


def make_dnf(n_terms: int = 8, n_literals: int = 3, n_categorical: int = 10, n_levels: int = 3,
             n_numeric: int = 0, n_samples: int = 3000, random_state: int = 0):
    """A random k-term DNF concept with known terms, over categorical and numeric inputs.

    Categorical inputs ``c0..`` take ``n_levels`` values ``"v0", "v1", ...`` uniformly; numeric
    inputs ``x0..`` are uniform on [0, 1]. Each term is a conjunction of ``n_literals`` tests on
    distinct inputs: ``c == v`` or ``x <= t`` / ``x > t`` (``t`` in [0.25, 0.75], 3 decimals).
    The label ``y`` is 1 where some term holds.

    Returns
    -------
    dataset : Dataset
    terms : list of list of (feature, op, value)
        The concept, one list of literals per term.

    Raises
    ------
    DataError
        When a term cannot have ``n_literals`` distinct inputs or a size is not positive.
    """
    n_inputs = n_categorical + n_numeric
    if n_terms < 1 or n_literals < 1 or n_samples < 2 or n_levels < 2:
        raise DataError("make_dnf needs n_terms, n_literals >= 1, n_levels >= 2 and n_samples >= 2")
    if n_literals > n_inputs:
        raise DataError(f"make_dnf: a term of {n_literals} literals needs that many inputs, got {n_inputs}")
    rng = np.random.default_rng(random_state)
    cats = [f"c{i}" for i in range(n_categorical)]
    nums = [f"x{i}" for i in range(n_numeric)]
    levels = tuple(f"v{i}" for i in range(n_levels))
    data = {c: np.array(levels, dtype=object)[rng.integers(0, n_levels, n_samples)] for c in cats}
    data.update({x: np.round(rng.random(n_samples), 6) for x in nums})
    frame = pd.DataFrame(data)
    terms: list = []
    seen: set = set()
    y = np.zeros(n_samples, dtype=bool)
    while len(terms) < n_terms:
        feats = sorted(rng.choice(n_inputs, size=n_literals, replace=False).tolist())
        term: list = []
        for i in feats:
            if i < n_categorical:
                term.append((cats[i], "==", levels[int(rng.integers(0, n_levels))]))
            else:
                term.append((nums[i - n_categorical], "<=" if rng.random() < 0.5 else ">",
                             float(np.round(rng.uniform(0.25, 0.75), 3))))
        key = tuple(term)
        if key in seen:
            continue
        seen.add(key)
        terms.append(term)
        hold = np.ones(n_samples, dtype=bool)
        for f, op, v in term:
            col = frame[f].to_numpy()
            hold &= (col == v) if op == "==" else ((col <= v) if op == "<=" else (col > v))
        y |= hold
    frame["y"] = y.astype(np.int64)
    features = tuple(Feature(c, "categorical", levels) for c in cats) + tuple(Feature(x, "numeric") for x in nums)
    schema = Schema(features, target="y", classes=(0, 1))
    text = " or ".join("(" + " and ".join(f"{f} {op} {v}" for f, op, v in t) + ")" for t in terms)
    return Dataset(frame, "y", schema, name=f"dnf{n_terms}x{n_literals}", description=text, _checked=True), terms
