"""Generated DNF concepts are recovered term by term (cover, brcg), and the exact refinement of an
ordered rule list behind them moves thresholds to the labels' cut without ever losing agreement."""
from __future__ import annotations

import functools

import numpy as np
import pytest
from _helpers.benchload import load_script

import rulex
from rulex.data.generated import make_dnf
from rulex.extractors._sequential_covering import predict_rules
from rulex.extractors._list_refinement import refine_ordered
from rulex.extractors._value_table import Lit, ValueTable

_BENCH = load_script("peers/rule_learners.py")


@functools.cache
def small_dnf():
    """3 terms of 2 literals over 4 categorical and 2 numeric inputs; a network close to the concept."""
    ds, terms = make_dnf(3, 2, n_categorical=4, n_numeric=2, n_samples=4000, random_state=SEED)
    train, test = ds.split(random_state=0)
    net = rulex.train_network(train, (16,), "sigmoid", lr=0.03, random_state=0)
    return net, train, test, terms


SEED = 3


def same_terms(rules, terms, tol=0.02):
    """Every rule is one of the terms (same inputs, ops, categories; thresholds within ``tol``) and back:
    the measure of the DNF benchmark (``benchmarks/peers/rule_learners.py``), with a tighter tolerance."""
    return _BENCH.same_terms(rules, terms, tol)


@pytest.mark.parametrize("method", ["cover", "brcg"])
def test_a_small_dnf_is_recovered_term_by_term(method):
    net, train, test, terms = small_dnf()
    assert np.mean(net.predict(test.frame) == test.y.to_numpy()) >= 0.99
    rules = rulex.extract(net, train, method=method, random_state=0)
    assert same_terms(rules, terms), (terms, str(rules))
    assert rulex.evaluate(rules, net, test).fidelity >= 0.99


def _table_and_rows(n=3000, seed=0):
    from rulex.data.dataset import Dataset
    from rulex.schema.encoder import Encoder
    rng = np.random.default_rng(seed)
    import pandas as pd
    frame = pd.DataFrame({"a": rng.random(n), "b": rng.random(n),
                          "c": np.array(["u", "v", "w"], dtype=object)[rng.integers(0, 3, n)]})
    frame["y"] = (((frame.a <= 0.4) & (frame.c == "v")) | (frame.b > 0.7)).astype(int)
    ds = Dataset.from_frame(frame, target="y")
    table = ValueTable(Encoder(ds.schema).fit(ds.frame))
    return table, table.from_frame(ds.frame), frame["y"].to_numpy()


def test_refinement_moves_thresholds_to_the_cut_and_drops_a_split_term():
    table, V, y = _table_and_rows()
    ja, jb, jc = (table.names.index(f) for f in ("a", "b", "c"))
    v = table.features[jc].categories.index("v")
    # a too-tight threshold, a term split over two rules, a useless literal, a wrong category set
    rules = [([Lit(ja, "le", 0.2), Lit(jc, "in", (v,))], 1, 1.0),
             ([Lit(ja, "le", 0.35), Lit(jc, "in", (v,)), Lit(jb, "le", 0.9)], 1, 1.0),
             ([Lit(jb, "gt", 0.8), Lit(jc, "in", (0, 1, 2))], 1, 1.0)]
    before = np.mean(predict_rules(rules, 0, "ordered", V, 2) == y)
    out = refine_ordered(rules, 0, V, y, table)
    assert np.mean(predict_rules(out, 0, "ordered", V, 2) == y) == 1.0 > before
    assert len(out) == 2 and sum(len(lits) for lits, _, _ in out) == 3
    flat = {(lit.j, lit.op) for lits, _, _ in out for lit in lits}
    assert flat == {(ja, "le"), (jc, "in"), (jb, "gt")}
    a_cut = next(lit.value for lits, _, _ in out for lit in lits if lit.j == ja)
    b_cut = next(lit.value for lits, _, _ in out for lit in lits if lit.j == jb)
    assert abs(a_cut - 0.4) < 0.01 and abs(b_cut - 0.7) < 0.01
    assert rules[0][0][0] == Lit(ja, "le", 0.2)            # the input is not modified


@pytest.mark.parametrize("seed", range(8))
def test_refinement_never_lowers_agreement(seed):
    table, V, y = _table_and_rows(n=800, seed=seed)
    rng = np.random.default_rng(seed)
    noisy = np.where(rng.random(len(y)) < 0.1, 1 - y, y)
    rules = []
    for _ in range(int(rng.integers(1, 5))):
        lits = []
        for j in rng.choice(3, size=int(rng.integers(1, 4)), replace=False):
            if table.continuous[j]:
                lits.append(Lit(int(j), "le" if rng.random() < 0.5 else "gt", float(rng.random())))
            else:
                lits.append(Lit(int(j), "in", tuple(sorted(set(rng.integers(0, 3, 2).tolist())))))
        rules.append((lits, int(rng.integers(0, 2)), 1.0))
    default = int(rng.integers(0, 2))
    before = np.mean(predict_rules(rules, default, "ordered", V, 2) == noisy)
    out = refine_ordered(rules, default, V, noisy, table)
    assert np.mean(predict_rules(out, default, "ordered", V, 2) == noisy) >= before
    assert sum(len(lits) for lits, _, _ in out) <= sum(len(lits) for lits, _, _ in rules)


def test_rule_cost_drops_a_box_worth_few_rows_and_bounds_the_loss():
    table, V, _ = _table_and_rows()
    ja, jb = table.names.index("a"), table.names.index("b")
    a, b = V[:, ja], V[:, jb]
    y = ((a > 0.5) & (b > 0.5) & (a + b > 1.08)).astype(np.int64)       # a box with a rounded corner
    rules = [([Lit(ja, "gt", 0.58), Lit(jb, "gt", 0.5)], 1, 1.0), ([Lit(ja, "gt", 0.5), Lit(jb, "gt", 0.58)], 1, 1.0)]
    exact = refine_ordered(rules, 0, V, y, table)
    assert len(exact) == 2
    n_exact = np.sum(predict_rules(exact, 0, "ordered", V, 2) == y)
    one = refine_ordered(rules, 0, V, y, table, rule_cost=0.01)
    assert len(one) == 1
    assert np.sum(predict_rules(one, 0, "ordered", V, 2) == y) >= n_exact - 0.01 * len(V)
