"""Exceptions raised by rulex.

Every error rulex raises on purpose is a :class:`RulexError`. Each child also
subclasses the matching built-in (``ValueError``, ``TypeError``, ``KeyError``) or
scikit-learn's ``NotFittedError``, so ordinary ``except ValueError`` clauses keep
working. Messages name the column, value or parameter at fault and say how to fix it.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable

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
    "Param",
    "spoken",
]

_UNSET: Any = object()


@dataclass(frozen=True)
class Param:
    """A parameter the user sets, named inside an error or warning message.

    A message built from parts (``DataError("... train with ", Param("missing", "impute", call="train_network"),
    " ...")``) reads in Python as ``train_network(..., missing='impute')``; the command line prints the flag it
    maps the parameter to instead (``--missing impute``) through :func:`spoken`, so every message speaks the
    interface the user is in without rewriting text.

    Parameters
    ----------
    name : str
        The Python parameter.
    value : optional
        The value to show (``name=value``); without it only the name.
    call : str, optional
        The function that takes it, shown as ``call(..., name=value)``.
    """

    name: str
    value: Any = _UNSET
    call: str | None = None

    @property
    def has_value(self) -> bool:
        return self.value is not _UNSET

    def __str__(self) -> str:
        text = f"{self.name}={self.value!r}" if self.has_value else self.name
        return f"{self.call}(..., {text})" if self.call else text

    def __reduce__(self):        # the unset marker is a module object: pickle the value only when set
        return (Param, (self.name, self.value, self.call)) if self.has_value else (Param, (self.name,), None,
                                                                                   None, None)


class _Spoken:
    """Messages given as parts, strings and :class:`Param`: ``str()`` is the Python wording, ``parts`` keeps
    the pieces for :func:`spoken` (they survive pickling: joblib workers send errors back)."""

    def __init__(self, *args):
        if any(isinstance(a, Param) for a in args):
            self.parts = tuple(args)
            args = ("".join(str(a) for a in args),)
        super().__init__(*args)


def spoken(error: BaseException, flag: Callable[[Param], str | None]) -> str:
    """The message of ``error`` (an exception or warning) with every :class:`Param` in it spelled by ``flag``
    (``None``: the Python spelling); the command line passes its parameter -> flag map."""
    parts = getattr(error, "parts", None)
    if not parts:
        return str(error)
    out = []
    for part in parts:
        text = flag(part) if isinstance(part, Param) else None
        out.append(str(part) if text is None else text)
    return "".join(out)


class RulexError(_Spoken, Exception):
    """Base class of every error rulex raises on purpose (a message may be given as parts: see :class:`Param`)."""


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


class RulexWarning(_Spoken, UserWarning):
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
