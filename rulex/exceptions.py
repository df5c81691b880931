"""Exceptions raised by rulex.

Every error rulex raises on purpose is a :class:`RulexError`. Each child also
subclasses the matching built-in (``ValueError``, ``TypeError``, ``KeyError``) or
scikit-learn's ``NotFittedError``, so ordinary ``except ValueError`` clauses keep
working. Messages name the column, value or parameter at fault and say how to fix it.
"""
from __future__ import annotations

import difflib

from sklearn.exceptions import NotFittedError as _SkNotFittedError

__all__ = [
    "RulexError",
    "RulexWarning",
    "PartialResultWarning",
    "DataError",
    "SchemaError",
    "NetworkError",
    "RuleError",
    "UnknownNameError",
    "BudgetExceededError",
    "FormatError",
    "NotFittedError",
    "did_you_mean",
]


class RulexError(Exception):
    """Base class of every error rulex raises on purpose."""


class DataError(RulexError, ValueError):
    """Bad input data: missing or misspelled column, NaN, wrong type, unseen value."""


class SchemaError(RulexError, ValueError):
    """A schema declaration that does not fit the data."""


class NetworkError(RulexError, ValueError):
    """A network that cannot be read, does not match its schema, or is unsupported."""


class RuleError(RulexError, ValueError):
    """A rule, condition or rule set that is malformed."""


class UnknownNameError(RulexError, KeyError):
    """An unknown method, data set or format name."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class BudgetExceededError(RulexError, RuntimeError):
    """An extraction ran past a budget (clauses, seconds, memory) set by the user."""


class FormatError(RulexError, ValueError):
    """A file that is not what it claims to be (corrupted model or rules file, wrong version)."""


class NotFittedError(RulexError, _SkNotFittedError):
    """An extractor or encoder used before ``fit``."""


class RulexWarning(UserWarning):
    """A result that is valid but may not be what the user meant (the CLI prints it as one line)."""


class PartialResultWarning(RulexWarning, RuntimeWarning):
    """An extraction returned less than it was asked for: a budget ran out under
    ``on_budget="partial"`` and what was found is returned, or a method could not express a
    decision of the network in the form it extracts. Also a ``RuntimeWarning``, as it was before."""


def did_you_mean(name: str, choices, what: str = "name") -> str:
    """Return a message for an unknown ``name`` with the closest ``choices``."""
    choices = sorted(str(c) for c in choices)
    close = difflib.get_close_matches(str(name), choices, n=3, cutoff=0.5)
    msg = f"unknown {what} {name!r}"
    if close:
        msg += "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    msg += " Available: " + ", ".join(choices) + "."
    return msg
