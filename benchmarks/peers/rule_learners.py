"""General rule learners beside rulex, fitted to the same networks' labels.

For each cell (data set, network seed, fold) of ``benchmarks/compare.py`` (its ``cell_network``:
the fold's rows and a (16,) sigmoid network trained on the training rows), every peer is fitted
on the **network's labels of the training rows** and scored for fidelity on the test rows:
RIPPER (``wittgenstein``, binary only), GOSDT (``gosdt``, its threshold-guessing binarisation), imodels' FIGS, RuleFit, GreedyRuleList and BoostedRules
(binary only), and scikit-learn's CART at several sizes. rulex's methods (and ``auto``, and
compressed outputs) extract from the same network. Peers other than RIPPER see the network's
encoded inputs (min-max scaled numbers, one 0/1 column per category); RIPPER the original columns.

Sizes: rulex and CART are counted the rulex way (a tree's leaves become rules, the leaves of the
class with most leaves are folded into the default; conditions = literal tests). RIPPER: its rules
and their conditions (``feature = bin`` tests). imodels: conditions = the model's ``complexity_``
(FIGS: splits; RuleFit: terms of the non-zero rules and linear terms; GreedyRuleList: rules;
BoostedRules: stumps), rules = leaves / non-zero rules / rules / estimators.

A second table recovers generated k-term DNF concepts (``rulex.data.generated.make_dnf``,
8 categorical inputs of 3 levels and 2 numeric inputs on [0, 1]). The default ``--dnf`` runs ten
(k terms x literals per term) concepts chosen to cover k = 2..8 and 2-4 literals:
2x2, 2x4, 3x3, 4x2, 4x4, 5x3, 6x2, 6x4, 7x3, 8x4 (``random_state=k``). Each has
``--dnf-rows`` (20,000) rows drawn from its definition, split 70/30; one (16,) sigmoid network
(learning rate 0.03, ``train_network``'s default schedule, seed 0) is trained on the 70 % and
its accuracy on the 30 % is reported. Is the concept found exactly (agreement 1.0 with the
concept on the test rows, no more rules than terms), and is the network matched (fidelity
>= 0.99 with no more rules than terms)?

``--oracle-bound`` adds, for each data set run, two reference rows (side ``oracle``, not methods)
at k = half the best peer's conditions (rounded down): ``dnf[k] on test rows``, a DNF rule set of at
most k conditions chosen on the fold's test rows themselves by ``_oracle_bound``'s local search
(a lower bound on the best such rule set: at or above the target, the half-conditions target is not
impossible at that size), and ``dnf[k] on training rows``, the same search fitted honestly on the
network's labels of the training rows. Where the acceptance check fails the summary says which.

Usage::

    python benchmarks/peers/rule_learners.py --datasets breast_cancer,heart --seeds 0 --folds 3 --dnf 2-8
    python benchmarks/peers/rule_learners.py --datasets '' --max-seconds 60 --note "..."   # DNF table only

writes ``benchmarks/results/peers_rule_learners.{csv,md}`` (and ``_dnf.csv``). With ``--datasets ''``
the data-set table is not rerun: its CSV is kept as it is and the report rebuilt from it.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

for _p in (str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)):  # compare.py, _oracle_bound
    if _p not in sys.path:
        sys.path.append(_p)
import compare  # noqa: E402  (benchmarks/ on the path first)
from _oracle_bound import dnf_within  # noqa: E402

RESULTS = Path(__file__).resolve().parents[1] / "results"
RULEX_METHODS = ["surrogate_tree", "surrogate_tree+compress", "cover", "cover+compress", "brcg", "checklist",
                 "checklist+compress", "auto", "cred+compress", "trepan+compress"]
CART_SIZES = (4, 8, 16, 32)


# -- peers ------------------------------------------------------------------------------------------------
def _cart(k, seed):
    def fit(Xe, frame, y, net):
        from sklearn.tree import DecisionTreeClassifier

        from rulex.extractors.pedagogical.surrogate import tree_to_rules
        tree = DecisionTreeClassifier(max_leaf_nodes=k, random_state=seed).fit(Xe, y)
        rs = tree_to_rules(tree, net.encoder.input_names_, task="classification",
                           classes=list(tree.classes_))
        return tree.predict, len(rs), rs.conditions_count()
    return fit


def _ripper(seed):
    def fit(Xe, frame, y, net):
        import wittgenstein as lw
        pos = int(np.argmin(np.bincount(y, minlength=2)))           # the smaller class, as RIPPER does
        clf = lw.RIPPER(random_state=seed)
        train = frame.reset_index(drop=True).assign(__label__=np.asarray(y))
        clf.fit(train, class_feat="__label__", pos_class=pos)
        rules = clf.ruleset_.rules

        def predict(Xe_test, frame_test=None):
            hit = np.asarray(clf.predict(frame_test.reset_index(drop=True)), dtype=bool)
            return np.where(hit, pos, 1 - pos)
        return predict, len(rules), sum(len(r.conds) for r in rules)
    return fit


def _imodels(name, seed):
    def fit(Xe, frame, y, net):
        import imodels
        cls, kw = {"figs": (imodels.FIGSClassifier, {"max_rules": 12}),
                   "rulefit": (imodels.RuleFitClassifier, {"max_rules": 20}),
                   "greedy_rule_list": (imodels.GreedyRuleListClassifier, {"max_depth": 5}),
                   "boosted_rules": (imodels.BoostedRulesClassifier, {"n_estimators": 10})}[name]
        model = cls(random_state=seed, **kw) if "random_state" in cls().get_params() else cls(**kw)
        model.fit(Xe, y)
        conds = int(model.complexity_)
        if name == "figs":
            rules = conds + len(model.trees_)          # leaves of the sum of trees
        elif name == "rulefit":
            r = model._get_rules()
            rules = int((r.coef != 0).sum())
        elif name == "greedy_rule_list":
            rules = len(model.rules_)
        else:
            rules = len(model.estimators_)
        return (lambda X: np.asarray(model.predict(X)).round().astype(int)), rules, conds
    return fit


def _gosdt(seed, depth_budget=5, regularization=0.005, time_limit=20):
    """GOSDT (``gosdt`` 1.0) on inputs binarised by its own threshold guessing (40 boosted stumps'
    cuts), as its authors recommend; sized the rulex way (leaves of the commonest class folded
    into the default, conditions = the other leaves' depths). GOSDT 1.0.4's own ``predict`` calls
    scikit-learn's ``check_array(force_all_finite=...)``, removed in scikit-learn 1.8, so its tree's
    ``predict`` is called directly."""
    def fit(Xe, frame, y, net):
        from collections import Counter

        from gosdt import GOSDTClassifier, ThresholdGuessBinarizer
        enc = ThresholdGuessBinarizer(n_estimators=40, max_depth=1, random_state=seed).set_output(transform="pandas")
        B = enc.fit_transform(pd.DataFrame(Xe), y)
        clf = GOSDTClassifier(regularization=regularization, allow_small_reg=True, depth_budget=depth_budget,
                              time_limit=time_limit).fit(B, y)
        tree = clf.trees_[0]
        leaves: list = []

        def walk(node, d):
            if hasattr(node, "prediction"):
                leaves.append((node.prediction, d))
            else:
                walk(node.left_child, d + 1)
                walk(node.right_child, d + 1)
        walk(tree.tree, 0)
        counts = Counter(p for p, _ in leaves)
        default = max(sorted(counts), key=lambda k: counts[k])
        rules = [d for p, d in leaves if p != default]

        def predict(Xe_test):
            return tree.predict(np.asarray(enc.transform(pd.DataFrame(Xe_test)), dtype=float))
        return predict, len(rules), sum(rules)
    return fit


def peers(seed, n_classes):
    out = {f"cart-{k}": _cart(k, seed) for k in CART_SIZES}
    out["gosdt"] = _gosdt(seed)
    if n_classes == 2:
        out["ripper"] = _ripper(seed)
        for n in ("figs", "rulefit", "greedy_rule_list", "boosted_rules"):
            out[n] = _imodels(n, seed)
    return out


# -- one cell ---------------------------------------------------------------------------------------------
def score_peers(net, train, test, seed, only=None):
    Xtr, Xte = net.encoder.transform(train.frame), net.encoder.transform(test.frame)
    ytr, yte = net.predict_index(Xtr), net.predict_index(Xte)
    feats = net.schema.feature_names
    rows = []
    for name, fit in peers(seed, len(net.classes)).items():
        if only is not None and name not in only:
            continue
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                predict, n_rules, n_conds = fit(Xtr, train.frame[feats], ytr, net)
                secs = time.perf_counter() - t0
                pred = predict(Xte, test.frame[feats]) if name == "ripper" else predict(Xte)
            rows.append({"method": name, "side": "peer", "fidelity": float(np.mean(pred == yte)),
                         "rules": n_rules, "conditions": n_conds, "seconds": secs, "error": ""})
        except Exception as exc:          # a peer's failure is a row, not a stop
            rows.append({"method": name, "side": "peer", "error": f"{type(exc).__name__}: {exc}"[:200]})
    return rows


def _method_params(spec: str) -> tuple[str, dict]:
    """``"cover[prune_metric=accuracy;max_rules=5]"`` -> ``("cover", {...})``: the parameters read as
    the CLI reads ``--param key=value`` (numbers, booleans, None, text)."""
    from rulex.cli import _params
    base, _, rest = spec.partition("[")
    return base, _params([item for item in rest.rstrip("]").split(";") if item])


def score_rulex(net, train, test, seed, methods, max_seconds):
    import rulex
    rows = []
    y_te = net.predict(test.frame)
    for m in methods:
        base, _, comp = m.partition("+")
        base, params = _method_params(base)
        params["random_state"] = seed
        accepted = rulex.extractors.EXTRACTORS[base]().get_params()
        if "max_seconds" in accepted and max_seconds is not None:
            params.setdefault("max_seconds", float(max_seconds))     # a method's own [max_seconds=...] wins
        if base == "trepan":
            params["min_samples"] = 500
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rules = rulex.extract(net, train, method=base, compress=bool(comp), **params)
            secs = time.perf_counter() - t0
            row = {"method": m, "side": "rulex", "fidelity": float(np.mean(rules.predict(test.frame) == y_te)),
                   "rules": len(rules), "conditions": rules.conditions_count(), "seconds": secs, "error": ""}
            if base == "auto":
                w = rules.provenance["winner"]
                row["winner"] = w["method"] + ("+compress" if w["compressed"] else "") + \
                    (f"@{w['compress_tolerance']:g}" if w.get("compress_tolerance") else "") + \
                    (f" {w['parameters']}" if w["parameters"] else "")
            rows.append(row)
        except rulex.RulexError as exc:
            rows.append({"method": m, "side": "rulex", "error": f"{type(exc).__name__}: {exc}"[:200]})
    return rows


def run_grid(datasets, seeds, folds, methods, max_seconds, with_peers=True, only_peers=None):
    rows = []
    if not methods and not with_peers:          # nothing to fit (e.g. an --oracle-bound run alone)
        return pd.DataFrame(columns=["data", "seed", "fold", "method"])
    for data in datasets:
        for seed in seeds:
            for fold in range(folds):
                net, train, test = compare.cell_network(data, seed, fold, folds)
                acc = float(np.mean(net.predict(test.frame) == test.y.to_numpy()))
                for r in (score_peers(net, train, test, seed, only_peers) if with_peers else []) + score_rulex(net, train, test, seed, methods,
                                                                            max_seconds):
                    rows.append({"data": data, "seed": seed, "fold": fold, "network_accuracy": acc, **r})
                print(f"{data} seed {seed} fold {fold} done", flush=True)
    return pd.DataFrame(rows)


def half_budgets(df, datasets) -> dict:
    """``{data: k}``: half the best peer's mean conditions (rounded down, at least 1) per data set."""
    summary = summarize(df)
    out = {}
    for data in datasets:
        peer = summary[(summary.data == data) & (summary.side == "peer")]
        if len(peer):
            p = peer.sort_values(["fidelity", "conditions"], ascending=[False, True]).iloc[0]
            out[data] = max(1, int(p.conditions // 2))
    return out


def oracle_rows(budgets, seeds, folds) -> pd.DataFrame:
    """Per cell, the oracle bound and the same search fitted on the training rows (module docstring)."""
    rows = []
    for data, k in budgets.items():
        for seed in seeds:
            for fold in range(folds):
                net, train, test = compare.cell_network(data, seed, fold, folds)
                acc = float(np.mean(net.predict(test.frame) == test.y.to_numpy()))
                y_te = np.asarray(net.predict(test.frame), dtype=object)
                for name, fit_rows in ((f"dnf[{k}] on test rows", test), (f"dnf[{k}] on training rows", train)):
                    t0 = time.perf_counter()
                    rules = dnf_within(net, fit_rows, k)
                    rows.append({"data": data, "seed": seed, "fold": fold, "network_accuracy": acc, "method": name,
                                 "side": "oracle", "fidelity": float(np.mean(np.asarray(
                                     rules.predict(test.frame), dtype=object) == y_te)), "rules": len(rules),
                                 "conditions": rules.conditions_count(), "seconds": time.perf_counter() - t0,
                                 "error": ""})
                print(f"{data} seed {seed} fold {fold} oracle bound done", flush=True)
    return pd.DataFrame(rows)


# -- generated DNF concepts -------------------------------------------------------------------------------
def same_terms(rules, terms, tol: float = 0.05) -> bool:
    """The rules are the concept's terms: one rule concluding 1 per term, on the same inputs, with the same
    categories and the same numeric comparisons (thresholds within ``tol``); the default is 0."""
    if rules.default != 0 or len(rules) != len(terms) or any(r.conclusion != 1 for r in rules):
        return False
    left = [list(t) for t in terms]
    for r in rules:
        conds = [(c.feature, c.op, c.value) for c in r.conditions if hasattr(c, "feature")]
        if len(conds) != len(r.conditions):
            return False
        for i, t in enumerate(left):
            if len(t) == len(conds) and all(
                    any(f == cf and op == cop and (v == cv if op == "==" else abs(float(v) - float(cv)) <= tol)
                        for cf, cop, cv in conds) for f, op, v in t):
                left.pop(i)
                break
        else:
            return False
    return not left


DNF_CONCEPTS = ((2, 2), (2, 4), (3, 3), (4, 2), (4, 4), (5, 3), (6, 2), (6, 4), (7, 3), (8, 4))
DNF_LR = 0.03


def dnf_recovery(concepts, methods, seed=0, max_seconds=60.0, n_rows=20000):
    """One row per (concept, method); ``concepts`` are (k terms, literals per term) pairs."""
    import rulex
    from rulex.data.generated import make_dnf
    rows = []
    for k, lits in concepts:
        ds, terms = make_dnf(k, lits, n_categorical=8, n_numeric=2, n_samples=n_rows, random_state=k)
        train, test = ds.split(random_state=0)
        net = rulex.train_network(train, (16,), "sigmoid", lr=DNF_LR, random_state=seed)
        acc = float(np.mean(net.predict(test.frame) == test.y.to_numpy()))
        truth = test.y.to_numpy()
        y_te = net.predict(test.frame)
        for m in methods:
            base, _, comp = m.partition("+")
            params = {"random_state": seed}
            if "max_seconds" in rulex.extractors.EXTRACTORS[base]().get_params():
                params["max_seconds"] = float(max_seconds)
            t0 = time.perf_counter()
            rules = rulex.extract(net, train, method=base, compress=bool(comp), **params)
            pred = rules.predict(test.frame)
            rows.append({"k": k, "literals": lits, "network_accuracy": acc, "method": m,
                         "same_terms": same_terms(rules, terms),
                         "fidelity": float(np.mean(pred == y_te)), "concept_agreement": float(np.mean(pred == truth)),
                         "rules": len(rules), "conditions": rules.conditions_count(),
                         "concept_conditions": k * lits, "seconds": time.perf_counter() - t0})
        # RIPPER on the network's labels, the yardstick
        Xtr = net.encoder.transform(train.frame)
        predict, n_rules, n_conds = _ripper(seed)(Xtr, train.frame[net.schema.feature_names],
                                                  net.predict_index(Xtr), net)
        t0 = time.perf_counter()
        pred_i = predict(None, test.frame[net.schema.feature_names])
        pred = np.asarray(net.classes, dtype=object)[pred_i]
        rows.append({"k": k, "literals": lits, "network_accuracy": acc, "method": "ripper (peer)", "same_terms": False,
                     "fidelity": float(np.mean(pred == y_te)), "concept_agreement": float(np.mean(pred == truth)),
                     "rules": n_rules, "conditions": n_conds, "concept_conditions": k * lits,
                     "seconds": time.perf_counter() - t0})
        print(f"dnf k={k} literals={lits} done", flush=True)
    df = pd.DataFrame(rows)
    df["exact"] = df["same_terms"] | ((df["concept_agreement"] >= 1.0) & (df["rules"] <= df["k"]))
    df["faithful_small"] = (df["fidelity"] >= 0.99) & (df["rules"] <= df["k"])
    return df


# -- report -----------------------------------------------------------------------------------------------
def summarize(df):
    ok = df[df["error"].astype(object).fillna("") == ""]
    g = ok.groupby(["data", "side", "method"])
    s = g[["fidelity", "rules", "conditions", "seconds"]].mean()
    s["cells"] = g.size()
    return s.reset_index()


def _oracle_note(sub, peer) -> str:
    """The oracle bound's reading (``--oracle-bound`` rows of this data set), or ''."""
    orc = sub[sub.side == "oracle"]
    test = orc[orc.method.str.endswith("on test rows")]
    if test.empty:
        return ""
    o, target = test.iloc[0], peer.fidelity - 0.005
    k = o.method.partition("[")[2].partition("]")[0]
    text = (f"; oracle bound: a DNF of at most {k} conditions chosen on the test rows themselves (so fitted to "
            f"the rows it is scored on) reaches {o.fidelity:.4f} ({o.conditions:.1f} conditions)")
    text += (", so the target is not impossible at this size: rulex's fits on the training rows fall short of a "
             "rule set that exists" if o.fidelity >= target else
             ", below the target (a heuristic search: not a proof that no such rule set exists)")
    train = orc[orc.method.str.endswith("on training rows")]
    if len(train):
        text += f" (the same search fitted on the training rows: {train.iloc[0].fidelity:.4f})"
    return text


def dominates_table(summary):
    lines = [("| data | best peer (fidelity, rules, conditions) | best rulex (fidelity, rules, conditions) | "
             "rulex with fidelity >= peer - 0.005 and <= half its conditions | dominates (fidelity >=, conditions <=) |"),
             "|---|---|---|---|---|"]
    for data, sub in summary.groupby("data"):
        peer = sub[sub.side == "peer"].sort_values(["fidelity", "conditions"], ascending=[False, True])
        rx = sub[sub.side == "rulex"].sort_values(["fidelity", "conditions"], ascending=[False, True])
        if peer.empty or rx.empty:
            continue
        p, b = peer.iloc[0], rx.iloc[0]
        half = rx[(rx.fidelity >= p.fidelity - 0.005) & (rx.conditions <= p.conditions / 2)]
        dom = rx[(rx.fidelity >= p.fidelity) & (rx.conditions <= p.conditions)]
        if half.empty:
            small = rx[rx.fidelity >= p.fidelity - 0.005].sort_values("conditions")
            why = (f"**no**: smallest within 0.005 is {small.iloc[0].method} with {small.iloc[0].conditions:.1f} "
                   f"conditions (> {p.conditions / 2:.1f})" if not small.empty else
                   f"**no**: best rulex fidelity is {p.fidelity - b.fidelity:.4f} below the peer")
            within = rx[rx.conditions <= p.conditions / 2]
            if not within.empty:
                w = within.iloc[0]
                why += (f"; the most faithful rulex within {p.conditions / 2:.1f} conditions is {w.method} "
                        f"({w.fidelity:.4f}, {w.conditions:.1f}), {p.fidelity - 0.005 - w.fidelity:.4f} short")
            why += _oracle_note(sub, p)
            if p.fidelity >= 1.0 and p.conditions <= b.conditions:
                why += (f" (the peer already returns the network's function exactly with {p.conditions:.1f} "
                        "conditions, the fewest of any exact method, peer or rulex)")
        else:
            why = "**yes**: " + ", ".join(f"{r.method} ({r.fidelity:.4f}, {r.conditions:.1f})"
                                           for r in half.sort_values("conditions").itertuples())
        lines.append(f"| {data} | {p.method} ({p.fidelity:.4f}, {p.rules:.1f}, {p.conditions:.1f}) | "
                     f"{b.method} ({b.fidelity:.4f}, {b.rules:.1f}, {b.conditions:.1f}) | {why} | "
                     + (", ".join(dom.method) or "none") + " |")
    return "\n".join(lines)


def write_report(df, dnf, args_line, wall, out=RESULTS, write_main_csv=True):
    out.mkdir(parents=True, exist_ok=True)
    parts = ["# General rule learners beside rulex", "",
             "Produced by `benchmarks/peers/rule_learners.py` (" + args_line + f"; {wall:.0f} s wall on 2 shared "
             "cores; the wall time is 0 when the report was rebuilt from the CSVs). Every peer is fitted on the network's labels of the fold's training rows; fidelity is "
             "agreement with the network on the fold's test rows. Sizes are counted as the script's docstring says. "
             "Mean over the cells run.", ""]
    if df is not None and len(df):
        if write_main_csv:
            df.to_csv(out / "peers_rule_learners.csv", index=False)
        summary = summarize(df)
        parts += ["## Summary", "", ("*Acceptance column*: some rulex method has fidelity >= the best peer's "
                  "minus 0.005 with at most half of its conditions."), "", dominates_table(summary), "",
                  "## Every method", ""]
        for data, sub in summary.groupby("data"):
            parts += [f"### {data}", "", "| side | method | fidelity | rules | conditions | seconds | cells |",
                      "|---|---|---:|---:|---:|---:|---:|"]
            for r in sub.sort_values(["fidelity", "conditions"], ascending=[False, True]).itertuples():
                parts.append(f"| {r.side} | {r.method} | {r.fidelity:.4f} | {r.rules:.1f} | {r.conditions:.1f} | "
                             f"{r.seconds:.2f} | {r.cells} |")
            if "winner" in df:
                wins = df[(df.data == data) & (df.method == "auto")]["winner"].dropna()
                if len(wins):
                    parts.append("")
                    parts.append("auto's winners: " + "; ".join(wins))
            parts.append("")
        errs = df[df["error"].astype(object).fillna("") != ""]
        if len(errs):
            parts += ["### Errors", ""] + [f"- {r.data} seed {r.seed} fold {r.fold} {r.method}: {r.error}"
                                          for r in errs.itertuples()] + [""]
    if dnf is not None and len(dnf):
        dnf.to_csv(out / "peers_rule_learners_dnf.csv", index=False)
        parts += ["## Generated k-term DNF concepts", "",
                  ("`make_dnf(k, literals, 8 categorical + 2 numeric inputs, rows, random_state=k)` (the concepts "
                  "and row count are in the run line above and the script's docstring), "
                  f"70/30 split, one (16,) sigmoid network (learning rate {DNF_LR}, seed 0). *exact*: the rules agree with the concept on "
                  "every test row with no more rules than terms, or its rules are the concept's terms (same inputs, categories and comparisons, numeric thresholds within 0.05); *faithful & small*: fidelity >= 0.99 with no more "
                  "rules than terms."), "",
                  ("| k | literals | network acc. | method | fidelity | concept agreement | rules | conditions "
              "(concept) | exact | faithful & small | seconds |"), "|---:|---:|---:|---|---:|---:|---:|---:|:-:|:-:|---:|"]
        for r in dnf.itertuples():
            parts.append(f"| {r.k} | {r.literals} | {r.network_accuracy:.4f} | {r.method} | {r.fidelity:.4f} | "
                         f"{r.concept_agreement:.4f} | {r.rules} | {r.conditions} ({r.concept_conditions}) | "
                         f"{'yes' if r.exact else 'no'} | {'yes' if r.faithful_small else 'no'} | {r.seconds:.1f} |")
        tally = dnf.groupby("method")[["exact", "faithful_small"]].sum().astype(int)
        n_c = len(dnf[["k", "literals"]].drop_duplicates())
        parts += ["", "Counts over the concepts: " + "; ".join(
            f"{m}: exact {r.exact}/{n_c}, faithful & small {r.faithful_small}/{n_c}"
            for m, r in tally.iterrows()), ""]
    notes = Path(__file__).with_name("rule_learners_notes.md")     # hand-written reading, copied as it is
    if notes.exists():
        parts += ["", notes.read_text(encoding="utf-8")]
    (out / "peers_rule_learners.md").write_text("\n".join(parts) + "\n", encoding="utf-8")


def _concepts(text):
    """``'2x2,3x4'`` (k terms x literals), or k values ``'2-8'`` / ``'2,5'`` with 2 + k % 3 literals."""
    if "x" in text:
        return [tuple(int(v) for v in t.split("x")) for t in text.split(",") if t]
    if "-" in text:
        a, b = text.split("-")
        ks = list(range(int(a), int(b) + 1))
    else:
        ks = [int(t) for t in text.split(",") if t]
    return [(k, 2 + k % 3) for k in ks]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", default="breast_cancer,heart,monk1,xor")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--methods", default=",".join(RULEX_METHODS))
    ap.add_argument("--max-seconds", type=float, default=60.0)
    ap.add_argument("--dnf", default=",".join(f"{k}x{n}" for k, n in DNF_CONCEPTS),
                    help="DNF concepts as k x literals pairs ('2x2,3x4'), or k values ('2-8'); '' to skip")
    ap.add_argument("--dnf-rows", type=int, default=20000)
    ap.add_argument("--dnf-methods", default="cover,brcg,auto")
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--note", default="", help="run description for a --reuse report")
    ap.add_argument("--reuse", action="store_true", help="rebuild the report from the CSVs in --out")
    ap.add_argument("--merge", action="store_true",
                    help="keep the rows of the existing CSV that this run does not redo (same data, seed, fold, method)")
    ap.add_argument("--no-peers", action="store_true", help="run rulex's methods only (with --merge: keep the peers' rows)")
    ap.add_argument("--oracle-bound", action="store_true",
                    help="add the oracle-bound rows of each data set run (the docstring says what they are)")
    ap.add_argument("--peers", default=None, help="comma-separated peers to run (default: all of them)")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    if args.reuse:
        out = Path(args.out)
        df = pd.read_csv(out / "peers_rule_learners.csv") if (out / "peers_rule_learners.csv").exists() else None
        dnf = (pd.read_csv(out / "peers_rule_learners_dnf.csv")
               if (out / "peers_rule_learners_dnf.csv").exists() else None)
        write_report(df, dnf, args.note or "rebuilt from the CSVs", 0.0, out, write_main_csv=False)
        return
    datasets = [d for d in args.datasets.split(",") if d]
    out = Path(args.out)
    df = run_grid(datasets, [int(s) for s in args.seeds.split(",")], args.folds,
                  [m for m in args.methods.split(",") if m], args.max_seconds, with_peers=not args.no_peers,
                  only_peers=None if args.peers is None else set(args.peers.split(","))) \
        if datasets else None
    keep = df is None and (out / "peers_rule_learners.csv").exists()
    if keep:          # DNF-only run: the data-set table is the earlier run's, its CSV left as it is
        df = pd.read_csv(out / "peers_rule_learners.csv")
    elif args.merge and (out / "peers_rule_learners.csv").exists():
        old = pd.read_csv(out / "peers_rule_learners.csv")
        if df is not None and len(df):
            key = ["data", "seed", "fold", "method"]
            redone = pd.MultiIndex.from_frame(df[key])
            old = old[~pd.MultiIndex.from_frame(old[key]).isin(redone)]
        df = pd.concat([old, df], ignore_index=True) if df is not None and len(df) else old
    if args.oracle_bound and datasets and df is not None:
        budgets = half_budgets(df, datasets)
        key = ["data", "seed", "fold", "method"]
        new = oracle_rows(budgets, [int(s) for s in args.seeds.split(",")], args.folds)
        if len(new):
            df = df[~pd.MultiIndex.from_frame(df[key]).isin(pd.MultiIndex.from_frame(new[key]))]
            df = pd.concat([df, new], ignore_index=True)
    dnf = dnf_recovery(_concepts(args.dnf), args.dnf_methods.split(","), max_seconds=args.max_seconds,
                       n_rows=args.dnf_rows) if args.dnf else None
    if dnf is None and (out / "peers_rule_learners_dnf.csv").exists():
        dnf = pd.read_csv(out / "peers_rule_learners_dnf.csv")
    dnf_line = (f"--dnf {args.dnf!r} --dnf-rows {args.dnf_rows} --dnf-methods {args.dnf_methods} "
                f"--max-seconds {args.max_seconds:g}")
    if keep:
        line = (args.note or "data-set table from an earlier run (its CSV)") + "; DNF table: " + dnf_line
    else:
        line = " ".join(["--datasets", args.datasets, "--seeds", args.seeds, "--folds", str(args.folds),
                         "--max-seconds", f"{args.max_seconds:g}"] + (["--merge"] if args.merge else [])
                        + (["--oracle-bound"] if args.oracle_bound else [])) \
            + ", " + dnf_line
        line += f" ({args.note})" if args.note else ""
    write_report(df, dnf, line, time.perf_counter() - start, out, write_main_csv=not keep)


if __name__ == "__main__":
    main()
