"""The data-limited term search counted by groups of equal rows, the lazy greedy cover, and the composition
charged at its cost: each gives what the plain computation gives."""
import numpy as np
import pandas as pd
import pytest

from rulex.extractors._bits import count_bits
from rulex.extractors.decompositional._dnf_composition import Budget, Clauses
from rulex.extractors.decompositional._unit_reading import RowGroups, data_terms, greedy_cover
from rulex.rules import Condition


def _plain_cover(P, n_lits, limit):
    """Greedy cover counting every row at every choice (the definition)."""
    size, uncovered, keep = count_bits(P), np.bitwise_or.reduce(P, axis=0), []
    alive = np.ones(len(P), dtype=bool)
    while limit is None or len(keep) < limit:
        gain = count_bits(P & uncovered)
        gain[~alive] = -1
        best = int(np.lexsort((np.arange(len(P)), n_lits, -size, -gain))[0])
        if gain[best] <= 0:
            break
        keep.append(best)
        alive[best] = False
        uncovered &= ~P[best]
    return keep, int(count_bits(uncovered, axis=None))


@pytest.mark.parametrize("seed", range(6))
def test_the_lazy_greedy_cover_chooses_the_rows_the_plain_one_does(seed):
    rng = np.random.default_rng(seed)
    n, width = int(rng.integers(2, 200)), int(rng.integers(1, 900))
    B = rng.random((n, width)) < rng.uniform(0.01, 0.4)
    if seed % 2:                                    # duplicate rows: ties broken by size, literals, order
        B = B[rng.integers(0, n, n)]
    P, lits = np.packbits(B, axis=1), rng.integers(1, 4, n)
    for limit in (None, 1, 7):
        keep, lost, counted = greedy_cover(P, lits, limit)
        assert (keep, lost) == _plain_cover(P, lits, limit)
        assert counted >= len(P)


def test_the_search_by_groups_of_equal_rows_finds_the_terms_row_by_row_does():
    """Rows that agree on every candidate literal are counted once with their number: the same terms, the
    same order reached, far fewer counts on many rows."""
    rng = np.random.default_rng(0)
    n = 40_000
    x = rng.integers(0, 2, size=(n, 5)).astype(bool)
    cat = rng.integers(0, 3, n)
    on = (x[:, 0] & x[:, 1]) | ((cat == 2) & ~x[:, 3]) | (rng.random(n) < 0.02)
    cands = [(f"x{i}", x[:, i] if hi else ~x[:, i]) for i in range(5) for hi in (True, False)]
    cands += [("cat", cat == k) for k in range(3)]
    groups = RowGroups([m for _, m in cands])
    assert len(groups) <= 2 ** 5 * 3 and groups.worth_it(n)
    for tolerance in (0.0, 0.05, 0.2):
        plain, grouped = Budget(None, None, "t"), Budget(None, None, "t")
        assert (data_terms(cands, on, 3, tolerance, plain, "u")
                == data_terms(cands, on, 3, tolerance, grouped, "u", groups=groups))
        assert grouped.work < plain.work            # a word per group against a word per 64 rows


def test_a_search_cut_by_its_work_cap_keeps_the_first_terms_of_the_full_search():
    """The work cap is checked term by term although the terms of one order are extended together: a cut
    search's terms are the first ones the full search finds, in its order."""
    rng = np.random.default_rng(1)
    n = 4_000
    x = rng.integers(0, 2, size=(n, 8)).astype(bool)
    on = x[:, 0] & x[:, 1] & x[:, 2] | (rng.random(n) < 0.1)
    cands = [(f"x{i}", x[:, i] if hi else ~x[:, i]) for i in range(8) for hi in (True, False)]
    full = data_terms(cands, on, 3, 0.0, Budget(None, None, "t"), "u")
    assert full[0] and not full[2]
    cuts = [data_terms(cands, on, 3, 0.0, Budget(None, None, "t"), "u", max_work=cap) for cap in (100, 1_000, 3_000)]
    assert all(cut[2] and cut[0] == full[0][:len(cut[0])] for cut in cuts)
    assert len(cuts[0][0]) < len(full[0])


def test_a_product_charged_at_its_cost_gives_the_product_charged_per_pair():
    """``Budget(real_cost=True)`` changes what a product costs, never what it gives; it charges the folds."""
    frame = pd.DataFrame({"a": np.arange(200) / 200, "b": (np.arange(200) * 7 % 200) / 200})
    left = Clauses.from_conjunctions([(Condition("a", ">", t),) for t in (0.1, 0.3, 0.5)], frame)
    right = Clauses.from_conjunctions([(Condition("a", "<=", t), Condition("b", ">", 0.2)) for t in (0.2, 0.4, 0.9)],
                                      frame)
    per_pair, at_cost = Budget(None, None, "t", max_steps=10 ** 9), Budget(None, None, "t", max_steps=10 ** 9,
                                                                          real_cost=True)
    a, b = left.and_(right, per_pair, "x", keep_uncovered=False), left.and_(right, at_cost, "x", keep_uncovered=False)
    assert [(c, m.tobytes()) for c, m, _ in a.items] == [(c, m.tobytes()) for c, m, _ in b.items]
    assert len(a) == 6                              # a > t and a <= t' empty for t >= t'
    assert per_pair.work == 9 + 3 and at_cost.work > per_pair.work


@pytest.mark.parametrize("n_literals", [5, 100])
def test_row_groups_hold_rows_of_one_pattern_each(n_literals):
    """Up to 64 literals a row's pattern is one 64-bit key, above it a row of bytes: either way every row of
    a group has the group's pattern, and the groups count every row once."""
    rng = np.random.default_rng(2)
    base = rng.integers(0, 2, size=(500, 4)).astype(bool)
    masks = np.array([base[:, i % 4] ^ bool(i % 3) for i in range(n_literals)])
    groups = RowGroups(list(masks))
    assert len(groups) == len(np.unique(base, axis=0))
    assert (masks[:, groups.first][:, groups.ids] == masks).all()
    assert groups.counts.sum() == 500 and (np.bincount(groups.ids) == groups.counts).all()
