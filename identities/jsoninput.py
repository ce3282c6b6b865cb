"""JSON from clients: measured before it is decoded, and walked without recursion.

Python's decoder recurses once per level of nesting, so a body of 100,000 `[`
would end in a RecursionError (a 500) before any check could look at it.
`loads` counts the nesting of the text first, in one scan that skips the
contents of strings, and refuses anything deeper than MAX_DEPTH. No valid
policy document, tag set or API request comes near that depth.
"""

import json
import re

MAX_DEPTH = 64

# A string (to its closing quote, or to the end when it has none) or a bracket;
# everything between is skipped by the search itself.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.S)


class TooDeep(ValueError):
    """JSON text nested deeper than MAX_DEPTH; `line` and `column` (1-based) place the first level too many."""

    def __init__(self, line: int, column: int):
        self.line, self.column = line, column
        super().__init__(f"nested deeper than {MAX_DEPTH} levels (line {line}, column {column})")


def too_deep_at(text: str) -> int | None:
    """The offset of the first array or object opened past MAX_DEPTH, or None."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None  # nothing can nest deeper than it has brackets: most texts need no walk
    depth = 0
    for token in _TOKENS.finditer(text):
        char = text[token.start()]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return token.start()
        elif char in "]}":
            depth -= 1
    return None


def check_depth(text: str) -> None:
    """Raise TooDeep if the text nests arrays and objects deeper than MAX_DEPTH."""
    offset = too_deep_at(text)
    if offset is not None:
        line = text.count("\n", 0, offset) + 1
        raise TooDeep(line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def loads(source: str | bytes | bytearray, **options):
    """json.loads, refusing text nested deeper than MAX_DEPTH with TooDeep (a ValueError)."""
    if isinstance(source, (bytes, bytearray)):
        # As json.loads itself reads bytes: UTF-8, -16 or -32, told apart by the first bytes.
        source = bytes(source).decode(json.detect_encoding(source), "surrogatepass")
    check_depth(source)
    return json.loads(source, **options)


def contains_nul(value: object) -> bool:
    """Whether any string in a decoded JSON value (keys included) holds a NUL character."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
