"""The benchmark scripts' smoke tests: everything in this folder carries the ``bench`` marker.

They run with the rest of the suite (README's test command); ``-m "not bench"`` leaves them out.
"""
from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.bench)
