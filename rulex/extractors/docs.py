"""What a method takes: each parameter's default, allowed values and meaning, read from the class.

``rulex methods NAME`` prints :func:`method_parameters`; the meanings come from the numpydoc
``Parameters`` section of the extractor's docstring, the defaults from ``__init__`` and the
allowed values from ``_parameter_constraints``, so the listing cannot drift from the code.
"""
from __future__ import annotations

import inspect
import re
import sys

import pandas as pd

from .base import _describe, extractor_class

__all__ = ["method_parameters", "parameter_docs"]

# "name : type", or numpydoc's "name1, name2 : type" for parameters documented together
_HEAD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*:\s*(.*)$")
_REFERS = re.compile(r":class:`~?([A-Za-z_][A-Za-z0-9_.]*)`")


def parameter_docs(doc: str | None) -> dict:
    """``{name: (type line, description)}`` from the numpydoc ``Parameters`` section of ``doc`` (an entry
    ``a, b : type`` documents both names).

    Parameters
    ----------
    doc : str or None
        A docstring.

    Returns
    -------
    dict
        Parameters in their documented order; an empty dict when there is no such section.
    """
    lines = inspect.cleandoc(doc or "").splitlines()
    out: dict = {}
    try:
        start = next(i for i, line in enumerate(lines[:-1])
                     if line.strip() == "Parameters" and set(lines[i + 1].strip()) == {"-"})
    except StopIteration:
        return out
    current: tuple[str, list[str]] | None = None
    for i in range(start + 2, len(lines)):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line and not line.startswith(" ") and nxt.strip() and set(nxt.strip()) == {"-"}:
            break                                                # the next section
        m = _HEAD.match(line) if line and not line.startswith(" ") else None
        if m:
            current = (m.group(2).strip(), [])          # one entry shared by the names documented together
            for name in re.split(r"\s*,\s*", m.group(1)):
                out[name] = current
        elif current is not None and line.strip():
            current[1].append(line.strip())
    return {k: (t, " ".join(d)) for k, (t, d) in out.items()}


def _class_docs(cls) -> dict:
    """:func:`parameter_docs` of ``cls``, completed from its base classes and from the classes its
    docstring refers to (CRED: "Parameters are those of :class:`DeepRED`")."""
    docs = dict(parameter_docs(cls.__doc__))
    module = sys.modules.get(cls.__module__)
    referred = [getattr(module, name.rsplit(".", 1)[-1], None) for name in _REFERS.findall(cls.__doc__ or "")]
    for other in list(cls.__mro__[1:]) + [c for c in referred if isinstance(c, type)]:
        for name, entry in parameter_docs(other.__doc__).items():
            docs.setdefault(name, entry)
    return docs


def method_parameters(method: str) -> pd.DataFrame:
    """One row per parameter of ``method``: ``parameter``, ``default``, ``allowed``, ``meaning``.

    Parameters
    ----------
    method : str
        A registered method name (see :func:`rulex.available_methods`).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    UnknownNameError
        When no method has that name.
    """
    cls = extractor_class(method)
    defaults = cls().get_params(deep=False)
    docs = _class_docs(cls)
    rows = []
    for name in list(inspect.signature(cls.__init__).parameters)[1:]:
        if name not in defaults:
            continue
        allowed = cls._parameter_constraints.get(name)
        kind, meaning = docs.get(name, ("", ""))
        rows.append({"parameter": name, "default": repr(defaults[name]),
                     "allowed": " or ".join(_describe(c) for c in allowed) if allowed else kind,
                     "meaning": meaning or kind})
    return pd.DataFrame(rows, columns=["parameter", "default", "allowed", "meaning"])
