"""brcg: Boolean rule sets by column generation and a HiGHS integer program, on network labels."""
from __future__ import annotations

import pytest
from _helpers.nets import dnf_net, whole_space_net

import rulex
from rulex.exceptions import BudgetExceededError


@pytest.mark.parametrize("name, max_conditions", [("xor", 4), ("monk1", 7)])
def test_exact_concepts_with_a_proof_of_optimality(name, max_conditions):
    net, train, full = whole_space_net(name)
    rules = rulex.extract(net, train, method="brcg", random_state=0)
    assert rulex.evaluate(rules, net, full).fidelity == 1.0, str(rules)
    assert rules.conditions_count() <= max_conditions
    assert rules.provenance["proven_optimal"] is True
    assert rules.provenance["stages"][0]["errors"] == 0


def test_smallest_dnf_reaching_a_fidelity_target():
    net, train, test, terms = dnf_net()
    rules = rulex.extract(net, train, method="brcg", fidelity_target=0.99, random_state=0)
    assert rules.provenance["stages"][0]["target_met"] is True
    assert len(rules) <= len(terms)
    assert rulex.evaluate(rules, net, test).fidelity >= 0.98


def test_best_fidelity_within_a_condition_budget():
    net, train, _test, _terms = dnf_net()
    small = rulex.extract(net, train, method="brcg", max_conditions=6, random_state=0)
    assert small.conditions_count() <= 6
    larger = rulex.extract(net, train, method="brcg", max_conditions=12, random_state=0)
    assert larger.conditions_count() <= 12
    # a larger budget can only help on the labelled sample the program optimises
    assert larger.provenance["stages"][0]["errors"] <= small.provenance["stages"][0]["errors"]


def test_budget_returns_best_found_with_flag_or_raises():
    net, train, _full = whole_space_net("monk1")
    rules = rulex.extract(net, train, method="brcg", max_seconds=0.0, random_state=0)
    assert rules.provenance["budget_exhausted"] is True and rules.provenance["proven_optimal"] is False
    with pytest.raises(BudgetExceededError, match="max_seconds"):
        rulex.extract(net, train, method="brcg", max_seconds=0.0, on_budget="error", random_state=0)
