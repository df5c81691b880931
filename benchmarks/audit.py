"""Audits and diffs on real data: protected attributes, monotonicity, two seeds of one network.

Written to benchmarks/results/audit.md:

1. ``protected``: adult (sex, race) and german_credit (personal_status_sex, age in bands cut at 25/40/60,
   foreign_worker) networks, relu and sigmoid, (16,) and (64, 64): status over the whole domain and at
   radius 0.05 around ``--rows`` test rows, the exact flip rate on those rows, real pairs found, seconds.
   Then the same networks with the protected inputs' first-layer weights zeroed after training (their
   mean contribution on the training rows folded into the bias), which must come out proven independent.
2. ``monotone``: adult's ``education_num`` and ``hours_per_week`` (increasing) and german_credit's
   ``duration_months`` (decreasing), over the whole domain.
3. ``diff``: two seeds of the same architecture: exact disagreement on the test rows, status (domain and
   radius), number of rules, agreement of the disagreement rules with the truth on held-out rows.

Networks: ``rulex.train_network(train, hidden, act, max_epochs=--epochs, random_state=seed)`` on the
default split; adult's training split is subsampled to ``--adult-rows`` rows (seed 0).

    python benchmarks/audit.py                          # all parts
    python benchmarks/audit.py --parts diff --max-seconds 10
"""
from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

import rulex

RESULTS = Path(__file__).resolve().parent / "results"

PROTECTED = {"adult": ["sex", "race"],
             "german_credit": {"personal_status_sex": None, "age": [25, 40, 60], "foreign_worker": None}}
MONOTONE = {"adult": {"education_num": "increasing", "hours_per_week": "increasing"},
            "german_credit": {"duration_months": "decreasing"}}
NETS = "16:relu,16:sigmoid,64-64:relu,64-64:sigmoid"


def nets(text: str) -> list:
    """``"16:relu,64-64:sigmoid"`` -> ``[((16,), "relu"), ((64, 64), "sigmoid")]``."""
    out = []
    for item in text.split(","):
        hidden, act = item.strip().split(":")
        out.append((tuple(int(h) for h in hidden.split("-")), act))
    return out


def data(name, args, n_rows=None):
    train, test = rulex.load_dataset(name).split(random_state=0)
    rng = np.random.default_rng(0)
    if len(train) > args.adult_rows:
        train = train.subset(np.sort(rng.choice(len(train), args.adult_rows, replace=False)))
    n_rows = args.rows if n_rows is None else n_rows
    pick = np.sort(rng.choice(len(test), min(len(test) * 2 // 3, n_rows), replace=False))
    rows = test.subset(pick)
    held = test.frame.drop(index=test.frame.index[pick]).reset_index(drop=True)
    return train, held, rows


_NETS: dict = {}


def network(name, hidden, act, seed, train, epochs):
    key = (name, hidden, act, seed)
    if key not in _NETS:
        _NETS[key] = rulex.train_network(train, hidden, act, max_epochs=epochs, random_state=seed)
    return _NETS[key]


def zeroed(net, train, features):
    """The network with the features' first-layer weights zeroed, their mean contribution moved to the bias."""
    X = net.encoder.transform(train.frame)
    first = net.layers[0]
    W, b = first.weights.copy(), first.bias.copy()
    for f in features:
        cols = net.encoder.groups_[f]
        b += W[:, cols] @ X[:, cols].mean(axis=0)
        W[:, cols] = 0.0
    return rulex.Network([rulex.Layer(W, b, first.activation), *net.layers[1:]], net.encoder, classes=net.classes)


def section(title: str, text: str, headers: list) -> list:
    """A part's heading, its explanation and the header of its Markdown table."""
    return [title, "", text, "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]


def row(lines: list, *cells) -> None:
    """Append one table row (and show it as it comes)."""
    lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    print(lines[-1], flush=True)


def _scope_text(r):
    if "rows_proven" in r:
        return f"{r['rows_proven']} proven / {r.get('rows_flipping', 0)} flip / {r.get('rows_unknown', 0)} unknown"
    return "domain"


def part_protected(args, lines):
    lines += section("## 1. Protected attributes",
                     f"Budget `max_seconds={args.max_seconds}` per audit (all protected features of a data set share "
                     f"it). Flip rate: share of the {args.rows} audited test rows whose class changes when only that "
                     "feature changes (exact). *pairs*: real pairs reported (each re-predicted). Radius 0.05: rows "
                     "proven / rows with a flip in their box / rows left unknown.",
                     ["data", "net", "feature", "flip rate", "domain status", "engine", "pairs", "radius 0.05 status",
                      "rows", "seconds (domain + radius)", "within budget"])
    for name in args.data.split(","):
        train, _, rows = data(name, args)
        for hidden, act in nets(args.nets):
            base = network(name, hidden, act, 0, train, args.epochs)
            prot = PROTECTED[name]
            names = list(prot)
            for label, net in ((f"{hidden} {act}", base),
                               (f"{hidden} {act}, protected zeroed", zeroed(base, train, names))):
                t0 = time.monotonic()
                dom = rulex.audit(net, rows, protected=prot, max_seconds=args.max_seconds)
                t1 = time.monotonic()
                rad = rulex.audit(net, rows, protected=prot, radius=0.05, max_seconds=args.max_seconds)
                t2 = time.monotonic()
                ok = max(t1 - t0, t2 - t1) <= 1.1 * args.max_seconds
                for d, r in zip(dom.protected, rad.protected):
                    n_pairs = sum(c["feature"] == d["feature"] for c in dom.counterexamples)
                    row(lines, name, label, d["feature"], f"{d['flip_rate']:.3f}", d["status"], d["engine"], n_pairs,
                        r["status"], _scope_text(r), f"{t1 - t0:.1f} + {t2 - t1:.1f}", "yes" if ok else "NO")
    lines.append("")


def part_monotone(args, lines):
    lines += section("## 2. Monotonicity",
                     f"Budget `max_seconds={args.max_seconds}` per audit, whole domain. *violated*: a real pair "
                     "(x, x') with x' moved in the promised direction and a lower class.",
                     ["data", "net", "feature", "direction", "status", "engine", "pair", "seconds"])
    for name in args.data.split(","):
        train, _, rows = data(name, args)
        for hidden, act in nets(args.nets):
            net = network(name, hidden, act, 0, train, args.epochs)
            res = rulex.audit(net, rows, monotone=MONOTONE[name], max_seconds=args.max_seconds)
            for r in res.monotone:
                c = r.get("counterexample")
                pair = (f"{c['x'][r['feature']]} → {c['x_prime'][r['feature']]}: {c['class']} → {c['class_prime']}"
                        if c else "")
                row(lines, name, f"{hidden} {act}", r["feature"], r["direction"], r["status"], r["engine"], pair,
                    f"{r['seconds']:.1f}")
    lines.append("")


def part_diff(args, lines):
    lines += section("## 3. Two seeds of one network",
                     f"Seeds 0 and 1, budget `max_seconds={args.max_seconds}` per diff. Disagreement (exact) and proofs "
                     f"on up to {args.diff_rows} training rows; rules learned on them (surrogate_tree), their agreement "
                     "with \"the two disagree\" on the whole test split (held out).",
                     ["data", "net", "disagreement", "domain status", "radius 0.05 status", "rows proven", "rules",
                      "held-out agreement", "seconds (domain + radius)"])
    for name in args.data.split(","):
        train, _, _ = data(name, args)
        held = rulex.load_dataset(name).split(random_state=0)[1].frame
        rows = train.subset(np.sort(np.random.default_rng(0).choice(len(train), min(len(train), args.diff_rows),
                                                                      replace=False)))
        for hidden, act in nets(args.nets):
            a = network(name, hidden, act, 0, train, args.epochs)
            b = network(name, hidden, act, 1, train, args.epochs)
            t0 = time.monotonic()
            dom = rulex.diff(a, b, rows, max_seconds=args.max_seconds)
            t1 = time.monotonic()
            rad = rulex.diff(a, b, rows, radius=0.05, max_seconds=args.max_seconds)
            t2 = time.monotonic()
            truth = np.where(a.predict(held) != b.predict(held), "differ", "agree")
            agree = float((dom.rules.predict(held) == truth).mean())
            row(lines, name, f"{hidden} {act}", f"{dom.disagreement:.3f}", f"{dom.status} ({dom.engine})", rad.status,
                f"{rad.rows_proven} of {rad.rows}", len(dom.rules.rules), f"{agree:.3f}",
                f"{t1 - t0:.1f} + {t2 - t1:.1f}")
    lines.append("")


PARTS = {"protected": part_protected, "monotone": part_monotone, "diff": part_diff}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--parts", default="protected,monotone,diff")
    p.add_argument("--max-seconds", type=float, default=20.0)
    p.add_argument("--rows", type=int, default=200, help="test rows audited per data set")
    p.add_argument("--diff-rows", type=int, default=1000, help="training rows per diff (the test split is held out)")
    p.add_argument("--adult-rows", type=int, default=5000, help="training rows of adult (subsample)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--nets", default=NETS, help="hidden sizes and activations, e.g. 16:relu,64-64:sigmoid")
    p.add_argument("--data", default="adult,german_credit")
    p.add_argument("--out", default=str(RESULTS / "audit.md"))
    args = p.parse_args(argv)
    lines = ["# Audits and diffs", "",
             f"`python benchmarks/audit.py --max-seconds {args.max_seconds:g} --rows {args.rows} --diff-rows "
             f"{args.diff_rows} --adult-rows {args.adult_rows} --epochs {args.epochs}` (rulex {rulex.__version__}; "
             "2 CPU cores shared with other work: seconds are indicative).", ""]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for part in args.parts.split(","):
            PARTS[part.strip()](args, lines)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
