"""JSON from outside (webhook bodies, API requests, JSON exports) parsed with the limits
every stored value needs.

``json.loads`` accepts what PostgreSQL and our schemas cannot take: nesting deep enough to
exhaust the stack (``RecursionError``), ``NaN``/``Infinity`` (not JSON; ``jsonb`` refuses
them), NUL characters (``text`` and ``jsonb`` refuse them) and lone UTF-16 surrogates
(``"\\ud800"``: not encodable as UTF-8). Each is refused here with the path of the value,
before anything is stored, so the caller answers 400 (or rejects one import row) instead of
failing in the database.
"""

import json
import re
from typing import Any

#: Deepest nesting accepted (an event's ``data`` is 4 levels deep; JSON cells less).
MAX_DEPTH = 32

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class JsonRejected(ValueError):
    """The text is not JSON we accept; ``path`` locates the value (dotted, "" = the root)."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.message, self.path = message, path


def _no_constant(name: str) -> Any:
    raise JsonRejected(f"{name} is not a JSON number")


#: One decoder for every call (``json.loads`` with an argument builds one per call).
_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def parse_json(text: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed value, or ``JsonRejected`` (invalid JSON, too deep, NUL, lone surrogate)."""
    try:
        if isinstance(text, bytes | bytearray):
            text = text.decode(json.detect_encoding(text))  # strict: no encoded surrogates
        value = _DECODER.decode(text)
    except JsonRejected:
        raise
    except RecursionError:
        raise JsonRejected(f"nested deeper than {max_depth} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise JsonRejected("not valid JSON") from None
    if surely_fine(text, max_depth):
        return value
    check_json(value, max_depth=max_depth)
    return value


def surely_fine(text: bytes | str, max_depth: int) -> bool:
    """True when the text alone shows the parsed value is fine (the common case, checked
    in C): no ``\\u`` escape (a raw NUL is invalid JSON and UTF-8 has no surrogates) and
    fewer brackets than ``max_depth``."""
    if isinstance(text, str):
        return "\\u" not in text and text.count("[") + text.count("{") < max_depth
    return b"\\u" not in text and text.count(b"[") + text.count(b"{") < max_depth


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored (a NUL or a lone surrogate), or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return (
        "must not contain NUL" if found.group() == "\x00" else "must not contain a lone surrogate"
    )


def check_json(value: Any, *, max_depth: int = MAX_DEPTH, prefix: str = "") -> None:
    """Raise ``JsonRejected`` for a value nested deeper than ``max_depth`` or a string (value
    or key) holding a NUL or a lone surrogate. Iterative: no recursion over the input."""
    stack: list[tuple[Any, tuple, int]] = [(value, (), 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            reason = unstorable(item)
            if reason:
                raise JsonRejected(reason, _dotted(prefix, path))
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                raise JsonRejected(f"nested deeper than {max_depth} levels", _dotted(prefix, path))
            if isinstance(item, dict):
                for key, child in item.items():
                    reason = unstorable(key)
                    if reason:
                        raise JsonRejected(f"keys {reason}", _dotted(prefix, path))
                    stack.append((child, (*path, key), depth + 1))
            else:
                stack.extend((child, (*path, index), depth + 1) for index, child in enumerate(item))


def _dotted(prefix: str, path: tuple) -> str:
    """A path as the error paths elsewhere spell it (keys are never values, but a key holding
    a NUL is not echoed: its position is named by its parent)."""
    parts = [prefix] if prefix else []
    for part in path:
        text = str(part)
        parts.append(text if unstorable(text) is None and len(text) <= 60 else "?")
    return ".".join(parts)
