"""HTML audit report: one self-contained page (inline CSS, plots as base64 PNG, no scripts,
no external requests) that an auditor can open offline.

``rulex.export(rules, "html", network=net, dataset=test)``. With only ``rules`` the page
holds the method, its parameters, the numbered rules and the provenance; with a
``dataset`` it adds a data summary, accuracy and coverage on those rows and a
size curve; with a ``network`` too it adds the network, fidelity, the
network-versus-rules confusion matrix and per-rule support and precision against
the network (:func:`rulex.evaluate`).

The size curve plots, for k = 0..n, the fidelity (and accuracy) of the rule set cut
to its first k rules with the same default: for an ordered list this is the
decision list an auditor would get by reading only the first k rules; for an
unordered set it is the vote among the first k rules (a prefix, not the best
subset of size k). :func:`audit_facts` computes everything the HTML and the
Markdown reports show.
"""
from __future__ import annotations

import base64
import html
import io
import math
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from ..rules.render import format_conditions, format_value

__all__ = ["to_html", "audit_facts", "size_curve"]


# -- facts shared by the HTML and Markdown reports -------------------------------------------------
def size_curve(rules, frame, reference, max_points: int = 80) -> pd.DataFrame:
    """Agreement with ``reference`` of the first-k-rules cut of ``rules`` (same default), k = 0..n.

    Columns ``k`` and ``agreement`` (share of equal predictions, or R^2 for regression).
    """
    from ..metrics import agreement
    n = len(rules)
    ks = list(range(n + 1))
    if len(ks) > max_points:
        ks = sorted(set(np.linspace(0, n, max_points).round().astype(int).tolist()))
    M = rules.matches(frame)
    out = []
    for k in ks:
        cut = rules.replace(rules=rules.rules[:k])
        pred = cut._conclusions(cut.decide(frame, M[:, :k]), frame)
        out.append({"k": k, "agreement": agreement(pred, reference, rules.task)})
    return pd.DataFrame(out)


def _feature_summary(col: pd.Series, feature) -> str:
    values = col.dropna()
    if feature is not None and feature.is_discrete:
        counts = values.value_counts()
        shown = [f"{format_value(k)}: {int(v)}" for k, v in counts.head(6).items()]
        more = len(counts) - 6
        return ", ".join(shown) + (f", … ({more} more)" if more > 0 else "")
    if values.empty:
        return "all missing"
    x = pd.to_numeric(values, errors="coerce").astype(float)
    return (f"min {x.min():.6g}, median {x.median():.6g}, max {x.max():.6g}, "
            f"mean {x.mean():.6g}")


def audit_facts(rules, network=None, dataset=None, *, date: str | None = None, digits: int = 6) -> dict:
    """Everything an audit report shows, as plain Python data (see the module docstring)."""
    from .._version import __version__
    from ..metrics import agreement, coverage_stats, rule_table
    schema = rules.schema if rules.space == "original" else None
    p = rules.provenance
    facts = {
        "target": rules.target or "prediction",
        "task": rules.task,
        "semantics": rules.semantics,
        "semantics_text": ("ordered: the first rule that holds decides; if none holds, the default"
                           if rules.semantics == "ordered" else
                           "unordered: every rule that holds votes with its weight; the largest total wins; "
                           "ties go to the tied class whose first firing rule is earliest; "
                           "if none holds, the default"),
        "method": p.get("method"), "kind": p.get("kind"), "parameters": p.get("parameters") or {},
        "n_rules": len(rules), "n_conditions": rules.conditions_count(),
        "features_used": rules.features_used(),
        "default": format_value(rules.default),
        "rules": [],
        "provenance": {
            "rulex version (extraction)": p.get("rulex_version"),
            "rulex version (report)": __version__,
            "network fingerprint": p.get("network_fingerprint"),
            "extraction data": p.get("data"),
            "extraction data rows": p.get("data_rows"),
            "extraction data fingerprint": p.get("data_fingerprint"),
            "fidelity on the extraction rows": p.get("train_fidelity"),
            "extraction seconds": (p.get("run") or {}).get("seconds"),
            "extraction peak memory (MiB)": (p.get("run") or {}).get("peak_memory_mb"),
            "report date (UTC)": date or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        },
        "warnings": [],
        "data": None, "network": None, "metrics": None, "confusion": None, "per_class_fidelity": None,
        "rule_stats": None, "curve": None,
    }
    for i, r in enumerate(rules.rules, 1):
        facts["rules"].append({
            "number": i, "if": format_conditions(r.conditions, schema, digits),
            "then": format_value(r.conclusion), "weight": r.weight, "support": r.support,
            "precision": r.precision})

    if network is not None:
        fp = network.fingerprint()
        facts["network"] = {
            "architecture": "-".join(map(str, network.architecture)),
            "layers": [f"{layer.n_inputs} → {layer.n_units}, {layer.activation}" for layer in network.layers],
            "task": network.task, "classes": [format_value(c) for c in network.classes],
            "fingerprint": fp,
        }
        if p.get("network_fingerprint") and p["network_fingerprint"] != fp:
            facts["warnings"].append(f"the network's fingerprint {fp} differs from the one the rules were "
                                     f"extracted from ({p['network_fingerprint']})")
    if dataset is not None:
        frame = dataset.frame
        feats = []
        ds_schema = dataset.schema
        for f in ds_schema.features:
            col = frame[f.name]
            feats.append({"name": f.name, "kind": f.kind, "missing": int(col.isna().sum()),
                          "summary": _feature_summary(col, f), "used": f.name in facts["features_used"]})
        y = dataset.y
        if dataset.task == "classification":
            target_summary = ", ".join(f"{format_value(k)}: {int(v)}" for k, v in y.value_counts().items())
        else:
            target_summary = _feature_summary(y, None)
        facts["data"] = {"name": dataset.name, "rows": len(dataset), "fingerprint": dataset.fingerprint(),
                         "features": feats, "target": dataset.target, "target_summary": target_summary}
        y_true = y.to_numpy()
        matches = rules.matches(frame)
        decided = rules.decide(frame, matches)
        y_rules = rules._conclusions(decided, frame)
        if network is not None:
            from ..evaluate import evaluate
            rep = evaluate(rules, network, dataset)
            facts["metrics"] = rep.to_dict()
            facts["metrics"].pop("rules", None)
            facts["metrics"].pop("confusion", None)
            facts["metrics"].pop("per_class_fidelity", None)
            facts["network"]["accuracy"] = rep.network_accuracy
            if rep.confusion is not None:
                facts["confusion"] = rep.confusion
                facts["per_class_fidelity"] = {format_value(k): v for k, v in rep.per_class_fidelity.items()}
            facts["rule_stats"] = rep.rules
            y_net = network.predict(frame)
            curve = size_curve(rules, frame, y_net).rename(columns={"agreement": "fidelity"})
            curve["accuracy"] = size_curve(rules, frame, y_true)["agreement"]
        else:
            facts["metrics"] = {"n_rows": len(frame), "accuracy": agreement(y_rules, y_true, rules.task),
                                **coverage_stats(rules, matches)}
            facts["rule_stats"] = rule_table(rules, decided, matches, y_true, y_rules=y_rules).rename(
                columns={"precision_network": "precision_truth", "rmse_network": "rmse_truth"})
            curve = size_curve(rules, frame, y_true).rename(columns={"agreement": "accuracy"})
        facts["curve"] = curve
    return facts


# -- rendering -----------------------------------------------------------------------------------
def _e(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _num(x, fmt="{:.4f}") -> str:
    if x is None:
        return ""
    if isinstance(x, (float, np.floating)):
        return "" if math.isnan(x) else fmt.format(x)
    return _e(x)


def _plot(facts) -> str | None:
    """The size curve as a base64 PNG (None when matplotlib is missing or there is no curve)."""
    curve = facts.get("curve")
    if curve is None or curve.empty:
        return None
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    fig = Figure(figsize=(6.4, 3.6), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    what = "R²" if facts["task"] == "regression" else "share"
    if "fidelity" in curve:
        ax.plot(curve["k"], curve["fidelity"], marker="o", ms=3, label=f"fidelity to the network ({what})")
    if "accuracy" in curve:
        ax.plot(curve["k"], curve["accuracy"], marker="s", ms=3, ls="--", label=f"accuracy vs the truth ({what})")
    ax.set_xlabel("first k rules kept (the default decides the rest)")
    ax.set_ylabel("agreement on the evaluation rows")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    n = int(curve["k"].max())
    if n <= 20:
        ax.set_xticks(range(n + 1))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1100px;padding:0 1em;color:#1d2228;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;
margin-top:1.8em}table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:.8em;margin:1em 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.6em 1em;min-width:9em;background:#fafbfc}
.card b{display:block;font-size:1.4em}.muted{color:#57606a;font-size:.9em}
.warn{background:#fff4e5;border:1px solid #f0b35e;padding:.5em 1em;border-radius:6px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
.rule td:nth-child(2){font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
img{max-width:100%}
"""


def _table(headers, rows, numeric=()) -> str:
    out = ["<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr></thead><tbody>"]
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            cls = ' class="n"' if i in numeric else ""
            cells.append(f"<td{cls}>{v}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def explanation_rows(frame: pd.DataFrame, digits: int = 4):
    """Header and display rows of an explanation table (numbers rounded for display)."""
    def cell(v):
        if isinstance(v, float):
            return "" if v != v else f"{v:.{digits}g}"
        return "" if v is None else str(v)
    return [str(c) for c in frame.columns], [[cell(v) for v in row] for row in frame.itertuples(index=False)]


def to_html(rules, network=None, dataset=None, *, title: str | None = None, date: str | None = None,
            digits: int = 6, explanations: dict | None = None) -> str:
    """A self-contained HTML audit report (see the module docstring).

    ``explanations`` maps a section title to a DataFrame computed beforehand (e.g.
    ``rulex.influence(net, test)`` or ``rulex.profile_units(net, train).to_frame()``); each is
    shown as a table after the metrics. ``rulex report --explain`` fills it.
    """
    facts = audit_facts(rules, network, dataset, date=date, digits=digits)
    target = facts["target"]
    title = title or f"rulex audit report: rules predicting {target}"
    reg = facts["task"] == "regression"
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{_e(title)}</h1>",
             f'<p class="muted">Generated {_e(facts["provenance"]["report date (UTC)"])} UTC by rulex '
             f'{_e(facts["provenance"]["rulex version (report)"])}. Self-contained: this page makes no network '
             "requests.</p>"]
    for w in facts["warnings"]:
        parts.append(f'<p class="warn">Warning: {_e(w)}</p>')

    # summary cards
    cards = [("rules", facts["n_rules"]), ("conditions", facts["n_conditions"]),
             ("features used", len(facts["features_used"]))]
    m = facts["metrics"]
    if m:
        fid_name = "fidelity (R²)" if reg else "fidelity"
        acc_name = "accuracy (R²)" if reg else "accuracy"
        if "fidelity" in m:
            cards.append((fid_name, _num(m["fidelity"])))
        cards.append((acc_name, _num(m["accuracy"])))
        if "network_accuracy" in m:
            cards.append(("network " + acc_name, _num(m["network_accuracy"])))
        cards.append(("coverage", _num(m["coverage"])))
    parts.append('<div class="cards">' + "".join(f'<div class="card"><b>{_e(v)}</b>{_e(k)}</div>'
                                                 for k, v in cards) + "</div>")

    # rules
    parts.append("<h2>Rules</h2>")
    parts.append(f"<p>In original units; thresholds are rounded to {digits} significant digits for display "
                 "only (the JSON, PMML, SQL and Python exports keep them exact). Support"
                 + (" comes" if reg else " and precision come") + " from the extraction rows: the rows a rule decides"
                 + ("" if reg else "; precision is the share of them where the network agrees") + ".</p>")
    show_weight = facts["semantics"] == "unordered"
    rows = []
    for r in facts["rules"]:
        word = "IF" if (facts["semantics"] == "unordered" or r["number"] == 1) else "ELSE IF"
        row = [r["number"], f"{word} {_e(r['if'])}", f"{_e(target)} = {_e(r['then'])}"]
        if show_weight:
            row.append(_num(r["weight"], "{:g}"))
        row.append(_num(r["support"]))
        if not reg:
            row.append(_num(r["precision"], "{:.3f}"))
        rows.append(row)
    default_word = "ELSE" if (facts["semantics"] == "ordered" and facts["rules"]) else "DEFAULT (no rule holds)"
    headers = (["#", "condition", "conclusion"] + (["weight"] if show_weight else []) + ["support"]
               + ([] if reg else ["precision"]))
    rows.append(["—", default_word, f"{_e(target)} = {_e(facts['default'])}"] + [""] * (len(headers) - 3))
    parts.append(_table(headers, rows, numeric=(0,) + tuple(range(3, len(headers))))
                 .replace("<tr><td", '<tr class="rule"><td'))

    # method
    parts.append("<h2>Method and parameters</h2>")
    method = facts["method"] or "unknown (no provenance)"
    parts.append(f"<p>Method <b>{_e(method)}</b>" + (f" ({_e(facts['kind'])})" if facts["kind"] else "")
                 + f". Semantics: {_e(facts['semantics_text'])}.</p>")
    if facts["parameters"]:
        params = [(f"<code>{_e(k)}</code>", f"<code>{_e('None' if v is None else v)}</code>")
                  for k, v in sorted(facts["parameters"].items())]
        parts.append(_table(["parameter", "value"], params))

    # data
    d = facts["data"]
    if d:
        parts.append("<h2>Data</h2>")
        parts.append(f"<p>Evaluation rows: <b>{_e(d['name'] or 'unnamed')}</b>, {d['rows']} rows, fingerprint "
                     f"<code>{_e(d['fingerprint'])}</code>. Target <code>{_e(d['target'])}</code>: "
                     f"{_e(d['target_summary'])}.</p>")
        parts.append(_table(["feature", "kind", "used by the rules", "missing", "summary"],
                            [(f"<code>{_e(f['name'])}</code>", _e(f["kind"]), "yes" if f["used"] else "",
                              f["missing"], _e(f["summary"])) for f in d["features"]], numeric=(3,)))

    # network
    net = facts["network"]
    if net:
        parts.append("<h2>Network</h2>")
        acc = net.get("accuracy")
        parts.append(f"<p>Feed-forward network {_e(net['architecture'])} ({_e(net['task'])}), fingerprint "
                     f"<code>{_e(net['fingerprint'])}</code>"
                     + (f"; {'R²' if reg else 'accuracy'} on the evaluation rows <b>{_num(acc)}</b>"
                        if acc is not None else "") + ".</p>")
        parts.append(_table(["layer", "inputs → units, activation"],
                            [(i, _e(s)) for i, s in enumerate(net["layers"], 1)], numeric=(0,)))

    # metrics
    if m:
        parts.append("<h2>Metrics on the evaluation rows</h2>")
        labels = [("fidelity", "fidelity to the network" + (" (R²)" if reg else "")),
                  ("accuracy", "accuracy vs the truth" + (" (R²)" if reg else "")),
                  ("network_accuracy", "network accuracy vs the truth" + (" (R²)" if reg else "")),
                  ("rmse_network", "RMSE vs the network"), ("rmse_truth", "RMSE vs the truth"),
                  ("coverage", "coverage (some rule holds)"), ("default_rule_use", "default decides"),
                  ("overlap", "overlap (two or more rules hold)"), ("conflict", "conflict (holding rules disagree)"),
                  ("n_rows", "rows")]
        parts.append(_table(["metric", "value"], [(_e(lab), _num(m[k])) for k, lab in labels
                                                  if k in m and m[k] is not None], numeric=(1,)))
        if facts["per_class_fidelity"]:
            parts.append("<p>Per-class fidelity (share of the rows the network puts in a class where the rules "
                         "agree):</p>")
            parts.append(_table(["network class", "fidelity"],
                                [(_e(k), _num(v)) for k, v in facts["per_class_fidelity"].items()], numeric=(1,)))
        cm = facts["confusion"]
        if cm is not None:
            parts.append("<p>Network (rows) versus rules (columns), counts:</p>")
            head = ["network \\ rules"] + [format_value(c) for c in cm.columns]
            parts.append(_table(head, [[f"<b>{_e(format_value(i))}</b>"] + [int(cm.loc[i, c]) for c in cm.columns]
                                       for i in cm.index], numeric=tuple(range(1, len(head)))))
        stats = facts["rule_stats"]
        if stats is not None:
            parts.append("<p>Per rule on the evaluation rows: rows where it holds, rows it decides, and its "
                         "precision (share of decided rows where the reference agrees with its conclusion); "
                         "rule 0 is the default.</p>")
            cols = [c for c in ("rule", "fires", "decides", "precision_network", "precision_truth", "rmse_network",
                                "rmse_truth") if c in stats.columns]
            names = {"precision_network": "precision vs network", "precision_truth": "precision vs truth",
                     "rmse_network": "RMSE vs network", "rmse_truth": "RMSE vs truth"}
            parts.append(_table([names.get(c, c) for c in cols],
                                [[_num(row[c]) if isinstance(row[c], float) else _e(row[c]) for c in cols]
                                 for _, row in stats.iterrows()], numeric=tuple(range(len(cols)))))

    # plot
    if facts["curve"] is not None:
        parts.append("<h2>Fidelity versus size</h2>")
        png = _plot(facts)
        how = ("the decision list cut after its first k rules" if facts["semantics"] == "ordered"
               else "the vote among the first k rules only (a prefix of the set, not the best k rules)")
        parts.append(f"<p>Agreement on the evaluation rows of {how}, with the same default; k = 0 is the default "
                     "alone.</p>")
        if png:
            parts.append(f'<img alt="fidelity versus number of rules" src="data:image/png;base64,{png}">')
        else:
            parts.append('<p class="muted">(matplotlib is not installed: table only)</p>')
        curve = facts["curve"]
        cols = [c for c in ("k", "fidelity", "accuracy") if c in curve.columns]
        parts.append(_table(cols, [[int(row["k"])] + [_num(row[c]) for c in cols[1:]] for _, row in curve.iterrows()],
                            numeric=tuple(range(len(cols)))))

    # explanations computed by the caller (influence, unit profiles)
    for section, frame in (explanations or {}).items():
        headers, rows = explanation_rows(frame)
        parts.append(f"<h2>{_e(section)}</h2>")
        parts.append(_table([_e(h) for h in headers], [[_e(v) for v in r] for r in rows]))

    # provenance
    parts.append("<h2>Provenance</h2>")
    parts.append(_table(["item", "value"], [(_e(k), f"<code>{_e(_num(v) if isinstance(v, float) else v)}</code>")
                                            for k, v in facts["provenance"].items() if v is not None]))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
