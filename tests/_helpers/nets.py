"""Tiny trained networks shared by the network, extractor, compare and CLI tests.

Plain helper functions (not fixtures), cached with ``functools.lru_cache`` so the
whole suite trains each network at most once. Import them from a test module with
``from _helpers.nets import iris_net`` (``tests`` is on ``sys.path``: ``pythonpath`` in setup.cfg).

The returned objects are shared between tests: never modify a cached network,
data set or frame in place (copy the frame first).
"""
from __future__ import annotations

import contextlib
import functools

import numpy as np

import rulex
from rulex.data.generated import make_dnf

# Bundled classification data sets the compare tests run over.
CLASSIFICATION_DATASETS = ("breast_cancer", "iris", "wine", "xor", "monk1", "monk2", "monk3", "adult",
                           "german_credit", "mushroom", "heart")


@functools.lru_cache(maxsize=None)
def split(name: str, max_train: int | None = None, max_test: int | None = None):
    """``(train, test)`` of a named data set, default split, ``random_state=0``.

    With ``max_train``/``max_test`` a larger split is subsampled (fixed seed, rows kept
    in their original order) through :meth:`rulex.Dataset.subset`.
    """
    train, test = rulex.load_dataset(name).split(random_state=0)
    rng = np.random.default_rng(0)
    if max_train is not None and len(train) > max_train:
        train = train.subset(np.sort(rng.choice(len(train), max_train, replace=False)))
    if max_test is not None and len(test) > max_test:
        test = test.subset(np.sort(rng.choice(len(test), max_test, replace=False)))
    return train, test


@functools.lru_cache(maxsize=None)
def iris_net():
    """``(net, train, test)``: iris, 4-4-3 sigmoid net, 60 epochs, seed 0 (about 95 % test accuracy)."""
    train, test = split("iris")
    net = rulex.train_network(train, (4,), "sigmoid", max_epochs=60, random_state=0)
    return net, train, test


@functools.lru_cache(maxsize=None)
def breast_cancer_net():
    """``(net, train, test)``: breast_cancer, 30-3-2 sigmoid net, 20 epochs, seed 0."""
    train, test = split("breast_cancer")
    net = rulex.train_network(train, (3,), "sigmoid", max_epochs=20, random_state=0)
    return net, train, test


@functools.lru_cache(maxsize=None)
def diabetes_net():
    """``(net, train, test)``: diabetes regression, 10-4-1 sigmoid net, 60 epochs, seed 0."""
    train, test = split("diabetes")
    net = rulex.train_network(train, (4,), "sigmoid", max_epochs=60, random_state=0)
    return net, train, test


@functools.lru_cache(maxsize=None)
def tiny_net(name: str, max_epochs: int = 10, max_train: int | None = 2000, max_test: int | None = 1000):
    """``(net, train, test)``: any named data set, hidden (4,), sigmoid, few epochs, seed 0.

    Large sets are subsampled to ``max_train``/``max_test`` rows after the split.
    """
    train, test = split(name, max_train, max_test)
    net = rulex.train_network(train, (4,), "sigmoid", max_epochs=max_epochs, random_state=0)
    return net, train, test


def weights_of(net) -> list:
    """Deep copy of every layer's (weights, bias, activation) of a rulex Network."""
    return [(layer.weights.copy(), layer.bias.copy(), layer.activation) for layer in net.layers]


def same_weights(a: list, b: list) -> bool:
    """True when two :func:`weights_of` snapshots are bit-identical."""
    return len(a) == len(b) and all(
        wa.dtype == wb.dtype and np.array_equal(wa, wb) and np.array_equal(ba, bb) and aa == ab
        for (wa, ba, aa), (wb, bb, ab) in zip(a, b))


def torch_state(module) -> dict:
    """Detached copies of a torch module's state_dict."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def same_torch_state(a: dict, b: dict) -> bool:
    import torch
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@contextlib.contextmanager
def one_torch_thread():
    """Run tiny torch/skorch fits on one thread (a second thread only adds contention)."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def all_conditions(rules) -> list:
    """Every literal Condition of a RuleSet (m-of-n tests flattened)."""
    from rulex import Condition
    out = []

    def walk(c):
        if isinstance(c, Condition):
            out.append(c)
        else:                       # MofN
            for lit in c.conditions:
                walk(lit)

    for r in rules.rules:
        for c in r.conditions:
            walk(c)
    return out


# The sweep checks that every method runs on every data set's shape (numeric, binary, one-hot
# groups, many classes), not its quality: keep it cheap with a per-method time budget and fewer
# oracle samples, for the methods that have those parameters. A BudgetExceededError row is
# accepted; any other error is not.
SWEEP_PARAMS = {"max_seconds": 2.0, "n_samples": 500, "min_samples": 500}


# -- generated concepts: DNFs, and problems whose whole input space is known --------------------
@functools.cache
def dnf_net(n_terms=8, n_literals=3, n_categorical=10, n_numeric=0, n_samples=3000, seed=0):
    ds, terms = make_dnf(n_terms, n_literals, n_categorical=n_categorical, n_numeric=n_numeric,
                         n_samples=n_samples, random_state=seed)
    train, test = ds.split(random_state=0)
    net = rulex.train_network(train, (16,), "sigmoid", random_state=0)
    return net, train, test, terms


@functools.cache
def whole_space_net(name):
    """A (16,) network on a problem whose whole input space is known (xor, MONK-1)."""
    full = rulex.load_dataset(name)
    train, _ = full.split(random_state=0)
    net = rulex.train_network(train, (16,), "sigmoid", random_state=0)
    return net, train, full


# -- the hypercube extractors' oracle ----------------------------------------------------------
def _oracle(net, train):
    from rulex.extractors.pedagogical._cube_oracle import Oracle, _Budget
    X = net.encoder.transform(train.frame)
    return Oracle(net, X, min_points=20, random_state=0, budget=_Budget("test", None))
