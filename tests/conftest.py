"""Shared pytest fixtures for the rulex suite.

Data fixtures (torch-free) come first; keep their names specific so later fixtures
(networks, extractors) can be appended without clashes. Plain helpers shared by several
test modules live in ``tests/_helpers/`` (test modules never import each other).
"""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
from _helpers.frames import make_mixed_frame


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

