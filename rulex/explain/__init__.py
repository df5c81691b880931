"""Local explanations, influence analysis and hidden-unit profiles of a network.

Three tools that look at one trained :class:`~rulex.Network` (not at a rule set):

:func:`explain_row`
    Why does the network decide this row as it does? The network's prediction, the
    global rule that decides the row (when a rule set is given), a short local rule in
    original units learned around the row (LIME-style: domain-aware perturbations
    labelled by the network, proximity weights, a shallow weighted tree), its local
    fidelity and coverage, and the smallest single-feature change that flips the
    decision, verified on the network.
:func:`influence`
    Per input variable (a one-hot group is one variable): potential influence,
    expected influence and the classic weight-product importance.
:func:`profile_units`
    Per hidden unit: strongest inputs, how often it is active, what maximises it, a
    short rule for when it is active, and whether it behaves like an AND or an OR.

Definitions are given in each function's docstring (for :func:`explain_row`, in its module's).
Everything is deterministic under ``random_state``.
"""
from .flip import Flip
from .influence import influence, weight_importance
from .row import Explanation, explain_row
from .units import UnitProfile, UnitProfiles, profile_units

__all__ = ["explain_row", "Explanation", "Flip", "influence", "weight_importance", "profile_units", "UnitProfile",
           "UnitProfiles"]
