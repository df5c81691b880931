"""Readable text and Markdown for people: numbered rules with support and precision."""
from __future__ import annotations

from ..rules.render import format_conditions, format_value

__all__ = ["to_text", "to_markdown"]


def to_text(rules, digits: int = 6) -> str:
    return rules.to_string(digits=digits) + "\n"


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|")


def to_markdown(rules, digits: int = 6) -> str:
    schema = rules.schema if rules.space == "original" else None
    p = rules.provenance
    target = rules.target or "prediction"
    lines = [f"# Rules predicting `{target}`", ""]
    if p.get("method"):
        lines.append(f"- method: **{p['method']}** ({p.get('kind', '')})")
    if p.get("parameters"):
        lines.append("- parameters: " + ", ".join(f"`{k}={v}`" for k, v in sorted(p["parameters"].items())))
    if p.get("network"):
        lines.append(f"- network: {'-'.join(map(str, p['network']))} (fingerprint `{p.get('network_fingerprint')}`)")
    if p.get("data"):
        lines.append(f"- data: {p['data']} ({p.get('data_rows')} rows, fingerprint `{p.get('data_fingerprint')}`)")
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
    lines.append(f"| — | otherwise | {_md_escape(format_value(rules.default))} | | |")
    return "\n".join(lines) + "\n"
