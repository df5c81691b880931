"""Exports: JSON, PMML (scored by pypmml), SQL (sqlite3 and DuckDB), standalone Python and the
HTML/Markdown audit report.

The property tests generate random rule sets of every kind over random mixed-type frames
with missing values and check that every executable format predicts exactly what
``RuleSet.predict`` does on every row.
"""
from __future__ import annotations

import html
import re
import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from _helpers.engines import unavailable
from _helpers.exports import (CHECKERS, MISSING_ROWS, SCHEMA, _assert_all_same, _check_formats, _chromium,
                              _frame_of, _load_module, _native, _no_remote_references)
from _helpers.rulegen import problems
from hypothesis import HealthCheck, given, settings

import rulex
from rulex import Condition, Feature, FormatError, LinearModel, LinearTerm, MofN, Rule, RuleSet, Schema
from rulex.formats.pmml import tie_free_weights
from rulex.formats.sql import sql_float, sql_identifier, sql_string

duckdb = pytest.importorskip("duckdb")


# ---------------------------------------------------------------------------------------------
# property tests
# ---------------------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(problems())
def test_json_python_sql_predict_like_rules(problem):
    rules, frame = problem
    _check_formats(rules, frame)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(problems())
def test_pmml_predicts_like_rules(pmml_scorer, problem):
    rules, frame = problem
    expected = [_native(v) for v in rules.predict(frame)]
    _assert_all_same(expected, pmml_scorer(rules, frame), rules.task, "pmml (pypmml)")


# ---------------------------------------------------------------------------------------------
# real data: surrogate-tree rules on iris and breast_cancer agree 100 % in every format
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["iris", "breast_cancer"])
def extracted(request):
    ds = rulex.load_dataset(request.param)
    train, test = ds.split(random_state=0)
    net = rulex.train_network(train, (4,), "sigmoid", max_epochs=40, random_state=0)
    rules = rulex.extract(net, train, method="surrogate_tree", random_state=0)
    return rules, net, train, test


def test_surrogate_rules_agree_in_every_format(extracted, pmml_scorer):
    rules, net, _, test = extracted
    frame = test.X
    _check_formats(rules, frame)
    expected = [_native(v) for v in rules.predict(frame)]
    _assert_all_same(expected, pmml_scorer(rules, frame, by_row=False), "classification", "pmml (frame)")


def test_regression_rules_in_every_format(pmml_scorer):
    ds = rulex.load_dataset("diabetes")
    train, test = ds.split(random_state=0)
    net = rulex.train_network(train, (4,), "sigmoid", max_epochs=40, random_state=0)
    rules = rulex.extract(net, train, method="surrogate_tree", random_state=0, max_leaf_nodes=8)
    assert rules.task == "regression"
    _check_formats(rules, test.X, pmml=pmml_scorer)
    assert "<TreeModel" in rulex.export(rules, "pmml")


def test_linear_leaf_rules_in_every_format(pmml_scorer):
    ds = rulex.load_dataset("diabetes")
    train, test = ds.split(random_state=0)
    net = rulex.train_network(train, (4,), "sigmoid", max_epochs=40, random_state=0)
    rules = rulex.extract(net, train, method="anndt", leaf_model="linear", max_leaf_nodes=4, random_state=0)
    assert rules.is_linear and rules.terms_count() > 0
    frame = test.X.copy()
    frame.loc[frame.index[:3], "bmi"] = np.nan          # a missing input: the prediction is missing everywhere
    _check_formats(rules, frame, pmml=pmml_scorer)
    assert np.isnan(rules.predict(frame)[:3]).all()
    assert "<MiningModel" in rulex.export(rules, "pmml") and "<RegressionTable" in rulex.export(rules, "pmml")


# ---------------------------------------------------------------------------------------------
# missing values, ties, m-of-n: small hand-made cases
# ---------------------------------------------------------------------------------------------
def test_negative_conditions_on_missing_values_are_false(pmml_scorer):
    rules = RuleSet([
        Rule([Condition("b", "!=", True)], "yes"),
        Rule([Condition("c", "not in", ("a b", 'say "hi"'))], "maybe"),
        Rule([Condition("x", "!=", 2.45)], "yes"),
        Rule([Condition("o", "not in", ("low",))], "maybe"),
    ], "no", classes=("no", "yes", "maybe"), schema=SCHEMA, target="label")
    expected = list(rules.predict(MISSING_ROWS))
    assert expected == ["yes", "no", "maybe", "maybe", "yes", "maybe"]
    _check_formats(rules, MISSING_ROWS, pmml=pmml_scorer)
    pmml = rulex.export(rules, "pmml")
    assert pmml.count('operator="isNotMissing"') == 4


def test_float_coded_categories_score_alike_in_pypmml(pmml_scorer):
    """Issue 27: categories read from a CSV as 2.0, 5.0 (dataType double): pypmml matched an
    ``equal``/``notEqual`` test against the category's position in the DataDictionary instead of
    its value (``equal 1.0`` fired on the second category), so single-category tests mis-scored."""
    schema = Schema((Feature("region", "categorical", (1.0, 2.0, 3.0, 5.0)),
                     Feature("rating", "ordinal", (1.0, 2.0, 3.0, 4.0, 5.0)), Feature("x", "numeric")),
                    target="y", classes=("a", "b"))
    rules = RuleSet([Rule([Condition("region", "==", 1.0)], "a"),
                     Rule([Condition("region", "!=", 3.0), Condition("x", ">", 0.5)], "a"),
                     Rule([Condition("rating", "in", (2.0,))], "a"),
                     Rule([Condition("region", "in", (2.0, 5.0)), Condition("rating", ">", 3.5)], "a")],
                    "b", classes=("a", "b"), schema=schema, target="y")
    codes = [(g, r, x) for g in (1.0, 2.0, 3.0, 5.0, None) for r in (1.0, 2.0, 4.0, None) for x in (0.0, 1.0)]
    frame = pd.DataFrame({"region": pd.Series([c[0] for c in codes], dtype="float64"),
                          "rating": pd.Series([c[1] for c in codes], dtype="float64"),
                          "x": [c[2] for c in codes]})
    assert "a" in set(rules.predict(frame)) and "b" in set(rules.predict(frame))
    _check_formats(rules, frame, pmml=pmml_scorer)


def test_mofn_with_missing_values(pmml_scorer):
    mofn = MofN(2, (Condition("x", ">", 1.0), Condition("n", "<=", 3.5), Condition("c", "in", ("é", "it's")),
                    Condition("b", "!=", False)))
    rules = RuleSet([Rule([mofn], "yes"), Rule([MofN(1, (Condition("o", "==", "mid"), Condition("x", "<=", 1.0)))],
                                                "maybe")],
                    "no", classes=("no", "yes", "maybe"), schema=SCHEMA, target="label")
    _check_formats(rules, MISSING_ROWS, pmml=pmml_scorer)


def test_unordered_ties_go_to_the_earliest_first_firing_rule(pmml_scorer):
    # rows where "yes" and "maybe" tie on total weight; the earlier first firing rule must win
    rules = RuleSet([
        Rule([Condition("x", "<=", 2.45)], "maybe"),
        Rule([Condition("n", ">", 2.0)], "yes"),
        Rule([Condition("b", "==", True)], "yes", weight=0.5),
        Rule([Condition("c", "in", ("it's", "back\\slash"))], "maybe", weight=0.5),
        Rule([Condition("o", "==", "low")], "no", weight=1.5),
    ], "no", semantics="unordered", classes=("no", "yes", "maybe"), schema=SCHEMA, target="label")
    frame = _frame_of([
        {"x": 1.0, "n": 3, "b": None, "c": "é", "o": "mid"},        # maybe 1 vs yes 1 -> maybe (rule 1 first)
        {"x": 9.0, "n": 3, "b": True, "c": "it's", "o": "mid"},     # yes 1.5 vs maybe 0.5
        {"x": 9.0, "n": 3, "b": None, "c": "it's", "o": "low"},     # yes 1, maybe 0.5, no 1.5 -> no
        {"x": 2.0, "n": 3, "b": True, "c": "it's", "o": "low"},     # maybe 1.5, yes 1.5, no 1.5 -> maybe
        {"x": 9.0, "n": 1, "b": True, "c": "it's", "o": "mid"},     # yes .5 vs maybe .5 -> yes (rule 3 first)
        {"x": None, "n": None, "b": None, "c": None, "o": None},    # nothing fires -> default
    ])
    assert list(rules.predict(frame)) == ["maybe", "yes", "no", "maybe", "yes", "no"]
    _check_formats(rules, frame, pmml=pmml_scorer)


def test_tie_free_weights_keep_every_outcome():
    rng = np.random.default_rng(0)
    weights = [1.0, 0.5, 2.0, 1.0, 0.25, 1.0, 3.0, 1.0]
    concl = ["a", "b", "a", "c", "b", "a", "c", "b"]
    new = tie_free_weights(weights, concl)
    assert all(abs(n - w) < 1e-6 for n, w in zip(new, weights))
    classes = ["a", "b", "c"]
    for _ in range(2000):
        fired = rng.random(len(weights)) < 0.5
        if not fired.any():
            continue
        old_tot = {k: sum(w for w, c, f in zip(weights, concl, fired) if f and c == k) for k in classes}
        first = {k: min((j for j, (c, f) in enumerate(zip(concl, fired)) if f and c == k), default=99)
                 for k in classes}
        best = max(old_tot.values())
        ours = min((k for k in classes if old_tot[k] == best and first[k] < 99), key=lambda k: first[k])
        new_tot = {k: sum(w for w, c, f in zip(new, concl, fired) if f and c == k) for k in classes if first[k] < 99}
        top = sorted(new_tot.values())
        assert len(top) < 2 or top[-1] > top[-2]          # no tie left
        assert max(new_tot, key=new_tot.get) == ours


def test_pmml_refuses_what_it_cannot_express_exactly():
    base = dict(semantics="unordered", classes=("no", "yes", "maybe"), schema=SCHEMA, target="label")
    inexact = RuleSet([Rule([Condition("x", "<=", 1.0)], "yes", weight=0.1),
                       Rule([Condition("x", ">", 0.0)], "no", weight=0.2),
                       Rule([Condition("n", ">", 0.0)], "maybe", weight=0.3)], "no", **base)
    with pytest.raises(FormatError, match="tie-break exactly"):
        rulex.export(inexact, "pmml")
    with pytest.raises(rulex.RuleError, match="weight"):   # negative votes are rejected at the source
        Rule([Condition("x", "<=", 1.0)], "yes", weight=-1.0)
    big = MofN(6, tuple(Condition("x", "<=", float(i)) for i in range(12)))
    ordered = RuleSet([Rule([big], "yes")], "no", classes=("no", "yes", "maybe"), schema=SCHEMA, target="label")
    with pytest.raises(FormatError, match="max_mofn_terms"):
        rulex.export(ordered, "pmml")
    assert "<CompoundPredicate" in rulex.export(ordered, "pmml", max_mofn_terms=1000)
    mixed = Schema((Feature("m", "categorical", ("a", 1)),), target="label")
    with pytest.raises(FormatError, match="mix types"):
        rulex.export(RuleSet([Rule([Condition("m", "==", "a")], "yes")], "no", schema=mixed, target="label"), "pmml")
    ctrl = Schema((Feature("m", "categorical", ("a", "b\x01")),), target="label")
    with pytest.raises(FormatError, match="control character"):
        rulex.export(RuleSet([Rule([Condition("m", "==", "a")], "yes")], "no", schema=ctrl, target="label"), "pmml")


def test_non_dyadic_weights_still_exact_in_python_and_sql():
    """SQL and Python implement the tie-break directly: no need for the PMML weight encoding."""
    rules = RuleSet([Rule([Condition("x", "<=", 3.0)], "yes", weight=0.1),
                     Rule([Condition("n", ">", 0.0)], "yes", weight=0.2),
                     Rule([Condition("b", "==", True)], "maybe", weight=0.3),
                     Rule([Condition("o", "==", "low")], "no", weight=0.7)], "no", semantics="unordered",
                    classes=("no", "yes", "maybe"), schema=SCHEMA, target="label")
    _check_formats(rules, MISSING_ROWS)


# ---------------------------------------------------------------------------------------------
# format details
# ---------------------------------------------------------------------------------------------
def test_pmml_document_structure():
    etree = pytest.importorskip("lxml.etree")
    rules = RuleSet([Rule([Condition("c", "in", ("a b", "é")), Condition("n", "<=", 3.5)], "yes", support=4,
                          precision=0.75),
                     Rule([Condition("o", "in", ("mid", "high"))], "maybe")], "no",
                    classes=("no", "yes", "maybe"), schema=SCHEMA, target="label")
    doc = etree.fromstring(rulex.export(rules, "pmml").encode())
    ns = {"p": "http://www.dmg.org/PMML-4_4"}
    assert doc.get("version") == "4.4"
    fields = {f.get("name"): f for f in doc.findall("p:DataDictionary/p:DataField", ns)}
    assert [fields[k].get("optype") for k in ("x", "n", "b", "c", "o", "label")] == \
        ["continuous", "continuous", "categorical", "categorical", "ordinal", "categorical"]
    assert [fields[k].get("dataType") for k in ("x", "n", "b", "c", "o", "label")] == \
        ["double", "double", "boolean", "string", "string", "string"]      # integer: double (JPMML's is 32-bit)
    assert [v.get("value") for v in fields["o"].findall("p:Value", ns)] == ["low", "mid", "high"]
    assert [v.get("value") for v in fields["c"].findall("p:Value", ns)] == list(SCHEMA["c"].categories)
    model = doc.find("p:RuleSetModel", ns)
    assert model.get("functionName") == "classification"
    mining = [(m.get("name"), m.get("usageType")) for m in model.findall("p:MiningSchema/p:MiningField", ns)]
    assert mining == [("c", None), ("n", None), ("o", None), ("label", "target")]
    rs = model.find("p:RuleSet", ns)
    assert rs.get("defaultScore") == "no"
    assert rs.find("p:RuleSelectionMethod", ns).get("criterion") == "firstHit"
    r1 = rs.find("p:SimpleRule", ns)
    assert (r1.get("score"), r1.get("recordCount"), r1.get("confidence")) == ("yes", "4", "0.75")
    arr = r1.find("p:CompoundPredicate/p:SimpleSetPredicate/p:Array", ns)
    assert arr.get("type") == "string" and arr.text == '"a b" "é"'
    le = r1.find("p:CompoundPredicate/p:SimplePredicate", ns)
    assert (le.get("operator"), le.get("value")) == ("lessOrEqual", "3.5")


def test_pmml_validates_against_the_xsd():
    from _helpers.engines import pmml_xsd          # RULEX_PMML_XSD, else the XSD inside JPMML's jar
    etree = pytest.importorskip("lxml.etree")
    schema = etree.XMLSchema(etree.parse(str(pmml_xsd())))
    rules = RuleSet([Rule([MofN(2, (Condition("x", ">", 1.0), Condition("c", "not in", ("é",)),
                                    Condition("b", "==", True)))], "yes", weight=2.0),
                     Rule([Condition("o", "in", ("mid", "high"))], "maybe")], "no", semantics="unordered",
                    classes=("no", "yes", "maybe"), schema=SCHEMA, target="label")
    reg = RuleSet([Rule([Condition("x", "<=", 2.0)], 1.5)], 0.5, task="regression",
                  schema=Schema(SCHEMA.features, target="t", task="regression"), target="t")
    lin = RuleSet([Rule([Condition("x", "<=", 2.0)], LinearModel(0.5, [LinearTerm("x", 2.0),
                                                                       LinearTerm("c", 1.0, "é")]))],
                  LinearModel(-1.0, [LinearTerm("n", 0.25)]), task="regression",
                  schema=Schema(SCHEMA.features, target="t", task="regression"), target="t")
    ordered = RuleSet(rules.rules, "no", classes=("no", "yes", "maybe"), schema=SCHEMA, target="label")
    for rs in (rules, ordered, reg, lin):
        schema.assertValid(etree.fromstring(rulex.export(rs, "pmml").encode()))


def test_sql_quoting_and_expression_only():
    schema = Schema((Feature('we"ird col', "categorical", ("it's", "plain")), Feature("x", "numeric")),
                    target="t", classes=("A'1", 'B"2'))
    rules = RuleSet([Rule([Condition('we"ird col', "==", "it's"), Condition("x", ">", 59.74737633665573)], "A'1")],
                    'B"2', classes=("A'1", 'B"2'), schema=schema, target="t")
    expr = rulex.export(rules, "sql", expression_only=True)
    assert expr.startswith("CASE") and expr.endswith("END")
    assert '"we""ird col" = \'it\'\'s\'' in expr
    # SQLite < 3.43 misreads the shortest decimal, 59.74737633665573: a longer one it reads exactly
    lit = re.search(r'"x" > (\S+) THEN', expr).group(1)
    assert "CAST" not in expr and lit != "59.74737633665573e0" and float(lit) == 59.74737633665573
    assert sqlite3.connect(":memory:").execute(f"SELECT {lit} = ?", (59.74737633665573,)).fetchone()[0] == 1
    full = rulex.export(rules, "sql", table="my table")
    assert full.startswith("SELECT *,") and 'FROM "my table";' in full
    con = sqlite3.connect(":memory:")
    got = con.execute(f"SELECT {expr} FROM (SELECT 'it''s' AS \"we\"\"ird col\", ? AS x)",
                      (59.74737633665574,)).fetchone()[0]
    assert got == "A'1"
    assert sql_identifier('a"b') == '"a""b"' and sql_string("it's") == "'it''s'"


def test_sql_float_literals_are_exact_in_sqlite_and_duckdb():
    rng = np.random.default_rng(1)
    values = list(rng.uniform(-1e4, 1e4, 3000) * 10.0 ** rng.integers(-6, 7, 3000))
    values += list(rng.standard_normal(1000).astype(np.float32).astype(float))
    values += [5e-324, 1e300, -0.0, 1 / 3, 2.45, 0.1 + 0.2, 2.0 ** 60, 123456789012345680.0]
    values = [float(v) for v in values]
    con = sqlite3.connect(":memory:")
    lits = [sql_float(v) for v in values]
    for v, lit in zip(values, lits):
        assert con.execute(f"SELECT ? = {lit}", (v,)).fetchone()[0] == 1, lit
    row = duckdb.sql("SELECT " + ", ".join(lits[:2000])).fetchall()[0]
    assert list(row) == values[:2000]


def test_python_module_is_standalone(tmp_path):
    rules = RuleSet([Rule([MofN(2, (Condition("x", ">", 1.0), Condition("c", "in", ("é", "it's")),
                                    Condition("b", "!=", False)))], "yes"),
                     Rule([Condition("o", "==", "mid")], "maybe", weight=2.0)], "no", semantics="unordered",
                    classes=("no", "yes", "maybe"), schema=SCHEMA, target="label")
    src = rulex.export(rules, "python", path=tmp_path / "rules_module.py")
    assert "rulex" not in re.findall(r"^\s*(?:import|from)\s+(\S+)", src, flags=re.M)
    script = textwrap.dedent("""
        import sys, json
        sys.path.insert(0, ".")
        sys.modules["rulex"] = None          # any import of rulex would fail
        import rules_module as m
        rows = [{"x": 2.0, "c": "é", "b": None, "o": "low"}, {"x": float("nan"), "c": None, "b": True, "o": "mid"}]
        print(json.dumps([m.predict(r) for r in rows] + [m.decide(rows[1])]))
    """)
    out = subprocess.run([sys.executable, "-I", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == '["yes", "maybe", 2]'
    ns = _load_module(src)
    with pytest.raises(KeyError, match="'x'"):
        ns["predict"]({"c": "é", "b": True, "o": "low"})


def test_unknown_format_and_suffixes():
    from rulex.formats import FORMATS, SUFFIX
    for name in ("pmml", "sql", "python", "html"):
        assert name in FORMATS
    assert SUFFIX[".pmml"] == "pmml" and SUFFIX[".sql"] == "sql" and SUFFIX[".py"] == "python"
    assert SUFFIX[".html"] == "html"
    rules = RuleSet([], "no", classes=("no", "yes"))
    with pytest.raises(rulex.UnknownNameError, match="pmml"):
        rulex.export(rules, "pmm")


def test_every_format_has_a_conformance_check():
    """A format added to FORMATS without an entry in CHECKERS (tests/_helpers/exports.py) fails here."""
    from rulex.formats import FORMATS
    assert set(CHECKERS) == set(FORMATS)


def test_rules_without_schema_export():
    rules = RuleSet([Rule([Condition("a", "<=", 0.5), Condition("s", "in", ("p", "q r"))], 1),
                     Rule([Condition("s", "!=", "z")], 2)], 0, classes=(0, 1, 2), target="y")
    frame = pd.DataFrame({"a": [0.1, 0.9, np.nan, 0.5], "s": pd.Series(["p", "q r", "z", None], dtype=object)})
    _check_formats(rules, frame)


# ---------------------------------------------------------------------------------------------
# HTML and Markdown audit report
# ---------------------------------------------------------------------------------------------
def test_html_report_content(extracted):
    rules, net, _, test = extracted
    page = rulex.export(rules, "html", network=net, dataset=test, date="2026-01-01 00:00:00")
    _no_remote_references(page)
    for section in ("Rules", "Method and parameters", "Data", "Network", "Metrics on the evaluation rows",
                    "Fidelity versus size", "Provenance"):
        assert f"<h2>{section}</h2>" in page
    rep = rulex.evaluate(rules, net, test)
    assert f"{rep.fidelity:.4f}" in page and f"{rep.accuracy:.4f}" in page
    assert 'src="data:image/png;base64,' in page
    assert rules.provenance["network_fingerprint"] in page and rules.provenance["data_fingerprint"] in page
    assert "2026-01-01 00:00:00" in page
    for i in range(1, len(rules) + 1):
        assert f'<tr class="rule"><td class="n">{i}</td>' in page
    plain = rulex.export(rules, "html")
    _no_remote_references(plain)
    assert "<h2>Rules</h2>" in plain and "Metrics on the evaluation rows" not in plain
    md = rulex.export(rules, "markdown", network=net, dataset=test)
    for section in ("## Metrics on the evaluation rows", "## Fidelity versus size", "## Data", "## Network",
                    "## Provenance"):
        assert section in md
    assert "## Data" not in rulex.export(rules, "markdown")


def test_one_rule_numbering_in_every_format(extracted):
    """Issue 27: every format counts rules from 1 and names the default "default", never "rule 0"."""
    rules, net, _, test = extracted
    n = len(rules)
    md = rulex.export(rules, "markdown", network=net, dataset=test)
    page = rulex.export(rules, "html", network=net, dataset=test)
    for text in (md, page):
        assert "rule 0" not in text
    # the per-rule table: 1..n, then the default by name
    table = md.split("Per rule on the evaluation rows")[1].split("\n\n")[1].splitlines()[2:]
    assert [row.split("|")[1].strip() for row in table] == [str(i) for i in range(1, n + 1)] + ["default"]
    assert md.count("| default | otherwise |") == 1                       # the rules table
    stats = page.split("Per rule on the evaluation rows")[1].split("</table>")[0]
    assert [int(k) for k in re.findall(r'<tr><td class="n">(\d+)</td>', stats)] == list(range(1, n + 1))
    assert '<tr><td class="n">default</td>' in stats
    assert '<tr class="rule"><td class="n">default</td>' in page        # the rules table
    sql = rulex.export(rules, "sql")
    assert [int(k) for k in re.findall(r"/\* rule (\d+) \*/", sql)] == list(range(1, n + 1))
    assert "/* default */" in sql
    src = rulex.export(rules, "python")
    assert [int(k) for k in re.findall(r"^\s+# (\d+)\. ", src, flags=re.M)] == list(range(1, n + 1))
    ns = _load_module(src)
    numbers = [ns["decide"](row) for row in test.X.to_dict("records")]
    expected = rules.explain(test.X)["rule"].tolist()
    assert numbers == [k if k else "default" for k in expected]
    assert ns["CONCLUSIONS"]["default"] == rules.default and "0: default" not in src


def test_report_names_the_method_auto_chose():
    """Issue 27: a report of method="auto" rules said only "auto"; it names the chosen candidate,
    its parameters and whether it was compressed, and lists every candidate auto tried."""
    from _helpers.nets import iris_net
    net, train, test = iris_net()
    candidates = [("surrogate_tree", {"max_leaf_nodes": 4}), ("cover", {"semantics": "unordered"})]
    rules = rulex.extract(net, train, method="auto", candidates=candidates, random_state=0)
    winner = rules.provenance["winner"]
    page = html.unescape(rulex.export(rules, "html", network=net, dataset=test))
    chosen = re.search(r"<p>auto chose <b>(\w+)</b>([^<]*)", page)
    assert chosen and chosen.group(1) == winner["method"], "the report does not name auto's choice"
    for k, v in winner["parameters"].items():
        assert f"{k}={v!r}" in chosen.group(2)
    assert ("compressed" in chosen.group(2)) == winner["compressed"]
    assert f"auto → {winner['method']}" in page                              # the method card
    tried = page.split("Candidates auto tried")[1].split("</table>")[0]
    assert tried.count("<tr>") == len(rules.provenance["candidates"]) + 1   # header + one row each
    md = rulex.export(rules, "markdown")
    assert f"- auto chose: **{winner['method']}**" in md
    plain = rulex.extract(net, train, method="surrogate_tree", random_state=0)
    assert "auto chose" not in rulex.export(plain, "html") and "auto chose" not in rulex.export(plain, "markdown")


def test_html_report_renders_in_headless_chromium(extracted, tmp_path):
    browser = _chromium()
    if browser is None:
        unavailable("no chromium binary found (apt-get install -y chromium)")
    rules, net, _, test = extracted
    page = tmp_path / "report.html"
    rulex.export(rules, "html", path=page, network=net, dataset=test)
    shot = tmp_path / "shot.png"
    common = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
              f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND"]
    subprocess.run(common + [f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 20_000
    from matplotlib.image import imread
    img = imread(shot)
    assert img.shape[:2] == (2000, 1200) and float(np.std(img[..., :3])) > 0.02   # not a blank page
    dom = subprocess.run(common + ["--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert "<h1>" in dom.stdout and "Fidelity versus size" in dom.stdout
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line
               or "net::ERR" in line]
    assert not console, console


def test_cli_report(tmp_path, capsys):
    from rulex.cli import main
    model = tmp_path / "model.rulex"
    assert main(["train", "iris", "--out", str(model), "--hidden", "4", "--epochs", "40"]) == 0
    out = tmp_path / "report.html"
    assert main(["report", str(model), "iris", "--method", "surrogate_tree", "--out", str(out),
                 "--rules-out", str(tmp_path / "rules.json")]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<h2>Fidelity versus size</h2>" in page and "iris-test" in page
    _no_remote_references(page)
    assert (tmp_path / "rules.json").exists()
    assert "report written to" in capsys.readouterr().out
    assert main(["report", str(model), "iris", "--method", "surrogate_tree", "--out", str(tmp_path / "r.md")]) == 0
    assert "## Metrics on the evaluation rows" in (tmp_path / "r.md").read_text(encoding="utf-8")
    assert main(["report", str(model), "iris", "--method", "surrogate_tree", "--out", str(tmp_path / "r.txt")]) == 1
