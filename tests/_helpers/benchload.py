"""Import a benchmark script (benchmarks/*.py, benchmarks/peers/*.py) as a module for its tests."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def load_script(relpath: str, name: str | None = None):
    """Load ``benchmarks/<relpath>`` as module ``name`` (default: the file's stem).

    Its folder goes on ``sys.path`` so that worker processes can import it too.
    """
    path = BENCH / relpath
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    name = name or path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
