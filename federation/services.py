"""Every write of federation: bindings, group claim rules and the memberships they make,
federated console sessions. Atomic, and audited in the same transaction (identities.audit)."""

import logging
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from federation.models import FederatedIdentity, FederatedSession, GroupClaimRule
from identities import naming
from identities import services as identity_services
from identities.audit import record
from identities.credentials import ConsoleSession
from identities.models import Group, Membership, User
from scim.models import SCIM_PATH  # where SCIM keeps the groups it manages: no claim rule may fill one

logger = logging.getLogger(__name__)

ROOT_REFUSED = "The account root user never signs in through the identity provider; it keeps its password and MFA."


def _binding_state(identity: FederatedIdentity) -> dict:
    return {"issuer": identity.issuer, "claim": identity.claim, "value": identity.value}


def _refuse_root(user: User) -> None:
    if user.is_superuser:
        raise PermissionDenied(ROOT_REFUSED)


@transaction.atomic
def bind_federated_identity(
    *, user: User, issuer: str, claim: str, value: str, actor: User | None
) -> FederatedIdentity:
    """Bind `user` to the provider's identity (issuer, claim value): from now on a sign-in
    with that identity signs in as `user`. Explicit: an administrator's action, or the user's
    own sign-in that also proved the local password."""
    _refuse_root(user)
    value = (value or "").strip()
    if not value:
        raise ValidationError(f"Give the value of the provider's {claim} claim to bind {user.username} to.")
    locked = User.objects.select_for_update().get(pk=user.pk)
    if FederatedIdentity.objects.filter(user=locked).exists():
        raise ValidationError(f"{user.username} is already bound to an identity at the provider; unbind it first.")
    if FederatedIdentity.objects.filter(issuer=issuer, claim=claim, value=value).exists():
        raise ValidationError("This identity at the provider is already bound to another user.")
    try:
        with transaction.atomic():
            identity = FederatedIdentity.objects.create(
                user=locked, issuer=issuer, claim=claim, value=value, bound_by=actor
            )
    except IntegrityError:  # bound meanwhile, by another request
        raise ValidationError("This identity at the provider is already bound to a user.") from None
    record("BindFederatedIdentity", actor=actor, target=locked, after=_binding_state(identity))
    return identity


@transaction.atomic
def unbind_federated_identity(*, user: User, actor: User | None) -> None:
    identity = FederatedIdentity.objects.select_for_update().filter(user=user).first()
    if identity is None:
        raise ValidationError(f"{user.username} is not bound to an identity at the provider.")
    record("UnbindFederatedIdentity", actor=actor, target=user, before=_binding_state(identity))
    identity.delete()


@transaction.atomic
def create_federated_user(*, username: str, issuer: str, claim: str, value: str) -> User:
    """A first sign-in that creates its user (when the settings allow it): a console user
    without a password, bound to the identity. A name that a local user already has is
    refused, bound or not: the identity never takes over someone else's user."""
    key = naming.sign_in_key(username or "")
    if not username or key is None:
        raise ValidationError("The provider sent no usable user name, so no user can be created for this sign-in.")
    if User.objects.filter(username__lower=key).exists():
        raise ValidationError(
            f"A user named {username} already exists here. Sign in with its password once to bind it, "
            "or ask an administrator to bind it to your identity at the provider."
        )
    user = identity_services.create_console_user(actor=None, username=username)
    bind_federated_identity(user=user, issuer=issuer, claim=claim, value=value, actor=None)
    return user


def _rule_state(rule: GroupClaimRule) -> dict:
    return {"claim_value": rule.claim_value, "group": rule.group.group_name}


def managed_by_scim(group: Group) -> bool:
    return group.path.startswith(SCIM_PATH)


@transaction.atomic
def create_group_rule(*, claim_value: str, group: Group, actor: User | None) -> GroupClaimRule:
    """A rule: whoever signs in with `claim_value` in the group claim joins `group`."""
    claim_value = (claim_value or "").strip()
    if not claim_value:
        raise ValidationError("Give the group claim's value that the rule maps.")
    if len(claim_value) > GroupClaimRule._meta.get_field("claim_value").max_length:
        raise ValidationError("A claim value is at most 255 characters long.")
    if managed_by_scim(group):
        raise ValidationError(f"{group.group_name} is managed by SCIM provisioning, so no claim rule may fill it.")
    if GroupClaimRule.objects.filter(claim_value=claim_value, group=group).exists():
        raise ValidationError(f"A rule already gives {claim_value} the group {group.group_name}.")
    rule = GroupClaimRule.objects.create(claim_value=claim_value, group=group, created_by=actor)
    record("CreateGroupClaimRule", actor=actor, target=group, after=_rule_state(rule))
    return rule


@transaction.atomic
def delete_group_rule(*, rule: GroupClaimRule, actor: User | None) -> None:
    """Delete a rule and the memberships it made (the next sign-in of anyone another rule
    still gives the group makes theirs again)."""
    identity_services.remove_members_made_by(
        source=Membership.Source.IDP_RULE, source_ref=rule.source_ref, group=rule.group, actor=actor
    )
    record("DeleteGroupClaimRule", actor=actor, target=rule.group, before=_rule_state(rule))
    rule.delete()


@transaction.atomic
def apply_group_rules(*, user: User, claim_values: Iterable[str]) -> None:
    """At a sign-in: the groups the rules give these claim values, and no others, among the
    memberships the rules made. A membership made by hand or by an access request is left
    as it is, and one a rule would make where the user is already a member is not made."""
    values = {value for value in claim_values if isinstance(value, str)}
    wanted: dict[int, GroupClaimRule] = {}
    for rule in GroupClaimRule.objects.filter(claim_value__in=values).select_related("group").order_by("pk"):
        wanted.setdefault(rule.group_id, rule)
    made = Membership.objects.filter(user=user, source=Membership.Source.IDP_RULE).select_related("group")
    for membership in made:
        if membership.group_id not in wanted:
            identity_services.remove_members_made_by(
                source=membership.source,
                source_ref=membership.source_ref,
                group=membership.group,
                user=user,
                actor=None,
            )
    member_of = set(Membership.objects.live().filter(user=user).values_list("group_id", flat=True))
    for group_id, rule in sorted(wanted.items()):
        if group_id in member_of:
            continue
        try:
            identity_services.add_members(
                group=rule.group,
                users=[user],
                actor=None,
                source=Membership.Source.IDP_RULE,
                source_ref=rule.source_ref,
            )
        except ValidationError as refused:  # the user's group quota: the sign-in goes on without it
            logger.warning("Group claim rule %s did not add %s: %s", rule, user.username, refused.messages)


@transaction.atomic
def note_federated_session(*, console_session_id: int, issuer: str, sid: str) -> FederatedSession:
    """Which provider session a console session began in (usage, not a change: the
    ConsoleLogin record of the sign-in says the rest)."""
    return FederatedSession.objects.create(console_session_id=console_session_id, issuer=issuer, sid=sid)


@transaction.atomic
def end_federated_sessions(*, issuer: str, sid: str) -> int:
    """The provider's back-channel logout: end every live console session of that `sid`."""
    sessions = ConsoleSession.objects.filter(
        federated__issuer=issuer, federated__sid=sid, ended_at__isnull=True
    ).select_related("user")
    ended = 0
    for session in sessions:
        identity_services.end_console_session(session=session, actor=None, reason="signed out at the provider")
        ended += 1
    return ended
