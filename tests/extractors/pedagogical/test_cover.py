"""cover: sequential covering with the network as oracle, on concepts whose answer is known."""
from __future__ import annotations

import functools

import numpy as np
import pytest

from _helpers.nets import dnf_net, whole_space_net

import rulex
from rulex.exceptions import BudgetExceededError


def test_recovers_an_8_term_dnf_over_categorical_inputs():
    net, train, test, terms = dnf_net()
    assert rulex.evaluate(rulex.extract(net, train, method="surrogate_tree"), net, test).network_accuracy >= 0.97
    rules = rulex.extract(net, train, method="cover", random_state=0)
    rep = rulex.evaluate(rules, net, test)
    assert rep.fidelity >= 0.99
    assert len(rules) <= len(terms)
    assert rules.conditions_count() <= sum(len(t) for t in terms)
    # the rules are the concept's terms (as ==/in tests on the categories)
    found = {frozenset((c.feature, c.op, c.value) for c in r.conditions) for r in rules}
    truth = {frozenset(t) for t in terms}
    assert len(found & truth) >= len(terms) - 1


@pytest.mark.parametrize("semantics", ["ordered", "unordered"])
def test_xor_and_monk1_exactly_on_the_whole_space(semantics):
    for name, max_conditions in (("xor", 4), ("monk1", 7)):
        net, train, full = whole_space_net(name)
        assert np.mean(net.predict(full.frame) == full.frame[full.target].to_numpy()) == 1.0
        rules = rulex.extract(net, train, method="cover", semantics=semantics, random_state=0)
        assert rules.semantics == semantics
        assert rulex.evaluate(rules, net, full).fidelity == 1.0, (name, str(rules))
        assert rules.conditions_count() <= max_conditions, (name, str(rules))


def test_numeric_thresholds_in_original_units_one_literal():
    net, train, test, terms = dnf_net(n_terms=1, n_literals=1, n_categorical=0, n_numeric=3, n_samples=1500)
    (feature, _op, t), = terms[0]
    rules = rulex.extract(net, train, method="cover", random_state=0)
    assert rulex.evaluate(rules, net, test).fidelity >= 0.98
    conds = [c for r in rules for c in r.conditions]
    assert len(conds) == 1 and conds[0].feature == feature
    # the cut sits between two neighbouring values seen by the learner, close to the concept's threshold
    assert abs(conds[0].value - t) < 0.05


def test_multiclass_ordered_and_unordered_agree_with_the_network():
    from _helpers.nets import iris_net
    net, train, test = iris_net()
    for semantics in ("ordered", "unordered"):
        rules = rulex.extract(net, train, method="cover", semantics=semantics, random_state=0)
        assert {r.conclusion for r in rules} | {rules.default} == set(net.classes)
        assert rulex.evaluate(rules, net, test).fidelity >= 0.9


def test_fidelity_stop_and_small_pools():
    net, train, _test, terms = dnf_net()
    rules = rulex.extract(net, train, method="cover", stop="fidelity", fidelity_target=0.95, n_samples=0,
                          n_rounds=0, random_state=0)
    assert 1 <= len(rules) <= len(terms)
    assert rules.provenance["parameters"]["stop"] == "fidelity"


def test_time_budget_returns_or_raises():
    net, train, _test, _terms = dnf_net()
    rules = rulex.extract(net, train, method="cover", max_seconds=0.0, random_state=0)
    assert rules.provenance["budget_exhausted"] is True
    with pytest.raises(BudgetExceededError, match="max_seconds"):
        rulex.extract(net, train, method="cover", max_seconds=0.0, on_budget="error", random_state=0)


def test_prune_metric_precision_keeps_a_tightening_literal_that_accuracy_drops():
    from rulex.extractors._sequential_covering import Covering
    from rulex.extractors._value_table import Lit
    # x0 > 0.5 covers 100 rows: 90 positives, 10 negatives; x1 > 0.5 keeps 40 of them, all positive:
    # precision rises (0.8 -> 1.0 in (p-n)/(p+n)) while p - n falls (80 -> 40)
    x0 = np.r_[np.ones(100), np.zeros(100)]
    x1 = np.r_[np.ones(40), np.zeros(60), np.zeros(100)]
    pos = np.r_[np.ones(90, bool), np.zeros(10, bool), np.zeros(100, bool)]
    V = np.column_stack([x0, x1])
    lits = [Lit(0, "gt", 0.5), Lit(1, "gt", 0.5)]
    engine = functools.partial(Covering, None, max_rule_conditions=4, min_support=1, stop="mdl",
                               fidelity_target=0.99, lookahead=False, max_rules=None, clock=None)
    assert engine(prune_metric="precision").prune(lits, V, pos) == lits
    assert engine(prune_metric="accuracy").prune(lits, V, pos) == lits[:1]


def test_cover_prune_metric_auto_switches_on_large_pools_and_validates():
    net, train, _test, _terms = dnf_net()
    rules = rulex.extract(net, train, method="cover", random_state=0)
    assert rules.provenance["prune_metric"] == "precision"          # a few thousand pool rows
    big = rulex.extract(net, train, method="cover", n_samples=16000, n_rounds=0, random_state=0)
    assert big.provenance["prune_metric"] == "accuracy"
    with pytest.raises(rulex.DataError, match="prune_metric"):
        rulex.extract(net, train, method="cover", prune_metric="recall")


def test_cover_max_rows_caps_the_pool_it_learns_on():
    net, train, _test, _terms = dnf_net()
    small = rulex.extract(net, train, method="cover", max_rows=600, n_rounds=0, random_state=0)
    full = rulex.extract(net, train, method="cover", n_rounds=0, random_state=0)
    assert abs(small.provenance["rounds"][0]["grow_rows"] - (1 - 0.33) * 600) <= 1    # the grow share kept
    assert full.provenance["rounds"][0]["grow_rows"] > 2000
    again = rulex.extract(net, train, method="cover", max_rows=600, n_rounds=0, random_state=0)
    assert str(again) == str(small)
