"""Linear conclusions: their semantics, decoding to original units, and ANN-DT's linear leaves."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import rulex
from rulex import DataError, Feature, LinearModel, LinearTerm, Rule, RuleError, RuleSet, Schema
from rulex.schema import Encoder
from rulex.decoding import decode_conclusion


def test_evaluation_order_and_missing_values():
    m = LinearModel(0.1, [LinearTerm("z", 2.0, "a"), LinearTerm("x", 0.2), LinearTerm("k", -3.0)])
    # numeric terms first (PMML's order), then indicators, each group in the given order
    assert [t.feature for t in m.terms] == ["x", "k", "z"]
    frame = pd.DataFrame({"x": [1.0, np.nan, 0.3], "k": [1, 2, 3], "z": ["a", "b", None]})
    got = m.predict(frame)
    assert got[0] == ((0.1 + 0.2 * 1.0) + -3.0 * 1.0) + 2.0 * 1.0
    assert np.isnan(got[1])                                       # missing numeric: missing prediction
    assert got[2] == ((0.1 + 0.2 * 0.3) + -3.0 * 3.0) + 2.0 * 0.0  # missing category: indicator 0
    assert str(m) == '0.1 + 0.2 * x - 3 * k + 2 * [z == "a"]'


@pytest.mark.parametrize("bad, match", [
    (lambda: LinearModel(float("nan")), "intercept must be finite"),
    (lambda: LinearModel(0, [LinearTerm("x", float("inf"))]), "coefficient must be finite"),
    (lambda: LinearModel(0, [LinearTerm("x", 1.0), LinearTerm("x", 2.0)]), "twice"),
    (lambda: LinearModel("a"), "must be a number"),
    (lambda: RuleSet([Rule([], LinearModel(1.0))], "yes", classes=("yes", "no")), "regression"),
    (lambda: RuleSet([], "high", task="regression"), "a number or a LinearModel"),
])
def test_bad_linear_models_are_refused(bad, match):
    with pytest.raises(RuleError, match=match):
        bad()


def test_rule_sets_with_linear_conclusions_round_trip_and_predict():
    schema = Schema((Feature("x", "numeric"), Feature("z", "categorical", categories=("a", "b"))),
                    target="y", task="regression")
    lin = LinearModel(1.0, [LinearTerm("x", 2.0), LinearTerm("z", 5.0, "b")])
    rules = RuleSet([Rule([rulex.Condition("x", ">", 1.0)], lin)], LinearModel(-1.0, [LinearTerm("x", 1.0)]),
                    task="regression", schema=schema, target="y")
    assert rules.is_linear and rules.terms_count() == 3 and rules.features_used() == ["x", "z"]
    frame = pd.DataFrame({"x": [2.0, 0.5], "z": ["b", "a"]})
    assert rules.predict(frame).tolist() == [1.0 + 2.0 * 2.0 + 5.0, -1.0 + 0.5]
    back = RuleSet.from_dict(json.loads(json.dumps(rules.to_dict())))
    assert back == rules
    assert "THEN y = 1 + 2 * x + 5 * [z == \"b\"]" in rules.to_string()
    assert rules.explain(frame)["prediction"].tolist() == rules.predict(frame).tolist()


def test_decode_conclusion_matches_the_encoded_model():
    schema = Schema((Feature("age", "integer"), Feature("income", "numeric"),
                     Feature("job", "categorical", categories=("a", "b", "c")),
                     Feature("owner", "binary", categories=("no", "yes")),
                     Feature("size", "ordinal", categories=("S", "M", "L"))), target="y", task="regression")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(18, 90, 200), "income": rng.normal(5e4, 2e4, 200),
                          "job": rng.choice(["a", "b", "c"], 200), "owner": rng.choice(["no", "yes"], 200),
                          "size": rng.choice(["S", "M", "L"], 200)})
    enc = Encoder(schema).fit(frame)
    coefs = rng.normal(size=enc.n_inputs)
    encoded = LinearModel(3.5, [LinearTerm(n, c) for n, c in zip(enc.input_names_, coefs)])
    decoded = decode_conclusion(enc, encoded)
    assert set(decoded.features) == {"age", "income", "job", "owner", "size"}
    assert all(t.category is None for t in decoded.terms if t.feature in ("age", "income"))
    expected = 3.5 + enc.transform(frame) @ coefs
    np.testing.assert_allclose(decoded.predict(frame), expected, rtol=1e-12, atol=1e-9)
    # constants pass through; a term on an unknown input is an error
    assert decode_conclusion(enc, 2.5) == 2.5
    with pytest.raises(RuleError, match="not a network input"):
        decode_conclusion(enc, LinearModel(0.0, [LinearTerm("nope", 1.0)]))


@pytest.fixture(scope="module")
def diabetes_net():
    from _helpers.nets import diabetes_net
    return diabetes_net()


def test_anndt_linear_leaves_beat_constant_leaves(diabetes_net):
    net, train, test = diabetes_net
    lin = rulex.extract(net, train, "anndt", leaf_model="linear", max_leaf_nodes=4, random_state=0)
    const = rulex.extract(net, train, "anndt", max_leaf_nodes=32, random_state=0)
    r_lin, r_const = rulex.evaluate(lin, net, test), rulex.evaluate(const, net, test)
    assert lin.space == "original" and lin.is_linear and len(lin) + 1 <= 4
    assert r_lin.fidelity >= 0.9 and r_lin.fidelity > r_const.fidelity
    assert r_lin.n_terms == lin.terms_count() > 0
    # the tree's own prediction (encoded space) and the decoded rules agree up to rounding
    ex = rulex.get_extractor("anndt", leaf_model="linear", max_leaf_nodes=4, random_state=0).fit(net, train)
    np.testing.assert_allclose(ex.rules_.predict(test.X), ex.tree_.predict(net.encoder.transform(test.X)),
                               rtol=1e-9, atol=1e-9)
    again = rulex.extract(net, train, "anndt", leaf_model="linear", max_leaf_nodes=4, random_state=0)
    assert again.rules == lin.rules and again.default == lin.default


def test_anndt_term_threshold_trims_terms(diabetes_net):
    net, train, _ = diabetes_net
    many = rulex.extract(net, train, "anndt", leaf_model="linear", max_leaf_nodes=2, term_threshold=0.0,
                         random_state=0)
    few = rulex.extract(net, train, "anndt", leaf_model="linear", max_leaf_nodes=2, term_threshold=0.2,
                        random_state=0)
    assert few.terms_count() < many.terms_count()


def test_linear_leaves_need_a_regression_network():
    from _helpers.nets import iris_net
    net, train, _ = iris_net()
    with pytest.raises(DataError, match="leaf_model='linear' is for regression"):
        rulex.extract(net, train, "anndt", leaf_model="linear")
