"""``rulex.audit``: protected attributes and monotonicity, each proven, shown by real pairs, or left unknown.

See :mod:`rulex.audit.protected` (the protected attributes), :mod:`rulex.audit.monotone` (monotonicity)
and :mod:`rulex.audit.product` (the product network the proofs run on).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import numpy as np

from .._version import __version__
from ..exceptions import FormatError
from ..formats.jsonio import from_json as rules_from_json, to_json as rules_to_json
from ._common import check_network, check_options, frame_of, oracle_rules
from .monotone import audit_monotone, parse_monotone
from .protected import ProtectedFeature, audit_protected, parse_protected

__all__ = ["Audit", "audit", "FORMAT", "VERSION"]

FORMAT = "rulex.audit"
VERSION = 1
#: Share of the budget kept for the rules and the flip rates after the proofs.
RULES_SHARE = 0.15


@dataclass
class Audit:
    """What :func:`audit` found. Build it with :func:`audit`; ``Audit.from_json(a.to_json()) == a``.

    Parameters
    ----------
    protected : list of dict
        One row per protected feature: ``status`` (proven independent | depends | unknown), ``flip_rate``
        (share of the data rows whose class changes when only that feature's value changes),
        ``flipped_rows``, ``rows``, ``scope`` (``domain`` or ``radius r``; at a radius also
        ``rows_proven``/``rows_flipping``/``rows_unknown`` and ``row_status``, one word per data row:
        proven | flips | unknown), ``engine``, ``seconds``.
    monotone : list of dict
        One row per declared feature: ``direction``, ``status`` (proven | violated | unknown),
        ``counterexample`` (a real pair when violated), ``scope``, ``engine``, ``seconds`` (at a radius also
        ``rows_proven`` and ``row_status``: proven | violated | unknown per row).
    counterexamples : list of dict
        Real pairs that flip: ``feature``, ``x`` and ``x_prime`` (rows in original units), ``class`` and
        ``class_prime`` (what ``network.predict`` answers), ``source`` (data | verifier).
    rules : dict
        Per protected feature, a :class:`~rulex.RuleSet` in original units concluding "flip" / "no flip":
        where changing the feature changes the decision, with each rule's support.
    radius : float or None
        The proofs' scope: None for the whole domain, else the radius around each row.
    max_seconds : float
        The budget the audit was given.
    seconds : float
        Wall-clock seconds it took.
    network : dict
        The audited network: ``fingerprint``, ``architecture``, ``activation``, ``classes``.
    method : str
        The extractor of ``rules``.
    """

    protected: list = field(default_factory=list)
    monotone: list = field(default_factory=list)
    counterexamples: list = field(default_factory=list)
    rules: dict = field(default_factory=dict)
    radius: float | None = None
    max_seconds: float = 60.0
    seconds: float = 0.0
    network: dict = field(default_factory=dict)
    method: str = "surrogate_tree"

    # -- reading ------------------------------------------------------------------------------------
    def to_string(self) -> str:
        lines = [f"audit of {self.network.get('architecture', '?')} "
                 f"({'whole domain' if self.radius is None else f'radius {self.radius:g}'}), {self.seconds:.2f} s"]
        for r in self.protected:
            extra = f", {r['rows_proven']} of {r['rows']} rows proven" if "rows_proven" in r else ""
            lines.append(f"  protected {r['feature']}: {r['status']} (flip rate {r['flip_rate']:.4f} on "
                         f"{r['rows']} rows{extra}; {r['engine']}, {r['seconds']:.2f} s)")
        for r in self.monotone:
            lines.append(f"  monotone {r['feature']} {r['direction']}: {r['status']} ({r['engine']}, "
                         f"{r['seconds']:.2f} s)")
            if r.get("counterexample"):
                c = r["counterexample"]
                lines.append(f"    {r['feature']} {c['x'][r['feature']]} -> {c['x_prime'][r['feature']]}: "
                             f"class {c['class']!r} -> {c['class_prime']!r}")
        for c in self.counterexamples[:5]:
            lines.append(f"  flip: {c['feature']} {c['x'][c['feature']]!r} -> {c['x_prime'][c['feature']]!r}: "
                         f"class {c['class']!r} -> {c['class_prime']!r} ({c['source']})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_string()

    # -- JSON ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "rulex": __version__, "radius": self.radius,
                "max_seconds": self.max_seconds, "seconds": self.seconds, "network": self.network,
                "method": self.method, "protected": self.protected, "monotone": self.monotone,
                "counterexamples": self.counterexamples,
                "rules": {k: json.loads(rules_to_json(v)) for k, v in self.rules.items()}}

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict) -> "Audit":
        check_document(d, FORMAT, VERSION, "audit")
        return cls(protected=d["protected"], monotone=d["monotone"], counterexamples=d["counterexamples"],
                   rules={k: rules_from_json(json.dumps(v)) for k, v in d["rules"].items()}, radius=d["radius"],
                   max_seconds=d["max_seconds"], seconds=d["seconds"], network=d["network"], method=d["method"])

    @classmethod
    def from_json(cls, text: str) -> "Audit":
        return cls.from_dict(load_document(text, "audit"))


def check_document(d, fmt: str, version: int, what: str) -> None:
    if not isinstance(d, dict) or d.get("format") != fmt:
        raise FormatError(f"not a rulex {what} (expected \"format\": \"{fmt}\")")
    if d.get("version") != version:
        raise FormatError(f"rulex {what} version {d.get('version')!r}; this rulex reads {version}")


def load_document(text: str, what: str) -> dict:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not a rulex {what}: invalid JSON ({exc})") from None


def network_facts(network) -> dict:
    acts = sorted({layer.activation for layer in network.hidden_layers}) or ["none"]
    return {"fingerprint": network.fingerprint(), "architecture": "-".join(map(str, network.architecture)),
            "activation": "/".join(acts), "classes": [str(c) for c in network.classes]}


def audit(network, data, protected=None, monotone=None, radius=None, max_seconds: float = 60.0, *,
          method: str = "surrogate_tree", max_counterexamples: int = 20) -> Audit:
    """Audit ``network`` for protected attributes and monotonicity.

    Parameters
    ----------
    network : Network
        A classification network (relu, sigmoid, tanh or identity hidden layers).
    data : Dataset or DataFrame
        Rows in original units: the flip rates are measured on them, the rules learned on them, and at a
        ``radius`` each row's box is a scope of the proof.
    protected : list of str or dict, optional
        Features the decision must not depend on. A category-valued feature: no change of its value may
        change the class. A numeric one: no change within its range, or, given as
        ``{"age": [25, 40, 60]}``, no move from one band to another (bands cut at those points).
    monotone : dict, optional
        ``{feature: "increasing" | "decreasing"}`` for numeric or integer features.
    radius : float in (0, 1], optional
        Prove around each row only: a box of half-width ``radius * (max - min)`` around its numeric values,
        clipped to the domain, other categories fixed (the protected feature and the monotone feature's
        move stay free within the box). Default: the whole domain (training minimum to maximum).
    max_seconds : float, default 60
        Budget of the whole audit; what is not decided in time is ``unknown``.
    method : str, default "surrogate_tree"
        Pedagogical extractor of the rules on the oracle "changing the protected value flips this row".
    max_counterexamples : int, default 20
        Most real pairs kept per protected feature.

    Returns
    -------
    Audit

    Raises
    ------
    DataError
        For a protected or monotone feature not in the network's schema, a direction other than
        "increasing"/"decreasing", a radius outside (0, 1], or a non-positive budget.
    """
    check_network(network)
    prot = parse_protected(network, protected)
    mono = parse_monotone(network, monotone)
    radius, max_seconds, method, max_counterexamples, clock = check_options(radius, max_seconds, method,
                                                                           max_counterexamples)
    frame = frame_of(data, network)
    X = network.encoder.transform(frame)
    proof_end = clock.end - RULES_SHARE * max_seconds
    result = Audit(radius=radius, max_seconds=max_seconds, network=network_facts(network), method=method)
    tasks = [("protected", p) for p in prot] + [("monotone", m) for m in mono]
    flips = {}
    for k, (kind, item) in enumerate(tasks):
        now = time.monotonic()
        deadline = now + max(0.0, proof_end - now) / (len(tasks) - k)
        if kind == "protected":
            row, pairs, flips[item[0]] = audit_protected(network, frame, X, item[0], item[1], radius, deadline,
                                                         max_counterexamples)
            result.protected.append(row)
            result.counterexamples.extend(pairs)
        else:
            result.monotone.append(audit_monotone(network, frame, item[0], item[1], radius, deadline))
    for name, cuts in prot:
        if clock.left() <= 0:
            break
        pf = ProtectedFeature(network, name, cuts, frame)

        def oracle(Z, pf=pf):
            return pf.flips(Z)[0].astype(np.int64)
        result.rules[name] = oracle_rules(network, frame, oracle, ("no flip", "flip"), f"flips of {name}", method,
                                          flips[name])
    result.seconds = round(clock.elapsed(), 4)
    return result
