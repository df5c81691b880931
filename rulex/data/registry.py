"""Named data sets: scikit-learn's bundled tables, generated problems and files under ``datasets/``."""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from ..exceptions import DataError, UnknownNameError, did_you_mean
from .dataset import Dataset
from .generated import make_monk, make_xor

__all__ = ["load_dataset", "list_datasets", "datasets_dir", "DATASETS"]


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    task: str
    source: str          # sklearn | generated | bundled
    description: str
    loader: Callable


def datasets_dir() -> Path:
    """Where the bundled files live: $RULEX_DATASETS, the source checkout, or the installed share dir."""
    candidates = []
    if os.environ.get("RULEX_DATASETS"):
        candidates.append(Path(os.environ["RULEX_DATASETS"]))
    candidates.append(Path(__file__).resolve().parents[2] / "datasets")
    candidates.append(Path(sys.prefix) / "share" / "rulex" / "datasets")
    for c in candidates:
        if (c / "adult.json").exists():
            return c
    raise DataError("the bundled data files were not found (looked in "
                    + ", ".join(str(c) for c in candidates)
                    + "); install rulex from its source checkout with `pip install -e .` or set RULEX_DATASETS")


def _sklearn(loader_name: str, target: str, **kw):
    def load(**opts):
        import sklearn.datasets as skd
        bunch = getattr(skd, loader_name)(as_frame=True, **kw)
        frame = bunch.frame.copy()
        old_target = bunch.target.name if hasattr(bunch.target, "name") else "target"
        y = frame.pop(old_target)
        if "target_names" in bunch and loader_name != "load_diabetes":
            names = list(bunch.target_names)
            y = y.map(lambda i: str(names[int(i)]))
        frame[target] = y
        return Dataset.from_frame(frame, target=target, name=opts.get("name"), description=opts.get("description", ""))
    return load


def _bundled(name: str):
    def load(**opts):
        d = datasets_dir()
        meta = json.loads((d / f"{name}.json").read_text())
        path = d / f"{name}.csv.gz" if (d / f"{name}.csv.gz").exists() else d / f"{name}.csv"
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
        for col in meta.get("categorical", []) + list(meta.get("ordinal", {})):
            frame[col] = frame[col].astype(str)
        for col in meta.get("binary", []):
            if frame[col].dtype == object:
                frame[col] = frame[col].astype(str)
        return Dataset.from_frame(frame, target=meta["target"], task=meta.get("task"),
                                  categorical=meta.get("categorical", []), binary=meta.get("binary", []),
                                  integer=meta.get("integer", []), numeric=meta.get("numeric", []),
                                  ordinal=meta.get("ordinal") or None, name=name,
                                  description=meta.get("description", ""))
    return load


def _info(name, task, source, description, loader):
    return name, DatasetInfo(name, task, source, description, loader)


DATASETS = dict([
    _info("breast_cancer", "classification", "sklearn", "Wisconsin diagnostic breast cancer, 569 x 30",
          _sklearn("load_breast_cancer", "diagnosis")),
    _info("iris", "classification", "sklearn", "Fisher's iris, 150 x 4, 3 species",
          _sklearn("load_iris", "species")),
    _info("wine", "classification", "sklearn", "Wine cultivars, 178 x 13, 3 classes",
          _sklearn("load_wine", "cultivar")),
    _info("diabetes", "regression", "sklearn", "Diabetes progression (raw units), 442 x 10",
          _sklearn("load_diabetes", "progression", scaled=False)),
    _info("xor", "classification", "generated", "parity of 2 relevant of 8 bits, all 256 points",
          lambda **o: make_xor(**{k: v for k, v in o.items() if k not in ("name", "description")})),
    _info("monk1", "classification", "generated", "MONK-1: (a1 == a2) or (a5 == 1); 432 points, train 124",
          lambda **o: make_monk(1, **{k: v for k, v in o.items() if k not in ("name", "description")})),
    _info("monk2", "classification", "generated", "MONK-2: exactly two attributes take value 1; train 169",
          lambda **o: make_monk(2, **{k: v for k, v in o.items() if k not in ("name", "description")})),
    _info("monk3", "classification", "generated", "MONK-3: with 5 % training-label noise; train 122",
          lambda **o: make_monk(3, **{k: v for k, v in o.items() if k not in ("name", "description")})),
    _info("adult", "classification", "bundled", "UCI Adult census income, 30162 x 14 (complete rows)",
          _bundled("adult")),
    _info("german_credit", "classification", "bundled", "Statlog German credit, 1000 x 20",
          _bundled("german_credit")),
    _info("mushroom", "classification", "bundled", "UCI mushroom (KEEL complete rows), 5644 x 22",
          _bundled("mushroom")),
    _info("heart", "classification", "bundled", "Statlog heart disease, 270 x 13", _bundled("heart")),
])


def list_datasets() -> pd.DataFrame:
    """Name, task, source and description of every named data set."""
    return pd.DataFrame([{"name": i.name, "task": i.task, "source": i.source, "description": i.description}
                         for i in DATASETS.values()])


def load_dataset(name: str, **options) -> Dataset:
    """Load a named data set (see :func:`list_datasets`); generated sets take their options,
    e.g. ``load_dataset("xor", n_bits=8, n_relevant=2, noise=0.05)``.

    Parameters
    ----------
    name : str
        A bundled or generated data set.
    **options
        Options of a generated set (none for a bundled one).

    Returns
    -------
    Dataset

    Raises
    ------
    UnknownNameError
        For an unknown name (the message suggests the closest).
    DataError
        When a bundled set is given options.
    """
    if name not in DATASETS:
        raise UnknownNameError(did_you_mean(name, DATASETS, "data set"))
    info = DATASETS[name]
    if info.source != "generated" and options:
        raise DataError(f"data set {name!r} takes no options (got {sorted(options)})")
    ds = info.loader(**options) if info.source == "generated" else info.loader(name=name,
                                                                               description=info.description)
    return ds
