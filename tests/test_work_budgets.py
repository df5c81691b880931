"""Same seed, same rules on an idle and a busy machine: the methods stop on a count of work, the wall
clock (``max_seconds``) is only a safety net, and a result it cut short says so.

A slow machine is simulated by a clock that jumps an hour at every reading (``slow_clock``): no test
measures time.
"""
from __future__ import annotations

import types
import warnings

import pytest

from _helpers.nets import iris_net

import rulex
from rulex.extractors import budget as budget_module
from rulex.formats.tables import format_compare_table


@pytest.fixture
def slow_machine(monkeypatch):
    """A function that makes every later reading of the budgets' clock an hour after the last: the
    wall clock runs out at its first check, as on a machine that is arbitrarily slow."""
    now = [0.0]

    def monotonic():
        now[0] += 3600.0
        return now[0]
    return lambda: monkeypatch.setattr(budget_module, "time", types.SimpleNamespace(monotonic=monotonic))


@pytest.fixture
def slow_clock(slow_machine):
    slow_machine()


def _fit(method, **params):
    net, train, _ = iris_net()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rules = rulex.extract(net, train, method=method, random_state=0, **params)
    partial = [str(w.message) for w in caught if issubclass(w.category, rulex.PartialResultWarning)]
    return rules, partial


# cheap settings per method (the budgets under test keep their defaults unless a test sets them)
CHEAP = {"cover": {"n_samples": 300, "n_rounds": 1}, "brcg": {"n_samples": 100, "max_rows": 200},
         "checklist": {"n_samples": 300, "max_cuts": 4}, "trepan": {"min_samples": 200, "max_internal_nodes": 4},
         "anndt": {"n_samples": 300}}


@pytest.mark.parametrize("method", sorted(CHEAP))
def test_a_slow_machine_gives_the_same_rules_when_the_safety_net_is_off(method, slow_machine):
    fast, _ = _fit(method, **CHEAP[method])      # the real clock: the default safety net is not reached
    slow_machine()
    slow, partial = _fit(method, **CHEAP[method], max_seconds=None)     # every clock reading an hour later
    assert str(slow) == str(fast)
    assert not partial
    assert slow.provenance["budget"]["stopped_by"] is None
    assert slow.provenance.get("complete", True) is True


@pytest.mark.parametrize("method", sorted(CHEAP))
def test_a_wall_clock_stop_says_so(method, slow_clock):
    rules, partial = _fit(method, **CHEAP[method], max_seconds=30.0)
    budget = rules.provenance["budget"]
    assert budget["stopped_by"] == "max_seconds" and budget["max_seconds"] == 30.0
    assert rules.provenance["complete"] is False
    assert any(m.startswith(f"{method}: cut short by the wall clock (max_seconds=30.0)") and "Raise max_seconds" in m
               for m in partial), partial


def test_a_work_budget_stop_is_the_same_on_every_run_and_says_which_budget():
    runs = [_fit("trepan", min_samples=200, max_internal_nodes=10**6, stop_epsilon=0.0, stop_delta=0.0,
                 max_queries=1000) for _ in range(2)]
    (a, partial_a), (b, _) = runs
    assert str(a) == str(b)
    assert a.provenance["budget"] == b.provenance["budget"]
    assert a.provenance["budget"]["stopped_by"] == "max_queries"
    assert a.provenance["budget"]["work_done"] >= 1000 and a.provenance["budget"]["max_queries"] == 1000
    assert a.provenance.get("complete", True) is True and not partial_a     # deterministic: not a partial result


def test_a_work_budget_is_not_the_wall_clock_even_on_a_slow_machine(slow_machine):
    """With both budgets spent at the same check, the work count is the reason given (deterministic)."""
    fast, _ = _fit("cover", **CHEAP["cover"], max_evaluations=1, max_seconds=None)
    slow_machine()
    slow, partial = _fit("cover", **CHEAP["cover"], max_evaluations=1, max_seconds=30.0)
    assert str(slow) == str(fast)
    assert slow.provenance["budget"]["stopped_by"] == "max_evaluations" and not partial


def test_trepan_with_a_huge_node_budget_and_no_stopping_thresholds_stops_on_its_default_work_budget():
    net, train, _ = iris_net()
    ex = rulex.get_extractor("trepan", max_internal_nodes=10**9, stop_epsilon=0.0, stop_delta=0.0, min_samples=2000,
                             min_objects=1)
    ex.fit(net, train)
    budget = ex.rules_.provenance["budget"]
    assert budget["max_queries"] == ex.get_params()["max_queries"] > 0
    assert budget["stopped_by"] in (None, "max_queries")       # the tree ends pure, or on its query budget
    assert ex.n_queries_ <= budget["max_queries"] + 2 * 2000


def test_tsukimoto_work_budget_cut_is_deterministic_and_recorded_per_unit():
    """A tiny work budget no longer stops tsukimoto with nothing: every unit keeps the orders its share
    of the work finished, the provenance names the budget and the units it cut, and the same budget gives
    the same rules."""
    net, train, _ = iris_net()
    results = [rulex.extract(net, train, method="tsukimoto", max_steps=20_000) for _ in range(2)]
    assert results[0].rules == results[1].rules
    prov = results[0].provenance
    assert len(results[0]) > 0
    assert prov["budget"]["max_steps"] == 20_000 and prov["budget"]["work"] == "max_steps"
    cut = [k for k, r in prov["unit_readings"].items() if "cut by its work share" in r["read"]]
    assert cut and set(cut) <= set(prov["units_approximated"])


def test_tsukimoto_wall_clock_error_says_the_wall_clock(slow_clock):
    net, train, _ = iris_net()
    with pytest.raises(rulex.BudgetExceededError, match=r"the wall clock stopped it .*max_seconds=5\.0.*load") as info:
        rulex.extract(net, train, method="tsukimoto", max_seconds=5.0)
    assert info.value.stopped_by == "max_seconds"


def test_auto_cut_by_the_wall_clock_says_so(slow_clock):
    net, train, _ = iris_net()
    cands = [("surrogate_tree", {"max_leaf_nodes": 4}), ("cover", CHEAP["cover"])]
    with pytest.warns(rulex.PartialResultWarning, match=r"auto: cut short by the wall clock \(max_seconds=60\.0\)"):
        rules = rulex.extract(net, train, method="auto", candidates=cands, max_seconds=60.0, compress=False)
    assert rules.provenance["complete"] is False
    assert rules.provenance["budget"]["stopped_by"] == "max_seconds"
    assert any(c.get("cut_short") for c in rules.provenance["candidates"])


def test_compare_marks_the_rows_the_wall_clock_cut_short(slow_clock):
    net, train, test = iris_net()
    params = {"cover": {**CHEAP["cover"], "max_seconds": 30.0}, "surrogate_tree": {},
              "tsukimoto": {"max_seconds": 5.0}}
    table = rulex.compare(net, train, test, methods=["cover", "surrogate_tree", "tsukimoto"], params=params,
                          progress=False)
    cut = dict(zip(table["method"], table["cut_short"]))
    assert cut == {"cover": True, "surrogate_tree": False, "tsukimoto": True}
    shown = format_compare_table(table)
    assert list(shown["cut_short"]) == ["WALL CLOCK", "", "WALL CLOCK"]
    assert list(shown.columns).index("cut_short") == list(shown.columns).index("seconds") + 1


def test_compare_shows_no_cut_short_column_when_nothing_was_cut():
    net, train, test = iris_net()
    table = rulex.compare(net, train, test, methods=["surrogate_tree"], progress=False)
    assert table["cut_short"].tolist() == [False]
    assert "cut_short" not in format_compare_table(table).columns
