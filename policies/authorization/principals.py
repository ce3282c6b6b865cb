"""Principals and their layers: users, the root user, roles, role sessions, groups
(as the policy check asks about them) and pasted policies."""

from dataclasses import replace

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from identities import trust
from identities.context import context_of
from identities.credentials import RoleSession
from identities.models import Group, Role, RoleAssignment, User
from identities.rows import one as one_row
from policies.authorization import caches
from policies.authorization.loader import Keys, Layers, Scope, Source, account_keys, assemble, compile_guardrails, read
from policies.engine import PolicyKind, PolicySet, compile_policies


class UnknownPrincipal(LookupError):
    """No user, role, live role session or root user has that ARN."""


class AmbiguousPrincipal(LookupError):
    """More than one live role session has that ARN (several users chose one session name)."""


# Principal keys, derived from our own records, never from the caller


def _tag_keys(tags: dict) -> Keys:
    return {f"aws:PrincipalTag/{tag}": value for tag, value in tags.items()}


def user_keys(user: User) -> Keys:
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


def role_keys(role: Role, user_id_key: str | None = None) -> Keys:
    """A role session's keys: aws:PrincipalArn is the role's ARN with its path, as in AWS."""
    return {
        "aws:PrincipalArn": role.arn,
        "aws:PrincipalAccount": settings.IAM_ACCOUNT_ID,
        "aws:userid": user_id_key or role.iam_id,
        "aws:PrincipalType": "AssumedRole",
        **_tag_keys(role.tags),
    }


# Layers of one principal, kept per process under the permissions generation


def _guardrails() -> tuple[tuple[PolicySet, ...] | None, list[list[Source]]]:
    def load():
        sources = caches.shared("guardrails", "account", lambda: read(Scope()).guardrails)
        return compile_guardrails(sources), sources

    return caches.remembered(("guardrails",), load)


def guardrail_levels() -> tuple[PolicySet, ...] | None:
    return _guardrails()[0]


def _layers(arn: str, documents, owners, boundary_owner, keys: Keys, session: Source | None = None) -> Layers:
    """The layers of these owners' documents, remembered until the documents' own
    `valid_until` at most (the earliest expiry of a membership they hold)."""
    guardrails, guardrail_sources = _guardrails()
    boundary = documents.boundary(boundary_owner) if boundary_owner else None
    return assemble(
        arn,
        sources=documents.sources(owners),
        boundary=boundary,
        guardrails=guardrails,
        guardrail_sources=guardrail_sources,
        keys=keys,
        session=session,
        valid_until=documents.valid_until,
    )


def user_layers(user: User) -> Layers:
    """A user's own layers (root: no identity policies, only the guardrails)."""

    def load() -> Layers:
        if user.is_superuser:
            return _layers(user.arn, read(Scope()), [], None, user_keys(user))
        documents = caches.shared("user", user.pk, lambda: read(Scope(users=(user.pk,))))
        owners = [("user", user.pk), *(("group", g) for g in documents.memberships.get(user.pk, []))]
        return _layers(user.arn, documents, owners, ("user", user.pk), user_keys(user))

    return caches.remembered(("user", user.pk, user.arn), load)


def role_layers(role: Role) -> Layers:
    """A role's own permissions, as any session of it would have them without a session policy."""

    def load() -> Layers:
        documents = caches.shared("role", role.pk, lambda: read(Scope(roles=(role.pk,))))
        return _layers(role.arn, documents, [("role", role.pk)], ("role", role.pk), role_keys(role))

    return caches.remembered(("role", role.pk, role.arn), load)


def session_layers(session: RoleSession) -> Layers:
    """A role session: the role's permissions narrowed by its session policy."""

    def load() -> Layers:
        role = session.role
        documents = caches.shared("role", role.pk, lambda: read(Scope(roles=(role.pk,))))
        policy = session.session_policy
        source = (f"{session.arn} session policy", policy) if policy else None
        keys = role_keys(role, session.user_id_key)
        return _layers(session.arn, documents, [("role", role.pk)], ("role", role.pk), keys, source)

    return caches.remembered(("session", session.pk, session.role.arn), load)


def group_layers(group: Group) -> Layers:
    """A group's policies alone, as if a user were in that group only (the policy check)."""

    def load() -> Layers:
        documents = caches.shared("group", group.pk, lambda: read(Scope(groups=(group.pk,))))
        return _layers(group.arn, documents, [("group", group.pk)], None, account_keys())

    return caches.remembered(("group", group.pk, group.arn), load)


def custom_layers(principal_arn: str, documents: list[dict]) -> Layers:
    """Pasted identity policies (nothing saved), with the account's guardrails."""
    guardrails, guardrail_sources = _guardrails()
    sources = [(f"pasted policy {index + 1}", document) for index, document in enumerate(documents)]
    return assemble(
        principal_arn,
        sources=sources,
        boundary=None,
        guardrails=guardrails,
        guardrail_sources=guardrail_sources,
        keys=account_keys(),
    )


def federated_layers(provider_arn: str) -> Layers:
    """An identity provider as a principal: no policies of its own. Only a role's trust policy
    can let its tokens in (`decisions.assume_role_with_web_identity`)."""
    return assemble(provider_arn, sources=[], boundary=None, guardrails=None, guardrail_sources=[], keys={})


def with_boundary(layers: Layers, document: dict, label: str = "pasted permission boundary") -> Layers:
    """The layers with `document` as their permission boundary instead (the policy check)."""
    boundary = compile_policies([(label, document)], kind=PolicyKind.BOUNDARY)
    return replace(layers, boundary=boundary, documents=layers.documents | {label: document})


def layers_of(principal) -> Layers:
    """The layers of a user, role, group or role session."""
    for kind, loader in ((RoleSession, session_layers), (User, user_layers), (Role, role_layers)):
        if isinstance(principal, kind):
            return loader(principal)
    if isinstance(principal, Group):
        return group_layers(principal)
    raise TypeError(f"{principal!r} is not a user, role, group or role session.")


def acting_layers(user: User) -> Layers:
    """Whoever acts in this request: the user's live role session if the request's
    context says they switched role (or presented its credentials), else the user."""
    context = context_of(user)
    session = context.role_session if context is not None else None
    if session is not None and session.is_live():
        return session_layers(session)
    return user_layers(user)


# Effective trust: the role's trust policy plus its live assignments


def trust_layers(role: Role) -> tuple[PolicySet | None, dict]:
    """The compiled effective trust of a role and its document, kept under the
    generation until the earliest live assignment expires."""

    def load():
        document, valid_until = effective_trust(role)
        # A role that trusts no one has no trust layer at all, which allows nothing.
        if not document["Statement"]:
            return _Trust(None, document, valid_until)
        compiled = compile_policies([(f"{role.arn} trust policy", document)], kind=PolicyKind.TRUST)
        return _Trust(compiled, document, valid_until)

    found = caches.remembered(("trust", role.pk, role.arn), load)
    return found.policy_set, found.document


class _Trust:
    __slots__ = ("policy_set", "document", "valid_until")

    def __init__(self, policy_set, document, valid_until):
        self.policy_set, self.document, self.valid_until = policy_set, document, valid_until


def effective_trust(role: Role, at=None, arns: dict | None = None, assignments=None):
    """(document, earliest expiry): the trust policy as decisions match it (unique IDs
    as current ARNs) plus a statement naming every user with a live assignment."""
    moment = at or timezone.now()
    shown = trust.shown_form(role.trust_policy, arns)
    statements = shown.get("Statement", []) if shown else []
    statements = [statements] if isinstance(statements, dict) else list(statements)
    if assignments is None:
        assignments = list(
            RoleAssignment.objects.filter(role=role)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=moment))
            .select_related("user")
        )
    live = [a for a in assignments if a.is_live(moment) and a.user.is_active]
    if live:
        assigned = sorted(assignment.user.arn for assignment in live)
        statements.append(
            {"Sid": "Assignments", "Effect": "Allow", "Principal": {"AWS": assigned}, "Action": "sts:AssumeRole"}
        )
    expiries = [assignment.expires_at for assignment in live if assignment.expires_at is not None]
    return {"Version": "2012-10-17", "Statement": statements}, min(expiries, default=None)


# Principals by ARN


def split_iam_arn(arn: str) -> tuple[str, str, str, str] | None:
    """(service, account, kind, rest) of arn:aws:<service>::<account>:<kind>/<rest>, or None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[1] != "aws" or parts[3]:
        return None
    kind, _, rest = parts[5].partition("/")
    return parts[2], parts[4], kind, rest


def path_and_name(rest: str) -> tuple[str, str]:
    path, _, name = rest.rpartition("/")
    return (f"/{path}/" if path else "/"), name


def principal_at(arn: str) -> tuple[object, Layers]:
    """The identity an ARN names and its layers: a user, the root user, a role, or a
    live role session (AmbiguousPrincipal when several live sessions share the ARN)."""
    parsed = split_iam_arn(arn) if isinstance(arn, str) else None
    if parsed is None or parsed[1] != settings.IAM_ACCOUNT_ID:
        raise UnknownPrincipal(arn)
    service, _, kind, rest = parsed
    if (service, kind, rest) == ("iam", "root", ""):
        root = User.objects.filter(is_superuser=True).first()
        if root is not None:
            return root, user_layers(root)
    elif service == "iam" and kind in ("user", "role") and rest:
        found = _identity_at(kind, *path_and_name(rest))
        if found is not None:
            return found, user_layers(found) if kind == "user" else role_layers(found)
    elif service == "sts" and kind == "assumed-role" and rest.count("/") == 1:
        session = live_session(*rest.split("/"))
        if session is not None:
            return session, session_layers(session)
    raise UnknownPrincipal(arn)


def layers_at(arn: str) -> Layers:
    """The layers of the principal an ARN names, for the decision API. Users, roles and
    root are remembered per process under the permissions generation (a rename, a new
    path, tags, disabling or deleting all change it), so a warm decision does not look
    the principal up again; role sessions, which expire and are revoked without a
    change of generation, are looked up every time."""
    parsed = split_iam_arn(arn) if isinstance(arn, str) else None
    if parsed is None or parsed[0] != "iam":
        return principal_at(arn)[1]
    return caches.remembered(("principal", arn), lambda: principal_at(arn)[1])


def _identity_at(kind: str, path: str, name: str):
    if kind == "user":
        return one_row(User, username=name, path=path, is_superuser=False, is_active=True)
    return one_row(Role, role_name=name, path=path)


def live_session(role_name: str, session_name: str) -> RoleSession | None:
    """The one live session with this role and session name; AmbiguousPrincipal when
    several users' sessions share it (the ARN then names no single principal)."""
    sessions = list(
        RoleSession.objects.select_related("role", "user")
        .filter(role__role_name=role_name, session_name=session_name, revoked_at__isnull=True)
        .filter(expires_at__gt=timezone.now())
        .filter(Q(user__is_active=True) | Q(user__isnull=True))[:2]
    )
    if len(sessions) > 1:
        raise AmbiguousPrincipal(sessions[0].arn)
    return sessions[0] if sessions else None
