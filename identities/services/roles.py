"""Writes to roles and their assignments."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from identities import staleness, trust
from identities.audit import record
from identities.models import Role, RoleAssignment, User
from identities.services._common import (
    apply_changes,
    blocking_attached,
    clean,
    dated,
    iso,
    refuse_deletion,
    refuse_unless_past,
    remove_attached,
    role_state,
)

# Roles

# What a stale form's refusal names (identities.staleness).
ROLE_TAGS = "this role's set of tags"
TRUST_POLICY = "this trust policy"


def refuse_stale_role(
    role: Role, *, tags_based_on: str | None = None, trust_policy_based_on: str | None = None
) -> None:
    """Read the role again, its row locked until the transaction ends; StaleEdit if its
    tags or its trust policy (as shown, identities.trust.shown_token) are no longer those
    whose tokens the form carried."""
    role.refresh_from_db(from_queryset=Role.objects.select_for_update())
    staleness.refuse_if_stale(tags_based_on, staleness.token(role.tags), what=ROLE_TAGS)
    staleness.refuse_if_stale(trust_policy_based_on, trust.shown_token(role.trust_policy), what=TRUST_POLICY)


@transaction.atomic
def create_role(
    *,
    role_name: str,
    actor: User | None,
    path: str = "/",
    description: str = "",
    trust_policy: dict | None = None,
    max_session_duration: int = 3600,
    tags: dict[str, str] | None = None,
    iam_id: str | None = None,
    created_at: datetime | None = None,
    last_used_at: datetime | None = None,
    last_used_region: str = "",
) -> Role:
    """The trust policy may name only users and roles that exist (the role itself does
    not yet, as in AWS); it is stored by their unique IDs (identities.trust).

    `created_at`, `last_used_at` and `last_used_region`: what another account's records
    give (an import's: AWS's CreateDate and RoleLastUsed), dates never in the future."""
    refuse_unless_past(created_at, what="creation date")
    refuse_unless_past(last_used_at, what="date of last use")
    if last_used_region and last_used_at is None:
        raise ValidationError("A region of last use needs the date of that use.")
    if created_at is not None and last_used_at is not None and last_used_at < created_at:
        raise ValidationError("A role cannot have been used before it was created.")
    given = trust_policy or {}
    role = Role(
        role_name=role_name,
        path=path,
        description=description,
        trust_policy=trust.stored_form(given),
        max_session_duration=max_session_duration,
        tags=tags or {},
    )
    if iam_id:
        role.iam_id = iam_id
    if created_at is not None:
        role.created_at = created_at
    role.last_used_at, role.last_used_region = last_used_at, last_used_region
    clean(role)
    role.save()
    after = dated(role_state(role), created_at=created_at, last_used_at=last_used_at)
    after |= {"last_used_region": last_used_region} if last_used_region else {}
    record("CreateRole", actor=actor, target=role, after=after | {"trust_policy": given})
    return role


@transaction.atomic
def update_role(
    *,
    role: Role,
    actor: User | None,
    description: str | None = None,
    max_session_duration: int | None = None,
    tags: dict[str, str] | None = None,
    tags_based_on: str | None = None,
) -> Role:
    """A role's description, session length and tags. As in AWS, a role keeps its name and
    path for life (UpdateRole has neither): a new ARN is a new role. `tags_based_on`: the
    token of the tags the form showed (identities.staleness).

    The role is read again under a lock first: a copy read before someone else's change
    must not write their trust policy back."""
    refuse_stale_role(role, tags_based_on=tags_based_on)
    before = role_state(role)
    changes = {
        "description": description,
        "max_session_duration": max_session_duration,
        "tags": tags,
    }
    apply_changes(role, changes)
    clean(role)
    role.save()
    record("UpdateRole", actor=actor, target=role, before=before, after=role_state(role))
    return role


@transaction.atomic
def update_trust_policy(*, role: Role, trust_policy: dict, actor: User | None, based_on: str | None = None) -> Role:
    """Each user or role the document names must exist (the role itself may); it is
    stored by their unique IDs, and the audit record shows it with ARNs. `based_on`: the
    token of the trust policy the form showed (identities.trust.shown_token)."""
    refuse_stale_role(role, trust_policy_based_on=based_on)
    return _store_trust_policy(role, trust.stored_form(trust_policy), given=trust_policy, actor=actor)


def _store_trust_policy(role: Role, stored: dict, *, given: dict, actor: User | None) -> Role:
    before = {"trust_policy": trust.shown_form(role.trust_policy)}
    role.trust_policy = stored
    clean(role)
    role.save(update_fields=["trust_policy"])
    record("UpdateAssumeRolePolicy", actor=actor, target=role, before=before, after={"trust_policy": given})
    return role


@transaction.atomic
def delete_role(*, role: Role, actor: User | None, with_policies: bool = False) -> None:
    """Delete a role. AWS refuses DeleteRole while the role has attached managed policies or
    inline policies (DeleteConflict), and so does this, unless `with_policies` asks to remove
    them first, each with its own audit record, in this one transaction. Its assignments end
    with it; the DeleteRole record names them."""
    refuse_deletion(f"Role {role.role_name}", [] if with_policies else blocking_attached(role))
    before = role_state(role) | {
        "assignees": sorted(role.assignees.values_list("username", flat=True)),
    }
    remove_attached(role, actor)
    record("DeleteRole", actor=actor, target=role, before=before)
    role.delete()


@transaction.atomic
def assign_role(*, role: Role, user: User, actor: User | None, expires_at: datetime | None = None) -> RoleAssignment:
    if user.is_superuser:
        raise ValidationError("The account root user takes no role assignment.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError("The expiry must be in the future.")
    if RoleAssignment.objects.filter(role=role, user=user).exists():
        raise ValidationError(f"{user.username} is already assigned {role.role_name}.")
    assignment = RoleAssignment.objects.create(role=role, user=user, granted_by=actor, expires_at=expires_at)
    record(
        "AssignRole",
        actor=actor,
        target=role,
        after={"user": user.arn, "role": role.role_name, "expires_at": iso(expires_at)},
    )
    return assignment


@transaction.atomic
def unassign_role(*, role: Role, user: User, actor: User | None) -> None:
    assignment = RoleAssignment.objects.filter(role=role, user=user).first()
    if assignment is None:
        raise ValidationError(f"{user.username} is not assigned {role.role_name}.")
    record(
        "UnassignRole",
        actor=actor,
        target=role,
        before={"user": user.arn, "role": role.role_name, "expires_at": iso(assignment.expires_at)},
    )
    assignment.delete()


@transaction.atomic
def assign_role_to_users(
    *, role: Role, users: list[User], actor: User | None, expires_at: datetime | None = None
) -> list[RoleAssignment]:
    """Assign one role to several users at once: all of them or, on any refusal, none."""
    if not users:
        raise ValidationError("Choose at least one user.")
    problems, assignments = [], []
    for user in users:
        try:
            assignments.append(assign_role(role=role, user=user, actor=actor, expires_at=expires_at))
        except ValidationError as error:
            problems += error.messages
    if problems:
        raise ValidationError(problems)
    return assignments


@transaction.atomic
def update_role_and_trust_policy(
    *,
    role: Role,
    actor: User | None,
    trust_policy: dict | None = None,
    trust_policy_based_on: str | None = None,
    **changes,
) -> Role:
    """The console's role form: its fields and, when it changed, the trust policy, in one transaction.
    Refused, with nothing changed, when the trust policy or the tags the form showed are
    no longer the stored ones (`trust_policy_based_on`, `tags_based_on`).

    The trust policy is resolved before a rename, as the form showed it: a role that
    trusts itself keeps doing so under its new name."""
    refuse_stale_role(role, trust_policy_based_on=trust_policy_based_on)
    stored = trust.stored_form(trust_policy) if trust_policy is not None else None
    role = update_role(role=role, actor=actor, **changes)
    if stored is not None and stored != role.trust_policy:
        role = _store_trust_policy(role, stored, given=trust_policy, actor=actor)
    return role
