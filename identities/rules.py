"""Which IAM actions each change needs: written once, beside the services.

Every entry point (console page and fragment, the admin, the import, the API)
asks here before it calls a service, so they cannot apply different rules:

    rules.perform(request.user, services.update_user, user=subject, username="new")

checks every action `rules.required(services.update_user, ...)` lists, each on
its own resource (a rename needs iam:UpdateUser on the old ARN and on the new
one, as AWS documents), then runs the service. A page that only decides
whether to offer a change asks `rules.allows(...)` with what it knows so far;
an unknown new name is asked about as "any resource, the request's keys still
to come".

The root user is beyond every IAM policy: the authorization backend refuses a
write on root to anyone but root, and the services refuse it again.
"""

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.module_loading import import_string

from identities import guards, mfa, naming, queries, services
from identities.context import PENDING, Target


class Check(NamedTuple):
    """One action on one resource (a model instance, or a Target: an ARN with request keys);
    `about`: what it removes or changes, for a page that names it."""

    action: str
    target: object
    about: str = ""

    @property
    def resource(self) -> str:
        """The ARN checked ("*" for a check on no one resource)."""
        return getattr(self.target, "arn", None) or "*"

    def __str__(self) -> str:
        told = f"{self.action} on {getattr(self.target, 'arn', '*')}"
        return f"{told} ({self.about})" if self.about else told


class AnyOf(NamedTuple):
    """A check met by any one of several routes, each a list of checks all of which must be
    allowed (an access request is decided by whoever may make the change it asks for, or by
    whoever may approve it). Named, on a refusal, by its first route's first check."""

    routes: tuple[tuple[Check, ...], ...]

    @property
    def action(self) -> str:
        return self.routes[0][0].action

    @property
    def target(self) -> object:
        return self.routes[0][0].target

    @property
    def resource(self) -> str:
        return self.routes[0][0].resource

    def __str__(self) -> str:
        return " or ".join(" and ".join(str(check) for check in route) for route in self.routes)


_RULES: dict[Callable, list[Callable[..., Iterable[Check]]]] = {}


def rule(*changes: Callable):
    """Register the decorated function as (part of) the rule of these services: an app
    whose rows a change also removes adds the checks for that (policies does for the
    deletion of users, groups and roles)."""

    def register(function):
        for change in changes:
            _RULES.setdefault(change, []).append(function)
        return function

    return register


def has_rule(change: Callable) -> bool:
    return change in _RULES


def required(change: Callable, **arguments) -> list[Check]:
    """The checks a change needs, given (some of) the service's own keyword arguments."""
    return [check for part in _RULES[change] for check in part(**arguments)]


def refused(actor, checks: Iterable[Check]) -> list[Check]:
    return [check for check in checks if not _allowed(actor, check)]


def _allowed(actor, check) -> bool:
    if isinstance(check, AnyOf):
        return any(all(_allowed(actor, part) for part in route) for route in check.routes)
    return actor.has_perm(check.action, check.target)


def _as_allowed(actor, checks: Iterable[Check]) -> list[Check]:
    """The checks with each AnyOf replaced by the first of its routes the actor was allowed:
    what the actor's request was really allowed, for the last-accessed data."""
    found = []
    for check in checks:
        if isinstance(check, AnyOf):
            route = next(route for route in check.routes if not refused(actor, route))
            found += _as_allowed(actor, route)
        else:
            found.append(check)
    return found


class Refused(PermissionDenied):
    """A refusal that names the check refused, so the console's 403 page can name the action
    and link the policy check of it."""

    def __init__(self, check: Check):
        super().__init__(f"Your policies do not allow {check}.")
        self.check = check


def require(actor, checks: Iterable[Check]) -> None:
    """Refused (a PermissionDenied) naming the first check the actor's policies refuse."""
    missing = refused(actor, checks)
    if missing:
        raise Refused(missing[0])


def allows(actor, change: Callable, **arguments) -> bool:
    return not refused(actor, required(change, **arguments))


def perform(actor, change: Callable, *, rule_extras: dict | None = None, **arguments):
    """Check every action the change needs, then make it (as `actor`) in one transaction with
    the guards' checks of the state it makes (identities.guards: a refusal rolls it all back).
    A change made counts as an allowed request of the actor's (note_allowed). `rule_extras`:
    what the rule must also be told that the service does not take (the admin's boundary of a
    new user, which it sets next, asked with the creation)."""
    checks = required(change, **arguments, **(rule_extras or {}))
    require(actor, checks)
    allowed = _as_allowed(actor, checks)
    with transaction.atomic(), guards.around(actor, change, arguments):
        made = change(actor=actor, **arguments)
    note_allowed(actor, allowed)
    return made


# False while a change is only tried (a change preview, rolled back): it is no one's request.
_noting = ContextVar("noting_allowed_requests", default=True)


@contextmanager
def unnoted():
    """Changes performed inside are tried, not made (a change preview): note_allowed leaves
    them out of the last-accessed data."""
    token = _noting.set(False)
    try:
        yield
    finally:
        _noting.reset(token)


def note_allowed(actor, checks: Iterable[Check]) -> None:
    """Tell IAM_ALLOWED_REQUEST_HOOKS (the policies app's last-accessed data) that a real
    request was allowed these checks: a change made, an object page opened. Never for a
    page's probing of what to offer (`allows`), which is no one's request, nor inside
    `unnoted()`."""
    if not _noting.get():
        return
    checks = list(checks)
    for hook in _allowed_request_hooks():
        hook(actor=actor, checks=checks)


@cache
def _allowed_request_hooks() -> tuple[Callable, ...]:
    return tuple(import_string(hook) for hook in settings.IAM_ALLOWED_REQUEST_HOOKS)


# Targets


def new_target(kind: str, path: str | None, name: str | None, keys: dict | None = None) -> Target:
    """The ARN a change creates or moves to; "any, keys to come" while the name is unknown."""
    if not name:
        return Target(PENDING.arn, dict(keys or {}), keys_known=False)
    return Target(naming.build_arn(kind, path or "/", name), dict(keys or {}))


def tag_checks(kind: str, target, before: dict, after: dict | None) -> list[Check]:
    """Tag<Kind> for tags added or changed (with aws:RequestTag and aws:TagKeys), Untag<Kind>
    for tags removed (with aws:TagKeys), as AWS asks them."""
    if after is None:
        return []
    arn = getattr(target, "arn", "*")
    added = {key: value for key, value in after.items() if before.get(key) != value}
    removed = sorted(key for key in before if key not in after)
    checks = []
    if added:
        keys = {f"aws:RequestTag/{key}": value for key, value in added.items()} | {"aws:TagKeys": sorted(added)}
        checks.append(Check(f"iam:Tag{kind}", Target(arn, _with_resource_tags(target, keys))))
    if removed:
        checks.append(Check(f"iam:Untag{kind}", Target(arn, _with_resource_tags(target, {"aws:TagKeys": removed}))))
    return checks


def _with_resource_tags(target, keys: dict) -> dict:
    tags = getattr(target, "tags", None) or {}
    resource = {f"aws:ResourceTag/{key}": value for key, value in tags.items()}
    return resource | {f"iam:ResourceTag/{key}": value for key, value in tags.items()} | keys


def _moved(kind: str, identity, name: str | None, path: str | None) -> list[Target]:
    """The new ARN of a rename or a move, if it is one."""
    if identity is None or (name is None and path is None):
        return []
    new = naming.build_arn(kind, path or identity.path, name or identity.name)
    return [Target(new)] if new != identity.arn else []


def subject(obj):
    """The object a check is about; "any" when a page asks before choosing one (a list)."""
    return PENDING if obj is None else obj


# Users


@rule(services.create_user, services.create_console_user)
def _create_user(
    *, username=None, path="/", tags=None, password=None, boundary=None, groups=(), mfa_required=False, **_
):
    """All of a creation, asked before anything is created: a password is its login profile
    (with its reset requirement), requiring MFA an UpdateUser, each group its own AddUserToGroup."""
    keys = {"iam:PermissionsBoundary": boundary.arn} if boundary is not None else {}
    target = new_target("user", path, username, keys)
    yield Check("iam:CreateUser", target)
    if password:
        yield Check("iam:CreateLoginProfile", target)
    if mfa_required:
        yield Check("iam:UpdateUser", target)
    yield from tag_checks("User", target, {}, tags or None)
    if boundary is not None:
        yield Check("iam:PutUserPermissionsBoundary", target)
    for group in sorted(groups or (), key=lambda group: group.group_name.lower()):
        yield Check("iam:AddUserToGroup", group)


@rule(services.update_user)
def _update_user(*, user=None, username=None, path=None, is_active=None, **_):
    yield Check("iam:UpdateUser", subject(user))
    for moved in _moved("user", user, username, path):
        yield Check("iam:UpdateUser", moved)


@rule(services.set_user_tags)
def _set_user_tags(*, user=None, tags=None, **_):
    if user is None or tags is None:  # whether to offer the tags at all: adding or removing any
        yield Check("iam:TagUser", Target(subject(user).arn, keys_known=False))
        return
    yield from tag_checks("User", user, user.tags, tags)


@rule(services.set_mfa_required)
def _set_mfa_required(*, user=None, **_):
    yield Check("iam:UpdateUser", subject(user))


@rule(services.revoke_role_sessions)
def _revoke_role_sessions(*, user=None, role=None, **_):
    yield Check("iam:UpdateRole", role) if role is not None else Check("iam:UpdateUser", subject(user))


@rule(services.set_password)
def _set_password(*, user=None, **_):
    """A first password creates the login profile; one that replaces another updates it."""
    creates = user is not None and not user.has_usable_password()
    yield Check("iam:CreateLoginProfile" if creates else "iam:UpdateLoginProfile", subject(user))


@rule(services.require_password_reset)
def _require_password_reset(*, user=None, **_):
    yield Check("iam:UpdateLoginProfile", subject(user))


@rule(services.delete_user)
def _delete_user(*, user=None, with_credentials_and_memberships=False, with_policies=False, **_):
    """With what stands in the way removed first, each removal by its own action."""
    yield Check("iam:DeleteUser", subject(user))
    yield from _removals(user, own=with_credentials_and_memberships, attached=with_policies)


def _removals(identity, *, own: bool, attached: bool):
    """The action that removes each thing a deletion removes first (identities.queries
    lists them, the policies app its own through a hook)."""
    if identity is None or not (own or attached):
        return
    for obstacle in queries.deletion_obstacles(identity, own=own, attached=attached):
        yield Check(obstacle.action, obstacle.target, obstacle.description)


# Credentials


@rule(services.create_access_key)
def _create_access_key(*, user, **_):
    yield Check("iam:CreateAccessKey", user)


@rule(services.update_access_key)
def _update_access_key(*, key, **_):
    yield Check("iam:UpdateAccessKey", key.user)


@rule(services.delete_access_key)
def _delete_access_key(*, key, **_):
    yield Check("iam:DeleteAccessKey", key.user)


@rule(services.end_console_session, services.end_role_session)
def _end_session(*, session=None, **_):
    """A console or role session is governed through its user, as access keys are."""
    yield Check("iam:RevokeSession", subject(getattr(session, "user", None)))


@rule(services.end_console_sessions)
def _end_console_sessions(*, user=None, **_):
    yield Check("iam:RevokeSession", subject(user))


@rule(services.create_virtual_mfa_device)
def _create_virtual_mfa_device(*, user, **_):
    yield Check("iam:CreateVirtualMFADevice", Target(mfa.mfa_arn(user)))


@rule(services.enable_mfa_device)
def _enable_mfa_device(*, device, **_):
    yield Check("iam:EnableMFADevice", device.user)


@rule(services.remove_mfa_device)
def _remove_mfa_device(*, user=None, **_):
    yield Check("iam:DeactivateMFADevice", subject(user))


@rule(services.update_password_policy)
def _update_password_policy(**_):
    yield Check("iam:UpdateAccountPasswordPolicy", Target("*"))


# Groups


@rule(services.create_group)
def _create_group(*, group_name=None, path="/", **_):
    yield Check("iam:CreateGroup", new_target("group", path, group_name))


@rule(services.update_group)
def _update_group(*, group=None, group_name=None, path=None, **_):
    yield Check("iam:UpdateGroup", subject(group))
    for moved in _moved("group", group, group_name, path):
        yield Check("iam:UpdateGroup", moved)


@rule(services.delete_group)
def _delete_group(*, group=None, with_members=False, with_policies=False, **_):
    yield Check("iam:DeleteGroup", subject(group))
    yield from _removals(group, own=with_members, attached=with_policies)


@rule(services.add_members)
def _add_members(*, group=None, **_):
    yield Check("iam:AddUserToGroup", subject(group))


@rule(services.remove_members)
def _remove_members(*, group=None, **_):
    yield Check("iam:RemoveUserFromGroup", subject(group))


@rule(services.remove_members_made_by)
def _remove_members_made_by(*, source=None, source_ref=None, group=None, **_):
    groups = [group] if group is not None else queries.groups_with_members_made_by(source, source_ref)
    for each in groups:
        yield Check("iam:RemoveUserFromGroup", subject(each))


# Dates another account's records give (an import's CreateDate and RoleLastUsed)


@rule(services.set_identity_dates)
def _set_identity_dates(*, identity=None, **_):
    # AWS writes these dates itself and has no action to set them; here only an import brings
    # them, so its own action governs them, asked on each identity whose dates it sets.
    yield Check("iam:ImportAccountAuthorizationDetails", subject(identity))


# Roles (AWS has no rename or move of a role: UpdateRole changes its description and session length)


@rule(services.create_role)
def _create_role(*, role_name=None, path="/", tags=None, boundary=None, **_):
    keys = {"iam:PermissionsBoundary": boundary.arn} if boundary is not None else {}
    target = new_target("role", path, role_name, keys)
    yield Check("iam:CreateRole", target)
    yield from tag_checks("Role", target, {}, tags or None)
    if boundary is not None:
        yield Check("iam:PutRolePermissionsBoundary", target)


@rule(services.update_role)
def _update_role(*, role=None, description=None, max_session_duration=None, tags=None, **_):
    if role is None or (description is None and max_session_duration is None and tags is None):
        yield Check("iam:UpdateRole", subject(role))  # whether to offer the change at all
        return
    if (description is not None and description != role.description) or (
        max_session_duration is not None and max_session_duration != role.max_session_duration
    ):
        yield Check("iam:UpdateRole", role)
    yield from tag_checks("Role", role, role.tags, tags)


@rule(services.update_trust_policy)
def _update_trust_policy(*, role=None, **_):
    yield Check("iam:UpdateAssumeRolePolicy", subject(role))


@rule(services.update_role_and_trust_policy)
def _update_role_and_trust_policy(*, role, trust_policy=None, **changes):
    yield from _update_role(role=role, **changes)
    if trust_policy is not None and trust_policy != role.trust_policy:
        yield Check("iam:UpdateAssumeRolePolicy", role)


@rule(services.delete_role)
def _delete_role(*, role=None, with_policies=False, **_):
    yield Check("iam:DeleteRole", subject(role))
    yield from _removals(role, own=False, attached=with_policies)


@rule(services.assign_role, services.unassign_role, services.assign_role_to_users)
def _assign_role(*, role=None, **_):
    # The console's assignments are its trust policy's extension (the role's effective trust).
    yield Check("iam:UpdateAssumeRolePolicy", subject(role))


# OpenID Connect providers: AWS's actions, each on the provider's ARN


def _provider_target(url: str | None, keys: dict | None = None) -> Target:
    if not url:
        return Target(PENDING.arn, dict(keys or {}), keys_known=False)
    return Target(naming.oidc_provider_arn(naming.issuer_name(url)), dict(keys or {}))


@rule(services.create_oidc_provider)
def _create_oidc_provider(*, url=None, tags=None, **_):
    target = _provider_target(url)
    yield Check("iam:CreateOpenIDConnectProvider", target)
    yield from tag_checks("OpenIDConnectProvider", target, {}, tags or None)


@rule(services.delete_oidc_provider)
def _delete_oidc_provider(*, provider=None, **_):
    yield Check("iam:DeleteOpenIDConnectProvider", subject(provider))


@rule(services.add_client_id)
def _add_client_id(*, provider=None, **_):
    yield Check("iam:AddClientIDToOpenIDConnectProvider", subject(provider))


@rule(services.remove_client_id)
def _remove_client_id(*, provider=None, **_):
    yield Check("iam:RemoveClientIDFromOpenIDConnectProvider", subject(provider))


@rule(services.tag_oidc_provider)
def _tag_oidc_provider(*, provider=None, tags=None, **_):
    if tags is None:  # asked before the tags are known: whether to offer tagging at all
        yield Check("iam:TagOpenIDConnectProvider", Target(subject(provider).arn, keys_known=False))
        return
    before = dict(provider.tags) if provider is not None else {}
    yield from tag_checks("OpenIDConnectProvider", subject(provider), before, {**before, **tags})


@rule(services.untag_oidc_provider)
def _untag_oidc_provider(*, provider=None, keys=None, **_):
    if keys is None:
        yield Check("iam:UntagOpenIDConnectProvider", Target(subject(provider).arn, keys_known=False))
        return
    before = dict(provider.tags) if provider is not None else {}
    after = {key: value for key, value in before.items() if key not in keys}
    yield from tag_checks("OpenIDConnectProvider", subject(provider), before, after)
