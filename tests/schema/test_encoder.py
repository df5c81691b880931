"""Encoder: frames <-> network inputs, and exact decoding of encoded rules to original units."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from _helpers.encoded import _SETTINGS, CLASSES, _check_decoding, decoding_cases
from hypothesis import given

import rulex
from rulex import Condition, Encoder, Feature, MofN, Rule, RuleSet, Schema
from rulex.rules.render import format_condition
from rulex.decoding import decode_condition, decode_rules

# the categories of the ``job`` column of the shared ``mixed_frame`` fixture (tests/conftest.py)
MIXED_JOBS = ("clerk", "data scientist", 'say "hi"', "ingénieur", "o'neil")


# ---------------------------------------------------------------------------------------------
# transform / inverse_transform
# ---------------------------------------------------------------------------------------------
def test_transform_shape_range_and_names(mixed_dataset, mixed_encoder):
    X = mixed_encoder.transform(mixed_dataset.X)
    names = mixed_encoder.input_names_
    assert set(mixed_dataset.schema["job"].categories) == set(MIXED_JOBS)
    assert X.dtype == np.float64
    assert X.shape == (len(mixed_dataset), len(names)) == (60, 4 + len(MIXED_JOBS))
    assert mixed_encoder.n_inputs == len(names)
    assert names[:3] == ["income", "age", "sex"]
    assert names[-1] == "size"
    assert {f"job={j}" for j in MIXED_JOBS} == set(names[3:-1])
    assert "job=clerk" in names and 'job=say "hi"' in names and "job=ingénieur" in names
    # training rows land in [0, 1], and the extremes are reached by numeric columns
    assert X.min() >= 0.0 and X.max() <= 1.0
    for name in ("income", "age"):
        col = X[:, names.index(name)]
        assert col.min() == 0.0 and col.max() == 1.0
    # each one-hot group holds exactly one 1 per row
    group = mixed_encoder.groups_["job"]
    assert len(group) == len(MIXED_JOBS)
    block = X[:, group]
    assert set(np.unique(block)) <= {0.0, 1.0}
    assert (block.sum(axis=1) == 1.0).all()
    # the hot input is the row's category
    for row, job in zip(block, mixed_dataset.X["job"]):
        assert names[group[int(row.argmax())]] == f"job={job}"
    # binary and ordinal encodings
    sex = X[:, names.index("sex")]
    assert ((sex == 1.0) == (mixed_dataset.X["sex"] == "male").to_numpy()).all()
    size = X[:, names.index("size")]
    expected = mixed_dataset.X["size"].map({"small": 0.0, "medium": 0.5, "large": 1.0}).to_numpy(dtype=float)
    np.testing.assert_array_equal(size, expected)
    # transform_frame is the same matrix with the input names as columns
    frame = mixed_encoder.transform_frame(mixed_dataset.X)
    assert list(frame.columns) == names
    np.testing.assert_array_equal(frame.to_numpy(), X)


def test_transform_outside_training_range_extrapolates(mixed_dataset, mixed_encoder):
    fresh = mixed_dataset.X.iloc[:2].copy()
    fresh["age"] = [0, 200]
    X = mixed_encoder.transform(fresh)
    col = X[:, mixed_encoder.input_names_.index("age")]
    assert col[0] < 0.0 and col[1] > 1.0


def test_transform_rejects_unseen_category_and_missing(mixed_dataset, mixed_encoder):
    bad = mixed_dataset.X.iloc[:3].copy()
    bad["job"] = ["clerk", "astronaut", "clerk"]
    with pytest.raises(rulex.DataError, match="astronaut"):
        mixed_encoder.transform(bad)
    bad = mixed_dataset.X.iloc[:3].copy()
    bad["income"] = [1.0, np.nan, 2.0]
    with pytest.raises(rulex.DataError, match="income"):
        mixed_encoder.transform(bad)


def test_unfitted_encoder_raises(mixed_dataset):
    enc = Encoder(mixed_dataset.schema)
    with pytest.raises(rulex.NotFittedError):
        enc.transform(mixed_dataset.X)
    from sklearn.exceptions import NotFittedError as SkNotFitted
    with pytest.raises(SkNotFitted):
        enc.n_inputs


def test_inverse_transform_round_trip(mixed_dataset, mixed_encoder):
    X = mixed_encoder.transform(mixed_dataset.X)
    back = mixed_encoder.inverse_transform(X)
    orig = mixed_dataset.X.reset_index(drop=True)
    assert list(back.columns) == list(orig.columns)
    np.testing.assert_allclose(back["income"].to_numpy(), orig["income"].to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(back["age"].to_numpy(), orig["age"].to_numpy())
    for col in ("sex", "job", "size"):
        assert list(back[col]) == list(orig[col]), col
    # and encoding the decoded frame gives the same inputs (up to float rounding)
    again = back.copy()
    np.testing.assert_allclose(mixed_encoder.transform(again), X, rtol=0, atol=1e-12)


def test_encoder_dict_round_trip(mixed_dataset, mixed_encoder):
    d = mixed_encoder.to_dict()
    clone = Encoder.from_dict(d)
    assert clone == mixed_encoder
    via_json = Encoder.from_dict(json.loads(json.dumps(d)))
    assert via_json == mixed_encoder
    assert via_json.input_names_ == mixed_encoder.input_names_
    np.testing.assert_array_equal(via_json.transform(mixed_dataset.X), mixed_encoder.transform(mixed_dataset.X))
    other = Encoder(mixed_dataset.schema).fit(mixed_dataset.X.iloc[:30])
    assert (other == mixed_encoder) == (other.lower_ == mixed_encoder.lower_ and other.upper_ == mixed_encoder.upper_)
    assert Encoder(mixed_dataset.schema) != mixed_encoder


def test_constant_numeric_column_encodes_without_division_by_zero():
    schema = Schema((Feature("c", "numeric"), Feature("n", "integer")))
    frame = pd.DataFrame({"c": [2.5, 2.5, 2.5], "n": [4, 4, 4]})
    enc = Encoder(schema).fit(frame)
    X = enc.transform(frame)
    assert np.isfinite(X).all()
    assert (X == 0.0).all()


# ---------------------------------------------------------------------------------------------
# decoding single conditions
# ---------------------------------------------------------------------------------------------
def _enc(encoder, name, values):
    off, sc = encoder.scale(name)
    return (np.asarray(values, dtype=np.float64) - off) / sc


def _neighbours(x: float, k: int = 3) -> list:
    out = [x]
    lo = hi = x
    for _ in range(k):
        lo, hi = np.nextafter(lo, -np.inf), np.nextafter(hi, np.inf)
        out += [lo, hi]
    return out


@pytest.mark.parametrize("t", [0.0, 1.0, 0.1, 1 / 3, 0.5, 0.7071067811865476, -0.15, 1.15, 1e-17, 0.999999999])
@pytest.mark.parametrize("op", ["<=", ">"])
def test_numeric_threshold_decodes_exactly(mixed_dataset, mixed_encoder, t, op):
    enc = mixed_encoder
    d = decode_condition(enc, Condition("income", op, t))
    assert isinstance(d, Condition)
    assert d.feature == "income" and d.op == op
    T = d.value
    # the decoded boundary is exact: values adjacent to it (in floating point) fall on the same
    # side in both spaces
    xs = np.array(_neighbours(T, 4) + list(mixed_dataset.X["income"]))
    e = _enc(enc, "income", xs)
    want = (e <= t) if op == "<=" else (e > t)
    got = d.evaluate(pd.DataFrame({"income": xs}))
    np.testing.assert_array_equal(got, want)
    # and it is the tightest one: T itself is on the "<=" side, its successor is not
    assert _enc(enc, "income", [T])[0] <= t
    assert _enc(enc, "income", [np.nextafter(T, np.inf)])[0] > t


def test_numeric_threshold_on_encoded_data_values_decodes_exactly(mixed_dataset, mixed_encoder):
    enc = mixed_encoder
    x = np.sort(mixed_dataset.X["income"].to_numpy())
    e = _enc(enc, "income", x)
    mids = (e[1:] + e[:-1]) / 2
    probe = np.concatenate([x, *[np.nextafter(x, s) for s in (-np.inf, np.inf)]])
    frame = pd.DataFrame({"income": probe})
    pe = _enc(enc, "income", probe)
    for t in np.concatenate([e, mids]):
        for op in ("<=", ">"):
            d = decode_condition(enc, Condition("income", op, float(t)))
            want = (pe <= t) if op == "<=" else (pe > t)
            if d is True or d is False:
                assert (want == d).all()
            else:
                np.testing.assert_array_equal(d.evaluate(frame), want)


def test_integer_feature_decodes_to_integer_thresholds(mixed_dataset, mixed_encoder):
    enc = mixed_encoder
    schema = mixed_dataset.schema
    assert enc.lower_["age"] == 18.0 and enc.upper_["age"] == 79.0
    t = (59.5 - 18) / 61          # between the encodings of 59 and 60
    gt = decode_condition(enc, Condition("age", ">", t))
    le = decode_condition(enc, Condition("age", "<=", t))
    assert gt == Condition("age", ">", 59.0)
    assert le == Condition("age", "<=", 59.0)
    assert float(gt.value).is_integer()
    assert format_condition(gt, schema) == "age >= 60"
    assert format_condition(le, schema) == "age <= 59"
    # a threshold a hair below an encoded integer still decodes to an integer threshold
    for t in np.linspace(-0.1, 1.1, 97):
        for op in ("<=", ">"):
            d = decode_condition(enc, Condition("age", op, float(t)))
            if d is True or d is False:
                continue
            assert float(d.value).is_integer(), (t, d)
            ages = np.arange(0, 120)
            e = _enc(enc, "age", ages)
            want = (e <= t) if op == "<=" else (e > t)
            np.testing.assert_array_equal(d.evaluate(pd.DataFrame({"age": ages})), want)


def test_binary_and_categorical_decode_to_set_tests(mixed_encoder):
    enc = mixed_encoder
    assert decode_condition(enc, Condition("sex", "<=", 0.5)) == Condition("sex", "==", "female")
    assert decode_condition(enc, Condition("sex", ">", 0.5)) == Condition("sex", "==", "male")
    assert decode_condition(enc, Condition("job=clerk", ">", 0.5)) == Condition("job", "==", "clerk")
    assert decode_condition(enc, Condition("job=clerk", "<=", 0.5)) == Condition("job", "!=", "clerk")
    assert decode_condition(enc, Condition('job=say "hi"', ">", 0.3)) == Condition("job", "==", 'say "hi"')
    assert decode_condition(enc, Condition("job=ingénieur", "<=", 0.9)) == Condition("job", "!=", "ingénieur")
    # ordinal with three levels at 0, 0.5, 1
    assert decode_condition(enc, Condition("size", "<=", 0.25)) == Condition("size", "==", "small")
    assert decode_condition(enc, Condition("size", ">", 0.25)) == Condition("size", "!=", "small")
    assert decode_condition(enc, Condition("size", ">", 0.75)) == Condition("size", "==", "large")


def test_ordinal_decodes_to_in():
    levels = ("xs", "s", "m", "l", "xl")
    schema = Schema((Feature("size", "ordinal", levels),))
    enc = Encoder(schema).fit(pd.DataFrame({"size": list(levels)}))
    assert decode_condition(enc, Condition("size", "<=", 0.5)) == Condition("size", "in", ["xs", "s", "m"])
    assert decode_condition(enc, Condition("size", ">", 0.3)) == Condition("size", "in", ["m", "l", "xl"])
    assert decode_condition(enc, Condition("size", "<=", 0.3)) == Condition("size", "in", ["xs", "s"])
    assert format_condition(decode_condition(enc, Condition("size", "<=", 0.5)), schema) == 'size <= "m"'


def test_always_true_and_always_false_decode_to_booleans(mixed_encoder):
    enc = mixed_encoder
    assert decode_condition(enc, Condition("sex", ">", 1.5)) is False
    assert decode_condition(enc, Condition("sex", "<=", 1.5)) is True
    assert decode_condition(enc, Condition("sex", "<=", -0.5)) is False
    assert decode_condition(enc, Condition("sex", ">", -0.5)) is True
    assert decode_condition(enc, Condition("job=clerk", ">", 1.0)) is False
    assert decode_condition(enc, Condition("job=clerk", "<=", 1.0)) is True
    assert decode_condition(enc, Condition("size", "<=", 1.0)) is True
    assert decode_condition(enc, Condition("size", ">", 1.0)) is False
    for name in ("income", "age"):
        assert decode_condition(enc, Condition(name, "<=", math.inf)) is True
        assert decode_condition(enc, Condition(name, ">", math.inf)) is False
        assert decode_condition(enc, Condition(name, "<=", -math.inf)) is False
        assert decode_condition(enc, Condition(name, ">", -math.inf)) is True


def test_decode_condition_errors(mixed_encoder):
    with pytest.raises(rulex.RuleError, match="<= or >"):
        decode_condition(mixed_encoder, Condition("income", "==", 0.5))
    with pytest.raises(rulex.RuleError, match="nope"):
        decode_condition(mixed_encoder, Condition("nope", "<=", 0.5))
    rs = RuleSet([Rule([Condition("income", "<=", 0.5)], "a")], "b")   # space="original"
    with pytest.raises(rulex.RuleError, match="encoded"):
        decode_rules(mixed_encoder, rs)


def test_decode_rules_small_example(mixed_dataset, mixed_encoder):
    enc = mixed_encoder
    t_age = (59.5 - 18) / 61
    rs = RuleSet([
        Rule([Condition("age", ">", t_age), Condition("sex", ">", 0.5)], "a"),
        Rule([Condition("job=clerk", ">", 0.5), Condition("sex", ">", 2.0)], "b"),   # dead: sex > 2
        Rule([Condition("income", ">", 0.5), Condition("income", ">", 0.25), Condition("size", "<=", 1.0)], "b"),
    ], "c", classes=("a", "b", "c"), space="encoded")
    dec = decode_rules(enc, rs)
    assert dec.space == "original"
    assert dec.schema == mixed_dataset.schema
    assert len(dec) == 2                           # the dead rule is gone
    assert dec.rules[0].conditions == (Condition("age", ">", 59.0), Condition("sex", "==", "male"))
    # the two income bounds fold into one; the always-true size test disappears
    assert len(dec.rules[1].conditions) == 1 and dec.rules[1].conditions[0].op == ">"
    assert "age >= 60" in str(dec)
    np.testing.assert_array_equal(dec.predict(mixed_dataset.X), rs.predict(enc.transform_frame(mixed_dataset.X)))


# ---------------------------------------------------------------------------------------------
# the key property: decoded rules predict what encoded rules predict, on every row
# ---------------------------------------------------------------------------------------------
# Fresh rows far outside a tiny training range overflow to +-inf in the encoding (numpy warns);
# the comparison must still agree, so the warning is expected here.
_OVERFLOW_OK = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")


@_OVERFLOW_OK
@_SETTINGS
@given(decoding_cases(mofn=False))
def test_decoded_rules_predict_like_encoded_rules(case):
    enc, fit, fresh, rs = case
    _check_decoding(enc, fit, rs)
    _check_decoding(enc, fresh, rs)


@_OVERFLOW_OK
@_SETTINGS
@given(decoding_cases(mofn=True))
def test_decoded_mofn_rules_predict_like_encoded_rules(case):
    enc, fit, fresh, rs = case
    _check_decoding(enc, fit, rs)
    _check_decoding(enc, fresh, rs)


def test_decoding_mixed_fixture_on_fresh_rows(mixed_dataset, mixed_encoder):
    """A seeded, non-hypothesis version on the shared fixture, including out-of-range rows."""
    rng = np.random.default_rng(1)
    enc = mixed_encoder
    names = enc.input_names_
    X = enc.transform(mixed_dataset.X)
    fresh = mixed_dataset.X.sample(40, random_state=1, replace=True).reset_index(drop=True)
    fresh["income"] = fresh["income"] * rng.choice([0.5, 1.0, 2.0], len(fresh))
    fresh["age"] = rng.integers(0, 120, len(fresh))
    for _ in range(40):
        rules = []
        for _ in range(rng.integers(1, 6)):
            conds = []
            for _ in range(rng.integers(1, 5)):
                j = int(rng.integers(len(names)))
                col = np.unique(X[:, j])
                t = float(rng.choice(col)) if rng.random() < 0.5 else float(rng.uniform(-0.2, 1.2))
                conds.append(Condition(names[j], "<=" if rng.random() < 0.5 else ">", t))
            rules.append(Rule(conds, str(rng.choice(list(CLASSES)))))
        rs = RuleSet(rules, "c", semantics=str(rng.choice(["ordered", "unordered"])), classes=CLASSES,
                     space="encoded")
        _check_decoding(enc, mixed_dataset.X, rs)
        _check_decoding(enc, fresh, rs)


def test_decoding_mofn_with_literals_that_decode_alike():
    """Two different encoded literals can decode to the same original test (``b <= 0.4`` and
    ``b <= 0.6`` both mean ``b == "no"``); an m-of-n test must still count both."""
    schema = Schema((Feature("b", "binary", ("no", "yes")), Feature("x", "numeric")))
    frame = pd.DataFrame({"b": ["no", "yes", "no", "yes"], "x": [0.0, 1.0, 2.0, 3.0]})
    enc = Encoder(schema).fit(frame)
    rs = RuleSet([Rule([MofN(2, (Condition("b", "<=", 0.4), Condition("b", "<=", 0.6)))], "a")], "b",
                 classes=("a", "b"), space="encoded")
    _check_decoding(enc, frame, rs)
    rs = RuleSet([Rule([MofN(2, (Condition("b", "<=", 0.4), Condition("b", "<=", 0.6),
                                 Condition("x", ">", 0.5)))], "a")], "b", classes=("a", "b"), space="encoded")
    _check_decoding(enc, frame, rs)
