"""What :func:`~rulex.verification.verify` proved: :class:`Verification`."""
from __future__ import annotations

import numpy as np

from ..exceptions import RuleError

__all__ = ["Verification"]


class Verification:
    """What :func:`verify` proved.

    Attributes
    ----------
    rules : DataFrame
        One row per rule then one for the default: ``rule`` (rules count from 1, the default is
        ``"default"``, as in every export), ``text``, ``conclusion``, ``status``
        (certified | counterexample | unknown), ``certified_share`` (share of the region's volume
        proven), ``region_share`` (share of the domain the region holds; NaN when the budget ran out
        before it was measured), ``counterexample`` (a dict
        of the row in original units, or None), ``engine``, ``seconds``, ``note``.
    certified_share : float
        Share of the domain's volume where the rules are proven to agree with the network (ordered
        sets: the sum over regions; unordered: the union of certified rules' regions and the default's).
    counterexamples : DataFrame
        The counterexample rows in original units, with the rule they refute (``rule``), what it
        concludes (``rule_says``) and what the network predicts (``network_says``).
    seconds : float
    volume_estimated : bool
        True when a region was too fragmented for exact volumes and a Monte Carlo estimate was used.
    radius : float or None
        None for the whole-region proof above. With ``verify(..., radius=r)`` every data row's box is
        proven instead, and then ``rules`` counts rows (``region_share``: share of the rows the rule
        decides; ``certified_share``: share of those rows certified) and these are set:
    rows : DataFrame or None
        One row per data row: ``row`` (position), ``status`` (certified | counterexample | unknown),
        ``rule`` (the rule deciding the row itself), ``nodes`` (branch-and-bound work), ``engine``
        (row: the row itself disagrees; search; crown; milp), ``seconds``.
    certified_fidelity : float or None
        Share of the rows whose whole box is certified (also in ``certified_share``).
    sampled_fidelity : float or None
        Share of the rows the rules and the network decide alike (the ordinary fidelity).
    sampled_upper_bound : float or None
        Share of the rows where none of ``n_samples`` points drawn in the box disagrees: no verifier can
        certify more; the gap to ``certified_fidelity`` is what stayed unknown or escaped the sample.
    unknown_share : float or None
    complete : bool
        False when the wall clock (``max_seconds``), not the work budget, ended the search: rows still
        open are ``unknown`` and a :class:`~rulex.PartialResultWarning` said so.
    """

    def __init__(self, rules, certified_share, counterexamples, seconds, volume_estimated, *, radius=None,
                 rows=None, certified_fidelity=None, sampled_fidelity=None, sampled_upper_bound=None,
                 unknown_share=None, complete=True):
        self.rules = rules
        self.certified_share = certified_share
        self.counterexamples = counterexamples
        self.seconds = seconds
        self.volume_estimated = volume_estimated
        self.radius = radius
        self.rows = rows
        self.certified_fidelity = certified_fidelity
        self.sampled_fidelity = sampled_fidelity
        self.sampled_upper_bound = sampled_upper_bound
        self.unknown_share = unknown_share
        self.complete = complete

    @property
    def statuses(self) -> list:
        return list(self.rules["status"])

    @property
    def all_certified(self) -> bool:
        return bool((self.rules["status"] == "certified").all())

    def to_dict(self) -> dict:
        """JSON-native summary (for provenance and reports)."""
        rows = []
        for rec in self.rules.to_dict("records"):
            rows.append({k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in rec.items()})
        out = {"certified_share": self.certified_share, "seconds": round(self.seconds, 3),
               "volume_estimated": self.volume_estimated, "rules": rows}
        if self.radius is not None:
            out.update(radius=self.radius, certified_fidelity=self.certified_fidelity,
                       sampled_fidelity=self.sampled_fidelity, sampled_upper_bound=self.sampled_upper_bound,
                       unknown_share=self.unknown_share, complete=self.complete, n_rows=len(self.rows))
        return out

    def sentence(self) -> str:
        """What was proven at the radius, as a sentence an auditor can sign."""
        if self.radius is None:
            return (f"The rules are proven to give the network's answer on {self.certified_share:.1%} of the "
                    "input domain's volume.")
        n = len(self.rows)
        return (f"On {self.certified_fidelity:.1%} of the {n} rows the rules give the network's answer for every "
                f"value within {self.radius:.0%} of the row's (of each numeric feature's range); "
                f"on {self.sampled_fidelity:.1%} they give it for the row itself"
                + (f"; {self.unknown_share:.1%} stayed undecided" if self.unknown_share else "") + ".")

    def annotate(self, rules):
        """``rules`` with what was proven written into their provenance, for the JSON export and the
        HTML report: each rule's ``verification`` (``status``, ``certified_share``) and the rule set's
        (``certified_share`` of the domain, the default's ``status``, ``seconds``, ``volume_estimated``).

        Parameters
        ----------
        rules : RuleSet
            The rule set that was verified (same rules, same order).

        Returns
        -------
        RuleSet
        """
        records = {rec["rule"]: rec for rec in self.to_dict()["rules"]}
        if len(records) != len(rules.rules) + 1:
            raise RuleError(f"this verification covers {len(records) - 1} rules, the rule set has {len(rules.rules)}")
        annotated = []
        for j, r in enumerate(rules.rules):
            rec = records[j + 1]
            annotated.append(r.replace(provenance={**r.provenance, "verification": {
                "status": rec["status"], "certified_share": rec["certified_share"]}}))
        summary = {"certified_share": self.certified_share, "default": records["default"]["status"],
                   "default_certified_share": records["default"]["certified_share"],
                   "seconds": round(self.seconds, 3), "volume_estimated": self.volume_estimated}
        if self.radius is not None:
            summary.update({k: v for k, v in self.to_dict().items() if k not in ("rules", "seconds")})
        return rules.replace(rules=tuple(annotated), provenance={**rules.provenance, "verification": summary})

    def to_string(self) -> str:
        """A plain-text table: one line per region, then the counterexamples."""
        if self.radius is not None:
            return self._radius_string()
        lines = [f"Domain certified: {self.certified_share:.2%} of its volume"
                 f"{' (estimated)' if self.volume_estimated else ''}; {self.seconds:.1f} s"]
        for rec in self.rules.to_dict("records"):
            head = f"rule {rec['rule']}" if rec["rule"] != "default" else "default"
            share = "" if rec["status"] == "certified" else f", {rec['certified_share']:.1%} of its region proven"
            lines.append(f"{head:>9}: {rec['status']}{share} [region {rec['region_share']:.2%} of the domain; "
                         f"{rec['engine'] or '-'}; {rec['seconds']:.2f} s]  {rec['text']} -> {rec['conclusion']!r}"
                         + (f"  ({rec['note']})" if rec["note"] else ""))
            if rec["counterexample"] is not None:
                lines.append(f"{'':>11}counterexample: {rec['counterexample']}")
        return "\n".join(lines)

    def _radius_string(self) -> str:
        lines = [self.sentence(),
                 f"certified fidelity {self.certified_fidelity:.4f}, sampled fidelity {self.sampled_fidelity:.4f}, "
                 f"sampled upper bound {self.sampled_upper_bound:.4f}, unknown {self.unknown_share:.2%}; "
                 f"{self.seconds:.1f} s" + ("" if self.complete else " (stopped by max_seconds)")]
        for rec in self.rules.to_dict("records"):
            head = f"rule {rec['rule']}" if rec["rule"] != "default" else "default"
            if not rec["region_share"]:
                continue
            lines.append(f"{head:>9}: {rec['status']}, {rec['certified_share']:.1%} of its {rec['region_share']:.1%} "
                         f"of the rows certified  {rec['text']} -> {rec['conclusion']!r}")
            if rec["counterexample"] is not None:
                lines.append(f"{'':>11}counterexample: {rec['counterexample']}")
        return "\n".join(lines)

    def __repr__(self):
        if self.radius is not None:
            return (f"Verification(radius={self.radius}: {len(self.rows)} rows, certified fidelity "
                    f"{self.certified_fidelity:.1%} of sampled upper bound {self.sampled_upper_bound:.1%}, "
                    f"{self.seconds:.1f} s)")
        counts = self.rules["status"].value_counts().to_dict()
        return (f"Verification({len(self.rules)} regions: {counts}, domain certified "
                f"{self.certified_share:.1%}, {self.seconds:.1f} s)")
