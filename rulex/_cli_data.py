"""The command line's data options: how DATA is read (a bundled name or a CSV and the flags that say what its
columns are), the training options, and the parameter -> flag map that makes every message speak the CLI.

Every option of :meth:`rulex.Dataset.from_frame` and :func:`rulex.train_network` a CSV user needs is a flag
here: ``--target``, ``--task``, ``--categorical``, ``--integer``, ``--numeric``, ``--ordinal``, ``--features``;
``--missing``, ``--lr``, ``--batch-size``, ``--weight-decay`` (with ``--hidden``, ``--activation``, ``--epochs``
and ``--seed``, which :mod:`rulex.cli` defines). Errors and warnings name Python parameters through
:class:`~rulex.exceptions.Param`; :func:`cli_spelling` gives the flag each one is set with on the command line.
"""
from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from .data import Dataset, load_dataset
from .exceptions import DataError, Param

__all__ = ["add_data_args", "add_training_args", "load_data", "training_options", "cli_spelling", "seed_type",
           "whole_number", "hidden_sizes", "seed_list"]

_KINDS = ("categorical", "integer", "numeric")

#: Python parameter -> the flag that sets it (commands that take a method's parameters spell the others
#: ``--param name=value``)
FLAGS = {
    "task": "--task", "categorical": "--categorical", "integer": "--integer", "numeric": "--numeric",
    "ordinal": "--ordinal", "features": "--features", "missing": "--missing",
    "hidden_layer_sizes": "--hidden", "activation": "--activation", "max_epochs": "--epochs", "lr": "--lr",
    "batch_size": "--batch-size", "weight_decay": "--weight-decay", "random_state": "--seed",
    "test_size": "--test-size", "methods": "--methods", "params": "--params",
    "seeds": "--seeds", "folds": "--folds", "max_rows": "--max-rows", "n_jobs": "--n-jobs",
}
#: per command, parameters its own flags spell differently
_COMMAND_FLAGS = {"explain": {"n_samples": "--samples", "prove_seconds": "--prove-seconds"},
                  "verify": {"max_seconds": "--max-seconds"}, "grid": {"max_seconds": "--max-seconds"}}
_METHOD_PARAMS = ("extract", "report")       # commands whose --param sets a method's parameters


def _cli_value(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, dict):
        return shlex.quote(json.dumps(value, default=str))
    return shlex.quote(str(value))


def _ordinal_flag(value) -> str:
    if isinstance(value, dict):
        return " ".join("--ordinal " + shlex.quote(str(c) if levels is None else
                                                    f"{c}=" + "<".join(str(v) for v in levels))
                        for c, levels in value.items())
    return "--ordinal " + _cli_value(value)


def cli_spelling(command: str | None):
    """The function :func:`rulex.exceptions.spoken` takes for ``command``: a :class:`Param` -> its flag
    with the value as typed on the command line (``Param("missing", "impute")`` -> ``--missing impute``)."""
    flags = {**FLAGS, **_COMMAND_FLAGS.get(command or "", {})}

    def spell(param: Param) -> str | None:
        flag = flags.get(param.name)
        if flag is None:
            if command in _METHOD_PARAMS:
                return f"--param {param.name}=" + (_cli_value(param.value) if param.has_value else "...")
            return None
        if not param.has_value:
            return flag
        if param.name == "ordinal":
            return _ordinal_flag(param.value)
        return f"{flag} {_cli_value(param.value)}"
    return spell


# -- options -------------------------------------------------------------------------------------------
def add_data_args(sp, *, training: bool = False) -> None:
    """``--target`` and the flags that say what a CSV's columns are (``training``: also ``--task`` and
    ``--features``; with a saved model they come from the model)."""
    sp.add_argument("--target", help="target column (required for a CSV file)")
    sp.add_argument("--sep", help="the CSV's field separator (default ','; e.g. ';' or '\\t')")
    sp.add_argument("--categorical", metavar="COL[,COL]", help="columns to treat as categories (CSV)")
    sp.add_argument("--integer", metavar="COL[,COL]",
                    help="columns of whole numbers (thresholds fall on whole numbers; e.g. codes read as 2.0) (CSV)")
    sp.add_argument("--numeric", metavar="COL[,COL]", help="columns of numbers that may hold fractions (CSV)")
    sp.add_argument("--ordinal", action="append", metavar="COL[,COL] | COL=LOW<...<HIGH",
                    help="ordered levels: numeric columns (levels in increasing order, e.g. ratings 1-5: rules "
                         "test the levels, never 3.5), or one column of text with its levels, lowest first, as "
                         "'size=small<medium<large' (repeatable) (CSV)")
    if training:
        sp.add_argument("--task", choices=["classification", "regression"],
                        help="the task (default: inferred: a numeric target with fractions or more than 10 "
                             "distinct whole numbers is regression)")
        sp.add_argument("--features", metavar="COL[,COL]",
                        help="the feature columns (default: every column but the target) (CSV)")


def _share_or_none(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = -1.0
    if not v >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return v


def whole_number(low: int, high: int | None = None):
    """An argparse type: a whole number from ``low`` (to ``high``), else a usage error saying the range."""
    wanted = f">= {low}" if high is None else f"from {low} to {high}"

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            v = low - 1
        if v < low or (high is not None and v > high):
            raise argparse.ArgumentTypeError(f"expected a whole number {wanted}, got {text!r}")
        return v
    return parse


#: ``--seed``: what NumPy and scikit-learn take
seed_type = whole_number(0, 2 ** 32 - 1)


def hidden_sizes(text: str) -> tuple:
    """``--hidden``: comma-separated positive unit counts (``16,8``)."""
    try:
        sizes = tuple(int(h) for h in str(text).replace(" ", "").split(",") if h)
    except ValueError:
        sizes = ()
    if not sizes or any(s < 1 for s in sizes):
        raise DataError(f"--hidden takes comma-separated positive unit counts like 16,8, got {text!r}")
    return sizes


def seed_list(text: str) -> list:
    """``--seeds``: seeds separated by commas or spaces (``0,1,2`` or ``'0 1 2'``)."""
    parse = whole_number(0, 2 ** 32 - 1)
    try:
        seeds = [parse(s) for s in str(text).replace(",", " ").split()]
    except argparse.ArgumentTypeError as exc:
        raise DataError(f"--seeds {text!r}: {exc}") from None
    if not seeds:
        raise DataError(f"--seeds takes one or more seeds like 0,1,2, got {text!r}")
    return seeds


def add_training_args(sp) -> None:
    """The options of :func:`rulex.train_network` that ``rulex.cli`` does not define itself."""
    sp.add_argument("--missing", choices=["error", "impute"], default="error",
                    help="missing values: refuse them (error, the default) or let the network learn what a missing "
                         "value means (impute: median / most frequent value plus an '<column> is missing' input)")
    sp.add_argument("--lr", type=_share_or_none, default=0.01, help="learning rate (default 0.01)")
    sp.add_argument("--batch-size", type=whole_number(1), default=None, help="rows per gradient step (default: automatic)")
    sp.add_argument("--weight-decay", type=_share_or_none, default=0.0, help="L2 penalty (default 0)")


def training_options(args) -> dict:
    """Keyword arguments of :func:`rulex.train_network` from the training flags."""
    return {"lr": args.lr, "batch_size": args.batch_size, "weight_decay": args.weight_decay,
            "missing": args.missing}


# -- reading DATA ---------------------------------------------------------------------------------------
def comma_list(text) -> list:
    """``a, b,,c`` -> ``["a", "b", "c"]`` (empty for None or blank): how every comma-separated flag is read."""
    return [c.strip() for c in str(text).split(",") if c.strip()] if text else []


def _level(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _ordinal(items) -> dict:
    """``--ordinal`` values as ``{column: levels or None}`` (None: the column's values in increasing order)."""
    out: dict = {}
    for item in items or []:
        if "=" in item:
            col, _, levels = item.partition("=")
            parsed = [_level(v.strip()) for v in levels.split("<") if v.strip()]
            if len(parsed) < 2:
                raise DataError(f"--ordinal {item!r}: give two or more levels, lowest first, e.g. 'size=small<large'")
            out[col.strip()] = parsed
        else:
            out.update({c: None for c in comma_list(item)})
    return out


def _flag_kinds(args) -> dict:
    """The column flags the user gave, as :meth:`Dataset.from_frame` keywords."""
    out: dict = {k: comma_list(getattr(args, k, None)) for k in _KINDS if getattr(args, k, None)}
    ordinal = _ordinal(getattr(args, "ordinal", None))
    if ordinal:
        out["ordinal"] = ordinal
    if getattr(args, "features", None):
        out["features"] = comma_list(args.features)
    if getattr(args, "task", None):
        out["task"] = args.task
    return out


def _model_kinds(net) -> dict:
    """The kinds, features and task of a saved model's schema, so its DATA is read as it was trained."""
    kinds: dict = {k: [f.name for f in net.schema if f.kind == k] for k in _KINDS}
    kinds = {k: v for k, v in kinds.items() if v}
    ordinal = {f.name: list(f.categories) for f in net.schema if f.kind == "ordinal"}
    if ordinal:
        kinds["ordinal"] = ordinal
    return {**kinds, "features": net.schema.feature_names, "task": net.task}


def _merge(model: dict, given: dict) -> dict:
    """The model's kinds with the user's column flags on top (a column the user names takes the user's kind);
    a ``--task`` or ``--features`` other than the model's is refused (the model decides them)."""
    for key, flag in (("task", "--task"), ("features", "--features")):
        if key in given and given[key] != model[key]:
            shown = ",".join(model[key]) if key == "features" else model[key]
            raise DataError(f"{flag}: the saved model was trained with {flag} {shown}; leave {flag} out or train "
                            "another model")
    named = {c for k in (*_KINDS, "ordinal") for c in given.get(k, ())}
    out: dict = {}
    for k in _KINDS:
        cols = [c for c in model.get(k, ()) if c not in named] + list(given.get(k, ()))
        if cols:
            out[k] = cols
    ordinal = {c: v for c, v in model.get("ordinal", {}).items() if c not in named}
    ordinal.update(given.get("ordinal", {}))
    if ordinal:
        out["ordinal"] = ordinal
    return {**out, "features": model["features"], "task": model["task"]}


def is_csv(spec: str) -> bool:
    return spec.lower().endswith((".csv", ".csv.gz")) or Path(spec).exists()


def load_data(args, net=None) -> Dataset:
    """DATA: a CSV read with the column flags (and, for a saved model ``net``, its own schema's kinds,
    features, target and task), or a bundled data set, which has its own schema and refuses column flags."""
    given = _flag_kinds(args)
    if not is_csv(args.data):
        if getattr(args, "sep", None):
            given["sep"] = args.sep
        if given:
            flags = ", ".join(f"--{k}" for k in given)
            raise DataError(f"{flags}: only for a CSV file; the bundled data set {args.data!r} has its own schema")
        ds = load_dataset(args.data)
        if args.target and args.target != ds.target:
            raise DataError(f"data set {args.data!r} has target {ds.target!r}, not {args.target!r}")
        return ds
    target = args.target or (net.schema.target if net is not None else None)
    if not target:
        raise DataError(f"--target is required when DATA is a CSV file ({args.data})")
    kinds = _merge(_model_kinds(net), given) if net is not None else given
    if getattr(args, "sep", None):
        kinds["read_csv"] = {"sep": "\t" if args.sep in ("\\t", "tab") else args.sep}
    return Dataset.from_csv(Path(args.data), target, **kinds)
