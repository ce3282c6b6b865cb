"""An access expectation as written: its JSON form (the file's, the API's, the stored one),
read into a `Definition` with every problem named by its place."""

from typing import NamedTuple

from django.core.exceptions import ValidationError

from policies.models import EXPECTATION_NAME_MAX_LENGTH

KINDS = ("users", "groups", "roles")
ANYONE = "*"
FIELDS = ("name", "description", "principals", "except", "may", "actions", "resources", "context")
MOST_ACTIONS = MOST_RESOURCES = MOST_PRINCIPALS = 100
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-")


class Principals(NamedTuple):
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {kind: list(getattr(self, kind)) for kind in KINDS if getattr(self, kind)}

    def __bool__(self) -> bool:
        return bool(self.users or self.groups or self.roles)


class Definition(NamedTuple):
    """ "`principals` may (or, `may` false, may not) do each of `actions` on each of `resources`":
    `anyone` means every active user but the root user and every role, less `excluded`."""

    name: str
    description: str
    anyone: bool
    principals: Principals
    excluded: Principals
    may: bool
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    context: dict

    def as_json(self) -> dict:
        """The stored form: every field but name and description, as the file writes it."""
        document: dict = {"principals": ANYONE if self.anyone else self.principals.as_json()}
        if self.excluded:
            document["except"] = self.excluded.as_json()
        document |= {"may": self.may, "actions": list(self.actions), "resources": list(self.resources)}
        if self.context:
            document["context"] = self.context
        return document

    def file_json(self) -> dict:
        return {"name": self.name, "description": self.description, **self.as_json()}

    def in_words(self) -> str:
        """ "mia may storage:GetObject on arn:aws:storage:::production-data/*", as people read it."""
        who = "anyone" if self.anyone else _names(self.principals)
        if self.excluded:
            who += f" but {_names(self.excluded)}"
        verb = "may" if self.may else "may not"
        on = "" if self.resources == ("*",) else f" on {', '.join(self.resources)}"
        return f"{who} {verb} {', '.join(self.actions)}{on}"


def _names(principals: Principals) -> str:
    parts = [*principals.users, *(f"members of {group}" for group in principals.groups)]
    parts += [f"role {role}" for role in principals.roles]
    return ", ".join(parts) if len(parts) < 3 else ", ".join(parts[:-1]) + f" and {parts[-1]}"


def read_definition(data, *, where: str = "the expectation") -> Definition:
    """The expectation `data` (a JSON object) describes; a ValidationError naming every problem
    and its place otherwise."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ValidationError([f"{where} must be a JSON object."])
    for unknown in sorted(set(data) - set(FIELDS)):
        problems.append(f"{where}: {unknown!r} is not a field of an expectation ({', '.join(FIELDS)}).")
    name = _name(data.get("name"), where, problems)
    description = data.get("description", "")
    if not isinstance(description, str) or len(description) > 1000:
        problems.append(f"{where}.description: text of at most 1000 characters.")
        description = ""
    anyone, principals = _principals(data.get("principals"), f"{where}.principals", problems)
    excluded = _principal_lists(data.get("except", {}), f"{where}.except", problems)
    may = data.get("may")
    if not isinstance(may, bool):
        problems.append(f"{where}.may: true (they may) or false (they may not).")
    actions = _texts(data.get("actions"), f"{where}.actions", problems, MOST_ACTIONS)
    for action in actions:
        prefix, colon, rest = action.partition(":")
        if not (colon and prefix and rest) and action != "*":
            problems.append(f"{where}.actions: {action!r} is not service:Action (wildcards * and ? allowed).")
    resources = _texts(data.get("resources", ["*"]), f"{where}.resources", problems, MOST_RESOURCES)
    for resource in resources:
        if resource != "*" and not resource.startswith("arn:"):
            problems.append(f"{where}.resources: {resource!r} is neither an ARN nor *.")
    context = _context(data.get("context", {}), f"{where}.context", problems)
    if problems:
        raise ValidationError(problems)
    return Definition(
        name, description.strip(), anyone, principals, excluded, may, tuple(actions), tuple(resources), context
    )


def _name(value, where: str, problems: list[str]) -> str:
    if not isinstance(value, str) or not value:
        problems.append(f"{where}.name: required, a name of letters, digits and +=,.@_-.")
        return ""
    if len(value) > EXPECTATION_NAME_MAX_LENGTH or not set(value) <= _NAME_CHARACTERS:
        problems.append(
            f"{where}.name: {value[:40]!r} is not 1 to {EXPECTATION_NAME_MAX_LENGTH} letters, digits and +=,.@_-."
        )
    return value


def _principals(value, where: str, problems: list[str]) -> tuple[bool, Principals]:
    if value == ANYONE:
        return True, Principals()
    principals = _principal_lists(value, where, problems)
    if isinstance(value, dict) and not principals:
        problems.append(f'{where}: name at least one user, group or role, or write "*" for anyone.')
    return False, principals


def _principal_lists(value, where: str, problems: list[str]) -> Principals:
    if not isinstance(value, dict):
        problems.append(f'{where}: an object of "users", "groups" and "roles" lists, or "*" for anyone.')
        return Principals()
    for unknown in sorted(set(value) - set(KINDS)):
        problems.append(f"{where}: {unknown!r} is not one of users, groups, roles.")
    found = {kind: tuple(_texts(value.get(kind, []), f"{where}.{kind}", problems, MOST_PRINCIPALS)) for kind in KINDS}
    return Principals(**found)


def _texts(value, where: str, problems: list[str], most: int) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(item, str) and item for item in values):
        problems.append(f"{where}: a non-empty text, or a list of them.")
        return []
    if where.endswith(("actions", "resources")) and not values:
        problems.append(f"{where}: at least one.")
    if len(values) > most:
        problems.append(f"{where}: at most {most}.")
    return list(dict.fromkeys(values))


def _context(value, where: str, problems: list[str]) -> dict:
    if not isinstance(value, dict) or not all(
        isinstance(key, str)
        and (isinstance(item, str) or (isinstance(item, list) and all(isinstance(v, str) for v in item)))
        for key, item in value.items()
    ):
        problems.append(f"{where}: request keys to a text or a list of texts.")
        return {}
    return value


def read_file(data) -> list[Definition]:
    """Every expectation of a file: `{"expectations": [...]}` or the bare list; names unique
    (without regard to case). Every problem of every expectation at once."""
    items = data.get("expectations") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValidationError(['The file holds {"expectations": [...]}, a list of expectations.'])
    problems, found, seen = [], [], set()
    for index, item in enumerate(items):
        try:
            definition = read_definition(item, where=f"expectations[{index}]")
        except ValidationError as error:
            problems.extend(error.messages)
            continue
        if definition.name.lower() in seen:
            problems.append(f"expectations[{index}].name: {definition.name!r} is named twice.")
        seen.add(definition.name.lower())
        found.append(definition)
    if problems:
        raise ValidationError(problems)
    return found
