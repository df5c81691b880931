"""Every extractor on every bundled classification data set: every export predicts like the rules.

The rules come from the same tiny networks and cheap settings as the compare sweep; each rule set
is exported to every format in ``FORMATS`` and checked as ``CHECKERS`` (tests/_helpers/exports.py)
says: JSON, Python, SQL (SQLite, DuckDB) and PMML (scored by pypmml) compared row by row with
``RuleSet.predict`` on (the first 300 rows of) the test split.
"""
import pytest

import rulex
from _helpers.exports import _check_formats
from _helpers.nets import CLASSIFICATION_DATASETS, SWEEP_PARAMS, tiny_net


@pytest.fixture(scope="module")
def rule_sets():
    out = {}
    for name in CLASSIFICATION_DATASETS:
        net, train, test = tiny_net(name)
        params = {}
        for m, cls in rulex.extractors.EXTRACTORS.items():
            accepted = cls().get_params()
            params[m] = {k: v for k, v in SWEEP_PARAMS.items() if k in accepted}
        _, rules = rulex.compare(net, train, test, progress=False, params=params, return_rules=True)
        out[name] = (rules, test.frame.iloc[:300])   # 300 rows keep pypmml's row-by-row scoring cheap
    return out


@pytest.mark.parametrize("name", CLASSIFICATION_DATASETS)
def test_every_export_of_every_extractor_agrees_on_the_test_split(rule_sets, pmml_scorer, name):
    rules_by_method, frame = rule_sets[name]
    assert rules_by_method
    for method, rules in sorted(rules_by_method.items()):
        try:
            _check_formats(rules, frame, pmml=pmml_scorer)
        except AssertionError as exc:
            raise AssertionError(f"{name} / {method}: {exc}") from None
