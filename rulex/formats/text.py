"""Readable text and Markdown for people: numbered rules with support and precision."""
from __future__ import annotations

import re

from ..rules.render import format_conditions, format_value
from .audit import DEFAULT_RADII, audit_facts, explanation_rows
from .audit_sections import audit_markdown

__all__ = ["to_text", "to_markdown"]


def to_text(rules, digits: int = 6) -> str:
    return rules.to_string(digits=digits) + "\n"


_ENTITY = re.compile(r"&(#?\w+;)")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def _md_escape(s: str) -> str:
    """Text for a Markdown table cell: HTML in the data is shown, not rendered; pipes and line breaks
    cannot end the cell."""
    s = _ENTITY.sub(r"&amp;\1", s)
    s = _TAG_START.sub("&lt;", s)          # "<b", "</", "<!--", "<?" would start HTML; "<=" stays
    return s.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _md_num(x, fmt="{:.4f}") -> str:
    if x is None or (isinstance(x, float) and x != x):
        return ""
    return fmt.format(x) if isinstance(x, float) else str(x)


def _md_table(headers, rows) -> list:
    out = ["| " + " | ".join(_md_escape(str(h)) for h in headers) + " |",
           "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(_md_escape(str(v)) for v in row) + " |" for row in rows]
    return out


def _md_audit(rules, network, dataset, date, radii=DEFAULT_RADII) -> list:
    """The audit sections of the HTML report, in Markdown (without the plot: its table instead)."""
    f = audit_facts(rules, network, dataset, date=date, radii=radii)
    reg = f["task"] == "regression"
    lines = [""]
    for w in f["warnings"]:
        lines += [f"> **Warning:** {_md_escape(w)}", ""]
    if f["certified"]:
        lines += ["## Proven at a radius", ""] + [f"- {_md_escape(c['sentence'])}" for c in f["certified"]] + [""]
    lines += _md_metrics(f, reg)
    curve = f["curve"]
    if curve is not None:
        how = ("the decision list cut after its first k rules" if f["semantics"] == "ordered"
               else "the vote among the first k rules only")
        lines += ["", "## Fidelity versus size", "", f"Agreement on the evaluation rows of {how}, same default:", ""]
        cols = [c for c in ("k", "fidelity", "accuracy") if c in curve.columns]
        lines += _md_table(cols, [[int(row["k"])] + [_md_num(row[c]) for c in cols[1:]]
                                  for _, row in curve.iterrows()])
    d = f["data"]
    if d:
        lines += ["", "## Data", "", f"{_md_escape(str(d['name'] or 'unnamed'))}: {d['rows']} rows, fingerprint `{d['fingerprint']}`; "
                  f"target `{d['target']}`: {_md_escape(d['target_summary'])}.", ""]
        lines += _md_table(["feature", "kind", "used", "missing", "summary"],
                           [(f"`{x['name']}`", x["kind"], "yes" if x["used"] else "", x["missing"], x["summary"])
                            for x in d["features"]])
    net = f["network"]
    if net:
        acc = net.get("accuracy")
        lines += ["", "## Network", "", f"Feed-forward network {net['architecture']} ({net['task']}), fingerprint "
                  f"`{net['fingerprint']}`" + (f"; {'R²' if reg else 'accuracy'} on the evaluation rows "
                                               f"{_md_num(acc)}" if acc is not None else "") + ".", ""]
        lines += _md_table(["layer", "inputs → units, activation"], list(enumerate(net["layers"], 1)))
    lines += ["", "## Provenance", ""]
    lines += _md_table(["item", "value"], [(k, f"`{_md_num(v)}`") for k, v in f["provenance"].items()
                                           if v is not None])
    return lines


def _md_metrics(f, reg: bool) -> list:
    """The metrics section of the Markdown audit: scores, per-class fidelity, confusion, per-rule statistics."""
    m = f["metrics"]
    if not m:
        return []
    lines = ["## Metrics on the evaluation rows", ""]
    labels = [("fidelity", "fidelity to the network" + (" (R²)" if reg else "")),
              ("accuracy", "accuracy vs the truth" + (" (R²)" if reg else "")),
              ("network_accuracy", "network accuracy vs the truth" + (" (R²)" if reg else "")),
              ("rmse_network", "RMSE vs the network"), ("rmse_truth", "RMSE vs the truth"),
              ("coverage", "coverage"), ("default_rule_use", "default decides"), ("overlap", "overlap"),
              ("conflict", "conflict"), ("n_rows", "rows")]
    lines += _md_table(["metric", "value"], [(lab, _md_num(m[k])) for k, lab in labels
                                             if k in m and m[k] is not None])
    if f["per_class_fidelity"]:
        lines += ["", "Per-class fidelity:", ""]
        lines += _md_table(["network class", "fidelity"], [(k, _md_num(v)) for k, v in
                                                           f["per_class_fidelity"].items()])
    cm = f["confusion"]
    if cm is not None:
        lines += ["", "Network (rows) versus rules (columns):", ""]
        lines += _md_table(["network \\ rules"] + [format_value(c) for c in cm.columns],
                           [[f"**{format_value(i)}**"] + [int(cm.loc[i, c]) for c in cm.columns]
                            for i in cm.index])
    stats = f["rule_stats"]
    if stats is not None:
        cols = [c for c in ("rule", "fires", "decides", "precision_network", "precision_truth", "rmse_network",
                            "rmse_truth") if c in stats.columns]
        lines += ["", "Per rule on the evaluation rows (the last row is the default):", ""]
        lines += _md_table([c.replace("_", " ") for c in cols],
                           [[_md_num(row[c]) for c in cols] for _, row in stats.iterrows()])
    return lines


def to_markdown(rules, digits: int = 6, network=None, dataset=None, date: str | None = None,
                explanations: dict | None = None, radii=DEFAULT_RADII, audit: dict | None = None) -> str:
    """Numbered rules with support and precision; with ``network`` and/or ``dataset``, also the
    audit sections of the HTML report (metrics, confusion, per-rule statistics, size curve,
    data summary, network, provenance)."""
    schema = rules.schema if rules.space == "original" else None
    p = rules.provenance
    target = rules.target or "prediction"
    lines = [f"# Rules predicting `{target}`", ""]
    if p.get("method"):
        lines.append(f"- method: **{p['method']}** ({p.get('kind', '')})")
    chosen = audit_facts(rules)["chosen"]
    if chosen:
        lines.append(f"- auto chose: **{chosen['method']}**{_md_escape(chosen['detail'])}")
    if p.get("parameters"):
        lines.append("- parameters: " + ", ".join(f"`{k}={v}`" for k, v in sorted(p["parameters"].items())))
    if p.get("network"):
        lines.append(f"- network: {'-'.join(map(str, p['network']))} (fingerprint `{p.get('network_fingerprint')}`)")
    if p.get("data"):
        lines.append(f"- data: {_md_escape(str(p['data']))} ({p.get('data_rows')} rows, fingerprint `{p.get('data_fingerprint')}`)")
    if p.get("train_fidelity") is not None:
        lines.append(f"- fidelity on the extraction rows: {p['train_fidelity']:.4f}")
    semantics = ("ordered: the first rule that holds decides" if rules.semantics == "ordered"
                 else "unordered: every rule that holds votes; ties go to the earliest rule")
    lines += [f"- semantics: {semantics}", f"- rules: {len(rules)}, conditions: {rules.conditions_count()}",
              "", "| # | if | then | support | precision |", "|---|---|---|---:|---:|"]
    for i, r in enumerate(rules.rules, 1):
        prec = "" if r.precision is None else f"{r.precision:.3f}"
        sup = "" if r.support is None else str(r.support)
        lines.append(f"| {i} | {_md_escape(format_conditions(r.conditions, schema, digits))} | "
                     f"{_md_escape(format_value(r.conclusion))} | {sup} | {prec} |")
    lines.append(f"| default | otherwise | {_md_escape(format_value(rules.default))} | | |")
    if network is not None or dataset is not None:
        lines += _md_audit(rules, network, dataset, date, radii)
    if explanations:
        for section, frame in explanations.items():
            headers, rows = explanation_rows(frame)
            lines += ["", f"## {section}", "", "| " + " | ".join(_md_escape(h) for h in headers) + " |",
                      "|" + "---|" * len(headers)]
            lines += ["| " + " | ".join(_md_escape(v) for v in r) + " |" for r in rows]
    if audit:                            # a rulex.audit document (Audit.to_dict()): its section, one level down
        lines += [""] + ["#" + line if line.startswith("#") else line for line in audit_markdown(audit).splitlines()]
    return "\n".join(lines) + "\n"
