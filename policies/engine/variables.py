"""Policy variables: `${aws:username}`, defaults, and the `${*}` escapes.

A template is a tuple of pieces: plain text (which may hold wildcards),
literal text (from an escape), or a variable. Resolving it against a
request's context gives pattern pieces for `match`, or None when a variable
has no value and no default.
"""

from __future__ import annotations

import functools
import re

from .match import Pattern

ESCAPES = {"*": "*", "?": "?", "$": "$"}
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_WITH_DEFAULT = re.compile(r"\A\s*([^,'\s][^,']*?)\s*,\s*'([^']*)'\s*\Z")
_KEY = re.compile(r"\A\s*([^,'\s][^,']*?)\s*\Z")

TEXT, LITERAL, VARIABLE = range(3)
Piece = tuple[int, str, str | None]
Template = tuple[Piece, ...]
Context = dict[str, tuple[str, ...]]


@functools.lru_cache(maxsize=8192)
def parse_template(text: str) -> Template | None:
    """Pieces of `text`, or None when it holds no variable or escape."""
    if "${" not in text:
        return None
    pieces: list[Piece] = []
    position = 0
    for found in _VARIABLE.finditer(text):
        piece = _piece(found.group(1))
        if piece is None:
            continue
        if found.start() > position:
            pieces.append((TEXT, text[position : found.start()], None))
        pieces.append(piece)
        position = found.end()
    if not pieces:
        return None
    if position < len(text):
        pieces.append((TEXT, text[position:], None))
    return tuple(pieces)


def _piece(inner: str) -> Piece | None:
    if inner in ESCAPES:
        return (LITERAL, ESCAPES[inner], None)
    found = _WITH_DEFAULT.match(inner)
    if found:
        return (VARIABLE, found.group(1).lower(), found.group(2))
    found = _KEY.match(inner)
    if found:
        return (VARIABLE, found.group(1).lower(), None)
    return None


def variable_keys(template: Template) -> list[str]:
    return [name for kind, name, _ in template if kind == VARIABLE]


def lookup(context: Context, key: str) -> str | None:
    """A single value for `key`; multi-valued keys cannot be variables."""
    values = context.get(key)
    if values is not None and len(values) == 1:
        return values[0]
    return None


def resolve(template: Template, context: Context, missing: set[str] | None = None) -> Pattern | None:
    """Pattern pieces with every variable replaced, or None if one has no value."""
    pieces: list[tuple[str, bool]] = []
    for kind, text, default in template:
        if kind == TEXT:
            pieces.append((text, False))
        elif kind == LITERAL:
            pieces.append((text, True))
        else:
            value = lookup(context, text)
            if value is None:
                if missing is not None:
                    missing.add(text)
                if default is None:
                    return None
                value = default
            pieces.append((value, True))
    return tuple(pieces)


def resolve_text(template: Template, context: Context, missing: set[str] | None = None) -> str | None:
    pieces = resolve(template, context, missing)
    return None if pieces is None else "".join(text for text, _ in pieces)
