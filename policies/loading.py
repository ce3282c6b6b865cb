"""Database rows to engine inputs: few queries, compiled sets cached per process.

A principal's compiled layers are kept in a per-process LRU keyed by the
principal and the permissions generation, which every change that can alter
a decision bumps in its own transaction and which is read fresh on every
decision: no stale allow survives a commit. Compiled sets are never pickled
into a shared cache.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from identities.models import Membership, User
from identities.services import permissions_generation
from policies.engine import Decision, PolicyKind, PolicySet, Request, authorize, compile_policies
from policies.models import Guardrail, InlinePolicy, PermissionBoundary, PolicyAttachment, PolicyVersion


@dataclass(frozen=True)
class PrincipalLayers:
    principal_arn: str
    identity: PolicySet
    boundary: PolicySet | None
    guardrails: tuple[PolicySet, ...] | None
    keys: dict[str, str | list[str]]


class _LRU:
    def __init__(self):
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > settings.IAM_POLICY_CACHE_SIZE:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _LRU()


def clear_cache() -> None:
    _cache.clear()


def guardrail_levels() -> tuple[PolicySet, ...] | None:
    """One compiled set per level, lowest first; None when the account has no guardrails."""
    levels: dict[int, list] = {}
    for guardrail in Guardrail.objects.order_by("level", "guardrail_name"):
        levels.setdefault(guardrail.level, []).append((guardrail.label, guardrail.document))
    if not levels:
        return None
    return tuple(compile_policies(sources, kind=PolicyKind.GUARDRAIL) for _, sources in sorted(levels.items()))


def _identity_sources(user: User) -> list[tuple[str, dict]]:
    """The user's own and their groups' inline and default-version managed policies (3 queries)."""
    group_ids = list(Membership.objects.filter(user=user).values_list("group_id", flat=True))
    owned = Q(user=user) | Q(group_id__in=group_ids)
    inline = InlinePolicy.objects.filter(owned).select_related("user", "group", "role")
    attached_policy_ids = PolicyAttachment.objects.filter(owned).values("policy_id")
    versions = PolicyVersion.objects.filter(policy_id__in=attached_policy_ids, is_default=True).select_related("policy")
    return [(policy.label, policy.document) for policy in inline] + [(v.label, v.document) for v in versions]


def _boundary(user: User) -> PolicySet | None:
    boundary = PermissionBoundary.objects.filter(user=user).select_related("policy").first()
    if boundary is None:
        return None
    version = PolicyVersion.objects.select_related("policy").get(policy=boundary.policy, is_default=True)
    return compile_policies([(version.label, version.document)], kind=PolicyKind.BOUNDARY)


def principal_keys(user: User) -> dict[str, str | list[str]]:
    """The principal's condition keys, derived from our own records, never from the caller."""
    keys: dict[str, str | list[str]] = {
        "aws:PrincipalArn": user.arn,
        "aws:PrincipalAccount": settings.IAM_ACCOUNT_ID,
        "aws:userid": user.iam_id if not user.is_superuser else settings.IAM_ACCOUNT_ID,
        "aws:PrincipalType": "Account" if user.is_superuser else "User",
    }
    if not user.is_superuser:
        keys["aws:username"] = user.username
        for tag, value in user.tags.items():
            keys[f"aws:PrincipalTag/{tag}"] = value
    return keys


def layers_for(user: User) -> PrincipalLayers:
    key = (user.pk, user.arn, permissions_generation())
    layers = _cache.get(key)
    if layers is None:
        layers = _load(user)
        _cache.put(key, layers)
    return layers


def _load(user: User) -> PrincipalLayers:
    if user.is_superuser:
        identity, boundary = compile_policies([], kind=PolicyKind.IDENTITY), None
    else:
        identity = compile_policies(_identity_sources(user), kind=PolicyKind.IDENTITY)
        boundary = _boundary(user)
    return PrincipalLayers(user.arn, identity, boundary, guardrail_levels(), principal_keys(user))


def request_keys(context) -> dict[str, str]:
    """Keys of the request context (source IP, transport, time, MFA); none outside a request."""
    return context.condition_keys() if context is not None else {}


def decide(
    user: User,
    action: str,
    resource: str = "*",
    *,
    keys: dict[str, str | list[str]] | None = None,
    at: datetime | None = None,
) -> Decision:
    layers = layers_for(user)
    context = request_keys(getattr(user, "iam_context", None))
    context.update(keys or {})
    context.update(layers.keys)
    request = Request(layers.principal_arn, action, resource, context, resource_account=resource_account(resource))
    return authorize(
        request,
        identity=layers.identity,
        boundary=layers.boundary,
        guardrails=layers.guardrails,
        account_id=settings.IAM_ACCOUNT_ID,
    )


def resource_account(resource: str) -> str | None:
    """AWS's own managed policies (account "aws") are read as this account's resources."""
    parts = resource.split(":", 5)
    return settings.IAM_ACCOUNT_ID if len(parts) > 4 and parts[4] == "aws" else None


def decide_for_root(action: str, resource: str) -> Decision:
    """The root user's decision with the guardrails as they stand in this transaction."""
    root_arn = f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:root"
    request = Request(root_arn, action, resource, {"aws:PrincipalArn": root_arn, "aws:CurrentTime": _now()})
    return authorize(
        request,
        identity=compile_policies([], kind=PolicyKind.IDENTITY),
        guardrails=guardrail_levels(),
        account_id=settings.IAM_ACCOUNT_ID,
    )


def _now() -> str:
    return timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
