"""Display of numbers and plain values: the bottom of the rules' rendering. Rounding happens for display only.

The rendering is spread over the modules of the values it shows, one way: this module knows no rule
value; :mod:`rulex.rules.linear` renders linear conclusions (:func:`~rulex.rules.linear.format_linear`,
:func:`~rulex.rules.linear.format_value`), :mod:`rulex.rules.conditions` renders conditions
(:func:`~rulex.rules.conditions.format_condition`), and :mod:`rulex.rules.render` gathers every name.
"""
from __future__ import annotations

import json
import math

__all__ = ["format_number", "format_scalar"]


def format_number(x: float, digits: int = 6) -> str:
    """Short display of a threshold: ``52300``, ``0.1365``, ``1.25e-07``."""
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}"


def format_scalar(v) -> str:
    """A string quoted (JSON escapes: one value, one line), a float as :func:`format_number`, else ``repr``."""
    if isinstance(v, str):
        # quotes, backslashes and control characters (newlines, tabs) escaped: one value, one line
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, float):
        return format_number(v)
    return repr(v)
