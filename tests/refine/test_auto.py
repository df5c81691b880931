"""method="auto" (the smallest rule set within tolerance of the best held-out fidelity) and compare's Pareto front."""
from __future__ import annotations

import functools

import numpy as np
import pytest
from _helpers.nets import dnf_net, iris_net, whole_space_net

import rulex
from rulex.data.generated import make_dnf

QUICK = [("surrogate_tree", {"max_leaf_nodes": 4}), ("surrogate_tree", {"max_leaf_nodes": 16}), ("cover", {})]


def test_auto_recovers_a_dnf_and_says_what_won():
    net, train, test, terms = dnf_net()
    rules = rulex.extract(net, train, method="auto", random_state=0)
    assert rulex.evaluate(rules, net, test).fidelity >= 0.99
    assert len(rules) <= len(terms)
    win = rules.provenance["winner"]
    assert win["method"] in rulex.available_methods() and isinstance(win["parameters"], dict)
    cands = [c for c in rules.provenance["candidates"] if "holdout_fidelity" in c]
    assert {c["method"] for c in cands} >= {"surrogate_tree"}
    sel = rules.provenance["selection"]
    assert "tolerance=0.01" in sel["rule"]
    skipped = [c for c in rules.provenance["candidates"] if "skipped" in c]
    if sel["early_stop"]:          # a candidate agreed with the network on the whole held-out pool
        assert skipped and all(c["skipped"] == sel["early_stop"] for c in skipped if "dominated" not in c["skipped"])
        assert any(c["holdout_fidelity"] == 1.0 for c in cands)
    # the winner is the smallest candidate within the tolerance of the best score of its stage
    scored = sel["confirmed"] if sel["stage"] == "confirmed" else cands
    key = "confirm_fidelity" if sel["stage"] == "confirmed" else "holdout_fidelity"
    best = max(c[key] for c in scored)
    ok = [c for c in scored if c[key] >= best - 0.01 - 1e-12]
    assert win[key] >= best - 0.01 - 1e-12
    assert min(c["conditions"] for c in ok) == next(
        c["conditions"] for c in scored if c["method"] == win["method"] and c["parameters"] == win["parameters"]
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


@functools.cache
def _tiny_dnf():
    """Two terms of two categorical literals over five 3-level inputs; a small network learns it exactly."""
    ds, terms = make_dnf(2, 2, n_categorical=5, n_levels=3, n_samples=1000, random_state=2)
    train, test = ds.split(random_state=0)
    net = rulex.train_network(train, (8,), "sigmoid", lr=0.05, max_epochs=40, batch_size=32, random_state=0)
    return net, train, test, terms


def test_auto_returns_a_small_dnf_at_its_own_size():
    net, train, test, terms = _tiny_dnf()
    assert np.mean(net.predict(test.frame) == test.frame["y"].to_numpy()) == 1.0   # the network is the concept
    rules = rulex.extract(net, train, method="auto", random_state=0)
    assert rulex.evaluate(rules, net, test).fidelity == 1.0
    assert len(rules) == len(terms) and rules.conditions_count() == sum(len(t) for t in terms), str(rules)
    # each rule is one of the concept's terms
    found = {frozenset((c.feature, c.value) for c in r.conditions) for r in rules.rules}
    assert found == {frozenset((f, v) for f, _op, v in t) for t in terms}, str(rules)


def test_auto_same_seed_same_rules_and_choice():
    net, train, _test, _terms = _tiny_dnf()
    cands = QUICK + [("brcg", {}), ("checklist", {})]
    runs = [rulex.extract(net, train, method="auto", candidates=cands, random_state=0) for _ in range(2)]
    assert str(runs[0]) == str(runs[1])
    for key in ("winner", "selection", "candidates", "best_holdout_fidelity"):
        assert runs[0].provenance[key] == runs[1].provenance[key], key
    other = rulex.extract(net, train, method="auto", candidates=cands, random_state=1)
    assert other.provenance["holdout_rows"] == runs[0].provenance["holdout_rows"]


def test_auto_confirms_smaller_candidates_refitted_on_all_rows():
    """A smaller candidate near the best on the held-out split is refitted on all rows and compared on
    fresh points; the winner then is the smallest within the tolerance of the best there."""
    net, train, _test = iris_net()
    cands = [("surrogate_tree", {"max_leaf_nodes": 3}), ("surrogate_tree", {"max_leaf_nodes": 16}), ("cover", {})]
    rules = rulex.extract(net, train, method="auto", candidates=cands, tolerance=0.0, random_state=0)
    sel = rules.provenance["selection"]
    held = [c for c in rules.provenance["candidates"] if "holdout_fidelity" in c]
    win0 = min((c for c in held if c["holdout_fidelity"] == max(h["holdout_fidelity"] for h in held)),
               key=lambda c: (c["conditions"], c["rules"]))
    near = [c for c in held if c["conditions"] < win0["conditions"]
            and c["holdout_fidelity"] >= max(h["holdout_fidelity"] for h in held) - 0.02]
    assert (sel["stage"] == "confirmed") == bool(near)
    if near:
        assert sel["refit_rows"] == len(train)
        conf = sel["confirmed"]
        best = max(c["confirm_fidelity"] for c in conf)
        win = rules.provenance["winner"]
        assert win["confirm_fidelity"] == best            # tolerance 0: the most faithful, then the smallest
        assert rules.conditions_count() == min(c["conditions"] for c in conf if c["confirm_fidelity"] == best)
    fresh = rulex.extract(net, train, method="auto", candidates=cands, tolerance=0.0, n_holdout_samples=0,
                          random_state=0)
    assert fresh.provenance["selection"]["stage"] == "held-out"       # no fresh points: no confirmation
