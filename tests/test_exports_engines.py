"""Every engine: the PMML in pypmml *and* JPMML, the SQL of every dialect in SQLite, DuckDB and a
real PostgreSQL, all predicting exactly like ``RuleSet.predict`` on random rule sets.

JPMML runs in one in-process JVM (JPype) and PostgreSQL through one connection, each started
once per test process (tests/engines.py); without them the tests skip, under ``CI=true`` they fail.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from engines import jpmml_predict
from test_exports import _assert_all_same, _native, _records, pmml_scorer, problems  # noqa: F401, F811 (fixture)

SLOW = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                  HealthCheck.function_scoped_fixture])


@settings(max_examples=150, **SLOW)
@given(problems())
def test_jpmml_predicts_like_rules(problem):
    rules, frame = problem
    expected = [_native(v) for v in rules.predict(frame)]
    got = [_native(v) for v in jpmml_predict(rules, _records(frame, rules.schema))]
    _assert_all_same(expected, got, rules.task, "pmml (JPMML)")


# ---------------------------------------------------------------------------------------------
# every method on real data: german_credit, adult (classification) and diabetes (regression)
# ---------------------------------------------------------------------------------------------
ENGINE_DATASETS = ("german_credit", "adult", "diabetes")


@pytest.fixture(scope="module")
def method_rule_sets():
    """Every registered method's rules on small nets (400 training rows), and 300 test rows."""
    import rulex
    from nets import tiny_net
    from test_compare_evaluate import SWEEP_PARAMS
    out = {}
    for name in ENGINE_DATASETS:
        net, train, test = tiny_net(name, max_train=400, max_test=300)
        params = {m: {k: v for k, v in SWEEP_PARAMS.items() if k in cls().get_params()}
                  for m, cls in rulex.extractors.EXTRACTORS.items()}
        table, rules = rulex.compare(net, train, test, progress=False, params=params, return_rules=True)
        out[name] = (rules, test.frame[list(test.X.columns)], table)
    return out


@pytest.mark.parametrize("name", ENGINE_DATASETS)
def test_every_method_agrees_in_pypmml_and_jpmml(method_rule_sets, pmml_scorer, name):
    rules_by_method, frame, table = method_rule_sets[name]
    failed = table[(table["error"] != "") & ~table["error"].str.startswith("BudgetExceededError")]
    assert failed.empty, failed[["method", "error"]]
    assert rules_by_method
    for method, rules in sorted(rules_by_method.items()):
        expected = [_native(v) for v in rules.predict(frame)]
        records = _records(frame, rules.schema)
        try:
            _assert_all_same(expected, pmml_scorer(rules, frame), rules.task, "pypmml")
            _assert_all_same(expected, [_native(v) for v in jpmml_predict(rules, records)], rules.task, "JPMML")
        except AssertionError as exc:
            raise AssertionError(f"{name} / {method}: {exc}") from None
