"""JSON text to Python values, keeping numbers as written, and places.

`load` keeps JSON numbers as their source text (`JsonNumber`), so `42` and
`1e3` compare as AWS compares them: as text; it refuses text nested deeper
than MAX_DEPTH before decoding it. `locate` finds the line and
column of every value (and member name) by JSON path; it is only run when a
finding needs a place, so the common path stays on the C decoder.
"""

from __future__ import annotations

import bisect
import functools
import json
import re

from .errors import Finding, Level

MAX_DEPTH = 64


class JsonNumber(str):
    """A JSON number, kept as the text it was written with."""

    __slots__ = ()


class _Refused(ValueError):
    pass


def _refuse_constant(name: str) -> None:
    raise _Refused(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_float=JsonNumber, parse_int=JsonNumber, parse_constant=_refuse_constant)


def decode_text(source: str | bytes | bytearray) -> str:
    """Bytes to text; raises ValueError for anything that is not UTF-8."""
    if isinstance(source, (bytes, bytearray)):
        text = bytes(source).decode("utf-8")
        return text[1:] if text.startswith("\ufeff") else text
    return source


def load(text: str) -> object:
    """Decode JSON text; raises `Finding`-carrying ValueError on bad JSON."""
    offset = too_deep_at(text)
    if offset is not None:
        raise SyntaxFinding(_too_deep(text, offset))
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise SyntaxFinding(Finding(Level.ERROR, "JSON_SYNTAX", error.msg, "", error.lineno, error.colno)) from None
    except _Refused as error:
        raise SyntaxFinding(Finding(Level.ERROR, "JSON_SYNTAX", str(error), "")) from None
    except RecursionError:
        raise SyntaxFinding(Finding(Level.ERROR, "JSON_SYNTAX", "the document is nested too deeply", "")) from None


# A string (to its closing quote, or to the end when it has none) or a bracket.
_NESTING_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.S)


def too_deep_at(text: str) -> int | None:
    """The offset of the first array or object opened past MAX_DEPTH, or None.

    One scan without recursion, skipping strings, so that the decoder (which
    recurses once per level) never sees text it could not finish.
    """
    depth = 0
    for token in _NESTING_TOKENS.finditer(text):
        char = text[token.start()]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return token.start()
        elif char in "]}":
            depth -= 1
    return None


def _too_deep(text: str, offset: int) -> Finding:
    places = Places(text)
    line, column = places._line_column(offset)
    message = f"nested deeper than {MAX_DEPTH} levels"
    return Finding(Level.ERROR, "TOO_DEEP", message, places.path_at(offset), line, column)


class SyntaxFinding(ValueError):
    def __init__(self, finding: Finding):
        self.finding = finding
        super().__init__(finding.message)


_SIMPLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@functools.lru_cache(maxsize=8192)
def member_path(parent: str, name: str) -> str:
    """The JSON path of member `name` of the object at `parent`."""
    if _SIMPLE_NAME.match(name):
        return f"{parent}.{name}" if parent else name
    return f"{parent}[{json.dumps(name)}]"


def item_path(parent: str, index: int) -> str:
    return f"{parent}[{index}]"


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_SCALAR = re.compile(r"[^\s,\]\}]+")


class _Locator:
    """A tolerant scanner: records where each value starts, by path."""

    def __init__(self, text: str):
        self.text = text
        self.places: dict[str, int] = {}
        self.keys: dict[str, int] = {}

    def skip(self, position: int) -> int:
        return _WHITESPACE.match(self.text, position).end()

    def value(self, position: int, path: str, depth: int) -> int:
        position = self.skip(position)
        self.places.setdefault(path, position)
        if depth > MAX_DEPTH or position >= len(self.text):
            return len(self.text)
        char = self.text[position]
        if char == "{":
            return self.members(position + 1, path, depth)
        if char == "[":
            return self.items(position + 1, path, depth)
        pattern = _STRING if char == '"' else _SCALAR
        found = pattern.match(self.text, position)
        return found.end() if found else position + 1

    def members(self, position: int, path: str, depth: int) -> int:
        while True:
            position = self.skip(position)
            if position >= len(self.text) or self.text[position] == "}":
                return position + 1
            if self.text[position] == ",":
                position += 1
                continue
            found = _STRING.match(self.text, position)
            if not found:
                return len(self.text)
            try:
                name = json.loads(found.group())
            except ValueError:
                name = found.group()[1:-1]
            child = member_path(path, name)
            self.keys.setdefault(child, position)
            position = self.skip(found.end())
            if position < len(self.text) and self.text[position] == ":":
                position += 1
            position = self.value(position, child, depth + 1)

    def items(self, position: int, path: str, depth: int) -> int:
        index = 0
        while True:
            position = self.skip(position)
            if position >= len(self.text) or self.text[position] == "]":
                return position + 1
            if self.text[position] == ",":
                position += 1
                continue
            position = self.value(position, item_path(path, index), depth + 1)
            index += 1


class Places:
    """Line and column (1-based) of paths in one JSON text."""

    def __init__(self, text: str):
        locator = _Locator(text)
        locator.value(0, "", 0)
        self._values = locator.places
        self._keys = locator.keys
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def _line_column(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def path_at(self, offset: int) -> str:
        """The path of the value that starts at `offset` ("" when none does)."""
        return next((path for path, start in self._values.items() if start == offset), "")

    def of(self, path: str, *, key: bool = False) -> tuple[int, int] | None:
        offset = self._keys.get(path) if key else None
        if offset is None:
            offset = self._values.get(path)
        while offset is None and path:
            path = _parent(path)
            offset = self._values.get(path)
        return None if offset is None else self._line_column(offset)


def _parent(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""
