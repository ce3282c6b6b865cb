"""The action catalogue as validation reads it, and the checks of condition keys against it.

The catalogue is plain data handed in by the caller: action names, and optionally each
action's condition keys (its resource types' included) and the types of service keys.
It is read into a `CatalogueIndex`, once per validation or once for many (a caller that
keeps the index hands it in as the catalogue).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping

from .document import Condition, Statement
from .errors import Level
from .keys import GLOBAL_CONDITION_KEYS, GLOBAL_KEYS, OPERATORS_BY_FAMILY, KeyTable, families_for, key_table

Catalogue = Mapping[str, object] | Iterable[str]
_GLOBAL_NAMES = {key.lower(): key for key, _ in GLOBAL_CONDITION_KEYS}


def glob(pattern: str, subject: str) -> bool:
    """IAM's wildcards, * and ? only; a pattern without them is compared as it is."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == subject
    return matcher(pattern)(subject)


@functools.lru_cache(maxsize=4096)
def matcher(pattern: str):
    """One compiled pattern, kept: the same patterns come back in every validation."""
    parts = (".*" if part == "*" else "." if part == "?" else re.escape(part) for part in re.split(r"([*?])", pattern))
    return re.compile("".join(parts), re.DOTALL).fullmatch


class CatalogueIndex:
    """The catalogue's action names by service, each action's condition keys when given, and
    the types of its condition keys: read once from the catalogue's data, never changed
    after, so one index serves every validation (and thread) until the catalogue changes."""

    def __init__(
        self,
        catalogue: Catalogue,
        action_keys: Mapping[str, Iterable[str]] | None = None,
        key_types: Mapping[str, str] | None = None,
    ) -> None:
        self.names = frozenset(str(name).lower() for name in catalogue)
        self.by_service: dict[str, list[str]] = {}
        for name in self.names:
            self.by_service.setdefault(name.partition(":")[0], []).append(name)
        self.action_keys = (
            {str(action).lower(): tuple(keys) for action, keys in action_keys.items()} if action_keys else None
        )
        self.key_types = key_types_table(key_types)

    def matching(self, pattern: str) -> list[str]:
        """The catalogued actions a lowercased pattern names."""
        service = pattern.partition(":")[0]
        if "*" not in pattern and "?" not in pattern:
            return [pattern] if pattern in self.names else []
        candidates = self.names if "*" in service or "?" in service else self.by_service.get(service, ())
        match = matcher(pattern)
        return [name for name in candidates if match(name)]

    def statement_keys(self, statement: Statement) -> KeyTable | None:
        """The condition keys of every action the statement names; None when the catalogue
        cannot say (no keys given, NotAction, `*`, or an action it does not know)."""
        if self.action_keys is None or statement.actions is None:
            return None
        table = KeyTable()
        for pattern in statement.actions:
            if pattern == "*" or "${" in pattern:
                return None
            names = self.matching(pattern.lower())
            if not names or any(name not in self.action_keys for name in names):
                return None
            table.add((key, None) for name in names for key in self.action_keys[name])
        return table


def key_types_table(key_types: Mapping[str, str] | None) -> KeyTable:
    """The types of the global keys and of `key_types`' service keys, for KeyCheck."""
    return key_table(key_types) if key_types else GLOBAL_KEYS


class UnknownServices:
    """The actions a document names of services the catalogue does not know, gathered so that
    each such service is one finding however many of its actions the document names."""

    def __init__(self) -> None:
        self.services: dict[str, tuple[str, str, list[str]]] = {}

    def note(self, action: str, path: str) -> None:
        """`action` as the document writes it: the finding names its service as first written."""
        written = action.partition(":")[0]
        self.services.setdefault(written.lower(), (written, path, []))[2].append(action)

    def report(self, problems) -> None:
        for written, path, actions in self.services.values():
            listed = ", ".join(dict.fromkeys(actions))
            count = len(actions)
            problems[Level.WARNING].add(
                "UNKNOWN_SERVICE",
                f"no action of service {written!r} is in the catalogue "
                f"({count} {'action' if count == 1 else 'actions'} named here: {listed})",
                path,
            )


class KeyCheck:
    """Unknown condition keys and operators that do not suit a key's type, for one validation."""

    def __init__(self, index: CatalogueIndex | None, types: KeyTable) -> None:
        self.index = index
        self.types = types

    def check(self, statement: Statement, problems) -> None:
        keys: KeyTable | None = None
        for position, condition in enumerate(statement.conditions):
            if position == 0 and self.index is not None:
                keys = self.index.statement_keys(statement)
            self._check_known(condition, keys, problems)
            self._check_type(condition, problems)

    def _check_known(self, condition: Condition, keys: KeyTable | None, problems) -> None:
        key = condition.key
        if key.lower().startswith("aws:"):
            if key not in GLOBAL_KEYS:
                problems[Level.WARNING].add(
                    "UNKNOWN_CONDITION_KEY", f"{key} is not a global condition key{_near_miss(key)}", condition.path
                )
        elif keys is not None and key not in keys:
            problems[Level.WARNING].add(
                "UNKNOWN_CONDITION_KEY",
                f"{key} is neither a global condition key nor a condition key of this statement's actions",
                condition.path,
            )

    def _check_type(self, condition: Condition, problems) -> None:
        family = condition.operator.family
        key_type = self.types.type_of(condition.key)
        if family == "Null" or key_type is None:
            return
        suited = families_for(condition.key, key_type)
        if suited is not None and family not in suited:
            operators = " or ".join(OPERATORS_BY_FAMILY[name] for name in sorted(suited))
            problems[Level.WARNING].add(
                "CONDITION_TYPE_MISMATCH",
                f"{condition.operator.name} does not suit {condition.key} (of type {key_type}): use {operators}",
                condition.path,
            )


def _near_miss(key: str) -> str:
    close = difflib.get_close_matches(key.lower(), _GLOBAL_NAMES, n=1, cutoff=0.8)
    return f" (did you mean {_GLOBAL_NAMES[close[0]]}?)" if close else ""
