"""Conditions, m-of-n tests, rules and rule sets: validation, semantics, folding, simplification."""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import rulex
from rulex import Condition, Feature, MofN, Rule, RuleSet, Schema
from rulex.rules import NEGATE, OPS, fold, implies, simplify_dnf
from rulex.rules.render import format_condition


# ---------------------------------------------------------------------------------------------
# Condition
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["<", ">=", "=", "contains", "", "IN"])
def test_condition_rejects_unknown_operator(op):
    with pytest.raises(rulex.RuleError, match="operator"):
        Condition("x", op, 1.0)


def test_condition_validation_errors():
    with pytest.raises(rulex.RuleError, match="NaN"):
        Condition("x", "<=", float("nan"))
    with pytest.raises(rulex.RuleError, match="NaN"):
        Condition("x", ">", np.nan)
    with pytest.raises(rulex.RuleError, match="number"):
        Condition("x", "<=", "high")
    with pytest.raises(rulex.RuleError, match="number"):
        Condition("x", ">", None)
    with pytest.raises(rulex.RuleError, match="empty"):
        Condition("x", "in", [])
    with pytest.raises(rulex.RuleError, match="empty"):
        Condition("x", "not in", set())
    with pytest.raises(rulex.RuleError, match="set"):
        Condition("x", "in", "abc")                  # a string is not a set of values
    with pytest.raises(rulex.RuleError, match="set"):
        Condition("x", "in", 3)
    with pytest.raises(rulex.RuleError):
        Condition("", "<=", 1.0)
    # RuleError is a ValueError
    with pytest.raises(ValueError):
        Condition("x", "~", 1)


def test_condition_normalises_values():
    c = Condition("x", "<=", np.float32(0.5))
    assert type(c.value) is float and c.value == 0.5
    assert Condition("x", ">", 3).value == 3.0
    assert Condition("x", "<=", math.inf).value == math.inf       # infinite thresholds are allowed
    # sets are stored sorted, so equal sets give equal (and equally hashed) conditions
    a, b = Condition("c", "in", ["b", "a", "c"]), Condition("c", "in", {"c", "a", "b"})
    assert a == b and hash(a) == hash(b)
    assert a.value == ("a", "b", "c")
    assert Condition("c", "==", np.int64(3)).value == 3
    assert type(Condition("c", "==", np.int64(3)).value) is int


def test_condition_threshold_is_exact():
    t = 0.1234567891234
    c = Condition("x", "<=", t)
    assert c.value == t
    assert str(c) == "x <= 0.123457"
    assert format_condition(c, digits=12) == "x <= 0.123456789123"


def test_negate_every_operator():
    pairs = {"<=": ">", ">": "<=", "==": "!=", "!=": "==", "in": "not in", "not in": "in",
             "is missing": "is not missing", "is not missing": "is missing"}
    assert NEGATE == pairs
    assert set(OPS) == set(pairs)
    values = {"<=": 2.5, ">": 2.5, "==": "a", "!=": "a", "in": ("a", "b"), "not in": ("a", "b"),
              "is missing": None, "is not missing": None}
    frame = pd.DataFrame({"x": [1.0, 2.5, 3.0, 9.0], "c": ["a", "b", "c", "a"]})
    for op, v in values.items():
        feat = "x" if op in ("<=", ">") else "c"
        c = Condition(feat, op, v)
        n = c.negate()
        assert n.op == pairs[op] and n.feature == feat and n.value == c.value
        assert n.negate() == c
        # on complete rows the negation holds exactly where the condition does not
        np.testing.assert_array_equal(n.evaluate(frame), ~c.evaluate(frame))


def test_is_missing_and_is_not_missing_are_exact_complements_on_missing_values_too():
    frame = pd.DataFrame({"x": [np.nan, 1.0, None, 7.0], "c": ["a", None, "b", np.nan]})
    for feat in ("x", "c"):
        miss = Condition(feat, "is missing").evaluate(frame)
        np.testing.assert_array_equal(miss, frame[feat].isna().to_numpy())
        np.testing.assert_array_equal(Condition(feat, "is not missing").evaluate(frame), ~miss)
    with pytest.raises(rulex.RuleError, match="takes no value"):
        Condition("x", "is missing", 3)
    assert str(Condition("x", "is missing")) == "x is missing"


@pytest.mark.parametrize("op,value", [("<=", 5.0), (">", 5.0), ("<=", math.inf), (">", -math.inf),
                                      ("==", 1.0), ("!=", 1.0), ("in", (1.0, 2.0)), ("not in", (1.0, 2.0))])
def test_missing_numeric_values_make_every_condition_false(op, value):
    frame = pd.DataFrame({"x": [np.nan, 1.0, None, 7.0]}, dtype=float)
    got = Condition("x", op, value).evaluate(frame)
    assert got.dtype == bool
    assert not got[0] and not got[2]
    # and the complete rows still work
    x = np.array([1.0, 7.0])
    if op == "<=":
        np.testing.assert_array_equal(got[[1, 3]], x <= value)
    elif op == ">":
        np.testing.assert_array_equal(got[[1, 3]], x > value)


@pytest.mark.parametrize("op,value", [("==", "a"), ("!=", "a"), ("in", ("a", "b")), ("not in", ("a", "b")),
                                      ("!=", "zzz"), ("not in", ("zzz",))])
@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_missing_categorical_values_make_every_condition_false(op, value, missing):
    frame = pd.DataFrame({"c": pd.Series(["a", missing, "b", "c"], dtype=object)})
    got = Condition("c", op, value).evaluate(frame)
    assert got[1] == False  # noqa: E712 (numpy bool)
    complete = np.array(["a", "b", "c"], dtype=object)
    vals = set(value) if op in ("in", "not in") else {value}
    want = np.isin(complete, list(vals))
    if op in ("!=", "not in"):
        want = ~want
    np.testing.assert_array_equal(got[[0, 2, 3]], want)


def test_missing_values_in_pandas_categorical_and_string_dtypes():
    for col in (pd.Categorical(["a", None, "b"]), pd.array(["a", None, "b"], dtype="string")):
        frame = pd.DataFrame({"c": col})
        for op, v in (("==", "a"), ("!=", "a"), ("in", ["a", "b"]), ("not in", ["a"])):
            assert not Condition("c", op, v).evaluate(frame)[1], (col.dtype, op)


def test_threshold_condition_on_non_numeric_column_raises():
    with pytest.raises(rulex.RuleError, match="not numeric"):
        Condition("c", "<=", 1.0).evaluate(pd.DataFrame({"c": ["a", "b"]}))


def test_threshold_condition_on_bool_column():
    frame = pd.DataFrame({"b": [True, False]})
    np.testing.assert_array_equal(Condition("b", ">", 0.5).evaluate(frame), [True, False])


# ---------------------------------------------------------------------------------------------
# MofN
# ---------------------------------------------------------------------------------------------
def test_mofn_semantics():
    lits = (Condition("x", ">", 0.5), Condition("y", ">", 0.5), Condition("z", "==", "on"))
    frame = pd.DataFrame({"x": [0, 1, 1, 1, 0, np.nan], "y": [0, 0, 1, 1, 1, 1],
                          "z": ["off", "off", "off", "on", "on", "on"]})
    count = np.array([0, 1, 2, 3, 2, 2])
    for m in (1, 2, 3):
        np.testing.assert_array_equal(MofN(m, lits).evaluate(frame), count >= m)
    # 1-of-n is a disjunction, n-of-n a conjunction
    any_ = np.logical_or.reduce([c.evaluate(frame) for c in lits])
    all_ = np.logical_and.reduce([c.evaluate(frame) for c in lits])
    np.testing.assert_array_equal(MofN(1, lits).evaluate(frame), any_)
    np.testing.assert_array_equal(MofN(3, lits).evaluate(frame), all_)
    mofn = MofN(2, lits)
    assert mofn.size() == 3
    assert mofn.features == ("x", "y", "z")
    assert "at least 2 of" in str(mofn)
    # a rule mixing m-of-n and plain conditions is their conjunction
    rule = Rule([mofn, Condition("x", "<=", 0.5)], "yes")
    np.testing.assert_array_equal(rule.evaluate(frame), (count >= 2) & (frame["x"].to_numpy() <= 0.5))
    assert rule.size() == 4 and len(rule) == 2


def test_mofn_validation():
    a, b = Condition("x", ">", 1.0), Condition("y", "<=", 2.0)
    with pytest.raises(rulex.RuleError):
        MofN(0, (a, b))
    with pytest.raises(rulex.RuleError):
        MofN(3, (a, b))
    with pytest.raises(rulex.RuleError):
        MofN(1, ())
    with pytest.raises(rulex.RuleError):
        MofN(1, (a, "y <= 2"))
    with pytest.raises(rulex.RuleError):
        MofN("two", (a, b))
    assert MofN(np.int64(2), [a, b]).m == 2


# ---------------------------------------------------------------------------------------------
# Rule and RuleSet semantics
# ---------------------------------------------------------------------------------------------
def test_rule_validation_and_immutability():
    with pytest.raises(rulex.RuleError, match="conclusion"):
        Rule([Condition("x", ">", 1.0)], None)
    with pytest.raises(rulex.RuleError):
        Rule(["x > 1"], "a")
    r = Rule([Condition("x", ">", 1.0)], "a", support=np.int64(4), precision=np.float32(0.5))
    assert r.support == 4 and type(r.support) is int
    with pytest.raises(AttributeError):
        r.conclusion = "b"
    r2 = r.replace(conclusion="b")
    assert r2.conclusion == "b" and r.conclusion == "a"
    assert r2.conditions == r.conditions
    # an empty rule always holds
    np.testing.assert_array_equal(Rule([], "a").evaluate(pd.DataFrame({"x": [1, 2]})), [True, True])


def test_ruleset_validation():
    r = Rule([Condition("x", ">", 1.0)], "a")
    with pytest.raises(rulex.RuleError, match="default"):
        RuleSet([r], None)
    with pytest.raises(rulex.RuleError, match="semantics"):
        RuleSet([r], "b", semantics="weighted")
    with pytest.raises(rulex.RuleError, match="classes"):
        RuleSet([r], "b", classes=("b", "c"))           # conclusion "a" is not a class
    with pytest.raises(rulex.RuleError, match="classes"):
        RuleSet([r], "z", classes=("a", "b"))           # default is not a class
    with pytest.raises(rulex.RuleError):
        RuleSet(["x > 1"], "a")
    with pytest.raises(rulex.RuleError):
        RuleSet([r], "a", space="latent")
    schema = Schema((Feature("y", "numeric"),))
    with pytest.raises(rulex.RuleError, match="'x'"):
        RuleSet([r], "a", schema=schema)
    # classes default to the conclusions then the default, in order of appearance
    assert RuleSet([r, Rule([], "c")], "b").classes == ("a", "c", "b")


def _vote_rules(semantics):
    return RuleSet([
        Rule([Condition("x", "<=", 5.0)], "b"),    # 0
        Rule([Condition("x", "<=", 3.0)], "a"),    # 1
        Rule([Condition("x", "<=", 1.0)], "a"),    # 2
        Rule([Condition("x", ">", 8.0)], "c"),     # 3
    ], "d", semantics=semantics, classes=("a", "b", "c", "d"), target="y")


X_VOTE = pd.DataFrame({"x": [0.0, 2.0, 4.0, 6.0, 9.0, 1.0, 3.0]})


def test_ordered_first_match_wins():
    rs = _vote_rules("ordered")
    assert list(rs.predict(X_VOTE)) == ["b", "b", "b", "d", "c", "b", "b"]
    np.testing.assert_array_equal(rs.decide(X_VOTE), [0, 0, 0, -1, 3, 0, 0])
    ex = rs.explain(X_VOTE)
    assert list(ex["rule"]) == [1, 1, 1, "default", 4, 1, 1]   # from 1, "default" for the default
    assert list(ex["prediction"]) == list(rs.predict(X_VOTE))
    assert ex["text"].iloc[3].startswith("DEFAULT")
    assert ex["text"].iloc[0].startswith("IF x <= 5")
    assert list(ex.index) == list(X_VOTE.index)


def test_unordered_weighted_vote_and_tie_break():
    rs = _vote_rules("unordered")
    # x=0: b has 1 vote (rule 0), a has 2 (rules 1, 2) -> a, decided by a's first firing rule (1)
    # x=2: b 1 vote, a 1 vote: tie -> the class whose first firing rule is earliest: b (rule 0)
    # x=4: b only; x=6: nothing -> default; x=9: c
    # x=1: a has rules 1 and 2 (x <= 1 holds at 1) -> a; x=3: b=1, a=1 -> b
    assert list(rs.predict(X_VOTE)) == ["a", "b", "b", "d", "c", "a", "b"]
    assert list(rs.explain(X_VOTE)["rule"]) == [2, 1, 1, "default", 4, 2, 1]


def test_unordered_weights_decide_the_vote():
    frame = pd.DataFrame({"x": [0.0, 2.0]})
    rules = [Rule([Condition("x", "<=", 5.0)], "b", weight=2.5),
             Rule([Condition("x", "<=", 3.0)], "a"),
             Rule([Condition("x", "<=", 1.0)], "a")]
    rs = RuleSet(rules, "c", semantics="unordered", classes=("a", "b", "c"))
    assert list(rs.predict(frame)) == ["b", "b"]           # 2.5 beats 2
    rules[0] = rules[0].replace(weight=1.5)
    rs = RuleSet(rules, "c", semantics="unordered", classes=("a", "b", "c"))
    assert list(rs.predict(frame)) == ["a", "b"]           # 2 beats 1.5 at x=0; 1.5 beats 1 at x=2
    # an exact weighted tie goes to the class whose first firing rule is earliest, whatever the
    # class order: here "b" (rule 0) although "a" comes first in classes
    rules[0] = rules[0].replace(weight=2.0)
    rs = RuleSet(rules, "c", semantics="unordered", classes=("a", "b", "c"))
    assert list(rs.predict(frame)) == ["b", "b"]
    assert list(rs.explain(frame)["rule"]) == [1, 1]
    # and reversing the rule list flips the tie
    rs = RuleSet(rules[::-1], "c", semantics="unordered", classes=("a", "b", "c"))
    assert list(rs.predict(frame.iloc[:1])) == ["a"]
    assert list(rs.explain(frame.iloc[:1])["rule"]) == [1]


def test_default_when_nothing_fires_and_empty_ruleset():
    rs = RuleSet([Rule([Condition("x", ">", 100.0)], 1)], 0, classes=(0, 1))
    frame = pd.DataFrame({"x": [1.0, 2.0, 101.0]})
    assert list(rs.predict(frame)) == [0, 0, 1]
    assert list(rs.explain(frame)["rule"]) == ["default", "default", 1]
    for semantics in ("ordered", "unordered"):
        empty = RuleSet([], "no", semantics=semantics, classes=("no", "yes"))
        assert list(empty.predict(frame)) == ["no", "no", "no"]
        assert list(empty.explain(frame)["rule"]) == ["default"] * 3


def test_predictions_keep_label_types():
    frame = pd.DataFrame({"x": [0.0, 10.0]})
    for classes in ((0, 1), (False, True), ("neg", "pos")):
        rs = RuleSet([Rule([Condition("x", ">", 5.0)], classes[1])], classes[0], classes=classes)
        pred = rs.predict(frame)
        assert list(pred) == [classes[0], classes[1]]
        assert all(type(p.item() if hasattr(p, "item") else p) is type(classes[0]) for p in pred)


def test_regression_rules():
    rs = RuleSet([Rule([Condition("x", "<=", 1.0)], 10.5), Rule([Condition("x", "<=", 3.0)], -2)], 0.25,
                 task="regression", target="y")
    pred = rs.predict(pd.DataFrame({"x": [0.0, 2.0, 5.0]}))
    assert pred.dtype == np.float64
    np.testing.assert_array_equal(pred, [10.5, -2.0, 0.25])
    assert list(rs.explain(pd.DataFrame({"x": [0.0, 2.0, 5.0]}))["rule"]) == [1, 2, "default"]
    with pytest.raises(rulex.RuleError, match="ordered"):
        RuleSet([Rule([Condition("x", "<=", 1.0)], 10.5)], 0.0, task="regression", semantics="unordered")


def test_predict_checks_columns_and_schema():
    schema = Schema((Feature("c", "categorical", ("a", "b", "c")), Feature("x", "numeric")))
    rs = RuleSet([Rule([Condition("c", "==", "a")], 1)], 0, schema=schema, classes=(0, 1))
    with pytest.raises(rulex.DataError, match="'c'"):
        rs.predict(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(rulex.DataError, match="'q'"):
        rs.predict(pd.DataFrame({"c": ["q"]}))       # an unseen category is an error, not a silent miss
    with pytest.raises(rulex.DataError):
        rs.predict(np.zeros((2, 2)))
    # a single row as a Series works
    assert list(rs.predict(pd.Series({"c": "a", "x": 1.0}))) == [1]


# ---------------------------------------------------------------------------------------------
# folding and implication
# ---------------------------------------------------------------------------------------------
def test_fold_keeps_tightest_bounds():
    conds = [Condition("x", ">", 1.0), Condition("x", "<=", 10.0), Condition("x", ">", 3.0),
             Condition("y", "<=", 0.5), Condition("x", "<=", 7.0), Condition("x", ">", 2.0)]
    assert fold(conds) == (Condition("x", ">", 3.0), Condition("x", "<=", 7.0), Condition("y", "<=", 0.5))
    assert fold([]) == ()
    assert fold([Condition("x", "<=", 1.0), Condition("x", "<=", 1.0)]) == (Condition("x", "<=", 1.0),)


def test_fold_unsatisfiable_is_none():
    assert fold([Condition("x", ">", 5.0), Condition("x", "<=", 5.0)]) is None
    assert fold([Condition("x", ">", 5.0), Condition("x", "<=", 4.0)]) is None
    assert fold([Condition("c", "==", "a"), Condition("c", "==", "b")]) is None
    assert fold([Condition("c", "in", ["a", "b"]), Condition("c", "not in", ["a", "b"])]) is None
    assert fold([Condition("c", "==", "a"), Condition("c", "!=", "a")]) is None
    # satisfiable neighbours are kept
    assert fold([Condition("x", ">", 5.0), Condition("x", "<=", 5.5)]) is not None
    # integer features: 59.2 < age <= 59.9 holds for no integer
    schema = Schema((Feature("age", "integer"),))
    assert fold([Condition("age", ">", 59.2), Condition("age", "<=", 59.9)], schema) is None
    assert fold([Condition("age", ">", 59.2), Condition("age", "<=", 60.0)], schema) is not None


def test_fold_rewrites_sets_against_the_schema():
    cats = ("a", "b", "c", "d", "e")
    schema = Schema((Feature("job", "categorical", cats), Feature("b", "binary", ("no", "yes"))))
    def f(*conds):
        return fold(list(conds), schema)
    assert f(Condition("job", "in", ["a", "b"]), Condition("job", "!=", "a")) == (Condition("job", "==", "b"),)
    assert f(Condition("job", "in", ["a", "b", "c", "d"])) == (Condition("job", "!=", "e"),)
    # two exclusions out of five: the shorter complement is written as "not in"
    assert f(Condition("job", "!=", "a"), Condition("job", "!=", "b")) == (Condition("job", "not in", ["a", "b"]),)
    assert f(Condition("job", "in", ["a", "b", "c"])) == (Condition("job", "not in", ["d", "e"]),)
    assert f(Condition("job", "in", ["a", "b"])) == (Condition("job", "in", ["a", "b"]),)
    assert f(Condition("job", "in", list(cats))) == ()                  # always true on the domain
    assert f(Condition("job", "not in", list(cats))) is None           # never true
    assert f(Condition("b", "!=", "no")) == (Condition("b", "==", "yes"),)
    # without a schema the domain is unknown: sets stay as they are
    assert fold([Condition("job", "!=", "a")]) == (Condition("job", "!=", "a"),)
    assert fold([Condition("job", "in", ["a", "b"]), Condition("job", "!=", "a")]) == (Condition("job", "==", "b"),)


def test_fold_is_exact_on_a_grid():
    schema = Schema((Feature("job", "categorical", ("a", "b", "c", "d")), Feature("x", "numeric")))
    grid = pd.DataFrame(list(itertools.product(("a", "b", "c", "d"), (0.0, 1.0, 1.5, 2.0, 3.0, 4.0))),
                        columns=["job", "x"])
    rng = np.random.default_rng(0)
    for _ in range(300):
        conds = [_random_condition(rng) for _ in range(rng.integers(1, 5))]
        conds = [c for c in conds if c.feature in ("job", "x")]
        want = Rule(conds, 1).evaluate(grid)
        for sch in (None, schema):
            folded = fold(conds, sch)
            got = np.zeros(len(grid), bool) if folded is None else Rule(folded, 1).evaluate(grid)
            np.testing.assert_array_equal(got, want, err_msg=f"{conds} -> {folded}")


def test_implies():
    x_gt5, x_gt3 = [Condition("x", ">", 5.0)], [Condition("x", ">", 3.0)]
    assert implies(x_gt5, x_gt3)
    assert not implies(x_gt3, x_gt5)
    assert implies([Condition("x", ">", 5.0), Condition("y", "<=", 1.0)], x_gt3)
    assert not implies(x_gt3, [Condition("y", "<=", 1.0)])
    assert implies([Condition("c", "==", "a")], [Condition("c", "!=", "b")])
    assert implies([Condition("c", "in", ["a", "b"])], [Condition("c", "in", ["a", "b", "c"])])
    assert not implies([Condition("c", "in", ["a", "b", "c"])], [Condition("c", "in", ["a", "b"])])
    assert implies([Condition("c", "not in", ["a", "b"])], [Condition("c", "!=", "a")])
    assert not implies([Condition("c", "!=", "a")], [Condition("c", "not in", ["a", "b"])])
    assert implies([Condition("x", ">", 5.0), Condition("x", "<=", 1.0)], x_gt3)   # empty implies all
    assert implies([], [])
    assert not implies([], x_gt3)
    assert implies(x_gt3, [])
    # with a schema, a test that covers the whole domain is implied by anything
    schema = Schema((Feature("c", "categorical", ("a", "b", "c")), Feature("x", "numeric")))
    assert implies(x_gt5, [Condition("c", "in", ["a", "b", "c"])], schema)
    assert not implies(x_gt5, [Condition("c", "in", ["a", "b", "c"])])
    assert implies([Condition("c", "!=", "a"), Condition("c", "!=", "b")], [Condition("c", "==", "c")], schema)
    # m-of-n: only literal occurrence counts
    m = MofN(1, (Condition("x", ">", 1.0), Condition("y", ">", 1.0)))
    assert implies([m, Condition("z", "<=", 0.0)], [m])
    assert not implies([Condition("z", "<=", 0.0)], [m])


def test_implies_is_sound_on_a_grid():
    grid = pd.DataFrame(list(itertools.product(("a", "b", "c", "d"), (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0),
                                               (-1, 0, 1, 2, 3))), columns=["job", "x", "y"])
    rng = np.random.default_rng(1)
    n_true = 0
    for _ in range(600):
        a = [_random_condition(rng) for _ in range(rng.integers(0, 4))]
        b = [_random_condition(rng) for _ in range(rng.integers(0, 3))]
        for schema in (None, SIMPLIFY_SCHEMA):
            if implies(a, b, schema):
                n_true += 1
                ma, mb = Rule(a, 1).evaluate(grid), Rule(b, 1).evaluate(grid)
                assert not (ma & ~mb).any(), (a, b, schema is not None)
    assert n_true > 50          # the check is not vacuous


# ---------------------------------------------------------------------------------------------
# RuleSet.simplify
# ---------------------------------------------------------------------------------------------
def _random_condition(rng):
    kind = rng.integers(0, 3)
    if kind == 0:
        return Condition("x", "<=" if rng.random() < 0.5 else ">", float(rng.choice([0.5, 1.0, 1.5, 2.0, 3.0])))
    if kind == 1:
        return Condition("y", "<=" if rng.random() < 0.5 else ">", float(rng.choice([0.0, 1.0, 2.0])))
    op = str(rng.choice(["==", "!=", "in", "not in"]))
    if op in ("==", "!="):
        return Condition("job", op, str(rng.choice(list("abcd"))))
    k = int(rng.integers(1, 4))
    return Condition("job", op, list(rng.choice(list("abcd"), size=k, replace=False)))


SIMPLIFY_SCHEMA = Schema((Feature("x", "numeric"), Feature("y", "integer"),
                          Feature("job", "categorical", ("a", "b", "c", "d"))))


def _random_rows(rng, n=300):
    return pd.DataFrame({
        "x": rng.choice([0.0, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, np.nextafter(1.0, 2.0)], n),
        "y": rng.integers(-1, 4, n),
        "job": rng.choice(list("abcd"), n),
    })


def test_simplify_drops_unreachable_rules():
    rs = RuleSet([
        Rule([Condition("x", "<=", 2.0)], "a"),
        Rule([Condition("x", "<=", 1.0), Condition("job", "==", "b")], "b"),       # implied by rule 0
        Rule([Condition("x", ">", 3.0), Condition("x", "<=", 2.5)], "c"),          # unsatisfiable
        Rule([Condition("job", "in", ["a", "b"]), Condition("x", ">", 1.0), Condition("x", ">", 2.5)], "b"),
        Rule([Condition("job", "in", ["a", "b", "c", "d"])], "c"),                  # always true
        Rule([Condition("x", ">", 3.5)], "a"),                                      # after always-true
    ], "a", classes=("a", "b", "c"), schema=SIMPLIFY_SCHEMA)
    s = rs.simplify()
    assert len(s) < len(rs)
    assert s.default == "c"
    assert len(s) == 2
    assert s.rules[0].conditions == (Condition("x", "<=", 2.0),)
    assert s.rules[1].conditions == (Condition("job", "in", ["a", "b"]), Condition("x", ">", 2.5))
    rows = _random_rows(np.random.default_rng(0))
    np.testing.assert_array_equal(s.predict(rows), rs.predict(rows))
    # trailing rules concluding the default are dropped
    t = RuleSet([Rule([Condition("x", "<=", 2.0)], "a"), Rule([Condition("y", ">", 1.0)], "b")], "b").simplify()
    assert len(t) == 1 and t.default == "b"


@pytest.mark.parametrize("seed", range(5))
def test_simplify_keeps_predictions(seed):
    rng = np.random.default_rng(seed)
    rows = _random_rows(rng)
    for _ in range(40):
        rules = []
        for _ in range(rng.integers(0, 7)):
            conds = [_random_condition(rng) for _ in range(rng.integers(0, 4))]
            if rng.random() < 0.15:
                conds.append(MofN(int(rng.integers(1, 3)), (Condition("x", ">", 1.0), Condition("y", "<=", 1.0))))
            rules.append(Rule(conds, str(rng.choice(["a", "b", "c"])), weight=float(rng.choice([1.0, 2.0]))))
        semantics = str(rng.choice(["ordered", "unordered"]))
        for schema in (None, SIMPLIFY_SCHEMA):
            rs = RuleSet(rules, "a", semantics=semantics, classes=("a", "b", "c"), schema=schema)
            s = rs.simplify()
            np.testing.assert_array_equal(s.predict(rows), rs.predict(rows), err_msg=f"{rs}\n--\n{s}")
            assert len(s) <= len(rs)
            assert s.conditions_count() <= rs.conditions_count()
            assert s.simplify().predict(rows).tolist() == s.predict(rows).tolist()


# ---------------------------------------------------------------------------------------------
# simplify_dnf
# ---------------------------------------------------------------------------------------------
DNF_GRID = pd.DataFrame(list(itertools.product((0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0), (-1, 0, 1, 2, 3),
                                               tuple("abcd"))), columns=["x", "y", "job"])


def _dnf_mask(clauses, frame):
    out = np.zeros(len(frame), dtype=bool)
    for clause in clauses:
        out |= Rule(clause, 1).evaluate(frame)
    return out


def test_simplify_dnf_merges_complementary_terms():
    a, b = Condition("x", "<=", 1.0), Condition("job", "==", "a")
    clauses = [(a, b), (a, b.negate()), (Condition("x", ">", 2.0), Condition("x", ">", 1.0), b)]
    out = simplify_dnf(clauses)
    np.testing.assert_array_equal(_dnf_mask(out, DNF_GRID), _dnf_mask(clauses, DNF_GRID))
    assert (a,) in out
    assert sum(len(c) for c in out) < sum(len(c) for c in clauses)
    assert simplify_dnf([]) == []
    assert simplify_dnf([(a,), ()]) == [()]                       # an empty term is always true
    assert simplify_dnf([(a, a.negate())]) == []                   # unsatisfiable terms disappear
    # x <= 1 OR x > 1 covers everything; the result must at least stay equivalent (sympy's DNF
    # quick exit leaves "t | ~t" unsimplified, which is allowed: minimal is not promised)
    taut = simplify_dnf([(a,), (a.negate(),)])
    assert _dnf_mask(taut, DNF_GRID).all()


@pytest.mark.parametrize("seed", range(4))
def test_simplify_dnf_is_equivalent_on_a_grid(seed):
    rng = np.random.default_rng(seed)
    for _ in range(12):
        clauses = [tuple(_random_condition(rng) for _ in range(rng.integers(1, 4)))
                   for _ in range(rng.integers(1, 5))]
        for schema in (None, SIMPLIFY_SCHEMA):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                out = simplify_dnf(clauses, schema, max_symbols=8)
            np.testing.assert_array_equal(_dnf_mask(out, DNF_GRID), _dnf_mask(clauses, DNF_GRID),
                                          err_msg=f"{clauses} -> {out}")
            assert all(isinstance(c, tuple) for c in out)


def test_simplify_dnf_respects_max_symbols():
    clauses = [(Condition("x", "<=", float(i)), Condition("y", ">", float(i))) for i in range(6)]
    clauses += [(Condition("job", "==", "a"), Condition("x", ">", 2.75))]
    with pytest.warns(UserWarning, match="max_symbols"):
        out = simplify_dnf(clauses, max_symbols=3)
    np.testing.assert_array_equal(_dnf_mask(out, DNF_GRID), _dnf_mask(clauses, DNF_GRID))
    # within the budget: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        simplify_dnf(clauses[:2], max_symbols=10)


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------
def test_ruleset_str_is_readable_and_rounds_only_for_display():
    t = 0.1234567891234
    schema = Schema((Feature("income", "numeric"), Feature("age", "integer"),
                     Feature("job", "categorical", ("clerk", 'say "hi"', "x y"))))
    rs = RuleSet([
        Rule([Condition("income", "<=", t), Condition("age", ">", 59.0)], "high", support=12, precision=0.75),
        Rule([Condition("job", "in", ["clerk", 'say "hi"'])], "low"),
    ], "medium", classes=("low", "medium", "high"), target="risk", schema=schema)
    text = str(rs)
    assert "IF" in text and "ELSE" in text
    assert "ELSE IF" in text
    assert '"medium"' in text                      # the default
    assert "0.123457" in text
    assert "0.1234567891234" not in text
    assert "age >= 60" in text
    assert 'say \\"hi\\"' in text
    assert "support 12" in text and "precision 0.750" in text
    assert "risk" in text
    assert rs.rules[0].conditions[0].value == t     # the rule keeps the exact threshold
    lines = text.splitlines()
    assert lines[1].lstrip().startswith("1.") and lines[2].lstrip().startswith("2.")
    assert lines[-1].strip().startswith("ELSE") and "medium" in lines[-1]
    un = rs.replace(semantics="unordered")
    assert "DEFAULT" in str(un) and "ELSE IF" not in str(un)
    assert repr(rs).startswith("RuleSet(2 rules")
    assert rs.conditions_count() == 3 and len(rs) == 2
    assert rs.features_used() == ["income", "age", "job"]


def test_simplify_dnf_calls_the_budget_check_and_stops_when_it_raises():
    from rulex.exceptions import BudgetExceededError
    from rulex.rules.simplify import simplify_dnf
    clauses = [(Condition("x", "<=", float(i)), Condition("y", ">", float(-i))) for i in range(200)]
    calls = []
    out = simplify_dnf(clauses, check=lambda: calls.append(1))
    assert calls and len(out) == 1          # x <= 199 and y > -199 holds wherever any clause does

    def stop():
        raise BudgetExceededError("over")
    with pytest.raises(BudgetExceededError, match="over"):
        simplify_dnf(clauses, check=stop)
