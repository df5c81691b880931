"""rulex.audit and rulex.diff: every pair they report is real, proofs hold where the answer is known on paper."""
from __future__ import annotations

import functools
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.neural_network import MLPClassifier

import rulex
from rulex.audit.product import Copy, build_product, disagreement_pairs, same_copy

ACTS = {"relu": "relu", "sigmoid": "logistic", "tanh": "tanh"}


def credit_frame(n=500, seed=0, label="fair"):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"income": rng.uniform(0, 100, n).round(2), "debt": rng.uniform(0, 1, n).round(3),
                       "sex": rng.choice(["f", "m"], n), "age": rng.integers(18, 80, n)})
    ok = (df.income > 50) & (df.debt < 0.6)
    if label == "biased":
        ok = ok | ((df.sex == "m") & (df.income > 25))
    elif label == "band":
        ok = (df.income > 40) & (df.income < 70)
    df["y"] = np.where(ok, "yes", "no")
    return rulex.Dataset.from_frame(df, "y")


@functools.lru_cache(maxsize=None)
def net_of(label="fair", act="relu", hidden=(8,), seed=0):
    ds = credit_frame(label=label)
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    mlp = MLPClassifier(hidden, activation=ACTS[act], max_iter=600, random_state=seed, learning_rate_init=0.01)
    mlp.fit(enc.transform(ds.frame), ds.y)
    return rulex.Network.from_sklearn(mlp, enc), ds


def with_layer0(net, W, b=None):
    first = net.layers[0]
    layer = rulex.Layer(W, first.bias if b is None else b, first.activation)
    return rulex.Network([layer, *net.layers[1:]], net.encoder, classes=net.classes)


def zeroed(net, features):
    W = net.layers[0].weights.copy()
    for f in features:
        W[:, net.encoder.groups_[f]] = 0.0
    return with_layer0(net, W)


def check_protected_pairs(net, result):
    for c in result.counterexamples:
        x, xp = pd.DataFrame([c["x"]]), pd.DataFrame([c["x_prime"]])
        assert net.predict(x)[0] == c["class"] and net.predict(xp)[0] == c["class_prime"]
        assert c["class"] != c["class_prime"]
        changed = [k for k in c["x"] if c["x"][k] != c["x_prime"][k]]
        assert changed == [c["feature"]]


def check_monotone_pair(net, row):
    c = row["counterexample"]
    f = row["feature"]
    x, xp = pd.DataFrame([c["x"]]), pd.DataFrame([c["x_prime"]])
    order = list(net.classes)
    assert [k for k in c["x"] if c["x"][k] != c["x_prime"][k]] == [f]
    assert (xp[f][0] > x[f][0]) if row["direction"] == "increasing" else (xp[f][0] < x[f][0])
    assert order.index(net.predict(xp)[0]) < order.index(net.predict(x)[0])


@pytest.mark.parametrize("act", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("radius", [None, 0.05])
def test_every_pair_is_real(act, radius):
    net, ds = net_of("biased", act)
    res = rulex.audit(net, ds.frame.iloc[:40], protected=["sex", "age"],
                      monotone={"income": "increasing", "debt": "increasing"}, radius=radius, max_seconds=8)
    sex = res.protected[0]
    assert sex["status"] == "depends" and sex["flip_rate"] > 0
    assert res.counterexamples
    check_protected_pairs(net, res)
    for row in res.monotone:
        if row["status"] == "violated":
            check_monotone_pair(net, row)
    debt = res.monotone[1]
    assert debt["status"] == "violated"          # more debt turns approvals down


def test_product_scores_say_where_copies_disagree():
    net, ds = net_of("biased", "relu")
    enc = net.encoder
    n = enc.n_inputs
    cols = enc.groups_["sex"]
    A = np.eye(n)
    A[:, cols] = 0.0
    a0, b0 = np.zeros(n), np.zeros(n)
    codes = enc.category_codes(net.schema["sex"])
    a0[cols], b0[cols] = codes[0], codes[1]
    product = build_product([Copy(net, A, a0), Copy(net, A, b0)], disagreement_pairs(2))
    X = np.random.default_rng(1).uniform(0, 1, (2000, n))
    ya, yb = net.predict_index(X @ A.T + a0), net.predict_index(X @ A.T + b0)
    scores = product.scores(X)
    clear = np.abs(scores).min(axis=1) > 1e-9
    assert ((scores >= 0).any(axis=1) == (ya != yb))[clear].all()
    assert (ya != yb).any() and (ya == yb).any()


@pytest.mark.parametrize("radius", [None, 0.1])
def test_zero_protected_weights_are_proven_independent(radius):
    net, ds = net_of("biased", "relu")
    fair = zeroed(net, ["sex", "age"])
    res = rulex.audit(fair, ds.frame.iloc[:30], protected=["sex", "age"], radius=radius, max_seconds=10)
    assert [r["status"] for r in res.protected] == ["proven independent"] * 2
    assert all(r["flip_rate"] == 0 for r in res.protected) and not res.counterexamples


def test_dead_unit_on_the_protected_input_is_proven_through_the_product():
    """The protected input feeds only a unit that never fires: the copies differ in their weights, the
    verifier (CROWN, then the exact MILP for ReLU) proves they never disagree."""
    net, ds = net_of("fair", "relu")
    net = zeroed(net, ["sex"])
    W, b = net.layers[0].weights.copy(), net.layers[0].bias.copy()
    W[0, :] = 0.0
    W[0, net.encoder.groups_["sex"]] = 1.0
    b[0] = -50.0
    dead = with_layer0(net, W, b)
    res = rulex.audit(dead, ds.frame.iloc[:20], protected=["sex"], max_seconds=10)
    row = res.protected[0]
    assert row["status"] == "proven independent"
    assert "identical copies" not in row["engine"]


def test_biased_label_is_found_dependent_by_the_verifier_too():
    net, ds = net_of("biased", "relu")
    # rows where no flip shows on the data itself: the verifier must find one in the domain
    frame = ds.frame.copy()
    m = frame.copy()
    m["sex"] = np.where(frame.sex == "f", "m", "f")
    calm = ds.frame[net.predict(frame) == net.predict(m)].iloc[:20]
    res = rulex.audit(net, calm, protected=["sex"], max_seconds=10)
    assert res.protected[0]["status"] == "depends" and res.protected[0]["flip_rate"] == 0
    assert [c["source"] for c in res.counterexamples] == ["verifier"]
    check_protected_pairs(net, res)


def test_no_weight_means_monotone_and_nonnegative_paths_are_proven():
    net, ds = net_of("fair", "relu")
    res = rulex.audit(zeroed(net, ["age"]), ds, monotone={"age": "increasing"}, max_seconds=5)
    assert res.monotone[0]["status"] == "proven"
    # every path from income to the output is non-negative: the logit never falls as income rises
    W1 = net.layers[0].weights.copy()
    col = net.encoder.groups_["income"][0]
    W1[:, col] = np.abs(W1[:, col])
    out = net.layers[-1]
    mono = rulex.Network([rulex.Layer(W1, net.layers[0].bias, "relu"),
                          rulex.Layer(np.abs(out.weights), out.bias, out.activation)], net.encoder, classes=net.classes)
    res = rulex.audit(mono, ds, monotone={"income": "increasing"}, max_seconds=10)
    assert res.monotone[0]["status"] == "proven"
    assert res.monotone[0]["engine"] != "zero weights"


@pytest.mark.parametrize("direction", ["increasing", "decreasing"])
def test_banded_concept_is_violated(direction):
    net, ds = net_of("band", "relu", (16,))
    res = rulex.audit(net, ds, monotone={"income": direction}, max_seconds=5)
    row = res.monotone[0]
    assert row["status"] == "violated"
    check_monotone_pair(net, row)


def test_numeric_protected_with_bands():
    net, ds = net_of("biased", "sigmoid")
    res = rulex.audit(net, ds.frame.iloc[:50], protected={"age": [30, 50]}, max_seconds=5)
    row = res.protected[0]
    assert row["bands"] == [30.0, 50.0] and row["status"] in ("depends", "proven independent", "unknown")
    check_protected_pairs(net, res)
    for c in res.counterexamples:
        band = [0 if v < 30 else (1 if v < 50 else 2) for v in (c["x"]["age"], c["x_prime"]["age"])]
        assert band[0] != band[1]


def test_rules_describe_the_flips():
    net, ds = net_of("biased", "relu")
    res = rulex.audit(net, ds, protected=["sex"], max_seconds=5)
    rules = res.rules["sex"]
    m = ds.frame.copy()
    m["sex"] = np.where(ds.frame.sex == "f", "m", "f")
    flips = np.where(net.predict(ds.frame) != net.predict(m), "flip", "no flip")
    assert (rules.predict(ds.frame) == flips).mean() >= 0.9
    assert res.protected[0]["flip_rate"] == pytest.approx((flips == "flip").mean())


def test_diff_of_a_network_with_itself_is_proven_equal():
    net, ds = net_of("fair", "sigmoid")
    d = rulex.diff(net, net, ds, max_seconds=5)
    assert d.status == "proven equal" and d.disagreement == 0 and not d.counterexamples


@pytest.mark.parametrize("act", ["relu", "tanh"])
def test_diff_of_two_seeds(act):
    a, ds = net_of("fair", act, (8,), 0)
    b, _ = net_of("fair", act, (8,), 3)
    train, test = ds.split(random_state=0)
    d = rulex.diff(a, b, train, max_seconds=8)
    wrong = a.predict(train.frame) != b.predict(train.frame)
    assert d.disagreement == pytest.approx(wrong.mean()) and d.disagreeing_rows == wrong.sum()
    held = np.where(a.predict(test.frame) != b.predict(test.frame), "differ", "agree")
    assert (d.rules.predict(test.frame) == held).mean() >= 0.9
    for c in d.counterexamples:
        x = pd.DataFrame([c["x"]])
        assert a.predict(x)[0] == c["class_a"] != c["class_b"] == b.predict(x)[0]
    if d.status == "differ":
        assert d.counterexamples
    assert sum(r["support"] for r in d.rule_table) == len(train)


def test_budget_is_kept_and_unknown_said():
    net, ds = net_of("biased", "sigmoid", (64, 64))
    t = time.monotonic()
    res = rulex.audit(net, ds, protected=["age"], monotone={"income": "increasing"}, radius=0.3, max_seconds=2.0)
    assert time.monotonic() - t <= 2.2
    assert res.seconds <= 2.2
    assert {r["status"] for r in res.protected} <= {"depends", "unknown"}
    b, _ = net_of("biased", "sigmoid", (64, 64), 1)
    t = time.monotonic()
    d = rulex.diff(net, b, ds.frame.iloc[:200], radius=0.5, max_seconds=1.0)
    assert time.monotonic() - t <= 1.1 and d.status in ("differ", "unknown")


def test_json_is_versioned_and_lossless():
    net, ds = net_of("biased", "relu")
    res = rulex.audit(net, ds.frame.iloc[:60], protected={"sex": None, "age": [40]},
                      monotone={"debt": "decreasing"}, radius=0.05, max_seconds=5)
    back = rulex.Audit.from_json(res.to_json())
    assert back.to_dict() == res.to_dict() and back.rules["sex"] == res.rules["sex"]
    assert res.to_dict()["format"] == "rulex.audit" and res.to_dict()["version"] == 1
    b, _ = net_of("biased", "relu", (8,), 1)
    d = rulex.diff(net, b, ds, max_seconds=5)
    back = rulex.Diff.from_json(d.to_json())
    assert back.to_dict() == d.to_dict() and back.rules == d.rules
    with pytest.raises(rulex.FormatError, match="rulex.audit"):
        rulex.Audit.from_json(d.to_json())


@pytest.mark.parametrize("kwargs, match", [
    ({"protected": ["gender"]}, "gender"),
    ({"monotone": {"salary": "increasing"}}, "salary"),
    ({"monotone": {"income": "up"}}, "'up'"),
    ({"monotone": {"sex": "increasing"}}, "sex"),
    ({"protected": ["sex"], "radius": 0}, "radius"),
    ({"protected": ["sex"], "radius": 1.5}, "radius"),
    ({"protected": {"age": [200]}}, "age"),
    ({"protected": ["sex"], "max_counterexamples": -1}, "max_counterexamples"),
    ({"protected": ["sex"], "max_seconds": 0}, "max_seconds"),
    ({"protected": ["sex"], "method": "cred"}, "pedagogical"),
])
def test_bad_input_is_one_clear_error(kwargs, match):
    net, ds = net_of("fair", "relu")
    with pytest.raises(rulex.DataError, match=match) as info:
        rulex.audit(net, ds, **kwargs)
    assert "\n" not in str(info.value)


def test_diff_refuses_different_schemas():
    net, ds = net_of("fair", "relu")
    other = ds.frame.drop(columns=["age"])
    ds2 = rulex.Dataset.from_frame(other, "y")
    enc = rulex.Encoder(ds2.schema).fit(other)
    mlp = MLPClassifier((4,), max_iter=50, random_state=0).fit(enc.transform(other), ds2.y)
    with pytest.raises(rulex.DataError, match=r"\['age'\] only in network_a"):
        rulex.diff(net, rulex.Network.from_sklearn(mlp, enc), ds)
    with pytest.raises(rulex.DataError, match="radius"):
        rulex.diff(net, net, ds, radius=-1)


def test_multiclass_product_and_diff():
    ds = rulex.load_dataset("iris")
    a = rulex.train_network(ds, (4,), "relu", max_epochs=30, random_state=0)
    b = rulex.train_network(ds, (4,), "relu", max_epochs=30, random_state=1)
    d = rulex.diff(a, b, ds, radius=0.02, max_seconds=5)
    wrong = a.predict(ds.frame) != b.predict(ds.frame)
    assert d.disagreement == pytest.approx(wrong.mean())
    if wrong.any():
        assert d.status == "differ"
    res = rulex.audit(a, ds, monotone={"petal length (cm)": "increasing"}, max_seconds=5)
    if res.monotone[0]["status"] == "violated":
        check_monotone_pair(a, res.monotone[0])
    assert same_copy(a, a.encoder.n_inputs).A.shape == (a.encoder.n_inputs, a.encoder.n_inputs)


@pytest.mark.parametrize("act", ["relu", "sigmoid"])
def test_rows_proven_at_a_radius_hold_on_samples(act):
    """Every row proven at the radius: no sampled point of its box flips when sex changes."""
    net, ds = net_of("biased", act, (16, 16))
    frame = ds.frame.iloc[:40].reset_index(drop=True)
    r = 0.05
    res = rulex.audit(net, frame, protected=["sex"], radius=r, max_seconds=20)
    status = res.protected[0]["row_status"]
    assert status.count("proven") == res.protected[0]["rows_proven"] > 0
    rng = np.random.default_rng(0)
    lo, hi = net.encoder.lower_, net.encoder.upper_
    for i in [i for i, s in enumerate(status) if s == "proven"]:
        pts = pd.DataFrame({c: [frame.loc[i, c]] * 300 for c in ["sex", "age", "income", "debt"]})
        for c in ("income", "debt", "age"):
            w = r * (hi[c] - lo[c])
            v = rng.uniform(max(lo[c], frame.loc[i, c] - w), min(hi[c], frame.loc[i, c] + w), 300)
            pts[c] = np.round(v).astype(int) if c == "age" else v
        other = pts.assign(sex=np.where(pts.sex == "f", "m", "f"))
        assert (net.predict(pts) == net.predict(other)).all()


def test_a_logit_that_moves_with_sex_but_never_flips_is_proven_by_the_bounds():
    net, ds = net_of("biased", "relu")
    out = net.layers[-1]
    shifted = rulex.Network([*net.layers[:-1], rulex.Layer(out.weights, out.bias + 1000.0, out.activation)],
                            net.encoder, classes=net.classes)
    res = rulex.audit(shifted, ds.frame.iloc[:30], protected=["sex", "age"], max_seconds=10)
    assert [r["status"] for r in res.protected] == ["proven independent"] * 2
    assert all(r["engine"] in ("crown", "milp", "crown, milp") for r in res.protected)


def test_multiclass_monotone_proofs_hold_on_samples():
    """Proven for a three-class net means no sampled point's class index falls as the feature rises."""
    ds = rulex.load_dataset("iris")
    net = rulex.train_network(ds, (6,), "relu", max_epochs=40, random_state=0)
    names = ds.schema.feature_names
    res = rulex.audit(net, ds, monotone={c: "increasing" for c in names}, max_seconds=10)
    statuses = {r["feature"]: r["status"] for r in res.monotone}
    assert "proven" in statuses.values() and "violated" in statuses.values()
    enc = net.encoder
    rng = np.random.default_rng(1)
    X = pd.DataFrame({c: rng.uniform(enc.lower_[c], enc.upper_[c], 2000) for c in names})
    for r in res.monotone:
        f = r["feature"]
        Y = np.stack([net.predict_index(X.assign(**{f: v})) for v in np.linspace(enc.lower_[f], enc.upper_[f], 25)],
                     axis=1)
        sampled_violation = (Y < np.maximum.accumulate(Y, axis=1)).any()
        assert not (r["status"] == "proven" and sampled_violation)
        if r["status"] == "violated":
            check_monotone_pair(net, r)
