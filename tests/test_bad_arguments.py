"""Bad arguments to scoring, compare, run_grid and train_network: a clear rulex error naming the parameter
(or column), never a TypeError, scikit-learn's validator, torch's allocator or joblib's message; and
labels that differ from the classes refused by every scoring function alike."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rulex
from rulex.exceptions import Param
from rulex.grid import run_grid
from rulex.metrics import confusion
from _helpers.nets import iris_net


@pytest.fixture(scope="module")
def iris_rules():
    net, train, test = iris_net()
    return rulex.extract(net, train, method="surrogate_tree", random_state=0), net, test


def _shouted(test):
    """The test rows with their labels in capitals: the same classes, spelled differently."""
    frame = test.frame.assign(**{test.target: test.y.str.upper()})
    return rulex.Dataset.from_frame(frame, target=test.target)


def test_labels_in_another_case_are_refused_by_every_scoring_function(iris_rules):
    rules, net, test = iris_rules
    shouted = _shouted(test)
    for score in (lambda: rulex.accuracy(rules, shouted), lambda: rulex.fidelity(rules, net, shouted),
                  lambda: rulex.evaluate(rules, net, shouted)):
        with pytest.raises(rulex.DataError, match=r"looks like the class 'setosa'"):
            score()
    with pytest.raises(rulex.DataError, match="looks like the class"):
        confusion(test.y.to_numpy(), shouted.y.to_numpy(), net.classes)
    assert rulex.accuracy(rules, test) == pytest.approx(rulex.evaluate(rules, net, test).accuracy)
    assert rulex.fidelity(rules, net, test) == rulex.fidelity(rules, net, test.frame) == \
        pytest.approx(rulex.evaluate(rules, net, test).fidelity)


def test_scoring_refuses_what_is_not_data(iris_rules):
    rules, net, test = iris_rules
    with pytest.raises(rulex.DataError, match="accuracy takes a rulex Dataset"):
        rulex.accuracy(rules, test.frame)
    with pytest.raises(rulex.DataError, match="fidelity takes"):
        rulex.fidelity(rules, net, test.frame.to_numpy())


@pytest.mark.parametrize("kwargs, named", [
    ({"methods": 3}, "methods=3"),
    ({"methods": ["surrogate_tree", 3]}, "methods="),
    ({"params": {"surrogate_tree": 3}}, "params={'surrogate_tree': 3}"),
    ({"params": 3}, "params=3"),
    ({"random_state": 2 ** 32}, "random_state=4294967296"),
    ({"random_state": -1}, "random_state=-1"),
    ({"n_jobs": 0}, "n_jobs=0"),
])
def test_compare_names_the_bad_parameter(iris_rules, kwargs, named):
    _, net, test = iris_rules
    with pytest.raises(rulex.DataError) as info:
        rulex.compare(net, test, test, **{"methods": ["surrogate_tree"], **kwargs})
    assert named in str(info.value)
    assert any(isinstance(p, Param) for p in info.value.parts)


def test_split_refuses_a_seed_numpy_cannot_take():
    with pytest.raises(rulex.DataError, match=r"random_state=4294967296 is not a seed"):
        rulex.load_dataset("iris").split(random_state=2 ** 32)


@pytest.mark.parametrize("kwargs, named", [({"n_jobs": 0}, "n_jobs=0"), ({"seeds": [2 ** 40]}, "seeds="),
                                           ({"folds": 1}, "folds=1"), ({"max_rows": "many"}, "max_rows='many'"),
                                           ({"methods": 7}, "methods=7")])
def test_run_grid_names_the_bad_parameter(kwargs, named):
    with pytest.raises(rulex.DataError) as info:
        run_grid(**{"datasets": ["xor"], "methods": ["surrogate_tree"], **kwargs})
    assert named in str(info.value) and "joblib" not in str(info.value)


def test_a_network_over_the_memory_budget_is_refused_before_torch_allocates_it():
    train, _ = rulex.load_dataset("iris").split(random_state=0)
    with pytest.raises(rulex.DataError, match=r"hidden_layer_sizes=\(100000, 100000\).*memory budget"):
        rulex.train_network(train, (100_000, 100_000), max_epochs=1)


def test_a_column_whose_range_overflows_is_named_before_training():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"huge": np.r_[-1e308, 1e308, rng.uniform(-1e307, 1e307, 58)], "x": rng.normal(size=60)})
    df["y"] = np.where(df["x"] > 0, "a", "b")
    ds = rulex.Dataset.from_frame(df, target="y")
    with pytest.raises(rulex.DataError, match="column 'huge' spans"):
        rulex.train_network(ds, (2,), max_epochs=2)
    reg = pd.DataFrame({"x": rng.normal(size=60), "t": np.r_[-1e308, 1e308, rng.uniform(-1e307, 1e307, 58)]})
    with pytest.raises(rulex.DataError, match="target 't' spans"):
        rulex.train_network(rulex.Dataset.from_frame(reg, target="t"), (2,), max_epochs=2)
