"""Lossless, versioned JSON for rule sets, and clear errors for files that are not rule sets."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rulex
from rulex import Condition, Feature, MofN, Rule, RuleSet, Schema
from rulex.formats.jsonio import FORMAT, VERSION, from_json, to_json


def _round_trip(rs: RuleSet) -> RuleSet:
    text = to_json(rs)
    # the output is strict JSON (no NaN/Infinity literals) that names its format and version
    doc = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert doc["format"] == FORMAT == "rulex.ruleset"
    assert doc["version"] == VERSION == 1
    back = from_json(text)
    assert back == rs
    # and a second round trip is byte-identical
    assert to_json(back) == text
    return back


SCHEMA = Schema((
    Feature("income (€)", "numeric"),
    Feature("age", "integer"),
    Feature("sex", "binary", ("female", "male")),
    Feature('job "title"', "categorical", ("clerk", "data scientist", 'say "hi"', "ingénieur", "o'neil")),
    Feature("size", "ordinal", ("small", "medium", "large")),
    Feature("code", "categorical", (1, 2, 3, 4)),
    Feature("flag", "binary", (False, True)),
), target="risk", classes=("low", "medium", "high"))


def _every_kind_rules():
    return [
        Rule([Condition("income (€)", "<=", 0.1 + 0.2), Condition("age", ">", 59.0)], "high",
             support=12, precision=0.75, provenance={"node": 3, "path": [0, 1, 3]}),
        Rule([Condition("sex", "==", "male"), Condition('job "title"', "!=", "o'neil"),
              Condition("income (€)", ">", -1e-300)], "low", weight=2.5),
        Rule([Condition('job "title"', "in", ["ingénieur", 'say "hi"']), Condition("size", "not in", ["large"]),
              Condition("code", "in", [4, 1]), Condition("flag", "==", True)], "medium",
             provenance={"terms": {"h1": {"units": [1, 2], "bias": -0.5}}, "score": math.inf}),
        Rule([MofN(2, (Condition("age", "<=", 30.0), Condition("size", "==", "small"),
                       Condition("code", "not in", [2, 3])))], "low", support=0, precision=0.0),
        Rule([Condition("income (€)", "<=", 5e-324), Condition("age", ">", -math.inf),
              Condition("income (€)", ">", -1.7976931348623157e308)], "high"),
        Rule([], "medium", provenance={"note": "always holds — ünïcode ✓"}),
    ]


@pytest.mark.parametrize("semantics", ["ordered", "unordered"])
def test_round_trip_every_kind_of_condition(semantics):
    rs = RuleSet(_every_kind_rules(), "medium", semantics=semantics, classes=("low", "medium", "high"),
                 target="risk", schema=SCHEMA,
                 provenance={"method": "surrogate_tree", "parameters": {"max_depth": 4, "criterion": "gini",
                                                                         "nested": {"a": [1, 2.5, None, True]}},
                             "network_fingerprint": "abc123", "rulex_version": rulex.__version__,
                             "metrics": {"fidelity": 0.987654321, "nan_metric": math.nan, "best": math.inf,
                                         "worst": -math.inf, "list": [math.nan, 1.0, -math.inf]}})
    back = _round_trip(rs)
    # details that equality alone would not show
    assert back.schema == SCHEMA
    assert back.rules[0].conditions[0].value == 0.1 + 0.2
    assert back.rules[4].conditions[0].value == 5e-324
    assert back.rules[1].weight == 2.5
    assert back.rules[2].conditions[2].value == (1, 4)
    assert back.rules[2].conditions[3].value is True
    assert back.rules[3].conditions[0].m == 2
    assert math.isnan(back.provenance["metrics"]["nan_metric"])
    assert back.provenance["metrics"]["best"] == math.inf
    assert back.provenance["metrics"]["worst"] == -math.inf
    assert back.rules[2].provenance["score"] == math.inf
    assert back.provenance["parameters"]["nested"] == {"a": [1, 2.5, None, True]}
    assert back.semantics == semantics


def test_round_trip_encoded_space_and_infinite_thresholds():
    rs = RuleSet([Rule([Condition("job=clerk", ">", 0.5), Condition("age", "<=", math.inf)], 1),
                  Rule([MofN(1, (Condition("x1", "<=", -0.2), Condition("x2", ">", 1.2)))], 0)],
                 0, classes=(0, 1), space="encoded")
    back = _round_trip(rs)
    assert back.space == "encoded"
    assert back.rules[0].conditions[1].value == math.inf


@pytest.mark.parametrize("classes", [(0, 1, 2), ("no", "yes"), (False, True), (-1, 7)])
def test_round_trip_class_label_types(classes):
    rs = RuleSet([Rule([Condition("x", ">", 1.0)], classes[-1]), Rule([Condition("x", "<=", -1.0)], classes[0])],
                 classes[0], classes=classes, semantics="unordered")
    back = _round_trip(rs)
    assert back.classes == classes
    assert [type(c) for c in back.classes] == [type(c) for c in classes]
    assert type(back.default) is type(classes[0])
    assert type(back.rules[0].conclusion) is type(classes[-1])


def test_round_trip_regression():
    rs = RuleSet([Rule([Condition("bmi", ">", 30.25)], 182.5, support=40),
                  Rule([Condition("bmi", "<=", 18.0), Condition("age", ">", 60.0)], -3),
                  Rule([Condition("bp", ">", 1e15)], 1e-300)],
                 151.0, task="regression", target="progression",
                 provenance={"metrics": {"r2": 0.5, "rmse": math.inf}})
    back = _round_trip(rs)
    assert back.task == "regression"
    assert back.rules[0].conclusion == 182.5
    assert back.rules[1].conclusion == -3 and type(back.rules[1].conclusion) is int
    assert back.rules[2].conclusion == 1e-300
    assert back.default == 151.0


def test_round_trip_empty_ruleset_and_numpy_values():
    rs = RuleSet([], "only", classes=("only", "other"))
    _round_trip(rs)
    rs = RuleSet([Rule([Condition("x", "<=", np.float64(0.3)), Condition("c", "in", np.array([3, 1]))],
                       np.int64(1), support=np.int64(5), precision=np.float32(0.5),
                       provenance={"w": np.arange(3), "v": np.float64(2.5), "s": {3, 1}})],
                 np.int64(0), provenance={"shape": (2, 3)})
    back = _round_trip(rs)
    assert back.rules[0].provenance == {"w": [0, 1, 2], "v": 2.5, "s": [1, 3]}
    assert back.provenance == {"shape": [2, 3]}


def test_round_trip_provenance_that_looks_like_an_encoded_float():
    """Provenance is free-form JSON: a user dict shaped like the encoder's float marker must survive."""
    prov = {"marker": {"__float__": "1.5"}, "other": {"__float__": "inf"}}
    rs = RuleSet([Rule([Condition("x", ">", 1.0)], 1, provenance=prov)], 0, classes=(0, 1), provenance=prov)
    assert from_json(to_json(rs)) == rs


def test_load_rules_and_export_round_trip(tmp_path):
    rs = RuleSet(_every_kind_rules(), "medium", classes=("low", "medium", "high"), schema=SCHEMA,
                 provenance={"nan": math.nan})
    path = tmp_path / "sub" / "rules.json"
    text = rulex.export(rs, "json", path=path)
    assert path.read_text(encoding="utf-8") == text
    assert rulex.load_rules(path) == rs
    assert rulex.load_rules(str(path)) == rs
    p2 = tmp_path / "saved.json"
    rulex.save_rules(rs, p2)
    assert rulex.load_rules(p2) == rs


# ---------------------------------------------------------------------------------------------
# hypothesis: generated rule sets
# ---------------------------------------------------------------------------------------------
names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
thresholds = st.one_of(st.floats(allow_nan=False), st.sampled_from([0.1 + 0.2, 5e-324, -0.0, 1e15]))
scalars = st.one_of(st.text(max_size=6), st.integers(-10**6, 10**6), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False))
json_leaves = st.one_of(st.none(), st.booleans(), st.integers(-10**18, 10**18), st.floats(), st.text(max_size=8))
json_values = st.recursive(json_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)), max_leaves=10)
provenances = st.dictionaries(st.text(max_size=6), json_values, max_size=4)


@st.composite
def conditions(draw):
    feature = draw(names)
    op = draw(st.sampled_from(["<=", ">", "==", "!=", "in", "not in"]))
    if op in ("<=", ">"):
        return Condition(feature, op, draw(thresholds))
    if op in ("==", "!="):
        return Condition(feature, op, draw(scalars))
    pool = draw(st.sampled_from([st.text(max_size=5), st.integers(-50, 50)]))
    return Condition(feature, op, draw(st.lists(pool, min_size=1, max_size=4)))


@st.composite
def literals(draw):
    if draw(st.integers(0, 4)) == 0:
        conds = draw(st.lists(conditions(), min_size=1, max_size=3, unique=True))
        return MofN(draw(st.integers(1, len(conds))), tuple(conds))
    return draw(conditions())


@st.composite
def rulesets(draw):
    task = draw(st.sampled_from(["classification", "regression"]))
    if task == "classification":
        classes = draw(st.sampled_from([(0, 1), ("a", "b", "c"), (False, True), ("ünï", 'q"', "x y")]))
        conclusion = st.sampled_from(classes)
        semantics = draw(st.sampled_from(["ordered", "unordered"]))
    else:
        classes = ()
        conclusion = st.one_of(st.floats(allow_nan=False), st.integers(-1000, 1000))
        semantics = "ordered"
    rules = []
    for _ in range(draw(st.integers(0, 5))):
        rules.append(Rule(draw(st.lists(literals(), max_size=4)), draw(conclusion),
                          weight=draw(st.floats(0.01, 100)),
                          support=draw(st.none() | st.integers(0, 10**6)),
                          precision=draw(st.none() | st.floats(0, 1)),
                          provenance=draw(provenances)))
    return RuleSet(rules, draw(conclusion), semantics=semantics, task=task, classes=classes,
                   target=draw(st.none() | names), space=draw(st.sampled_from(["original", "encoded"])),
                   provenance=draw(provenances))


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets())
def test_round_trip_generated_rulesets(rs):
    assert from_json(to_json(rs)) == rs
    assert from_json(to_json(rs, indent=None)) == rs
    assert RuleSet.from_dict(rs.to_dict()) == rs


# ---------------------------------------------------------------------------------------------
# files that are not rule sets
# ---------------------------------------------------------------------------------------------
def _good_text():
    return to_json(RuleSet(_every_kind_rules(), "medium", classes=("low", "medium", "high"), schema=SCHEMA))


def _assert_format_error(path, *extra):
    with pytest.raises(rulex.FormatError) as info:
        rulex.load_rules(path)
    msg = str(info.value)
    assert str(path) in msg or "rulex" in msg, msg
    assert "\n" not in msg, msg                          # one clear line
    for word in extra:
        assert word in msg, (word, msg)
    assert isinstance(info.value, ValueError) and isinstance(info.value, rulex.RulexError)
    return msg


def test_load_rules_missing_file(tmp_path):
    msg = _assert_format_error(tmp_path / "nope.json", "not found")
    assert "nope.json" in msg


@pytest.mark.parametrize("content", ["hello, world", "", "{", "<?xml version='1.0'?><PMML/>", "NaN"])
def test_load_rules_non_json(tmp_path, content):
    path = tmp_path / "rules.json"
    path.write_text(content, encoding="utf-8")
    _assert_format_error(path)


def test_load_rules_binary_garbage(tmp_path):
    path = tmp_path / "rules.json"
    path.write_bytes(b"\xff\xfe\x00\x81garbage\x00")
    _assert_format_error(path)


def test_load_rules_directory(tmp_path):
    _assert_format_error(tmp_path)


@pytest.mark.parametrize("doc", [
    {"format": "rulex.model", "version": 1},
    {"format": "something else", "rules": []},
    {"rules": [], "default": 0},
    [1, 2, 3],
    None,
    "rulex.ruleset",
    {"pmml": {"RuleSetModel": {}}},
])
def test_load_rules_json_of_another_format(tmp_path, doc):
    path = tmp_path / "other.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _assert_format_error(path, "rulex.ruleset")


@pytest.mark.parametrize("version", [0, 2, "1", None, 1.5])
def test_load_rules_wrong_version(tmp_path, version):
    doc = json.loads(_good_text())
    doc["version"] = version
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _assert_format_error(path, "version")


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_load_rules_truncated(tmp_path, keep):
    text = _good_text()
    path = tmp_path / "rules.json"
    path.write_text(text[: int(len(text) * keep)], encoding="utf-8")
    _assert_format_error(path)


def _corrupt(doc, how):
    if how == "no rules":
        del doc["rules"]
    elif how == "rules not a list":
        doc["rules"] = "oops"
    elif how == "bad operator":
        doc["rules"][0]["if"][0]["op"] = "<"
    elif how == "nan threshold":
        doc["rules"][0]["if"][0]["value"] = {"__float__": "nan"}
    elif how == "text threshold":
        doc["rules"][0]["if"][0]["value"] = "high"
    elif how == "unknown class":
        doc["rules"][0]["then"] = "nonexistent"
    elif how == "no default":
        doc["default"] = None
    elif how == "bad semantics":
        doc["semantics"] = "weighted"
    elif how == "bad m":
        doc["rules"][3]["if"][0]["m"] = 7
    elif how == "bad schema kind":
        doc["schema"]["features"][0]["kind"] = "float"
    elif how == "schema missing feature":
        doc["schema"]["features"] = doc["schema"]["features"][1:]
    elif how == "condition not a dict":
        doc["rules"][0]["if"][0] = "age > 3"
    elif how == "missing then":
        del doc["rules"][1]["then"]
    return doc


@pytest.mark.parametrize("how", ["no rules", "rules not a list", "bad operator", "nan threshold", "text threshold",
                                 "unknown class", "no default", "bad semantics", "bad m", "bad schema kind",
                                 "schema missing feature", "condition not a dict", "missing then"])
def test_load_rules_corrupted(tmp_path, how):
    doc = _corrupt(json.loads(_good_text()), how)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _assert_format_error(path)


def test_from_json_errors_mention_rulex():
    for text in ("not json", json.dumps({"format": "x"}), json.dumps({"format": FORMAT, "version": 99})):
        with pytest.raises(rulex.FormatError, match="rulex"):
            from_json(text)
