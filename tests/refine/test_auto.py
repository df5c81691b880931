"""method="auto" (the smallest rule set within tolerance of the best held-out fidelity) and compare's Pareto front."""
from __future__ import annotations

import numpy as np
import pytest
from _helpers.nets import dnf_net, iris_net, whole_space_net

import rulex

QUICK = [("surrogate_tree", {"max_leaf_nodes": 4}), ("surrogate_tree", {"max_leaf_nodes": 16}), ("cover", {})]


def test_auto_recovers_a_dnf_and_says_what_won():
    net, train, test, terms = dnf_net()
    rules = rulex.extract(net, train, method="auto", random_state=0)
    assert rulex.evaluate(rules, net, test).fidelity >= 0.99
    assert len(rules) <= len(terms)
    win = rules.provenance["winner"]
    assert win["method"] in rulex.available_methods() and isinstance(win["parameters"], dict)
    cands = [c for c in rules.provenance["candidates"] if "holdout_fidelity" in c]
    assert {c["method"] for c in cands} >= {"surrogate_tree", "cover"}
    # the winner is the smallest candidate within the tolerance of the best held-out fidelity
    best = max(c["holdout_fidelity"] for c in cands)
    ok = [c for c in cands if c["holdout_fidelity"] >= best - 0.01 - 1e-12]
    assert win["holdout_fidelity"] >= best - 0.01 - 1e-12
    assert min(c["conditions"] for c in ok) == next(
        c["conditions"] for c in cands if c["method"] == win["method"] and c["parameters"] == win["parameters"]
        and c["compressed"] == win["compressed"])


@pytest.mark.parametrize("name, max_conditions", [("xor", 4), ("monk1", 7)])
def test_auto_returns_the_concept_exactly(name, max_conditions):
    net, train, full = whole_space_net(name)
    rules = rulex.extract(net, train, method="auto", random_state=0, candidates=QUICK + [("brcg", {})])
    assert rulex.evaluate(rules, net, full).fidelity == 1.0
    assert rules.conditions_count() <= max_conditions


def test_auto_tolerance_trades_fidelity_for_size_and_validates_candidates():
    net, train, _test = iris_net()
    strict = rulex.extract(net, train, method="auto", tolerance=0.0, candidates=QUICK, random_state=0)
    loose = rulex.extract(net, train, method="auto", tolerance=0.2, candidates=QUICK, random_state=0)
    assert loose.conditions_count() <= strict.conditions_count()
    assert strict.provenance["winner"]["holdout_fidelity"] == strict.provenance["best_holdout_fidelity"]
    with pytest.raises(rulex.DataError, match="candidates"):
        rulex.extract(net, train, method="auto", candidates=[("nope", {})])
    with pytest.raises(rulex.DataError, match="candidates"):
        rulex.extract(net, train, method="auto", candidates=[("auto", {})])


def test_compare_marks_the_pareto_front():
    net, train, test = iris_net()
    table = rulex.compare(net, train, test, methods=["surrogate_tree", "cover", "cred"], progress=False)
    assert table["pareto"].dtype == bool and table["pareto"].any()
    f, c = table["fidelity"].to_numpy(float), table["conditions"].to_numpy(float)
    for i in range(len(table)):
        dominated = any(f[j] >= f[i] and c[j] <= c[i] and (f[j] > f[i] or c[j] < c[i]) for j in range(len(f)))
        assert table["pareto"].iloc[i] == (not dominated and not np.isnan(f[i]))
    assert table.loc[table["fidelity"].idxmax(), "pareto"]


def test_auto_returns_monk2_exactly_with_its_default_candidates():
    """MONK-2 is "exactly two of the six attributes take their first value": as m-of-n tests, 12
    conditions (at most two first values: at least 4 of 6 `!= first`; at least two: 2 of 6 `== first`)."""
    net, train, full = whole_space_net("monk2")
    assert np.mean(net.predict(full.frame) == full.frame[full.target].to_numpy()) == 1.0
    rules = rulex.extract(net, train, method="auto", random_state=0)
    assert rulex.evaluate(rules, net, full).fidelity == 1.0, str(rules)
    assert rules.conditions_count() <= 12, str(rules)
    assert {c["method"] for c in rules.provenance["candidates"]} >= {"checklist", "trepan", "cover"}


def test_auto_runs_the_classic_extractors_as_candidates():
    """KT, N-of-M and the hyper-cube family (issue 17) run inside auto like any other method."""
    net, train, test = iris_net()
    cands = [("kt", {}), ("nofm", {}), ("iter", {}), ("gridex", {}), ("creepy", {})]
    rules = rulex.extract(net, train, method="auto", candidates=cands, compress=False, random_state=0)
    tried = {c["method"]: c for c in rules.provenance["candidates"]}
    assert set(tried) == {m for m, _ in cands}
    ok = [c for c in tried.values() if "holdout_fidelity" in c]
    assert len(ok) >= 3, tried
    assert rules.provenance["winner"]["method"] in tried
    assert rulex.evaluate(rules, net, test).fidelity >= 0.8


def test_auto_max_rows_subsamples_the_rows_it_searches_on():
    net, train, _test = iris_net()
    kw = dict(method="auto", candidates=QUICK[:2], compress=False, random_state=0)
    small = rulex.extract(net, train, max_rows=60, **kw)
    assert small.provenance["rows_given"] == len(train) and small.provenance["rows_used"] == 60
    assert small.provenance["holdout_rows"] == 18                  # 30 % of the 60 rows used
    again = rulex.extract(net, train, max_rows=60, **kw)
    assert str(again) == str(small)                                # the subsample is seeded
    full = rulex.extract(net, train, max_rows=None, **kw)
    assert full.provenance["rows_used"] == len(train) > 60
    with pytest.raises(rulex.DataError, match="max_rows"):
        rulex.extract(net, train, max_rows=5, **kw)


def test_auto_max_conditions_returns_the_most_faithful_within_the_budget():
    net, train, test = iris_net()
    free = rulex.extract(net, train, method="auto", candidates=QUICK, random_state=0)
    two = rulex.extract(net, train, method="auto", max_conditions=2, random_state=0)
    assert two.conditions_count() <= 2 < free.conditions_count()
    fits = [c for c in two.provenance["candidates"] if "holdout_fidelity" in c and c["conditions"] <= 2]
    assert two.provenance["winner"]["holdout_fidelity"] == max(c["holdout_fidelity"] for c in fits)
    assert any(c["conditions"] > 2 for c in two.provenance["candidates"] if "conditions" in c)   # others were tried
    assert rulex.evaluate(two, net, test).fidelity >= 0.85        # petal length and width split the classes
    with pytest.raises(rulex.BudgetExceededError, match="max_conditions=1"):
        rulex.extract(net, train, method="auto", max_conditions=1, compress=False, random_state=0,
                      candidates=[("surrogate_tree", {"max_leaf_nodes": 16})])
    with pytest.raises(rulex.DataError, match="max_conditions"):
        rulex.extract(net, train, method="auto", max_conditions=0)


def test_auto_keeps_its_candidates_warnings_with_them():
    import warnings
    net, train, _test = iris_net()
    cands = [("surrogate_tree", {"max_leaf_nodes": 2}), ("surrogate_tree", {"max_leaf_nodes": 8})]
    with warnings.catch_warnings():
        warnings.simplefilter("error", rulex.RulexWarning)        # the 2-leaf tree cannot reach a class
        rules = rulex.extract(net, train, method="auto", candidates=cands, compress=False, tolerance=0.0,
                              random_state=0)
    small = next(c for c in rules.provenance["candidates"] if c["parameters"] == {"max_leaf_nodes": 2})
    assert any("no rule concludes" in w for w in small["warnings"])
    assert rules.provenance["winner"]["parameters"] == {"max_leaf_nodes": 8}
