"""The audit page and the diff page: self-contained HTML in the style of the rules' report.

Both read a JSON document (``Audit.to_dict()`` / ``Diff.to_dict()``), never the objects: the formats
layer sits below the audit. The facts they show come from :mod:`rulex.formats.audit_sections`.
"""
from __future__ import annotations

from .audit_sections import audit_section, diff_context
from .html import render_page

__all__ = ["audit_html", "diff_html"]


def audit_html(doc: dict, title: str | None = None) -> str:
    """A self-contained page holding the "Audit" section of ``doc`` (``Audit.to_dict()``)."""
    return render_page("audit.html", title=title or "rulex audit: protected attributes and monotonicity",
                       audit=audit_section(doc))


def diff_html(doc: dict, title: str | None = None) -> str:
    """A self-contained page for ``Diff.to_dict()``: disagreement, status, where they differ, real rows."""
    return render_page("diff.html", title=title or "rulex diff: where two versions of a model disagree",
                       diff=diff_context(doc))
