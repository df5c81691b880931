"""The fidelity-conditions chart of the ``rulex compare`` HTML page: an inline SVG, one point per method
with a result, the Pareto front as a staircase through exactly the front's methods, labels escaped."""
from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
from _helpers.engines import unavailable
from _helpers.exports import _chromium, _no_remote_references

from rulex.cli import main
import rulex
from rulex.compare import pareto_front
from rulex.formats.html import render_page
from rulex.formats.pareto_svg import pareto_chart


def _table():
    t = pd.DataFrame({
        "method": ["trepan", "surrogate_tree", "anndt", "cred", "tsukimoto", "a<b>&c", "brcg", "kt", "gridex"],
        "fidelity": [0.938, 0.931, 0.926, 0.885, np.nan, 0.80, 0.92, 0.75, 0.62],
        "conditions": [106, 31, 27, 470, np.nan, 2, 6, 0, 3]})
    t["pareto"] = pareto_front(t["fidelity"].to_numpy(float), t["conditions"].to_numpy(float))
    return t.sort_values("pareto", ascending=False, kind="stable")


def _page(t):
    chart = pareto_chart(t["method"], t["fidelity"], t["conditions"], t["pareto"])
    return render_page("compare.html", title="rulex compare: demo", network="(16,)", what="accuracy",
                       network_score=0.85, n_train=10, n_test=5, headers=list(t.columns), numeric=(1, 2),
                       rows=t.astype(str).values.tolist(), chart=chart)


def _svg(page):
    """The chart parsed as XML (so it is well-formed): the root element."""
    found = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    assert len(found) == 1
    return ET.fromstring(found[0])


def _q(tag):
    return f"{{http://www.w3.org/2000/svg}}{tag}"


def _points(svg):
    """{label: (cx, cy, on the front)} of the drawn points."""
    out = {}
    for g in svg.iter(_q("g")):
        cls = g.get("class", "").split()
        if "point" in cls:
            c = g.find(_q("circle"))
            out[g.find(_q("text")).text] = (float(c.get("cx")), float(c.get("cy")), "front" in cls)
    return out


def test_one_point_per_method_with_a_result_and_the_front_as_a_staircase():
    t = _table()
    assert set(t.loc[t["pareto"], "method"]) == {"a<b>&c", "brcg", "anndt", "surrogate_tree", "trepan"}
    svg = _svg(_page(t))
    pts = _points(svg)
    finite = t[t["fidelity"].notna()]
    assert sorted(pts) == sorted(m if m != "kt" else "kt (no rules)" for m in finite["method"])  # failed: left out
    assert {m for m, p in pts.items() if p[2]} == set(t.loc[t["pareto"], "method"])
    vertices = {tuple(map(float, v.split(","))) for v in svg.find(_q("polyline")).get("points").split()}
    on_line = {m for m, (x, y, _) in pts.items() if (x, y) in vertices}
    assert on_line == set(t.loc[t["pareto"], "method"])      # through exactly the front's methods
    line = [tuple(map(float, v.split(","))) for v in svg.find(_q("polyline")).get("points").split()]
    for (ax, ay), (bx, by) in zip(line, line[1:]):         # a staircase: each segment level or upright,
        assert ax == bx or ay == by                         # going right and up (fidelity grows)
        assert bx >= ax and by <= ay
    # more faithful is higher, more conditions is further right
    assert pts["trepan"][1] < pts["kt (no rules)"][1] and pts["cred"][0] > pts["trepan"][0] > pts["kt (no rules)"][0]
    assert svg.find(_q("title")).text and "trepan" in svg.find(_q("desc")).text


def test_labels_are_escaped_and_the_page_has_no_script():
    page = _page(_table())
    assert "a<b>&c" not in page and "a&lt;b&gt;&amp;c" in page
    assert "&amp;lt;" not in page
    _no_remote_references(page)
    assert "tsukimoto" in _svg(page).find(_q("desc")).text       # said to be missing, not drawn


def test_no_chart_without_any_result():
    t = _table().assign(fidelity=np.nan)
    assert pareto_chart(t["method"], t["fidelity"], t["conditions"], t["pareto"]) is None
    page = _page(t)
    assert "<svg" not in page and "<table>" in page


def test_axes_for_small_and_large_rule_sets():
    small = pareto_chart(["a", "b"], [0.9, 0.95], [1, 3], [True, True])
    assert [t for _, t in small["xticks"]] == ["0", "1", "2", "3"] and "log" not in small["xlabel"]
    large = pareto_chart(["a", "b", "c"], [0.9, 0.95, 0.97], [0, 12, 300], [True, True, True])
    assert "log" in large["xlabel"] and large["xticks"][-1][1] == "500"
    xs = [p["cx"] for p in sorted(large["points"], key=lambda p: p["conditions"])]
    assert xs == sorted(xs) and large["left"] <= xs[0] and xs[-1] <= large["right"]
    same = pareto_chart(["a"], [1.0], [4], [True])       # a single point still gets a y range
    assert same["top"] <= same["points"][0]["cy"] <= same["bottom"]


def test_cli_compare_html_has_the_chart_and_lists_the_front_first(tmp_path, capsys):
    out = tmp_path / "c.html"
    assert main(["compare", "iris", "--epochs", "30", "--methods", "surrogate_tree,anndt,cred",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    heads = re.findall(r"<th>([^<]*)</th>", page)
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", r) for r in re.findall(r"<tr>(<td.*?)</tr>", page)]
    table = pd.DataFrame(rows, columns=heads)
    assert len(table) == 3
    front = list(table.loc[table["pareto"] == "True", "method"])
    assert front and list(table["method"][:len(front)]) == front      # the table lists the front first
    pts = _points(_svg(page))
    assert set(pts) == set(table.loc[table["fidelity"] != "", "method"])
    assert {m for m, p in pts.items() if p[2]} == set(front)
    printed = [line.split()[0] for line in text.splitlines() if line.split() and line.split()[0] in pts]
    assert printed[:len(front)] == front                               # and so does the text output


def test_compare_page_renders_in_headless_chromium(tmp_path):
    browser = _chromium()
    if browser is None:
        unavailable("no chromium binary found (apt-get install -y chromium)")
    page = tmp_path / "compare.html"
    page.write_text(_page(_table()), encoding="utf-8")
    common = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
              f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND"]
    dom = subprocess.run(common + ["--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert "<svg" in dom.stdout and 'class="point front"' in dom.stdout and "<polyline" in dom.stdout
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line
               or "net::ERR" in line]
    assert not console, console


def test_a_result_without_rules_is_never_on_the_pareto_front(tmp_path):
    """Issue 27: 0-rule results (the default alone: one constant prediction, the baseline) were marked
    on the Pareto front, since nothing has fewer conditions. In compare's column, plot.pareto_mask,
    the grid's summary and the chart they are never on it, and the chart labels them "(no rules)";
    they still dominate the rule sets they beat."""
    t = pd.DataFrame({"method": ["empty", "small", "worse", "big"], "fidelity": [0.90, 0.93, 0.85, 0.97],
                      "conditions": [0, 3, 2, 12]})
    assert pareto_front(t["fidelity"], t["conditions"]).tolist() == [False, True, False, True]
    assert rulex.plot.pareto_mask(t).tolist() == [False, True, False, True]
    from rulex.grid import pareto_front as grid_front
    assert grid_front(t["fidelity"], t["conditions"]).tolist() == [False, True, False, True]
    svg = _svg(_page(t.assign(pareto=[True, True, False, True])))      # even a stale pareto column
    pts = _points(svg)
    assert "empty (no rules)" in pts and not pts["empty (no rules)"][2]
    # through compare: a network that answers one class everywhere gives default-only rule sets
    import torch
    from _helpers.nets import split
    train, test = split("iris")
    module = torch.nn.Sequential(torch.nn.Linear(4, 3))
    with torch.no_grad():
        module[0].weight.zero_()
        module[0].bias.copy_(torch.tensor([5.0, 0.0, 0.0]))
    net = rulex.Network.from_torch(module, train)
    table, rules = rulex.compare(net, train, test, methods=["surrogate_tree", "cover"], progress=False,
                                 return_rules=True)
    assert (table["conditions"] == 0).all() and not table["pareto"].any()
    assert all(len(r) == 0 or r.conditions_count() == 0 for r in rules.values())
