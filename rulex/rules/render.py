"""Readable rendering of conditions and rules: every rendering name in one place. Rounding happens for display only.

Each renderer lives with what it shows, so that the values' ``__str__`` needs no import of this
module: numbers and plain values in :mod:`rulex.rules._format`, linear conclusions in
:mod:`rulex.rules.linear`, conditions and m-of-n tests in :mod:`rulex.rules.conditions`. This
module imports them (never the reverse) and keeps every name importable from here.
"""
from __future__ import annotations

from ._format import format_number
from .conditions import format_condition, format_conditions
from .linear import format_linear, format_value

__all__ = ["format_number", "format_value", "format_condition", "format_conditions", "format_linear"]
