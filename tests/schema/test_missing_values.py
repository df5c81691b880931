"""Missing values: imputation plus a missingness input per feature, rules that test `is missing`,
exact decoding, every extractor and every export on data with holes."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rulex
from rulex import Encoder
from rulex.decoding import decode_rules
from _helpers.encoded import _SETTINGS, _check_decoding, _frame, encoded_rulesets, mixed_schemas
from _helpers.exports import _check_formats


def _holes(draw, frame: pd.DataFrame, share: float) -> pd.DataFrame:
    """The frame with some values of some columns missing (at least one column keeps them all)."""
    out = frame.copy()
    cols = list(frame.columns)
    keep = draw(st.sampled_from(cols))
    for c in cols:
        if c == keep or not draw(st.booleans()):
            continue
        mask = np.array(draw(st.lists(st.booleans(), min_size=len(frame), max_size=len(frame))))
        mask &= np.arange(len(frame)) % 3 != 0          # every column keeps some values
        if mask.any():
            out[c] = out[c].astype(object).where(~mask, None)
            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]):
                out[c] = pd.to_numeric(out[c]).astype(float)
    return out


@st.composite
def missing_decoding_cases(draw, mofn: bool = False):
    schema = draw(mixed_schemas())
    fit = _holes(draw, _frame(draw, schema, draw(st.integers(3, 25)), wide=False), 0.3)
    enc = Encoder(schema, missing="impute").fit(fit)
    # fresh rows miss values only where the training rows did (elsewhere the encoder refuses them)
    fresh = _frame(draw, schema, draw(st.integers(1, 15)), wide=True)
    for name in enc.fill_:
        mask = np.array(draw(st.lists(st.booleans(), min_size=len(fresh), max_size=len(fresh))))
        fresh[name] = fresh[name].astype(object).where(~mask, None)
    X = np.vstack([enc.transform(fit), enc.transform(fresh)])
    rs = draw(encoded_rulesets(enc.input_names_, X, mofn))
    return enc, fit, fresh, rs


@_SETTINGS
@given(missing_decoding_cases())
def test_decoding_is_exact_with_missing_values(case):
    enc, fit, fresh, rs = case
    with np.errstate(over="ignore", invalid="ignore"):
        _check_decoding(enc, fit, rs)
        _check_decoding(enc, fresh, rs)


@_SETTINGS
@given(missing_decoding_cases(mofn=True))
def test_decoding_is_exact_with_missing_values_and_m_of_n_tests(case):
    enc, fit, fresh, rs = case
    with np.errstate(over="ignore", invalid="ignore"):
        _check_decoding(enc, fit, rs)
        _check_decoding(enc, fresh, rs)


def _credit(n=600, seed=0):
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 15, n)
    job = rng.choice(["clerk", "nurse", "driver"], n)
    y = np.where((income > 55) | (job == "nurse"), "yes", "no")
    income_seen = np.where(rng.random(n) < 0.1, np.nan, income)
    job_seen = pd.Series(job, dtype=object).where(rng.random(n) >= 0.05, None)
    y = np.where(np.isnan(income_seen), "yes", y)              # missingness itself matters
    return pd.DataFrame({"income": income_seen, "job": job_seen, "age": rng.integers(18, 70, n), "y": y})


@pytest.fixture(scope="module")
def credit():
    train, test = rulex.Dataset.from_frame(_credit(), target="y").split(test_size=0.3, random_state=0)
    net = rulex.train_network(train, hidden_layer_sizes=(8,), max_epochs=60, random_state=0, missing="impute")
    return net, train, test


def test_the_encoder_imputes_and_adds_one_missingness_input_per_feature(credit):
    net, train, test = credit
    enc = net.encoder
    assert enc.input_names_[-2:] == ["income is missing", "job is missing"]
    assert enc.fill_["income"] == pytest.approx(float(np.nanmedian(train.frame["income"])))
    X = enc.transform(test.frame)
    gone = test.frame["income"].isna().to_numpy()
    np.testing.assert_array_equal(X[:, enc.missing_inputs_["income"]], gone)
    off, sc = enc.scale("income")
    np.testing.assert_allclose(X[gone, enc.groups_["income"][0]], (enc.fill_["income"] - off) / sc)
    back = enc.inverse_transform(X)
    np.testing.assert_array_equal(back["income"].isna().to_numpy(), gone)
    assert Encoder.from_dict(enc.to_dict()) == enc


def test_a_feature_complete_in_training_refuses_a_missing_value_later(credit):
    net, train, test = credit
    row = test.frame.iloc[:3].copy()
    row["age"] = row["age"].astype(float)
    row.loc[row.index[0], "age"] = np.nan
    with pytest.raises(rulex.DataError, match="'age' has a missing value .* had none in the training rows"):
        net.predict(row)


def test_without_imputation_missing_values_are_refused_with_the_way_out():
    train = rulex.Dataset.from_frame(_credit(), target="y")
    with pytest.raises(rulex.DataError, match=r"train_network\(\.\.\., missing='impute'\)"):
        rulex.train_network(train, hidden_layer_sizes=(2,), max_epochs=2)


def test_bundles_keep_the_imputation(credit, tmp_path):
    net, _, test = credit
    path = tmp_path / "m.rulex"
    net.save(path)
    again = rulex.load_network(path)
    assert again == net
    np.testing.assert_array_equal(again.predict(test.frame), net.predict(test.frame))


def test_every_extractor_and_every_export_on_data_with_missing_values(credit, pmml_scorer):
    net, train, test = credit
    tested = 0
    for method in sorted(rulex.available_methods()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rules = rulex.extract(net, train, method=method, random_state=0)
        frame = test.frame[net.schema.feature_names].iloc[:120]
        _check_formats(rules, frame, pmml=pmml_scorer)
        rep = rulex.evaluate(rules, net, test)
        assert 0.0 <= rep.fidelity <= 1.0
        tested += 1
    assert tested >= 6
    tree = rulex.extract(net, train, method="surrogate_tree", random_state=0)
    assert "is missing" in str(tree) or "is not missing" in str(tree)
    assert rulex.evaluate(tree, net, test).fidelity >= 0.9


def test_explanations_work_on_rows_with_missing_values(credit):
    net, train, test = credit
    i = int(np.flatnonzero(test.frame["income"].isna().to_numpy())[0])
    ex = rulex.explain_row(net, test, i, reference=train)
    assert ex.prediction == net.predict(test.frame.iloc[[i]])[0]
    assert ex.local_rule.evaluate(test.frame.iloc[[i]][net.schema.feature_names]).all()
    table = rulex.influence(net, test, max_rows=60)
    assert list(table.index) == ["income", "job", "age"]
    assert len(rulex.profile_units(net, train)) == 8


def test_decoded_rules_read_naturally():
    enc = Encoder(rulex.Schema([rulex.Feature("x", "numeric")], target="y", classes=("a", "b")), missing="impute")
    enc.fit(pd.DataFrame({"x": [0.0, 1.0, np.nan, 0.5]}))
    rs = rulex.RuleSet([rulex.Rule([rulex.Condition("x is missing", ">", 0.5)], "a"),
                        rulex.Rule([rulex.Condition("x", "<=", 0.75)], "b")], "a",
                       classes=("a", "b"), space="encoded")
    text = str(decode_rules(enc, rs))
    assert "x is missing" in text and "(x <= 0.75 OR x is missing)" in text
