"""The task a target implies, column names as users have them (repeated, equal as text, numbers) and
ordinal columns given by name: through the public API."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import rulex
from rulex.exceptions import Param, spoken


def _frame(target, n=200, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n), "y": target(rng, n)})


def test_a_count_target_with_many_distinct_whole_numbers_is_regression():
    df = _frame(lambda rng, n: rng.poisson(40, n))          # visits per year: ~35 distinct counts
    assert df["y"].nunique() > 20
    with warnings.catch_warnings():
        warnings.simplefilter("error")                     # clear cases say nothing
        assert rulex.Dataset.from_frame(df, target="y").task == "regression"
    assert rulex.Dataset.from_frame(df.assign(y=df["y"].astype(float)), target="y").task == "regression"


def test_few_whole_numbers_are_classes_and_fractions_are_regression():
    assert rulex.Dataset.from_frame(_frame(lambda rng, n: rng.integers(0, 10, n)), target="y").task == "classification"
    assert rulex.Dataset.from_frame(_frame(lambda rng, n: rng.integers(0, 2, n) + 0.5), target="y").task == \
        "regression"
    assert rulex.Dataset.from_frame(_frame(lambda rng, n: rng.choice(["a", "b"], n)), target="y").task == \
        "classification"


def test_between_ten_and_twenty_whole_numbers_reads_regression_and_says_how_to_change_it():
    df = _frame(lambda rng, n: rng.integers(0, 15, n))
    with pytest.warns(rulex.RulexWarning, match=r"task='classification'") as caught:
        ds = rulex.Dataset.from_frame(df, target="y")
    assert ds.task == "regression"
    assert "--task classification" in spoken(caught[0].message, lambda p: f"--{p.name} {p.value}")


def test_the_task_is_settable():
    df = _frame(lambda rng, n: rng.poisson(40, n))
    ds = rulex.Dataset.from_frame(df, target="y", task="classification")
    assert ds.task == "classification" and len(ds.classes) == df["y"].nunique()
    with pytest.raises(rulex.DataError, match="task="):
        rulex.Dataset.from_frame(df, target="y", task="count")
    as_regression = rulex.Dataset.from_frame(df, target="y")
    net = rulex.train_network(as_regression, (2,), max_epochs=2, task="classification")
    assert net.task == "classification" and net.classes == ds.classes and as_regression.task == "regression"
    with pytest.raises(rulex.DataError, match="task='count'"):
        rulex.train_network(as_regression, (2,), max_epochs=2, task="count")
    text = df.assign(y=np.where(df["y"] > 40, "many", "few"))
    with pytest.raises(rulex.DataError, match="must be numeric"):
        rulex.Dataset.from_frame(text, target="y", task="regression")


@pytest.mark.parametrize("columns, named", [(["a", "a", "y"], "'a' (2 columns)"),
                                            ([1, "1", "y"], "1 and '1' (all read as '1')")])
def test_repeated_names_and_names_equal_as_text_are_named(columns, named):
    df = pd.DataFrame(np.arange(12).reshape(4, 3) % 2, columns=columns)
    with pytest.raises(rulex.DataError, match="repeated column names") as info:
        rulex.Dataset.from_frame(df, target="y")
    assert named in str(info.value)


def test_repeated_names_in_a_frame_to_predict_are_named():
    df = pd.DataFrame({"a": np.tile([0.0, 1.0, 2.0, 3.0], 10), "b": np.arange(40.0)})
    df["y"] = np.where(df["a"] > 1, "hi", "lo")
    ds = rulex.Dataset.from_frame(df, target="y")
    net = rulex.train_network(ds, (3,), max_epochs=3)
    twice = pd.concat([df[["a"]], df[["a", "b"]]], axis=1)
    with pytest.raises(rulex.DataError, match="repeated column names: 'a'"):
        net.predict(twice)
    rules = rulex.extract(rulex.train_network(ds, (4,), max_epochs=60), ds, method="surrogate_tree")
    assert "a" in rules.features_used()
    with pytest.raises(rulex.DataError, match="repeated column names: 'a'"):
        rules.predict(twice)
    unread = pd.concat([df[["a", "b"]], df[["y"]], df[["y"]]], axis=1)      # a repeated column nobody reads
    assert np.array_equal(rules.predict(unread), rules.predict(df))


def test_integer_column_names_are_text_once_and_round_trip_through_json():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({0: rng.normal(size=80), 1: rng.normal(size=80)})
    df["y"] = np.where(df[0] > 0, "yes", "no")
    ds = rulex.Dataset.from_frame(df, target="y")
    assert ds.schema.feature_names == ["0", "1"] and list(df.columns) == [0, 1, "y"]    # the user's frame unchanged
    net = rulex.train_network(ds, (4,), max_epochs=60)
    rules = rulex.extract(net, ds, method="surrogate_tree")
    assert "0" in rules.features_used()
    back = rulex.load_rules(rulex.export(rules, "json"))
    assert back == rules and back.schema.feature_names == ["0", "1"]
    assert np.array_equal(back.predict(ds.frame), rules.predict(ds.frame))
    for predict in (net.predict, back.predict):
        with pytest.raises(rulex.DataError, match=r"by number.*astype\(str\)"):
            predict(df.drop(columns="y"))
    assert np.array_equal(back.predict(df.drop(columns="y").rename(columns=str)), rules.predict(ds.frame))


def test_ordinal_columns_by_name_take_their_values_in_order():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"rating": rng.integers(1, 6, 100).astype(float), "x": rng.normal(size=100)})
    df["y"] = np.where(df["rating"] >= 3, "good", "bad")
    assert rulex.Dataset.from_frame(df, target="y", ordinal=["rating"]).schema["rating"].categories == \
        (1.0, 2.0, 3.0, 4.0, 5.0)
    text = df.assign(rating=df["rating"].map({1.0: "1", 2.0: "2", 3.0: "3", 4.0: "4", 5.0: "10"}))
    assert rulex.Dataset.from_frame(text, target="y", ordinal={"rating": None}).schema["rating"].categories == \
        ("1", "2", "3", "4", "10")
    words = df.assign(rating=np.where(df["rating"] > 2, "high", "low"))
    with pytest.raises(rulex.DataError, match="levels") as info:
        rulex.Dataset.from_frame(words, target="y", ordinal=["rating"])
    assert isinstance(info.value.parts[1], Param) and info.value.parts[1].name == "ordinal"
    with pytest.raises(rulex.DataError, match=r"integer=\['rating'\]"):
        rulex.Dataset.from_frame(df, target="y", integer="rating")
