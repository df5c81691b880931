"""Network adapters (sklearn, torch, skorch), training, model bundles and the torch-free import."""
from __future__ import annotations

import copy
import io
import json
import math
import re
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

import rulex
from _helpers.nets import (breast_cancer_net, diabetes_net, iris_net, one_torch_thread, same_torch_state, same_weights,
                  split, torch_state, weights_of)


def _encoder(train):
    return rulex.Encoder(train.schema).fit(train.frame)


def _fit_mlp(kind, train, hidden=(3,), y=None, **kw):
    """A small sklearn MLP fitted on the rulex encoding of ``train``."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    enc = _encoder(train)
    X = enc.transform(train.frame)
    cls = MLPClassifier if kind == "classifier" else MLPRegressor
    mlp = cls(hidden_layer_sizes=hidden, max_iter=kw.pop("max_iter", 200), random_state=0, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, train.y.to_numpy() if y is None else y)
    return mlp, enc


# -- from_sklearn ----------------------------------------------------------------------------------
def test_from_sklearn_binary_classifier_matches_sklearn():
    train, test = split("breast_cancer")
    mlp, enc = _fit_mlp("classifier", train, activation="logistic")
    assert mlp.out_activation_ == "logistic" and mlp.coefs_[-1].shape[1] == 1   # one logistic output
    net = rulex.Network.from_sklearn(mlp, enc)
    assert net.task == "classification"
    assert set(net.classes) == set(train.classes)
    for ds in (train, test):
        X = enc.transform(ds.frame)
        np.testing.assert_array_equal(net.predict(ds.frame), mlp.predict(X))
        np.testing.assert_allclose(net.predict_proba(ds.frame), mlp.predict_proba(X), rtol=1e-9, atol=1e-12)
        # an already encoded matrix goes to predict_encoded
        np.testing.assert_array_equal(net.predict_encoded(X), mlp.predict(X))


def test_from_sklearn_multiclass_softmax_matches_sklearn():
    train, test = split("iris")
    mlp, enc = _fit_mlp("classifier", train, hidden=(5,), activation="tanh", max_iter=500)
    assert mlp.out_activation_ == "softmax"
    net = rulex.Network.from_sklearn(mlp, enc)
    assert net.architecture == [4, 5, 3]
    assert net.layers[0].activation == "tanh"
    for ds in (train, test):
        X = enc.transform(ds.frame)
        np.testing.assert_array_equal(net.predict(ds.frame), mlp.predict(X))
        np.testing.assert_allclose(net.predict_proba(ds.frame), mlp.predict_proba(X), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(net.predict_proba(ds.frame).sum(axis=1), 1.0)


def test_from_sklearn_accepts_the_training_dataset_and_index_labels():
    """Labels given as class indices 0..K-1 map to the data's class names."""
    train, test = split("iris")
    enc = _encoder(train)
    y = enc.encode_target(train.y)
    mlp, _ = _fit_mlp("classifier", train, hidden=(4,), y=y, max_iter=300)
    net = rulex.Network.from_sklearn(mlp, train)          # a Dataset instead of an encoder
    X = enc.transform(test.frame)
    expected = np.array(train.classes)[mlp.predict(X)]
    np.testing.assert_array_equal(net.predict(test.frame), expected)
    assert set(net.predict(test.frame)) <= set(train.classes)


def test_from_sklearn_regressor_matches_sklearn():
    train, test = split("diabetes")
    mlp, enc = _fit_mlp("regressor", train, hidden=(4,), activation="relu", max_iter=300)
    net = rulex.Network.from_sklearn(mlp, enc)
    assert net.task == "regression"
    for ds in (train, test):
        X = enc.transform(ds.frame)
        np.testing.assert_allclose(net.predict(ds.frame), mlp.predict(X), rtol=1e-10, atol=1e-9)
    with pytest.raises(rulex.NetworkError):
        net.predict_proba(test.frame)


def test_from_sklearn_rejects_unfitted_and_foreign_models():
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    train, _ = split("iris")
    with pytest.raises(rulex.NotFittedError):
        rulex.Network.from_sklearn(MLPClassifier(), _encoder(train))
    with pytest.raises(rulex.NetworkError, match="LogisticRegression"):
        rulex.Network.from_sklearn(LogisticRegression(), _encoder(train))


def test_from_sklearn_input_size_mismatch_names_both_sizes():
    from sklearn.neural_network import MLPClassifier
    train, _ = split("iris")
    rng = np.random.default_rng(0)
    X = rng.random((40, 6))
    y = rng.choice(list(train.classes), 40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = MLPClassifier(hidden_layer_sizes=(2,), max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(rulex.NetworkError) as err:
        rulex.Network.from_sklearn(mlp, _encoder(train))
    msg = str(err.value)
    assert re.search(r"\b6\b", msg) and re.search(r"\b4\b", msg), msg


# -- from_torch --------------------------------------------------------------------------------------
def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


W1 = [[1.0, -1.0, 0.5, 0.0], [0.0, 2.0, -1.0, 1.0]]
B1 = [0.1, -0.2]
W2 = [[1.5, -2.0], [-1.0, 0.5], [0.25, 1.0]]
B2 = [0.0, 0.3, -0.4]


def _known_module():
    import torch
    import torch.nn as nn
    m = nn.Sequential(nn.Linear(4, 2), nn.Sigmoid(), nn.Linear(2, 3))
    with torch.no_grad():
        m[0].weight.copy_(torch.tensor(W1))
        m[0].bias.copy_(torch.tensor(B1))
        m[2].weight.copy_(torch.tensor(W2))
        m[2].bias.copy_(torch.tensor(B2))
    return m


def _by_hand(x):
    """Hidden activations and class probabilities of the known module, element by element."""
    h = [_sigmoid(sum(W1[j][i] * x[i] for i in range(4)) + B1[j]) for j in range(2)]
    z = [sum(W2[k][j] * h[j] for j in range(2)) + B2[k] for k in range(3)]
    e = [math.exp(v) for v in z]
    return h, [v / sum(e) for v in e]


def test_from_torch_activations_equal_hand_computed_values():
    train, _ = split("iris")
    enc = _encoder(train)
    net = rulex.Network.from_torch(_known_module(), enc)
    assert net.architecture == [4, 2, 3]
    assert [layer.activation for layer in net.layers] == ["sigmoid", "softmax"]
    X = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [0.5, 0.25, 0.0, 1.0], [0.1, 0.9, 0.3, 0.7]])
    hidden, proba = net.activations(X)
    # weights went through float32 in torch: compare with the float32-rounded constants' precision
    for row, x in enumerate(X):
        h, p = _by_hand(list(x))
        np.testing.assert_allclose(hidden[row], h, rtol=1e-6)
        np.testing.assert_allclose(proba[row], p, rtol=1e-6)
    np.testing.assert_allclose(net.predict_proba_encoded(X), proba)
    np.testing.assert_array_equal(net.predict_encoded(X), np.array(train.classes)[np.argmax(proba, axis=1)])


def test_from_torch_frame_input_matches_torch_forward():
    import torch
    train, test = split("iris")
    enc = _encoder(train)
    module = _known_module()
    net = rulex.Network.from_torch(module, enc)
    X = enc.transform(test.frame)
    with torch.no_grad():
        expected = torch.softmax(module(torch.tensor(X, dtype=torch.float32)), dim=1).numpy()
    np.testing.assert_allclose(net.predict_proba(test.frame), expected, rtol=1e-5, atol=1e-6)


def test_from_torch_binary_single_logit():
    import torch
    import torch.nn as nn
    train, test = split("breast_cancer")
    enc = _encoder(train)
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(30, 2), nn.Tanh(), nn.Linear(2, 1))
    net = rulex.Network.from_torch(module, enc)
    X = enc.transform(test.frame)
    with torch.no_grad():
        p1 = torch.sigmoid(module(torch.tensor(X, dtype=torch.float32)))[:, 0].numpy()
    proba = net.predict_proba(test.frame)
    assert proba.shape == (len(test), 2)
    np.testing.assert_allclose(proba[:, 1], p1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("bad", ["Conv1d", "BatchNorm1d", "LSTM"])
def test_from_torch_unsupported_module_is_named(bad):
    import torch.nn as nn
    train, _ = split("iris")
    layer = {"Conv1d": lambda: nn.Conv1d(1, 1, 1), "BatchNorm1d": lambda: nn.BatchNorm1d(4),
             "LSTM": lambda: nn.LSTM(4, 4)}[bad]()
    module = nn.Sequential(layer, nn.Linear(4, 2), nn.Sigmoid(), nn.Linear(2, 3))
    with pytest.raises(rulex.NetworkError, match=bad):
        rulex.Network.from_torch(module, _encoder(train))


def test_from_torch_rejects_a_non_sequential_model():
    import torch.nn as nn

    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 2)
            self.b = nn.Linear(2, 3)

        def forward(self, x):
            return self.b(self.a(x))

    train, _ = split("iris")
    with pytest.raises(rulex.NetworkError, match="Sequential"):
        rulex.Network.from_torch(Two(), _encoder(train))


def test_from_torch_input_size_mismatch_names_both_sizes():
    import torch.nn as nn
    train, _ = split("iris")
    module = nn.Sequential(nn.Linear(7, 2), nn.Sigmoid(), nn.Linear(2, 3))
    with pytest.raises(rulex.NetworkError) as err:
        rulex.Network.from_torch(module, _encoder(train))
    msg = str(err.value)
    assert re.search(r"\b7\b", msg) and re.search(r"\b4\b", msg), msg


def test_from_torch_output_size_mismatch_with_classes():
    import torch.nn as nn
    train, _ = split("iris")
    module = nn.Sequential(nn.Linear(4, 2), nn.Sigmoid(), nn.Linear(2, 5))
    with pytest.raises(rulex.NetworkError, match="5"):
        rulex.Network.from_torch(module, _encoder(train))


# -- from_skorch -------------------------------------------------------------------------------------
def _skorch_iris():
    import torch
    import torch.nn as nn
    from skorch import NeuralNetClassifier
    train, test = split("iris")
    enc = _encoder(train)
    X = enc.transform(train.frame).astype(np.float32)
    y = enc.encode_target(train.y).astype(np.int64)
    with one_torch_thread():
        torch.manual_seed(0)
        sk = NeuralNetClassifier(nn.Sequential(nn.Linear(4, 5), nn.Sigmoid(), nn.Linear(5, 3)),
                                 criterion=nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=0.05,
                                 max_epochs=15, batch_size=32, train_split=None, verbose=0, device="cpu")
        sk.fit(X, y)
    return sk, enc, train, test


def test_from_skorch_matches_skorch_predictions():
    sk, enc, train, test = _skorch_iris()
    net = rulex.Network.from_skorch(sk, enc)
    assert net.metadata.get("source") == "skorch"
    assert net.classes == train.classes
    for ds in (train, test):
        X = enc.transform(ds.frame).astype(np.float32)
        with one_torch_thread():
            sk_index = sk.predict(X)
            sk_proba = sk.predict_proba(X)
        np.testing.assert_array_equal(net.predict_index(ds.frame), sk_index)
        np.testing.assert_array_equal(net.predict(ds.frame), np.array(train.classes)[sk_index])
        np.testing.assert_allclose(net.predict_proba(ds.frame), sk_proba, rtol=1e-4, atol=1e-6)


def test_from_skorch_unfitted_net_raises_not_fitted():
    import torch.nn as nn
    from skorch import NeuralNetClassifier
    train, _ = split("iris")
    sk = NeuralNetClassifier(nn.Sequential(nn.Linear(4, 3)), criterion=nn.CrossEntropyLoss)
    with pytest.raises(rulex.NotFittedError):
        rulex.Network.from_skorch(sk, _encoder(train))


# -- the source model is never modified ----------------------------------------------------------
def test_sklearn_source_unchanged_by_adaptation_and_extraction():
    train, _ = split("iris")
    mlp, enc = _fit_mlp("classifier", train, hidden=(4,), max_iter=300)
    before = copy.deepcopy((mlp.coefs_, mlp.intercepts_, mlp.get_params()))
    net = rulex.Network.from_sklearn(mlp, enc)
    rulex.extract(net, train, method="surrogate_tree", random_state=0)
    after = (mlp.coefs_, mlp.intercepts_, mlp.get_params())
    for a, b in zip(before[0] + before[1], after[0] + after[1]):
        np.testing.assert_array_equal(a, b)
    assert before[2] == after[2]
    # the network holds its own read-only copy
    assert not net.layers[0].weights.flags.writeable
    mlp.coefs_[0][...] += 1.0
    assert not np.array_equal(net.layers[0].weights, mlp.coefs_[0].T)
    mlp.coefs_[0][...] -= 1.0


@pytest.mark.parametrize("training_mode", [True, False])
def test_torch_source_unchanged_by_adaptation_and_extraction(training_mode):
    train, _ = split("iris")
    module = _known_module()
    module.train(training_mode)
    state = torch_state(module)
    modes = [m.training for m in module.modules()]
    net = rulex.Network.from_torch(module, _encoder(train))
    assert same_torch_state(state, torch_state(module))
    assert [m.training for m in module.modules()] == modes
    rulex.extract(net, train, method="surrogate_tree", random_state=0)
    net.predict(train.frame)
    assert same_torch_state(state, torch_state(module))
    assert [m.training for m in module.modules()] == modes
    assert all(p.requires_grad for p in module.parameters())


def test_skorch_source_unchanged_by_adaptation_and_extraction():
    sk, enc, train, _ = _skorch_iris()
    state = torch_state(sk.module_)
    mode = sk.module_.training
    history = len(sk.history)
    net = rulex.Network.from_skorch(sk, enc)
    rulex.extract(net, train, method="surrogate_tree", random_state=0)
    assert same_torch_state(state, torch_state(sk.module_))
    assert sk.module_.training == mode
    assert len(sk.history) == history


# -- train_network ------------------------------------------------------------------------------------
def test_train_network_is_deterministic_under_random_state():
    train, _ = split("iris")
    a = rulex.train_network(train, (3,), "sigmoid", max_epochs=5, random_state=0)
    b = rulex.train_network(train, (3,), "sigmoid", max_epochs=5, random_state=0)
    c = rulex.train_network(train, (3,), "sigmoid", max_epochs=5, random_state=1)
    assert same_weights(weights_of(a), weights_of(b))
    assert a.fingerprint() == b.fingerprint()
    assert not same_weights(weights_of(a), weights_of(c))
    assert a.fingerprint() != c.fingerprint()


def test_train_network_result_shape_and_metadata():
    net, train, test = iris_net()
    assert net.task == "classification"
    assert net.architecture == [4, 4, 3]
    assert net.classes == train.classes
    assert net.metadata["random_state"] == 0 and net.metadata["hidden_layer_sizes"] == [4]
    assert net.metadata["data_fingerprint"] == train.fingerprint()
    assert set(net.predict(test.frame)) <= set(train.classes)
    assert np.mean(net.predict(test.frame) == test.y.to_numpy()) > 0.8


def test_regression_net_predicts_in_target_units():
    net, train, test = diabetes_net()
    assert net.task == "regression"
    y = train.y.to_numpy(dtype=float)
    pred = net.predict(test.frame)
    assert pred.shape == (len(test),)
    assert y.min() <= pred.mean() <= y.max()
    assert abs(pred.mean() - y.mean()) < y.std()          # not on the standardised scale
    assert pred.std() > 1.0


@pytest.mark.parametrize("bad", [dict(hidden_layer_sizes=(0,)), dict(hidden_layer_sizes="x"),
                                 dict(activation="softplus")])
def test_train_network_rejects_bad_arguments(bad):
    train, _ = split("iris")
    with pytest.raises(rulex.DataError):
        rulex.train_network(train, **bad, max_epochs=1)


# -- save / load ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", [iris_net, breast_cancer_net, diabetes_net])
def test_save_load_round_trip(tmp_path, which):
    net, _, test = which()
    path = tmp_path / "sub" / "model.rulex"
    assert net.save(path) == str(path)
    loaded = rulex.load_network(path)
    assert loaded.fingerprint() == net.fingerprint()
    assert loaded == net
    assert loaded.metadata == net.metadata
    assert loaded.task == net.task and loaded.classes == net.classes
    assert loaded.architecture == net.architecture
    assert loaded.encoder == net.encoder
    assert same_weights(weights_of(loaded), weights_of(net))
    np.testing.assert_array_equal(loaded.predict(test.frame), net.predict(test.frame))
    if net.task == "classification":
        np.testing.assert_array_equal(loaded.predict_proba(test.frame), net.predict_proba(test.frame))


def _rewrite_bundle(src, dst, meta=None, weights=None, drop=()):
    """Copy a bundle, replacing meta.json / weights.npz contents or dropping members."""
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    if meta is not None:
        members["meta.json"] = meta
    if weights is not None:
        members["weights.npz"] = weights
    with zipfile.ZipFile(dst, "w") as z:
        for n, data in members.items():
            if n not in drop:
                z.writestr(n, data)
    return dst


def _tampered_weights(path):
    with zipfile.ZipFile(path) as z:
        arrays = dict(np.load(io.BytesIO(z.read("weights.npz"))))
    arrays["W0"] = arrays["W0"] + 1e-3
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _meta(path):
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("meta.json"))


CORRUPTIONS = {
    "truncated": lambda good, p: p.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2]),
    "random_bytes": lambda good, p: p.write_bytes(np.random.default_rng(0).bytes(2048)),
    "empty": lambda good, p: p.write_bytes(b""),
    "json_file": lambda good, p: p.write_text(json.dumps({"format": "rulex.network", "version": 1})),
    "zip_without_meta": lambda good, p: _rewrite_bundle(good, p, drop=("meta.json",)),
    "zip_without_weights": lambda good, p: _rewrite_bundle(good, p, drop=("weights.npz",)),
    "meta_not_json": lambda good, p: _rewrite_bundle(good, p, meta=b"{not json"),
    "meta_is_a_list": lambda good, p: _rewrite_bundle(good, p, meta=b"[]"),
    "wrong_format": lambda good, p: _rewrite_bundle(
        good, p, meta=json.dumps({**_meta(good), "format": "something.else"}).encode()),
    "future_version": lambda good, p: _rewrite_bundle(
        good, p, meta=json.dumps({**_meta(good), "version": 99}).encode()),
    "meta_missing_layers": lambda good, p: _rewrite_bundle(
        good, p, meta=json.dumps({k: v for k, v in _meta(good).items() if k != "layers"}).encode()),
    "tampered_weights": lambda good, p: _rewrite_bundle(good, p, weights=_tampered_weights(good)),
    "tampered_activation": lambda good, p: _rewrite_bundle(good, p, meta=json.dumps(
        {**_meta(good), "layers": [{**l, "activation": "tanh"} for l in _meta(good)["layers"]]}).encode()),
    "weights_not_npz": lambda good, p: _rewrite_bundle(good, p, weights=b"garbage"),
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_load_corrupted_bundle_raises_format_error(tmp_path, kind):
    net, _, _ = iris_net()
    good = tmp_path / "good.rulex"
    net.save(good)
    bad = tmp_path / "bad.rulex"
    CORRUPTIONS[kind](good, bad)
    with pytest.raises(rulex.FormatError) as err:
        rulex.load_network(bad)
    assert "bad.rulex" in str(err.value)
    if kind.startswith("tampered"):
        assert "fingerprint" in str(err.value)


def test_load_missing_file_raises_format_error(tmp_path):
    with pytest.raises(rulex.FormatError, match="not found"):
        rulex.load_network(tmp_path / "nope.rulex")


def test_format_error_is_a_value_error():
    assert issubclass(rulex.FormatError, ValueError)
    assert issubclass(rulex.NetworkError, ValueError)


# -- import hygiene --------------------------------------------------------------------------------------
def test_import_rulex_does_not_import_torch():
    code = ("import rulex, sys; rulex.load_dataset('iris'); "
            "bad = [m for m in ('torch', 'skorch') if m in sys.modules]; "
            "assert not bad, bad")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_loading_a_bundle_does_not_import_torch(tmp_path):
    net, _, test = iris_net()
    path = net.save(tmp_path / "m.rulex")
    test.frame.to_csv(tmp_path / "t.csv", index=False)
    code = ("import sys, pandas as pd, rulex; "
            f"net = rulex.load_network({path!r}); net.predict(pd.read_csv({str(tmp_path / 't.csv')!r})); "
            "rulex.extract(net, rulex.load_dataset('iris'), method='surrogate_tree'); "
            "assert 'torch' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_predict_takes_the_users_values_as_an_array_a_series_or_a_dict():
    """An array of the user's values (schema order) is not mistaken for encoded inputs (iris: 4 and 4)."""
    train, test = split("iris")
    net = rulex.train_network(train, hidden_layer_sizes=(4,), random_state=0, max_epochs=30)
    frame = test.frame[net.schema.feature_names]
    expected = net.predict(frame)
    np.testing.assert_array_equal(net.predict(frame.to_numpy()), expected)
    np.testing.assert_array_equal(net.predict(frame.to_numpy().tolist()), expected)
    np.testing.assert_allclose(net.predict_proba(frame.to_numpy()), net.predict_proba(frame))
    assert net.predict(frame.iloc[3])[0] == expected[3]
    assert net.predict(frame.iloc[3].to_dict())[0] == expected[3]
    X = net.encoder.transform(frame)
    np.testing.assert_array_equal(net.predict_encoded(X), expected)


def test_predict_says_how_to_pass_encoded_inputs():
    ds = rulex.load_dataset("german_credit")
    train, _ = ds.split(test_size=0.3, random_state=0)
    net = rulex.train_network(train, hidden_layer_sizes=(4,), random_state=0, max_epochs=2)
    X = net.encoder.transform(train.frame.iloc[:5])
    with pytest.raises(rulex.DataError, match="predict_encoded"):
        net.predict(X)
    with pytest.raises(rulex.DataError, match="numeric matrix"):
        net.predict_encoded(train.frame.iloc[:5])


def test_a_boolean_feature_given_as_0_1_and_back_encodes_the_same():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"flag": rng.random(60) > 0.5, "dummy": rng.integers(0, 2, 60),
                          "x": rng.normal(size=60), "y": ["a", "b"] * 30})
    ds = rulex.Dataset.from_frame(frame, target="y")
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    swapped = frame.assign(flag=frame["flag"].astype(int), dummy=frame["dummy"].astype(bool))
    np.testing.assert_array_equal(enc.transform(swapped), enc.transform(frame))
    with pytest.raises(rulex.DataError, match="flag"):
        enc.transform(frame.assign(flag=frame["flag"].astype(int) * 2))
