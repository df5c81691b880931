"""Schema inference, overrides, Dataset construction and splitting, and the named data sets."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import rulex
from rulex import Dataset, Feature, Schema
from rulex.data.generated import MONK_CONCEPTS


# ---------------------------------------------------------------------------------------------
# kind inference
# ---------------------------------------------------------------------------------------------
def _kinds(schema: Schema) -> dict:
    return {f.name: f.kind for f in schema.features}


def test_infer_kinds_from_dtypes():
    df = pd.DataFrame({
        "f": [0.5, 1.25, 3.0, 2.0, 7.5, 1.0],
        "i": np.array([3, 10, 7, 7, 1, 4], dtype=np.int64),
        "i01": np.array([0, 1, 1, 0, 1, 0], dtype=np.int64),
        "b": [True, False, True, True, False, False],
        "s2": ["no", "yes", "yes", "no", "no", "yes"],
        "s3": ["red", "green", "blue", "red", "green", "blue"],
        "o": pd.Categorical(["lo", "hi", "mid", "lo", "hi", "mid"], categories=["lo", "mid", "hi"],
                            ordered=True),
        "y": ["p", "q", "p", "q", "p", "q"],
    })
    schema = Schema.infer(df, target="y")
    assert _kinds(schema) == {"f": "numeric", "i": "integer", "i01": "binary", "b": "binary",
                              "s2": "binary", "s3": "categorical", "o": "ordinal"}
    assert schema.feature_names == ["f", "i", "i01", "b", "s2", "s3", "o"]
    assert schema.target == "y"
    assert schema.task == "classification"
    assert schema.classes == ("p", "q")
    # binary: the value encoded as 0 comes first
    assert schema["i01"].categories == (0, 1)
    assert schema["b"].categories == (False, True)
    assert schema["s2"].categories == ("no", "yes")
    # categorical: every category once, deterministic order
    assert set(schema["s3"].categories) == {"red", "green", "blue"}
    assert Schema.infer(df, target="y")["s3"].categories == schema["s3"].categories
    # ordinal: the levels in the pandas order (low to high), not alphabetical
    assert schema["o"].categories == ("lo", "mid", "hi")
    # numeric/integer carry no categories
    assert schema["f"].categories == () and schema["i"].categories == ()


def test_unordered_pandas_categorical_is_categorical():
    df = pd.DataFrame({"c": pd.Categorical(["x", "y", "z", "x"]), "y": [0, 1, 0, 1]})
    assert Schema.infer(df, target="y")["c"].kind == "categorical"


def test_integer_column_with_other_two_values_is_not_binary():
    # two distinct integers other than {0, 1} stay integer (thresholds in the data's units)
    df = pd.DataFrame({"n": [3, 7, 3, 7], "y": [0, 1, 0, 1]})
    assert Schema.infer(df, target="y")["n"].kind == "integer"


def test_overrides_change_the_inferred_kind():
    df = pd.DataFrame({
        "code": [1, 2, 3, 2, 1, 3],                       # int -> categorical
        "count": [1.0, 2.0, 5.0, 4.0, 3.0, 2.0],          # integral floats -> integer
        "grade": ["B", "A", "C", "A", "B", "C"],          # strings -> ordinal with given levels
        "y": [0, 1, 0, 1, 0, 1],
    })
    schema = Schema.infer(df, target="y", categorical=["code"], integer=["count"],
                          ordinal={"grade": ["C", "B", "A"]})
    assert _kinds(schema) == {"code": "categorical", "count": "integer", "grade": "ordinal"}
    assert schema["code"].categories == (1, 2, 3)
    assert schema["grade"].categories == ("C", "B", "A")
    # Dataset.from_frame passes the overrides through
    ds = Dataset.from_frame(df, target="y", categorical=["code"], integer=["count"],
                            ordinal={"grade": ["C", "B", "A"]})
    assert ds.schema == schema


def test_numeric_override_on_integer_column():
    df = pd.DataFrame({"n": [1, 5, 9, 2], "y": [0, 1, 0, 1]})
    assert Schema.infer(df, target="y", numeric=["n"])["n"].kind == "numeric"


def test_conflicting_overrides_raise():
    df = pd.DataFrame({"a": [1, 2, 3, 4], "y": [0, 1, 0, 1]})
    with pytest.raises(rulex.SchemaError, match="'a'"):
        Schema.infer(df, target="y", categorical=["a"], integer=["a"])
    with pytest.raises(rulex.SchemaError):
        Dataset.from_frame(df, target="y", categorical=["a"], ordinal={"a": [1, 2, 3, 4]})
    # SchemaError is also a ValueError
    with pytest.raises(ValueError):
        Schema.infer(df, target="y", numeric=["a"], binary=["a"])


def test_override_errors_name_the_column():
    df = pd.DataFrame({"a": [1.5, 2.5, 3.5], "b": ["x", "y", "z"], "y": [0, 1, 0]})
    with pytest.raises(rulex.DataError, match="nope"):
        Schema.infer(df, target="y", categorical=["nope"])
    with pytest.raises(rulex.SchemaError, match="'b'"):
        Schema.infer(df, target="y", binary=["b"])          # three values cannot be binary
    with pytest.raises(rulex.SchemaError, match="'b'"):
        Schema.infer(df, target="y", ordinal={"b": ["x", "y"]})   # "z" is not a level
    with pytest.raises(rulex.DataError, match="'a'"):
        Schema.infer(df, target="y", integer=["a"])         # fractions are not integers
    with pytest.raises(rulex.DataError, match="target"):
        Schema.infer(df, target="label")


def test_task_inference():
    rng = np.random.default_rng(0)
    x = np.arange(50, dtype=float)
    many_floats = pd.DataFrame({"x": x, "y": rng.normal(size=50)})
    schema = Schema.infer(many_floats, target="y")
    assert schema.task == "regression"
    assert schema.classes == ()
    # integer labels and a few integral float labels mean classification
    ints = pd.DataFrame({"x": x, "y": np.arange(50) % 3})
    assert Schema.infer(ints, target="y").task == "classification"
    assert Schema.infer(ints, target="y").classes == (0, 1, 2)
    few = pd.DataFrame({"x": x, "y": (np.arange(50) % 2).astype(float)})
    assert Schema.infer(few, target="y").task == "classification"
    # a float target with fractional values is regression even with few distinct values
    frac = pd.DataFrame({"x": x, "y": np.where(np.arange(50) % 2, 0.5, 1.5)})
    assert Schema.infer(frac, target="y").task == "regression"
    # an explicit task wins
    assert Schema.infer(ints, target="y", task="regression").task == "regression"


def test_target_with_one_class_or_missing_values_raises():
    with pytest.raises(rulex.DataError, match="class"):
        Schema.infer(pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "a"]}), target="y")
    with pytest.raises(rulex.DataError, match="missing"):
        Schema.infer(pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", None, "b"]}), target="y")


def test_schema_dict_round_trip(mixed_dataset):
    schema = mixed_dataset.schema
    d = schema.to_dict()
    assert Schema.from_dict(d) == schema
    # the dict is JSON-native and survives a JSON round trip
    assert Schema.from_dict(json.loads(json.dumps(d))) == schema
    assert d["target"] == "label"
    assert d["classes"] == ["a", "b", "c"]
    kinds = {f["name"]: f["kind"] for f in d["features"]}
    assert kinds == {"income": "numeric", "age": "integer", "sex": "binary", "job": "categorical",
                     "size": "ordinal"}


def test_schema_dict_round_trip_regression_and_int_categories():
    schema = Schema((Feature("a", "categorical", (3, 1, 2)), Feature("b", "binary", (False, True)),
                     Feature("c", "numeric")), target="t", task="regression")
    assert Schema.from_dict(json.loads(json.dumps(schema.to_dict()))) == schema


def test_feature_validation():
    with pytest.raises(rulex.SchemaError):
        Feature("x", "weird")
    with pytest.raises(rulex.SchemaError):
        Feature("x", "binary", ("a", "b", "c"))
    with pytest.raises(rulex.SchemaError):
        Feature("x", "categorical", ())
    with pytest.raises(rulex.SchemaError):
        Feature("x", "categorical", ("a", "a"))
    with pytest.raises(rulex.SchemaError):
        Feature("x", "numeric", ("a",))
    with pytest.raises(rulex.SchemaError):
        Schema((Feature("x", "numeric"), Feature("x", "integer")))
    with pytest.raises(rulex.SchemaError):
        Schema((Feature("x", "numeric"),), target="x")


def test_schema_unknown_feature_suggests_names(mixed_dataset):
    with pytest.raises(rulex.DataError, match="income"):
        mixed_dataset.schema["incme"]


# ---------------------------------------------------------------------------------------------
# Dataset
# ---------------------------------------------------------------------------------------------
def test_from_frame_copies_and_never_modifies_the_user_frame(mixed_frame):
    saved = mixed_frame.copy(deep=True)
    user = mixed_frame.copy(deep=True)
    user.index = pd.RangeIndex(100, 100 + len(user))    # a non-default index as well
    saved.index = user.index
    ds = Dataset.from_frame(user, target="label", categorical=["sex"])
    pd.testing.assert_frame_equal(user, saved)
    # mutating the data set's frame does not reach the user's frame, and vice versa
    ds.frame.loc[0, "income"] = -1.0
    ds.frame.loc[1, "job"] = "clerk"
    pd.testing.assert_frame_equal(user, saved)
    user.loc[100, "income"] = 123.0
    assert ds.frame.loc[0, "income"] == -1.0
    # splitting does not touch it either
    ds.split(random_state=0)
    pd.testing.assert_frame_equal(user.drop(index=100), saved.drop(index=100))


def test_from_frame_selects_features_and_target(mixed_frame):
    ds = Dataset.from_frame(mixed_frame, target="label", features=["age", "job"])
    assert ds.schema.feature_names == ["age", "job"]
    assert list(ds.frame.columns) == ["age", "job", "label"]
    assert list(ds.X.columns) == ["age", "job"]
    assert ds.y.name == "label"
    assert len(ds) == len(mixed_frame)
    assert ds.task == "classification" and ds.classes == ("a", "b", "c")


def test_from_frame_rejects_bad_input(mixed_frame):
    with pytest.raises(rulex.DataError, match="lable|label"):
        Dataset.from_frame(mixed_frame, target="lable")
    with pytest.raises(rulex.DataError):
        Dataset.from_frame(mixed_frame.to_numpy(), target="label")
    bad = mixed_frame.copy()
    bad.loc[3, "income"] = np.inf
    with pytest.raises(rulex.DataError, match="income"):
        Dataset.from_frame(bad, target="label")


def test_from_csv_round_trip(tmp_path, mixed_frame):
    path = tmp_path / "mixed.csv"
    mixed_frame.drop(columns=["size"]).to_csv(path, index=False)
    ds = Dataset.from_csv(path, target="label")
    assert _kinds(ds.schema) == {"income": "numeric", "age": "integer", "sex": "binary", "job": "categorical"}
    assert set(ds.schema["job"].categories) == set(mixed_frame["job"])
    with pytest.raises(rulex.DataError, match="not found"):
        Dataset.from_csv(tmp_path / "missing.csv", target="label")


def _split_frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = np.array(["a"] * 100 + ["b"] * 60 + ["c"] * 40)
    return pd.DataFrame({"rid": np.arange(n, dtype=np.int64) * 3 + 1, "x": rng.normal(size=n), "y": y})


def test_stratified_split_preserves_proportions_and_partitions_rows():
    df = _split_frame()
    ds = Dataset.from_frame(df, target="y")
    train, test = ds.split(test_size=0.25, random_state=7)
    assert len(train) + len(test) == len(ds)
    assert len(test) == 50
    tr_ids, te_ids = set(train.frame["rid"]), set(test.frame["rid"])
    assert not tr_ids & te_ids                              # disjoint
    assert tr_ids | te_ids == set(df["rid"])                 # union is every row
    # stratified: each class's share of the test set is its share of the whole (to one row)
    full = df["y"].value_counts()
    for cls, count in full.items():
        n_test = int((test.frame["y"] == cls).sum())
        assert abs(n_test - count * 0.25) <= 1, (cls, n_test)
        assert int((train.frame["y"] == cls).sum()) + n_test == count
    # rows keep their values: each split row is a row of the original
    merged = train.frame.merge(df, on="rid", suffixes=("", "_orig"))
    assert len(merged) == len(train)
    assert (merged["x"] == merged["x_orig"]).all() and (merged["y"] == merged["y_orig"]).all()
    # the splits keep the schema and are Datasets
    assert train.schema == ds.schema and test.schema == ds.schema


def test_split_is_deterministic_under_random_state():
    ds = Dataset.from_frame(_split_frame(), target="y")
    a_train, a_test = ds.split(test_size=0.3, random_state=3)
    b_train, b_test = ds.split(test_size=0.3, random_state=3)
    pd.testing.assert_frame_equal(a_train.frame, b_train.frame)
    pd.testing.assert_frame_equal(a_test.frame, b_test.frame)
    c_train, _ = ds.split(test_size=0.3, random_state=4)
    assert set(c_train.frame["rid"]) != set(a_train.frame["rid"])


def test_split_default_and_bad_test_size():
    ds = Dataset.from_frame(_split_frame(), target="y")
    train, test = ds.split(random_state=0)
    assert len(test) == 60 and len(train) == 140
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(rulex.DataError, match="test_size"):
            ds.split(test_size=bad)


def test_regression_split_is_not_stratified_but_partitions():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"rid": np.arange(100), "y": rng.normal(size=100)})
    ds = Dataset.from_frame(df, target="y", numeric=["rid"])
    assert ds.task == "regression"
    train, test = ds.split(test_size=0.2, random_state=0)
    assert len(test) == 20
    assert set(train.frame["rid"]).isdisjoint(test.frame["rid"])
    assert set(train.frame["rid"]) | set(test.frame["rid"]) == set(range(100))


# ---------------------------------------------------------------------------------------------
# generated data sets
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("problem,n_train", [(1, 124), (2, 169), (3, 122)])
def test_monk_predefined_split(problem, n_train):
    ds = rulex.load_dataset(f"monk{problem}")
    assert len(ds) == 432
    train, test = ds.split()
    assert len(train) == n_train
    assert len(test) == 432
    feats = ds.schema.feature_names
    assert feats == ["a1", "a2", "a3", "a4", "a5", "a6"]
    # the test set is the whole space: every combination exactly once, with the true concept
    assert not test.frame.duplicated(subset=feats).any()
    concept = MONK_CONCEPTS[problem]
    assert (test.frame["y"].to_numpy() == concept(test.frame).astype(int).to_numpy()).all()
    # the training rows are distinct points of the space
    assert not train.frame.duplicated(subset=feats).any()
    space = set(map(tuple, test.frame[feats].to_numpy()))
    assert set(map(tuple, train.frame[feats].to_numpy())) <= space
    wrong = int((train.frame["y"].to_numpy() != concept(train.frame).astype(int).to_numpy()).sum())
    if problem == 3:
        assert wrong > 0            # 5 % of the training labels are noise
        assert wrong <= round(0.05 * n_train) + 1
    else:
        assert wrong == 0
    # deterministic
    train2, _ = rulex.load_dataset(f"monk{problem}").split()
    pd.testing.assert_frame_equal(train.frame, train2.frame)


def test_xor_is_the_full_parity_table():
    ds = rulex.load_dataset("xor")
    assert len(ds) == 256
    f = ds.frame
    assert not f.duplicated(subset=ds.schema.feature_names).any()
    assert (f["y"] == (f["x0"] ^ f["x1"])).all()
    assert all(feat.kind == "binary" for feat in ds.schema)
    assert ds.classes == (0, 1)


# ---------------------------------------------------------------------------------------------
# named data sets
# ---------------------------------------------------------------------------------------------
def test_list_datasets_columns():
    table = rulex.list_datasets()
    assert {"name", "task", "source", "description"} <= set(table.columns)
    assert table["name"].is_unique
    assert {"iris", "xor", "monk1", "adult", "mushroom"} <= set(table["name"])


@pytest.mark.parametrize("name", list(rulex.list_datasets()["name"]))
def test_every_named_dataset_loads(name):
    info = rulex.list_datasets().set_index("name").loc[name]
    ds = rulex.load_dataset(name)
    assert isinstance(ds, Dataset)
    assert len(ds) > 0
    assert ds.target in ds.frame.columns
    assert ds.task == info["task"]
    ds.schema.check_frame(ds.frame)                # complete rows that fit the schema
    assert list(ds.X.columns) == ds.schema.feature_names
    if ds.task == "classification":
        assert len(ds.classes) >= 2
        assert set(ds.y.unique()) <= set(ds.classes)
    if name == "adult":
        assert len(ds) == 30162


@pytest.mark.parametrize("name", ["adult", "mushroom"])
def test_bundled_categories_are_strings(name):
    ds = rulex.load_dataset(name)
    cats = [f for f in ds.schema if f.kind in ("categorical", "binary", "ordinal")]
    assert cats
    for f in cats:
        if f.kind == "binary" and set(f.categories) <= {0, 1, True, False}:
            continue
        assert all(isinstance(c, str) for c in f.categories), (f.name, f.categories[:5])
        assert all(c.strip() == c and c for c in f.categories), (f.name, f.categories[:5])
    if name == "adult":
        assert "Private" in ds.schema["workclass"].categories
        assert ds.schema["age"].kind == "integer"
        assert ds.schema["workclass"].kind == "categorical"


def test_unknown_dataset_name_suggests():
    with pytest.raises(rulex.UnknownNameError, match="iris"):
        rulex.load_dataset("irsi")
    with pytest.raises(KeyError):
        rulex.load_dataset("no_such_data")
