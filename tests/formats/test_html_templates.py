"""HTML pages come from Jinja2 templates with autoescape: everything rulex did not write is escaped once."""
from __future__ import annotations

import pandas as pd

import rulex
from rulex.formats.html import render_page


def _rules():
    schema = rulex.Schema([rulex.Feature("x", "numeric")], target="y", classes=("a", "b<c"))
    return rulex.RuleSet([rulex.Rule([rulex.Condition("x", "<=", 1.5)], "b<c")], "a",
                         classes=("a", "b<c"), target="y", schema=schema)


def test_explanation_headers_and_cells_are_escaped_once():
    frame = pd.DataFrame({"x<y & z": ["<script>alert(1)</script>"]})
    page = rulex.export(_rules(), "html", explanations={"A & <b>": frame})
    assert "<h2>A &amp; &lt;b&gt;</h2>" in page
    assert "<th>x&lt;y &amp; z</th>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&amp;amp;" not in page and "&amp;lt;" not in page
    assert "<script>" not in page


def test_compare_page_escapes_the_data_set_name_and_shares_the_stylesheet():
    page = render_page("compare.html", title="rulex compare: <img src=x onerror=alert(1)>", network="(16,)",
                       what="accuracy", network_score=0.5, n_train=3, n_test=2, headers=["method", "fidelity"],
                       numeric=(1,), rows=[["<b>m</b>", "1.0000"]])
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;m&lt;/b&gt;" in page
    assert '<td class="n">1.0000</td>' in page
    report = rulex.export(_rules(), "html")
    style = report[report.index("<style>"):report.index("</style>")]
    assert style and style in page
