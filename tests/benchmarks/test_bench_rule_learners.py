"""benchmarks/peers/rule_learners.py: concept matching, the summary logic and one tiny real cell."""
from __future__ import annotations

import pandas as pd
from _helpers.benchload import load_script

import rulex

rl = load_script("peers/rule_learners.py")


def _rules(terms, default=0):
    rs = [rulex.Rule([rulex.Condition(*c) for c in t], 1) for t in terms]
    return rulex.RuleSet(rs, default, classes=(0, 1))


def test_same_terms_matches_structure_with_threshold_tolerance():
    terms = [[("c0", "==", "v1"), ("x0", ">", 0.4)], [("c1", "==", "v0")]]
    assert rl.same_terms(_rules([[("x0", ">", 0.42), ("c0", "==", "v1")], [("c1", "==", "v0")]]), terms)
    assert not rl.same_terms(_rules([[("x0", ">", 0.6), ("c0", "==", "v1")], [("c1", "==", "v0")]]), terms)
    assert not rl.same_terms(_rules([[("c1", "==", "v0")]]), terms)
    assert not rl.same_terms(_rules(terms, default=1), terms)


def test_dominates_table_applies_the_half_conditions_rule():
    summary = pd.DataFrame([
        {"data": "d", "side": "peer", "method": "ripper", "fidelity": 0.95, "rules": 5, "conditions": 20},
        {"data": "d", "side": "rulex", "method": "cover", "fidelity": 0.947, "rules": 3, "conditions": 10},
        {"data": "d", "side": "rulex", "method": "big", "fidelity": 0.96, "rules": 9, "conditions": 40}])
    text = rl.dominates_table(summary)
    assert "**yes**: cover" in text
    summary.loc[1, "conditions"] = 11
    assert "**no**" in rl.dominates_table(summary)


def test_one_cell_scores_peers_and_rulex(tmp_path):
    df = rl.run_grid(["monk1"], [0], 2, ["surrogate_tree"], 5.0)
    assert {"ripper", "cart-4", "figs", "surrogate_tree"} <= set(df["method"])
    ok = df[df["error"].fillna("") == ""]
    assert ok["fidelity"].between(0, 1).all() and (ok["conditions"] >= 0).all()
    rl.write_report(df, None, "test", 0.0, tmp_path)
    assert "Summary" in (tmp_path / "peers_rule_learners.md").read_text()
