"""The facts an audit report shows, as plain Python data: :func:`audit_facts`.

The HTML report (:mod:`rulex.formats.html`) and the Markdown one (:mod:`rulex.formats.text`)
both render these facts; this module renders nothing. The size curve (:func:`size_curve`) is,
for k = 0..n, the agreement of the rule set cut to its first k rules with the same default (see
the :mod:`rulex.formats.html` docstring).
"""
from __future__ import annotations

import warnings
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from .._version import __version__
from ..evaluate import evaluate
from ..exceptions import RulexError, RulexWarning
from ..metrics import agreement, coverage_stats, rule_table
from ..rules.render import format_conditions, format_value
from ..verification import verify
from ..verification.radius import check_radius

__all__ = ["audit_facts", "size_curve", "explanation_rows"]


def size_curve(rules, frame, reference, max_points: int = 80) -> pd.DataFrame:
    """Agreement with ``reference`` of the first-k-rules cut of ``rules`` (same default), k = 0..n.

    Columns ``k`` and ``agreement`` (share of equal predictions, or R^2 for regression).
    """
    n = len(rules)
    ks = list(range(n + 1))
    if len(ks) > max_points:
        ks = sorted(set(np.linspace(0, n, max_points).round().astype(int).tolist()))
    M = rules.matches(frame)
    out = []
    for k in ks:
        cut = rules.replace(rules=rules.rules[:k])
        pred = cut._conclusions(cut.decide(frame, M[:, :k]), frame)
        out.append({"k": k, "agreement": agreement(pred, reference, rules.task)})
    return pd.DataFrame(out)


def _feature_summary(col: pd.Series, feature) -> str:
    values = col.dropna()
    if feature is not None and feature.is_discrete:
        counts = values.value_counts()
        shown = [f"{format_value(k)}: {int(v)}" for k, v in counts.head(6).items()]
        more = len(counts) - 6
        return ", ".join(shown) + (f", … ({more} more)" if more > 0 else "")
    if values.empty:
        return "all missing"
    x = pd.to_numeric(values, errors="coerce").astype(float)
    return (f"min {x.min():.6g}, median {x.median():.6g}, max {x.max():.6g}, "
            f"mean {x.mean():.6g}")


#: Radii (shares of each numeric feature's range) at which a report proves fidelity by default.
DEFAULT_RADII = (0.01, 0.05)
#: Rows (a seeded sample of the evaluation rows) whose boxes a report proves, and its wall-clock net.
REPORT_ROWS, REPORT_SECONDS = 1000, 60


def audit_facts(rules, network=None, dataset=None, *, date: str | None = None, digits: int = 6,
                radii=DEFAULT_RADII) -> dict:
    """Everything an audit report shows, as plain Python data (see the :mod:`rulex.formats.html` docstring).

    With a network and data, ``radii`` (default 0.01 and 0.05; empty for none) adds ``certified``: per
    radius, the certified fidelity of :func:`rulex.verify` on the evaluation rows (at most
    :data:`REPORT_ROWS`, a seeded sample) and the sentence that states it.
    """
    facts = _rule_facts(rules, date, digits)
    if network is not None:
        facts["network"] = _network_facts(network)
        expected = rules.provenance.get("network_fingerprint")
        if expected and expected != facts["network"]["fingerprint"]:
            facts["warnings"].append(f"the network's fingerprint {facts['network']['fingerprint']} differs from "
                                     f"the one the rules were extracted from ({expected})")
    if dataset is not None:
        facts["data"] = _data_facts(dataset, facts["features_used"])
        _add_scores(facts, rules, network, dataset)
    facts["certified"] = []
    if network is not None and dataset is not None and radii:
        facts["certified"] = _radius_facts(rules, network, dataset, radii, facts["warnings"])
    return facts


def _radius_facts(rules, network, dataset, radii, warn: list) -> list:
    """Certified fidelity at each radius on (a seeded sample of) the evaluation rows."""
    radii = [check_radius(r, "radii") for r in ([radii] if isinstance(radii, (int, float)) else radii)]
    frame = rows = dataset.frame
    if len(frame) > REPORT_ROWS:     # a seeded sample, in the rows' order
        rows = frame.iloc[np.sort(np.random.default_rng(0).choice(len(frame), REPORT_ROWS, replace=False))]
    out = []
    for r in radii:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RulexWarning)   # the fingerprint warning is in the facts already
                v = verify(rules, network, rows, max_seconds=REPORT_SECONDS, radius=r)
        except RulexError as exc:
            warn.append(f"certified fidelity at radius {r:g} was not computed: {exc}")
            continue
        out.append({"radius": r, "certified_fidelity": v.certified_fidelity, "sampled_fidelity": v.sampled_fidelity,
                    "sampled_upper_bound": v.sampled_upper_bound, "unknown_share": v.unknown_share,
                    "rows": len(rows), "of_rows": len(frame), "complete": v.complete, "sentence": v.sentence(),
                    "seconds": round(v.seconds, 2)})
    return out


def _rule_facts(rules, date: str | None, digits: int) -> dict:
    """The facts of the rules alone: size, semantics, parameters, the numbered rules, provenance."""
    schema = rules.schema if rules.space == "original" else None
    p = rules.provenance
    facts = {
        "target": rules.target or "prediction",
        "task": rules.task,
        "semantics": rules.semantics,
        "semantics_text": ("ordered: the first rule that holds decides; if none holds, the default"
                           if rules.semantics == "ordered" else
                           "unordered: every rule that holds votes with its weight; the largest total wins; "
                           "ties go to the tied class whose first firing rule is earliest; "
                           "if none holds, the default"),
        "method": p.get("method"), "kind": p.get("kind"), "parameters": p.get("parameters") or {},
        "chosen": _auto_choice(p),
        "n_rules": len(rules), "n_conditions": rules.conditions_count(),
        "features_used": rules.features_used(),
        "default": format_value(rules.default),
        "rules": [],
        "provenance": {
            "rulex version (extraction)": p.get("rulex_version"),
            "rulex version (report)": __version__,
            "network fingerprint": p.get("network_fingerprint"),
            "extraction data": p.get("data"),
            "extraction data rows": p.get("data_rows"),
            "extraction data fingerprint": p.get("data_fingerprint"),
            "fidelity on the extraction rows": p.get("train_fidelity"),
            "extraction seconds": (p.get("run") or {}).get("seconds"),
            "extraction peak memory (MiB)": (p.get("run") or {}).get("peak_memory_mb"),
            "report date (UTC)": date or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        },
        "warnings": [],
        "data": None, "network": None, "metrics": None, "confusion": None, "per_class_fidelity": None,
        "rule_stats": None, "curve": None,
        "verification": p.get("verification"),
    }
    for i, r in enumerate(rules.rules, 1):
        facts["rules"].append({
            "verified": (r.provenance.get("verification") or {}).get("status"),
            "number": i, "if": format_conditions(r.conditions, schema, digits),
            "then": format_value(r.conclusion), "weight": r.weight, "support": r.support,
            "precision": r.precision})
    return facts


def _params_text(params) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted((params or {}).items()))


def _auto_choice(p) -> dict | None:
    """What ``method="auto"`` chose (its provenance's ``winner``), in words, and every candidate it
    tried as table rows; None for rules of any other method."""
    w = p.get("winner")
    if not w:
        return None
    params = _params_text(w.get("parameters"))
    detail = (f" ({params})" if params else "") + (", compressed" if w.get("compressed") else "")
    best, own = p.get("best_holdout_fidelity"), w.get("holdout_fidelity")
    tol = (p.get("parameters") or {}).get("tolerance")
    if own is not None and best is not None:
        detail += (f": held-out fidelity {own:.4f}, the fewest conditions within {tol} of the best candidate's "
                   f"{best:.4f}")
    if w.get("confirm_fidelity") is not None:      # the short list refitted on all rows (auto's selection)
        detail += f"; confirmed refitted on all rows: fidelity {w['confirm_fidelity']:.4f} on fresh points"
    rows = [(c.get("method"), _params_text(c.get("parameters")), "yes" if c.get("compressed") else "",
             "" if c.get("holdout_fidelity") is None else f"{c['holdout_fidelity']:.4f}",
             c.get("rules", ""), c.get("conditions", ""), c.get("error", c.get("skipped", "")))
            for c in p.get("candidates") or []]
    return {"method": w.get("method"), "detail": detail, "candidates": rows}


def _network_facts(network) -> dict:
    return {
        "architecture": "-".join(map(str, network.architecture)),
        "layers": [f"{layer.n_inputs} → {layer.n_units}, {layer.activation}" for layer in network.layers],
        "task": network.task, "classes": [format_value(c) for c in network.classes],
        "fingerprint": network.fingerprint(),
    }


def _data_facts(dataset, features_used) -> dict:
    """The evaluation rows: per-feature summaries and the target's."""
    frame = dataset.frame
    feats = []
    for f in dataset.schema.features:
        col = frame[f.name]
        feats.append({"name": f.name, "kind": f.kind, "missing": int(col.isna().sum()),
                      "summary": _feature_summary(col, f), "used": f.name in features_used})
    y = dataset.y
    if dataset.task == "classification":
        target_summary = ", ".join(f"{format_value(k)}: {int(v)}" for k, v in y.value_counts().items())
    else:
        target_summary = _feature_summary(y, None)
    return {"name": dataset.name, "rows": len(dataset), "fingerprint": dataset.fingerprint(),
            "features": feats, "target": dataset.target, "target_summary": target_summary}


def _add_scores(facts: dict, rules, network, dataset) -> None:
    """Metrics, confusion, per-rule statistics and the size curve on the evaluation rows: against the
    network and the truth (:func:`rulex.evaluate`) with a network, against the truth alone without."""
    frame = dataset.frame
    y_true = dataset.y.to_numpy()
    matches = rules.matches(frame)
    decided = rules.decide(frame, matches)
    y_rules = rules._conclusions(decided, frame)
    if network is not None:
        rep = evaluate(rules, network, dataset)
        facts["metrics"] = rep.to_dict()
        facts["metrics"].pop("rules", None)
        facts["metrics"].pop("confusion", None)
        facts["metrics"].pop("per_class_fidelity", None)
        facts["network"]["accuracy"] = rep.network_accuracy
        if rep.confusion is not None:
            facts["confusion"] = rep.confusion
            facts["per_class_fidelity"] = {format_value(k): v for k, v in rep.per_class_fidelity.items()}
        facts["rule_stats"] = rep.rules
        y_net = network.predict(frame)
        curve = size_curve(rules, frame, y_net).rename(columns={"agreement": "fidelity"})
        curve["accuracy"] = size_curve(rules, frame, y_true)["agreement"]
    else:
        facts["metrics"] = {"n_rows": len(frame), "accuracy": agreement(y_rules, y_true, rules.task),
                            **coverage_stats(rules, matches)}
        facts["rule_stats"] = rule_table(rules, decided, matches, y_true, y_rules=y_rules).rename(
            columns={"precision_network": "precision_truth", "rmse_network": "rmse_truth"})
        curve = size_curve(rules, frame, y_true).rename(columns={"agreement": "accuracy"})
    facts["curve"] = curve


def explanation_rows(frame: pd.DataFrame, digits: int = 4):
    """Header and display rows of an explanation table (numbers rounded for display)."""
    def cell(v):
        if isinstance(v, float):
            return "" if v != v else f"{v:.{digits}g}"
        return "" if v is None else str(v)
    return [str(c) for c in frame.columns], [[cell(v) for v in row] for row in frame.itertuples(index=False)]
