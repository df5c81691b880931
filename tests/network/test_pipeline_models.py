"""Bring your own preprocessing: Pipeline(ColumnTransformer, MLP), torch and skorch with a ColumnTransformer.

The user's transformers are read exactly (rulex.network.pipeline): the Network computes what the
user's pipeline computes, and rules decode to the user's units and category names.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

import rulex
from _helpers.nets import split
from rulex.decoding import decode_rules
from _helpers.exports import _check_formats

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "passthrough": None}


def _pipeline(frame, y, numeric, categorical, scalers, *, regression=False, hidden=(3,), max_iter=30,
              categories="auto"):
    parts = []
    for col, how in zip(numeric, scalers):
        parts.append((f"n_{col}", "passthrough" if SCALERS[how] is None else SCALERS[how](), [col]))
    if categorical:
        parts.append(("cat", OneHotEncoder(categories=categories, handle_unknown="ignore"),
                      categorical))
    mlp = (MLPRegressor if regression else MLPClassifier)(hidden_layer_sizes=hidden, max_iter=max_iter,
                                                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Pipeline([("prep", ColumnTransformer(parts, remainder="drop")), ("mlp", mlp)]).fit(frame, y)


@st.composite
def problems(draw):
    n = draw(st.integers(12, 40))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    n_num = draw(st.integers(1, 3))
    n_cat = draw(st.integers(0, 2))
    data = {}
    for j in range(n_num):
        scale = draw(st.sampled_from([1e-3, 1.0, 37.5, 1e4]))
        x = rng.normal(draw(st.floats(-100, 100)), scale, n)
        data[f"num {j}"] = np.round(x, 3) if j % 2 else x
    for j in range(n_cat):
        data[f"cat'{j}"] = rng.choice(["a", "b b", 'c"', "ü"][: draw(st.integers(2, 4))], n)
    frame = pd.DataFrame(data)
    frame["num 0"] = frame["num 0"].iloc[::-1].to_numpy()
    y = np.where(frame["num 0"] > frame["num 0"].median(), "yes", "no")
    scalers = [draw(st.sampled_from(sorted(SCALERS))) for _ in range(n_num)]
    return frame, y, [c for c in data if c.startswith("num")], [c for c in data if c.startswith("cat")], scalers, seed


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_network_equals_pipeline_and_decoding_is_exact(problem):
    frame, y, numeric, categorical, scalers, seed = problem
    pipe = _pipeline(frame, y, numeric, categorical, scalers)
    net = rulex.Network.from_sklearn(pipe, frame)
    # the network computes the user's pipeline (rounding of the folded first layer aside)
    np.testing.assert_allclose(net.predict_proba(frame), pipe.predict_proba(frame), rtol=0, atol=1e-9)
    p = pipe.predict_proba(frame).max(axis=1)
    clear = p > 0.5 + 1e-6
    np.testing.assert_array_equal(net.predict(frame)[clear], pipe.predict(frame)[clear])
    # the encoder's inputs follow the ColumnTransformer's outputs, categories by name
    assert net.encoder.n_inputs == pipe[0].transform(frame).shape[1]
    for col in categorical:
        assert net.schema[col].categories == tuple(pipe[0].named_transformers_["cat"].categories_[
            categorical.index(col)])
    # random encoded-space rules decode exactly: same prediction on every row
    rng = np.random.default_rng(seed)
    enc = net.encoder.transform_frame(frame)
    rules = []
    for k in range(4):
        conds = []
        for name in rng.choice(enc.columns, size=min(2, enc.shape[1]), replace=False):
            values = enc[name].to_numpy()
            t = float(rng.choice(values)) if k % 2 else float(rng.uniform(values.min() - 0.1, values.max() + 0.1))
            conds.append(rulex.Condition(name, "<=" if rng.random() < 0.5 else ">", t))
        rules.append(rulex.Rule(conds, "yes" if k % 2 else "no"))
    encoded = rulex.RuleSet(rules, "no", classes=("no", "yes"), space="encoded")
    decoded = decode_rules(net.encoder, encoded)
    assert decoded.space == "original" and set(decoded.features_used()) <= set(frame.columns)
    np.testing.assert_array_equal(decoded.predict(frame), encoded.predict(enc))
    # and rules extracted from the network agree with the network they were read from
    ex = rulex.extract(net, rulex.Dataset(frame.assign(target=y), "target", net.schema), "surrogate_tree",
                       max_leaf_nodes=4)
    assert set(ex.features_used()) <= set(frame.columns)


@pytest.mark.parametrize("name", ["adult", "german_credit"])
def test_real_pipeline_rules_in_original_units(name, pmml_scorer):
    train, test = split(name, max_train=400, max_test=150)
    numeric = [f.name for f in train.schema if f.kind in ("numeric", "integer")]
    categorical = [f.name for f in train.schema if f.kind not in ("numeric", "integer")]
    known = [list(train.schema[c].categories) for c in categorical]     # the data set's categories
    pipe = _pipeline(train.X, train.y, numeric, categorical, ["standard"] * len(numeric), hidden=(4,),
                     max_iter=200, categories=known)
    net = rulex.Network.from_sklearn(pipe, train)
    np.testing.assert_allclose(net.predict_proba(test.X), pipe.predict_proba(test.X), atol=1e-9)
    clf = rulex.RuleExtractorClassifier(pipe, "surrogate_tree", {"max_leaf_nodes": 8}).fit(train.X, train.y)
    rules = clf.rules_
    assert len(rules) >= 1
    np.testing.assert_array_equal(clf.model_.predict(test.X), net.predict(test.X))
    # category names and original units in the text
    text = str(rules)
    used = rules.features_used()
    for cond in (c for r in rules for c in r.conditions):
        f = train.schema[cond.feature]
        if f.kind == "categorical":
            values = cond.value if cond.op in ("in", "not in") else [cond.value]
            assert set(values) <= set(train.frame[cond.feature].unique())
        else:
            lo, hi = train.frame[cond.feature].min(), train.frame[cond.feature].max()
            assert lo - 1 <= cond.value <= hi + 1                    # original units, not z-scores
    assert all(u in text for u in used)
    frame = pd.concat([train.X, test.X])[net.schema.feature_names]
    _check_formats(rules, frame.reset_index(drop=True), pmml=pmml_scorer)


def test_minmax_and_regression_pipeline():
    train, test = split("diabetes")
    numeric = train.schema.feature_names
    pipe = _pipeline(train.X, train.y, numeric, [], ["minmax"] * len(numeric), regression=True, hidden=(4,),
                     max_iter=200)
    net = rulex.Network.from_sklearn(pipe, train)
    np.testing.assert_allclose(net.predict(test.X), pipe.predict(test.X), rtol=1e-10, atol=1e-8)
    reg = rulex.RuleExtractorRegressor(pipe, "surrogate_tree", {"max_leaf_nodes": 6}).fit(train.X, train.y)
    assert reg.score(test.X, test.y) > 0.5


def test_torch_and_skorch_with_a_column_transformer(mixed_frame):
    import torch
    import torch.nn as nn
    from skorch import NeuralNetClassifier
    X, y = mixed_frame.drop(columns="label"), mixed_frame["label"].to_numpy()
    ct = ColumnTransformer([("num", StandardScaler(), ["income", "age"]),
                            ("cat", OneHotEncoder(), ["sex", "job", "size"])]).fit(X)
    U = ct.transform(X).astype(np.float32)
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(U.shape[1], 4), nn.Tanh(), nn.Linear(4, 3))
    classes = sorted(set(y))
    net = rulex.Network.from_torch(module, rulex.Dataset.from_frame(mixed_frame, "label"), preprocessor=ct)
    with torch.no_grad():
        logits = module(torch.from_numpy(U)).double().numpy()
    np.testing.assert_array_equal(net.predict(X), np.array(classes)[logits.argmax(axis=1)])
    sk = NeuralNetClassifier(nn.Sequential(nn.Linear(U.shape[1], 3), nn.Sigmoid(), nn.Linear(3, 3)),
                             criterion=nn.CrossEntropyLoss, max_epochs=3, train_split=None, verbose=0)
    codes = np.searchsorted(classes, y)
    sk.fit(U, codes)
    clf = rulex.RuleExtractorClassifier(sk, "surrogate_tree", preprocessor=ct).fit(X, y)
    np.testing.assert_array_equal(clf.model_.predict(X), np.array(classes)[sk.predict(U)])
    assert set(clf.rules_.features_used()) <= set(X.columns)


def test_unsupported_preprocessing_is_named():
    train, _ = split("iris")
    X = train.X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = Pipeline([("prep", ColumnTransformer([("s", MinMaxScaler(clip=True), list(X.columns))])),
                         ("mlp", MLPClassifier(hidden_layer_sizes=(2,), max_iter=5))]).fit(X, train.y)
    with pytest.raises(rulex.NetworkError, match="clip"):
        rulex.Network.from_sklearn(pipe, train)
