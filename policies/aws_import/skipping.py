"""What --skip-invalid leaves out: the entities with a problem, and every identity they could
restrict, so that nothing lands with fewer restrictions than the file gives it."""

from __future__ import annotations

from dataclasses import replace

from policies.aws_import.details import AccountDetails, Skipped
from policies.aws_import.reader import ImportRefused, Problems


def _entities(details: AccountDetails) -> dict[str, tuple[str, object]]:
    return {
        detail.arn: (kind, detail)
        for kind, details_of_kind in (
            ("policy", details.policies),
            ("group", details.groups),
            ("user", details.users),
            ("role", details.roles),
        )
        for detail in details_of_kind
    }


def skipped_by_problems(kept: AccountDetails, problems: Problems) -> list[Skipped]:
    """The planning's problems are each about one entity, named first (its ARN)."""
    reasons: dict[str, list[str]] = {}
    for message in problems.messages:
        arn, _, reason = message.partition(": ")
        reasons.setdefault(arn, []).append(reason)
    entities = _entities(kept)
    unplaced = [arn for arn in reasons if arn not in entities]
    if unplaced:
        raise ImportRefused([message for message in problems.messages if message.partition(": ")[0] in unplaced])
    return [
        Skipped(entities[arn][0], arn, tuple(found), name=entities[arn][1].name, restricts=_restricts(entities[arn]))
        for arn, found in reasons.items()
    ]


def _restricts(entity: tuple[str, object]) -> bool:
    kind, detail = entity
    if kind != "policy":
        return True
    return any(_has_deny(document) for _, document in detail.versions)


def _has_deny(document: dict) -> bool:
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    return any(statement.get("Effect") != "Allow" for statement in statements)


def cascade(details: AccountDetails, skipped: list[Skipped]) -> tuple[AccountDetails, list[str]]:
    """The details without what is skipped, skipping (into `skipped`) every identity a skipped
    policy or group could restrict, and leaving out attachments of skipped policies that only
    allow, each with a note."""
    while True:
        gone = {(entry.kind, entry.arn) for entry in skipped}
        policies = {entry.arn: entry.restricts for entry in skipped if entry.kind == "policy"}
        groups = {entry.name.lower() for entry in skipped if entry.kind == "group" and entry.name}
        added, notes, kept = [], [], {}
        for kind, identities in (("group", details.groups), ("user", details.users), ("role", details.roles)):
            kept[kind] = []
            for identity in identities:
                if (kind, identity.arn) in gone:
                    continue
                reasons = _cascade_reasons(identity, policies, groups)
                if reasons:
                    added.append(Skipped(kind, identity.arn, tuple(reasons), name=identity.name))
                    continue
                kept[kind].append(_without_policies(identity, policies, notes))
        if not added:
            break
        skipped += added
    policies_kept = tuple(policy for policy in details.policies if ("policy", policy.arn) not in gone)
    groups_kept, users_kept, roles_kept = (tuple(kept[kind]) for kind in ("group", "user", "role"))
    return replace(details, policies=policies_kept, groups=groups_kept, users=users_kept, roles=roles_kept), notes


def _cascade_reasons(identity, policies: dict[str, bool], groups: set[str]) -> list[str]:
    wanted = identity.policies
    reasons = []
    if wanted.boundary in policies:
        reasons.append(f"its permissions boundary {wanted.boundary} is skipped")
    reasons += [
        f"it attaches {arn}, which is skipped and may restrict it (a Deny, or a document that cannot be read)"
        for arn in wanted.attached
        if policies.get(arn)
    ]
    reasons += [
        f"it is a member of group {name}, which is skipped and may restrict it"
        for name in getattr(identity, "groups", ())
        if name.lower() in groups
    ]
    return reasons


def _without_policies(identity, policies: dict[str, bool], notes: list[str]):
    """The identity without attachments of skipped policies that only allow."""
    dropped = [arn for arn in identity.policies.attached if arn in policies]
    if not dropped:
        return identity
    for arn in dropped:
        notes.append(f"{identity.arn}: not attached to {arn}, which is skipped (it only allows, so this narrows)")
    attached = tuple(arn for arn in identity.policies.attached if arn not in policies)
    return replace(identity, policies=replace(identity.policies, attached=attached))
