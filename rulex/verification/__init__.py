"""Verification of rules and predictions on small networks (ALGORITHMS-2 §4 and §5).

:func:`verify` proves, region by region, that a network decides what a rule set says (MILP for
ReLU networks, bounds with branch and bound for sigmoid/tanh), or returns counterexample rows.
"""
from .api import Verification, verify
from .domain import Domain, Span
from .reasons import PotentialFlip, SufficientReason, potential_flip, sufficient_reason
from .spec import Spec

__all__ = ["verify", "Verification", "sufficient_reason", "SufficientReason", "potential_flip", "PotentialFlip",
           "Domain", "Span", "Spec"]
