"""Shared pytest fixtures for the rulex suite.

Data fixtures (torch-free) come first; keep their names specific so later fixtures
(networks, extractors) can be appended without clashes. Plain helpers shared by several
test modules live in ``tests/_helpers/`` (test modules never import each other).
"""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

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


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    """Fresh mixed-type frame (numeric, integer, binary, categorical, ordinal + target ``label``)."""
    return make_mixed_frame()


@pytest.fixture
def mixed_dataset(mixed_frame):
    """``rulex.Dataset`` built from :func:`mixed_frame` with inferred kinds."""
    import rulex
    return rulex.Dataset.from_frame(mixed_frame, target="label")


@pytest.fixture
def mixed_encoder(mixed_dataset):
    """``rulex.Encoder`` fitted on the rows of :func:`mixed_dataset`."""
    import rulex
    return rulex.Encoder(mixed_dataset.schema).fit(mixed_dataset.X)


# -- export engines -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pmml_scorer():
    """pypmml, started once per module: ``score(rules, frame)`` -> predictions."""
    import rulex
    from _helpers.engines import unavailable
    from _helpers.exports import _native, _records
    pypmml = pytest.importorskip("pypmml")
    if shutil.which("java") is None:
        unavailable("pypmml needs a java runtime on PATH")

    def score(rules, frame, by_row=True):
        model = pypmml.Model.fromString(rulex.export(rules, "pmml"))
        target = rules.target or "prediction"
        if by_row:
            # pypmml's DataFrame path turns a missing boolean into false; its dict path reads
            # None as missing, as PMML says. One call per row (about 1 ms each).
            out = [model.predict(r) for r in _records(frame, rules.schema)]
            return [_native(o.get(f"predicted_{target}")) for o in out]
        out = model.predict(frame)
        return [_native(v) for v in out[f"predicted_{target}"]]

    return score

