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
subset of size k). :func:`~rulex.formats.audit.audit_facts` (in :mod:`rulex.formats.audit`,
also importable from here) computes everything the HTML and the Markdown reports show.
"""
from __future__ import annotations

import base64
import io
import math
from functools import lru_cache

import numpy as np
from markupsafe import Markup

from ..rules.render import format_value
from .audit import DEFAULT_RADII, audit_facts, explanation_rows, size_curve
from .audit_sections import audit_section

__all__ = ["to_html", "audit_facts", "size_curve", "render_page", "explanation_rows"]


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
    from jinja2 import Environment, PackageLoader, StrictUndefined     # lazily: only the HTML pages need Jinja2
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
    try:        # lazily: matplotlib is optional (no plot without it) and slow to import
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


def to_html(rules, network=None, dataset=None, *, title: str | None = None, date: str | None = None,
            digits: int = 6, explanations: dict | None = None, radii=DEFAULT_RADII,
            audit: dict | None = None) -> str:
    """A self-contained HTML audit report (see the module docstring).

    With a network and data, the report proves the rules' fidelity at each of ``radii`` (shares of each
    numeric feature's range; default 0.01 and 0.05; ``()`` for none) on the evaluation rows and states it
    as a sentence an auditor can sign (:func:`rulex.verify` with ``radius``).

    ``audit`` is the document of a :func:`rulex.audit` (``Audit.to_dict()``); the report then gains an
    "Audit" section: protected attributes and monotonicity, each with its status, scope, real pairs and rules.

    ``explanations`` maps a section title to a DataFrame computed beforehand (e.g.
    ``rulex.influence(net, test)`` or ``rulex.profile_units(net, train).to_frame()``); each is
    shown as a table after the metrics. ``rulex report --explain`` fills it.
    """
    facts = audit_facts(rules, network, dataset, date=date, digits=digits, radii=radii)
    title = title or f"rulex audit report: rules predicting {facts['target']}"
    reg = facts["task"] == "regression"
    parameters = [(_code(k), _code("None" if v is None else v)) for k, v in sorted(facts["parameters"].items())]
    d = facts["data"]
    data_rows = [(_code(f["name"]), f["kind"], "yes" if f["used"] else "", f["missing"], f["summary"])
                 for f in d["features"]] if d else []
    net = facts["network"]
    network_rows = list(enumerate(net["layers"], 1)) if net else []
    sections = []
    for section, frame in (explanations or {}).items():
        headers_, rows_ = explanation_rows(frame)
        sections.append({"title": section, "headers": headers_, "rows": rows_})
    provenance_rows = [(k, _code(_num(v) if isinstance(v, float) else v))
                       for k, v in facts["provenance"].items() if v is not None]
    return render_page("report.html", title=title, facts=facts, reg=reg, digits=digits, cards=_cards(facts),
                       rules_table=_rules_table(facts), parameters=parameters, data_rows=data_rows,
                       network_rows=network_rows, **_metric_tables(facts), curve=_curve(facts),
                       explanations=sections, provenance_rows=provenance_rows,
                       audit=audit_section(audit) if audit is not None else None)


def _cards(facts) -> list:
    """The summary cards at the top of the report: size, scores, the share of the domain proven."""
    reg = facts["task"] == "regression"
    cards = [("rules", facts["n_rules"]), ("conditions", facts["n_conditions"]),
             ("features used", len(facts["features_used"]))]
    if facts["chosen"]:
        cards.insert(0, ("method", f"auto → {facts['chosen']['method']}"))
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
    verification = facts.get("verification")
    if verification and verification.get("radius") is None:
        cards.append(("domain proven (verify)", f"{verification['certified_share']:.1%}"))
    for c in facts.get("certified") or []:
        cards.append((f"certified fidelity at radius {c['radius']:g}", f"{c['certified_fidelity']:.1%}"))
    return cards


def _rules_table(facts) -> dict:
    """The numbered rules and the default, with weight, support, precision and status columns as they apply."""
    target = facts["target"]
    reg = facts["task"] == "regression"
    show_weight = facts["semantics"] == "unordered"
    verification = facts.get("verification")
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
    default_row = ["default", default_word, f"{target} = {facts['default']}"] + [""] * (len(headers) - 3)
    if verification:
        default_row[-1] = verification.get("default") or ""
    rows.append(default_row)
    return {"headers": headers, "rows": rows,
            "numeric": (0,) + tuple(range(3, len(headers) - (1 if verification else 0)))}


_METRIC_LABELS = [("fidelity", "fidelity to the network"), ("accuracy", "accuracy vs the truth"),
                  ("network_accuracy", "network accuracy vs the truth"),
                  ("rmse_network", "RMSE vs the network"), ("rmse_truth", "RMSE vs the truth"),
                  ("coverage", "coverage (some rule holds)"), ("default_rule_use", "default decides"),
                  ("overlap", "overlap (two or more rules hold)"), ("conflict", "conflict (holding rules disagree)"),
                  ("n_rows", "rows")]
_R2_METRICS = ("fidelity", "accuracy", "network_accuracy")     # labelled "(R²)" for regression
_STAT_NAMES = {"precision_network": "precision vs network", "precision_truth": "precision vs truth",
               "rmse_network": "RMSE vs network", "rmse_truth": "RMSE vs truth"}


def _metric_tables(facts) -> dict:
    """``metrics_rows``, ``per_class_rows``, ``confusion`` and ``rule_stats`` of the report's metrics section."""
    out: dict = {"metrics_rows": [], "per_class_rows": [], "confusion": None, "rule_stats": None}
    m = facts["metrics"]
    if not m:
        return out
    r2 = " (R²)" if facts["task"] == "regression" else ""
    out["metrics_rows"] = [(lab + (r2 if k in _R2_METRICS else ""), _num(m[k])) for k, lab in _METRIC_LABELS
                           if k in m and m[k] is not None]
    if facts["per_class_fidelity"]:
        out["per_class_rows"] = [(k, _num(v)) for k, v in facts["per_class_fidelity"].items()]
    cm = facts["confusion"]
    if cm is not None:
        head = ["network \\ rules"] + [format_value(c) for c in cm.columns]
        out["confusion"] = {"headers": head, "numeric": tuple(range(1, len(head))),
                            "rows": [[_bold(format_value(i))] + [int(cm.loc[i, c]) for c in cm.columns]
                                     for i in cm.index]}
    stats = facts["rule_stats"]
    if stats is not None:
        cols = [c for c in ("rule", "fires", "decides", "precision_network", "precision_truth", "rmse_network",
                            "rmse_truth") if c in stats.columns]
        out["rule_stats"] = {"headers": [_STAT_NAMES.get(c, c) for c in cols], "numeric": tuple(range(len(cols))),
                             "rows": [[_num(row[c]) for c in cols] for _, row in stats.iterrows()]}
    return out


def _curve(facts) -> dict | None:
    """The size curve section: its plot and its table (None without evaluation rows)."""
    if facts["curve"] is None:
        return None
    frame = facts["curve"]
    cols = [c for c in ("k", "fidelity", "accuracy") if c in frame.columns]
    return {"png": _plot(facts), "headers": cols, "numeric": tuple(range(len(cols))),
            "how": ("the decision list cut after its first k rules" if facts["semantics"] == "ordered"
                    else "the vote among the first k rules only (a prefix of the set, not the best k rules)"),
            "rows": [[int(row["k"])] + [_num(row[c]) for c in cols[1:]] for _, row in frame.iterrows()]}
