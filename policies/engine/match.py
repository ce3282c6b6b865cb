"""Wildcard matching for actions, ARNs and `StringLike`, in linear time.

Patterns compile once (cached) to the cheapest exact test: equality, a
prefix, a regular expression made only of atomic groups (so it cannot
backtrack exponentially), or, for ARN patterns whose wildcards sit in the
first five parts, a bit-parallel NFA over the ARN's characters.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

Matcher = Callable[[str], bool]
# A pattern is text, or pieces of (text, literal) where literal pieces come
# from policy variables or escapes and so hold no wildcards.
Pattern = str | tuple[tuple[str, bool], ...]

LITERAL, ANY_ONE, STAR_IN_PART, STAR, ANY_ONE_IN_PART = range(5)
_ARN_PARTS = 6


def _always(_: str) -> bool:
    return True


def _never(_: str) -> bool:
    return False


def _characters(pattern: Pattern) -> list[tuple[str, bool]]:
    if isinstance(pattern, str):
        return [(char, False) for char in pattern]
    return [(char, literal) for text, literal in pattern for char in text]


def _glob_tokens(pattern: Pattern) -> list[tuple[int, str]]:
    tokens: list[tuple[int, str]] = []
    for char, literal in _characters(pattern):
        if literal or char not in "*?":
            tokens.append((LITERAL, char))
        elif char == "?":
            tokens.append((ANY_ONE, char))
        elif not tokens or tokens[-1][0] != STAR:
            tokens.append((STAR, char))
    return tokens


_TOKEN_REGEX = {ANY_ONE: ".", ANY_ONE_IN_PART: "[^:]"}


def _piece_regex(tokens: list[tuple[int, str]]) -> str:
    return "".join(_TOKEN_REGEX.get(kind) or re.escape(char) for kind, char in tokens)


def _regex_matcher(tokens: list[tuple[int, str]]) -> Matcher:
    """A glob as a regex whose every star but the last is an atomic group.

    The earliest match of each piece between stars is always a safe choice,
    so atomic groups lose no matches and the engine never backtracks into
    them: matching is linear in the subject for a given pattern.
    """
    pieces: list[list[tuple[int, str]]] = [[]]
    for token in tokens:
        if token[0] == STAR:
            pieces.append([])
        else:
            pieces[-1].append(token)
    parts = [r"\A", _piece_regex(pieces[0])]
    if len(pieces) > 1:
        parts.extend(f"(?>.*?{_piece_regex(piece)})" for piece in pieces[1:-1] if piece)
        parts.append(".*" + _piece_regex(pieces[-1]))
    parts.append(r"\Z")
    return re.compile("".join(parts), re.S).match  # type: ignore[return-value]


def _glob_from_tokens(tokens: list[tuple[int, str]]) -> Matcher:
    kinds = [kind for kind, _ in tokens]
    text = "".join(char for _, char in tokens)
    if STAR not in kinds and ANY_ONE not in kinds:
        return text.__eq__
    if kinds == [STAR]:
        return _always
    if ANY_ONE not in kinds and kinds.count(STAR) == 1:
        if kinds[-1] == STAR:
            return _prefix(text[:-1])
        if kinds[0] == STAR:
            return _suffix(text[1:])
    match = _regex_matcher(tokens)
    return lambda subject: match(subject) is not None


def _prefix(prefix: str) -> Matcher:
    return lambda subject: subject.startswith(prefix)


def _suffix(suffix: str) -> Matcher:
    return lambda subject: subject.endswith(suffix)


@functools.lru_cache(maxsize=16384)
def compile_glob(pattern: Pattern) -> Matcher:
    """`*` is any run of characters, `?` any one; case-sensitive."""
    return _glob_from_tokens(_glob_tokens(pattern))


@functools.lru_cache(maxsize=16384)
def compile_action(pattern: str) -> Matcher:
    """Actions match without regard to case: call with a lowercased action."""
    return compile_glob(pattern.lower())


def _arn_tokens(pattern: Pattern) -> tuple[list[tuple[int, str]], int]:
    """Tokens of an ARN pattern and how many tokens its first five parts span.

    The service part takes no wildcards; a `*` ending a part (or anywhere in
    the resource part) may run on past colons; any other `*`, and every `?`,
    stays inside its part.
    """
    chars = _characters(pattern)
    boundaries = [i for i, (char, literal) in enumerate(chars) if char == ":" and not literal]
    boundaries = boundaries[: _ARN_PARTS - 1]
    tokens: list[tuple[int, str]] = []
    head = None
    part = 0
    for index, (char, literal) in enumerate(chars):
        if part < len(boundaries) and index > boundaries[part]:
            part += 1
        if index in boundaries[-1:] and len(boundaries) == _ARN_PARTS - 1:
            head = len(tokens) + 1
        if literal or char not in "*?" or part == 2:
            tokens.append((LITERAL, char))
        elif char == "?":
            tokens.append((ANY_ONE, char))
        else:
            ends_part = index + 1 == len(chars) or (index + 1) in boundaries
            kind = STAR if part >= _ARN_PARTS - 1 or ends_part else STAR_IN_PART
            if tokens and tokens[-1][0] in (STAR, STAR_IN_PART):
                kind = max(kind, tokens.pop()[0])
            tokens.append((kind, char))
    return tokens, len(tokens) if head is None else head


@functools.lru_cache(maxsize=16384)
def compile_arn(pattern: Pattern) -> Matcher:
    """ARN matching as IAM applies it to Resource, NotResource and Arn* conditions."""
    if pattern == "*":
        return _always
    if _only_a_trailing_star(pattern):
        return _prefix(pattern[:-1])
    return compile_arn_tokens(pattern)


def _only_a_trailing_star(pattern: Pattern) -> bool:
    """`prefix*` with its one star past the service part: the commonest Resource of all
    (a home prefix, `bucket/*`), a prefix test without tokenizing it character by character."""
    return (
        isinstance(pattern, str)
        and pattern.endswith("*")
        and pattern.count("*") == 1
        and "?" not in pattern
        and pattern.count(":", 0, -1) >= _ARN_PARTS - 3
    )


def compile_arn_tokens(pattern: Pattern) -> Matcher:
    """compile_arn's thorough path, for every pattern but `*` and `prefix*`."""
    tokens, head = _arn_tokens(pattern)
    wildcards = [i for i, (kind, _) in enumerate(tokens) if kind != LITERAL]
    text = "".join(char for _, char in tokens)
    if not wildcards:
        return text.__eq__
    if tokens[wildcards[0]][0] == STAR and wildcards == [len(tokens) - 1]:
        return _prefix(text[:-1])
    if wildcards[0] >= head:
        prefix = "".join(char for _, char in tokens[:head])
        rest = _glob_from_tokens(tokens[head:])
        width = len(prefix)
        return lambda subject: subject.startswith(prefix) and rest(subject[width:])
    plain = _as_plain_glob(tokens, head)
    if plain is not None:
        match = _regex_matcher(plain)
        return lambda subject: match(subject) is not None
    return _NfaMatcher(tokens)


def _as_plain_glob(tokens: list[tuple[int, str]], head: int) -> list[tuple[int, str]] | None:
    """The tokens as a plain glob when that means the same, else None.

    With only run-on stars, a `?` among the first five parts that no star
    precedes must fall inside its own part, so it is "[^:]"; any later `?`
    lies past the fifth colon whatever the stars took. A star that must stay
    inside its part, or a `?` after a star in the first five parts, needs
    the NFA.
    """
    plain = []
    star_seen = False
    for position, (kind, char) in enumerate(tokens):
        if kind == STAR_IN_PART:
            return None
        if kind == STAR:
            star_seen = True
        elif kind == ANY_ONE and position < head:
            if star_seen:
                return None
            kind = ANY_ONE_IN_PART
        plain.append((kind, char))
    return plain


class _NfaMatcher:
    """Bit-parallel simulation of the pattern's NFA: one pass, no backtracking."""

    __slots__ = ("literal", "any_one", "stars", "loose_stars", "accept")

    def __init__(self, tokens: list[tuple[int, str]]):
        self.literal: dict[str, int] = {}
        self.any_one = self.stars = self.loose_stars = 0
        for position, (kind, char) in enumerate(tokens):
            bit = 1 << position
            if kind == LITERAL:
                self.literal[char] = self.literal.get(char, 0) | bit
            elif kind == ANY_ONE:
                self.any_one |= bit
            else:
                self.stars |= bit
                if kind == STAR:
                    self.loose_stars |= bit
        self.accept = 1 << len(tokens)

    def __call__(self, subject: str) -> bool:
        stars, literal = self.stars, self.literal
        state = 1 | ((1 & stars) << 1)
        colons = 0
        for char in subject:
            if char == ":" and colons < _ARN_PARTS - 1:
                colons += 1
                state = ((state & literal.get(":", 0)) << 1) | (state & self.loose_stars)
            else:
                step = literal.get(char, 0) | self.any_one
                state = ((state & step) << 1) | (state & stars)
            state |= (state & stars) << 1
            if not state:
                return False
        return bool(state & self.accept)


def split_arn(arn: str) -> list[str]:
    """An ARN's six parts (fewer when it has fewer colons)."""
    return arn.split(":", _ARN_PARTS - 1)
