"""RuleSet (and Rule) are immutable values: read-only attributes, a provenance nobody can change in
place, a hash consistent with ``==``, and pickle / JSON round trips that give an equal rule set."""
from __future__ import annotations

import copy
import json
import math
import pickle

import numpy as np
import pytest

from rulex.formats import from_json, to_json
from rulex.rules import Condition, LinearModel, Rule, RuleSet
from rulex.schema import Feature, Schema

SCHEMA = Schema((Feature("age", "integer"), Feature("colour", "categorical", ("red", "blue"))),
                target="y", classes=("no", "yes"))


def _rules(**provenance) -> RuleSet:
    prov = {"method": "hand", "parameters": {"depth": 2, "steps": (1, 2)}, "metrics": {"f": np.float64(0.5)},
            **provenance}
    return RuleSet([Rule([Condition("age", ">", 40.0)], "yes", support=3, provenance={"leaf": [1, 2]}),
                    Rule([Condition("colour", "in", {"red"})], "no", weight=0.5)], "no",
                   semantics="ordered", classes=("no", "yes"), target="y", schema=SCHEMA, provenance=prov)


@pytest.mark.parametrize("name", ["rules", "default", "semantics", "task", "classes", "target", "schema", "space",
                                  "provenance", "new_attribute"])
def test_setting_or_deleting_an_attribute_raises(name):
    rs = _rules()
    with pytest.raises(AttributeError):
        setattr(rs, name, None)
    with pytest.raises(AttributeError):
        delattr(rs, name)
    assert rs == _rules()


def test_changing_a_provenance_read_from_a_rule_set_leaves_it_unchanged():
    rs = _rules()
    before = to_json(rs)
    prov = rs.provenance
    prov["method"] = "changed"
    prov["parameters"]["depth"] = 99
    prov["parameters"]["steps"].append(3)
    prov.update(extra=True)
    assert rs.provenance == {"method": "hand", "parameters": {"depth": 2, "steps": [1, 2]}, "metrics": {"f": 0.5}}
    assert to_json(rs) == before
    rule_prov = rs.rules[0].provenance
    rule_prov["leaf"].append(3)
    assert rs.rules[0].provenance == {"leaf": [1, 2]}
    assert to_json(rs) == before


def test_the_record_given_is_not_kept():
    given = {"method": "hand", "nested": {"a": [1]}}
    rs = RuleSet([], "no", classes=("no", "yes"), provenance=given)
    given["nested"]["a"].append(2)
    given["method"] = "other"
    assert rs.provenance == {"method": "hand", "nested": {"a": [1]}}


def test_equal_rule_sets_hash_equal_and_work_as_keys():
    a, b = _rules(), _rules()
    assert a is not b and a == b and hash(a) == hash(b)
    assert len({a, b}) == 1 and {a: 1}[b] == 1
    # the provenance's key order does not matter to == (sorted JSON), so not to the hash either
    c = RuleSet(a.rules, a.default, classes=a.classes, target=a.target, schema=a.schema,
                provenance=dict(reversed(list(a.provenance.items()))))
    assert c == a and hash(c) == hash(a)
    d = a.with_provenance(method="other")
    assert d != a
    regression = RuleSet([Rule([Condition("age", "<=", 30.0)], LinearModel(1.0, [("age", 2.0)]))], 3.5,
                         task="regression", provenance={"nan": float("nan")})
    assert hash(regression) == hash(copy.deepcopy(regression)) and regression == copy.deepcopy(regression)


def test_with_provenance_returns_a_new_rule_set():
    rs = _rules()
    out = rs.with_provenance(method="checked", note=np.int64(3))
    assert out is not rs and isinstance(out, RuleSet)
    assert out.provenance == {"method": "checked", "parameters": {"depth": 2, "steps": [1, 2]},
                              "metrics": {"f": 0.5}, "note": 3}
    assert list(out.provenance) == ["method", "parameters", "metrics", "note"]      # order kept, new keys last
    assert rs.provenance["method"] == "hand" and "note" not in rs.provenance
    assert (out.rules, out.default, out.classes, out.schema, out.target) == (rs.rules, rs.default, rs.classes,
                                                                          rs.schema, rs.target)
    assert out.replace(provenance=rs.provenance) == rs


def test_replace_returns_a_new_rule_set_and_leaves_this_one():
    rs = _rules()
    out = rs.replace(default="yes")
    assert out.default == "yes" and rs.default == "no" and out.provenance == rs.provenance


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_pickle_round_trip(protocol):
    rs = _rules()
    back = pickle.loads(pickle.dumps(rs, protocol=protocol))
    assert back == rs and hash(back) == hash(rs) and to_json(back) == to_json(rs)
    with pytest.raises(AttributeError):
        back.default = "yes"
    assert copy.deepcopy(rs) == rs and copy.copy(rs) == rs


def test_json_round_trip_is_byte_for_byte():
    rs = _rules(score=math.inf)
    text = to_json(rs)
    back = from_json(text)
    assert back == rs and hash(back) == hash(rs)
    assert to_json(back) == text
    assert back.provenance == rs.provenance and json.loads(text)["provenance"]["method"] == "hand"


def test_a_rule_is_immutable_too():
    r = Rule([Condition("age", ">", 1.0)], "yes", provenance={"leaf": 1})
    with pytest.raises(AttributeError):
        r.weight = 2.0
    with pytest.raises(AttributeError):
        del r.weight
    assert r.replace(weight=2.0).weight == 2.0 and r.weight == 1.0
    back = pickle.loads(pickle.dumps(r))
    assert back == r and back.provenance == {"leaf": 1}
