"""Attachments of managed policies, inline policies and permission boundaries."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from identities import staleness
from identities.audit import record
from identities.models import Role, User
from policies.engine import DocumentKind, Finding, policy_size
from policies.models import (
    InlinePolicy,
    ManagedPolicy,
    PermissionBoundary,
    PolicyAttachment,
)
from policies.services._common import (
    Identity,
    check_document,
    identity_kind,
    owner_filter,
    refuse_root,
)
from policies.services.managed import create_policy

# Attachments and inline policies

SELF_SERVICE_ARN = "arn:aws:iam::aws:policy/iamconsole/SelfService"


def attach_new_user_policies(*, user: User, actor: User | None) -> None:
    """What the account gives every user created in the console (a setting)."""
    if not settings.IAM_SELF_SERVICE_FOR_NEW_USERS or user.is_superuser:
        return
    policy = ManagedPolicy.objects.filter(aws_managed=True, policy_name="SelfService", path="/iamconsole/").first()
    if policy is not None:
        attach_policy(policy=policy, identity=user, actor=actor)


@transaction.atomic
def attach_policy(*, policy: ManagedPolicy, identity: Identity, actor: User | None) -> PolicyAttachment:
    refuse_root(identity, "policies attached")
    owner = owner_filter(identity)
    if PolicyAttachment.objects.filter(policy=policy, **owner).exists():
        raise ValidationError(f"{policy.policy_name} is already attached to {identity.name}.")
    limit = settings.IAM_MAX_ATTACHED_POLICIES
    if PolicyAttachment.objects.filter(**owner).count() >= limit:
        raise ValidationError(f"{identity.name} already has {limit} managed policies attached, the most allowed.")
    attachment = PolicyAttachment.objects.create(policy=policy, attached_by=actor, **owner)
    record(f"Attach{identity_kind(identity)}Policy", actor=actor, target=identity, after={"policy": policy.arn})
    return attachment


@transaction.atomic
def detach_policy(*, policy: ManagedPolicy, identity: Identity, actor: User | None) -> None:
    attachment = PolicyAttachment.objects.filter(policy=policy, **owner_filter(identity)).first()
    if attachment is None:
        raise ValidationError(f"{policy.policy_name} is not attached to {identity.name}.")
    attachment.delete()
    record(f"Detach{identity_kind(identity)}Policy", actor=actor, target=identity, before={"policy": policy.arn})


@transaction.atomic
def put_inline_policy(
    *, identity: Identity, policy_name: str, document: str | dict, actor: User | None, based_on: str | None = None
) -> tuple[InlinePolicy, list[Finding]]:
    """`based_on`: the token of the inline policy of that name as the form showed it
    (`inline_policy_token`), refused when it has changed, appeared or gone since."""
    refuse_root(identity, "inline policies")
    inline = current_inline_policy(identity, policy_name, based_on)
    kind = identity_kind(identity).lower()
    limit = settings.IAM_INLINE_POLICY_MAX_SIZE[kind]
    parsed, findings = check_document(document, kind=DocumentKind(f"inline-{kind}"), size_limit=limit)
    owner = owner_filter(identity)
    others = InlinePolicy.objects.filter(**owner).exclude(policy_name=policy_name)
    total = policy_size(parsed) + sum(policy_size(other.document) for other in others)
    if total > limit:
        raise ValidationError(
            f"The inline policies of {identity.name} would total {total} characters (without white space); "
            f"a {kind} may have {limit} at most."
        )
    before = {"document": inline.document} if inline else None
    inline = inline or InlinePolicy(policy_name=policy_name, **owner)
    inline.document = parsed
    inline.updated_at = timezone.now()
    inline.full_clean()
    inline.save()
    record(
        f"Put{identity_kind(identity)}Policy",
        actor=actor,
        target=identity,
        before=before,
        after={"policy_name": policy_name, "document": parsed},
    )
    return inline, findings


def current_inline_policy(identity: Identity, policy_name: str, based_on: str | None) -> InlinePolicy | None:
    """The inline policy of that name as stored now; StaleEdit if the form showed another.
    The owner's row is locked: an inline policy not created yet has no row of its own to lock."""
    type(identity).objects.select_for_update().filter(pk=identity.pk).first()
    inline = InlinePolicy.objects.filter(policy_name=policy_name, **owner_filter(identity)).first()
    staleness.refuse_if_stale(based_on, inline_policy_token(inline), what=f"the inline policy {policy_name}")
    return inline


def inline_policy_token(inline: InlinePolicy | None) -> str:
    """The token of an inline policy as a form shows it; staleness.ABSENT when there is none."""
    return staleness.token(inline.document) if inline is not None else staleness.ABSENT


@transaction.atomic
def delete_inline_policy(*, inline: InlinePolicy, actor: User | None) -> None:
    identity = inline.owner
    record(
        f"Delete{identity_kind(identity)}Policy",
        actor=actor,
        target=identity,
        before={"policy_name": inline.policy_name, "document": inline.document},
    )
    inline.delete()


@transaction.atomic
def replace_policies(
    *,
    identity: Identity,
    policy_name: str,
    document: str | dict,
    replaced: list[ManagedPolicy],
    actor: User | None,
    path: str = "/",
    description: str = "",
) -> tuple[ManagedPolicy, list[Finding]]:
    """Create a managed policy and attach it to `identity` in place of `replaced` (managed
    policies attached to it, each detached first, so the quota counts the result): a policy
    drafted from activity taking over broader grants, in one step, each write audited."""
    policy, findings = create_policy(
        policy_name=policy_name, document=document, path=path, description=description, actor=actor
    )
    for old in replaced:
        detach_policy(policy=old, identity=identity, actor=actor)
    attach_policy(policy=policy, identity=identity, actor=actor)
    return policy, findings


# Permission boundaries


@transaction.atomic
def set_permissions_boundary(*, identity: User | Role, policy: ManagedPolicy, actor: User | None) -> PermissionBoundary:
    refuse_root(identity, "a permission boundary")
    owner = owner_filter(identity)
    boundary = PermissionBoundary.objects.filter(**owner).first()
    before = {"boundary": boundary.policy.arn} if boundary else None
    boundary = boundary or PermissionBoundary(**owner)
    boundary.policy = policy
    boundary.set_at = timezone.now()
    boundary.save()
    record(
        f"Put{identity_kind(identity)}PermissionsBoundary",
        actor=actor,
        target=identity,
        before=before,
        after={"boundary": policy.arn},
    )
    return boundary


@transaction.atomic
def delete_permissions_boundary(*, identity: User | Role, actor: User | None) -> None:
    boundary = PermissionBoundary.objects.filter(**owner_filter(identity)).select_related("policy").first()
    if boundary is None:
        raise ValidationError(f"{identity.name} has no permission boundary.")
    record(
        f"Delete{identity_kind(identity)}PermissionsBoundary",
        actor=actor,
        target=identity,
        before={"boundary": boundary.policy.arn},
    )
    boundary.delete()


# Before an identity's deletion


@transaction.atomic
def remove_identity_policies(*, identity: Identity, actor: User | None) -> None:
    """Detach every managed policy from a user, group or role about to be deleted, delete its
    inline policies and its permission boundary, each with its own audit record, in the
    deletion's transaction (settings.IAM_DELETION_REMOVAL_HOOKS)."""
    owner = owner_filter(identity)
    attachments = PolicyAttachment.objects.filter(**owner).select_related("policy").order_by("policy__policy_name")
    for attachment in attachments:
        detach_policy(policy=attachment.policy, identity=identity, actor=actor)
    for inline in InlinePolicy.objects.filter(**owner).order_by("policy_name"):
        delete_inline_policy(inline=inline, actor=actor)
    if isinstance(identity, (User, Role)) and PermissionBoundary.objects.filter(**owner).exists():
        delete_permissions_boundary(identity=identity, actor=actor)
