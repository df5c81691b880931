"""ITER, GridEx, GridREx and CReEPy/CREAM: a known box concept, categories by name, budgets, linear cubes."""
import warnings

import pytest
from _helpers.nets import _oracle, all_conditions, diabetes_net

import rulex
from rulex.extractors import get_extractor

CUBES = ["iter", "gridex", "gridrex", "creepy"]


@pytest.mark.parametrize("method", CUBES)
def test_box_concept_recovered_with_categories_by_name(box_net, method):
    net, train, test = box_net
    rules = rulex.extract(net, train, method=method, random_state=0)
    assert rules.space == "original" and rules.semantics == "ordered"
    assert rulex.evaluate(rules, net, test).fidelity >= 0.95
    conds = all_conditions(rules)
    assert {c.feature for c in conds} <= {"x0", "c"}            # the irrelevant x1 is never bounded
    for c in conds:
        if c.feature == "c":
            assert c.value in ("a", "b", "c") or set(c.value) <= {"a", "b", "c"}   # categories by name
        else:
            assert 4.0 <= c.value <= 6.0                         # the cut sits at the network's boundary
    assert rules.provenance["oracle_calls"] >= len(train)       # every network call is counted


@pytest.mark.parametrize("method", CUBES)
def test_same_seed_same_rules_and_budget(box_net, method):
    net, train, _ = box_net
    a = rulex.extract(net, train, method=method, random_state=3)
    b = rulex.extract(net, train, method=method, random_state=3)
    assert a.rules == b.rules and a.default == b.default
    with pytest.raises(rulex.BudgetExceededError, match=f"{method}: .*max_seconds=0"):
        get_extractor(method, max_seconds=0.0).fit(net, train)
    with pytest.warns(RuntimeWarning, match="partial"):
        ex = get_extractor(method, max_seconds=0.0, on_budget="partial").fit(net, train)
    assert ex.rules_.provenance["complete"] is False


def test_gridex_splits_only_the_most_relevant_features(box_net):
    net, train, _ = box_net
    # one feature per split: the first split is on x0 or c, never the irrelevant x1
    rules = rulex.extract(net, train, method="gridex", n_features=1, depth=1)
    assert len(rules) <= 1 and {c.feature for c in all_conditions(rules)} <= {"x0", "c"}


def test_iter_bounds_every_feature_when_asked(box_net):
    net, train, test = box_net
    rules = rulex.extract(net, train, method="iter", n_features=None)
    assert rulex.evaluate(rules, net, test).fidelity >= 0.9


def test_creepy_exact_strategy(box_net):
    net, train, test = box_net
    rules = rulex.extract(net, train, method="creepy", strategy="exact")
    assert rulex.evaluate(rules, net, test).fidelity >= 0.9


def test_gridrex_concludes_linear_models_on_regression():
    net, train, test = diabetes_net()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linear = rulex.extract(net, train, method="gridrex", random_state=0)
        constant = rulex.extract(net, train, method="gridex", random_state=0)
    assert linear.rules and all(isinstance(r.conclusion, rulex.LinearModel) for r in linear.rules)
    assert isinstance(linear.default, float)
    f_lin = rulex.evaluate(linear, net, test).fidelity
    f_const = rulex.evaluate(constant, net, test).fidelity
    assert f_lin > 0.9 and f_lin > f_const


def test_pruning_drops_cubes_that_add_nothing_and_rechooses_the_default(box_net):
    from rulex.extractors.pedagogical._cube_oracle import prune
    net, train, _ = box_net
    oracle = _oracle(net, train)
    in_, out = net.classes.index("in"), net.classes.index("out")
    true = oracle.root()
    true.lo[0] = 0.5                                              # x0 > 5 (encoded x0 / 10)
    true.allowed[2] = frozenset([0])                              # c == "a"
    shadowed = true.copy()                                        # lies inside the first: never reached
    shadowed.lo[0] = 0.7
    wrong = oracle.root()                                         # everything else, concluding "in"
    cubes = [(true, in_, 1), (shadowed, out, 1), (wrong, in_, 1)]
    kept, default = prune(oracle, cubes, in_, max_rules=10, min_gain=0.0)
    assert [c for c, _, _ in kept] == [true] and default == out  # the catch-all goes, "out" is the default
    # max_rules wins over min_gain: one cube left even if dropping it costs agreement
    kept, default = prune(oracle, [(true, in_, 1)], out, max_rules=1, min_gain=0.0)
    assert len(kept) == 1
    # a costly cube is kept under a small min_gain, dropped under a large one
    assert len(prune(oracle, [(true, in_, 1)], out, max_rules=5, min_gain=0.01)[0]) == 1
    assert prune(oracle, [(true, in_, 1)], out, max_rules=5, min_gain=0.9)[0] == []


@pytest.mark.parametrize("method", CUBES)
def test_max_rules_caps_the_rules_after_growth(box_net, method):
    net, train, test = box_net
    one = rulex.extract(net, train, method=method, random_state=0, max_rules=1)
    assert len(one.rules) <= 1
    two = rulex.extract(net, train, method=method, random_state=0, max_rules=2)
    assert len(two.rules) <= 2
    assert rulex.evaluate(two, net, test).fidelity >= 0.95      # two cubes and a default suffice here
    assert rulex.evaluate(one, net, test).fidelity >= 0.8       # the better half of the concept


def test_pruning_on_regression_keeps_constant_cubes_within_max_rules():
    net, train, test = diabetes_net()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        few = rulex.extract(net, train, method="gridex", random_state=0, max_rules=2)
    assert len(few.rules) <= 2 and isinstance(few.default, float)


def test_min_gain_is_validated(box_net):
    net, train, _ = box_net
    with pytest.raises(ValueError, match="min_gain"):
        get_extractor("iter", min_gain=2.0).fit(net, train)


@pytest.mark.parametrize("method", ["iter", "creepy"])
def test_max_rows_grows_on_a_seeded_subset(box_net, method):
    net, train, test = box_net
    a = rulex.extract(net, train, method=method, random_state=1, max_rows=200)
    b = rulex.extract(net, train, method=method, random_state=1, max_rows=200)
    assert a.provenance["rows_used"] == 200 and a.rules == b.rules
    assert rulex.extract(net, train, method=method, random_state=1).provenance["rows_used"] == len(train)
    assert rulex.evaluate(a, net, test).fidelity >= 0.9

