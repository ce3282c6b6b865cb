"""Stored trust policies name users and roles by unique ID (identities.trust), as AWS keeps them.

Each user or role ARN of this account in a role's trust policy becomes the unique ID of the
principal whose ARN it is, exactly, as decisions matched it until now. Any other (its user or
role was deleted, or it differs in case or path and so matched no one) becomes a fresh random
unique ID of its kind, AIDA... for a user, AROA... for a role: it then names nobody for good,
as AWS shows a deleted principal, and a user or role created later under that name inherits
nothing. Each role where that happened gets an audit record naming what was replaced.

Reversed, unique IDs of existing users and roles become their ARNs again; the others stay.
The conversion is written out here rather than imported, so that it keeps meaning what it
meant when it was written.
"""

import copy
import re

from django.conf import settings
from django.db import migrations

from identities.naming import new_unique_id

UNIQUE_ID = re.compile(r"A(IDA|ROA)[A-Z0-9]{12,28}")
NOTE = "A principal named no user or role: it is now a unique ID that names no one (migration 0009)."


def _aws_principals(document):
    """Each Principal or NotPrincipal mapping that has an AWS entry."""
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements if isinstance(statements, list) else []:
        for element in ("Principal", "NotPrincipal"):
            principal = statement.get(element) if isinstance(statement, dict) else None
            if isinstance(principal, dict) and "AWS" in principal:
                yield principal


def _values(document):
    for principal in _aws_principals(document):
        entry = principal["AWS"]
        entries = [entry] if isinstance(entry, str) else entry if isinstance(entry, list) else []
        yield from (value for value in entries if isinstance(value, str))


def _rewrite(document, replace):
    rewritten = copy.deepcopy(document)
    for principal in _aws_principals(rewritten):
        entry = principal["AWS"]
        if isinstance(entry, str):
            principal["AWS"] = replace(entry)
        elif isinstance(entry, list):
            principal["AWS"] = [replace(value) if isinstance(value, str) else value for value in entry]
    return rewritten


def _named(value: str):
    """(kind, path, name) of a user or role ARN of this account, exactly as written, else None."""
    prefix = f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:"
    if not value.startswith(prefix):
        return None
    kind, slash, rest = value[len(prefix) :].partition("/")
    if kind not in ("user", "role") or not slash:
        return None
    path, _, name = f"/{rest}".rpartition("/")
    return kind, f"{path}/", name


def _arn(kind: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:{kind}{path}{name}"


def forward(apps, schema_editor):
    User, Role = apps.get_model("identities", "User"), apps.get_model("identities", "Role")
    AuditEvent = apps.get_model("identities", "AuditEvent")
    resolved: dict[str, tuple[str, bool]] = {}  # ARN -> (unique ID, whether it was made up)

    def resolve(value: str) -> tuple[str, bool] | None:
        named = _named(value)
        if named is None:
            return None
        if value not in resolved:
            # Exactly the principal's ARN, as decisions matched it until now: an ARN that
            # differs in case or in its path matched no one, and goes on matching no one.
            kind, path, name = named
            if kind == "user":
                found = User.objects.filter(username=name, path=path, is_superuser=False)
            else:
                found = Role.objects.filter(role_name=name, path=path)
            unique_id = found.values_list("iam_id", flat=True).first()
            resolved[value] = (unique_id, False) if unique_id else (new_unique_id(kind), True)
        return resolved[value]

    for role in list(Role.objects.all()):
        replaced = {}

        def replace(value: str, replaced=replaced) -> str:
            found = resolve(value)
            if found is None:
                return value
            if found[1]:
                replaced[value] = found[0]
            return found[0]

        document = _rewrite(role.trust_policy, replace)
        if document == role.trust_policy:
            continue
        Role.objects.filter(pk=role.pk).update(trust_policy=document)
        if replaced:
            AuditEvent.objects.create(
                event_name="UpdateAssumeRolePolicy",
                target_arn=_arn("role", role.path, role.role_name),
                target_id=role.iam_id,
                before={"trust_policy": role.trust_policy},
                after={"trust_policy": document, "replaced": replaced, "note": NOTE},
            )


def backward(apps, schema_editor):
    User, Role = apps.get_model("identities", "User"), apps.get_model("identities", "Role")
    roles = list(Role.objects.all())
    wanted = {value for role in roles for value in _values(role.trust_policy) if UNIQUE_ID.fullmatch(value)}
    users = User.objects.filter(iam_id__in=wanted, is_superuser=False).values_list("iam_id", "path", "username")
    arns = {iam_id: _arn("user", path, name) for iam_id, path, name in users}
    found = Role.objects.filter(iam_id__in=wanted).values_list("iam_id", "path", "role_name")
    arns |= {iam_id: _arn("role", path, name) for iam_id, path, name in found}
    for role in roles:
        document = _rewrite(
            role.trust_policy, lambda value: arns.get(value, value) if UNIQUE_ID.fullmatch(value) else value
        )
        if document != role.trust_policy:
            Role.objects.filter(pk=role.pk).update(trust_policy=document)


class Migration(migrations.Migration):
    dependencies = [
        ("identities", "0009_anonymous_refusals_and_key_failures"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
