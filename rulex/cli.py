"""The ``rulex`` command: a thin shell over the public API.

Errors print one line on stderr and exit with status 1 (2 for usage errors; 3 for ``verify --strict``
when something is not certified).
Work that lasts more than a few seconds reports its progress on stderr (never stdout): a bar on a
terminal, one line per step when stderr is piped; ``--quiet`` silences it.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import textwrap
import warnings
from pathlib import Path

from ._cli_data import (add_data_args, comma_list, add_training_args, cli_spelling, hidden_sizes, load_data, seed_type,
                        training_options, whole_number)
from ._cli_audit import add_parsers as add_audit_parsers
from ._cli_audit import parse_monotone, parse_protected
from .audit import audit
from ._cli_scale import add_parsers
from ._progress import working
from ._version import __version__
from .compare import compare
from .data import list_datasets
from .evaluate import evaluate
from .exceptions import DataError, RulexError, RulexWarning, spoken
from .explain import explain_row, influence, profile_units
from .extractors import EXTRACTORS, available_methods, extractor_class
from .extractors.docs import method_parameters
from .refine import extract
from .formats import FORMATS, export, load_rules, save_rules
from .formats.tables import TABLE_SUFFIXES, format_compare_table, format_terminal_table, write_table
from .metrics import agreement
from .network import load_network, train_network
from .verification import verify
from .verification.radius import check_radius

__all__ = ["main"]


def _value(text: str):
    low = text.lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if "," in text:
        return [_value(t) for t in text.split(",")]
    return text


_RESERVED = {"random_state": "--seed", "method": "--method", "network": "MODEL", "dataset": "DATA"}


def _params(items):
    out = {}
    for item in items or []:
        if "=" not in item:
            raise DataError(f"--param takes key=value, got {item!r}")
        k, v = item.split("=", 1)
        k = k.strip()
        if not k.isidentifier():
            raise DataError(f"--param {item!r}: {k!r} is not a parameter name")
        if k in _RESERVED:
            raise DataError(f"--param {k}=... is not a method parameter: use {_RESERVED[k]}")
        if k in out:
            raise DataError(f"--param {k} is given twice")
        out[k] = _value(v.strip())
    return out


def _method_params(text: str | None) -> dict | None:
    """``--params``: a JSON object mapping method names to objects of parameters."""
    if not text:
        return None
    try:
        params = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"--params is not valid JSON ({exc.msg} at character {exc.pos}); write e.g. "
                        '\'{"surrogate_tree": {"max_depth": 3}}\'') from None
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise DataError('--params must be a JSON object of objects, method -> parameters, e.g. '
                        '\'{"surrogate_tree": {"max_depth": 3}}\'')
    for m, p in params.items():
        for k in p:
            if k in _RESERVED:
                raise DataError(f"--params {m}.{k} is not a method parameter: use {_RESERVED[k]}")
    return params


def _check_out(path: str | None, suffixes: tuple, what: str) -> None:
    """Validate an output path before any long work: its suffix, and that its folder can be written."""
    if not path:
        return
    out = Path(path)
    if suffixes and out.suffix.lower() not in suffixes:
        raise DataError(f"{what} must end in {', '.join(suffixes)}, got {out.name!r}")
    if out.is_dir():
        raise DataError(f"{what} {str(out)!r} is a folder; give a file name")
    parent = out.parent if str(out.parent) else Path(".")
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise DataError(f"{what} {str(out)!r} cannot be written: {str(probe)!r} is a file, not a folder")
    if not os.access(probe, os.W_OK):
        raise DataError(f"{what} {str(out)!r} cannot be written: {str(probe)!r} is not writable")


def _seed(args, net) -> int:
    """--seed, or the seed the model was trained and split with."""
    if args.seed is not None:
        return args.seed
    return int((net.metadata.get("split") or {}).get("random_state") or 0)


def _split(ds, model_meta=None, test_size=None, seed=None):
    split = (model_meta or {}).get("split", {})
    ts = test_size if test_size is not None else split.get("test_size")
    rs = seed if seed is not None else split.get("random_state", 0)
    return ds.split(test_size=ts, random_state=rs)


def _model_and_rows(args):
    """The saved network, the data set, its split as stored with the model, and the rows ``--rows`` names."""
    net = load_network(args.model)
    ds = load_data(args, net)
    train, test = _split(ds, net.metadata)
    return net, ds, train, {"test": test, "train": train, "all": ds}[args.rows]


def _share(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = -1.0
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"expected a share between 0 and 1 (e.g. 0.3), got {text!r}")
    return v


def _show_progress(args):
    """Progress on stderr (a bar on a terminal, a line per step when piped) unless ``--quiet``."""
    return False if getattr(args, "quiet", False) else None


def _width() -> int:
    """The terminal's width (COLUMNS, else the terminal's, else 100), between 60 and 160 characters."""
    return min(max(shutil.get_terminal_size((100, 24)).columns, 60), 160)


def cmd_datasets(args):
    table = list_datasets()
    print(table.to_string(index=False))


_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


def _plain(text: str) -> str:
    """A docstring's text for a terminal: ``:class:`~rulex.X``` as ``X``, ````code```` as ```code```."""
    text = _ROLE.sub(lambda m: m.group(1).rsplit(".", 1)[-1] if m.group(0).count("~") else m.group(1), text)
    return text.replace("``", "`")


def _wrapped(text: str, indent: int, width: int, first: int | None = None) -> str:
    first = indent if first is None else first
    return textwrap.fill(text, width=width, initial_indent=" " * first, subsequent_indent=" " * indent,
                         break_on_hyphens=False)


def cmd_methods(args):
    width = _width()
    if getattr(args, "name", None):
        table = method_parameters(args.name)
        info = available_methods()[args.name]
        print(_wrapped(f"{info.name} ({info.kind}): {_plain(info.description)}", 4, width, first=0))
        for row in table.itertuples(index=False):
            print()
            print(_wrapped(f"{row.parameter} = {row.default}  [{row.allowed}]", 6, width, first=2))
            if row.meaning:
                print(_wrapped(_plain(row.meaning), 6, width))
        return
    for info in available_methods().values():
        task = "classification, regression" if info.regression else "classification"
        print(_wrapped(f"{info.name:<16} {info.kind:<16} {_plain(info.description)} [{task}]", 34, width,
                       first=0))


def _train(ds, args):
    train, test = ds.split(test_size=args.test_size, random_state=args.seed)
    net = train_network(train, hidden_sizes(args.hidden), args.activation, max_epochs=args.epochs,
                        random_state=args.seed, progress=_show_progress(args), **training_options(args))
    net.metadata["split"] = {"test_size": args.test_size, "random_state": args.seed}
    return net, train, test


def cmd_train(args):
    _check_out(args.out, (), "--out")
    ds = load_data(args)
    net, train, test = _train(ds, args)
    net.save(args.out)
    acc = agreement(net.predict(test.frame), test.y.to_numpy(), net.task)
    what = "R²" if net.task == "regression" else "accuracy"
    print(f"trained {net} on {len(train)} rows; test {what} {acc:.4f}; saved to {args.out}")


def cmd_extract(args):
    _check_out(args.out, (), "--out")
    net = load_network(args.model)
    ds = load_data(args, net)
    train, _ = _split(ds, net.metadata)
    with working(f"extracting with {args.method}", _show_progress(args)):
        rules = extract(net, train, method=args.method, random_state=_seed(args, net), **_params(args.param))
    save_rules(rules, args.out)
    print(rules.to_string(provenance=args.provenance))
    print(f"\n{len(rules)} rules, {rules.conditions_count()} conditions; "
          f"fidelity on the extraction rows {rules.provenance['train_fidelity']:.4f}; saved to {args.out}")


def cmd_verify(args):
    rules, net = load_rules(args.rules), load_network(args.model)
    data = load_data(args, net)
    if args.radius is not None:
        check_radius(args.radius, "--radius")
        rows = data.split(test_size=args.test_size, random_state=args.seed)[1] if args.test_size else data
        res = verify(rules, net, rows, max_seconds=args.max_seconds, radius=args.radius,
                     free=comma_list(args.free), max_nodes=args.max_nodes)
    else:
        res = verify(rules, net, data, max_seconds=args.max_seconds)
    print(json.dumps(res.to_dict(), indent=1, default=str) if args.json else res.to_string())
    if args.out:
        save_rules(res.annotate(rules), args.out)
        print(f"rules with their verification status written to {args.out} "
              f"(rulex export {args.out} --format html shows it)", file=sys.stderr)
    done = (res.rows["status"] == "certified").all() if args.radius is not None else res.all_certified
    if args.strict and not done:
        what = "row box" if args.radius is not None else "region"
        print(f"rulex: --strict: not every {what} is certified", file=sys.stderr)
        return 3
    return 0


def _radii(text) -> tuple:
    """``--radii``: comma-separated radii in (0, 1], or 'none'."""
    if text is None or text.strip().lower() in ("", "none"):
        return ()
    out = []
    for t in text.split(","):
        try:
            value = float(t)
        except ValueError:
            raise DataError(f"--radii takes comma-separated numbers in (0, 1] such as 0.01,0.05; "
                            f"got {t.strip()!r}") from None
        out.append(check_radius(value, "--radii"))
    return tuple(out)



def cmd_evaluate(args):
    rules = load_rules(args.rules)
    net, ds, train, rows = _model_and_rows(args)
    rep = evaluate(rules, net, rows)
    if args.json:
        print(json.dumps(rep.to_dict(), indent=1, default=str))
    else:
        print(rep)


def cmd_explain(args):
    if args.radius is not None:
        if not args.prove:
            raise DataError("--radius bounds the proven reason: add --prove")
        check_radius(args.radius, "--radius")
    net, ds, train, rows = _model_and_rows(args)
    rules = load_rules(args.rules) if args.rules else None
    ex = explain_row(net, rows, args.row, rules=rules, n_samples=args.samples, random_state=_seed(args, net),
                     reference=train, prove=args.prove, prove_seconds=args.prove_seconds,
                     radius=args.radius)
    if args.json:
        print(json.dumps(ex.to_dict(), indent=1, default=str))
    else:
        print(f"{args.rows} row {args.row} of {ds.name or args.data}:")
        print(ex)


def cmd_units(args):
    net, ds, train, rows = _model_and_rows(args)
    profiles = profile_units(net, rows, random_state=_seed(args, net))
    print(f"{net}: {len(profiles)} hidden units profiled on {len(rows)} {args.rows} rows")
    print(profiles)


def cmd_compare(args):
    params = _method_params(args.params)
    _check_out(args.out, TABLE_SUFFIXES, "--out")
    for m in (args.methods or "").split(","):
        if m.strip():
            extractor_class(m.strip())      # an unknown name fails before any training (the registry's message)
    hidden_sizes(args.hidden)
    if args.model:                  # a saved network, on the split and seed stored with it
        net = load_network(args.model)
        ds = load_data(args, net)
        train, test = _split(ds, net.metadata)
        if args.seed is None:
            args.seed = (net.metadata.get("split") or {}).get("random_state", 0)
    else:
        ds = load_data(args)
        if args.seed is None:
            args.seed = 0
        net, train, test = _train(ds, args)
    table, rulesets = compare(net, train, test, methods=args.methods, params=params, random_state=args.seed,
                                    progress=_show_progress(args), return_rules=True)
    what = "R²" if net.task == "regression" else "accuracy"
    net_acc = agreement(net.predict(test.frame), test.y.to_numpy(), net.task)
    print(textwrap.fill(f"{ds.name}: {len(train)} training / {len(test)} test rows; network {net} test {what} "
                        f"{net_acc:.4f}", width=_width(), subsequent_indent="  "))
    if net.task == "regression":
        print("(regression: fidelity and accuracy are R² against the network and the truth)")
    front_first = table.sort_values("pareto", ascending=False, kind="stable")   # the Pareto front first
    print(format_terminal_table(front_first, _width(), left_out_hint="--out table.csv, .md, .html or .json keeps them"))
    if args.out:
        out = write_table(table, args.out, shown=format_compare_table(front_first), what="--out",
                          title=f"rulex compare: {ds.name}",
                          network=str(net), task=net.task, network_score=net_acc, n_train=len(train),
                          n_test=len(test))
        print(f"table written to {out}")


def cmd_export(args):
    rules = load_rules(args.rules)
    _check_out(args.out, (), "--out")
    options = {k: v for k, v in (("dialect", args.dialect), ("table", args.table),
                                 ("expression_only", args.expression_only or None)) if v is not None}
    if options and args.format != "sql":
        raise DataError("--dialect, --table and --expression-only apply to --format sql only")
    text = export(rules, args.format, path=args.out, **options)
    if not args.out:
        sys.stdout.write(text)
    else:
        print(f"{args.format} written to {args.out}")


def cmd_report(args):
    out = Path(args.out)
    fmt = {".html": "html", ".htm": "html", ".md": "markdown"}.get(out.suffix.lower())
    if fmt is None:
        raise DataError(f"--out must end in .html or .md, got {out.name!r}")
    _check_out(args.out, (), "--out")
    _check_out(args.rules_out, (), "--rules-out")
    protected, monotone, radii = parse_protected(args.protected), parse_monotone(args.monotone), _radii(args.radii)
    net = load_network(args.model)
    ds = load_data(args, net)
    train, test = _split(ds, net.metadata)
    with working(f"extracting with {args.method}", _show_progress(args)):
        rules = extract(net, train, method=args.method, random_state=_seed(args, net), **_params(args.param))
    if args.rules_out:
        save_rules(rules, args.rules_out)
    explanations = None
    if args.explain:
        if net.task != "classification":
            raise DataError("--explain needs a classification network (influence and unit profiles)")
        explanations = {
            "Influence of each input variable (test rows)":
                influence(net, test, random_state=_seed(args, net)).reset_index(),
            "Hidden units (training rows)": profile_units(net, train, random_state=_seed(args, net)).to_frame(),
        }
    doc = None
    if protected or monotone:
        with working("auditing", _show_progress(args)):
            doc = audit(net, test, protected=protected, monotone=monotone, max_seconds=args.audit_seconds).to_dict()
    export(rules, fmt, path=out, network=net, dataset=test, explanations=explanations, radii=radii, audit=doc)
    rep = evaluate(rules, net, test)
    print(f"{len(rules)} rules, {rules.conditions_count()} conditions; on {len(test)} test rows: "
          f"fidelity {rep.fidelity:.4f}, accuracy {rep.accuracy:.4f}; report written to {out}")


def _model_data_args(sp):
    sp.add_argument("model", metavar="MODEL")
    sp.add_argument("data", metavar="DATA")
    add_data_args(sp)


def _method_args(sp):
    sp.add_argument("--method", required=True, metavar="NAME",
                    help="extraction method: " + ", ".join(sorted(EXTRACTORS)) + " (rulex methods NAME: its parameters)")
    sp.add_argument("--param", action="append", metavar="KEY=VALUE", help="method parameter (repeatable)")
    sp.add_argument("--seed", type=seed_type, default=None, help="method seed (default: the model's)")


def _net_args(sp):
    sp.add_argument("--hidden", default="16", help="hidden units per layer, e.g. 16,8 (default 16)")
    sp.add_argument("--activation", default="sigmoid", choices=["sigmoid", "tanh", "relu"])
    sp.add_argument("--epochs", type=whole_number(1), default=None, help="training epochs (default: automatic)")
    sp.add_argument("--seed", type=seed_type, default=0, help="random seed for the split, the network and methods")
    sp.add_argument("--test-size", type=_share, default=None,
                    help="test share (default 0.3; MONK's problems use their original split)")
    add_training_args(sp)


def _add_listings(sub):
    sp = sub.add_parser("datasets", help="list bundled and generated data sets")
    sp.set_defaults(func=cmd_datasets)
    sp = sub.add_parser("methods", help="list extractors, or one method's parameters with their defaults")
    sp.add_argument("name", nargs="?", metavar="NAME", help="a method: list its parameters")
    sp.set_defaults(func=cmd_methods)


def _add_train_extract_evaluate(sub):
    sp = sub.add_parser("train", help="train a network and save a model bundle")
    sp.add_argument("data", metavar="DATA", help="data set name or CSV path")
    add_data_args(sp, training=True)
    _net_args(sp)
    sp.add_argument("-o", "--out", required=True, help="model bundle to write (e.g. model.rulex)")
    sp.set_defaults(func=cmd_train)

    sp = sub.add_parser("extract", help="extract rules from a saved model")
    _model_data_args(sp)
    _method_args(sp)
    sp.add_argument("-o", "--out", required=True, help="rules file to write (JSON)")
    sp.add_argument("--provenance", action="store_true",
                    help="show under each rule the hidden-unit terms it came from (decompositional methods)")
    sp.set_defaults(func=cmd_extract)

    sp = sub.add_parser("evaluate", help="fidelity, accuracy and size of saved rules")
    sp.add_argument("rules", metavar="RULES")
    _model_data_args(sp)
    sp.add_argument("--rows", choices=["test", "train", "all"], default="test")
    sp.add_argument("--json", action="store_true", help="print the full report as JSON")
    sp.set_defaults(func=cmd_evaluate)


def _add_verify_explain_units(sub):
    sp = sub.add_parser("verify", help="prove rule by rule that the network decides what saved rules say")
    for name in ("rules", "model", "data"):
        sp.add_argument(name, metavar=name.upper())
    add_data_args(sp)
    sp.add_argument("--max-seconds", type=float, default=60, help="budget for the whole check (default 60)")
    sp.add_argument("--radius", type=float, default=None,
                    help="prove each data row's box of half-width RADIUS x (max - min) instead of whole rule "
                         "regions: certified fidelity at a radius, e.g. 0.01")
    sp.add_argument("--test-size", type=float, default=None,
                    help="with --radius: verify the rows of this test split of DATA (default: every row)")
    sp.add_argument("--seed", type=seed_type, default=0, help="seed of --test-size's split (default 0)")
    sp.add_argument("--free", help="with --radius: comma-separated categorical features that may take any category")
    sp.add_argument("--max-nodes", type=whole_number(1), default=200,
                    help="with --radius: branch-and-bound nodes per row's box before MILP or unknown (default 200)")
    sp.add_argument("--strict", action="store_true",
                    help="exit with status 3 unless everything is certified (for pipelines)")
    sp.add_argument("--json", action="store_true", help="print the result as JSON")
    sp.add_argument("-o", "--out", help="also save the rules with each rule's status in their provenance (JSON)")
    sp.set_defaults(func=cmd_verify)

    sp = sub.add_parser("explain", help="explain the network's decision on one row")
    _model_data_args(sp)
    sp.add_argument("--row", type=int, required=True, help="row number (0-based) in the chosen split")
    sp.add_argument("--rows", choices=["test", "train", "all"], default="test",
                    help="which rows --row indexes (default: the test split)")
    sp.add_argument("--rules", metavar="RULES", help="saved rules: also show the global rule that decides the row")
    sp.add_argument("--samples", type=whole_number(1), default=1000, help="perturbed points for the local rule")
    sp.add_argument("--seed", type=seed_type, default=None, help="random seed (default: the model's)")
    sp.add_argument("--json", action="store_true", help="print the explanation as JSON")
    sp.add_argument("--prove", action="store_true",
                    help="also prove a sufficient reason: the row's values that force the class whatever the rest")
    sp.add_argument("--prove-seconds", type=float, default=30.0, help="time budget of the proof (default 30)")
    sp.add_argument("--radius", type=float, default=None,
                    help="with --prove: the other features range only within RADIUS x (max - min) of the row's "
                         "values (a short, local proven reason), e.g. 0.1")
    sp.set_defaults(func=cmd_explain)

    sp = sub.add_parser("units", help="profile the network's hidden units")
    _model_data_args(sp)
    sp.add_argument("--rows", choices=["test", "train", "all"], default="train",
                    help="rows to profile the units on (default: the training split)")
    sp.add_argument("--seed", type=seed_type, default=None, help="random seed (default: the model's)")
    sp.set_defaults(func=cmd_units)


def _add_compare_report_export(sub):
    sp = sub.add_parser("compare", help="train a network and compare every extractor on it")
    sp.add_argument("data", metavar="DATA")
    add_data_args(sp, training=True)
    _net_args(sp)
    sp.add_argument("--methods", help="comma-separated methods (default: all available)")
    sp.add_argument("--params", help='JSON of per-method parameters, e.g. \'{"surrogate_tree": {"max_depth": 3}}\'')
    sp.add_argument("-o", "--out", help="write the table to .csv, .md, .html or .json")
    sp.add_argument("--model", help="a saved model bundle to compare on (its split and seed) instead of training one")
    sp.set_defaults(func=cmd_compare, seed=None)

    sp = sub.add_parser("report", help="extract rules (training split) and write an audit report (test split)")
    _model_data_args(sp)
    _method_args(sp)
    sp.add_argument("-o", "--out", required=True, help="report to write: .html (self-contained) or .md")
    sp.add_argument("--rules-out", help="also save the extracted rules (JSON)")
    sp.add_argument("--explain", action="store_true",
                    help="add the influence of each input variable and the hidden-unit profiles")
    sp.add_argument("--protected", help="also audit these features (sex,age=25/40/60: bands) as rulex audit does; "
                                        "the report gains an Audit section")
    sp.add_argument("--monotone", help="also audit promised directions (income:+,debt_ratio:-) as rulex audit does")
    sp.add_argument("--audit-seconds", type=float, default=60.0, help="budget of that audit (default 60)")
    sp.add_argument("--radii", default="0.01,0.05",
                    help="radii at which the report proves the rules' fidelity on the test rows (comma-separated "
                         "shares of each feature's range; default 0.01,0.05; 'none' for none)")
    sp.set_defaults(func=cmd_report)

    sp = sub.add_parser("export", help="export saved rules to another format")
    sp.add_argument("rules", metavar="RULES")
    sp.add_argument("--format", required=True, metavar="FORMAT",
                    help="one of: " + ", ".join(FORMATS) + " (sql also takes --dialect, --table, --expression-only)")
    sp.add_argument("-o", "--out", help="file to write (default: standard output)")
    sp.add_argument("--dialect", help="SQL dialect: sqlite, duckdb (default), postgres, spark, bigquery, snowflake, "
                                      "mysql, tsql, ... (any sqlglot dialect)")
    sp.add_argument("--table", help="SQL: the table to select from (default: data)")
    sp.add_argument("--expression-only", action="store_true", help="SQL: only the CASE expression")
    sp.set_defaults(func=cmd_export)


_QUIET = "no progress on stderr (by default long steps report it: a bar on a terminal, a line per step when piped)"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rulex", description="Readable rules from small feed-forward networks.")
    p.add_argument("--version", action="version", version=f"rulex {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _add_listings(sub)
    _add_train_extract_evaluate(sub)
    _add_verify_explain_units(sub)
    _add_compare_report_export(sub)
    add_parsers(sub)           # rulex score, rulex grid
    add_audit_parsers(sub, load_data, _check_out)    # rulex audit, rulex diff
    p.add_argument("-q", "--quiet", action="store_true", help=_QUIET)
    for command in sub.choices.values():         # also after the command: rulex compare iris --quiet
        command.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help=_QUIET)
    return p


def _warning_printer(command):
    """Warnings print as one ``rulex: warning:`` line, without a source line, naming flags, not parameters."""
    spell = cli_spelling(command)

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"rulex: warning: {spoken(message, spell) if isinstance(message, Warning) else message}",
              file=sys.stderr)
    return show


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("default", RulexWarning)
        warnings.showwarning = _warning_printer(args.command)
        return _run(args)


def _run(args) -> int:
    try:
        code = args.func(args)
    except RulexError as exc:      # parameters named by their flag (rulex.exceptions.Param)
        print(f"rulex: error: {spoken(exc, cli_spelling(args.command))}", file=sys.stderr)
        return 1
    except (json.JSONDecodeError, FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError,
            FileExistsError) as exc:
        print(f"rulex: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rulex: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:    # never a traceback; RULEX_DEBUG=1 shows it
        if os.environ.get("RULEX_DEBUG"):
            raise
        print(f"rulex: error: {type(exc).__name__}: {exc} (unexpected: please report it; RULEX_DEBUG=1 shows "
              "the traceback)", file=sys.stderr)
        return 1
    return code if isinstance(code, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
