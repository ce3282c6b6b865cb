"""Managed policies as an imported account has them (policies.aws_import)."""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from identities.audit import record
from identities.models import User
from policies.engine import DocumentKind
from policies.models import (
    ManagedPolicy,
    PolicyVersion,
)
from policies.services._common import (
    check_document,
)
from policies.services.managed import make_default

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
    kind = DocumentKind.AWS_MANAGED if aws_managed else DocumentKind.CUSTOMER_MANAGED
    size_limit = None if aws_managed else settings.IAM_MANAGED_POLICY_MAX_SIZE
    checked = [(number, check_document(document, kind=kind, size_limit=size_limit)[0]) for number, document in versions]
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
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
    version_dates: dict[int, datetime | None] | None = None,
) -> ManagedPolicy:
    """A managed policy as another account has it: each version under its own number, the
    default marked, with the account's dates where given (else now). `aws_managed` policies
    (arn:aws:iam::aws:policy/...) are read-only."""
    checked = _imported_versions(versions, default_number, aws_managed=aws_managed)
    now = timezone.now()
    policy = ManagedPolicy(
        policy_name=policy_name,
        path=path,
        description=description,
        aws_managed=aws_managed,
        next_version_number=checked[-1][0] + 1,
        created_at=created_at or now,
        updated_at=updated_at or created_at or now,
    )
    if iam_id:
        policy.iam_id = iam_id
    policy.full_clean()
    policy.save()
    dates = version_dates or {}
    (first, first_document), *others = checked
    _create_imported_version(policy, first, first_document, first == default_number, actor, dates.get(first))
    after = {"policy_name": policy_name, "path": path, "version": f"v{first}", "document": first_document}
    record("CreatePolicy", actor=actor, target=policy, after=after | {"aws_managed": aws_managed})
    for number, document in others:
        _create_imported_version(policy, number, document, number == default_number, actor, dates.get(number))
        record(
            "CreatePolicyVersion",
            actor=actor,
            target=policy,
            after={"version": f"v{number}", "default": number == default_number, "document": document},
        )
    return policy


def _create_imported_version(
    policy, number: int, document: dict, is_default: bool, actor, created_at: datetime | None = None
) -> PolicyVersion:
    return PolicyVersion.objects.create(
        policy=policy,
        number=number,
        document=document,
        is_default=is_default,
        created_by=actor,
        created_at=created_at or timezone.now(),
    )


@transaction.atomic
def import_policy_versions(
    *,
    policy: ManagedPolicy,
    versions: list[tuple[int, dict]],
    default_number: int,
    actor: User | None,
    replace_builtin: bool = False,
    version_dates: dict[int, datetime | None] | None = None,
) -> ManagedPolicy:
    """Make an imported policy's versions exactly those given (numbers kept, default marked).

    A version whose number is kept but whose document differs is replaced: AWS never edits a
    version, so it is another version that happens to share the number. A built-in policy is
    changed only with `replace_builtin` (AWS's own document for its ARN); it then stops being
    built in, so a later release's built-in document does not overwrite it."""
    policy = ManagedPolicy.objects.select_for_update().get(pk=policy.pk)
    if policy.builtin and not replace_builtin:
        raise ValidationError(f"{policy.policy_name} is built in; an import never changes it.")
    if policy.builtin:
        ManagedPolicy.objects.filter(pk=policy.pk).update(builtin=False)
        record("ReplaceBuiltinPolicy", actor=actor, target=policy, before={"builtin": True}, after={"builtin": False})
    wanted = dict(_imported_versions(versions, default_number, aws_managed=policy.aws_managed))
    existing = {version.number: version for version in policy.versions.all()}
    for number, version in existing.items():
        if wanted.get(number) != version.document:
            record("DeletePolicyVersion", actor=actor, target=policy, before={"version": version.version_id})
            version.delete()
    for number, document in wanted.items():
        if number not in existing or existing[number].document != document:
            _create_imported_version(policy, number, document, False, actor, (version_dates or {}).get(number))
            record(
                "CreatePolicyVersion", actor=actor, target=policy, after={"version": f"v{number}", "document": document}
            )
    _mark_imported_default(policy, default_number, actor)
    next_number = max(policy.next_version_number, max(wanted) + 1)
    ManagedPolicy.objects.filter(pk=policy.pk).update(next_version_number=next_number, updated_at=timezone.now())
    return policy


def _mark_imported_default(policy: ManagedPolicy, default_number: int, actor: User | None) -> None:
    current = policy.versions.filter(is_default=True).first()
    if current is not None and current.number == default_number:
        return
    version = policy.versions.get(number=default_number)
    make_default(version)
    record(
        "SetDefaultPolicyVersion",
        actor=actor,
        target=policy,
        before={"default": current.version_id if current else None},
        after={"default": version.version_id},
    )
