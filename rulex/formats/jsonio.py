"""Versioned, lossless JSON for rule sets: ``load(dump(r)) == r``."""
from __future__ import annotations

import json
import math
from pathlib import Path

from ..exceptions import FormatError

__all__ = ["to_json", "from_json", "load_rules", "FORMAT", "VERSION"]

FORMAT = "rulex.ruleset"
VERSION = 1


_MARKERS = ("__float__", "__dict__")


def _encode_floats(obj):
    """JSON has no inf/nan: store them as {"__float__": "inf"} so the round trip stays exact.

    A user dict that looks like a marker is wrapped as {"__dict__": {...}}, so nothing the
    user stored is ever mistaken for one.
    """
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"__float__": repr(obj)}
    if isinstance(obj, dict):
        enc = {k: _encode_floats(v) for k, v in obj.items()}
        return {"__dict__": enc} if len(obj) == 1 and next(iter(obj)) in _MARKERS else enc
    if isinstance(obj, list):
        return [_encode_floats(v) for v in obj]
    return obj


def _decode_floats(obj):
    if isinstance(obj, dict):
        if set(obj) == {"__float__"}:
            return float(obj["__float__"])
        if set(obj) == {"__dict__"} and isinstance(obj["__dict__"], dict):
            return {k: _decode_floats(v) for k, v in obj["__dict__"].items()}
        return {k: _decode_floats(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode_floats(v) for v in obj]
    return obj


def to_json(rules, indent: int | None = 1) -> str:
    doc = {"format": FORMAT, "version": VERSION}
    doc.update(rules.to_dict())
    return json.dumps(_encode_floats(doc), indent=indent, ensure_ascii=False, allow_nan=False)


def from_json(text: str, source: str = "<string>"):
    from ..rules.ruleset import RuleSet
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{source} is not valid JSON ({exc}); is it a rulex rules file?") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise FormatError(f"{source} is not a rulex rule set (expected \"format\": \"{FORMAT}\")")
    if doc.get("version") != VERSION:
        raise FormatError(f"{source} has rule-set version {doc.get('version')!r}; this rulex reads {VERSION}")
    try:
        return RuleSet.from_dict(_decode_floats(doc))
    except FormatError:
        raise
    except Exception as exc:
        raise FormatError(f"{source} is a damaged rulex rule set: {type(exc).__name__}: {exc}") from None


def load_rules(path):
    """Load a rule set saved with ``rulex.export(rules, "json", path=...)``.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    RuleSet
        Equal to the rule set that was saved.

    Raises
    ------
    FormatError
        When the file is missing, not rulex JSON, or of another format version.
    """
    path = Path(path)
    if not path.exists():
        raise FormatError(f"rules file not found: {str(path)!r}")
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise FormatError(f"{str(path)!r} is not a readable rules file ({exc})") from None
    return from_json(text, repr(str(path)))
