"""Same rules before and after: every method's rules on every bundled data set, byte for byte.

A refactor of rulex must not change behaviour: the same rules, byte for byte, for every method on
the bundled data sets with the default seeds. This script writes the evidence and checks it.

Run mode (``--out DIR``): for every bundled data set (``rulex.list_datasets()``), the network
``rulex compare NAME`` trains with its default options: ``rulex.load_dataset(NAME)``, the default
split ``ds.split(test_size=None, random_state=0)`` (MONK's problems: their original split; others
0.3), ``rulex.train_network(train, (16,), "sigmoid", max_epochs=None, random_state=0)``. On it,
every registered method (``rulex.available_methods()``; on a regression set only those with
``regression=True``) runs ``rulex.extract(net, train, method=m)`` with every default (``random_state=0``).
Per cell (data set x method) the script writes

- ``DIR/<dataset>__<method>.json``: the rules as rulex's lossless JSON (``rulex.formats.to_json``),
  normalised (below), then ``"text": str(rules)`` split in lines; for a method that raised,
  ``{"exception": {"type": ..., "message": ...}}`` in place of the rules;
- ``DIR/manifest.json``: per cell the sha256 of that file, the seconds the extraction took, the
  warnings it raised (class and first line), rule and condition counts, ``cut_reasons`` and two
  flags. ``partial``: any sign that a budget cut the result short: ``complete: False``,
  ``budget_exhausted: True`` or ``ip_optimal: False`` anywhere in the provenance (auto's candidates
  included), a ``PartialResultWarning``, a ``BudgetExceededError``, an auto candidate that failed on
  or was skipped for its budget. ``budget_cut``: one of those signs is about wall-clock time
  ("stopped after N s", ``max_seconds``, ``budget_exhausted``, BRCG's HiGHS ``time_limit``), so the
  rules depend on the machine's load; a size limit (tsukimoto's ``max_order``, ``max_clauses``) is
  ``partial`` but deterministic. Per data set: the network's fingerprint, training seconds and test
  score. At the top: ``rulex.__file__``, the checkout's commit and whether its tracked files were
  modified.

Normalisation removes only what legitimately differs between two runs of the same code: the
provenance's ``run`` (seconds, peak memory), any key named like a wall-clock or memory measurement
(``TIMING_KEYS``) at any depth of the provenance, and the measured seconds inside a budget message
("stopped after 61.2 s" -> "stopped after <t> s"). Nothing else is removed.

``--params JSON`` replaces a method's defaults (e.g. ``'{"brcg": {"max_seconds": null}}'`` to take a
wall-clock budget out of the result); the manifest records it and the rules' provenance shows it.

Each data set runs in its own process (the same interpreter and path), one after the other, like
one ``rulex compare NAME``; a crash in one leaves the others' cells.

Compare mode (``--compare DIR_A DIR_B``): prints the cells that differ (with the first differing
lines of their JSON), the cells found in only one directory, and flags a differing cell that is
load-sensitive on either side (``load_sensitive``: budget-cut by a wall clock, or finished after half
its ``max_seconds`` or more, or ``auto`` near its budget or with such a candidate method: a
load-dependent difference, not a real change). Exit status 0 when every cell is
identical and both have the same cells, 1 otherwise; ``--datasets``/``--methods`` restrict the comparison
(e.g. to the sets a shorter run covered). ``--summary`` also writes
``benchmarks/results/same_rules.md``; ``--labels A B`` names the two sides (e.g. commits).

    PYTHONPATH=/path/to/checkout python benchmarks/same_rules.py --out /tmp/same_rules/base
    python benchmarks/same_rules.py --out /tmp/sr --datasets iris,xor --methods cred,trepan
    python benchmarks/same_rules.py --out /tmp/sr --methods brcg --params '{"brcg": {"max_seconds": null}}'
    python benchmarks/same_rules.py --compare /tmp/same_rules/base /tmp/same_rules/new \\
           --labels ab57ce8 HEAD --summary
"""
from __future__ import annotations

import argparse
import datetime
import difflib
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import traceback
import warnings
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SUMMARY = RESULTS / "same_rules.md"

# keys that hold a wall-clock time or a memory measurement, wherever they sit in the provenance
TIMING_KEYS = frozenset({"run", "seconds", "train_seconds", "elapsed", "elapsed_seconds", "wall_seconds",
                         "peak_memory_mb", "peak_mb", "memory_mb"})
# a measured time inside a message: "stopped after 61.2 s" (the budget itself, max_seconds=60.0, stays)
_SECONDS_IN_TEXT = re.compile(r"(after )\d+(?:\.\d+)? s\b")

# the network `rulex compare NAME` trains with its default options (rulex/cli.py: net_args, _train)
HIDDEN, ACTIVATION, SEED, TEST_SIZE, EPOCHS = (16,), "sigmoid", 0, None, None
DIFF_LINES = 12


# -- normalisation -----------------------------------------------------------------------------------
def _scrub_text(s: str) -> str:
    return _SECONDS_IN_TEXT.sub(r"\1<t> s", s)


def _scrub(obj):
    """Drop timing/memory keys at any depth; the measured seconds in budget messages become <t>."""
    if isinstance(obj, dict):
        return {k: _scrub(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [_scrub(v) for v in obj]
    if isinstance(obj, str):
        return _scrub_text(obj)
    return obj


def normalise(doc: dict) -> dict:
    """rulex's JSON of a rule set with the run-dependent measurements removed (provenance only:
    the rules, conditions, support and precision are never touched)."""
    doc = dict(doc)
    if isinstance(doc.get("provenance"), dict):
        doc["provenance"] = _scrub(doc["provenance"])
    return doc


def _wall_clock(text: str) -> bool:
    """Whether a budget message is about wall-clock time (not a clause, order or size limit)."""
    return bool(re.search(r"stopped after|max_seconds|budget spent|time_limit|budget_exhausted|wall clock", text))


def _budget_signals(prov, path="provenance"):
    """Where the provenance says a budget cut the result short: complete False, budget_exhausted True,
    an auto candidate that failed or was skipped on its budget or warned of one, a BRCG integer program
    not solved to optimality (HiGHS stops at its time_limit, or at its node_limit)."""
    out = []
    if isinstance(prov, dict):
        if prov.get("complete") is False:
            out.append(f"{path}.complete=False")
        if prov.get("budget_exhausted") is True:
            out.append(f"{path}.budget_exhausted=True")
        stop = prov.get("budget", {}).get("stopped_by") if isinstance(prov.get("budget"), dict) else None
        if stop:        # "max_seconds": the wall clock (load-dependent); any other: a work budget (deterministic)
            out.append(f"{path}.budget.stopped_by={stop}")
        if prov.get("ip_optimal") is False:
            out.append(f"{path}.ip_optimal=False (HiGHS time_limit or node_limit)")
        err = prov.get("error")
        if isinstance(err, str) and ("Budget" in err or "budget" in err or "max_seconds" in err):
            out.append(f"{path}.error: {_scrub_text(err.splitlines()[0])[:160]}")
        notes = prov.get("warnings")
        for w in notes if isinstance(notes, list) else [notes]:
            if isinstance(w, str) and ("max_seconds" in w or "stopped after" in w or "partial" in w):
                out.append(f"{path}.warnings: {_scrub_text(w.splitlines()[0])[:160]}")
        for k, v in prov.items():
            if isinstance(v, (dict, list)):
                out += _budget_signals(v, f"{path}.{k}")
    elif isinstance(prov, list):
        for i, v in enumerate(prov):
            out += _budget_signals(v, f"{path}[{i}]")
    return out


NEAR = 0.5      # a run that used half its max_seconds or more may be cut on a machine twice as loaded


def load_sensitive(cells: dict, d: Path) -> dict:
    """{cell: reasons} for the cells whose rules may depend on the machine's load: budget-cut by a
    wall clock; or finished but after ``NEAR`` of the method's ``max_seconds`` or more (read from the
    rules' provenance); or ``auto`` when it used ``NEAR`` of its own budget (its candidates' budgets
    shrink with the time left) or one of its candidate methods is budget-cut or near its budget
    in its own cell of the same data set (auto keeps no candidate's provenance, so a candidate cut
    inside auto leaves no trace in auto's rules)."""
    out, prov = {}, {}
    for c, e in cells.items():
        reasons = [r for r in e.get("cut_reasons", []) if _wall_clock(r)] if e.get("budget_cut") else []
        f = d / e["file"]
        doc = json.loads(f.read_text(encoding="utf-8")) if f.exists() else {}
        prov[c] = doc.get("provenance") or {}
        budget = (prov[c].get("parameters") or {}).get("max_seconds")
        if isinstance(budget, (int, float)) and e.get("seconds", 0) >= NEAR * budget:
            reasons.append(f"took {e['seconds']:.0f} s of its max_seconds={budget:g}")
        if reasons:
            out[c] = reasons
    for c, e in cells.items():
        if e["method"] != "auto":
            continue
        # a candidate that sets its own max_seconds (auto runs brcg with None: auto's time left) is not
        # bounded by its default budget; auto's own NEAR check covers it
        for m in dict.fromkeys(t.get("method") for t in prov[c].get("candidates") or []
                               if "max_seconds" not in (t.get("parameters") or {})):
            own = f"{e['dataset']}__{m}"
            if own in out and m != "auto":
                out.setdefault(c, []).append(f"candidate {m}: {out[own][0]} in its own cell")
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checkout(rulex_file: str) -> dict:
    root = Path(rulex_file).resolve().parent.parent
    info = {"root": str(root)}
    try:
        info["commit"] = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                        text=True, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, check=True).stdout
        info["modified_tracked_files"] = [line[3:] for line in status.splitlines()]
    except (OSError, subprocess.CalledProcessError):
        info["commit"] = None
    return info


def _params(text):
    """``--params``: a JSON object, method -> {parameter: value} (as ``rulex compare --params``)."""
    if not text:
        return None
    params = json.loads(text)
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        sys.exit('--params must be a JSON object of objects, method -> parameters, e.g. \'{"brcg": {"max_seconds": null}}\'')
    return params


# -- run mode ----------------------------------------------------------------------------------------
def plan(datasets_arg, methods_arg):
    """[(dataset, task, [methods])] in list_datasets() order."""
    import rulex
    table = rulex.list_datasets()
    tasks = dict(zip(table["name"], table["task"]))
    names = list(table["name"])
    if datasets_arg:
        wanted = [d.strip() for d in datasets_arg.split(",") if d.strip()]
        unknown = [d for d in wanted if d not in tasks]
        if unknown:
            sys.exit(f"unknown data set(s) {unknown}; bundled: {names}")
        names = [n for n in names if n in wanted]
    info = rulex.available_methods()
    methods = sorted(info)
    if methods_arg:
        wanted = [m.strip() for m in methods_arg.split(",") if m.strip()]
        unknown = [m for m in wanted if m not in info]
        if unknown:
            sys.exit(f"unknown method(s) {unknown}; registered: {methods}")
        methods = [m for m in methods if m in wanted]
    return [(n, tasks[n], [m for m in methods if tasks[n] == "classification" or info[m].regression])
            for n in names]


def run_dataset(name: str, methods: list[str], out: Path, params: dict | None = None) -> dict:
    """One data set in this process: its network, then every method; writes the cells, returns its
    manifest entries."""
    import rulex
    from rulex.formats import to_json
    from rulex.metrics import agreement
    t0 = time.perf_counter()
    ds = rulex.load_dataset(name)
    train, test = ds.split(test_size=TEST_SIZE, random_state=SEED)
    net = rulex.train_network(train, HIDDEN, ACTIVATION, max_epochs=EPOCHS, random_state=SEED, progress=None)
    train_seconds = time.perf_counter() - t0
    score = agreement(net.predict(test.frame), test.y.to_numpy(), net.task)
    network = {"architecture": str(net), "fingerprint": net.fingerprint(), "task": net.task,
               "train_rows": len(train), "test_rows": len(test), "test_score": round(float(score), 6),
               "data_fingerprint": train.fingerprint(), "seconds": round(train_seconds, 2)}
    print(f"{name}: {len(train)} training / {len(test)} test rows; {net} test "
          f"{'R2' if net.task == 'regression' else 'accuracy'} {score:.4f} ({train_seconds:.1f} s); "
          f"fingerprint {network['fingerprint']}", flush=True)
    cells = {}
    for m in methods:
        cell = f"{name}__{m}"
        entry = {"dataset": name, "method": m, "file": f"{cell}.json", "budget_cut": False, "partial": False,
                 "cut_reasons": [],
                 "warnings": [], "exception": None}
        if (params or {}).get(m):
            entry["params"] = params[m]         # not the defaults: recorded beside the result
        started = time.perf_counter()
        rules = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                rules = rulex.extract(net, train, method=m, **(params or {}).get(m, {}))
            except Exception as exc:       # an exception is a result too
                entry["exception"] = {"type": type(exc).__name__, "message": _scrub_text(str(exc))}
                entry["traceback_tail"] = traceback.format_exc().splitlines()[-4:]
        entry["seconds"] = round(time.perf_counter() - started, 3)
        for w in caught:
            if issubclass(w.category, (DeprecationWarning, FutureWarning, PendingDeprecationWarning)):
                continue
            first = _scrub_text(str(w.message).splitlines()[0] if str(w.message) else "")
            entry["warnings"].append({"type": w.category.__name__, "message": first})
            if w.category.__name__ == "PartialResultWarning":
                entry["cut_reasons"].append(f"PartialResultWarning: {first[:160]}")
        if entry["exception"] is not None:
            doc = {"exception": entry["exception"]}
            if "Budget" in entry["exception"]["type"]:
                entry["cut_reasons"].append(f"{entry['exception']['type']}: {entry['exception']['message'][:160]}")
        else:
            doc = normalise(json.loads(to_json(rules)))
            doc["text"] = str(rules).splitlines()
            entry["rules"] = len(rules)
            entry["conditions"] = rules.conditions_count()
            entry["cut_reasons"] += _budget_signals(doc.get("provenance"))
        # load-dependent: a wall-clock budget (not a size limit such as max_order or max_clauses) decided it
        entry["partial"] = bool(entry["cut_reasons"])
        entry["budget_cut"] = any(_wall_clock(r) for r in entry["cut_reasons"])
        path = out / entry["file"]
        path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        entry["sha256"] = _sha(path)
        cells[cell] = entry
        what = (f"{entry['exception']['type']}: {entry['exception']['message'][:100]}" if entry["exception"]
                else f"{entry['rules']} rules, {entry['conditions']} conditions")
        print(f"  {m:15s} {entry['seconds']:8.2f} s  {what}{'  [BUDGET-CUT]' if entry['budget_cut'] else '  [partial]' if entry['partial'] else ''}"
              f"  {entry['sha256'][:12]}", flush=True)
    return {"network": network, "cells": cells}


def run(args) -> int:
    import rulex
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.worker:                         # one data set, in a process of its own
        (name, _, methods), = plan(args.datasets, args.methods)
        part = run_dataset(name, methods, out, _params(args.params))
        (out / f".part_{name}.json").write_text(json.dumps(part, indent=1), encoding="utf-8")
        return 0
    print(f"rulex imported from {rulex.__file__}", flush=True)
    todo = plan(args.datasets, args.methods)
    manifest_path = out / "manifest.json"
    manifest = {"rulex_file": rulex.__file__, "rulex_version": getattr(rulex, "__version__", None),
                "checkout": _checkout(rulex.__file__), "python": sys.version.split()[0],
                "pythonpath": os.environ.get("PYTHONPATH", ""),
                "started": datetime.datetime.now().isoformat(timespec="seconds"),
                "settings": {"hidden": list(HIDDEN), "activation": ACTIVATION, "seed": SEED,
                             "test_size": TEST_SIZE, "max_epochs": EPOCHS,
                             "extract": _params(args.params) or "defaults"},
                "timing_keys_removed": sorted(TIMING_KEYS), "networks": {}, "datasets_failed": {}, "cells": {}}
    total = time.perf_counter()
    for name, task, methods in todo:
        t0 = time.perf_counter()
        part_file = out / f".part_{name}.json"
        part_file.unlink(missing_ok=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--out", str(out), "--datasets", name,
               "--methods", ",".join(methods), "--worker"] + (["--params", args.params] if args.params else [])
        proc = subprocess.run(cmd)
        if proc.returncode != 0 or not part_file.exists():
            manifest["datasets_failed"][name] = f"worker exited with status {proc.returncode}"
            print(f"{name}: worker failed (status {proc.returncode})", flush=True)
        else:
            part = json.loads(part_file.read_text(encoding="utf-8"))
            part_file.unlink()
            manifest["networks"][name] = part["network"]
            manifest["cells"].update(part["cells"])
        print(f"{name}: done in {time.perf_counter() - t0:.0f} s", flush=True)
        manifest["seconds"] = round(time.perf_counter() - total, 1)
        manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    manifest["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    cut = [c for c, e in manifest["cells"].items() if e["budget_cut"]]
    partial = [c for c, e in manifest["cells"].items() if e["partial"] and not e["budget_cut"]]
    near = [c for c in load_sensitive(manifest["cells"], out) if not manifest["cells"][c]["budget_cut"]]
    raised = [c for c, e in manifest["cells"].items() if e["exception"]]
    print(f"\n{len(manifest['cells'])} cells in {manifest['seconds']:.0f} s; budget-cut (wall clock): "
          f"{cut or 'none'}; near the wall-clock budget (load-sensitive): {near or 'none'}; "
          f"partial (size limit): {partial or 'none'}; raised: {raised or 'none'}; "
          f"manifest {manifest_path}")
    return 1 if manifest["datasets_failed"] else 0


# -- compare mode ------------------------------------------------------------------------------------
def _load_manifest(d: Path) -> dict:
    path = d / "manifest.json"
    if not path.exists():
        sys.exit(f"{path} not found (run with --out {d} first)")
    return json.loads(path.read_text(encoding="utf-8"))


def compare(args) -> int:
    a_dir, b_dir = Path(args.compare[0]), Path(args.compare[1])
    A, B = _load_manifest(a_dir), _load_manifest(b_dir)
    la, lb = args.labels or (str(a_dir), str(b_dir))
    ca, cb = A["cells"], B["cells"]
    keep = lambda e: ((not args.datasets or e["dataset"] in args.datasets.split(","))
                      and (not args.methods or e["method"] in args.methods.split(",")))
    ca, cb = {c: e for c, e in ca.items() if keep(e)}, {c: e for c, e in cb.items() if keep(e)}
    if args.datasets or args.methods:
        print(f"restricted to data sets {args.datasets or 'all'}, methods {args.methods or 'all'}")
    common = [c for c in ca if c in cb]
    only_a, only_b = [c for c in ca if c not in cb], [c for c in cb if c not in ca]
    differ, cut_differ = [], []
    sens_a, sens_b = load_sensitive(ca, a_dir), load_sensitive(cb, b_dir)
    print(f"A = {la}: {A.get('checkout', {}).get('commit')} ({A.get('rulex_file')})")
    print(f"B = {lb}: {B.get('checkout', {}).get('commit')} ({B.get('rulex_file')})")
    if A.get("settings") != B.get("settings"):
        print(f"note: the two runs used different settings:\n  {la}: {A.get('settings')}\n  {lb}: {B.get('settings')}")
    for name in sorted(set(A.get("networks", {})) & set(B.get("networks", {}))):
        fa, fb = A["networks"][name]["fingerprint"], B["networks"][name]["fingerprint"]
        if fa != fb:
            print(f"NETWORK DIFFERS on {name}: {fa} vs {fb} (every cell of {name} will differ)")
    for d, M in ((a_dir, A), (b_dir, B)):          # the files are the evidence: hash them again
        for c, e in M["cells"].items():
            f = d / e["file"]
            sha = _sha(f) if f.exists() else "missing"
            if sha != e["sha256"]:
                print(f"note: {f} does not match its manifest's sha256 ({sha[:12]} vs {e['sha256'][:12]}); "
                      "comparing the file")
                e["sha256"] = sha
    for c in common:
        ea, eb = ca[c], cb[c]
        if ea["sha256"] == eb["sha256"]:
            continue
        sides = [(s, sens[c]) for s, sens in ((la, sens_a), (lb, sens_b)) if c in sens]
        differ.append(c)
        if sides:
            cut_differ.append(c)
        print(f"\nDIFFERS {c}" + (f"   [budget-cut or near its wall-clock budget on {' and '.join(s for s, _ in sides)}"
                                  ": load-dependent, not a real change]" if sides else ""))
        for side, reasons in sides:
            print(f"  {side}: " + "; ".join(reasons[:3]))
        lines_a = (a_dir / ea["file"]).read_text(encoding="utf-8").splitlines()
        lines_b = (b_dir / eb["file"]).read_text(encoding="utf-8").splitlines()
        diff = [d for d in difflib.unified_diff(lines_a, lines_b, la, lb, n=1, lineterm="")]
        for d in diff[:DIFF_LINES + 2]:
            print("    " + d[:200])
        if len(diff) > DIFF_LINES + 2:
            print(f"    ... ({len(diff) - DIFF_LINES - 2} more diff lines)")
    for side, only, M in ((la, only_a, ca), (lb, only_b, cb)):
        if only:
            print(f"\nonly in {side}: {_group(only, M)}")
    warn_changed = [c for c in common if ca[c]["sha256"] == cb[c]["sha256"]
                    and [w["type"] for w in ca[c]["warnings"]] != [w["type"] for w in cb[c]["warnings"]]]
    if warn_changed:
        print(f"\nnote: same rules but different warning classes in {', '.join(warn_changed)}")
    identical = len(common) - len(differ)
    cut_any = [c for c in common if c in sens_a or c in sens_b]
    print(f"\n{len(common)} cells compared: {identical} identical, {len(differ)} differ "
          f"({len(cut_differ)} of them budget-cut or near the budget); {len(cut_any)} cells load-sensitive on either "
          f"side; {len(only_a)} only in {la}, {len(only_b)} only in {lb}")
    ok = not differ and not only_a and not only_b
    print("SAME RULES" if ok else "NOT THE SAME")
    if args.summary:
        _summary(A, B, la, lb, common, identical, differ, cut_differ, cut_any, only_a, only_b, ok,
                 (args.datasets, args.methods), path=args.summary)
    return 0 if ok else 1


def _group(only, cells):
    """Cells listed compactly: a data set whose every cell is listed shows as 'NAME (all N)'."""
    by = {}
    for c in only:
        by.setdefault(cells[c]["dataset"], []).append(cells[c]["method"])
    per = {}
    for e in cells.values():
        per[e["dataset"]] = per.get(e["dataset"], 0) + 1
    return "; ".join(f"{d} (all {len(ms)})" if len(ms) == per[d] else f"{d}: {', '.join(ms)}"
                     for d, ms in by.items())


def _summary(A, B, la, lb, common, identical, differ, cut_differ, cut_any, only_a, only_b, ok, restrict=(None, None),
             path=SUMMARY):
    def side(label, M):
        co = M.get("checkout", {})
        dirty = " (tracked files modified)" if co.get("modified_tracked_files") else ""
        extract = (M.get("settings") or {}).get("extract")
        params = f", method parameters instead of the defaults: `{json.dumps(extract)}`" if extract else ""
        return f"- **{label}**: commit `{co.get('commit')}`{dirty}, rulex from `{M.get('rulex_file')}`, " \
               f"{len(M['cells'])} cells in {M.get('seconds', float('nan')):.0f} s{params}"
    lines = ["# Same rules before and after", "",
             "`python benchmarks/same_rules.py --compare A B`: every method's rules (rulex JSON, timing and "
             "memory fields removed, plus the text rendering) on every bundled data set, network and methods "
             "with `rulex compare`'s defaults (seed 0).", "",
             side(la, A), side(lb, B), ""] + ([f"Compared only data sets {restrict[0] or 'all'}, methods "
                                              f"{restrict[1] or 'all'}.", ""] if any(restrict) else []) + [
             f"| cells compared | identical | differing | of which load-sensitive | load-sensitive (either side) | "
             f"only in {la} | only in {lb} |",
             "|---|---|---|---|---|---|---|",
             f"| {len(common)} | {identical} | {len(differ)} | {len(cut_differ)} | {len(cut_any)} | "
             f"{len(only_a)} | {len(only_b)} |", "",
             f"**Verdict: {'identical' if ok else 'NOT identical'}.**", ""]
    if differ:
        lines += ["Differing cells (load-sensitive ones: a wall-clock budget cut them or nearly did on one side; "
                  "load-dependent, not a real change):", ""]
        lines += [f"- `{c}`" + (" (load-sensitive)" if c in cut_differ else "") for c in differ]
        lines.append("")
    if cut_any:
        lines += ["Load-sensitive cells (a wall-clock budget cut them, or they used half of it or more, on at "
                  "least one side; see `load_sensitive` in the script): " + ", ".join(f"`{c}`" for c in cut_any), ""]
    for label, only, M in ((la, only_a, A["cells"]), (lb, only_b, B["cells"])):
        if only:
            lines += [f"Only in {label}: {_group(only, M)}", ""]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    print(f"summary written to {path}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", help="directory for the cells and manifest.json (run mode)")
    p.add_argument("--datasets", help="comma-separated data sets (default: every bundled one); with --compare: "
                                      "compare only these")
    p.add_argument("--methods", help="comma-separated methods (default: every registered one); with --compare: "
                                     "compare only these")
    p.add_argument("--params", help='JSON of per-method parameters instead of the defaults, e.g. '
                   '\'{"brcg": {"max_seconds": null}}\' (recorded in the manifest and in each rule set\'s provenance)')
    p.add_argument("--compare", nargs=2, metavar=("DIR_A", "DIR_B"), help="compare two runs' directories")
    p.add_argument("--labels", nargs=2, metavar=("A", "B"), help="names of the two sides (e.g. commits)")
    p.add_argument("--summary", nargs="?", const=str(SUMMARY), default=None, metavar="PATH",
                   help=f"with --compare: write a Markdown summary (default {SUMMARY.relative_to(RESULTS.parent.parent)})")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.compare:
        return compare(args)
    if not args.out:
        p.error("give --out DIR (run) or --compare DIR_A DIR_B")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
