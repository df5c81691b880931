"""Worker for benchmarks/peers/psyke.py: runs PSyKE's extractors on one cell, in PSyKE's own venv.

Run by the driver as ``PSYKE_VENV/bin/python -P _psyke_worker.py CELL.npz NAME [NAME ...]`` with
``PYTHONHASHSEED=0``. ``CELL.npz`` (written by the driver in the rulex venv) holds the network's
layers, the encoded train and test matrices, the class labels and the network's predictions. The
worker rebuilds the network as :class:`NumpyNet` (the float64 forward of ``rulex.Network``),
checks that it predicts exactly what rulex predicted, then runs the named extractors one after
the other and prints one JSON line per event on stdout::

    {"event": "ready", ...}                 network rebuilt (mismatches: 0 expected)
    {"event": "start", "name": NAME}        an extractor begins (the driver starts its clock)
    {"event": "result", "name": NAME, ...}  fidelity, accuracy, coverage, rules, conditions, seconds

The driver kills the worker when an extractor runs past its timeout and starts a new worker for the
rest. This module imports only numpy at the top, so the rulex venv can import :class:`NumpyNet`
(the driver and the tests check it against ``rulex.Network.predict``); PSyKE is imported in
:func:`main` only.
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np


# -- the network, in numpy: the same float64 operations as rulex/network/layers.py and adapter.py.
# A deliberate copy: this file runs in PSyKE's venv, where rulex is not installed; the test
# suite checks that it predicts exactly what rulex does.
def _sigmoid(z):
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


ACTIVATIONS = {"sigmoid": _sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0),
               "identity": lambda z: z, "softmax": _softmax}


def _classifier_base():
    """sklearn's ClassifierMixin where sklearn is importable: PSyKE's hypercubic extractors treat a
    predictor as a classifier only if it is one (otherwise they average string labels)."""
    try:
        from sklearn.base import ClassifierMixin
        return ClassifierMixin
    except ImportError:                  # pragma: no cover
        return object


class NumpyNet(_classifier_base()):
    """A classification network as plain arrays: ``predict`` maps encoded inputs to class labels.

    ``weights[i]`` has shape (units, inputs) and ``bias[i]`` (units,), as ``rulex.Layer``; hidden
    layers apply ``activations[i]``; the output layer is a softmax over its units, or a sigmoid
    read as ``[1 - p, p]`` when it has one unit, exactly as ``rulex.Network._output``.
    """

    def __init__(self, weights, bias, activations, classes):
        self.weights = [np.asarray(w, dtype=np.float64) for w in weights]
        self.bias = [np.asarray(b, dtype=np.float64).reshape(-1) for b in bias]
        self.activations = list(activations)
        self.classes_ = np.asarray(classes, dtype=object)

    @classmethod
    def from_arrays(cls, arrays) -> "NumpyNet":
        n = int(arrays["n_layers"])
        return cls([arrays[f"W{i}"] for i in range(n)], [arrays[f"b{i}"] for i in range(n)],
                   [str(a) for a in arrays["activations"]], [str(c) for c in arrays["classes"]])

    def fit(self, X, y=None):            # sklearn protocol; the network is already trained
        return self

    def predict_index(self, X) -> np.ndarray:
        h = np.asarray(X, dtype=np.float64)
        for W, b, act in zip(self.weights[:-1], self.bias[:-1], self.activations[:-1]):
            h = ACTIVATIONS[act](h @ W.T + b)
        z = h @ self.weights[-1].T + self.bias[-1]
        if z.shape[1] == 1:
            p = _sigmoid(z[:, 0])
            out = np.column_stack([1.0 - p, p])
        else:
            out = _softmax(z)
        return out.argmax(axis=1)

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_index(X)]


# -- PSyKE's extractors ----------------------------------------------------------------------------
def _ranking(train_df):
    """Features by PSyKE's FeatureRanker score (ANOVA F against the network's labels, divided by
    the largest), best first; constant columns score 0 instead of NaN."""
    from sklearn.feature_selection import f_classif
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, _ = f_classif(train_df.iloc[:, :-1], train_df.iloc[:, -1])
    scores = np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0, posinf=0.0)
    scores = scores / scores.max() if scores.max() > 0 else scores
    order = np.argsort(-scores, kind="stable")
    return [(train_df.columns[i], float(scores[i])) for i in order]


def _top_strategy(ranking, k: int, bins: int):
    """GridEx/HEx strategy: ``bins`` slices on each of the ``k`` best-ranked features, 1 elsewhere
    (a fixed strategy over every feature would make ``bins ** features`` cubes)."""
    from psyke.extraction.hypercubic.strategy import AdaptiveStrategy
    top = {f for f, _ in ranking[:k]}
    return AdaptiveStrategy([(f, 1.0 if f in top else 0.0) for f, _ in ranking], [(0.5, bins)])


def build_extractor(name: str, net: NumpyNet, train_df, seed: int):
    """The PSyKE extractor called ``name`` with this benchmark's settings.

    ``cart-N``: CART with at most N leaves. ``gridex-KxB[xI]`` and ``hex-KxB[xI]``: B slices on each
    of the K best-ranked features, I iterations (default 1). ``creepy-D`` / ``cream-D``: CReEPy with
    ExACT / CREAM clustering of depth D. ``ginger-KxS``: GInGER with up to S genetic cuts on each of the
    K best-ranked features. ``iter``: ITER with PSyKE's default settings. ``divine``: DiViNE, defaults.
    """
    from psyke import Extractor, Clustering
    from psyke.extraction.hypercubic import Grid
    from psyke.utils import Target
    kind, _, arg = name.partition("-")
    nums = [int(v) for v in arg.split("x")] if arg else []
    if kind == "cart":
        return Extractor.cart(net, max_depth=None, max_leaves=nums[0])
    if kind in ("gridex", "hex"):
        k, bins, iterations = (nums + [1])[:3]
        grid = Grid(iterations, _top_strategy(_ranking(train_df), k, bins))
        factory = Extractor.gridex if kind == "gridex" else Extractor.hex
        return factory(net, grid=grid, min_examples=100, threshold=0.1, seed=seed)
    if kind in ("creepy", "cream"):
        clustering = Clustering.exact if kind == "creepy" else Clustering.cream
        return Extractor.creepy(net, clustering=clustering, depth=nums[0], error_threshold=0.1,
                                output=Target.CLASSIFICATION, gauss_components=2, seed=seed)
    if kind == "ginger":
        k, slices = nums
        feats = [f for f, _ in _ranking(train_df)[:k]]
        return Extractor.ginger(net, features=feats, sigmas=[0.05] * len(feats), max_slices=slices, min_rules=1,
                                max_poly=1, metric="ACC", n_gen=30, n_pop=30, output=Target.CLASSIFICATION,
                                seed=seed)
    if kind == "iter":
        return Extractor.iter(net, seed=seed)
    if kind == "divine":
        return Extractor.divine(net, seed=seed)
    raise ValueError(f"unknown PSyKE extractor {name!r}")


def theory_size(theory) -> tuple[int, int]:
    """(rules, conditions) counted as rulex counts them: a clause with an empty body is the default
    (an ordered theory's catch-all), not a rule; conditions are body literals (an interval
    ``X in [a, b]`` is one)."""
    rules = conditions = 0
    for clause in theory.clauses:
        n = 0 if str(clause.body) == "true" else int(clause.body_size)
        if n:
            rules += 1
            conditions += n
    return rules, conditions


def run_one(name: str, net: NumpyNet, data: dict, seed: int) -> dict:
    train_df, X_test, y_net_test, y_true_test = data["train_df"], data["test_df"], data["y_net_test"], data["y_test"]
    t = time.perf_counter()
    ext = build_extractor(name, net, train_df, seed)
    theory = ext.extract(train_df)
    seconds = time.perf_counter() - t
    pred = np.array([None if p is None else str(p) for p in ext.predict(X_test)], dtype=object)
    covered = np.array([p is not None for p in pred])
    rules, conditions = theory_size(theory)
    return {"fidelity": float(np.mean(pred == y_net_test)),          # uncovered rows count as misses
            "accuracy": float(np.mean(pred == y_true_test)),
            "coverage": float(covered.mean()), "rules": rules, "conditions": conditions,
            "psyke_n_rules": int(ext.n_rules), "seconds": seconds,
            "predict_seconds": time.perf_counter() - t - seconds}


def load_cell(path: str) -> tuple[NumpyNet, dict, int]:
    import pandas as pd
    arrays = np.load(path, allow_pickle=False)
    net = NumpyNet.from_arrays(arrays)
    cols = [f"X{i}" for i in range(arrays["X_train"].shape[1])]   # Prolog-safe variable names
    y_net_train = np.array([str(v) for v in arrays["y_net_train"]], dtype=object)
    train_df = pd.DataFrame(arrays["X_train"], columns=cols)
    train_df["y"] = y_net_train                                 # labelled by the network (pedagogical)
    data = {"train_df": train_df, "test_df": pd.DataFrame(arrays["X_test"], columns=cols),
            "y_net_train": y_net_train,
            "y_net_test": np.array([str(v) for v in arrays["y_net_test"]], dtype=object),
            "y_test": np.array([str(v) for v in arrays["y_test"]], dtype=object)}
    return net, data, int(arrays["seed"])


def _emit(obj):
    print(json.dumps(obj), flush=True)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    path, names = argv[0], argv[1:]
    net, data, seed = load_cell(path)
    mismatch = {"train": int(np.sum(net.predict(data["train_df"].iloc[:, :-1]) != data["y_net_train"])),
                "test": int(np.sum(net.predict(data["test_df"]) != data["y_net_test"]))}
    t = time.perf_counter()
    import psyke                          # starts the JVM (tuProlog)
    import warnings
    warnings.simplefilter("ignore")
    _emit({"event": "ready", "mismatch": mismatch, "import_seconds": time.perf_counter() - t,
           "psyke": getattr(psyke, "__version__", "")})
    for name in names:
        _emit({"event": "start", "name": name})
        try:
            out = {"status": "ok", **run_one(name, net, data, seed)}
        except Exception as exc:          # one extractor failing must not stop the others
            out = {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
        _emit({"event": "result", "name": name, **out})


if __name__ == "__main__":
    if sys.path and sys.path[0].rstrip("/").endswith("peers"):   # our psyke.py must not shadow PSyKE
        sys.path.pop(0)
    main()
