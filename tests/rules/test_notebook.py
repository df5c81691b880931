"""Notebook display (_repr_html_, RuleSet.to_frame) and rulex.plot."""
from __future__ import annotations

import html

import matplotlib
import numpy as np
import pandas as pd
import pytest

import rulex
from _helpers.nets import iris_net
from rulex import Condition, Rule, RuleSet

matplotlib.use("Agg")


def _tricky():
    return RuleSet([Rule([Condition("job", "in", ["<script>", 'a"b']), Condition("age", ">", 30.5)], "yes",
                         support=3, precision=2 / 3),
                    Rule([Condition("age", "<=", 18.0)], "no & maybe", weight=2.0)],
                   "no & maybe", semantics="unordered", target="<t>")


def test_to_frame_lists_rules_then_default():
    rs = _tricky()
    df = rs.to_frame()
    assert list(df.columns) == ["rule", "if", "then", "support", "precision", "weight", "conditions"]
    assert df["rule"].tolist() == [1, 2, "default"] and df["then"].tolist() == ["yes", "no & maybe", "no & maybe"]
    assert df["conditions"].tolist() == [2, 1, 0] and df.loc[0, "support"] == 3
    assert "age > 30.5" in df.loc[0, "if"] and pd.isna(df.loc[1, "support"])
    net, train, _ = iris_net()
    rules = rulex.extract(net, train, "surrogate_tree")
    assert len(rules.to_frame()) == len(rules) + 1


def test_ruleset_html_is_an_escaped_table():
    out = _tricky()._repr_html_()
    assert out.count("<tr>") == 1 + 3                            # header, two rules, the default
    assert "<script>" not in out and "&lt;script&gt;" in out and "&lt;t&gt;" in out
    assert "no &amp; maybe" in out and "Unordered" in out
    text = html.unescape(out)
    assert "age > 30.5" in text and "0.667" in text


def test_report_and_explanation_html():
    net, train, test = iris_net()
    rules = rulex.extract(net, train, "surrogate_tree")
    rep = rulex.evaluate(rules, net, test)
    out = rep._repr_html_()
    assert "fidelity" in out and f"{rep.fidelity:.4g}" in out and "surrogate_tree" in out
    e = rulex.explain_row(net, test, 0, rules=rules, n_samples=200)
    out = e._repr_html_()
    assert "local rule" in out and str(e.prediction) in out
    table = rulex.compare(net, train, test, methods="surrogate_tree,anndt")
    assert "<table" in table._repr_html_()


def test_pareto_mask():
    t = pd.DataFrame({"method": list("abcde"), "fidelity": [0.9, 0.95, 0.85, 0.95, np.nan],
                      "conditions": [4, 9, 6, 12, 1]})
    assert rulex.plot.pareto_mask(t).tolist() == [True, True, False, False, False]
    assert rulex.plot.pareto_mask(t, size="conditions", score="fidelity").index.equals(t.index)
    with pytest.raises(rulex.DataError, match="rules"):
        rulex.plot.pareto_mask(t, size="rules")


def test_plots_return_axes():
    from matplotlib.axes import Axes
    net, train, test = iris_net()
    table = rulex.compare(net, train, test, methods="surrogate_tree,anndt,cred")
    ax = rulex.plot.fidelity_vs_size(table)
    assert isinstance(ax, Axes) and len(ax.texts) == 3
    ax2 = rulex.plot.pareto_front(table, size="rules")
    assert isinstance(ax2, Axes)
    rules = rulex.extract(net, train, "surrogate_tree")
    ax3 = rulex.plot.rule_coverage(rules, test.frame, reference=net.predict(test.frame))
    heights = sum(p.get_height() for p in ax3.patches)
    assert isinstance(ax3, Axes) and heights == len(test.frame)
    assert len(ax3.get_xticklabels()) == len(rules) + 1
    import matplotlib.pyplot as plt
    plt.close("all")
