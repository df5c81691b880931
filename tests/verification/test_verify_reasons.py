"""Sufficient reasons (deletion-based abductive explanations) and exact potential flips."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rulex
from rulex.verification import potential_flip, sufficient_reason
from _helpers.verification import domain_sample, mixed_data, random_net, two_unit


def test_paper_network_reasons():
    """Network of test_verify.two_unit: yes iff a > 0.6 and (b <= 0.5 or b < 2a - 0.7)."""
    net, ds = two_unit()
    r = sufficient_reason(net, pd.DataFrame({"a": [0.95], "b": [0.2]}), ds)
    assert r.features == ["a"] and r.proven and r.prediction == "yes"     # a = 0.95: yes for every b
    assert set(r.counterexamples) == {"a"}
    r = sufficient_reason(net, {"a": 0.3, "b": 0.9}, ds)
    assert r.features == ["a"] and r.prediction == "no"                   # a <= 0.6: no for every b
    r = sufficient_reason(net, pd.Series({"a": 0.7, "b": 0.3}), ds)
    assert r.features == ["a", "b"]                                       # b = 0.95 or a = 0.1 flips it
    for name, ce in r.counterexamples.items():
        other = "b" if name == "a" else "a"
        assert ce["row"][other] == {"a": 0.7, "b": 0.3}[other]
        assert ce["network_says"] == "no" == net.predict(pd.DataFrame([ce["row"]]))[0]
    f = potential_flip(net, {"a": 0.95, "b": 0.2}, "b")
    assert f.can_flip is False and f.proven
    f = potential_flip(net, {"a": 0.95, "b": 0.2}, "a")
    assert f.can_flip is True and f.row["b"] == 0.2 and net.predict(pd.DataFrame([f.row]))[0] == "no" == f.flipped_to


def linear_net(seed, n_features=5):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"x{i}": np.r_[0.0, 1.0, rng.uniform(0, 1, 18)] for i in range(n_features)})
    frame["y"] = rng.choice(["no", "yes"], len(frame))
    ds = rulex.Dataset.from_frame(frame, target="y")
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    w, b = rng.normal(size=n_features), rng.normal(scale=0.5)
    return rulex.Network([rulex.Layer([w], [b], "sigmoid")], enc, classes=("no", "yes")), ds, w, b


def entails(w, b, x, S, sign):
    """Exact test for a linear score on the unit box (§5): worst case of the free features."""
    s = sign * w
    worst = sign * b + sum(s[i] * x[i] if i in S else min(s[i] * 0.0, s[i] * 1.0) for i in range(len(w)))
    return worst > 0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_linear_scores_against_the_exact_oracle(seed):
    net, ds, w, b = linear_net(seed)
    x = np.random.default_rng(seed + 1).uniform(0, 1, len(w))
    row = pd.DataFrame([{f"x{i}": x[i] for i in range(len(w))}])
    r = sufficient_reason(net, row, ds, max_seconds=10)
    sign = 1.0 if r.prediction == "yes" else -1.0
    if sign * (w @ x + b) <= 1e-5:
        return                                  # a near tie: nothing is provable
    S = {int(n[1:]) for n in r.features}
    assert r.proven
    assert entails(w, b, x, S, sign)
    for i in S:                                  # subset-minimal
        assert not entails(w, b, x, S - {i}, sign)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), act=st.sampled_from(["relu", "sigmoid", "tanh"]))
def test_reasons_hold_and_are_minimal_on_random_networks(seed, act):
    ds = mixed_data(seed % 7)
    net = random_net(ds, act, seed, hidden=(4,))
    rng = np.random.default_rng(seed)
    row = ds.X.iloc[[seed % len(ds)]].reset_index(drop=True)
    r = sufficient_reason(net, row, ds, max_seconds=8)
    c = net.predict(row)[0]
    assert r.prediction == c
    # the reason holds on 20,000 random rows that agree with it
    frame = domain_sample(ds, net, 20000, rng)
    for name in r.features:
        frame[name] = row[name].iloc[0]
    if r.proven:
        assert (net.predict(frame) == c).all()
    # every kept feature has a counterexample that agrees with the row on the other kept features
    for name in r.features:
        if name in r.undecided:
            continue
        ce = pd.DataFrame([r.counterexamples[name]["row"]])
        for other in r.features:
            if other != name:
                assert ce[other].iloc[0] == row[other].iloc[0]
        assert net.predict(ce)[0] != c


def test_potential_flip_agrees_with_a_grid():
    ds = mixed_data(1)
    for act in ("relu", "tanh"):
        net = random_net(ds, act, 5, hidden=(4,))
        row = ds.X.iloc[[0]].reset_index(drop=True)
        c = net.predict(row)[0]
        grid = pd.concat([row] * 2001, ignore_index=True)
        grid["x"] = np.linspace(net.encoder.lower_["x"], net.encoder.upper_["x"], 2001)
        flips_on_grid = (net.predict(grid) != c).any()
        f = potential_flip(net, row, "x", max_seconds=10)
        if flips_on_grid:
            assert f.can_flip is True
        if f.can_flip:
            assert net.predict(pd.DataFrame([f.row]))[0] != c
            assert {k: v for k, v in f.row.items() if k != "x"} == {k: row[k].iloc[0] for k in row if k != "x"}
        cats = potential_flip(net, row, "c", max_seconds=10)
        others = [net.predict(row.assign(c=v))[0] for v in ("r", "g", "b")]
        assert cats.can_flip is any(o != c for o in others)


def test_reason_errors():
    net, ds = two_unit()
    with pytest.raises(rulex.DataError, match="one-row"):
        sufficient_reason(net, ds.X, ds)
    with pytest.raises(rulex.DataError, match="order"):
        sufficient_reason(net, ds.X.iloc[[0]], ds, order=["a"])
    with pytest.raises(rulex.DataError, match="not a feature"):
        potential_flip(net, ds.X.iloc[[0]], "zzz")
    with pytest.raises(rulex.DataError, match="max_seconds"):
        sufficient_reason(net, ds.X.iloc[[0]], ds, max_seconds=-1)
