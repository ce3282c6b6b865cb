"""Database rows to engine inputs: few queries, compiled sets cached per process.

A principal's compiled layers are kept in a per-process LRU keyed by the
principal and the permissions generation, which every change that can alter
a decision sets to a new random value in its own transaction, and which each
request reads afresh: no stale allow survives a commit, and a change that
rolls back leaves nothing cached under a value that will be used again.
Compiled sets are never pickled into a shared cache. A principal is a user, the account root user, or a
role session (which carries the role's permissions, not the user's).
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from identities.credentials import RoleSession
from identities.models import Membership, Role, User
from identities.services import permissions_generation
from policies.engine import (
    Decision,
    PolicyKind,
    PolicySet,
    Request,
    authorize,
    authorize_assume_role,
    compile_policies,
)
from policies.models import Guardrail, InlinePolicy, PermissionBoundary, PolicyAttachment, PolicyVersion

Keys = dict[str, str | list[str]]
# Documents stay in the shared cache this long; a new generation makes them unreachable sooner.
DOCUMENT_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class PrincipalLayers:
    principal_arn: str
    identity: PolicySet
    boundary: PolicySet | None
    guardrails: tuple[PolicySet, ...] | None
    session: PolicySet | None
    keys: Keys
    # Every document by its source label, so a page can show a deciding statement in its policy.
    documents: dict[str, dict] = field(default_factory=dict, compare=False)


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
    return _compile_guardrails(_guardrail_sources())[0]


def _guardrail_sources() -> list[list[tuple[str, dict]]]:
    """The guardrails' documents by level, lowest level first."""
    levels: dict[int, list] = {}
    for guardrail in Guardrail.objects.order_by("level", "guardrail_name"):
        levels.setdefault(guardrail.level, []).append((guardrail.label, guardrail.document))
    return [sources for _, sources in sorted(levels.items())]


def _compile_guardrails(levels) -> tuple[tuple[PolicySet, ...] | None, dict[str, dict]]:
    if not levels:
        return None, {}
    documents = {label: document for sources in levels for label, document in sources}
    return tuple(compile_policies(sources, kind=PolicyKind.GUARDRAIL) for sources in levels), documents


def _shared(kind: str, owner, generation: int, read):
    """A principal's plain documents from the shared cache (Redis), stored under the
    generation they were read at, so a stale set is never served; else the database."""
    key = f"policies:documents:{kind}:{owner}:{generation}"
    data = cache.get(key)
    if data is None:
        data = read()
        cache.set(key, data, DOCUMENT_CACHE_SECONDS)
    return data


def _identity_sources(owned: Q) -> list[tuple[str, dict]]:
    """Inline and default-version managed policies of the owners in `owned` (2 queries)."""
    inline = InlinePolicy.objects.filter(owned).select_related("user", "group", "role")
    attached_policy_ids = PolicyAttachment.objects.filter(owned).values("policy_id")
    versions = PolicyVersion.objects.filter(policy_id__in=attached_policy_ids, is_default=True).select_related("policy")
    return [(policy.label, policy.document) for policy in inline] + [(v.label, v.document) for v in versions]


def _user_sources(user: User) -> list[tuple[str, dict]]:
    group_ids = list(Membership.objects.filter(user=user).values_list("group_id", flat=True))
    return _identity_sources(Q(user=user) | Q(group_id__in=group_ids))


def _boundary_source(owner: Q) -> tuple[str, dict] | None:
    boundary = PermissionBoundary.objects.filter(owner).first()
    if boundary is None:
        return None
    version = PolicyVersion.objects.select_related("policy").get(policy_id=boundary.policy_id, is_default=True)
    return version.label, version.document


def principal_keys(user: User) -> Keys:
    """The principal's condition keys, derived from our own records, never from the caller."""
    keys: Keys = {
        "aws:PrincipalArn": user.arn,
        "aws:PrincipalAccount": settings.IAM_ACCOUNT_ID,
        "aws:userid": user.iam_id if not user.is_superuser else settings.IAM_ACCOUNT_ID,
        "aws:PrincipalType": "Account" if user.is_superuser else "User",
    }
    if not user.is_superuser:
        keys["aws:username"] = user.username
        keys.update(_tag_keys(user.tags))
    return keys


def session_keys(session: RoleSession) -> Keys:
    """A role session's keys: aws:PrincipalArn is the role's ARN with its path, as in AWS."""
    return {
        "aws:PrincipalArn": session.role.arn,
        "aws:PrincipalAccount": settings.IAM_ACCOUNT_ID,
        "aws:userid": session.user_id_key,
        "aws:PrincipalType": "AssumedRole",
        **_tag_keys(session.role.tags),
    }


def _tag_keys(tags: dict) -> Keys:
    return {f"aws:PrincipalTag/{tag}": value for tag, value in tags.items()}


def _cached(key, load):
    layers = _cache.get(key)
    if layers is None:
        layers = load()
        _cache.put(key, layers)
    return layers


def remembered(key: tuple, load) -> PrincipalLayers:
    """Layers that `load` finds, kept in the per-process cache under `key` and the
    current permissions generation."""
    return _cached((*key, permissions_generation()), load)


def layers_for(user: User) -> PrincipalLayers:
    generation = permissions_generation()
    return _cached((user.pk, user.arn, generation), lambda: _load_user(user, generation))


def session_layers(session: RoleSession) -> PrincipalLayers:
    generation = permissions_generation()
    key = ("session", session.pk, session.role.arn, generation)
    return _cached(key, lambda: _load_session(session, generation))


def _load_user(user: User, generation: int) -> PrincipalLayers:
    def read() -> dict:
        if user.is_superuser:
            return {"sources": [], "boundary": None, "guardrails": _guardrail_sources()}
        boundary = _boundary_source(Q(user=user))
        return {"sources": _user_sources(user), "boundary": boundary, "guardrails": _guardrail_sources()}

    data = _shared("user", user.pk, generation, read)
    return _assemble(user.arn, data, None, principal_keys(user))


def _owned_documents(owner: Q) -> dict:
    return {
        "sources": _identity_sources(owner),
        "boundary": _boundary_source(owner),
        "guardrails": _guardrail_sources(),
    }


def _assemble(arn: str, data: dict, session_source, keys: Keys) -> PrincipalLayers:
    """Compile a principal's layers, keeping each document under its label."""
    sources, boundary_source = data["sources"], data["boundary"]
    documents = dict(sources)
    boundary = session = None
    if boundary_source is not None:
        boundary = compile_policies([boundary_source], kind=PolicyKind.BOUNDARY)
        documents.setdefault(*boundary_source)
    if session_source is not None:
        session = compile_policies([session_source], kind=PolicyKind.SESSION)
        documents.setdefault(*session_source)
    identity = compile_policies(sources, kind=PolicyKind.IDENTITY)
    guardrails, guardrail_documents = _compile_guardrails(data["guardrails"])
    documents.update(guardrail_documents)
    return PrincipalLayers(arn, identity, boundary, guardrails, session, keys, documents)


def _load_session(session: RoleSession, generation: int) -> PrincipalLayers:
    policy = session.session_policy
    session_source = (f"{session.arn} session policy", policy) if policy else None
    data = _shared("role", session.role_id, generation, lambda: _owned_documents(Q(role_id=session.role_id)))
    return _assemble(session.arn, data, session_source, session_keys(session))


def request_keys(context) -> dict[str, str]:
    """Keys of the request context (source IP, transport, time, MFA); none outside a request."""
    return context.condition_keys() if context is not None else {}


def acting_layers(user: User) -> PrincipalLayers:
    """The layers of whoever acts: the user's live role session if they switched role, else the user."""
    session = getattr(user, "role_session", None)
    if session is not None and session.is_live():
        return session_layers(session)
    return layers_for(user)


def decide(user: User, action: str, resource: str = "*", *, keys: Keys | None = None) -> Decision:
    return decide_layers(acting_layers(user), action, resource, keys=keys, context=getattr(user, "iam_context", None))


def decide_layers(
    layers: PrincipalLayers, action: str, resource: str = "*", *, keys=None, context=None, resource_policy=None
) -> Decision:
    values = request_keys(context)
    values.update(keys or {})
    values.update(layers.keys)
    request = Request(layers.principal_arn, action, resource, values, resource_account=resource_account(resource))
    return authorize(
        request,
        identity=layers.identity,
        boundary=layers.boundary,
        guardrails=layers.guardrails,
        session_policy=layers.session,
        resource_policy=resource_policy,
        account_id=settings.IAM_ACCOUNT_ID,
    )


def resource_account(resource: str) -> str | None:
    """AWS's own managed policies (account "aws") are read as this account's resources."""
    parts = resource.split(":", 5)
    return settings.IAM_ACCOUNT_ID if len(parts) > 4 and parts[4] == "aws" else None


def effective_trust(role: Role, at=None) -> dict:
    """The role's trust policy plus a statement naming every user with a live assignment."""
    moment = at or timezone.now()
    statements = list((role.trust_policy or {}).get("Statement", []))
    if isinstance((role.trust_policy or {}).get("Statement"), dict):
        statements = [role.trust_policy["Statement"]]
    assigned = sorted(
        assignment.user.arn
        for assignment in role.assignments.select_related("user").filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=moment)
        )
        if assignment.user.is_active
    )
    if assigned:
        statements.append(
            {"Sid": "Assignments", "Effect": "Allow", "Principal": {"AWS": assigned}, "Action": "sts:AssumeRole"}
        )
    return {"Version": "2012-10-17", "Statement": statements}


def decide_assume_role(caller: PrincipalLayers, role: Role, *, context=None) -> Decision:
    """sts:AssumeRole as AWS decides it: the trust policy (with live assignments) and,
    where it names only the account, the caller's own policies (IAM-RULES.md rule 6)."""
    trust = effective_trust(role)
    values = request_keys(context)
    values.update(caller.keys)
    return authorize_assume_role(
        caller.principal_arn,
        role.arn,
        # A role that trusts no one has an empty trust layer, which allows nothing.
        trust_policy=[(f"{role.arn} trust policy", trust)] if trust["Statement"] else (),
        identity=caller.identity,
        boundary=caller.boundary,
        guardrails=caller.guardrails,
        session_policy=caller.session,
        context=values,
    )


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


def role_layers(role: Role) -> PrincipalLayers:
    """A role's own permissions, as any session of it would have them without a session policy."""
    generation = permissions_generation()
    key = ("role", role.pk, role.arn, generation)

    def load() -> PrincipalLayers:
        keys: Keys = {
            "aws:PrincipalArn": role.arn,
            "aws:PrincipalAccount": settings.IAM_ACCOUNT_ID,
            "aws:userid": role.iam_id,
            "aws:PrincipalType": "AssumedRole",
            **_tag_keys(role.tags),
        }
        data = _shared("role", role.pk, generation, lambda: _owned_documents(Q(role_id=role.pk)))
        return _assemble(role.arn, data, None, keys)

    return _cached(key, load)


def decide_request(
    layers: PrincipalLayers, action: str, resource: str, context_values: Keys, at=None, resource_policy=None
) -> Decision:
    """A decision asked about someone else's request (the policy check page and the
    decision API): the caller supplies the request keys, the server the time and
    every principal key."""
    moment = at or timezone.now()
    values: Keys = dict(context_values)
    values["aws:CurrentTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    values["aws:EpochTime"] = str(int(moment.timestamp()))
    return decide_layers(layers, action, resource, keys=values, resource_policy=resource_policy)


def group_layers(group) -> PrincipalLayers:
    """A group's policies alone, as if a user were in that group only (the policy check)."""
    generation = permissions_generation()
    key = ("group", group.pk, group.arn, generation)
    keys: Keys = {"aws:PrincipalAccount": settings.IAM_ACCOUNT_ID}

    def load() -> PrincipalLayers:
        def read() -> dict:
            # Groups have no permission boundary.
            return {
                "sources": _identity_sources(Q(group_id=group.pk)),
                "boundary": None,
                "guardrails": _guardrail_sources(),
            }

        data = _shared("group", group.pk, generation, read)
        return _assemble(group.arn, data, None, keys)

    return _cached(key, load)


def custom_layers(principal_arn: str, documents: list[dict]) -> PrincipalLayers:
    """Pasted identity policies (nothing saved), with the account's guardrails."""
    sources = [(f"pasted policy {index + 1}", document) for index, document in enumerate(documents)]
    data = {"sources": sources, "boundary": None, "guardrails": _guardrail_sources()}
    return _assemble(principal_arn, data, None, {"aws:PrincipalAccount": settings.IAM_ACCOUNT_ID})
