"""This console's own data, which AWS's format has no place for: role assignments, group
memberships that end or that another writer made (GroupList says only plain ones), and guardrails.

The export writes them in one top-level section, `IamconsoleExtension` (AWS's tools read only the
keys they know), so that exporting and importing into an empty console gives the same decisions.
Importing the section needs the actions that making each change by hand needs, asked through the
rule table before anything is written. A guardrail here that the file does not name is kept: an
import never removes a restriction. Assignments of the roles the file names end up as it says.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Q
from django.utils import timezone

from identities import rules as identity_rules
from identities import services as identity_services
from identities.context import Target
from identities.models import Membership, Role, RoleAssignment, User
from policies import services
from policies.aws_import.details import AccountDetails, AssignmentDetail, GuardrailDetail, Skipped
from policies.aws_import.reader import EXTENSION
from policies.aws_import.steps import Step, Writer, to_the_second
from policies.models import Guardrail

# kind, ARN (or name), whether it exists here already, steps
Planned = tuple[str, str, bool, list[Step]]


def export_extension() -> dict:
    assignments = RoleAssignment.objects.select_related("role", "user").order_by("role__role_name", "user__username")
    return {
        EXTENSION: {
            "Description": (
                "iamconsole's own data: role assignments, group memberships that end or that another "
                "writer made, and guardrails; AWS's tools ignore it."
            ),
            "RoleAssignments": [
                {
                    "RoleName": assignment.role.role_name,
                    "UserName": assignment.user.username,
                    "ExpiresAt": _date(assignment.expires_at),
                }
                for assignment in assignments
            ],
            "GroupMemberships": [
                {
                    "GroupName": membership.group.group_name,
                    "UserName": membership.user.username,
                    "ExpiresAt": _date(membership.expires_at),
                    "Source": membership.source,
                }
                for membership in _beyond_group_lists()
            ],
            "Guardrails": [
                {
                    "GuardrailName": guardrail.guardrail_name,
                    "Description": guardrail.description,
                    "Level": guardrail.level,
                    "Document": guardrail.document,
                }
                for guardrail in Guardrail.objects.order_by("level", "guardrail_name")
            ],
        }
    }


def _beyond_group_lists():
    """The live memberships GroupList cannot say: those that end, or that another writer made."""
    plain = Q(expires_at__isnull=True, source=Membership.Source.MANUAL)
    live = Membership.objects.live().exclude(plain).select_related("group", "user")
    return live.order_by("group__group_name", "user__username")


def _date(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def extension_changes(kept: AccountDetails, notes: list[str], skipped: list[Skipped] = ()) -> list[Planned]:
    """The changes of the section; `skipped`: what the import leaves out, whose assignments it
    leaves out too, even where a user or role of that name is here already."""
    if kept.extension is None:
        return []
    changes = [_guardrail_change(detail) for detail in kept.extension.guardrails]
    named = {detail.name for detail in kept.extension.guardrails}
    notes += [
        f"guardrail {name} is kept: the file does not name it, and an import never removes a restriction"
        for name in Guardrail.objects.exclude(guardrail_name__in=named).values_list("guardrail_name", flat=True)
    ]
    left_out = {(entry.kind, entry.name.lower()) for entry in skipped if entry.name}
    return [change for change in changes if change is not None] + _assignment_changes(kept, notes, left_out)


# Guardrails


def _guardrail_change(detail: GuardrailDetail) -> Planned | None:
    guardrail = Guardrail.objects.filter(guardrail_name=detail.name).first()
    if guardrail is not None and (guardrail.document, guardrail.level, guardrail.description) == (
        detail.document,
        detail.level,
        detail.description,
    ):
        return None

    def run(writer: Writer) -> None:
        services.save_guardrail(
            guardrail_name=detail.name,
            document=detail.document,
            level=detail.level,
            description=detail.description,
            guardrail=Guardrail.objects.filter(guardrail_name=detail.name).first(),
            actor=writer.actor,
        )

    def checks() -> list:
        return identity_rules.required(services.save_guardrail, guardrail_name=detail.name, guardrail=guardrail)

    verb = "create" if guardrail is None else "update"
    step = Step(f"{verb} guardrail {detail.name} at level {detail.level}", run, checks=checks)
    return ("guardrail", detail.name, guardrail is not None, [step])


# Role assignments


def _assignment_changes(kept: AccountDetails, notes: list[str], left_out: set[tuple[str, str]]) -> list[Planned]:
    roles = {role.name.lower(): role.arn for role in kept.roles}
    users = {user.name.lower(): user.arn for user in kept.users}
    wanted: dict[tuple[str, str], AssignmentDetail] = {}
    for detail in kept.extension.assignments:
        role_arn, user_arn = _arn(Role, roles, detail.role_name), _arn(User, users, detail.user_name)
        what = f"the assignment of role {detail.role_name} to {detail.user_name}"
        if ("role", detail.role_name.lower()) in left_out or ("user", detail.user_name.lower()) in left_out:
            notes.append(f"{what} is not imported: the import skips its role or user")
        elif role_arn is None or user_arn is None:
            missing = f"role {detail.role_name}" if role_arn is None else f"user {detail.user_name}"
            notes.append(f"{what} is not imported: the {missing} is neither imported nor here")
        elif detail.expires_at is not None and detail.expires_at <= timezone.now():
            notes.append(f"{what} is not imported: it expired at {_date(detail.expires_at)}")
        else:
            wanted[(role_arn, user_arn)] = detail
    current = {
        (assignment.role.arn, assignment.user.arn): assignment
        for assignment in RoleAssignment.objects.select_related("role", "user").filter(
            role__role_name__lower__in=list(roles)
        )
    }
    changes = []
    for pair, assignment in current.items():
        # A skipped user keeps what it has here, as every skipped identity does.
        untouched = ("user", assignment.user.username.lower()) in left_out
        if pair not in wanted and not untouched:
            changes.append(("role assignment", _label(pair), True, [_unassign_step(*pair)]))
    for pair, detail in wanted.items():
        existing = current.get(pair)
        if existing is None:
            changes.append(("role assignment", _label(pair), False, [_assign_step(*pair, detail)]))
        elif to_the_second(existing.expires_at) != detail.expires_at:  # the file keeps whole seconds
            steps = [_unassign_step(*pair), _assign_step(*pair, detail)]
            changes.append(("role assignment", _label(pair), True, steps))
    return changes


def _arn(model, in_file: dict[str, str], name: str) -> str | None:
    if name.lower() in in_file:
        return in_file[name.lower()]
    field = "role_name" if model is Role else "username"
    found = model.objects.filter(
        **{f"{field}__lower": name.lower()}, **({} if model is Role else {"is_superuser": False})
    )
    return next((identity.arn for identity in found[:1]), None)


def _label(pair: tuple[str, str]) -> str:
    return f"{pair[0]} to {pair[1]}"


def _name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _role_target(role_arn: str):
    """The role as the checks see it: the row if it is here already, else its ARN."""
    role = Role.objects.filter(role_name__lower=_name(role_arn).lower()).first()
    return role if role is not None and role.arn == role_arn else Target(role_arn)


def _assign_step(role_arn: str, user_arn: str, detail: AssignmentDetail) -> Step:
    def run(writer: Writer) -> None:
        identity_services.assign_role(
            role=writer.identity("role", detail.role_name),
            user=writer.identity("user", detail.user_name),
            expires_at=detail.expires_at,
            actor=writer.actor,
        )

    def checks() -> list:
        return identity_rules.required(identity_services.assign_role, role=_role_target(role_arn))

    until = f" until {_date(detail.expires_at)}" if detail.expires_at else ""
    return Step(f"assign role {detail.role_name} to {detail.user_name}{until}", run, last=True, checks=checks)


def _unassign_step(role_arn: str, user_arn: str) -> Step:
    role_name, user_name = _name(role_arn), _name(user_arn)

    def run(writer: Writer) -> None:
        identity_services.unassign_role(
            role=writer.identity("role", role_name), user=writer.identity("user", user_name), actor=writer.actor
        )

    def checks() -> list:
        return identity_rules.required(identity_services.unassign_role, role=_role_target(role_arn))

    return Step(f"unassign role {role_name} from {user_name}", run, checks=checks)
