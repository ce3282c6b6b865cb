"""Principals in stored trust policies are kept by unique ID, as AWS keeps them.

When a trust policy is saved, each user or role ARN of this account in its
`Principal` (or `NotPrincipal`) must name an existing user or role, or the save
is refused ("Invalid principal in policy"); it is stored as that principal's
unique ID. So a rename keeps the trust, and a new principal that takes a
deleted one's name inherits nothing. Read back, the document shows the current
ARN while the principal exists and the bare unique ID once it is gone; a
unique ID that names nobody matches no caller. Account IDs, the account's
`:root`, `*`, other accounts' ARNs, role-session ARNs, service and federated
principals stay as written.
"""

import copy
import re

from django.conf import settings
from django.core.exceptions import ValidationError

from identities.models import Role, User

UNIQUE_ID = re.compile(r"A(IDA|ROA)[A-Z0-9]{12,28}")
_ELEMENTS = ("Principal", "NotPrincipal")


def _iam_arn(value: str) -> tuple[str, str, str] | None:
    """(kind, path, name) of a user or role ARN of this account, else None."""
    prefix = f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:"
    if not value.startswith(prefix):
        return None
    kind, _, rest = value[len(prefix) :].partition("/")
    if kind not in ("user", "role") or not rest:
        return None
    path, _, name = rest.rpartition("/")
    return kind, f"/{path}/" if path else "/", name


def aws_principals(document) -> list[str]:
    """Every AWS principal entry of a trust policy, in order."""
    return [value for holder, key in _entries(document) for value in _values(holder[key])]


def _entries(document):
    """(mapping, key) of each AWS principal entry, so it can be read or replaced."""
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    for statement in [statements] if isinstance(statements, dict) else statements:
        if not isinstance(statement, dict):
            continue
        for element in _ELEMENTS:
            principal = statement.get(element)
            if isinstance(principal, dict) and "AWS" in principal:
                yield principal, "AWS"


def _values(entry) -> list[str]:
    return [entry] if isinstance(entry, str) else [value for value in entry if isinstance(value, str)]


def _rewrite(document: dict, replace) -> dict:
    rewritten = copy.deepcopy(document)
    for holder, key in _entries(rewritten):
        entry = holder[key]
        holder[key] = replace(entry) if isinstance(entry, str) else [replace(value) for value in entry]
    return rewritten


def stored_form(document: dict | None) -> dict:
    """The document as it is stored: this account's user and role ARNs as unique IDs.
    ValidationError ("Invalid principal in policy") when one names nobody."""
    if not document:
        return document or {}
    wanted = {value: parsed for value in aws_principals(document) if (parsed := _iam_arn(value))}
    found = {value: _unique_id(*parsed) for value, parsed in wanted.items()}
    missing = sorted(value for value, unique_id in found.items() if unique_id is None)
    if missing:
        raise ValidationError(
            [f"Invalid principal in policy: {arn} is not a user or role of this account." for arn in missing],
            code="invalid_principal",
        )
    return _rewrite(document, lambda value: found.get(value, value))


def _unique_id(kind: str, path: str, name: str) -> str | None:
    if kind == "user":
        found = User.objects.filter(username__lower=name.lower(), path=path, is_superuser=False)
    else:
        found = Role.objects.filter(role_name__lower=name.lower(), path=path)
    return found.values_list("iam_id", flat=True).first()


def current_arns(unique_ids) -> dict[str, str]:
    """The current ARN of each unique ID that still names a user or role (2 queries)."""
    wanted = set(unique_ids)
    if not wanted:
        return {}
    users = User.objects.filter(iam_id__in=wanted, is_superuser=False).only("iam_id", "username", "path")
    roles = Role.objects.filter(iam_id__in=wanted).only("iam_id", "role_name", "path")
    return {identity.iam_id: identity.arn for identity in [*users, *roles]}


def stored_ids(document) -> set[str]:
    return {value for value in aws_principals(document) if UNIQUE_ID.fullmatch(value)}


def shown_form(document: dict | None, arns: dict[str, str] | None = None) -> dict:
    """The stored document as people read it and decisions match it: each unique ID
    as its principal's current ARN while the principal exists, else the bare ID.
    `arns`: unique IDs to ARNs already read (for many roles at once)."""
    if not document:
        return document or {}
    arns = current_arns(stored_ids(document)) if arns is None else arns
    return _rewrite(document, lambda value: _shown(value, arns))


def _shown(value: str, arns: dict[str, str]) -> str:
    return arns.get(value, value) if UNIQUE_ID.fullmatch(value) else value
