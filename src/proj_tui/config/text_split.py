"""Splitting ``a=1,b=[1,2]`` style text on the commas that separate items.

Both ``--params`` and interpolation arguments (``${globals:a,[1,2]}``) need the same rule: a comma
inside brackets, braces or a quoted value does not split.
"""

from __future__ import annotations

__all__ = ["split_top_level"]

_OPENERS = {"[": "]", "{": "}"}
_CLOSERS = {"]", "}"}
# A quote only starts a quoted value where a value starts, so "it's" stays one plain word:
# after "=" outside brackets, after "[ { , :" inside them (YAML flow collections).
_NESTED_STARTS = {",", "[", "{", ":"}


def split_top_level(
    text: str, sep: str = ",", maxsplit: int = -1, *, quote_at_start: bool = True
) -> list[str]:
    """Split ``text`` on ``sep`` where it is outside brackets, braces and quotes.

    A quote opens a quoted part only where a value starts: after ``=``, after ``[ { , :`` inside
    brackets and, when ``quote_at_start``, at the start of a piece (``--params`` items start
    with a key, so there it is off).

    Unbalanced brackets or quotes never raise: the rest of the text becomes the last piece, and
    the caller's value parser reports the real problem with the value in hand.
    """
    pieces: list[str] = []
    start = 0
    depth = 0
    quote = ""
    prev = ""  # last non-space character outside quotes, "" at the start
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if quote:
            if quote == '"' and ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
                prev = ch
        elif ch in "\"'" and (
            prev == "=" or (depth > 0 and prev in _NESTED_STARTS) or (prev == "" and quote_at_start)
        ):
            quote = ch
        elif ch in _OPENERS:
            depth += 1
            prev = ch
        elif ch in _CLOSERS:
            depth = max(depth - 1, 0)
            prev = ch
        elif ch == sep and depth == 0 and maxsplit != len(pieces):
            pieces.append(text[start:i])
            start = i + 1
            prev = ""
        elif not ch.isspace():
            prev = ch
        i += 1
    pieces.append(text[start:])
    return pieces
