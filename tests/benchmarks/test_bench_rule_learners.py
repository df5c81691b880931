"""benchmarks/peers/rule_learners.py: concept matching, the summary logic and one tiny real cell."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from _helpers.benchload import load_script

import rulex

rl = load_script("peers/rule_learners.py")
ob = load_script("peers/_oracle_bound.py")


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


def _concept_frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x0": rng.random(n), "x1": rng.random(n), "x2": rng.random(n),
                          "c": rng.choice(["a", "b", "d"], n)})
    y = ((frame.x0 > 0.5) & (frame.c == "a")) | (frame.x1 <= 0.3)
    feats = [SimpleNamespace(name=f, kind="numeric") for f in ("x0", "x1", "x2")] + \
        [SimpleNamespace(name="c", kind="categorical")]
    return frame, y.to_numpy(), feats


def test_oracle_search_recovers_a_three_condition_concept_and_not_with_fewer():
    frame, y, feats = _concept_frame()
    lits = ob.boundary_literals(frame, feats, y.astype(int))
    A = np.column_stack([m for _, m in lits])
    clauses, agree = ob.local_search_dnf(A, y, 3)
    assert agree == len(y) and sum(len(c) for c in clauses) == 3
    found = sorted(sorted((lits[i][0].feature, lits[i][0].op) for i in c) for c in clauses)
    assert found == [[("c", "=="), ("x0", ">")], [("x1", "<=")]]
    rules = rulex.RuleSet([rulex.Rule([lits[i][0] for i in c], True) for c in clauses], False,
                          semantics="unordered", classes=(False, True))
    assert (np.asarray(rules.predict(frame)) == y).all()       # the printed conditions are the concept
    _, two = ob.local_search_dnf(A, y, 2)
    assert two < len(y)                                        # two conditions cannot express it


def test_dominates_table_reads_the_oracle_bound():
    base = [{"data": "d", "side": "peer", "method": "figs", "fidelity": 0.90, "rules": 9, "conditions": 12},
            {"data": "d", "side": "rulex", "method": "auto", "fidelity": 0.88, "rules": 2, "conditions": 6},
            {"data": "d", "side": "oracle", "method": "dnf[6] on training rows", "fidelity": 0.85, "rules": 2,
             "conditions": 6}]
    reach = rl.dominates_table(pd.DataFrame(base + [{"data": "d", "side": "oracle", "method": "dnf[6] on test rows",
                                                     "fidelity": 0.93, "rules": 3, "conditions": 6}]))
    assert "**no**" in reach and "reaches 0.9300" in reach and "not impossible" in reach and "0.8500" in reach
    short = rl.dominates_table(pd.DataFrame(base + [{"data": "d", "side": "oracle", "method": "dnf[6] on test rows",
                                                     "fidelity": 0.89, "rules": 3, "conditions": 6}]))
    assert "below the target" in short and "not impossible" not in short
    assert "figs (0.9000" in reach                             # the oracle rows are neither peer nor rulex


def test_oracle_rows_stay_within_the_budget_on_a_real_cell():
    df = rl.oracle_rows({"monk1": 2}, [0], 2)
    assert set(df["method"]) == {"dnf[2] on test rows", "dnf[2] on training rows"} and (df["side"] == "oracle").all()
    assert (df["conditions"] <= 2).all() and df["fidelity"].between(0, 1).all() and len(df) == 4
