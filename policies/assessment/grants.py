"""The checks of what documents grant and let in: policies in use, roles' trust and use, guardrails.

What a document grants is the engine's answer (grants_power, may_allow, allow_resources),
never a policy's name."""

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max

from identities import naming
from identities.models import Role
from policies import authorization
from policies.assessment.checks import UNUSED_DAYS, Finding
from policies.authorization import EVERY_ACTION, EVERY_IAM_ACTION, grants_power
from policies.engine import Outcome, PolicyError, PolicyKind, allow_resources, compile_policies, may_allow, parse_policy
from policies.models import CatalogAction, Guardrail, InlinePolicy, PolicyAttachment, PolicyVersion

# An action and a resource no policy names (the digits keep them apart from real ones).
_UNNAMED_ACTION, _UNNAMED_RESOURCE = "unnamed0-service:Unnamed0Action", "arn:aws:unnamed0-service:::unnamed0"
# Every access level that changes something (AWS's Write, Permissions management and Tagging).
WRITE_LEVELS = (
    CatalogAction.AccessLevel.WRITE,
    CatalogAction.AccessLevel.PERMISSIONS,
    CatalogAction.AccessLevel.TAGGING,
)


@dataclass
class _Held:
    """A document as it is held: a managed policy's default version, or an inline policy."""

    entity: str
    arn: str
    fix: tuple[str, int | None]
    document: dict
    part: str = ""


def policy_findings():
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


def role_findings(at: datetime):
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


def guardrail_findings():
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
