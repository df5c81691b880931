"""Versioned, lossless JSON for rule sets: ``load(dump(r)) == r``."""
from __future__ import annotations

import json
import math
from pathlib import Path

from ..exceptions import FormatError
from ..rules.ruleset import RuleSet

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


MAX_DEPTH = 64                  # a rule set nests about 8 levels; deeper is not a rules file
MAX_BYTES = 256 * 2 ** 20       # rules files are small; larger input is refused before parsing


def _depth_ok(text: str) -> bool:
    """Whether brackets outside strings nest at most MAX_DEPTH deep (checked before json.loads recurses)."""
    depth = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def from_json(text: str, source: str = "<string>"):
    if len(text) > MAX_BYTES:
        raise FormatError(f"{source} is {len(text) / 2**20:.0f} MiB; rules files are far smaller "
                          f"(limit {MAX_BYTES // 2**20} MiB)")
    if not _depth_ok(text):
        raise FormatError(f"{source} nests deeper than {MAX_DEPTH} levels: not a rulex rules file")
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
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


def load_rules(source):
    """Load a rule set saved with ``rulex.export(rules, "json", path=...)``.

    Parameters
    ----------
    source : path, JSON text or file object
        A path to a rules file, the JSON text itself (as ``rulex.export(rules, "json")`` returns it),
        or an open text or binary file.

    Returns
    -------
    RuleSet
        Equal to the rule set that was saved.

    Raises
    ------
    FormatError
        When the file is missing, unreadable, too large or too deep, or is not a rulex rule set.
    """
    if hasattr(source, "read"):
        data = source.read(MAX_BYTES + 1)
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FormatError(f"the rules file object is not UTF-8 text ({exc})") from None
        return from_json(data, getattr(source, "name", "<file>"))
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return from_json(source, "<JSON text>")
    path = Path(source)
    if not path.exists():
        raise FormatError(f"rules file not found: {str(path)!r}")
    if path.is_file() and path.stat().st_size > MAX_BYTES:
        raise FormatError(f"{str(path)!r} is {path.stat().st_size / 2**20:.0f} MiB; rules files are far smaller "
                          f"(limit {MAX_BYTES // 2**20} MiB)")
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise FormatError(f"{str(path)!r} is not a readable rules file ({exc})") from None
    return from_json(text, repr(str(path)))
