"""The small mixed-type frame behind the shared ``mixed_*`` fixtures (tests/conftest.py), for tests
that need one with another size or seed."""
from __future__ import annotations

import numpy as np
import pandas as pd


# Categories with a space, a double quote, a single quote and a non-ASCII character:
# the renderers, exporters and decoders must keep them verbatim.
MIXED_JOBS = ("clerk", "data scientist", 'say "hi"', "ingénieur", "o'neil")
MIXED_SIZES = ("small", "medium", "large")


def make_mixed_frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    """A small frame with one column of every feature kind and a 3-class string target.

    Columns: ``income`` (float, numeric), ``age`` (int64, integer), ``sex`` (two strings,
    binary), ``job`` (five strings, categorical), ``size`` (ordered pandas Categorical,
    ordinal) and ``label`` (target, classes "a", "b", "c").
    """
    rng = np.random.default_rng(seed)
    income = np.round(rng.normal(50_000.0, 15_000.0, n), 2)
    age = rng.integers(18, 80, n).astype(np.int64)
    age[:2] = (18, 79)                       # pin the range so min/max are known
    sex = rng.choice(["female", "male"], n)
    job = np.array([MIXED_JOBS[i % len(MIXED_JOBS)] for i in range(n)], dtype=object)
    rng.shuffle(job)
    size = pd.Categorical([MIXED_SIZES[i % 3] for i in rng.permutation(n)], categories=list(MIXED_SIZES),
                          ordered=True)
    label = np.where(age >= 60, "a", np.where(income > 50_000.0, "b", "c"))
    label[:3] = ("a", "b", "c")               # every class present, whatever the seed
    return pd.DataFrame({"income": income, "age": age, "sex": sex, "job": job, "size": size,
                         "label": label})
