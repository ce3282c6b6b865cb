"""Every SCIM write: through identities' services (validated, quota-checked, audited, the
root user refused), with the provisioning row written and audited in the same transaction.

Entry points call these through the rule table (scim.rules), which asks the IAM actions the
console asks for the same change. Group memberships SCIM writes are marked with the source
`scim` and, as reference, the member's unique ID: SCIM removes only those, never a
membership another writer made.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from identities import services as identity_services
from identities.audit import record
from identities.models import Group, Membership, User
from scim.models import SCIM_PATH, Provisioned

SOURCE = Membership.Source.SCIM


def _refuse_taken(model, field: str, name: str, *, besides=None) -> None:
    """A name already in use (without regard to case) is SCIM's `uniqueness` conflict."""
    taken = model.objects.filter(**{f"{field}__iexact": name})
    if besides is not None:
        taken = taken.exclude(pk=besides.pk)
    if taken.exists():
        raise ValidationError(f"{name!r} is already taken (names are compared without regard to case).", "uniqueness")


def _refuse_known_external_id(kind: str, external_id: str, *, besides: Provisioned | None = None) -> None:
    """One immutable ID of the provider names one entity here (a sign-in bound to it finds one user)."""
    known = Provisioned.objects.filter(kind=kind, external_id=external_id)
    if besides is not None:
        known = known.exclude(pk=besides.pk)
    if external_id and known.exists():
        raise ValidationError(f"Another {kind} here already has the externalId {external_id!r}.", "uniqueness")


def _refuse_stale(row: Provisioned, based_on: str | None) -> None:
    """Read the row again, locked until the transaction ends: a version other than the one the
    caller's If-Match named (`based_on`, an ETag) is SCIM's precondition failure."""
    current = Provisioned.objects.select_for_update().get(pk=row.pk)
    row.version = current.version
    if based_on is not None and current.etag != based_on:
        raise ValidationError(f"The resource has changed: its version is now {current.etag}.", "precondition")


def _state(row: Provisioned) -> dict:
    return {"external_id": row.external_id, "attributes": row.attributes, "version": row.version}


def _written(row: Provisioned, *, external_id: str, attributes: dict) -> None:
    _refuse_known_external_id(row.kind, external_id, besides=row)
    row.external_id, row.attributes = external_id, attributes
    row.version += 1
    row.updated_at = timezone.now()
    row.full_clean(exclude=["user", "group"])
    row.save()


# Users


@transaction.atomic
def create_user(
    *, actor: User | None, user_name: str, external_id: str = "", active: bool = True, attributes: dict | None = None
) -> Provisioned:
    """A console user under /scim/, given what every new console user gets (its hooks)."""
    _refuse_taken(User, "username", user_name)
    _refuse_known_external_id(Provisioned.Kind.USER, external_id)
    user = identity_services.create_console_user(actor=actor, username=user_name, path=SCIM_PATH, is_active=active)
    row = Provisioned(kind=Provisioned.Kind.USER, user=user, external_id=external_id, attributes=attributes or {})
    row.full_clean(exclude=["user", "group"])
    row.save()
    record("ProvisionUser", actor=actor, target=user, after=_state(row))
    return row


@transaction.atomic
def update_user(
    *,
    row: Provisioned,
    actor: User | None,
    user_name: str,
    active: bool,
    external_id: str,
    attributes: dict,
    based_on: str | None = None,
) -> Provisioned:
    """The user as the provider now describes it: a new name renames it (under /scim/ still),
    `active` false disables it as the console does (its sessions end). `based_on`: the ETag
    the provider's If-Match named."""
    _refuse_stale(row, based_on)
    user = row.user
    changes = {}
    if user_name != user.username:
        _refuse_taken(User, "username", user_name, besides=user)
        changes["username"] = user_name
    if active != user.is_active:
        changes["is_active"] = active
    if changes:
        identity_services.update_user(user=user, actor=actor, **changes)
    before = _state(row)
    _written(row, external_id=external_id, attributes=attributes)
    record("UpdateProvisionedUser", actor=actor, target=user, before=before, after=_state(row))
    return row


@transaction.atomic
def delete_user(*, row: Provisioned, actor: User | None, based_on: str | None = None) -> None:
    """As the console's deletion with everything in the way removed first, each by its service."""
    _refuse_stale(row, based_on)
    record("DeprovisionUser", actor=actor, target=row.user, before=_state(row))
    identity_services.delete_user(user=row.user, actor=actor, with_credentials_and_memberships=True, with_policies=True)


# Groups


@transaction.atomic
def create_group(
    *, actor: User | None, display_name: str, external_id: str = "", members: Iterable[User] = ()
) -> Provisioned:
    _refuse_taken(Group, "group_name", display_name)
    _refuse_known_external_id(Provisioned.Kind.GROUP, external_id)
    group = identity_services.create_group(actor=actor, group_name=display_name, path=SCIM_PATH)
    row = Provisioned(kind=Provisioned.Kind.GROUP, group=group, external_id=external_id)
    row.full_clean(exclude=["user", "group"])
    row.save()
    record("ProvisionGroup", actor=actor, target=group, after=_state(row))
    _add(group, list(members), actor)
    return row


@transaction.atomic
def update_group(
    *,
    row: Provisioned,
    actor: User | None,
    display_name: str,
    external_id: str,
    members: Iterable[User],
    based_on: str | None = None,
) -> Provisioned:
    """The group as the provider now describes it. Members SCIM added and the provider no
    longer lists are removed; a member another writer added is left as it is."""
    _refuse_stale(row, based_on)
    group = row.group
    if display_name != group.group_name:
        _refuse_taken(Group, "group_name", display_name, besides=group)
        identity_services.update_group(group=group, actor=actor, group_name=display_name)
    wanted = {user.pk: user for user in members}
    made = scim_members(group)
    for user in made.values():
        if user.pk not in wanted:
            identity_services.remove_members_made_by(source=SOURCE, source_ref=user.iam_id, group=group, actor=actor)
    _add(group, [user for pk, user in wanted.items() if pk not in made], actor)
    before = _state(row)
    _written(row, external_id=external_id, attributes=row.attributes)
    record("UpdateProvisionedGroup", actor=actor, target=group, before=before, after=_state(row))
    return row


@transaction.atomic
def delete_group(*, row: Provisioned, actor: User | None, based_on: str | None = None) -> None:
    _refuse_stale(row, based_on)
    record("DeprovisionGroup", actor=actor, target=row.group, before=_state(row))
    identity_services.delete_group(group=row.group, actor=actor, with_members=True, with_policies=True)


def scim_members(group: Group) -> dict[int, User]:
    """The members SCIM made, by primary key."""
    memberships = Membership.objects.filter(group=group, source=SOURCE).select_related("user")
    return {membership.user_id: membership.user for membership in memberships}


def _add(group: Group, users: list[User], actor: User | None) -> None:
    """Each user joins with SCIM's mark; one already a member by another writer's hand stays so."""
    already = set(Membership.objects.live().filter(group=group, user__in=users).values_list("user_id", flat=True))
    for user in sorted((user for user in users if user.pk not in already), key=lambda user: user.username):
        identity_services.add_members(group=group, users=[user], actor=actor, source=SOURCE, source_ref=user.iam_id)
