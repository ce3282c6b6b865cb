"""What an import would change against the database, and the one transaction that changes it.

A plan is a list of changes per user, group, role and managed policy, each made of steps that
call the existing services, so every write keeps its own audit record. Identities named in the
file end up exactly as the file says (extra memberships, inline policies, attachments and
boundaries are removed); identities the file does not name are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from identities import naming, trust
from identities import rules as identity_rules
from identities.audit import record
from identities.models import Group, Role, User
from policies import services
from policies.aws_import.aws_managed import shipped_document
from policies.aws_import.extension import extension_changes
from policies.aws_import.reader import (
    AccountDetails,
    GroupDetail,
    ImportRefused,
    PolicyDetail,
    Problems,
    RoleDetail,
    Skipped,
    UserDetail,
)
from policies.aws_import.skipping import cascade, skipped_by_problems
from policies.aws_import.steps import (
    Step,
    Writer,
    create_role_steps,
    create_step,
    current_policies,
    date_steps,
    find_policy,
    group_attribute_steps,
    membership_steps,
    policy_steps,
    role_attribute_steps,
    user_attribute_steps,
)
from policies.models import ManagedPolicy, PermissionBoundary, PolicyAttachment

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
# How a refusal tells the reader to replace built-ins: the command's flag, unless the caller
# (the console) offers it another way.
REPLACE_BUILTINS_OPTION = "--replace-builtins"
KINDS = ("policy", "group", "user", "role")
EXTENSION_KINDS = ("guardrail", "role assignment")


@dataclass(frozen=True)
class Change:
    kind: str
    arn: str
    action: str
    steps: tuple[Step, ...] = ()
    note: str = ""


@dataclass
class ImportPlan:
    details: AccountDetails  # as read: planned again, with the same options, when applied
    changes: list[Change]
    notes: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    skip_invalid: bool = False
    replace_builtins: bool = False
    replace_option: str = REPLACE_BUILTINS_OPTION
    # Each built-in the file's AWS managed policy replaces, with who holds it here (ARNs).
    replaced_builtins: list[tuple[str, list[str]]] = field(default_factory=list)

    def count(self, kind: str, action: str) -> int:
        return sum(1 for change in self.changes if change.kind == kind and change.action == action)

    @property
    def summary(self) -> dict[str, dict[str, int]]:
        kinds = KINDS + (EXTENSION_KINDS if self.details.extension is not None else ())
        return {kind: {action: self.count(kind, action) for action in (CREATE, UPDATE, UNCHANGED)} for kind in kinds}

    @property
    def steps(self) -> list[Step]:
        """In the order they run: trust policies after every other step (identities.trust)."""
        steps = [step for change in self.changes for step in change.steps]
        return [step for step in steps if not step.last] + [step for step in steps if step.last]

    @property
    def changed(self) -> list[Change]:
        """The identities and policies the import creates or updates: what the summary counts."""
        return [change for change in self.changes if change.steps]

    @property
    def is_empty(self) -> bool:
        return not self.steps

    def lines(self) -> list[str]:
        """The plan for a person: each change with its steps, then the notes and the counts."""
        lines = [skipped.line() for skipped in self.skipped]
        for change in self.changes:
            if change.action != UNCHANGED:
                lines.append(f"{change.action} {change.kind} {change.arn}")
                lines.extend(f"    {step.description}" for step in change.steps)
            elif change.note:
                lines.append(f"{change.kind} {change.arn} {change.note}")
        lines.extend(f"note: {note}" for note in self.notes)
        for kind, counts in self.summary.items():
            lines.append(
                f"{kind}: {counts[CREATE]} to create, {counts[UPDATE]} to update, {counts[UNCHANGED]} unchanged"
            )
        if self.skip_invalid:
            lines.append(f"skipped: {len(self.skipped)}")
        return lines


def plan_import(
    details: AccountDetails,
    *,
    skip_invalid: bool = False,
    replace_builtins: bool = False,
    replace_option: str = REPLACE_BUILTINS_OPTION,
) -> ImportPlan:
    """Every change the import would make; raise ImportRefused listing every problem.

    With `replace_builtins`, an AWS managed policy of the file replaces a built-in of its ARN;
    without it, the refusal names `replace_option` as the way to ask for it.
    With `skip_invalid`, an entity with a problem is skipped instead, and so is every identity it
    could restrict, until what is left imports cleanly: nothing lands with fewer restrictions
    than the file gives it."""
    _check_account(details)
    skipped = list(details.skipped)
    while True:
        kept, notes = cascade(details, skipped)
        problems = Problems()
        _check_references(kept, problems)
        _check_trusted_principals(kept, problems)
        replaced = Replacing(replace_builtins, replace_option)
        changes = [_plan_policy(detail, problems, notes, replaced) for detail in kept.policies]
        changes += [_plan_group(detail, problems, notes) for detail in kept.groups]
        timed = kept.extension.memberships if kept.extension is not None else ()
        changes += [_plan_user(detail, problems, notes, timed) for detail in kept.users]
        changes += [_plan_role(detail, problems, notes) for detail in kept.roles]
        if not problems.messages:
            changes += [
                _change(kind, arn, exists or None, steps)
                for kind, arn, exists, steps in extension_changes(kept, notes, skipped)
            ]
            break
        if not skip_invalid:
            problems.refuse_if_any()
        skipped += skipped_by_problems(kept, problems)
    notes = [*details.notes, *notes, *_skipped_but_here(skipped)]
    return ImportPlan(
        details,
        changes,
        notes,
        skipped=skipped,
        skip_invalid=skip_invalid,
        replace_builtins=replace_builtins,
        replace_option=replace_option,
        replaced_builtins=replaced.policies,
    )


def _skipped_but_here(skipped: list[Skipped]) -> list[str]:
    """A skipped identity or policy that is here already is not changed: say so, since the file
    may have narrowed it."""
    models = {"user": (User, "username"), "group": (Group, "group_name"), "role": (Role, "role_name")}
    found = []
    for entry in skipped:
        if entry.kind in models and entry.name:
            model, name_field = models[entry.kind]
            here = model.objects.filter(**{f"{name_field}__lower": entry.name.lower()}).exists()
        else:
            here = entry.kind == "policy" and find_policy(entry.arn) is not None
        if here:
            found.append(f"{entry.arn} is skipped but here already: it stays as it is, whatever the file says of it")
    return found


def apply_import(
    plan: ImportPlan,
    *,
    actor: User | None,
    source_name: str = "",
    system_user: str = "",
    progress: Callable[[int, int, str], None] | None = None,
) -> ImportPlan:
    """Apply the plan, planned again inside one transaction so that nothing stale is written.

    Returns the plan applied. An empty plan writes nothing, not even the import's own event."""
    with transaction.atomic():
        fresh = plan_import(
            plan.details,
            skip_invalid=plan.skip_invalid,
            replace_builtins=plan.replace_builtins,
            replace_option=plan.replace_option,
        )
        steps = fresh.steps
        if not steps:
            return fresh
        if actor is not None:
            _require_checks(actor, steps)
        writer = Writer(actor)
        for done, step in enumerate(steps, start=1):
            try:
                step.run(writer)
            except ValidationError as error:
                raise ImportRefused([f"{step.description}: {message}" for message in error.messages]) from error
            if progress is not None:
                progress(done, len(steps), step.description)
        _record_import(fresh, actor=actor, source_name=source_name, system_user=system_user)
    return fresh


def _require_checks(actor: User, steps: list[Step]) -> None:
    """The actions the changes of this console's own section need, as by hand (rules)."""
    checks = [check for step in steps if step.checks is not None for check in step.checks()]
    try:
        identity_rules.require(actor, checks)
    except identity_rules.Refused as refused:
        raise ImportRefused(f"{refused} Nothing was imported.") from refused


def _record_import(plan: ImportPlan, *, actor: User | None, source_name: str, system_user: str) -> None:
    after = {
        "file": source_name,
        "account_id": plan.details.account_id,
        "changes": plan.summary,
        "created": [change.arn for change in plan.changes if change.action == CREATE],
        "updated": [change.arn for change in plan.changes if change.action == UPDATE],
        "steps": len(plan.steps),
    }
    if plan.replaced_builtins:
        after["replaced_builtins"] = {arn: holders for arn, holders in plan.replaced_builtins}
    if plan.skip_invalid:
        after["skipped"] = [
            {"kind": entry.kind, "arn": entry.arn, "reasons": list(entry.reasons)} for entry in plan.skipped
        ]
    if actor is None:
        after["system_user"] = system_user
    record("ImportAccountAuthorizationDetails", actor=actor, target_arn=naming.root_arn(), after=after)


# Checks against the database


def _check_account(details: AccountDetails) -> None:
    if details.account_id is not None and details.account_id != settings.IAM_ACCOUNT_ID:
        raise ImportRefused(
            f"The file is from account {details.account_id}, but this iamconsole is account "
            f"{settings.IAM_ACCOUNT_ID} (IAM_ACCOUNT_ID); nothing was imported."
        )


def _check_references(details: AccountDetails, problems: Problems) -> None:
    """Every group and policy the file refers to is in the file or already here."""
    in_file = {policy.arn for policy in details.policies}
    groups_in_file = {group.name.lower() for group in details.groups}
    for identity in (*details.users, *details.groups, *details.roles):
        wanted = identity.policies
        for arn in (*wanted.attached, *([wanted.boundary] if wanted.boundary else [])):
            if arn not in in_file and find_policy(arn) is None:
                problems.add(identity.arn, f"the policy {arn} is neither in the file nor in iamconsole{_hint(arn)}")
    users = {user.name.lower(): user for user in details.users}
    timed = details.extension.memberships if details.extension is not None else ()
    named = [(user.arn, name) for user in details.users for name in user.groups]
    named += [(users[each.user_name.lower()].arn, each.group_name) for each in timed if each.user_name.lower() in users]
    for arn, name in named:
        if name.lower() not in groups_in_file and not Group.objects.filter(group_name__lower=name.lower()).exists():
            problems.add(arn, f"the group {name} is neither in the file nor in iamconsole")


def _hint(arn: str) -> str:
    if shipped_document(arn) is None:
        return ""
    return " (iamconsole ships AWS's document of it: manage.py load_aws_managed_policies --for <file> loads it)"


def _check_trusted_principals(details: AccountDetails, problems: Problems) -> None:
    """Every user or role of this account a trust policy names is in the file or already here,
    as AWS refuses an invalid principal. A unique ID is kept as written: if it names no one, it
    matches no one."""
    in_file = [identity.arn for identity in (*details.users, *details.roles)]
    for role in details.roles:
        for arn in trust.unknown_principals(role.trust_policy, known=in_file):
            problems.add(role.arn, trust.INVALID_PRINCIPAL.format(arn=arn))


def _check_new_id(model, iam_id: str, arn: str, problems: Problems) -> None:
    owner = model.objects.filter(iam_id=iam_id).first()
    if owner is not None:
        problems.add(arn, f"its unique ID {iam_id} already belongs to {owner.arn}")


def _note_kept_id(instance, detail, notes: list[str]) -> None:
    if instance.iam_id != detail.iam_id:
        notes.append(
            f"{detail.arn} already exists here and keeps its unique ID {instance.iam_id} (the file has {detail.iam_id})"
        )


def _change(kind: str, arn: str, instance, steps: list[Step], note: str = "") -> Change:
    action = CREATE if instance is None else UPDATE if steps else UNCHANGED
    return Change(kind, arn, action, tuple(steps), note)


# Managed policies


@dataclass
class Replacing:
    """Whether the file's AWS managed policies may replace built-ins, how a refusal says to ask,
    and the built-ins replaced so far with who holds each."""

    allowed: bool
    option: str
    policies: list[tuple[str, list[str]]] = field(default_factory=list)


def _plan_policy(detail: PolicyDetail, problems: Problems, notes: list[str], replacing: Replacing) -> Change:
    policy = find_policy(detail.arn)
    if policy is None:
        clash = ManagedPolicy.objects.filter(
            aws_managed=detail.aws_managed, policy_name__lower=detail.name.lower()
        ).first()
        if clash is not None:
            problems.add(detail.arn, f"a policy of that name already exists at {clash.arn}")
        _check_new_id(ManagedPolicy, detail.iam_id, detail.arn, problems)
        return _change("policy", detail.arn, None, [_create_policy_step(detail)])
    if policy.builtin:
        return _plan_builtin(detail, policy, problems, notes, replacing)
    _note_kept_id(policy, detail, notes)
    steps = []
    current = {version.number: version.document for version in policy.versions.all()}
    default = policy.versions.filter(is_default=True).values_list("number", flat=True).first()
    if current != dict(detail.versions) or default != detail.default_number:
        steps.append(_policy_versions_step(detail))
    if not policy.aws_managed and policy.description != detail.description:
        steps.append(
            Step(
                "set its description",
                lambda writer: services.update_policy(
                    policy=writer.policy(detail.arn), description=detail.description, actor=writer.actor
                ),
            )
        )
    return _change("policy", detail.arn, policy, steps)


def _plan_builtin(
    detail: PolicyDetail, policy: ManagedPolicy, problems: Problems, notes: list[str], replacing: Replacing
) -> Change:
    """AWS's policy keeps AWS's document: a built-in of its ARN that differs is replaced only when
    asked, naming who holds it here, since what they may do changes."""
    current = {version.number: version.document for version in policy.versions.all()}
    default = next(version.document for version in policy.versions.all() if version.is_default)
    if default == dict(detail.versions)[detail.default_number]:
        return Change("policy", detail.arn, UNCHANGED, note="matches the built-in policy")
    held_by = _holders(policy)
    holders = ", ".join(held_by) or "no one here"
    if not replacing.allowed:
        problems.add(
            detail.arn,
            "the file's document differs from the built-in policy of this ARN, which the import keeps "
            f"unless told to replace it ({replacing.option}); attached here to: {holders}",
        )
        return Change("policy", detail.arn, UNCHANGED)
    replacing.policies.append((detail.arn, held_by))
    notes.append(f"{detail.arn}: the built-in policy is replaced by the file's; attached here to: {holders}")
    step = _policy_versions_step(detail, replace_builtin=True)
    return Change("policy", detail.arn, UPDATE if current != dict(detail.versions) else UNCHANGED, (step,))


def _holders(policy: ManagedPolicy) -> list[str]:
    attachments = PolicyAttachment.objects.filter(policy=policy).select_related("user", "group", "role")
    boundaries = PermissionBoundary.objects.filter(policy=policy).select_related("user", "role")
    found = [(attachment.user or attachment.group or attachment.role).arn for attachment in attachments]
    return sorted(found) + sorted(f"{(boundary.user or boundary.role).arn} (boundary)" for boundary in boundaries)


def _version_list(detail: PolicyDetail) -> str:
    return f"{', '.join(f'v{number}' for number, _ in detail.versions)} (default v{detail.default_number})"


def _create_policy_step(detail: PolicyDetail) -> Step:
    def run(writer: Writer) -> None:
        services.import_managed_policy(
            policy_name=detail.name,
            path=detail.path,
            versions=list(detail.versions),
            default_number=detail.default_number,
            description=detail.description,
            iam_id=detail.iam_id,
            aws_managed=detail.aws_managed,
            created_at=detail.create_date,
            updated_at=detail.update_date,
            version_dates=dict(detail.version_dates),
            actor=writer.actor,
        )

    return Step(f"create with versions {_version_list(detail)}", run)


def _policy_versions_step(detail: PolicyDetail, *, replace_builtin: bool = False) -> Step:
    def run(writer: Writer) -> None:
        services.import_policy_versions(
            policy=writer.policy(detail.arn),
            versions=list(detail.versions),
            default_number=detail.default_number,
            actor=writer.actor,
            replace_builtin=replace_builtin,
            version_dates=dict(detail.version_dates),
        )

    return Step(f"make its versions {_version_list(detail)}", run)


# Users, groups and roles


def _plan_user(detail: UserDetail, problems: Problems, notes: list[str], timed: tuple = ()) -> Change:
    user = User.objects.filter(username__lower=detail.name.lower()).first()
    if user is not None and user.is_superuser:
        problems.add(detail.arn, f"{user.username} is this account's root user, which an import never changes")
        return Change("user", detail.arn, UNCHANGED)
    if user is None:
        _check_new_id(User, detail.iam_id, detail.arn, problems)
        steps = [create_step("user", detail, path=detail.path, tags=detail.tags)]
    else:
        _note_kept_id(user, detail, notes)
        steps = user_attribute_steps(user, detail) + date_steps("user", user, detail, notes)
    own = [entry for entry in timed if entry.user_name.lower() == detail.name.lower()]
    steps += membership_steps(user, detail, own, notes)
    steps += policy_steps("user", detail.name, detail.policies, current_policies("user", user))
    return _change("user", detail.arn, user, steps)


def _plan_group(detail: GroupDetail, problems: Problems, notes: list[str]) -> Change:
    group = Group.objects.filter(group_name__lower=detail.name.lower()).first()
    if group is None:
        _check_new_id(Group, detail.iam_id, detail.arn, problems)
        steps = [create_step("group", detail, path=detail.path)]
    else:
        _note_kept_id(group, detail, notes)
        steps = group_attribute_steps(group, detail) + date_steps("group", group, detail, notes)
    steps += policy_steps("group", detail.name, detail.policies, current_policies("group", group))
    return _change("group", detail.arn, group, steps)


def _plan_role(detail: RoleDetail, problems: Problems, notes: list[str]) -> Change:
    role = Role.objects.filter(role_name__lower=detail.name.lower()).first()
    if detail.instance_profiles:
        profiles = ", ".join(detail.instance_profiles)
        notes.append(f"{detail.arn}: instance profiles have no meaning here and are not imported ({profiles})")
    if role is None:
        _check_new_id(Role, detail.iam_id, detail.arn, problems)
        steps = create_role_steps(detail)
    else:
        _note_kept_id(role, detail, notes)
        steps = role_attribute_steps(role, detail) + date_steps("role", role, detail, notes)
    steps += policy_steps("role", detail.name, detail.policies, current_policies("role", role))
    return _change("role", detail.arn, role, steps)
