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
import io
import math
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np
import pandas as pd
from markupsafe import Markup

from ..rules.render import format_conditions, format_value

__all__ = ["to_html", "audit_facts", "size_curve", "render_page"]


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
        "verification": p.get("verification"),
    }
    for i, r in enumerate(rules.rules, 1):
        facts["rules"].append({
            "verified": (r.provenance.get("verification") or {}).get("status"),
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
def _num(x, fmt="{:.4f}") -> str:
    """A number as the report shows it (empty for None and NaN); anything else as text."""
    if x is None:
        return ""
    if isinstance(x, (float, np.floating)):
        return "" if math.isnan(x) else fmt.format(x)
    return str(x)


def _code(x) -> Markup:
    return Markup("<code>{}</code>").format(x)


def _bold(x) -> Markup:
    return Markup("<b>{}</b>").format(x)


@lru_cache(maxsize=1)
def _environment():
    """The Jinja2 environment of rulex's HTML templates (autoescape on)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined
    env = Environment(loader=PackageLoader("rulex.formats", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      undefined=StrictUndefined)
    env.globals["num"] = _num
    return env


def render_page(template: str, **context) -> str:
    """Render one of rulex's HTML templates (``report.html``, ``compare.html``) with ``context``."""
    return _environment().get_template(template).render(**context)


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

    # rules
    show_weight = facts["semantics"] == "unordered"
    verification = facts.get("verification")
    if verification:
        cards.append(("domain proven (verify)", f"{verification['certified_share']:.1%}"))
    rows = []
    for r in facts["rules"]:
        word = "IF" if (facts["semantics"] == "unordered" or r["number"] == 1) else "ELSE IF"
        row = [r["number"], f"{word} {r['if']}", f"{target} = {r['then']}"]
        if show_weight:
            row.append(_num(r["weight"], "{:g}"))
        row.append(_num(r["support"]))
        if not reg:
            row.append(_num(r["precision"], "{:.3f}"))
        if verification:
            row.append(r["verified"] or "")
        rows.append(row)
    default_word = "ELSE" if (facts["semantics"] == "ordered" and facts["rules"]) else "DEFAULT (no rule holds)"
    headers = (["#", "condition", "conclusion"] + (["weight"] if show_weight else []) + ["support"]
               + ([] if reg else ["precision"]) + (["verified"] if verification else []))
    default_row = ["—", default_word, f"{target} = {facts['default']}"] + [""] * (len(headers) - 3)
    if verification:
        default_row[-1] = verification.get("default") or ""
    rows.append(default_row)
    rules_table = {"headers": headers, "rows": rows,
                   "numeric": (0,) + tuple(range(3, len(headers) - (1 if verification else 0)))}
    parameters = [(_code(k), _code("None" if v is None else v)) for k, v in sorted(facts["parameters"].items())]

    d = facts["data"]
    data_rows = [(_code(f["name"]), f["kind"], "yes" if f["used"] else "", f["missing"], f["summary"])
                 for f in d["features"]] if d else []
    net = facts["network"]
    network_rows = list(enumerate(net["layers"], 1)) if net else []

    metrics_rows, per_class_rows, confusion, rule_stats = [], [], None, None
    if m:
        labels = [("fidelity", "fidelity to the network" + (" (R²)" if reg else "")),
                  ("accuracy", "accuracy vs the truth" + (" (R²)" if reg else "")),
                  ("network_accuracy", "network accuracy vs the truth" + (" (R²)" if reg else "")),
                  ("rmse_network", "RMSE vs the network"), ("rmse_truth", "RMSE vs the truth"),
                  ("coverage", "coverage (some rule holds)"), ("default_rule_use", "default decides"),
                  ("overlap", "overlap (two or more rules hold)"), ("conflict", "conflict (holding rules disagree)"),
                  ("n_rows", "rows")]
        metrics_rows = [(lab, _num(m[k])) for k, lab in labels if k in m and m[k] is not None]
        if facts["per_class_fidelity"]:
            per_class_rows = [(k, _num(v)) for k, v in facts["per_class_fidelity"].items()]
        cm = facts["confusion"]
        if cm is not None:
            head = ["network \\ rules"] + [format_value(c) for c in cm.columns]
            confusion = {"headers": head, "numeric": tuple(range(1, len(head))),
                         "rows": [[_bold(format_value(i))] + [int(cm.loc[i, c]) for c in cm.columns]
                                  for i in cm.index]}
        stats = facts["rule_stats"]
        if stats is not None:
            cols = [c for c in ("rule", "fires", "decides", "precision_network", "precision_truth", "rmse_network",
                                "rmse_truth") if c in stats.columns]
            names = {"precision_network": "precision vs network", "precision_truth": "precision vs truth",
                     "rmse_network": "RMSE vs network", "rmse_truth": "RMSE vs truth"}
            rule_stats = {"headers": [names.get(c, c) for c in cols], "numeric": tuple(range(len(cols))),
                          "rows": [[_num(row[c]) for c in cols] for _, row in stats.iterrows()]}

    curve = None
    if facts["curve"] is not None:
        frame = facts["curve"]
        cols = [c for c in ("k", "fidelity", "accuracy") if c in frame.columns]
        curve = {"png": _plot(facts), "headers": cols, "numeric": tuple(range(len(cols))),
                 "how": ("the decision list cut after its first k rules" if facts["semantics"] == "ordered"
                         else "the vote among the first k rules only (a prefix of the set, not the best k rules)"),
                 "rows": [[int(row["k"])] + [_num(row[c]) for c in cols[1:]] for _, row in frame.iterrows()]}

    sections = []
    for section, frame in (explanations or {}).items():
        headers_, rows_ = explanation_rows(frame)
        sections.append({"title": section, "headers": headers_, "rows": rows_})
    provenance_rows = [(k, _code(_num(v) if isinstance(v, float) else v))
                       for k, v in facts["provenance"].items() if v is not None]
    return render_page("report.html", title=title, facts=facts, reg=reg, digits=digits, cards=cards,
                       rules_table=rules_table, parameters=parameters, data_rows=data_rows,
                       network_rows=network_rows, metrics_rows=metrics_rows, per_class_rows=per_class_rows,
                       confusion=confusion, rule_stats=rule_stats, curve=curve, explanations=sections,
                       provenance_rows=provenance_rows)
