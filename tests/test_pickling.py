"""Every public object survives pickle, copy.deepcopy, joblib and cloudpickle, equal to itself.

Rules are immutable (``__setattr__`` raises), so they carry their own pickling hooks; this
suite checks those hooks and every other public object, fitted extractors included, and that
``RuleSet.predict`` runs on Dask process workers (``map_partitions`` on a ``LocalCluster``).
"""
from __future__ import annotations

import copy
import functools
import io
import pickle
import warnings

import cloudpickle
import joblib
import numpy as np
import pandas as pd
import pytest

import rulex
from _helpers.nets import iris_net
from rulex.extractors.base import EXTRACTORS

# small settings per method, so fitting every registered extractor stays fast
FAST = {"trepan": {"max_internal_nodes": 4, "min_samples": 200}}


def _joblib(obj):
    buf = io.BytesIO()
    joblib.dump(obj, buf)
    buf.seek(0)
    return joblib.load(buf)


ROUND_TRIPS = {
    "pickle": lambda o: pickle.loads(pickle.dumps(o, protocol=pickle.HIGHEST_PROTOCOL)),
    "pickle-protocol-2": lambda o: pickle.loads(pickle.dumps(o, protocol=2)),
    "deepcopy": copy.deepcopy,
    "joblib": _joblib,
    "cloudpickle": lambda o: cloudpickle.loads(cloudpickle.dumps(o)),
}


def _same(a, b):
    """Content equality for objects whose ``==`` is identity or element-wise."""
    assert type(a) is type(b)
    if isinstance(a, rulex.Dataset):
        assert a.target == b.target and a.schema == b.schema and a.name == b.name
        pd.testing.assert_frame_equal(a.frame, b.frame)
        assert a.fingerprint() == b.fingerprint()
    elif isinstance(a, rulex.BaseExtractor):
        assert a.get_params() == b.get_params()
        assert hasattr(a, "rules_") == hasattr(b, "rules_")
        if hasattr(a, "rules_"):
            assert a.rules_ == b.rules_
            assert a.n_features_in_ == b.n_features_in_
    elif isinstance(a, (rulex.RuleExtractorClassifier, rulex.RuleExtractorRegressor)):
        assert repr(a.get_params()) == repr(b.get_params())
        assert a.rules_ == b.rules_ and a.model_ == b.model_
        np.testing.assert_array_equal(a.predict_proba(_iris_X()), b.predict_proba(_iris_X()))
    elif type(a).__name__ == "Explanation":
        assert a.to_dict() == b.to_dict() or _nan_equal(a.to_dict(), b.to_dict())
        assert str(a) == str(b) and a.local_rule == b.local_rule
    elif type(a).__name__ == "UnitProfiles":
        pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
        assert str(a) == str(b) and [p.rule for p in a] == [p.rule for p in b]
    else:
        assert a == b


def _nan_equal(x, y):
    return pd.Series([x]).to_json() == pd.Series([y]).to_json()


@functools.lru_cache(maxsize=None)
def _fitted(method):
    net, train, _ = iris_net()
    return EXTRACTORS[method](**FAST.get(method, {})).fit(net, train)


def _torch_network():
    import torch
    import torch.nn as nn
    net, train, _ = iris_net()
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(net.encoder.n_inputs, 3), nn.Tanh(), nn.Linear(3, 3))
    return rulex.Network.from_torch(module, net.encoder)


def _skorch_network():
    import torch.nn as nn
    from skorch import NeuralNetClassifier
    net, train, _ = iris_net()
    X = net.encoder.transform(train.frame).astype(np.float32)
    y = net.encoder.encode_target(train.y)
    sk = NeuralNetClassifier(nn.Sequential(nn.Linear(X.shape[1], 3), nn.Sigmoid(), nn.Linear(3, 3)),
                             criterion=nn.CrossEntropyLoss, max_epochs=2, train_split=None, verbose=0,
                             classes=[0, 1, 2])
    sk.fit(X, y)
    return rulex.Network.from_skorch(sk, net.encoder)


def _sklearn_network():
    from sklearn.neural_network import MLPClassifier
    net, train, _ = iris_net()
    X = net.encoder.transform(train.frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = MLPClassifier((3,), max_iter=30, random_state=0).fit(X, train.y)
    return rulex.Network.from_sklearn(mlp, net.encoder)


def _iris_X():
    return iris_net()[2].X


def _estimator():
    from sklearn.neural_network import MLPClassifier
    net, train, _ = iris_net()
    model = MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rulex.RuleExtractorClassifier(model, "surrogate_tree").fit(train.X, train.y)


def _regression_rules():
    lin = rulex.LinearModel(1.5, [rulex.LinearTerm("x", 2.0), rulex.LinearTerm("z", -1.0, "a")])
    return rulex.RuleSet([rulex.Rule([rulex.Condition("x", ">", 0.25)], lin, support=3),
                          rulex.Rule([rulex.Condition("z", "in", ["a", "b"])], 4.0)], 0.5,
                         task="regression", target="y")


def _objects():
    net, train, test = iris_net()
    rules = _fitted("surrogate_tree").rules_
    mofn = rulex.MofN(2, (rulex.Condition("a", "<=", 1.0), rulex.Condition("b", "==", "x"),
                          rulex.Condition("c", "not in", ["p", "q"])))
    unordered = rulex.RuleSet([rulex.Rule([mofn], "yes", weight=2.0, precision=0.75,
                                          provenance={"tree_node": 3, "terms": [1, 2]}),
                               rulex.Rule([rulex.Condition("a", ">", 3.0)], "no")],
                              "no", semantics="unordered", classes=("no", "yes"))
    objs = {
        "Condition": rulex.Condition("petal length", "<=", 2.45),
        "Condition-set": rulex.Condition("c", "in", ["b", "a"]),
        "MofN": mofn,
        "Rule": rules.rules[0],
        "Rule-mofn": unordered.rules[0],
        "RuleSet": rules,
        "RuleSet-unordered": unordered,
        "RuleSet-regression": _regression_rules(),
        "LinearModel": _regression_rules().rules[0].conclusion,
        "LinearTerm": rulex.LinearTerm("z", -1.0, "a"),
        "Schema": train.schema,
        "Feature": train.schema.features[0],
        "Encoder": net.encoder,
        "Dataset": train,
        "Network": net,
        "Network-sklearn": _sklearn_network(),
        "Network-torch": _torch_network(),
        "Network-skorch": _skorch_network(),
        "Report": rulex.evaluate(rules, net, test),
        "Explanation": rulex.explain_row(net, test, 0, rules=rules, n_samples=200),
        "UnitProfiles": rulex.profile_units(net, train, n_samples=200),
        "RuleExtractorClassifier": _estimator(),
    }
    for name, cls in sorted(EXTRACTORS.items()):
        objs[f"{name}-unfitted"] = cls(**FAST.get(name, {}))
        objs[f"{name}-fitted"] = _fitted(name)
    return objs


@functools.lru_cache(maxsize=None)
def objects():
    return _objects()


OBJECT_NAMES = (["Condition", "Condition-set", "MofN", "Rule", "Rule-mofn", "RuleSet", "RuleSet-unordered",
                 "RuleSet-regression", "LinearModel", "LinearTerm", "Schema", "Feature", "Encoder", "Dataset",
                 "Network", "Network-sklearn", "Network-torch", "Network-skorch", "Report", "Explanation",
                 "UnitProfiles", "RuleExtractorClassifier"]
                + [f"{m}-{s}" for m in sorted(EXTRACTORS) for s in ("unfitted", "fitted")])


def test_every_public_object_is_listed():
    assert set(OBJECT_NAMES) == set(objects())


@pytest.mark.parametrize("how", sorted(ROUND_TRIPS))
@pytest.mark.parametrize("name", OBJECT_NAMES)
def test_round_trip_equal(name, how):
    obj = objects()[name]
    back = ROUND_TRIPS[how](obj)
    assert back is not obj
    _same(obj, back)


@pytest.mark.parametrize("how", sorted(ROUND_TRIPS))
def test_round_tripped_objects_still_work(how):
    net, train, test = iris_net()
    rules = _fitted("surrogate_tree").rules_
    rules2, net2, ex2 = (ROUND_TRIPS[how](o) for o in (rules, net, _fitted("trepan")))
    np.testing.assert_array_equal(rules2.predict(test.frame), rules.predict(test.frame))
    np.testing.assert_array_equal(net2.predict_proba(test.frame), net.predict_proba(test.frame))
    np.testing.assert_array_equal(ex2.predict(test.frame), _fitted("trepan").predict(test.frame))
    assert net2.fingerprint() == net.fingerprint()
    with pytest.raises(AttributeError, match="immutable"):
        rules2.rules[0].conclusion = "x"     # still immutable after the round trip
    lin = ROUND_TRIPS[how](_regression_rules())
    frame = pd.DataFrame({"x": [0.0, 1.0, np.nan], "z": ["a", "c", "b"]})
    np.testing.assert_array_equal(lin.predict(frame), _regression_rules().predict(frame))


def test_refit_after_round_trip_gives_the_same_rules():
    net, train, _ = iris_net()
    ex = pickle.loads(pickle.dumps(_fitted("trepan")))
    assert ex.fit(net, train).rules_.rules == _fitted("trepan").rules_.rules


def _predict_partition(part: pd.DataFrame, rules) -> pd.Series:
    """Runs on a Dask worker process: the rules' predictions for one partition."""
    return pd.Series(rules.predict(part), index=part.index, name="prediction")


def test_dask_map_partitions_on_process_workers():
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    net, train, test = iris_net()
    rules = _fitted("surrogate_tree").rules_
    frame = pd.concat([train.frame, test.frame], ignore_index=True)
    expected = rules.predict(frame)
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        ddf = dd.from_pandas(frame, npartitions=4)
        meta = pd.Series([], dtype=object, name="prediction")
        got = ddf.map_partitions(_predict_partition, rules, meta=meta).compute()
        pids = set(client.run(lambda: __import__("os").getpid()).values())
    assert len(pids) == 2
    np.testing.assert_array_equal(got.sort_index().to_numpy(), expected)
