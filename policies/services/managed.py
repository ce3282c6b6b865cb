"""Writes to managed policies and their versions."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from identities import staleness
from identities.audit import record
from identities.models import User
from policies.engine import DocumentKind, Finding
from policies.models import (
    ManagedPolicy,
    PolicyVersion,
)
from policies.services._common import (
    check_document,
    refuse_read_only,
)

# Managed policies and versions


@transaction.atomic
def create_policy(
    *, policy_name: str, document: str | dict, actor: User | None, path: str = "/", description: str = ""
) -> tuple[ManagedPolicy, list[Finding]]:
    parsed, findings = check_document(
        document, kind=DocumentKind.CUSTOMER_MANAGED, size_limit=settings.IAM_MANAGED_POLICY_MAX_SIZE
    )
    policy = ManagedPolicy(policy_name=policy_name, path=path, description=description, next_version_number=2)
    policy.full_clean()
    policy.save()
    PolicyVersion.objects.create(policy=policy, number=1, document=parsed, is_default=True, created_by=actor)
    record(
        "CreatePolicy", actor=actor, target=policy, after={"policy_name": policy_name, "path": path, "document": parsed}
    )
    return policy, findings


@transaction.atomic
def create_policy_version(
    *,
    policy: ManagedPolicy,
    document: str | dict,
    actor: User | None,
    set_as_default: bool = False,
    based_on: int | None = None,
) -> tuple[PolicyVersion, list[Finding]]:
    """`based_on`: the number of the default version the editor showed. Refused when the
    default is another one by now: the new version would undo a change the writer never saw
    (AWS has no such check)."""
    policy = ManagedPolicy.objects.select_for_update().get(pk=policy.pk)
    refuse_read_only(policy)
    refuse_if_default_changed(policy, based_on)
    limit = settings.IAM_MAX_POLICY_VERSIONS
    if policy.versions.count() >= limit:
        raise ValidationError(
            f"{policy.policy_name} already has {limit} versions, the most a policy may have. "
            "Delete a version that is not the default before you create a new one."
        )
    parsed, findings = check_document(
        document, kind=DocumentKind.CUSTOMER_MANAGED, size_limit=settings.IAM_MANAGED_POLICY_MAX_SIZE
    )
    version = PolicyVersion.objects.create(
        policy=policy, number=policy.next_version_number, document=parsed, created_by=actor
    )
    ManagedPolicy.objects.filter(pk=policy.pk).update(
        next_version_number=policy.next_version_number + 1, updated_at=timezone.now()
    )
    if set_as_default:
        make_default(version)
    record(
        "CreatePolicyVersion",
        actor=actor,
        target=policy,
        after={"version": version.version_id, "default": set_as_default, "document": parsed},
    )
    return version, findings


def default_version_number(policy: ManagedPolicy) -> int | None:
    """What an editor of the policy is based on (identities.staleness)."""
    return PolicyVersion.objects.filter(policy_id=policy.pk, is_default=True).values_list("number", flat=True).first()


def refuse_if_default_changed(policy: ManagedPolicy, based_on: int | None) -> None:
    """StaleEdit unless version `based_on` is still the default (`policy` locked by the caller)."""
    current = default_version_number(policy)
    what = f"the default version of {policy.policy_name} (now v{current})"
    staleness.refuse_if_stale(based_on, current, what=what)


def make_default(version: PolicyVersion) -> None:
    PolicyVersion.objects.filter(policy_id=version.policy_id, is_default=True).update(is_default=False)
    PolicyVersion.objects.filter(pk=version.pk).update(is_default=True)
    version.is_default = True


@transaction.atomic
def set_default_version(*, version: PolicyVersion, actor: User | None) -> PolicyVersion:
    # Locked as a new version locks it, so an editor's check of the default holds until it saves.
    ManagedPolicy.objects.select_for_update().filter(pk=version.policy_id).first()
    refuse_read_only(version.policy)
    before = PolicyVersion.objects.filter(policy_id=version.policy_id, is_default=True).first()
    make_default(version)
    record(
        "SetDefaultPolicyVersion",
        actor=actor,
        target=version.policy,
        before={"default": before.version_id if before else None},
        after={"default": version.version_id},
    )
    return version


@transaction.atomic
def delete_policy_version(*, version: PolicyVersion, actor: User | None) -> None:
    refuse_read_only(version.policy)
    if version.is_default:
        raise ValidationError(
            f"{version.version_id} is the default version of {version.policy.policy_name}; "
            "make another version the default before deleting it."
        )
    record("DeletePolicyVersion", actor=actor, target=version.policy, before={"version": version.version_id})
    version.delete()


@transaction.atomic
def update_policy(*, policy: ManagedPolicy, actor: User | None, description: str) -> ManagedPolicy:
    refuse_read_only(policy)
    before = {"description": policy.description}
    policy.description = description
    policy.updated_at = timezone.now()
    policy.full_clean()
    policy.save(update_fields=["description", "updated_at"])
    record("UpdatePolicy", actor=actor, target=policy, before=before, after={"description": description})
    return policy


@transaction.atomic
def delete_policy(*, policy: ManagedPolicy, actor: User | None, detach_everywhere: bool = False) -> None:
    """Delete a managed policy. One still attached or bounding an identity is refused unless
    `detach_everywhere`, which detaches it from each (one audit record each) in the same transaction."""
    refuse_read_only(policy)
    attachments = list(policy.attachments.select_related("user", "group", "role"))
    boundaries = list(policy.boundaries.select_related("user", "role"))
    if (attachments or boundaries) and not detach_everywhere:
        raise ValidationError(
            f"{policy.policy_name} is still attached to {len(attachments)} identities and is the permission "
            f"boundary of {len(boundaries)}; detach it everywhere before deleting it."
        )
    for attachment in attachments:
        kind = attachment.owner_kind.title()
        record(f"Detach{kind}Policy", actor=actor, target=attachment.owner, before={"policy": policy.arn})
        attachment.delete()
    for boundary in boundaries:
        owner, kind = (boundary.user, "User") if boundary.user_id else (boundary.role, "Role")
        record(f"Delete{kind}PermissionsBoundary", actor=actor, target=owner, before={"boundary": policy.arn})
        boundary.delete()
    record("DeletePolicy", actor=actor, target=policy, before={"policy_name": policy.policy_name, "path": policy.path})
    policy.delete()
