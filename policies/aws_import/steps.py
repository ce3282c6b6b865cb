"""The steps an import runs: each calls one existing service, so each write keeps its audit record.

Steps look identities and policies up when they run, since an earlier step may have created them.
Trust policies are set last, once every user and role of the file is in place: a trust policy may
name only principals that exist (identities.trust), and roles of one file may trust each other or
themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from identities import rules as identity_rules
from identities import services as identity_services
from identities import trust
from identities.models import Group, Membership, Role, User
from policies import services
from policies.aws_import.reader import GroupDetail, IdentityPolicies, RoleDetail, UserDetail
from policies.models import InlinePolicy, ManagedPolicy, PermissionBoundary, PolicyAttachment

_POLICY_ARN = re.compile(r"arn:aws:iam::(?P<account>\d{12}|aws):policy(?P<path>/(?:.*/)?)(?P<name>[^/]+)")
_MODELS = {"user": (User, "username"), "group": (Group, "group_name"), "role": (Role, "role_name")}


class Writer:
    """What steps run with: the actor, and identities looked up when the step runs."""

    def __init__(self, actor: User | None):
        self.actor = actor

    def identity(self, kind: str, name: str):
        model, field_name = _MODELS[kind]
        return model.objects.get(**{f"{field_name}__lower": name.lower()})

    def policy(self, arn: str) -> ManagedPolicy:
        policy = find_policy(arn)
        if policy is None:
            raise ValidationError(f"No policy {arn}.")
        return policy


@dataclass(frozen=True)
class Step:
    description: str
    run: Callable[[Writer], object]
    last: bool = False  # run after every other step of the import (trust policies)
    # What making this change by hand needs (the rule table), asked of the import's actor before
    # any step runs; None where the import's own action governs it.
    checks: Callable[[], list] | None = None


def find_policy(arn: str) -> ManagedPolicy | None:
    """The managed policy at `arn`: this account's, or AWS's (built-in or imported)."""
    match = _POLICY_ARN.fullmatch(arn)
    if match is None or match["account"] not in ("aws", settings.IAM_ACCOUNT_ID):
        return None
    return ManagedPolicy.objects.filter(
        aws_managed=match["account"] == "aws", path=match["path"], policy_name__lower=match["name"].lower()
    ).first()


def _changed(instance, **wanted) -> dict:
    return {name: value for name, value in wanted.items() if value is not None and getattr(instance, name) != value}


def create_step(kind: str, detail, **fields) -> Step:
    create = {"user": identity_services.create_user, "group": identity_services.create_group}[kind]
    name_field = _MODELS[kind][1]

    def run(writer: Writer) -> None:
        create(
            **{name_field: detail.name},
            iam_id=detail.iam_id,
            created_at=detail.create_date,
            actor=writer.actor,
            **fields,
        )

    return Step(f"create {kind} {detail.name} (ID {detail.iam_id})", run)


def create_role_steps(detail: RoleDetail) -> list[Step]:
    """The role first, trusting no one; its trust policy once every identity is in place."""

    def run(writer: Writer) -> None:
        identity_services.create_role(
            role_name=detail.name,
            path=detail.path,
            description=detail.description or "",
            max_session_duration=detail.max_session_duration or 3600,
            tags=detail.tags,
            iam_id=detail.iam_id,
            created_at=detail.create_date,
            last_used_at=detail.last_used_at,
            last_used_region=detail.last_used_region,
            actor=writer.actor,
        )

    create = Step(f"create role {detail.name} (ID {detail.iam_id})", run)
    return [create, _trust_policy_step(detail)] if detail.trust_policy else [create]


def _trust_policy_step(detail: RoleDetail) -> Step:
    def run(writer: Writer) -> None:
        identity_services.update_trust_policy(
            role=writer.identity("role", detail.name), trust_policy=detail.trust_policy, actor=writer.actor
        )

    return Step("set its trust policy (after every user and role is in place)", run, last=True)


def update_step(kind: str, name: str, update, changed: dict) -> Step:
    def run(writer: Writer) -> None:
        update(**{kind: writer.identity(kind, name)}, actor=writer.actor, **changed)

    return Step(f"set {', '.join(changed)}", run)


def group_attribute_steps(group: Group, detail: GroupDetail) -> list[Step]:
    changed = _changed(group, group_name=detail.name, path=detail.path)
    return [update_step("group", detail.name, identity_services.update_group, changed)] if changed else []


def user_attribute_steps(user: User, detail: UserDetail) -> list[Step]:
    steps = []
    changed = _changed(user, username=detail.name, path=detail.path)
    if changed:
        steps.append(update_step("user", detail.name, identity_services.update_user, changed))
    if user.tags != detail.tags:
        steps.append(update_step("user", detail.name, identity_services.set_user_tags, {"tags": detail.tags}))
    return steps


def role_attribute_steps(role: Role, detail: RoleDetail) -> list[Step]:
    steps = []
    changed = _changed(
        role,
        role_name=detail.name,
        path=detail.path,
        description=detail.description,
        max_session_duration=detail.max_session_duration,
        tags=detail.tags,
    )
    if changed:
        steps.append(update_step("role", detail.name, identity_services.update_role, changed))
    # Like with like: the stored policy names principals by unique ID, the file by ARN
    # (and by unique ID those since deleted), as AWS lists them.
    if trust.shown_form(role.trust_policy) != trust.shown_form(detail.trust_policy):
        steps.append(_trust_policy_step(detail))
    return steps


def date_steps(kind: str, identity: User | Group | Role, detail, notes: list[str]) -> list[Step]:
    """The file's creation date for an identity already here, and a role's last use when the
    file's is the later one: a use here since the file was written is not forgotten (the plan
    says so). Compared to the second, as the file writes them."""
    changed, told = {}, []
    if detail.create_date is not None and to_the_second(identity.created_at) != to_the_second(detail.create_date):
        changed["created_at"] = detail.create_date
        told.append(f"its creation date {shown_date(detail.create_date)} (here {shown_date(identity.created_at)})")
    if isinstance(detail, RoleDetail) and detail.last_used_at is not None:
        here = (identity.last_used_at, identity.last_used_region)
        in_file = f"{shown_date(detail.last_used_at)} {detail.last_used_region}".strip()
        if here[0] is None or to_the_second(detail.last_used_at) > to_the_second(here[0]):
            changed |= {"last_used_at": detail.last_used_at, "last_used_region": detail.last_used_region}
            told.append(f"its last use {in_file} (here {shown_date(here[0]) or 'none'})")
        elif to_the_second(here[0]) != to_the_second(detail.last_used_at) or here[1] != detail.last_used_region:
            used = f"{shown_date(here[0])} {here[1]}".strip()
            notes.append(f"{detail.arn} keeps its last use here, {used}, which is later than the file's ({in_file})")
    if not changed:
        return []

    def run(writer: Writer) -> None:
        identity_services.set_identity_dates(identity=writer.identity(kind, detail.name), actor=writer.actor, **changed)

    def checks() -> list:
        return identity_rules.required(identity_services.set_identity_dates, identity=identity)

    return [Step(f"set {' and '.join(told)}", run, checks=checks)]


def to_the_second(moment: datetime | None) -> datetime | None:
    return moment.replace(microsecond=0) if moment is not None else None


def shown_date(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else ""


def membership_steps(
    user: User | None, detail: UserDetail, timed: list = (), notes: list[str] | None = None
) -> list[Step]:
    """The user's groups as the file says: GroupList's without an end, and the extension's
    (`timed`, policies.aws_import.extension) until their ExpiresAt. A writer removes only what it
    made: a membership made by an access request or another writer is left alone, and one of
    theirs in the file is not made again (the import would become its writer)."""
    # Only live memberships: an expired one gives nothing, so the file's group is added again.
    joined = [] if user is None else Membership.objects.live().filter(user=user).select_related("group")
    current = {membership.group.group_name.lower(): membership for membership in joined}
    wanted = {name.lower(): (name, None) for name in detail.groups}
    notes = [] if notes is None else notes
    for entry in timed:
        what = f"the membership of {entry.user_name} in {entry.group_name}"
        if entry.source != Membership.Source.MANUAL:
            notes.append(f"{what} is not imported: {Membership.Source(entry.source).label} made it, not an import")
        elif entry.expires_at is not None and entry.expires_at <= timezone.now():
            notes.append(f"{what} is not imported: it expired at {shown_date(entry.expires_at)}")
        else:
            wanted[entry.group_name.lower()] = (entry.group_name, entry.expires_at)
    # What the import may replace: live memberships made by hand that the file does not list, or
    # whose end differs from the one the file's section gives. GroupList cannot say an end, so a
    # membership it lists that ends here keeps its end (an AWS file never makes one lasting).
    ours = {key: m for key, m in current.items() if m.source == Membership.Source.MANUAL}
    stale = {
        key
        for key, membership in ours.items()
        if key not in wanted or wanted[key][1] not in (None, to_the_second(membership.expires_at))
    }
    steps = [
        _member_step(identity_services.remove_members, "remove from", ours[key].group.group_name, detail.name)
        for key in stale
    ]
    steps += [
        _add_step(name, detail.name, until)
        for key, (name, until) in wanted.items()
        if key not in current or key in stale
    ]
    return steps


def _member_step(change, verb: str, group_name: str, user_name: str) -> Step:
    def run(writer: Writer) -> None:
        change(
            group=writer.identity("group", group_name), users=[writer.identity("user", user_name)], actor=writer.actor
        )

    return Step(f"{verb} group {group_name}", run)


def _add_step(group_name: str, user_name: str, until: datetime | None) -> Step:
    def run(writer: Writer) -> None:
        identity_services.add_members(
            group=writer.identity("group", group_name),
            users=[writer.identity("user", user_name)],
            expires_at=until,
            actor=writer.actor,
        )

    return Step(f"add to group {group_name}" + (f" until {shown_date(until)}" if until else ""), run)


def current_policies(kind: str, identity) -> IdentityPolicies:
    if identity is None:
        return IdentityPolicies()
    owner = {kind: identity}
    inline = dict(InlinePolicy.objects.filter(**owner).values_list("policy_name", "document"))
    attached = tuple(
        attachment.policy.arn for attachment in PolicyAttachment.objects.filter(**owner).select_related("policy")
    )
    boundary = None
    if kind != "group":
        found = PermissionBoundary.objects.filter(**owner).select_related("policy").first()
        boundary = found.policy.arn if found else None
    return IdentityPolicies(inline, attached, boundary)


def policy_steps(kind: str, name: str, wanted: IdentityPolicies, current: IdentityPolicies) -> list[Step]:
    """Removals first, so that the size and attachment quotas count only what stays."""
    steps = [
        _delete_inline_step(kind, name, policy_name)
        for policy_name in current.inline
        if policy_name not in wanted.inline
    ]
    steps += [
        _attachment_step(kind, name, arn, services.detach_policy, "detach")
        for arn in current.attached
        if arn not in wanted.attached
    ]
    steps += [
        _put_inline_step(kind, name, policy_name, document)
        for policy_name, document in wanted.inline.items()
        if current.inline.get(policy_name) != document
    ]
    steps += [
        _attachment_step(kind, name, arn, services.attach_policy, "attach")
        for arn in wanted.attached
        if arn not in current.attached
    ]
    if wanted.boundary != current.boundary:
        steps.append(_boundary_step(kind, name, wanted.boundary))
    return steps


def _delete_inline_step(kind: str, name: str, policy_name: str) -> Step:
    def run(writer: Writer) -> None:
        inline = InlinePolicy.objects.get(**{kind: writer.identity(kind, name)}, policy_name=policy_name)
        services.delete_inline_policy(inline=inline, actor=writer.actor)

    return Step(f"delete inline policy {policy_name}", run)


def _put_inline_step(kind: str, name: str, policy_name: str, document: dict) -> Step:
    def run(writer: Writer) -> None:
        services.put_inline_policy(
            identity=writer.identity(kind, name), policy_name=policy_name, document=document, actor=writer.actor
        )

    return Step(f"put inline policy {policy_name}", run)


def _attachment_step(kind: str, name: str, arn: str, change, verb: str) -> Step:
    def run(writer: Writer) -> None:
        change(policy=writer.policy(arn), identity=writer.identity(kind, name), actor=writer.actor)

    return Step(f"{verb} {arn}", run)


def _boundary_step(kind: str, name: str, arn: str | None) -> Step:
    def run(writer: Writer) -> None:
        identity = writer.identity(kind, name)
        if arn is None:
            services.delete_permissions_boundary(identity=identity, actor=writer.actor)
        else:
            services.set_permissions_boundary(identity=identity, policy=writer.policy(arn), actor=writer.actor)

    return Step(f"set the permissions boundary {arn}" if arn else "remove the permissions boundary", run)
