"""The rule representation shared by every extractor and exporter."""
from .conditions import NEGATE, OPS, Condition, MofN
from .intervals import fold, implies
from .linear import LinearModel, LinearTerm
from .render import format_condition, format_number
from .ruleset import SEMANTICS, Rule, RuleSet
from .simplify import simplify_dnf

__all__ = ["Condition", "MofN", "Rule", "RuleSet", "LinearModel", "LinearTerm", "OPS", "NEGATE", "SEMANTICS", "fold", "implies",
           "format_condition", "format_number", "simplify_dnf"]
