"""Data as users have it: numbers written as text, dates, labels that do not match, values that would
render as markup, class budgets. Each case gives the right answer or a clear error, never a silent one."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rulex
from rulex.rules import Condition
from rulex.schema.features import numbers_from_text


def _write(x: float, style: str) -> str:
    if style == "thousands":
        return f"{x:,.2f}"
    if style == "currency":
        return f"${x:,.2f}"
    if style == "percent":
        return f"{x:.2f}%"
    if style == "spaces":
        return f"  {x:.2f} "
    return f"{x:.6e}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats(min_value=-1e7, max_value=1e7, allow_nan=False), min_size=3, max_size=30),
       st.sampled_from(["thousands", "currency", "percent", "spaces", "scientific"]))
def test_numbers_written_as_text_read_back_as_the_numbers(values, style):
    text = pd.Series([_write(v, style) for v in values])
    parsed = numbers_from_text(text)
    assert parsed is not None
    expected = [float(_write(v, "spaces")) if style != "scientific" else float(_write(v, style)) for v in values]
    np.testing.assert_allclose(parsed.to_numpy(), expected, rtol=0, atol=0)


def test_text_that_is_not_all_numbers_is_not_read_as_numbers():
    assert numbers_from_text(pd.Series(["1,200", "12", "n/a"])) is None
    assert numbers_from_text(pd.Series(["1,20", "3"])) is None          # a comma that is no thousands separator
    assert numbers_from_text(pd.Series(["1.2.3"])) is None


def test_a_decimal_comma_is_never_read_as_a_thousands_separator():
    # "0,822" is no thousands grouping (a group never starts a number with 0): it was read as 822
    assert numbers_from_text(pd.Series(["0,822", "-0,5"])) is None
    assert numbers_from_text(pd.Series(["0,822", "1,234"])) is None     # one decimal comma: the column is not
    assert numbers_from_text(pd.Series(["1,234", "-12,000.5"])).tolist() == [1234.0, -12000.5]


def test_a_column_written_with_decimal_commas_is_refused_not_made_categorical():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": [f"{v:.2f}".replace(".", ",") for v in rng.normal(0, 3, 100)],
                          "y": rng.choice(["a", "b"], 100)})
    with pytest.raises(rulex.DataError, match=r"'x' holds numbers written with a decimal comma.*categorical"):
        rulex.Dataset.from_frame(frame, target="y")
    words = pd.DataFrame({"x": rng.choice(["red, dark", "blue", "1,5 or 2"], 100), "y": rng.choice(["a", "b"], 100)})
    assert rulex.Dataset.from_frame(words, target="y").schema["x"].kind == "categorical"


def test_rules_and_network_read_a_text_column_alike_or_refuse_it_naming_the_value():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(0, 1, 200), "c": rng.choice(["a", "b"], 200)})
    frame["y"] = np.where(frame.x + (frame.c == "a") > 0.5, "pos", "neg")
    ds = rulex.Dataset.from_frame(frame, target="y")
    net = rulex.train_network(ds, hidden_layer_sizes=(4,), random_state=0, max_epochs=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rules = rulex.extract(net, ds, "cover", random_state=0)
    X = ds.X
    thousands = X.assign(x=(X.x * 10_000).map(lambda v: f"{v:,.3f}"))
    clean = X.assign(x=(X.x * 10_000).round(3))
    np.testing.assert_array_equal(rules.predict(thousands), rules.predict(clean))
    np.testing.assert_array_equal(net.predict(thousands), net.predict(clean))
    decimal_comma = X.assign(x=X.x.map(lambda v: f"{v:.3f}".replace(".", ",")))
    for predict in (rules.predict, net.predict):
        with pytest.raises(rulex.DataError, match=r"'x'.*decimal comma"):
            predict(decimal_comma)
    bare = Condition("x", ">", 0.5)      # a condition alone (no schema) reads text as the encoder does
    np.testing.assert_array_equal(bare.evaluate(thousands.iloc[:20]), bare.evaluate(clean.iloc[:20]))
    with pytest.raises(rulex.RuleError, match=r"'x' is not numeric.*decimal comma"):
        bare.evaluate(decimal_comma)


def _credit_frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    income = rng.integers(1_000, 200_000, n)
    return pd.DataFrame({
        "income": [f"{v:,}" for v in income],
        "rate": [f"{v:.1f}%" for v in rng.random(n) * 20],
        "job": rng.choice(["clerk", "nurse", "driver"], n),
        "ok": np.where(income > 90_000, "yes", "no"),
    })


def test_from_frame_parses_text_numbers_says_so_and_predicts_on_raw_text_too():
    raw = _credit_frame()
    with pytest.warns(rulex.RulexWarning, match="'income'.*'rate'"):
        ds = rulex.Dataset.from_frame(raw, target="ok")
    assert raw["income"].iloc[0] == _credit_frame()["income"].iloc[0]   # the user's frame is not modified
    assert ds.schema["income"].kind == "integer" and ds.schema["rate"].kind == "numeric"
    assert ds.schema["job"].kind == "categorical"
    net = rulex.train_network(ds, hidden_layer_sizes=(4,), random_state=0, max_epochs=20)
    assert net.encoder.n_inputs == 5                          # not one input per distinct income
    np.testing.assert_array_equal(net.predict(raw), net.predict(ds.frame))


def test_a_text_column_with_a_few_non_numbers_names_the_row():
    raw = _credit_frame()
    raw.loc[7, "income"] = "unknown"
    with pytest.raises(rulex.DataError, match=r"'income'.*'unknown'"):
        rulex.Dataset.from_frame(raw, target="ok")


@pytest.mark.parametrize("column", [
    pd.Series(pd.date_range("2020-01-01", periods=40)),
    pd.Series([f"2021-03-{d:02d}" for d in range(1, 29)] * 2)[:40],
    pd.Series(pd.date_range("2020-01-01", periods=40, tz="UTC")),
])
def test_dates_are_refused_with_a_way_to_convert_them(column):
    frame = pd.DataFrame({"when": column.to_numpy(), "x": np.arange(40), "y": ["a", "b"] * 20})
    with pytest.raises(rulex.DataError, match=r"'when' holds dates.*days since"):
        rulex.Dataset.from_frame(frame, target="y")


@pytest.fixture(scope="module")
def iris_net():
    train, test = rulex.load_dataset("iris").split(test_size=0.3, random_state=0)
    net = rulex.train_network(train, hidden_layer_sizes=(4,), random_state=0, max_epochs=30)
    rules = rulex.extract(net, train, method="surrogate_tree", random_state=0)
    return net, train, test, rules


def test_labels_that_are_not_the_networks_classes_are_refused(iris_net):
    net, train, test, rules = iris_net
    frame = test.frame.copy()
    frame[test.target] = frame[test.target].str.upper()
    shouted = rulex.Dataset.from_frame(frame, target=test.target)
    with pytest.raises(rulex.DataError, match=r"'SETOSA' looks like the class 'setosa'"):
        rulex.evaluate(rules, net, shouted)
    with pytest.raises(rulex.DataError, match="not among the network's classes"):
        rulex.extract(net, shouted, method="surrogate_tree")


def test_rules_of_another_network_warn_and_of_another_target_are_refused(iris_net):
    net, train, test, rules = iris_net
    other = rulex.train_network(train, hidden_layer_sizes=(3,), random_state=1, max_epochs=30)
    with pytest.warns(rulex.RulexWarning, match="extracted from network"):
        rulex.evaluate(rules, other, test)
    bc_train, _ = rulex.load_dataset("breast_cancer").split(test_size=0.3, random_state=0)
    bc_net = rulex.train_network(bc_train, hidden_layer_sizes=(3,), random_state=0, max_epochs=5)
    bc_rules = rulex.extract(bc_net, bc_train, method="surrogate_tree", random_state=0)
    with pytest.raises(rulex.DataError, match="classes"):
        rulex.evaluate(bc_rules, net, test)


def test_category_values_cannot_inject_markup_or_break_lines():
    schema = rulex.Schema([rulex.Feature("job", "categorical", ("<script>alert(1)</script>", "a\nb", "x|y"))],
                          target="y", classes=("no", "yes"))
    rules = rulex.RuleSet([rulex.Rule([rulex.Condition("job", "in", ["<script>alert(1)</script>", "a\nb"])], "yes"),
                           rulex.Rule([rulex.Condition("job", "==", "x|y")], "no")], "no",
                          classes=("no", "yes"), target="y", schema=schema)
    md = rulex.export(rules, "markdown")
    assert "<script>" not in md and "&lt;script>" in md
    assert r"x\|y" in md
    table = [line for line in md.splitlines() if line.startswith("| 1 ")]
    assert len(table) == 1 and r'"a\nb"' in table[0]
    text = rulex.export(rules, "text")
    assert r'"a\nb"' in text and len([ln for ln in text.splitlines() if "a\\nb" in ln]) == 1


def test_a_class_budget_too_small_for_the_classes_is_said():
    rng = np.random.default_rng(0)
    X = rng.random((1500, 2))
    frame = pd.DataFrame(X, columns=["a", "b"])
    frame["y"] = [f"c{int(v * 30)}" for v in X[:, 0]]
    ds = rulex.Dataset.from_frame(frame, target="y")
    net = rulex.train_network(ds, hidden_layer_sizes=(16,), random_state=0, max_epochs=40)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rulex.extract(net, ds, method="surrogate_tree", max_leaf_nodes=4)
    messages = [str(w.message) for w in caught if issubclass(w.category, rulex.RulexWarning)]
    assert any("no rule concludes" in m and "max_leaf_nodes" in m for m in messages), messages


def test_mixed_type_categories_export_to_sql_that_engines_run():
    import sqlite3

    import duckdb
    frame = pd.DataFrame({"job": pd.Series([1, 2.5, "nurse", 1, "nurse", 2.5], dtype=object)})
    schema = rulex.Schema([rulex.Feature("job", "categorical", (1, 2.5, "nurse"))], target="y", classes=("a", "b"))
    rules = rulex.RuleSet([rulex.Rule([rulex.Condition("job", "in", [1, 2.5])], "a"),
                           rulex.Rule([rulex.Condition("job", "!=", "nurse")], "b")], "b",
                          classes=("a", "b"), target="y", schema=schema)
    expected = list(rules.predict(frame))
    sql = rulex.export(rules, "sql", table="t")
    con = duckdb.connect()
    con.register("t", frame)
    assert [row[-1] for row in con.execute(sql).fetchall()] == expected
    lite = sqlite3.connect(":memory:")
    frame.to_sql("t", lite, index=False)
    assert [row[-1] for row in lite.execute(sql).fetchall()] == expected
