"""Text from outside (a CSV cell, an order id, DivideBuy's message) made safe to print.

A terminal obeys control characters: an order id carrying ``ESC [2J`` clears the
operator's screen, one with a carriage return overwrites the line before it, and
Unicode's bidirectional overrides make ``A1001`` read as something else. Every
such character becomes a visible escape (``\\x1b``, ``\\u202e``), so the operator
sees exactly what was in the input. Used by the CLI's output (tables, fields,
JSON, the settlement report) and by the CSV reader's row errors.
"""

from __future__ import annotations

import re

__all__ = ["has_control", "printable", "printable_json"]

#: C0 and C1 controls (tab and newline included: a cell is one line), DEL, and the
#: bidirectional embeddings, overrides and isolates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """*text* with every control or direction-changing character escaped visibly."""
    if keep_newlines:
        return "\n".join(_UNSAFE.sub(_escape, line) for line in text.split("\n"))
    return _UNSAFE.sub(_escape, text)


def printable_json(text: str) -> str:
    """JSON text with the characters JSON leaves raw (DEL, C1, direction overrides) written
    as ``\\uXXXX``: the same document to a JSON reader, harmless on a terminal."""
    # raw newlines in JSON text are only its indentation (strings have them escaped)
    return "\n".join(
        _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", line) for line in text.split("\n")
    )


def has_control(text: str) -> bool:
    """True when *text* holds a character :func:`printable` would escape."""
    return _UNSAFE.search(text) is not None
