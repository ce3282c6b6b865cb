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

Documents reach here before anything has checked their grammar (the console
checks only that they are JSON), so every shape is read without failing:
what is not a principal entry is left as it is.
"""

import copy
import json
import re
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from identities import staleness
from identities.models import Role, User

UNIQUE_ID = re.compile(r"A(IDA|ROA)[A-Z0-9]{12,28}")
INVALID_PRINCIPAL = "Invalid principal in policy: {arn} is not a user or role of this account."
_ELEMENTS = ("Principal", "NotPrincipal")

# (kind, path, lower-cased name): names are unique without regard to case, as in AWS.
Key = tuple[str, str, str]


def _key(value: str) -> Key | None:
    """What a user or role ARN of this account names, else None. The path is taken as
    written (`user//mia` has the path `//`, which no user has), never tidied up."""
    prefix = f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:"
    if not value.startswith(prefix):
        return None
    kind, slash, rest = value[len(prefix) :].partition("/")
    if kind not in ("user", "role") or not slash:
        return None
    path, _, name = f"/{rest}".rpartition("/")
    return kind, f"{path}/", name.lower()


def aws_principals(document) -> list[str]:
    """Every AWS principal entry of a trust policy, in order."""
    return [value for holder, key in _entries(document) for value in _values(holder[key])]


def _statements(document) -> list:
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        return [statements]
    return statements if isinstance(statements, list) else []


def _entries(document):
    """(mapping, key) of each AWS principal entry, so it can be read or replaced."""
    for statement in _statements(document):
        if not isinstance(statement, dict):
            continue
        for element in _ELEMENTS:
            principal = statement.get(element)
            if isinstance(principal, dict) and "AWS" in principal:
                yield principal, "AWS"


def _values(entry) -> list[str]:
    if isinstance(entry, str):
        return [entry]
    return [value for value in entry if isinstance(value, str)] if isinstance(entry, list) else []


def _rewrite(document: dict, replace) -> dict:
    """A copy of the document with each AWS principal entry that is text replaced."""
    rewritten = copy.deepcopy(document)
    for holder, key in _entries(rewritten):
        entry = holder[key]
        if isinstance(entry, str):
            holder[key] = replace(entry)
        elif isinstance(entry, list):
            holder[key] = [replace(value) if isinstance(value, str) else value for value in entry]
    return rewritten


def unknown_principals(document, known: Iterable[str] = ()) -> list[str]:
    """The user and role ARNs of this account the document names that name no user or
    role here, nor one of the `known` ARNs (those an import is about to create)."""
    also = {key for arn in known if (key := _key(arn))}
    found = _unique_ids(document)
    return sorted(arn for arn, unique_id in found.items() if unique_id is None and _key(arn) not in also)


def stored_form(document: dict | None) -> dict:
    """The document as it is stored: checked as a trust policy by the hooks named in
    IAM_TRUST_POLICY_CHECKS (the policy engine's grammar and validation, which this app
    cannot import), then this account's user and role ARNs as unique IDs.
    ValidationError ("Invalid principal in policy") when one names nobody. An empty
    document is a role that trusts no one."""
    if not document:
        return document or {}
    for check in settings.IAM_TRUST_POLICY_CHECKS:
        import_string(check)(document)
    found = _unique_ids(document)
    missing = sorted(arn for arn, unique_id in found.items() if unique_id is None)
    if missing:
        raise ValidationError([INVALID_PRINCIPAL.format(arn=arn) for arn in missing], code="invalid_principal")
    return _rewrite(document, lambda value: found.get(value) or value)


def check_text(text: str) -> None:
    """A trust policy as typed, checked by the hooks named in IAM_TRUST_POLICY_CHECKS:
    ValidationError with every problem and its line and column, broken JSON included.
    Empty JSON (`{}`) is a role that trusts no one, as in stored_form."""
    try:
        decoded = json.loads(text)
    except json.JSONDecodeError as error:
        for check in settings.IAM_TRUST_POLICY_CHECKS:
            import_string(check)(text)
        message = f"The trust policy is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        raise ValidationError(message, code="invalid") from None
    if decoded:
        for check in settings.IAM_TRUST_POLICY_CHECKS:
            import_string(check)(text)


def _unique_ids(document) -> dict[str, str | None]:
    """Each user or role ARN of this account in the document, with the unique ID of the
    principal it names (None: nobody). One query per ARN: a trust policy names few."""
    wanted = {value: key for value in aws_principals(document) if (key := _key(value))}
    return {value: _unique_id(*key) for value, key in wanted.items()}


def _unique_id(kind: str, path: str, name: str) -> str | None:
    if kind == "user":
        found = User.objects.filter(username__lower=name, path=path, is_superuser=False)
    else:
        found = Role.objects.filter(role_name__lower=name, path=path)
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
    return _rewrite(document, lambda value: arns.get(value, value) if UNIQUE_ID.fullmatch(value) else value)


def shown_token(document: dict | None) -> str:
    """The token of a stored trust policy as forms show it (identities.staleness): a
    principal renamed since the form was opened makes the form stale too, as the ARN it
    showed may name someone else by now."""
    return staleness.token(shown_form(document))
