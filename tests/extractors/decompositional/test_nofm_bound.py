"""N-of-M's bound on the composition (max_stage_clauses): rules still returned, the provenance says
what was dropped, the rules agree with the exact expansion on every training row unless the bound
cuts a cover short, and a cut never adds a wrong rule (each kept clause is one of the exact ones)."""
import itertools

import numpy as np
import pandas as pd
import pytest

import rulex
from rulex.extractors import get_extractor
from rulex.extractors.decompositional._stage_bound import BoundStats, cover_bound
from rulex.extractors.decompositional._dnf_composition import Clauses


def _three_of_six():
    """Six binary inputs; hidden unit j copies input j; the output says "at least 3 of the hidden
    units are on". Class 1 is the majority (42 of 64 rows), so the rules are for class 0, "at least 4
    of the hidden units off": its exact composition is the C(6, 4) = 15 conjunctions of four inputs at 0."""
    import torch
    from torch import nn
    frame = pd.DataFrame(list(itertools.product((0, 1), repeat=6)), columns=list("abcdef"))
    frame["y"] = (frame.sum(axis=1) >= 3).astype(int)
    ds = rulex.Dataset.from_frame(frame, target="y")
    module = nn.Sequential(nn.Linear(6, 6), nn.Sigmoid(), nn.Linear(6, 2))
    with torch.no_grad():
        module[0].weight.copy_(10.0 * torch.eye(6))
        module[0].bias.fill_(-5.0)
        module[2].weight.copy_(torch.tensor([[0.0] * 6, [10.0] * 6]))
        module[2].bias.copy_(torch.tensor([0.0, -25.0]))
    return rulex.Network.from_torch(module, ds), ds


@pytest.fixture(scope="module")
def net_ds():
    net, ds = _three_of_six()
    assert (net.predict(ds.frame) == ds.frame["y"]).all()
    return net, ds


def _sound(rule, net, frame) -> bool:
    """The rule covers some row and the network decides its conclusion on every row it covers."""
    covered = rule.evaluate(frame)
    return bool(covered.any()) and bool((net.predict(frame)[covered] == rule.conclusion).all())


def test_exact_expansion_is_every_triple(net_ds):
    net, ds = net_ds
    ex = get_extractor("nofm", max_stage_clauses=None).fit(net, ds)
    prov = ex.rules_.provenance
    assert prov["approximated"] is False and prov["bound"]["clauses_dropped"] == 0
    assert prov["train_fidelity"] == 1.0
    assert (ex.rules_.predict(ds.frame) == net.predict(ds.frame)).all()


def test_a_bound_below_the_cover_keeps_sound_rules_and_says_so(net_ds):
    net, ds = net_ds
    ex = get_extractor("nofm", max_stage_clauses=8).fit(net, ds)
    rules, prov = ex.rules_, ex.rules_.provenance
    # the 15 rows with exactly four 0s are each covered by one clause only: 8 clauses cannot cover them
    assert prov["approximated"] is True
    assert prov["bound"]["max_stage_clauses"] == 8
    assert prov["bound"]["stages_truncated"] >= 1 and prov["bound"]["training_rows_lost"] >= 1
    assert prov["bound"]["clauses_dropped"] >= 1
    assert 1 <= len(rules.rules) <= 8
    assert 0.5 < prov["train_fidelity"] < 1.0
    # dropping clauses of the class-0 DNF only narrows it: every rule left is still right
    assert all(r.conclusion == 0 and _sound(r, net, ds.frame) for r in rules.rules)
    fid = rulex.evaluate(rules, net, ds).fidelity
    assert fid == pytest.approx(prov["train_fidelity"])


def test_a_bound_above_the_cover_is_lossless_on_the_training_rows(net_ds):
    # train on the rows with at most one or at least three 1s: the 7 class-0 rows are covered by a few
    # of the 15 clauses, so the bound drops clauses but every training row keeps the exact value
    net, ds = net_ds
    s = ds.frame[list("abcdef")].sum(axis=1)
    train = ds.subset(np.flatnonzero((s <= 1) | (s >= 3)))
    exact = get_extractor("nofm", max_stage_clauses=None).fit(net, train).rules_
    ex = get_extractor("nofm", max_stage_clauses=12).fit(net, train)
    prov = ex.rules_.provenance
    assert prov["approximated"] is True and prov["bound"]["clauses_dropped"] >= 1
    assert prov["bound"]["stages_truncated"] == 0 and prov["bound"]["training_rows_lost"] == 0
    assert len(ex.rules_.rules) < len(exact.rules)
    assert (ex.rules_.predict(train.frame) == exact.predict(train.frame)).all()
    assert prov["train_fidelity"] == exact.provenance["train_fidelity"] == 1.0


def test_cover_bound_keeps_the_most_support_first():
    # three clauses over 8 rows: {0..5}, {0..2}, {6}; limit 2 keeps the first and the third (a cover)
    rows = np.zeros((3, 8), dtype=bool)
    rows[0, :6] = rows[1, :3] = rows[2, 6] = True
    cl = Clauses([((f"c{i}",), np.packbits(r), frozenset()) for i, r in enumerate(rows)])
    stats = BoundStats(2)
    out = cover_bound(cl, 2, stats)
    assert [c for c, _, _ in out.items] == [("c0",), ("c2",)]
    assert stats.clauses_dropped == 1 and stats.stages_truncated == 0 and stats.rows_lost == 0
    stats1 = BoundStats(1)
    out1 = cover_bound(cl, 1, stats1)
    assert [c for c, _, _ in out1.items] == [("c0",)]
    assert stats1.stages_truncated == 1 and stats1.rows_lost == 1
    assert cover_bound(cl, 3, BoundStats(3)) is cl            # at or under the limit: untouched
    assert cover_bound(cl, None, BoundStats(None)) is cl


def test_default_budget_error_still_raises(net_ds):
    net, ds = net_ds
    with pytest.raises(rulex.BudgetExceededError, match="nofm: .*max_seconds"):
        get_extractor("nofm", max_seconds=0.0).fit(net, ds)
    with pytest.raises(rulex.BudgetExceededError, match="max_clauses=3"):      # a clause budget too
        get_extractor("nofm", max_stage_clauses=None, max_clauses=3).fit(net, ds)


def test_at_least_recursion_gives_the_sum_of_products():
    # "at least 2 of four one-clause parts" unbounded is exactly the C(4, 2) = 6 pairs; bounded to 3 it
    # is a greedy cover of the rows the pairs cover (here 3 pairs cover all 16 rows' true set)
    from rulex.extractors.decompositional._stage_bound import at_least
    from rulex.extractors.decompositional._dnf_composition import Budget
    X = np.array(list(itertools.product((0, 1), repeat=4)), dtype=bool)
    lit = [rulex.Condition(f"x{i}", ">", 0.5) for i in range(4)]
    parts = [lambda i=i: Clauses([((lit[i],), np.packbits(X[:, i]), frozenset())]) for i in range(4)]
    budget = Budget(None, None, "test")
    full = at_least(2, parts, 16, lambda c: c, budget, "test")
    assert {frozenset(c) for c, _, _ in full.items} == {frozenset({lit[i], lit[j]})
                                                       for i, j in itertools.combinations(range(4), 2)}
    masks = np.unpackbits(np.stack([m for _, m, _ in full.items]), axis=1, count=16).astype(bool)
    assert (masks.any(axis=0) == (X.sum(axis=1) >= 2)).all()
    stats = BoundStats(3)
    small = at_least(2, parts, 16, lambda c: cover_bound(c, 3, stats), budget, "test")
    assert len(small) <= 3 and stats.clauses_dropped >= 1
    kept = np.unpackbits(np.stack([m for _, m, _ in small.items]), axis=1, count=16).astype(bool)
    assert not (kept.any(axis=0) & ~(X.sum(axis=1) >= 2)).any()          # never a row outside the concept
