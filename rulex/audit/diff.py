"""``rulex.diff``: where do two versions of a model decide differently? (ALGORITHMS-3 §2.2)

Three answers: the exact disagreement on the data rows (both networks predict every row), rules in
original units saying where they disagree (a pedagogical extractor on the oracle "a and b disagree
here", each rule with its support and the pairs of classes it holds on the rows), and a proof: the two
networks stacked on one shared input with two heads (:mod:`rulex.audit.product`; the second network
reads the first one's encoding through the affine map between their encoders), verified to decide the
same class on the whole domain or at a radius around each row (``proven equal``), or a real row where
they differ (``differ``), or ``unknown`` when the budget runs out. Networks of different depths or
hidden activations cannot be stacked: their proof is ``unknown`` and the rest is still reported.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .._version import __version__
from ..exceptions import DataError, NetworkError
from ..formats.jsonio import from_json as rules_from_json, to_json as rules_to_json
from ..verification import Domain
from ._common import STATUS_ORDER, check_network, check_options, frame_of, native_row, oracle_rules, scope_boxes
from .audit import RULES_SHARE, check_document, load_document, network_facts
from ._prove import Query, prove_queries
from .product import Copy, build_product, disagreement_pairs, identical_copies, same_copy

__all__ = ["Diff", "diff"]

FORMAT = "rulex.diff"
VERSION = 1


@dataclass
class Diff:
    """What :func:`diff` found; ``Diff.from_json(d.to_json()) == d``.

    Parameters
    ----------
    disagreement : float
        Share of the data rows on which the two networks predict different classes (exact).
    disagreeing_rows, rows : int
        How many rows disagree, of how many.
    status : str
        ``proven equal`` (on the domain, or at the radius around every row), ``differ`` or ``unknown``.
    scope : str
        ``domain`` or ``radius r``.
    radius : float or None
        The proof's radius (None: the whole domain).
    engine : str
        What decided the status (identical copies, data, sampling, crown, milp, bnb, ...).
    counterexamples : list of dict
        Real rows where they differ: ``x`` (original units), ``class_a``, ``class_b``, ``source``.
    rules : RuleSet
        Where they disagree: conclusions ``"differ"`` / ``"agree"``, in original units.
    rule_table : list of dict
        Per rule (and the default, ``rule`` = -1): its text, conclusion, support on the rows and the
        pairs of classes ``[class_a, class_b, rows]`` it holds.
    seconds, max_seconds : float
        Wall-clock seconds it took, and the budget.
    networks : dict
        ``{"a": ..., "b": ...}``: each network's fingerprint, architecture, activation and classes.
    method : str
        The extractor of ``rules``.
    rows_proven : int or None
        At a radius: the rows whose box is proven to agree.
    """

    disagreement: float = 0.0
    disagreeing_rows: int = 0
    rows: int = 0
    status: str = "unknown"
    scope: str = "domain"
    radius: float | None = None
    engine: str = ""
    counterexamples: list = field(default_factory=list)
    rules: object = None
    rule_table: list = field(default_factory=list)
    seconds: float = 0.0
    max_seconds: float = 60.0
    networks: dict = field(default_factory=dict)
    method: str = "surrogate_tree"
    rows_proven: int | None = None

    def to_string(self) -> str:
        a, b = self.networks.get("a", {}), self.networks.get("b", {})
        lines = [f"diff of {a.get('architecture', '?')} ({a.get('fingerprint', '?')}) and "
                 f"{b.get('architecture', '?')} ({b.get('fingerprint', '?')}), {self.scope}, {self.seconds:.2f} s",
                 f"  disagreement {self.disagreement:.4f} ({self.disagreeing_rows} of {self.rows} rows)",
                 f"  status: {self.status} ({self.engine})"
                 + (f", {self.rows_proven} of {self.rows} rows proven" if self.rows_proven is not None else "")]
        for r in self.rule_table:
            if r["conclusion"] == "differ":
                pairs = ", ".join(f"{p[0]!r}->{p[1]!r} x{p[2]}" for p in r["pairs"][:3])
                lines.append(f"  differ where {r['text']} [support {r['support']}; {pairs}]")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_string()

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("disagreement", "disagreeing_rows", "rows", "status", "scope", "radius",
                                           "engine", "counterexamples", "rule_table", "seconds", "max_seconds",
                                           "networks", "method", "rows_proven")}
        d["rules"] = None if self.rules is None else json.loads(rules_to_json(self.rules))
        return {"format": FORMAT, "version": VERSION, "rulex": __version__, **d}

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict) -> "Diff":
        check_document(d, FORMAT, VERSION, "diff")
        kw = {k: v for k, v in d.items() if k not in ("format", "version", "rulex", "rules")}
        return cls(rules=None if d["rules"] is None else rules_from_json(json.dumps(d["rules"])), **kw)

    @classmethod
    def from_json(cls, text: str) -> "Diff":
        return cls.from_dict(load_document(text, "diff"))


def check_same_schema(a, b) -> None:
    """A DataError naming the first difference between the two networks' schemas."""
    fa, fb = {f.name: f for f in a.schema.features}, {f.name: f for f in b.schema.features}
    only_a, only_b = sorted(set(fa) - set(fb)), sorted(set(fb) - set(fa))
    if only_a or only_b:
        where = (f"feature(s) {only_a} only in network_a" if only_a else "") + \
                ("; " if only_a and only_b else "") + (f"feature(s) {only_b} only in network_b" if only_b else "")
        raise DataError(f"the two networks have different schemas: {where}")
    for name in fa:
        if fa[name] != fb[name]:
            raise DataError(f"the two networks have different schemas: feature {name!r} is {fa[name].to_dict()} in "
                            f"network_a but {fb[name].to_dict()} in network_b")
    if list(a.classes) != list(b.classes):
        raise DataError(f"the two networks have different classes: {list(a.classes)} in network_a, "
                        f"{list(b.classes)} in network_b")


def input_map(a, b) -> tuple[np.ndarray, np.ndarray]:
    """``(A, a0)`` with ``b``'s encoding of a row equal to ``A @ x + a0`` for ``a``'s encoding ``x``."""
    ea, eb = a.encoder, b.encoder
    A, a0 = np.zeros((eb.n_inputs, ea.n_inputs)), np.zeros(eb.n_inputs)
    for f in a.schema.features:
        ca, cb = ea.groups_[f.name], eb.groups_[f.name]
        if f.is_discrete:
            A[cb, ca] = 1.0
        else:
            off_a, sc_a = ea.scale(f.name)
            off_b, sc_b = eb.scale(f.name)
            A[cb[0], ca[0]] = sc_a / sc_b
            a0[cb[0]] = (off_a - off_b) / sc_b
    return A, a0


def _proof(a, b, copies, frame, radius, deadline, wrong, out) -> tuple[str, str, int | None]:
    """Status, engine and rows proven of the stacked pair over the scope; real rows go to ``out``."""
    if identical_copies(copies):
        return "proven equal", "identical copies", (len(frame) if radius is not None else None)
    try:
        product = build_product(copies, disagreement_pairs(max(2, a.layers[-1].n_units)))
    except NetworkError as exc:
        return "unknown", str(exc), None
    domain = Domain(a.encoder)
    names = a.schema.feature_names
    rng = np.random.default_rng(0)
    boxes = scope_boxes(domain, frame, radius)
    verdicts = ["counterexample" if radius is not None and wrong[k] else "certified" for k in range(len(boxes))]

    def confirm_in(box):
        def confirm(C):
            rows = domain.decode(C, box)[names]
            hit = np.flatnonzero(a.predict(rows) != b.predict(rows))
            return rows.iloc[[hit[0]]] if len(hit) else None
        return confirm
    tasks = [Query(copies, product, domain, box, confirm_in(box), k) for k, box in enumerate(boxes)
             if verdicts[k] != "counterexample"]
    prove_queries(tasks, deadline, rng, stop_on_first=radius is None)
    engines = set()
    for q in tasks:
        engines.add(q.engine or "budget")
        verdicts[q.group] = q.status
        if q.status == "counterexample":
            out.append(q.row)
    worst = min(verdicts, key=STATUS_ORDER.index) if verdicts else "certified"
    status = {"counterexample": "differ", "unknown": "unknown", "certified": "proven equal"}[worst]
    return status, ", ".join(sorted(engines)), (verdicts.count("certified") if radius is not None else None)


def _rule_table(rules, frame, ya, yb) -> list:
    idx = rules.decide(frame)
    text = list(rules.to_frame()["if"])
    table = []
    for i in [*range(len(rules.rules)), -1]:
        mask = idx == i
        rule = rules.rules[i] if i >= 0 else None
        pairs = Counter((a, b) for a, b in zip(ya[mask], yb[mask]) if a != b)
        table.append({"rule": i, "text": text[i] if rule is not None else "otherwise",
                      "conclusion": rule.conclusion if rule is not None else rules.default,
                      "support": int(mask.sum()),
                      "pairs": [[_native(a), _native(b), int(n)] for (a, b), n in pairs.most_common()]})
    return table


def _native(v):
    return v.item() if isinstance(v, np.generic) else v


def diff(network_a, network_b, data, radius=None, max_seconds: float = 60.0, *, method: str = "surrogate_tree",
         max_counterexamples: int = 20) -> Diff:
    """Where two versions of a classification network decide differently.

    Parameters
    ----------
    network_a, network_b : Network
        The old and the new version; they must share the schema (features, kinds, categories) and classes.
    data : Dataset or DataFrame
        Rows in original units: the disagreement is measured on them and the rules learned on them.
    radius : float in (0, 1], optional
        Prove agreement around each row only (box of half-width ``radius * (max - min)``, clipped, other
        categories fixed); default: the whole domain of ``network_a``'s encoder.
    max_seconds : float, default 60
        Budget; a proof not finished in time is ``unknown``.
    method : str, default "surrogate_tree"
        Pedagogical extractor of the rules on the oracle "a and b disagree".
    max_counterexamples : int, default 20

    Returns
    -------
    Diff

    Raises
    ------
    DataError
        For networks with different schemas or classes (naming what differs), or a radius outside (0, 1].
    """
    check_network(network_a, "network_a")
    check_network(network_b, "network_b")
    check_same_schema(network_a, network_b)
    radius, max_seconds, method, max_counterexamples, clock = check_options(radius, max_seconds, method,
                                                                           max_counterexamples)
    frame = frame_of(data, network_a)
    ya, yb = network_a.predict(frame), network_b.predict(frame)
    wrong = ya != yb
    A, a0 = input_map(network_a, network_b)
    copies = [same_copy(network_a, network_a.encoder.n_inputs), Copy(network_b, A, a0)]
    found: list = []
    in_domain = Domain(network_a.encoder).contains(frame)
    if radius is None and (wrong & in_domain).any():
        status, engine, proven = "differ", "data", None
    else:
        status, engine, proven = _proof(network_a, network_b, copies, frame, radius,
                                        clock.end - RULES_SHARE * max_seconds, wrong, found)
    cex = [{"x": native_row(frame.iloc[i]), "class_a": _native(ya[i]), "class_b": _native(yb[i]), "source": "data"}
           for i in np.flatnonzero(wrong)[:max_counterexamples]]
    for r in found[:max(0, max_counterexamples - len(cex))]:
        y1, y2 = network_a.predict(r), network_b.predict(r)
        if y1[0] != y2[0]:
            cex.append({"x": native_row(r.iloc[0]), "class_a": _native(y1[0]), "class_b": _native(y2[0]),
                        "source": "verifier"})

    def oracle(X):
        return (network_a.predict_index(X) != network_b.predict_index(X @ A.T + a0)).astype(np.int64)
    rules = oracle_rules(network_a, frame, oracle, ("agree", "differ"), "disagreement", method, wrong)
    return Diff(disagreement=float(wrong.mean()), disagreeing_rows=int(wrong.sum()), rows=len(frame), status=status,
                scope="domain" if radius is None else f"radius {radius:g}", radius=radius, engine=engine,
                counterexamples=cex, rules=rules, rule_table=_rule_table(rules, frame, ya, yb),
                seconds=round(clock.elapsed(), 4), max_seconds=max_seconds,
                networks={"a": network_facts(network_a), "b": network_facts(network_b)}, method=method,
                rows_proven=proven)
