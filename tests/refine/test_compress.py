"""rulex.compress: never loses more fidelity than its tolerance, on any rule set and any extractor's output."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from _helpers.nets import SWEEP_PARAMS, breast_cancer_net, iris_net

import rulex
from rulex.extractors.compression import compression_sample

N = 600   # sampler points: small keeps the property test fast


def _fid(rules, frame, y):
    return float(np.mean(rules.predict(frame) == y))


def _check(rules, net, train, tolerance, n=N):
    small = rulex.compress(rules, net, train, tolerance=tolerance, random_state=0, n_samples=n)
    frame, y = compression_sample(net, train, n, 0)
    assert _fid(small, frame, y) >= _fid(rules, frame, y) - tolerance - 1e-12
    assert small.conditions_count() <= rules.conditions_count()
    assert len(small) <= len(rules)
    rec = small.provenance["compression"]
    assert rec["fidelity_after"] >= rec["fidelity_before"] - tolerance - 1e-6
    return small


@st.composite
def random_rules(draw):
    net, train, _ = iris_net()
    feats = net.schema.feature_names
    frame = train.frame
    rules = []
    for _ in range(draw(st.integers(1, 6))):
        conds = []
        for _ in range(draw(st.integers(0, 4))):
            f = draw(st.sampled_from(feats))
            v = float(frame[f].iloc[draw(st.integers(0, len(frame) - 1))])
            conds.append(rulex.Condition(f, draw(st.sampled_from(["<=", ">"])), v))
        if draw(st.booleans()) and len(conds) >= 2:
            conds = [rulex.MofN(draw(st.integers(1, len(conds))), tuple(conds))]
        rules.append(rulex.Rule(conds, draw(st.sampled_from(net.classes)), weight=draw(st.sampled_from([0.5, 1.0, 2.0]))))
    semantics = draw(st.sampled_from(["ordered", "unordered"]))
    return rulex.RuleSet(rules, draw(st.sampled_from(net.classes)), semantics=semantics, classes=net.classes,
                         schema=net.schema, target=net.schema.target)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=random_rules(), tolerance=st.sampled_from([0.0, 0.01, 0.05]))
def test_never_loses_more_than_the_tolerance_on_random_rule_sets(rules, tolerance):
    net, train, _ = iris_net()
    _check(rules, net, train, tolerance)


@pytest.mark.parametrize("method", sorted(m for m, i in rulex.available_methods().items()))
def test_never_loses_more_than_the_tolerance_on_every_extractor(method):
    net, train, _ = iris_net()
    cls = rulex.extractors.EXTRACTORS[method]
    accepted = cls().get_params()
    params = {k: v for k, v in {**SWEEP_PARAMS, "on_budget": "partial"}.items() if k in accepted}
    rules = rulex.extract(net, train, method=method, random_state=0, **params)
    for tol in (0.0, 0.02):
        _check(rules, net, train, tol)


@pytest.mark.parametrize("method", ["cred", "trepan"])
def test_shrinks_large_rule_sets_on_breast_cancer(method):
    net, train, _test = breast_cancer_net()
    cls = rulex.extractors.EXTRACTORS[method]
    params = {k: v for k, v in SWEEP_PARAMS.items() if k in cls().get_params()}
    rules = rulex.extract(net, train, method=method, random_state=0, **params)
    small = _check(rules, net, train, 0.0, n=2000)     # halves of 1000 sampler points each
    assert small.conditions_count() < rules.conditions_count()


def test_compress_option_of_every_extractor_and_errors():
    net, train, _test = iris_net()
    plain = rulex.extract(net, train, method="surrogate_tree", random_state=0)
    small = rulex.extract(net, train, method="surrogate_tree", random_state=0, compress=0.01)
    assert small.provenance["compression"]["tolerance"] == 0.01
    assert small.conditions_count() <= plain.conditions_count()
    assert small.provenance["method"] == "surrogate_tree"
    with pytest.raises(rulex.DataError, match="compress"):
        rulex.extract(net, train, method="surrogate_tree", compress=2.0)
    with pytest.raises(rulex.DataError, match="tolerance"):
        rulex.compress(plain, net, train, tolerance=-0.1)
    with pytest.raises(rulex.NetworkError):
        rulex.compress(plain, "net", train)
    # the input rule set is not modified
    before = plain.to_dict()
    rulex.compress(plain, net, train)
    assert plain.to_dict() == before
