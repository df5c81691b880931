"""What the "Audit" section and the diff page show, read from an audit's or a diff's JSON document.

The formats layer never imports the audit (it sits above): these functions read the dict of
``Audit.to_dict()`` / ``Diff.to_dict()``, so a saved ``audit.json`` renders the same page as the live
object. :func:`audit_section` and :func:`diff_context` are the templates' contexts (the pages are in
:mod:`rulex.formats.audit_page`; ``to_html(..., audit=doc)`` adds the section to the rules' report);
:func:`audit_markdown` and :func:`diff_markdown` write the same facts as Markdown.
"""
from __future__ import annotations

import json

from ..exceptions import FormatError
from ..rules.render import format_value
from .jsonio import from_json

__all__ = ["audit_section", "diff_context", "audit_markdown", "diff_markdown"]


def _value(v) -> str:
    return format_value(v) if isinstance(v, float) else str(v)


def _pair_rows(pairs: list, feature_key: str | None = None) -> list:
    """One table row per real pair: the feature(s) that differ, both values, both classes."""
    rows = []
    for c in pairs:
        f = c.get("feature") if feature_key is None else feature_key
        rest = ", ".join(f"{k} = {_value(v)}" for k, v in c["x"].items() if k != f)
        rows.append((f, _value(c["x"][f]), _value(c["x_prime"][f]), str(c["class"]), str(c["class_prime"]),
                     c.get("source", ""), rest))
    return rows


def _rule_rows(doc_rules: dict) -> list:
    rules = from_json(json.dumps(doc_rules))
    frame = rules.to_frame()
    return [(r["rule"] if r["rule"] == "default" else int(r["rule"]), str(r["if"]), str(r["then"]), _value(r["support"])) for _, r in frame.iterrows()]


def _check(doc, fmt: str) -> None:
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise FormatError(f"expected a {fmt} document (the dict of its to_dict()), got {type(doc).__name__}")


def audit_section(doc: dict) -> dict:
    """Template context of the "Audit" section for an ``Audit.to_dict()`` document."""
    _check(doc, "rulex.audit")
    protected = [(r["feature"], r["status"], r["scope"] + (f" ({r['rows_proven']} of {r['rows']} rows proven)"
                                                          if "rows_proven" in r else ""),
                  f"{r['flip_rate']:.4f}", f"{r['flipped_rows']} / {r['rows']}", r["engine"], f"{r['seconds']:.2f}")
                 for r in doc["protected"]]
    monotone = [(r["feature"], r["direction"], r["status"], r["scope"], r["engine"], f"{r['seconds']:.2f}")
                for r in doc["monotone"]]
    violations = [_pair_rows([r["counterexample"]], r["feature"])[0] for r in doc["monotone"] if r.get("counterexample")]
    return {"protected": protected, "monotone": monotone, "pairs": _pair_rows(doc["counterexamples"]),
            "violations": violations, "rules": {k: _rule_rows(v) for k, v in doc["rules"].items()},
            "radius": doc["radius"], "seconds": doc["seconds"], "max_seconds": doc["max_seconds"],
            "network": doc["network"], "method": doc["method"]}


def diff_context(doc: dict) -> dict:
    _check(doc, "rulex.diff")
    rules = [(r["rule"] + 1 if r["rule"] >= 0 else "default", r["text"], str(r["conclusion"]), r["support"],
              "; ".join(f"{a} → {b}: {n}" for a, b, n in r["pairs"])) for r in doc["rule_table"]]
    cex = [(", ".join(f"{k} = {_value(v)}" for k, v in c["x"].items()), str(c["class_a"]), str(c["class_b"]),
            c["source"]) for c in doc["counterexamples"]]
    return {"doc": doc, "rules": rules, "pairs": cex}


def _md_table(headers, rows) -> list:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in rows]
    return out + [""]


def audit_markdown(doc: dict) -> str:
    s = audit_section(doc)
    lines = ["# Audit", "", f"Network {s['network'].get('architecture')} ({s['network'].get('activation')}), "
             f"scope {'whole domain' if s['radius'] is None else 'radius ' + str(s['radius'])}, "
             f"{s['seconds']:.2f} s of {s['max_seconds']:g} s.", ""]
    if s["protected"]:
        lines += ["## Protected attributes", ""]
        lines += _md_table(["feature", "status", "scope", "flip rate", "rows flipping", "engine", "seconds"],
                           s["protected"])
    if s["pairs"]:
        lines += ["### Pairs that flip", ""]
        lines += _md_table(["feature", "value", "changed to", "class", "then", "found by", "other values"], s["pairs"])
    for name, rows in s["rules"].items():
        lines += [f"### Where changing {name} flips the decision ({s['method']})", ""]
        lines += _md_table(["rule", "conditions", "conclusion", "support"], rows)
    if s["monotone"]:
        lines += ["## Monotonicity", ""]
        lines += _md_table(["feature", "direction", "status", "scope", "engine", "seconds"], s["monotone"])
    if s["violations"]:
        lines += _md_table(["feature", "value", "moved to", "class", "then", "found by", "other values"],
                           s["violations"])
    return "\n".join(lines)


def diff_markdown(doc: dict) -> str:
    c = diff_context(doc)
    d = c["doc"]
    lines = ["# Diff", "", f"Network a {d['networks']['a']['architecture']} ({d['networks']['a']['fingerprint']}), "
             f"network b {d['networks']['b']['architecture']} ({d['networks']['b']['fingerprint']}).", "",
             f"Disagreement on the rows: **{d['disagreement']:.4f}** ({d['disagreeing_rows']} of {d['rows']}). "
             f"Status ({d['scope']}): **{d['status']}** ({d['engine']}).", "", "## Where they disagree", ""]
    lines += _md_table(["rule", "conditions", "conclusion", "support", "classes a → b"], c["rules"])
    if c["pairs"]:
        lines += ["## Rows where they differ", ""]
        lines += _md_table(["row", "class a", "class b", "found by"], c["pairs"])
    return "\n".join(lines)
