"""The best-practice assessment: what in the account's current state goes against IAM's advice.

Every check reads rows the account already keeps, all of them in a constant number of
queries, and decides what a document grants with the engine (`grants_power`,
`may_allow`, `allow_resources`), never from a policy's name. Each finding names its
entity, says what is the case and why it matters; `key` identifies it across runs, so
an acknowledgement (FindingAcknowledgement) stays with it until it expires.

Rules worth stating, since they are choices:
- Only active users are assessed: a disabled user signs in with nothing.
- A console user is one with a usable password; MFA is a confirmed virtual device.
- "Used recently" for the root user: signed in within ROOT_RECENT_DAYS.
- An inline policy is one a managed policy would do when its document (as parsed JSON)
  is also inline on another identity, or is the default version of a managed policy:
  the same grant kept in several places is changed in several places.
- Policies are assessed where they grant something: managed policies attached to an
  identity, and inline policies. A finding that implies another on the same policy
  (full access implies iam:PassRole and writes on "*") is not repeated.
- A role's last use is its newest role session; a role with none is "no use recorded"
  once it is older than UNUSED_DAYS, never a guessed date.
"""

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.cache import cache
from django.db.models import Case, Exists, Max, OuterRef, When
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities import generation, naming
from identities.credentials import AccessKey
from identities.models import Membership, Role, User
from identities.passwords import PasswordPolicy
from policies import authorization
from policies.authorization import EVERY_ACTION, EVERY_IAM_ACTION, grants_power
from policies.engine import Outcome, PolicyError, PolicyKind, allow_resources, compile_policies, may_allow, parse_policy
from policies.models import (
    CatalogAction,
    FindingAcknowledgement,
    Guardrail,
    InlinePolicy,
    PolicyAttachment,
    PolicyVersion,
)

ROOT_RECENT_DAYS = 30
KEY_ROTATION_DAYS = 90
UNUSED_DAYS = 90
# An action and a resource no policy names (the digits keep them apart from real ones).
_UNNAMED_ACTION, _UNNAMED_RESOURCE = "unnamed0-service:Unnamed0Action", "arn:aws:unnamed0-service:::unnamed0"
# Every access level that changes something (AWS's Write, Permissions management and Tagging).
WRITE_LEVELS = (
    CatalogAction.AccessLevel.WRITE,
    CatalogAction.AccessLevel.PERMISSIONS,
    CatalogAction.AccessLevel.TAGGING,
)


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


SEVERITIES = (Severity.HIGH, Severity.MEDIUM, Severity.LOW)


@dataclass(frozen=True)
class Check:
    code: str
    severity: Severity
    title: str
    why: str


CHECKS = {
    check.code: check
    for check in (
        Check(
            "root-access-keys",
            Severity.HIGH,
            "The root user has access keys",
            "Keys of the root user act beyond every IAM policy; AWS advises the root user to have none.",
        ),
        Check(
            "root-no-mfa",
            Severity.HIGH,
            "The root user has no MFA",
            "Whoever learns the root user's password holds the whole account; a second factor stops them.",
        ),
        Check(
            "root-used-recently",
            Severity.MEDIUM,
            "The root user was used recently",
            "Daily work as root escapes every IAM policy and its mistakes cannot be fenced; use an administrator.",
        ),
        Check(
            "user-no-mfa",
            Severity.MEDIUM,
            "Console user without MFA",
            "A password alone is phished or guessed; MFA keeps a stolen password from opening the console.",
        ),
        Check(
            "password-too-old",
            Severity.MEDIUM,
            "Password older than the password policy allows",
            "An old password has had the longest time to leak; the account's policy asks for a newer one.",
        ),
        Check(
            "access-key-old",
            Severity.MEDIUM,
            f"Access key older than {KEY_ROTATION_DAYS} days",
            "A long-lived key has had the longest time to leak; rotating keys limits what a leaked one is worth.",
        ),
        Check(
            "access-key-unused",
            Severity.LOW,
            "Active access key never used",
            "A key nobody uses is a credential to leak for nothing; deactivate or delete it.",
        ),
        Check(
            "user-in-no-group",
            Severity.LOW,
            "User in no group",
            "Permissions given to groups are managed for teams; a user in no group is managed one person at a time.",
        ),
        Check(
            "user-direct-policies",
            Severity.LOW,
            "User with policies of their own",
            "Policies attached to one user are easy to forget when their job changes; give them through groups.",
        ),
        Check(
            "inline-would-be-managed",
            Severity.LOW,
            "Inline policy a managed policy would do",
            "The same grant kept inline in several places must be changed in each; one managed policy is one place.",
        ),
        Check(
            "policy-full-access",
            Severity.HIGH,
            "Policy granting full access",
            "Its holders may do everything it covers, granting themselves more among it; least privilege is lost.",
        ),
        Check(
            "policy-passrole-any",
            Severity.HIGH,
            'Policy allowing iam:PassRole on "*"',
            "Passing any role to a service lets the holder act with that role's permissions, whatever they are.",
        ),
        Check(
            "policy-write-any-resource",
            Severity.MEDIUM,
            'Policy allowing writes on Resource "*"',
            "A write on every resource reaches resources nobody thought of when writing it; name the resources.",
        ),
        Check(
            "trust-anyone",
            Severity.HIGH,
            'Role trusting "*"',
            "Any principal, of any account, may ask to assume the role.",
        ),
        Check(
            "trust-other-account",
            Severity.HIGH,
            "Role trusting another account without a condition",
            "Without sts:ExternalId or another condition anyone in that account who is allowed sts:AssumeRole "
            "may assume it (the confused deputy).",
        ),
        Check(
            "trust-federated-no-sub",
            Severity.HIGH,
            "Role trusting a federated provider without a condition on :sub",
            "Without a condition on the token's subject every identity of the provider may assume the role.",
        ),
        Check(
            "role-unused",
            Severity.LOW,
            f"Role unused for {UNUSED_DAYS} days",
            "A role nobody assumes is access kept for nothing; delete it or find out who still needs it.",
        ),
        Check(
            "no-guardrail",
            Severity.MEDIUM,
            "No guardrail beyond the allow-all one",
            "Guardrails bind everyone, root included; without a deny guardrail one mistaken policy has no fence.",
        ),
    )
}


@dataclass(slots=True)
class Finding:
    """One finding: `entity` names it as people read it, `arn` for links; `fix`: where it is fixed,
    as (kind, pk) with kind one of user, role, policy, guardrails."""

    code: str
    entity: str
    arn: str
    detail: str
    fix: tuple[str, int | None]
    part: str = ""  # what within the entity, when it has several findings of one check (a key ID)
    acknowledgement: FindingAcknowledgement | None = field(default=None, compare=False)

    @property
    def check(self) -> Check:
        return CHECKS[self.code]

    @property
    def severity(self) -> Severity:
        return self.check.severity

    @property
    def key(self) -> str:
        return ":".join(part for part in (self.code, self.arn or "account", self.part) if part)

    @property
    def acknowledged(self) -> bool:
        return self.acknowledgement is not None


def assess(at: datetime | None = None) -> list[Finding]:
    """Every finding on the account now, by severity then entity, each with its live acknowledgement."""
    at = at or timezone.now()
    found = [*_user_findings(at), *_policy_findings(), *_role_findings(at), *_guardrail_findings()]
    live = {ack.finding_key: ack for ack in FindingAcknowledgement.objects.filter(expires_at__gt=at)}
    if live:
        for finding in found:
            finding.acknowledgement = live.get(finding.key)
    order = {severity: index for index, severity in enumerate(SEVERITIES)}
    return sorted(found, key=lambda finding: (order[finding.severity], finding.code, finding.entity, finding.part))


def counts(findings: list[Finding]) -> dict[str, int]:
    """Open (not acknowledged) findings by severity, every severity listed."""
    tally = Counter(finding.severity for finding in findings if not finding.acknowledged)
    return {severity.value: tally[severity] for severity in SEVERITIES}


# The dashboard's tile runs the whole assessment (a second or two at 100,000 users), so its
# counts are kept for a few minutes: MFA devices, keys and sign-ins change no generation, so the
# tile says when it counted. A new generation or acknowledgement counts again at once.
TILE_CACHE_SECONDS = 300


def cached_counts() -> tuple[dict[str, int], datetime]:
    """`counts` of the current findings and when they were counted, from the cache when fresh."""
    newest = FindingAcknowledgement.objects.aggregate(newest=Max("acknowledged_at"))["newest"]
    key = f"policies:assessment-counts:{generation.current()}:{newest.isoformat() if newest else '-'}"
    return cache.get_or_set(key, lambda: (counts(assess()), timezone.now()), TILE_CACHE_SECONDS)


# Users and their credentials


def _user_findings(at: datetime):
    max_age = PasswordPolicy.current().max_age_days
    # At 100,000 users the columns read are most of the time: the password's dates only when the
    # policy limits its age, whether it is usable (a console user) and in a group from the database.
    dates = ("password_changed_at", "created_at") if max_age else ()
    rows = (
        User.objects.filter(is_active=True)
        .annotate(
            console=Case(When(password__startswith=UNUSABLE_PASSWORD_PREFIX, then=False), default=True),
            in_group=Exists(Membership.objects.filter(user=OuterRef("pk"))),
        )
        .order_by()
        .values_list("pk", "username", "path", "is_superuser", "console", "in_group", *dates)
    )
    with_mfa = set(TOTPDevice.objects.filter(confirmed=True).order_by().values_list("user_id", flat=True))
    own = defaultdict(list)
    attachments = PolicyAttachment.objects.filter(user__isnull=False).order_by()
    for user_id, name in attachments.values_list("user_id", "policy__policy_name"):
        own[user_id].append(name)
    for user_id, name in (
        InlinePolicy.objects.filter(user__isnull=False).order_by().values_list("user_id", "policy_name")
    ):
        own[user_id].append(f"{name} (inline)")
    keys = defaultdict(list)
    for row in AccessKey.objects.order_by().values_list("user_id", "key_id", "status", "created_at", "last_used_at"):
        keys[row[0]].append(row[1:])
    root_login = User.objects.filter(is_superuser=True).values_list("last_login", flat=True).first()
    for pk, username, path, is_root, console, in_group, *changed_created in rows:
        arn = naming.root_arn() if is_root else naming.build_arn("user", path, username)
        entity, fix = ("root user" if is_root else username), ("user", pk)
        if is_root:
            yield from _root_findings(arn, fix, pk in with_mfa, bool(keys.get(pk)), root_login, at)
        else:
            if console and pk not in with_mfa:
                yield Finding("user-no-mfa", entity, arn, "Signs in with a password alone.", fix)
            if not in_group:
                yield Finding("user-in-no-group", entity, arn, "Is a member of no group.", fix)
            if own.get(pk):
                yield Finding("user-direct-policies", entity, arn, "Holds " + ", ".join(sorted(own[pk])) + ".", fix)
        if console and max_age:
            set_at = changed_created[0] or changed_created[1]
            if set_at + timedelta(days=max_age) <= at:
                detail = f"Password set {(at - set_at).days} days ago; the password policy allows {max_age}."
                yield Finding("password-too-old", entity, arn, detail, fix)
        if pk in keys:
            yield from _key_findings(entity, arn, fix, keys[pk], at)


def _root_findings(arn, fix, has_mfa: bool, has_keys: bool, last_login, at: datetime):
    if has_keys:
        yield Finding("root-access-keys", "root user", arn, "Holds access keys.", fix)
    if not has_mfa:
        yield Finding("root-no-mfa", "root user", arn, "Signs in with a password alone.", fix)
    if last_login is not None and at - last_login < timedelta(days=ROOT_RECENT_DAYS):
        detail = f"Signed in at {last_login:%Y-%m-%d %H:%M} UTC, within the last {ROOT_RECENT_DAYS} days."
        yield Finding("root-used-recently", "root user", arn, detail, fix)


def _key_findings(entity: str, arn: str, fix, keys, at: datetime):
    for key_id, status, created, last_used in keys:
        if status != AccessKey.Status.ACTIVE:
            continue
        age = (at - created).days
        if age > KEY_ROTATION_DAYS:
            detail = f"Access key {key_id} was created {age} days ago."
            yield Finding("access-key-old", entity, arn, detail, fix, part=key_id)
        if last_used is None:
            detail = f"Access key {key_id}, created {age} days ago, has never been used."
            yield Finding("access-key-unused", entity, arn, detail, fix, part=key_id)


# Policies


@dataclass
class _Held:
    """A document as it is held: a managed policy's default version, or an inline policy."""

    entity: str
    arn: str
    fix: tuple[str, int | None]
    document: dict
    part: str = ""


def _policy_findings():
    attached = set(PolicyAttachment.objects.order_by().values_list("policy_id", flat=True).distinct())
    defaults = PolicyVersion.objects.filter(is_default=True).values_list(
        "policy_id", "policy__policy_name", "policy__path", "policy__aws_managed", "document"
    )
    held, managed_texts = [], set()
    for policy_id, name, path, aws_managed, document in defaults:
        managed_texts.add(_text(document))
        if policy_id in attached:
            account = "aws" if aws_managed else None
            arn = naming.build_arn("policy", path, name, account_id=account)
            held.append(_Held(f"policy {name}", arn, ("policy", policy_id), document))
    inline = list(_inline_policies())
    held += inline
    yield from _duplicated_inline(inline, managed_texts)
    write_actions = list(
        CatalogAction.objects.filter(access_level__in=WRITE_LEVELS)
        .select_related("service")
        .values_list("service__prefix", "name")
    )
    verdicts: dict[str, list[tuple[str, str]]] = {}
    for entry in held:
        text = _text(entry.document)
        if text not in verdicts:
            verdicts[text] = _grants(entry.document, [f"{prefix}:{name}" for prefix, name in write_actions])
        for code, detail in verdicts[text]:
            yield Finding(code, entry.entity, entry.arn, detail, entry.fix, part=entry.part)


def _inline_policies():
    rows = InlinePolicy.objects.values_list(
        "policy_name",
        "document",
        "user_id",
        "user__username",
        "user__path",
        "group_id",
        "group__group_name",
        "group__path",
        "role_id",
        "role__role_name",
        "role__path",
    )
    for (
        name,
        document,
        user_id,
        username,
        user_path,
        group_id,
        group_name,
        group_path,
        role_id,
        role,
        role_path,
    ) in rows:
        if user_id is not None:
            kind, owner, path, fix = "user", username, user_path, ("user", user_id)
        elif group_id is not None:
            kind, owner, path, fix = "group", group_name, group_path, ("group", group_id)
        else:
            kind, owner, path, fix = "role", role, role_path, ("role", role_id)
        arn = naming.build_arn(kind, path, owner)
        yield _Held(f"inline policy {name} of {kind} {owner}", arn, fix, document, part=name)


def _duplicated_inline(inline: list[_Held], managed_texts: set[str]):
    seen = Counter(_text(entry.document) for entry in inline)
    for entry in inline:
        text = _text(entry.document)
        if text in managed_texts:
            detail = "Its document is the default version of a managed policy: attach that policy instead."
        elif seen[text] > 1:
            others = seen[text] - 1
            where = "another identity" if others == 1 else f"{others} other identities"
            detail = f"The same document is inline on {where}: one managed policy would do."
        else:
            continue
        yield Finding("inline-would-be-managed", entry.entity, entry.arn, detail, entry.fix, part=entry.part)


def _text(document) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def _grants(document: dict, write_actions: list[str]) -> list[tuple[str, str]]:
    """The policy findings of one document: full access, iam:PassRole on "*", writes on "*"."""
    try:
        power = grants_power(document)
        policy_set = compile_policies([("document", document)], kind=PolicyKind.IDENTITY)
    except PolicyError:
        return []
    if EVERY_ACTION in power:
        return [("policy-full-access", "Allows every action of every service.")]
    if EVERY_IAM_ACTION in power:
        return [("policy-full-access", "Allows every IAM action, and so any permission its holders give themselves.")]
    found = []
    if "iam:PassRole" in power and _on_any_resource(policy_set, "iam:PassRole"):
        found.append(("policy-passrole-any", 'Allows iam:PassRole on "*": any role may be passed.'))
    broad = [action for action in write_actions if _on_any_resource(policy_set, action)]
    if broad:
        shown = ", ".join(broad[:5]) + (f" and {len(broad) - 5} more" if len(broad) > 5 else "")
        found.append(("policy-write-any-resource", f'Allows {len(broad)} write actions on "*": {shown}.'))
    return found


def _on_any_resource(policy_set, action: str) -> bool:
    """Whether an Allow for `action` names every resource ("*", or a NotResource)."""
    if not may_allow(policy_set, action):
        return False
    patterns = allow_resources(policy_set, action, {})
    return patterns is None or "*" in patterns


# Roles


def _role_findings(at: datetime):
    rows = Role.objects.annotate(last_used=Max("sessions__created_at")).values_list(
        "pk", "role_name", "path", "trust_policy", "created_at", "last_used"
    )
    for pk, name, path, trust, created, last_used in rows:
        arn = naming.build_arn("role", path, name)
        for code, detail, principal in _trust_findings(trust):
            yield Finding(code, f"role {name}", arn, detail, ("role", pk), part=principal)
        if last_used is not None and at - last_used > timedelta(days=UNUSED_DAYS):
            detail = f"Last assumed {last_used:%Y-%m-%d}, {(at - last_used).days} days ago."
            yield Finding("role-unused", f"role {name}", arn, detail, ("role", pk))
        elif last_used is None and at - created > timedelta(days=UNUSED_DAYS):
            detail = f"No use recorded since it was created {(at - created).days} days ago."
            yield Finding("role-unused", f"role {name}", arn, detail, ("role", pk))


def _trust_findings(trust) -> list[tuple[str, str, str]]:
    """What a trust policy's Allow statements let in that AWS advises against, as (check, detail,
    principal); trusting this account (its ID or its root) is AWS's normal pattern and no finding."""
    if not trust:
        return []
    try:
        policy = parse_policy(trust, kind=PolicyKind.TRUST)
    except PolicyError:
        return []
    found = []
    for statement in policy.statements:
        if statement.effect.value != "Allow" or statement.principal is None:
            continue
        keys = {condition.key.lower() for condition in statement.conditions}
        if statement.principal.wildcard:
            found.append(("trust-anyone", 'Trusts any principal ("*")' + _under(keys), "*"))
            continue
        for kind, value in statement.principal.entries:
            if kind == "AWS" and value == "*":
                found.append(("trust-anyone", 'Trusts any principal ("*")' + _under(keys), "*"))
            elif kind == "AWS" and _account_of(value) not in (None, settings.IAM_ACCOUNT_ID) and not keys:
                found.append(("trust-other-account", f"Trusts {value} with no condition.", value))
            elif kind == "Federated" and not any(key.endswith(":sub") for key in keys):
                found.append(("trust-federated-no-sub", f"Trusts {value} with no condition on :sub.", value))
    return found


def _under(keys: set[str]) -> str:
    return f", under conditions on {', '.join(sorted(keys))}." if keys else ", with no condition."


def _account_of(value: str) -> str | None:
    """The account an AWS principal entry belongs to; None for this account's unique IDs."""
    if value.isdigit():
        return value
    if value.startswith("arn:"):
        parts = value.split(":")
        return parts[4] if len(parts) > 4 else None
    return None


# Guardrails


def _guardrail_findings():
    """A guardrail restricts when it denies something, or when the account's guardrails refuse
    an action on a resource that no policy names to a principal allowed everything (the engine
    decides it, through the one door)."""
    documents = list(Guardrail.objects.values_list("document", flat=True))
    for document in documents:
        try:
            policy = parse_policy(document, kind=PolicyKind.GUARDRAIL)
        except PolicyError:
            continue
        if any(statement.effect.value == "Deny" for statement in policy.statements):
            return
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    probe = authorization.custom_layers(naming.build_arn("user", "/", "assessment-probe"), [everything])
    if authorization.decide(probe, _UNNAMED_ACTION, _UNNAMED_RESOURCE).outcome is not Outcome.ALLOW:
        return
    yield Finding("no-guardrail", "guardrails", "", _no_guardrail_detail(len(documents)), ("guardrails", None))


def _no_guardrail_detail(count: int) -> str:
    if not count:
        return "There is no guardrail at all."
    if count == 1:
        return "The only guardrail allows everything and denies nothing."
    return f"All {count} guardrails together allow everything and deny nothing."
