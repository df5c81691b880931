"""The structure is checked, not remembered: layering contracts, lint, types and module size.

``lint-imports`` reads the contracts in setup.cfg (ARCHITECTURE.md explains them); ``ruff`` and
``mypy`` use the settings in pyproject.toml. Each tool is a test dependency (``.[test]``).
"""
from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def _tool(name: str) -> str:
    exe = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(exe).exists():
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return exe


def test_import_contracts_hold():
    res = _run(_tool("lint-imports"), "--no-cache")
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "0 broken" in res.stdout


@pytest.mark.parametrize("contract,folder", [("extractors-inside", "rulex/extractors"),
                                             ("decompositional-inside", "rulex/extractors/decompositional"),
                                             ("pedagogical-inside", "rulex/extractors/pedagogical")])
def test_every_extractor_module_is_in_its_layer_contract(contract, folder):
    """A module left out of its folder's layer contract would be unconstrained: each must be listed."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    listed = {name.strip() for line in cfg[f"importlinter:contract:{contract}"]["layers"].splitlines()
              for name in line.split("|") if name.strip()}
    here = {p.stem for p in (ROOT / folder).glob("*.py") if p.stem != "__init__"}
    here |= {p.name for p in (ROOT / folder).iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert here == listed, (f"setup.cfg [{contract}] lists {sorted(listed - here)} that do not exist and misses "
                            f"{sorted(here - listed)}: put each module of {folder} in its layer")


def test_ruff_is_clean():
    res = _run(sys.executable, "-m", "ruff", "check", "rulex", "tests", "benchmarks", "datasets")
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]


def test_mypy_is_clean():
    res = _run(sys.executable, "-m", "mypy", "rulex")
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]


def test_no_module_over_600_lines_and_a_type_marker():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "rulex").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"
    assert (ROOT / "rulex" / "py.typed").exists()


def test_html_templates_ship_with_the_package():
    import rulex.formats
    templates = Path(rulex.formats.__file__).with_name("templates")
    assert {"base.html", "report.html", "compare.html", "_macros.html", "rulex.css"} <= {
        p.name for p in templates.iterdir()}
