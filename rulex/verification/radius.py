"""Certified fidelity at a radius: for every data row, prove that the rules and the network agree on the
whole box of half-width ``radius x (max - min)`` around the row's numeric values (ALGORITHMS-3 §1).

The box of a row clips each numeric or integer feature's interval to the domain (the training range or
the user's ``bounds``; widened to hold the row itself when the row lies outside it); categorical,
binary and ordinal features keep the row's value unless named in ``free``, where every category is
tried (one box per combination). Per row the answer is ``certified`` (no point of the box is decided
differently), ``counterexample`` (a real row in the box, in original units, where ``rules.predict`` and
``network.predict`` differ) or ``unknown``. Beside the certified share stand two sampled figures on the
same rows: the rows' own fidelity, and an upper bound (the share of rows where no sampled point of the
box disagrees). The gap between the certified share and that bound is what the verifier left unknown
plus the rows whose only disagreeing points the sample missed: the verifier's counterexamples lie at or near
the box's corners (benchmarks/results/verify.md §7), where uniform points in many dimensions almost never
fall, so with nothing unknown the certified share is exact and the sampled bound is the looser figure.
"""
from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ..rules.conditions import MofN
from .local import Roots, decide_roots, disagree, native_record

__all__ = ["check_radius", "check_free", "thresholds_of", "row_boxes", "verify_rows", "verify_partitions", "is_dask_frame", "rule_summary",
           "counterexample_frame", "MAX_ROOTS"]

#: Most boxes (rows x combinations of freed categories) one call may decide.
MAX_ROOTS = 2_000_000


def check_radius(radius, name: str = "radius") -> float:
    """``radius`` as a float in (0, 1], or a DataError naming it."""
    if isinstance(radius, (bool, np.bool_)) or not isinstance(radius, (int, float, np.integer, np.floating)):
        raise DataError(f"{name} must be a number in (0, 1] (a share of each feature's range), got {radius!r}")
    r = float(radius)
    if math.isnan(r) or not 0 < r <= 1:
        raise DataError(f"{name} must be in (0, 1] (a share of each feature's range, e.g. 0.01), got {radius!r}")
    return r


def check_free(free, schema) -> list:
    free = [] if free is None else ([free] if isinstance(free, str) else list(free))
    for name in free:
        if name not in schema:
            raise DataError(f"free names {name!r}, which is not a feature of the network")
        if schema[name].kind in ("numeric", "integer"):
            raise DataError(f"free names {name!r}, a {schema[name].kind} feature: numeric features already range "
                            "within the radius; free lists categorical, binary or ordinal features")
    return free


def row_boxes(domain, rows: pd.DataFrame, radius: float, free=(), radii: dict | None = None) -> tuple:
    """The boxes (:class:`~rulex.verification.local.Roots`) around ``rows`` and a column ``_row`` naming
    the row each box belongs to. ``radii`` may give a per-feature radius (0 fixes a feature)."""
    schema = domain.schema
    num = [f.name for f in domain.features if f.kind in ("numeric", "integer")]
    free = list(free)
    combos: list = [()]
    if free:
        n = math.prod(len(schema[f].categories) for f in free)
        if n * len(rows) > MAX_ROOTS:
            raise DataError(f"free={free} makes {n} boxes per row, {n * len(rows):,} in all (limit {MAX_ROOTS:,}); "
                            "free fewer features or verify fewer rows")
        combos = list(itertools.product(*(schema[f].categories for f in free)))
    base = rows.reset_index(drop=True)
    frames = []
    for combo in combos:
        part = base.copy()
        for f, v in zip(free, combo):
            part[f] = pd.Series([v] * len(part), dtype=base[f].dtype if len(part) else object)
        part["_row"] = np.arange(len(part))
        frames.append(part)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    lo = np.empty((len(frame), len(num)))
    hi = np.empty((len(frame), len(num)))
    for j, name in enumerate(num):
        span = domain.full[name]
        x = pd.to_numeric(frame[name]).to_numpy(dtype=float)
        r = radius if radii is None else radii.get(name, radius)
        w = r * (span.hi - span.lo)
        lo[:, j] = np.maximum(np.minimum(span.lo, x), x - w)
        hi[:, j] = np.minimum(np.maximum(span.hi, x), x + w)
        if schema[name].kind == "integer":
            lo[:, j], hi[:, j] = np.ceil(lo[:, j]), np.floor(hi[:, j])
    return Roots(frame.drop(columns="_row"), num, lo, hi), frame["_row"].to_numpy()


def thresholds_of(rules) -> dict:
    """``{feature: sorted thresholds}`` of the rules' ``<=``/``>`` tests (m-of-n tests included)."""
    out: dict = {}
    for r in rules.rules:
        for c in r.conditions:
            for sub in (c.conditions if isinstance(c, MofN) else (c,)):
                if sub.op in ("<=", ">"):
                    out.setdefault(sub.feature, set()).add(float(sub.value))
    return {f: np.array(sorted(v)) for f, v in out.items()}



def _on_thresholds(v, lo, hi, num, thresholds, rng):
    """Half of the sampled points moved onto a rule threshold inside their box (one numeric feature each,
    exactly on it or on the next double above): where thin slivers of disagreement start."""
    n = len(v)
    pick = rng.uniform(size=n) < 0.5
    for j, name in enumerate(num):
        ts = thresholds.get(name)
        if ts is None or not len(ts):
            continue
        t = ts[rng.integers(0, len(ts), size=n)]
        t = np.where(rng.uniform(size=n) < 0.5, t, np.nextafter(t, np.inf))
        mine = pick & (rng.integers(0, len(num), size=n) == j) & (t >= lo[:, j]) & (t <= hi[:, j])
        v[mine, j] = t[mine]
    return v


def _sampled_upper(domain, roots: Roots, owner, n_rows, rules, network, tol, n_samples, rng, chunk=200_000):
    """Share of rows where no point sampled in their boxes (and not the row) disagrees: uniform points,
    half of them then moved onto a rule threshold inside the box (:func:`_on_thresholds`)."""
    thresholds = thresholds_of(rules)
    agree = np.ones(n_rows, dtype=bool)
    R = len(roots.rows)
    per = max(1, chunk // max(n_samples, 1))
    integer = np.array([domain.schema[n].kind == "integer" for n in roots.num], dtype=bool)
    for s in range(0, R, per):
        idx = np.arange(s, min(R, s + per))
        rep = np.repeat(idx, n_samples)
        frame = roots.rows.iloc[rep].reset_index(drop=True).copy()
        U = rng.uniform(size=(len(rep), len(roots.num)))
        v = roots.lo[rep] + U * (roots.hi[rep] - roots.lo[rep])
        v = _on_thresholds(v, roots.lo[rep], roots.hi[rep], roots.num, thresholds, rng)
        for j, name in enumerate(roots.num):
            frame[name] = np.round(v[:, j]).astype(np.int64) if integer[j] else v[:, j]
        bad = disagree(rules, network, frame, tol)
        if bad.any():
            agree[np.unique(owner[rep[bad]])] = False
    return agree


def verify_rows(rules, network, domain, rows: pd.DataFrame, radius: float, *, free=(), tol=None,
                max_nodes: int = 200, deadline: float = math.inf, delta: float = 1e-6, n_samples: int = 200,
                random_state=0, progress=None) -> dict:
    """Per-row certification at ``radius`` and the sampled figures beside it (see the module docstring).

    Returns a dict: ``rows`` (DataFrame: ``row``, ``status``, ``rule``, ``nodes``, ``engine``, ``seconds``),
    ``counterexamples`` (per row, a one-row frame or None), ``certified_fidelity``, ``sampled_fidelity``,
    ``sampled_upper_bound``, ``unknown_share``, ``complete``.
    """
    free = check_free(free, network.schema)
    for f in network.schema.features:
        if f.name in rows.columns and rows[f.name].isna().any():
            raise DataError(f"column {f.name!r} has a missing value (row {rows.index[rows[f.name].isna()][0]!r}): "
                            "verification at a radius needs complete rows; drop or fill them first")
    rng = np.random.default_rng(random_state)
    rows = rows[network.schema.feature_names].reset_index(drop=True)
    roots, owner = row_boxes(domain, rows, radius, free)
    t0 = time.monotonic()
    out = decide_roots(network, domain, roots, rules=rules, tol=tol, max_nodes=max_nodes, deadline=deadline,
                       delta=delta, rng=rng, progress=progress)
    n = len(rows)
    rank = {"counterexample": 2, "unknown": 1, "certified": 0}
    status = np.zeros(n, dtype=np.int64)
    np.maximum.at(status, owner, np.array([rank[s] for s in out.status], dtype=np.int64))
    nodes = np.zeros(n, dtype=np.int64)
    np.add.at(nodes, owner, out.nodes)
    seconds = np.zeros(n)
    np.add.at(seconds, owner, out.seconds)
    cex: list = [None] * n
    engine = [""] * n
    for k, r in enumerate(owner):
        if out.row[k] is not None and cex[r] is None:
            cex[r] = out.row[k]
        if not engine[r] or out.engine[k] == "milp":
            engine[r] = out.engine[k]
    names = {2: "counterexample", 1: "unknown", 0: "certified"}
    decided = rules.decide(rows) if len(rows) else np.zeros(0, dtype=np.int64)
    frame = pd.DataFrame({"row": np.arange(n), "status": [names[int(s)] for s in status],
                          "rule": [("default" if d < 0 else int(d) + 1) for d in decided],
                          "nodes": nodes, "engine": engine, "seconds": np.round(seconds, 5)})
    upper = _sampled_upper(domain, roots, owner, n, rules, network, tol, n_samples, rng)
    agree_rows = ~disagree(rules, network, rows, tol) if n else np.zeros(0, dtype=bool)
    upper &= agree_rows
    sampled = float(np.mean(agree_rows)) if n else float("nan")
    share = (lambda s: float(np.mean(frame["status"] == s)) if n else float("nan"))
    return {"rows": frame, "counterexamples": cex, "certified_fidelity": share("certified"),
            "sampled_fidelity": sampled, "sampled_upper_bound": float(np.mean(upper)) if n else float("nan"),
            "unknown_share": share("unknown"), "complete": out.complete, "seconds": time.monotonic() - t0}


def rule_summary(rules, frame: pd.DataFrame, cex: list, text) -> pd.DataFrame:
    """Per rule (then the default): the share of rows it decides and how many of them were certified."""
    n = len(frame)
    recs = []
    labels = [j + 1 for j in range(len(rules.rules))] + ["default"]
    concl = [r.conclusion for r in rules.rules] + [rules.default]
    for label, conclusion, rule in zip(labels, concl, list(rules.rules) + [None]):
        mine = (frame["rule"] == label).to_numpy()
        k = int(mine.sum())
        st = frame["status"][mine]
        status = ("counterexample" if (st == "counterexample").any() else
                  "unknown" if (st == "unknown").any() or not k else "certified")
        first = next((cex[i] for i in np.flatnonzero(mine) if cex[i] is not None), None)
        recs.append({"rule": label, "text": text(rule) if rule is not None else "(default)",
                     "conclusion": conclusion, "status": status,
                     "certified_share": float((st == "certified").mean()) if k else 0.0,
                     "region_share": k / n if n else 0.0,
                     "counterexample": None if first is None else native_record(first.iloc[0].to_dict()),
                     "engine": "" if not k else frame["engine"][mine].mode().iloc[0],
                     "seconds": round(float(frame["seconds"][mine].sum()), 4),
                     "note": "" if k else "no data row is decided by this rule"})
    return pd.DataFrame.from_records(recs)


def counterexample_frame(rules, network, cex: list) -> pd.DataFrame:
    """The real counterexample rows in original units, with the data row whose box holds each (``row``),
    the rule deciding the counterexample itself, what it says and what the network says."""
    parts = []
    for i, c in enumerate(cex):
        if c is None:
            continue
        r = c.copy()
        d = int(rules.decide(r)[0])
        r["row"] = i
        r["rule"] = ["default" if d < 0 else d + 1]
        r["rule_says"] = rules.predict(c)
        r["network_says"] = network.predict(c)
        parts.append(r)
    if parts:
        return pd.concat(parts, ignore_index=True)
    return pd.DataFrame(columns=list(network.schema.feature_names) + ["row", "rule", "rule_says", "network_says"])



def is_dask_frame(obj) -> bool:
    """Whether ``obj`` is a Dask DataFrame (without importing dask)."""
    return type(obj).__module__.split(".")[0] in ("dask", "dask_expr") and hasattr(obj, "to_delayed")


def _partition(frame, rules, network, domain, radius, max_seconds, kw, seed):
    return verify_rows(rules, network, domain, frame, radius, deadline=time.monotonic() + max_seconds,
                       **{**kw, "random_state": seed})


def verify_partitions(rules, network, domain, ddf, radius, max_seconds, kw) -> dict:
    """:func:`verify_rows` on each partition of a Dask DataFrame, on the active Dask scheduler, merged
    in partition order (each partition has ``max_seconds`` of wall clock as its safety net)."""
    import dask          # only reached with a Dask DataFrame, so dask is installed (the "scale" extra)

    missing = [f for f in network.schema.feature_names if f not in ddf.columns]
    if missing:
        raise DataError(f"the data lacks column(s) {missing} that the network takes")
    seed = kw.get("random_state")
    parts = ddf[list(network.schema.feature_names)].to_delayed()
    tasks = [dask.delayed(_partition)(p, rules, network, domain, radius, max_seconds, kw,
                                      None if seed is None else [int(seed), i]) for i, p in enumerate(parts)]
    results = dask.compute(*tasks)
    frames, cex, offset = [], [], 0
    weights = np.array([len(r["rows"]) for r in results], dtype=float)
    for r in results:
        f = r["rows"].copy()
        f["row"] = f["row"] + offset
        offset += len(f)
        frames.append(f)
        cex.extend(r["counterexamples"])
    total = weights.sum()

    def mean(key):
        vals = np.array([r[key] if len(r["rows"]) else 0.0 for r in results])
        return float(vals @ weights / total) if total else float("nan")

    return {"rows": pd.concat(frames, ignore_index=True), "counterexamples": cex,
            "certified_fidelity": mean("certified_fidelity"), "sampled_fidelity": mean("sampled_fidelity"),
            "sampled_upper_bound": mean("sampled_upper_bound"), "unknown_share": mean("unknown_share"),
            "complete": all(r["complete"] for r in results), "seconds": max(r["seconds"] for r in results)}
