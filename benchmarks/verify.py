"""Certified rules: how much of the input domain each method's rules are *proven* to get right.

Six parts, written to benchmarks/results/verify.md:

1. ``verify``: for breast_cancer (16,) relu and sigmoid, adult (32, 16) relu, and MONK-1 (8,) relu
   and sigmoid (a discrete domain of 432 points, for contrast), every method's rules
   (extracted on the training rows) are verified over the whole input domain (numeric features within
   their training range, categories one-hot): share of the rules (and default) certified / refuted /
   unknown, share of the domain's volume certified, seconds against the budget.
2. ``reasons``: sufficient reasons (subset-minimal, proven) for ``--rows`` test rows of breast_cancer and
   adult (relu nets): size, proven or budget-limited, seconds; beside the size of ``explain_row``'s local
   rule for the same row.
3. ``certify``: ``rulex.extract(..., certify=True)`` for the pedagogical methods on breast_cancer,
   german_credit, monk1 and monk3 (relu (16,)): certified share of the domain and certified regions
   before and after refinement, test fidelity and rule count before and after.
4. ``radius``: certified fidelity at radius 0.01 / 0.05 / 0.1 (``rulex.verify(..., radius=r)``) of ``auto``
   and ``trepan`` rules on breast_cancer, german_credit, adult (10,000 test rows) and heart, (16,) relu and
   sigmoid and (64, 64) relu nets, beside the sampled fidelity and the sampled upper bound of the same rows.
5. ``speed``: the batched verifier against the single-box path (sampling, CROWN, MILP: what ``verify``
   used before) on the same boxes: the robustness question "does the network keep the row's class on
   its box" for breast_cancer's 30 inputs and german_credit's 20 features on (16,), (64, 64) and
   (64, 32, 16) relu nets; per-box median and p95 seconds, unknown share.
6. ``reasons_radius``: sufficient reasons at radius 0.1 on breast_cancer and adult: mean size, proven share,
   median and max seconds per row.

Networks: ``rulex.train_network(train, hidden, act, random_state=0)`` on the default split; adult's
training split is subsampled to ``--adult-rows`` rows (seed 0).

    python benchmarks/verify.py                       # all parts, default budgets
    python benchmarks/verify.py --parts verify --max-seconds 20
    python benchmarks/verify.py --parts radius,speed,reasons_radius,radius_gap
"""
from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

import rulex
from rulex.verification import sufficient_reason
from rulex.verification.domain import Domain, Span
from rulex.verification.engine import decide_region
from rulex.verification.local import decide_roots
from rulex.verification.radius import row_boxes
from rulex.verification.spec import Spec

RESULTS = Path(__file__).resolve().parent / "results"


def setting(name, hidden, act, adult_rows):
    train, test = rulex.load_dataset(name).split(random_state=0)
    if name == "adult" and len(train) > adult_rows:
        rng = np.random.default_rng(0)
        train = train.subset(np.sort(rng.choice(len(train), adult_rows, replace=False)))
        test = test.subset(np.sort(rng.choice(len(test), min(len(test), adult_rows), replace=False)))
    net = rulex.train_network(train, hidden, act, random_state=0)
    return net, train, test


def part_verify(args, lines):
    lines += ["## 1. Verification of every method's rules over the whole domain", "",
              f"Budget `max_seconds={args.max_seconds}` per rule set. *rules certified*: share of the rules "
              "(default included) proven; *domain certified*: share of the input domain's volume on which the "
              "rule set is proven to agree with the network; *within budget*: seconds <= budget + 1.", "",
              "| data | net | method | rules | certified | counterexample | unknown | rules certified | "
              "domain certified | test fidelity | seconds | within budget |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, hidden, act in [("breast_cancer", (16,), "relu"), ("breast_cancer", (16,), "sigmoid"),
                              ("adult", (32, 16), "relu"), ("monk1", (8,), "relu"), ("monk1", (8,), "sigmoid")]:
        net, train, test = setting(name, hidden, act, args.adult_rows)
        for method in sorted(rulex.available_methods()):
            try:
                rules = rulex.extract(net, train, method)
            except rulex.RulexError as exc:
                lines.append(f"| {name} | {hidden} {act} | {method} | extraction failed: {exc} |")
                continue
            t0 = time.monotonic()
            v = rulex.verify(rules, net, train, max_seconds=args.max_seconds)
            sec = time.monotonic() - t0
            st = v.rules["status"].value_counts()
            n = len(v.rules)
            fid = rulex.fidelity(rules, net, test)
            lines.append(f"| {name} | {hidden} {act} | {method} | {len(rules.rules)} | {st.get('certified', 0)} | "
                         f"{st.get('counterexample', 0)} | {st.get('unknown', 0)} | "
                         f"{st.get('certified', 0) / n:.0%} | {v.certified_share:.1%}"
                         f"{' (est.)' if v.volume_estimated else ''} | {fid:.3f} | {sec:.1f} | "
                         f"{'yes' if sec <= args.max_seconds + 1 else 'NO'} |")
            print(lines[-1], flush=True)
    lines.append("")


def part_reasons(args, lines):
    lines += ["## 2. Sufficient reasons (proven, subset-minimal) beside explain_row's local rule", "",
              f"{args.rows} test rows per data set, `max_seconds={args.reason_seconds}` per row. Sizes are numbers "
              "of features; the local rule's size is its number of conditions (a sample-based description, "
              "not a proof).", "",
              "| data | net | features | rows | proven | mean size | median size | max size | "
              "mean local-rule size | mean seconds | max seconds |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, hidden in [("breast_cancer", (16,)), ("adult", (32, 16))]:
        net, train, test = setting(name, hidden, "relu", args.adult_rows)
        sizes, local, secs, proven = [], [], [], 0
        for i in range(min(args.rows, len(test))):
            row = test.X.iloc[[i]]
            r = sufficient_reason(net, row, train, max_seconds=args.reason_seconds)
            sizes.append(len(r))
            secs.append(r.seconds)
            proven += r.proven
            # every kept feature has its counterexample (subset-minimality is shown, not assumed)
            assert all(f in r.counterexamples or f in r.undecided for f in r.features)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                local.append(rulex.explain_row(net, test, i, reference=train).local_rule.size())
        lines.append(f"| {name} | {hidden} relu | {len(net.schema)} | {len(sizes)} | {proven} | "
                     f"{np.mean(sizes):.1f} | {np.median(sizes):.0f} | {max(sizes)} | {np.mean(local):.1f} | "
                     f"{np.mean(secs):.2f} | {max(secs):.2f} |")
        print(lines[-1], flush=True)
    lines.append("")


def part_certify(args, lines):
    lines += ["## 3. Counterexample-guided refinement (`certify=True`)", "",
              f"`certify_seconds={args.certify_seconds}`, at most 5 rounds; the verified round with the largest "
              "certified share is returned. Fidelity on the test split.", "",
              "| data | method | domain certified before | after | regions certified before | after | rounds | "
              "rows added | rules before | after | test fidelity before | after | seconds |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in ("breast_cancer", "german_credit", "monk1", "monk3"):
        net, train, test = setting(name, (16,), "relu", args.adult_rows)
        for method in sorted(m for m, info in rulex.available_methods().items() if info.kind == "pedagogical"):
            plain = rulex.extract(net, train, method)
            t0 = time.monotonic()
            refined = rulex.extract(net, train, method, certify=True, certify_seconds=args.certify_seconds)
            sec = time.monotonic() - t0
            rec = refined.provenance["certify"]
            first = rec["rounds"][0] if rec["rounds"] else {}
            before = first.get("certified_share", float("nan"))
            after = rec["certified_share"] if rec["certified_share"] is not None else float("nan")
            chosen = next((r for r in rec["rounds"] if r["round"] == rec.get("returned_round")), {})
            lines.append(f"| {name} | {method} | {before:.1%} | {after:.1%} | "
                         f"{first.get('certified', '-')}/{first.get('rules', 0) + 1} | "
                         f"{chosen.get('certified', '-')}/{chosen.get('rules', 0) + 1} | {len(rec['rounds'])} | "
                         f"{rec['rows_added']} | {len(plain.rules)} | {len(refined.rules)} | "
                         f"{rulex.fidelity(plain, net, test):.3f} | {rulex.fidelity(refined, net, test):.3f} | "
                         f"{sec:.1f} |")
            print(lines[-1], flush=True)
    lines.append("")


RADIUS_SETS = ("breast_cancer", "german_credit", "adult", "heart")
RADIUS_NETS = (((16,), "relu"), ((16,), "sigmoid"), ((64, 64), "relu"))


def part_radius(args, lines):
    lines += ["## 4. Certified fidelity at a radius (`verify(..., radius=r)`)", "",
              f"Rules extracted on the training split; the boxes are around the test rows (adult: {args.radius_rows:,} "
              "test rows, the others all). *certified*: share of rows whose whole box is proven; *sampled*: the rows' "
              "own fidelity; *upper*: share of rows where none of 200 points drawn in the box disagrees (no "
              "verifier can certify more); *ratio*: certified / upper; goal at r = 0.01: ratio >= 0.97 with <= 2 % "
              "unknown, <= 60 s per 1,000 rows. Default work budget (200 nodes per box, then MILP for ReLU). "
              f"Sets with more than {args.all_radii_rows:,} rows (adult) are run at r = 0.01 only (the goal's radius), "
              "to keep the run within the time this machine had.", "",
              "| data | net | method | rules | rows | radius | certified | sampled | upper | ratio | unknown | seconds | "
              "s / 1,000 rows | goal |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in RADIUS_SETS:
        for hidden, act in RADIUS_NETS:
            net, train, test = setting(name, hidden, act, max(args.adult_rows, args.radius_rows))
            rows = test.frame
            if len(rows) > args.radius_rows:
                rows = rows.iloc[np.sort(np.random.default_rng(0).choice(len(rows), args.radius_rows, replace=False))]
            for method in ("auto", "trepan"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    rules = rulex.extract(net, train, method, random_state=0)
                for r in ((0.01,) if len(rows) > args.all_radii_rows else (0.01, 0.05, 0.1)):
                    v = rulex.verify(rules, net, rows, radius=r, max_seconds=3600)
                    ratio = v.certified_fidelity / v.sampled_upper_bound if v.sampled_upper_bound else float("nan")
                    per_k = v.seconds / len(rows) * 1000
                    goal = "" if r != 0.01 else ("yes" if ratio >= 0.97 and v.unknown_share <= 0.02 and per_k <= 60
                                                 else "no")
                    lines.append(f"| {name} | {hidden} {act} | {method} | {len(rules)} | {len(rows)} | {r} | "
                                 f"{v.certified_fidelity:.3f} | {v.sampled_fidelity:.3f} | {v.sampled_upper_bound:.3f} | "
                                 f"{ratio:.3f} | {v.unknown_share:.1%} | {v.seconds:.1f} | {per_k:.1f} | {goal} |")
                    print(lines[-1], flush=True)
    lines.append("")


def part_radius_gap(args, lines):
    """Why the sampled upper bound can sit above what a sound verifier proves with nothing left unknown."""
    lines += ["## 7. Where the sampled upper bound is loose: counterexamples at the box's corners", "",
              "breast_cancer at r = 0.01, the cells of §4 (rules on the training split, boxes around all test "
              "rows). *upper (n)*: share of rows where none of n uniform points (half moved onto a rule "
              "threshold) disagrees; *found*: share of rows where no disagreeing point is known at all, by "
              "sampling or by the verifier's search (= certified + unknown: an upper bound on what any "
              "verifier can certify, as sound as the sampled one and tighter); *search-only*: counterexample "
              "rows no sample found; *at a face*: mean share of the numeric features such a counterexample "
              "puts on a face of its box (1 = a corner of a 30-dimensional box, which uniform points reach "
              "with probability ~2^-30).", "",
              "| net | method | certified | unknown | upper (200) | upper (2,000) | upper (20,000) | found | "
              "ratio to upper (200) | ratio to found | search-only | at a face |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for hidden, act in RADIUS_NETS:
        net, train, test = setting("breast_cancer", hidden, act, args.adult_rows)
        for method in ("auto", "trepan"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rules = rulex.extract(net, train, method, random_state=0)
            ups, v = [], None
            for ns in (200, 2000, 20000):
                v = rulex.verify(rules, net, test.frame, radius=0.01, max_seconds=3600, n_samples=ns)
                ups.append(v.sampled_upper_bound)
            found = v.certified_fidelity + v.unknown_share
            searched = v.rows.index[(v.rows.status == "counterexample") & (v.rows.engine != "row")]
            roots, _ = row_boxes(Domain(net.encoder), test.frame, 0.01)
            cex = v.counterexamples.set_index("row")
            faces = []
            for i in searched:
                x = cex.loc[[i], roots.num].iloc[0].to_numpy(float)
                lo, hi = roots.lo[i], roots.hi[i]
                faces.append(np.mean(np.isclose(x, lo, rtol=0, atol=1e-9 * (1 + abs(lo)))
                                     | np.isclose(x, hi, rtol=0, atol=1e-9 * (1 + abs(hi)))))
            lines.append(f"| {hidden} {act} | {method} | {v.certified_fidelity:.3f} | {v.unknown_share:.1%} | "
                         + " | ".join(f"{u:.3f}" for u in ups)
                         + f" | {found:.3f} | {v.certified_fidelity / ups[0]:.3f} | "
                         f"{v.certified_fidelity / found if found else float('nan'):.3f} | "
                         f"{round((ups[-1] - found) * len(test.frame))} | "
                         f"{np.mean(faces) if faces else float('nan'):.2f} |")
            print(lines[-1], flush=True)
    lines.append("")


def _single_box_path(net, roots, i, spec, seconds):
    """The pre-batch path on one box: sampling falsifier, CROWN, then the exact MILP (``decide_region``)."""
    domain = Domain(net.encoder)
    box = {}
    pos = {n: j for j, n in enumerate(roots.num)}
    for f in domain.features:
        if f.name in pos:
            box[f.name] = Span(float(roots.lo[i, pos[f.name]]), float(roots.hi[i, pos[f.name]]))
        else:
            box[f.name] = frozenset([list(f.categories).index(roots.rows[f.name].iloc[i])])
    def confirm(X):                     # a real row of the box the network classifies otherwise
        frame = domain.decode(np.atleast_2d(X), box)
        wrong = net.predict_index(frame) != spec.target
        return frame.iloc[[int(np.flatnonzero(wrong)[0])]] if wrong.any() else None

    t0 = time.monotonic()
    out = decide_region(net, spec, domain, [box], [], [box], time.monotonic() + seconds, confirm=confirm,
                        rng=np.random.default_rng(0), delta=1e-6)
    return out["status"], time.monotonic() - t0


def part_speed(args, lines):
    lines += ["## 5. Verifier speed on the same boxes: batched against the single-box path", "",
              "Question: does the network keep the row's class on the row's box (radius 0.01 and 0.05 around test "
              f"rows). *batched*: all boxes of a call in one batch (`decide_roots`); per-box seconds are each box's "
              f"share of the batch's waves plus its own MILP time. *single-box*: the path `verify` used before "
              f"(sampling, CROWN, then the HiGHS MILP) on {args.speed_boxes} of the same boxes with "
              f"{args.speed_seconds:g} s each. Anchor: alpha,beta-CROWN ~1 s of work per safenlp instance (30 inputs).",
              "", "| data | inputs | net | radius | boxes | batched median s | p95 s | total s | unknown | "
              "single-box median s | p95 s | unknown |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in ("breast_cancer", "german_credit"):
        for hidden in ((16,), (64, 64), (64, 32, 16)):
            net, train, test = setting(name, hidden, "relu", args.adult_rows)
            rows = test.X.reset_index(drop=True)
            cls = net.predict_index(rows)
            for r in (0.01, 0.05):
                roots, _ = row_boxes(Domain(net.encoder), rows, r)
                t0 = time.monotonic()
                out = decide_roots(net, Domain(net.encoder), roots, classes=cls)
                total = time.monotonic() - t0
                unk = np.mean([s == "unknown" for s in out.status])
                single, s_unk = [], 0
                for i in range(min(args.speed_boxes, len(rows))):
                    st, sec = _single_box_path(net, roots, i, Spec.for_class(net, int(cls[i])), args.speed_seconds)
                    single.append(sec)
                    s_unk += st == "unknown"
                lines.append(f"| {name} | {net.encoder.n_inputs} | {hidden} relu | {r} | {len(rows)} | "
                             f"{np.median(out.seconds):.4f} | {np.percentile(out.seconds, 95):.4f} | {total:.2f} | "
                             f"{unk:.1%} | {np.median(single):.3f} | {np.percentile(single, 95):.3f} | "
                             f"{s_unk / max(len(single), 1):.1%} |")
                print(lines[-1], flush=True)
    lines.append("")


def part_reasons_radius(args, lines):
    lines += ["## 6. Short proven reasons: sufficient reasons at radius 0.1", "",
              f"{args.rows} test rows per data set, (16,) relu nets; the freed features range within 10 % of their "
              "range around the row, on the box `verify(..., radius=0.1)` proves: categorical values stay as in "
              "the row (*held*: a change of category is a distance of 1 in the one-hot inputs). Size counts the "
              "features the reason must keep, over all features. Goal: mean size <= 30 % of the features, proven, "
              "median <= 5 s per row.", "",
              "| data | features | held (categorical) | rows | proven | mean size | share of features | median size | "
              "max size | median seconds | max seconds |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in ("breast_cancer", "adult"):
        net, train, test = setting(name, (16,), "relu", args.adult_rows)
        sizes, secs, proven = [], [], 0
        for i in range(min(args.rows, len(test))):
            r = sufficient_reason(net, test.X.iloc[[i]], train, max_seconds=args.reason_seconds, radius=0.1)
            sizes.append(len(r))
            secs.append(r.seconds)
            proven += r.proven
        n_feat = len(net.schema.feature_names)
        n_held = sum(f.kind not in ("numeric", "integer") for f in net.schema.features)
        lines.append(f"| {name} | {n_feat} | {n_held} | {len(sizes)} | {proven} | {np.mean(sizes):.1f} | "
                     f"{np.mean(sizes) / n_feat:.0%} | {np.median(sizes):.0f} | {max(sizes)} | {np.median(secs):.2f} | "
                     f"{max(secs):.2f} |")
        print(lines[-1], flush=True)
    lines.append("")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--parts", default="verify,reasons,certify")
    p.add_argument("--max-seconds", type=float, default=30)
    p.add_argument("--rows", type=int, default=50)
    p.add_argument("--reason-seconds", type=float, default=20)
    p.add_argument("--certify-seconds", type=float, default=60)
    p.add_argument("--adult-rows", type=int, default=4000)
    p.add_argument("--radius-rows", type=int, default=10000)
    p.add_argument("--all-radii-rows", type=int, default=2000)
    p.add_argument("--speed-boxes", type=int, default=40)
    p.add_argument("--speed-seconds", type=float, default=30)
    p.add_argument("--out", default=str(RESULTS / "verify.md"))
    args = p.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    lines = ["# Certified rules (rulex.verify)", "",
             "Made by `python benchmarks/verify.py` (each part's settings are in its section). "
             "ReLU networks are decided exactly (MILP, HiGHS); sigmoid networks by CROWN bounds with branch "
             "and bound (unknown regions keep the share already proven). Seconds are wall-clock on a shared "
             "2-core machine.", ""]
    parts = {"verify": part_verify, "reasons": part_reasons, "certify": part_certify, "radius": part_radius,
             "speed": part_speed, "reasons_radius": part_reasons_radius, "radius_gap": part_radius_gap}
    # sections of parts not run this time are kept from the existing file
    old = _sections(Path(args.out).read_text()) if Path(args.out).exists() else {}
    done = {}
    for part in args.parts.split(","):
        sec: list = []
        parts[part.strip()](args, sec)
        done[part.strip()] = sec
        out = list(lines)
        for key in parts:
            out += done.get(key) or old.get(key, [])
        Path(args.out).write_text("\n".join(out) + "\n")
    print(f"wrote {args.out}")


def _sections(text: str) -> dict:
    """Existing part sections of the results file, by part name (from their '## N.' headers)."""
    names = {"1": "verify", "2": "reasons", "3": "certify", "4": "radius", "5": "speed", "6": "reasons_radius",
             "7": "radius_gap"}
    out, key = {}, None
    for line in text.splitlines():
        if line.startswith("## ") and line[3:4] in names:
            key = names[line[3:4]]
            out[key] = []
        if key:
            out[key].append(line)
    return out


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])
