"""Notebook display: ``RuleSet.to_frame()`` and the HTML fragments behind ``_repr_html_``.

The fragments are Jinja2 templates (autoescaped) kept with rulex's other HTML templates in
``rulex/formats/templates/`` (``nb_*.html``). They are read from that folder by path, so this
module, low in the layers, imports nothing above it. Objects above the rules layer (the
evaluation ``Report``, the ``Explanation`` of a row) render through :func:`render_fragment` too.
"""
from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .conditions import format_conditions
from .linear import LinearModel, format_linear

__all__ = ["render_fragment", "ruleset_frame", "ruleset_html"]

TEMPLATES = Path(__file__).resolve().parent.parent / "formats" / "templates"


def _num(x, fmt="{:.4g}") -> str:
    if x is None:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (float, np.floating)):
        return "" if math.isnan(x) else fmt.format(x)
    return str(x)


@functools.lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, undefined=StrictUndefined)
    env.globals["num"] = _num
    return env


def render_fragment(template: str, **context) -> str:
    """Render the notebook template ``template`` (e.g. ``"nb_ruleset.html"``) with ``context``.

    Parameters
    ----------
    template : str
        File name in ``rulex/formats/templates``.
    **context
        Template variables.

    Returns
    -------
    str
        An HTML fragment (no ``<html>``/``<body>``), every value escaped.
    """
    return _environment().get_template(template).render(**context)


def ruleset_frame(rules, digits: int = 6) -> pd.DataFrame:
    """One row per rule, then the default: number, conditions, conclusion, support, precision, weight."""
    schema = rules.schema if rules.space == "original" else None

    def conclusion(v):
        return format_linear(v, digits) if isinstance(v, LinearModel) else v

    recs = []
    for i, r in enumerate(rules.rules, 1):
        recs.append({"rule": i, "if": format_conditions(r.conditions, schema, digits) if r.conditions else "TRUE",
                     "then": conclusion(r.conclusion), "support": r.support, "precision": r.precision,
                     "weight": r.weight, "conditions": r.size()})
    recs.append({"rule": "default", "if": "DEFAULT (no rule holds)" if rules.semantics == "unordered" or not rules.rules
                 else "ELSE", "then": conclusion(rules.default), "support": None, "precision": None,
                 "weight": None, "conditions": 0})
    out = pd.DataFrame(recs, columns=["rule", "if", "then", "support", "precision", "weight", "conditions"])
    out["support"] = out["support"].astype("Int64")
    return out


def ruleset_html(rules) -> str:
    """The rules as an HTML table (what a notebook shows for a RuleSet)."""
    head = ("Ordered rules: the first rule that holds decides" if rules.semantics == "ordered"
            else "Unordered rules: every rule that holds votes; ties go to the earliest rule")
    rows = []
    for rec in ruleset_frame(rules).to_dict(orient="records"):
        rows.append({"rule": rec["rule"], "if": rec["if"], "then": rec["then"],
                     "support": "" if pd.isna(rec["support"]) else str(int(rec["support"])),
                     "precision": _num(rec["precision"], "{:.3f}"), "weight": _num(rec["weight"], "{:g}")})
    return render_fragment("nb_ruleset.html", rules=rules, head=head, rows=rows,
                           target=rules.target or "prediction",
                           method=rules.provenance.get("method", ""))
