"""``rulex audit`` and ``rulex diff``: the audits an auditor asks for (registered by :func:`rulex.cli.build_parser`,
which hands over its loaders of a model's data and its check of ``--out``)."""
from __future__ import annotations

import functools
import sys
from pathlib import Path

from ._cli_data import add_data_args, comma_list
from .audit import audit, diff
from .exceptions import DataError
from .formats.audit_page import audit_html, diff_html
from .formats.audit_sections import audit_markdown, diff_markdown
from .network import load_network

__all__ = ["add_parsers", "parse_protected", "parse_monotone"]

OUT_SUFFIXES = (".html", ".htm", ".md", ".json")
SIGNS = {"+": "increasing", "-": "decreasing", "increasing": "increasing", "decreasing": "decreasing"}



def parse_protected(text: str | None):
    """``sex,age=25/40/60`` -> ``{"sex": None, "age": [25.0, 40.0, 60.0]}``."""
    out: dict = {}
    for item in comma_list(text):
        name, _, bands = item.partition("=")
        cuts = None
        if bands:
            try:
                cuts = [float(c) for c in bands.split("/") if c.strip()]
            except ValueError:
                raise DataError(f"--protected {item!r}: bands are cut points separated by '/', like age=25/40/60") from None
        out[name.strip()] = cuts
    return out or None


def parse_monotone(text: str | None):
    """``income:+,debt:-`` -> ``{"income": "increasing", "debt": "decreasing"}``."""
    out: dict = {}
    for item in comma_list(text):
        name, sep, sign = item.rpartition(":")
        if not sep or sign.strip() not in SIGNS:
            raise DataError(f"--monotone {item!r}: write FEATURE:+ (increasing) or FEATURE:- (decreasing)")
        out[name.strip()] = SIGNS[sign.strip()]
    return out or None


def _rows(ds, max_rows):
    return ds if max_rows is None or len(ds) <= max_rows else ds.subset(list(range(0, len(ds), -(-len(ds) // max_rows))))


def _write(result, out: str | None, html, markdown, json_flag: bool):
    if json_flag:
        print(result.to_json())
    else:
        print(result.to_string())
    if not out:
        return
    suffix = Path(out).suffix.lower()
    doc = result.to_dict()
    text = {".json": result.to_json, ".md": lambda: markdown(doc)}.get(suffix, lambda: html(doc))()
    Path(out).write_text(text, encoding="utf-8")
    print(f"written to {out}", file=sys.stderr)


def cmd_audit(args, model_data, check_out):
    check_out(args.out, OUT_SUFFIXES, "--out")
    protected, monotone = parse_protected(args.protected), parse_monotone(args.monotone)
    if not protected and not monotone:
        raise DataError("rulex audit needs --protected FEATURES and/or --monotone FEATURE:+|-")
    net = load_network(args.model)
    ds = _rows(model_data(args, net), args.max_rows)
    res = audit(net, ds, protected=protected, monotone=monotone, radius=args.radius, max_seconds=args.max_seconds,
                method=args.method)
    _write(res, args.out, audit_html, audit_markdown, args.json)


def cmd_diff(args, model_data, check_out):
    check_out(args.out, OUT_SUFFIXES, "--out")
    old, new = load_network(args.old), load_network(args.new)
    ds = _rows(model_data(args, old), args.max_rows)
    res = diff(old, new, ds, radius=args.radius, max_seconds=args.max_seconds, method=args.method)
    _write(res, args.out, diff_html, diff_markdown, args.json)


def _common(sp):
    sp.add_argument("--radius", type=float, default=None,
                    help="prove in a box of half-width r x (max - min) around each row, r in (0, 1] (default: the "
                         "whole domain)")
    sp.add_argument("--max-seconds", type=float, default=60.0, help="budget; what is not decided in time is unknown")
    sp.add_argument("--max-rows", type=int, default=None, help="use every k-th row so that at most this many remain")
    sp.add_argument("--method", default="surrogate_tree", help="pedagogical extractor of the rules (surrogate_tree)")
    sp.add_argument("--out", help="write the result: .html, .md or .json (versioned, lossless)")
    sp.add_argument("--json", action="store_true", help="print the JSON document instead of the summary")
    add_data_args(sp)


def add_parsers(sub, model_data, check_out) -> None:
    """``model_data(args, net)`` loads DATA for a saved model; ``check_out(path, suffixes, what)`` checks --out."""
    sp = sub.add_parser("audit", help="protected attributes and monotonicity: proven, real pairs, or unknown")
    sp.add_argument("model", metavar="MODEL")
    sp.add_argument("data", metavar="DATA")
    sp.add_argument("--protected", help="features the decision must not depend on: sex,race or age=25/40/60 (bands)")
    sp.add_argument("--monotone", help="promised directions: income:+,debt_ratio:-")
    _common(sp)
    sp.set_defaults(func=functools.partial(cmd_audit, model_data=model_data, check_out=check_out))
    sp = sub.add_parser("diff", help="where two versions of a model disagree: rate, rules, proof or real rows")
    sp.add_argument("old", metavar="OLD")
    sp.add_argument("new", metavar="NEW")
    sp.add_argument("data", metavar="DATA")
    _common(sp)
    sp.set_defaults(func=functools.partial(cmd_diff, model_data=model_data, check_out=check_out))
