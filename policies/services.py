"""Every write to policies: validated by the engine, atomic, audited.

A document with an ERROR finding is refused before anything is stored, with
each problem and its place; warnings are returned to show. Every change that
can alter a decision bumps the permissions generation in its transaction.
"""

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from identities.audit import record
from identities.models import Group, Role, User
from identities.services import bump_permissions_generation
from policies.engine import Finding, Level, PolicyKind, policy_size, validate_policy
from policies.models import (
    CatalogAction,
    CatalogService,
    Guardrail,
    InlinePolicy,
    ManagedPolicy,
    PermissionBoundary,
    PolicyAttachment,
    PolicyVersion,
)

Identity = User | Group | Role


def catalogue() -> dict[str, str] | None:
    """Known actions (lowercased) to their access level, for validation; None when empty."""
    rows = CatalogAction.objects.values_list("service__prefix", "name", "access_level")
    known = {f"{prefix}:{name}".lower(): level for prefix, name, level in rows}
    return known or None


def check_document(
    source: str | dict, *, kind: PolicyKind, size_limit: int | None = None
) -> tuple[dict, list[Finding]]:
    """Parse and validate; refuse on any ERROR with every problem and its place."""
    findings = validate_policy(source, kind=kind, catalogue=catalogue(), size_limit=size_limit)
    errors = [finding for finding in findings if finding.level is Level.ERROR]
    if errors:
        raise ValidationError([str(finding) for finding in errors], code="policy_document")
    document = json.loads(source) if isinstance(source, (str, bytes)) else source
    return document, findings


def _identity_kind(identity: Identity) -> str:
    return {User: "User", Group: "Group", Role: "Role"}[type(identity)]


def _owner_filter(identity: Identity) -> dict[str, Identity]:
    return {_identity_kind(identity).lower(): identity}


def _refuse_root(identity: Identity, what: str) -> None:
    if isinstance(identity, User) and identity.is_superuser:
        raise ValidationError(f"The account root user cannot have {what}: IAM policies do not apply to it.")


def _refuse_read_only(policy: ManagedPolicy) -> None:
    if policy.read_only:
        raise ValidationError(f"{policy.policy_name} is a built-in or AWS managed policy and cannot be changed.")


# Managed policies and versions


@transaction.atomic
def create_policy(
    *, policy_name: str, document: str | dict, actor: User | None, path: str = "/", description: str = ""
) -> tuple[ManagedPolicy, list[Finding]]:
    parsed, findings = check_document(
        document, kind=PolicyKind.IDENTITY, size_limit=settings.IAM_MANAGED_POLICY_MAX_SIZE
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
    *, policy: ManagedPolicy, document: str | dict, actor: User | None, set_as_default: bool = False
) -> tuple[PolicyVersion, list[Finding]]:
    policy = ManagedPolicy.objects.select_for_update().get(pk=policy.pk)
    _refuse_read_only(policy)
    limit = settings.IAM_MAX_POLICY_VERSIONS
    if policy.versions.count() >= limit:
        raise ValidationError(
            f"{policy.policy_name} already has {limit} versions, the most a policy may have. "
            "Delete a version that is not the default before you create a new one."
        )
    parsed, findings = check_document(
        document, kind=PolicyKind.IDENTITY, size_limit=settings.IAM_MANAGED_POLICY_MAX_SIZE
    )
    version = PolicyVersion.objects.create(
        policy=policy, number=policy.next_version_number, document=parsed, created_by=actor
    )
    ManagedPolicy.objects.filter(pk=policy.pk).update(
        next_version_number=policy.next_version_number + 1, updated_at=timezone.now()
    )
    if set_as_default:
        _make_default(version)
    bump_permissions_generation()
    record(
        "CreatePolicyVersion",
        actor=actor,
        target=policy,
        after={"version": version.version_id, "default": set_as_default, "document": parsed},
    )
    return version, findings


def _make_default(version: PolicyVersion) -> None:
    PolicyVersion.objects.filter(policy_id=version.policy_id, is_default=True).update(is_default=False)
    PolicyVersion.objects.filter(pk=version.pk).update(is_default=True)
    version.is_default = True


@transaction.atomic
def set_default_version(*, version: PolicyVersion, actor: User | None) -> PolicyVersion:
    _refuse_read_only(version.policy)
    before = PolicyVersion.objects.filter(policy_id=version.policy_id, is_default=True).first()
    _make_default(version)
    bump_permissions_generation()
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
    _refuse_read_only(version.policy)
    if version.is_default:
        raise ValidationError(
            f"{version.version_id} is the default version of {version.policy.policy_name}; "
            "make another version the default before deleting it."
        )
    record("DeletePolicyVersion", actor=actor, target=version.policy, before={"version": version.version_id})
    version.delete()


@transaction.atomic
def update_policy(*, policy: ManagedPolicy, actor: User | None, description: str) -> ManagedPolicy:
    _refuse_read_only(policy)
    before = {"description": policy.description}
    policy.description = description
    policy.updated_at = timezone.now()
    policy.full_clean()
    policy.save(update_fields=["description", "updated_at"])
    record("UpdatePolicy", actor=actor, target=policy, before=before, after={"description": description})
    return policy


@transaction.atomic
def delete_policy(*, policy: ManagedPolicy, actor: User | None) -> None:
    _refuse_read_only(policy)
    attached = policy.attachments.count()
    bounding = policy.boundaries.count()
    if attached or bounding:
        raise ValidationError(
            f"{policy.policy_name} is still attached to {attached} identities and is the permission boundary "
            f"of {bounding}; detach it everywhere before deleting it."
        )
    record("DeletePolicy", actor=actor, target=policy, before={"policy_name": policy.policy_name, "path": policy.path})
    policy.delete()


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
    _refuse_root(identity, "policies attached")
    owner = _owner_filter(identity)
    if PolicyAttachment.objects.filter(policy=policy, **owner).exists():
        raise ValidationError(f"{policy.policy_name} is already attached to {identity.name}.")
    limit = settings.IAM_MAX_ATTACHED_POLICIES
    if PolicyAttachment.objects.filter(**owner).count() >= limit:
        raise ValidationError(f"{identity.name} already has {limit} managed policies attached, the most allowed.")
    attachment = PolicyAttachment.objects.create(policy=policy, attached_by=actor, **owner)
    bump_permissions_generation()
    record(f"Attach{_identity_kind(identity)}Policy", actor=actor, target=identity, after={"policy": policy.arn})
    return attachment


@transaction.atomic
def detach_policy(*, policy: ManagedPolicy, identity: Identity, actor: User | None) -> None:
    attachment = PolicyAttachment.objects.filter(policy=policy, **_owner_filter(identity)).first()
    if attachment is None:
        raise ValidationError(f"{policy.policy_name} is not attached to {identity.name}.")
    attachment.delete()
    bump_permissions_generation()
    record(f"Detach{_identity_kind(identity)}Policy", actor=actor, target=identity, before={"policy": policy.arn})


@transaction.atomic
def put_inline_policy(
    *, identity: Identity, policy_name: str, document: str | dict, actor: User | None
) -> tuple[InlinePolicy, list[Finding]]:
    _refuse_root(identity, "inline policies")
    kind = _identity_kind(identity).lower()
    parsed, findings = check_document(document, kind=PolicyKind.IDENTITY, size_limit=10**9)
    owner = _owner_filter(identity)
    others = InlinePolicy.objects.filter(**owner).exclude(policy_name=policy_name)
    total = policy_size(parsed) + sum(policy_size(other.document) for other in others)
    limit = settings.IAM_INLINE_POLICY_MAX_SIZE[kind]
    if total > limit:
        raise ValidationError(
            f"The inline policies of {identity.name} would total {total} characters (without white space); "
            f"a {kind} may have {limit} at most."
        )
    inline = InlinePolicy.objects.filter(policy_name=policy_name, **owner).first()
    before = {"document": inline.document} if inline else None
    inline = inline or InlinePolicy(policy_name=policy_name, **owner)
    inline.document = parsed
    inline.updated_at = timezone.now()
    inline.full_clean()
    inline.save()
    bump_permissions_generation()
    record(
        f"Put{_identity_kind(identity)}Policy",
        actor=actor,
        target=identity,
        before=before,
        after={"policy_name": policy_name, "document": parsed},
    )
    return inline, findings


@transaction.atomic
def delete_inline_policy(*, inline: InlinePolicy, actor: User | None) -> None:
    identity = inline.owner
    record(
        f"Delete{_identity_kind(identity)}Policy",
        actor=actor,
        target=identity,
        before={"policy_name": inline.policy_name, "document": inline.document},
    )
    inline.delete()
    bump_permissions_generation()


# Permission boundaries


@transaction.atomic
def set_permissions_boundary(*, identity: User | Role, policy: ManagedPolicy, actor: User | None) -> PermissionBoundary:
    _refuse_root(identity, "a permission boundary")
    owner = _owner_filter(identity)
    boundary = PermissionBoundary.objects.filter(**owner).first()
    before = {"boundary": boundary.policy.arn} if boundary else None
    boundary = boundary or PermissionBoundary(**owner)
    boundary.policy = policy
    boundary.set_at = timezone.now()
    boundary.save()
    bump_permissions_generation()
    record(
        f"Put{_identity_kind(identity)}PermissionsBoundary",
        actor=actor,
        target=identity,
        before=before,
        after={"boundary": policy.arn},
    )
    return boundary


@transaction.atomic
def delete_permissions_boundary(*, identity: User | Role, actor: User | None) -> None:
    boundary = PermissionBoundary.objects.filter(**_owner_filter(identity)).select_related("policy").first()
    if boundary is None:
        raise ValidationError(f"{identity.name} has no permission boundary.")
    record(
        f"Delete{_identity_kind(identity)}PermissionsBoundary",
        actor=actor,
        target=identity,
        before={"boundary": boundary.policy.arn},
    )
    boundary.delete()
    bump_permissions_generation()


# Guardrails


def _guardrail_state(guardrail: Guardrail) -> dict[str, Any]:
    return {"name": guardrail.guardrail_name, "level": guardrail.level, "document": guardrail.document}


@transaction.atomic
def save_guardrail(
    *,
    guardrail_name: str,
    document: str | dict,
    actor: User | None,
    level: int = 1,
    description: str = "",
    guardrail: Guardrail | None = None,
) -> tuple[Guardrail, list[Finding]]:
    """Create a guardrail, or change `guardrail`; refused if it would lock the root user out."""
    parsed, findings = check_document(document, kind=PolicyKind.GUARDRAIL, size_limit=settings.IAM_GUARDRAIL_MAX_SIZE)
    before = _guardrail_state(guardrail) if guardrail else None
    guardrail = guardrail or Guardrail()
    guardrail.guardrail_name, guardrail.document, guardrail.level = guardrail_name, parsed, level
    guardrail.description, guardrail.updated_at = description, timezone.now()
    guardrail.full_clean()
    guardrail.save()
    _refuse_root_lockout()
    bump_permissions_generation()
    event = "UpdateGuardrail" if before else "CreateGuardrail"
    record(event, actor=actor, target=guardrail, before=before, after=_guardrail_state(guardrail))
    return guardrail, findings


@transaction.atomic
def delete_guardrail(*, guardrail: Guardrail, actor: User | None) -> None:
    record("DeleteGuardrail", actor=actor, target=guardrail, before=_guardrail_state(guardrail))
    guardrail.delete()
    _refuse_root_lockout()
    bump_permissions_generation()


GUARDRAIL_MANAGEMENT_ACTIONS = ("iam:CreateGuardrail", "iam:UpdateGuardrail", "iam:DeleteGuardrail")


def _refuse_root_lockout() -> None:
    """The root user must always be able to manage guardrails, or no one could undo one."""
    from policies import loading

    for action in GUARDRAIL_MANAGEMENT_ACTIONS:
        for guardrail in Guardrail.objects.all() or [Guardrail(guardrail_name="any")]:
            decision = loading.decide_for_root(action, guardrail.arn)
            if not decision.allowed:
                raise ValidationError(
                    f"This change would stop the account root user from {action} on {guardrail.arn}, "
                    "leaving no one able to change guardrails. Allow the root user those actions."
                )


def highest_guardrail_level() -> int:
    return Guardrail.objects.aggregate(level=Max("level"))["level"] or 0


# The action catalogue


def _catalog_state(service: CatalogService) -> dict[str, Any]:
    return {"prefix": service.prefix, "name": service.name}


@transaction.atomic
def save_catalog_service(
    *, prefix: str, name: str, actor: User | None, service: CatalogService | None = None
) -> CatalogService:
    """Create an administrator's own service in the catalogue, or rename one."""
    if service is not None and service.builtin:
        raise ValidationError(f"The {service.prefix} service is built in and cannot be changed.")
    before = _catalog_state(service) if service else None
    service = service or CatalogService()
    service.prefix, service.name = prefix, name
    service.full_clean()
    service.save()
    record("PutCatalogService", actor=actor, target=service, before=before, after=_catalog_state(service))
    return service


@transaction.atomic
def save_catalog_action(*, action: CatalogAction, actor: User | None) -> CatalogAction:
    if action.service.builtin:
        raise ValidationError(f"The {action.service.prefix} service is built in and cannot be changed.")
    action.full_clean()
    action.save()
    record(
        "PutCatalogAction",
        actor=actor,
        target=action.service,
        after={"action": action.full_name, "access_level": action.access_level},
    )
    return action


@transaction.atomic
def delete_catalog_action(*, action: CatalogAction, actor: User | None) -> None:
    if action.service.builtin:
        raise ValidationError(f"The {action.service.prefix} service is built in and cannot be changed.")
    record("DeleteCatalogAction", actor=actor, target=action.service, before={"action": action.full_name})
    action.delete()


@transaction.atomic
def delete_catalog_service(*, service: CatalogService, actor: User | None) -> None:
    if service.builtin:
        raise ValidationError(f"The {service.prefix} service is built in and cannot be deleted.")
    record("DeleteCatalogService", actor=actor, target=service, before=_catalog_state(service))
    service.delete()


# Import of another account's managed policies (policies.aws_import)


def _imported_versions(
    versions: list[tuple[int, dict]], default_number: int, *, aws_managed: bool
) -> list[tuple[int, dict]]:
    """Engine-validated versions, lowest number first. AWS's own policies are exempt from the
    customer quotas: several of them exceed 6,144 characters, and they are kept read-only."""
    numbers = [number for number, _ in versions]
    if not numbers or len(set(numbers)) != len(numbers) or min(numbers) < 1:
        raise ValidationError("A policy needs at least one version, each with its own positive number.")
    if default_number not in numbers:
        raise ValidationError(f"The default version v{default_number} is not among the versions given.")
    limit = settings.IAM_MAX_POLICY_VERSIONS
    if not aws_managed and len(numbers) > limit:
        raise ValidationError(f"A policy has at most {limit} versions; {len(numbers)} were given.")
    size_limit = 10**9 if aws_managed else settings.IAM_MANAGED_POLICY_MAX_SIZE
    checked = [
        (number, check_document(document, kind=PolicyKind.IDENTITY, size_limit=size_limit)[0])
        for number, document in versions
    ]
    return sorted(checked, key=lambda pair: pair[0])


@transaction.atomic
def import_managed_policy(
    *,
    policy_name: str,
    path: str,
    versions: list[tuple[int, dict]],
    default_number: int,
    actor: User | None,
    description: str = "",
    iam_id: str | None = None,
    aws_managed: bool = False,
) -> ManagedPolicy:
    """A managed policy as another account has it: each version under its own number, the
    default marked. `aws_managed` policies (arn:aws:iam::aws:policy/...) are read-only."""
    checked = _imported_versions(versions, default_number, aws_managed=aws_managed)
    policy = ManagedPolicy(
        policy_name=policy_name,
        path=path,
        description=description,
        aws_managed=aws_managed,
        next_version_number=checked[-1][0] + 1,
    )
    if iam_id:
        policy.iam_id = iam_id
    policy.full_clean()
    policy.save()
    (first, first_document), *others = checked
    _create_imported_version(policy, first, first_document, first == default_number, actor)
    after = {"policy_name": policy_name, "path": path, "version": f"v{first}", "document": first_document}
    record("CreatePolicy", actor=actor, target=policy, after=after | {"aws_managed": aws_managed})
    for number, document in others:
        _create_imported_version(policy, number, document, number == default_number, actor)
        record(
            "CreatePolicyVersion",
            actor=actor,
            target=policy,
            after={"version": f"v{number}", "default": number == default_number, "document": document},
        )
    return policy


def _create_imported_version(policy, number: int, document: dict, is_default: bool, actor) -> PolicyVersion:
    return PolicyVersion.objects.create(
        policy=policy, number=number, document=document, is_default=is_default, created_by=actor
    )


@transaction.atomic
def import_policy_versions(
    *, policy: ManagedPolicy, versions: list[tuple[int, dict]], default_number: int, actor: User | None
) -> ManagedPolicy:
    """Make an imported policy's versions exactly those given (numbers kept, default marked).

    A version whose number is kept but whose document differs is replaced: AWS never edits a
    version, so it is another version that happens to share the number."""
    policy = ManagedPolicy.objects.select_for_update().get(pk=policy.pk)
    if policy.builtin:
        raise ValidationError(f"{policy.policy_name} is built in; an import never changes it.")
    wanted = dict(_imported_versions(versions, default_number, aws_managed=policy.aws_managed))
    existing = {version.number: version for version in policy.versions.all()}
    for number, version in existing.items():
        if wanted.get(number) != version.document:
            record("DeletePolicyVersion", actor=actor, target=policy, before={"version": version.version_id})
            version.delete()
    for number, document in wanted.items():
        if number not in existing or existing[number].document != document:
            _create_imported_version(policy, number, document, False, actor)
            record(
                "CreatePolicyVersion", actor=actor, target=policy, after={"version": f"v{number}", "document": document}
            )
    _mark_imported_default(policy, default_number, actor)
    next_number = max(policy.next_version_number, max(wanted) + 1)
    ManagedPolicy.objects.filter(pk=policy.pk).update(next_version_number=next_number, updated_at=timezone.now())
    bump_permissions_generation()
    return policy


def _mark_imported_default(policy: ManagedPolicy, default_number: int, actor: User | None) -> None:
    current = policy.versions.filter(is_default=True).first()
    if current is not None and current.number == default_number:
        return
    version = policy.versions.get(number=default_number)
    _make_default(version)
    record(
        "SetDefaultPolicyVersion",
        actor=actor,
        target=policy,
        before={"default": current.version_id if current else None},
        after={"default": version.version_id},
    )
