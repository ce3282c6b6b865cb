"""The entry-point matrix: every console URL (pages and fragments), every admin operation of
every registered model, and every API endpoint, with each method.

Each row names what it needs: the reads of the page, and the checks of the change from the
rule table (identities.rules, policies.rules) asked with the row's own arguments. It runs:
by a persona with none of them and by personas each lacking one of them (refused, the
database as it was), then by a persona with exactly them (it succeeds, or answers the
non-authorization outcome the row expects). The list of rows is checked against the URL
resolver and the admin's registry: a new URL or admin model without a row fails.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from access import services as access_services
from access.rules import approve_checks
from identities import rules
from identities import services as identity_services
from identities.audit import AuditEvent
from identities.context import PENDING, Target
from identities.rules import Check
from policies import services
from scim import services as scim_services
from tests.admin_forms import admin_form_data
from tests.aws import signing as aws_signing
from tests.documents import allow, deny
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
ACCOUNT = "123456789012"
CHANGED = "changed"


def read(action: str, target=None) -> Check:
    return Check(action, PENDING if target is None else target)


def rule(change, **arguments) -> list[Check]:
    return rules.required(change, **arguments)


@dataclass
class Row:
    """One entry point and method. `needs(world, me)`: what a persona must be allowed;
    `args`, `data`: the URL's arguments and the request's data; `ok`: the status when
    allowed; `refused`: the statuses of a refusal; `admin`: build the POST from the admin
    page as root sees it."""

    name: str
    method: str
    needs: Callable
    args: Callable = lambda w, me: {}
    data: Callable = lambda w, me: {}
    ok: int = 302
    refused: tuple[int, ...] = (403, 404)
    admin: bool = False
    api: bool = False
    new_rows: Callable | None = None
    aws: str = ""  # the service of an /aws/ row, whose data holds the Action and its parameters

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}"


# The world every row acts on, built through the services.


@pytest.fixture
def world(org):
    w = SimpleNamespace(root=org.root, org=org)
    w.target = identity_services.create_user(username="target", password=TEST_PASSWORD, actor=None)
    w.team, w.other = (identity_services.create_group(group_name=name, actor=None) for name in ("Team", "Other"))
    identity_services.add_members(group=w.team, users=[w.target], actor=None)
    w.deployer = identity_services.create_role(role_name="Deployer", trust_policy=_trust_account(), actor=None)
    w.spare_role = identity_services.create_role(role_name="Spare", trust_policy=_trust_account(), actor=None)
    identity_services.assign_role(role=w.deployer, user=w.target, actor=None)
    w.reader, _ = services.create_policy(policy_name="Reader", document=allow("storage:Get*"), actor=None)
    services.create_policy_version(policy=w.reader, document=allow("storage:List*"), actor=None)
    w.loose, _ = services.create_policy(policy_name="Loose", document=allow("storage:Put*"), actor=None)
    w.unused, _ = services.create_policy(policy_name="Unused", document=allow("storage:List*"), actor=None)
    for identity in (w.target, w.team, w.deployer):
        services.attach_policy(policy=w.reader, identity=identity, actor=None)
        services.put_inline_policy(identity=identity, policy_name="Own", document=allow("s:A"), actor=None)
    services.set_permissions_boundary(identity=w.target, policy=w.loose, actor=None)
    w.key, _ = identity_services.create_access_key(user=w.target, actor=None)
    w.console_session = identity_services.start_console_session(user=w.target, mfa_used=False)
    w.role_session, _, _ = identity_services.start_role_session(
        role=w.deployer, user=w.target, session_name="target", duration=900, source="api", actor=None
    )
    w.provider = identity_services.create_oidc_provider(url="https://ci.example.org", client_ids=["deploy"], actor=None)
    w.fence, _ = services.save_guardrail(guardrail_name="Fence", document=deny("s:D"), actor=None)
    w.service = services.save_catalog_service(prefix="billing", name="Billing", actor=None)
    # Stored, so every change below also passes the expectations' guard (nothing here breaks it).
    w.expectation = services.put_access_expectation(definition=_EXPECTATION, actor=None)
    # What SCIM provisioned: two users, one of them in a group SCIM made.
    w.provisioned = scim_services.create_user(user_name="provisioned", actor=None)
    w.provisioned_member = scim_services.create_user(user_name="provisioned-member", actor=None)
    w.provisioned_group = scim_services.create_group(
        display_name="Provisioned", members=[w.provisioned_member.user], actor=None
    )
    # Access requests of the target's: one open, one granted.
    w.request = _ask(w.target, "arn:aws:storage:::site/open.html")
    w.granted = _granted(w, w.target, "arn:aws:storage:::site/granted.html")
    return w


def _ask(user, resource: str = "arn:aws:storage:::site/index.html"):
    return rules.perform(user, access_services.create_request, **_ASKED, resources=[resource])


def _granted(w, user, resource: str = "arn:aws:storage:::site/index.html"):
    request = _ask(user, resource)
    return rules.perform(w.root, access_services.approve_request, request=request)


def _own_open(w, me) -> dict:
    # Root asks for nothing: the wrong-method check, which acts as root, takes the target's.
    return {"pk": (w.request if me.is_superuser else _ask(me)).pk}


def _own_granted(w, me) -> dict:
    return {"pk": (w.granted if me.is_superuser else _granted(w, me)).pk}


_ASKED = {"kind": "permission", "actions": ["storage:PutObject"], "justification": "Matrix.", "duration": 3600}


_EXPECTATION = {"name": "henry-bills-nothing", "principals": {"users": ["henry"]}, "may": False, "actions": "billing:*"}
_NEW_EXPECTATION = {"name": "target-reads", "principals": {"users": ["target"]}, "may": True, "actions": "s:A"}


def _trust_account() -> dict:
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    return {"Version": "2012-10-17", "Statement": [statement]}


_people = iter(range(10**6))


def new_person():
    return identity_services.create_user(username=f"persona{next(_people)}", password=TEST_PASSWORD, actor=None)


def unique(checks: list[Check]) -> list[Check]:
    seen, found = set(), []
    for check in checks:
        key = (check.action, getattr(check.target, "arn", "*"))
        if key not in seen:
            seen.add(key)
            found.append(check)
    return found


def grant(user, checks: list[Check]) -> None:
    """Allow `user` exactly `checks` (each action on its resource), and nothing else."""
    statements = [
        {"Effect": "Allow", "Action": check.action, "Resource": getattr(check.target, "arn", "*") or "*"}
        for check in checks
    ]
    if statements:
        document = {"Version": "2012-10-17", "Statement": statements}
        services.put_inline_policy(identity=user, policy_name="Exactly", document=document, actor=None)


# Rows. Reads first, then the change's rule with the arguments the view passes.


def _user_page(w, me):
    return {"pk": w.target.pk}


def _group_page(w, me):
    return {"pk": w.team.pk}


def _role_page(w, me):
    return {"pk": w.deployer.pk}


def _provider_page(w, me):
    return {"pk": w.provider.pk}


def _policy_page(w, me):
    return {"pk": w.reader.pk}


def _fragment(kind: str):
    return lambda w, me: {
        "kind": kind,
        "pk": getattr(w, {"user": "target", "group": "team", "role": "deployer"}[kind]).pk,
    }


def _identity(w, kind: str):
    return getattr(w, {"user": "target", "group": "team", "role": "deployer"}[kind])


def _fragment_reads(w, kind: str) -> list[Check]:
    return [read(f"iam:ListAttached{kind.title()}Policies", _identity(w, kind))]


CONSOLE_ROWS = [
    # Users
    Row("identities:user-list", "GET", lambda w, me: [read("iam:ListUsers")], ok=200),
    Row("identities:user-detail", "GET", lambda w, me: [read("iam:GetUser", w.target)], _user_page, ok=200),
    Row(
        "identities:user-create",
        "GET",
        lambda w, me: rule(identity_services.create_console_user),
        ok=200,
    ),
    Row(
        "identities:user-create",
        "POST",
        lambda w, me: rule(identity_services.create_console_user, username="newbie", path="/"),
        data=lambda w, me: {"username": "newbie", "path": "/", "is_active": "on"},
    ),
    Row(
        "identities:user-edit",
        "GET",
        lambda w, me: [read("iam:GetUser", w.target), *rule(identity_services.update_user, user=w.target)],
        _user_page,
        ok=200,
    ),
    Row(
        "identities:user-edit",
        "POST",
        lambda w, me: [
            read("iam:GetUser", w.target),
            *rule(identity_services.update_user, user=w.target, username="renamed", path="/"),
        ],
        _user_page,
        data=lambda w, me: {"username": "renamed", "path": "/", "is_active": "on"},
    ),
    Row(
        "identities:user-tags",
        "POST",
        lambda w, me: [
            read("iam:GetUser", w.target),
            *rule(identity_services.set_user_tags, user=w.target),
            *rule(identity_services.set_user_tags, user=w.target, tags={"team": "blue"}),
        ],
        _user_page,
        data=lambda w, me: {"tags": "team=blue"},
    ),
    Row(
        "identities:user-password",
        "GET",
        lambda w, me: [read("iam:GetUser", w.target), *rule(identity_services.set_password, user=w.target)],
        _user_page,
        ok=200,
    ),
    Row(
        "identities:user-password",
        "POST",
        lambda w, me: [read("iam:GetUser", w.target), *rule(identity_services.set_password, user=w.target)],
        _user_page,
        data=lambda w, me: {"password_choice": "typed", "console_password": "a-new-pass-phrase-31"},
    ),
    Row(
        "identities:user-group-add",
        "POST",
        lambda w, me: [read("iam:GetUser", w.target), *rule(identity_services.add_members, group=w.other)],
        _user_page,
        data=lambda w, me: {"name": "Other"},
    ),
    Row(
        "identities:user-group-candidates",
        "GET",
        lambda w, me: [read("iam:GetUser", w.target), *rule(identity_services.add_members), read("iam:ListGroups")],
        _user_page,
        data=lambda w, me: {"name": "Oth"},
        ok=200,
    ),
    Row(
        "identities:user-role-candidates",
        "GET",
        lambda w, me: [read("iam:GetUser", w.target), *rule(identity_services.assign_role), read("iam:ListRoles")],
        _user_page,
        data=lambda w, me: {"name": "Spa"},
        ok=200,
    ),
    Row(
        "identities:user-group-remove",
        "POST",
        lambda w, me: [
            read("iam:GetUser", w.target),
            read("iam:GetGroup", w.team),
            *rule(identity_services.remove_members, group=w.team),
        ],
        lambda w, me: {"pk": w.target.pk, "group_pk": w.team.pk},
    ),
    Row(
        "identities:user-role-add",
        "POST",
        lambda w, me: [read("iam:GetUser", w.target), *rule(identity_services.assign_role, role=w.spare_role)],
        _user_page,
        data=lambda w, me: {"name": "Spare"},
    ),
    Row(
        "identities:user-role-remove",
        "POST",
        lambda w, me: [
            read("iam:GetUser", w.target),
            read("iam:GetRole", w.deployer),
            *rule(identity_services.unassign_role, role=w.deployer),
        ],
        lambda w, me: {"pk": w.target.pk, "role_pk": w.deployer.pk},
    ),
    Row(
        "identities:user-delete",
        "GET",
        lambda w, me: [read("iam:GetUser", w.target), *rule(identity_services.delete_user, user=w.target)],
        _user_page,
        ok=200,
    ),
    Row(
        "identities:user-delete",
        "POST",
        lambda w, me: [
            read("iam:GetUser", w.target),
            *rule(
                identity_services.delete_user, user=w.target, with_credentials_and_memberships=True, with_policies=True
            ),
        ],
        _user_page,
    ),
    # Access keys
    Row(
        "identities:access-keys",
        "GET",
        lambda w, me: [read("iam:ListAccessKeys", w.target)],
        lambda w, me: {"username": "target"},
        ok=200,
    ),
    Row(
        "identities:access-keys",
        "POST",
        lambda w, me: [read("iam:ListAccessKeys", w.target), *rule(identity_services.create_access_key, user=w.target)],
        lambda w, me: {"username": "target"},
        ok=303,
    ),
    Row(
        "identities:access-key-status",
        "POST",
        lambda w, me: [read("iam:ListAccessKeys", w.target), *rule(identity_services.update_access_key, key=w.key)],
        lambda w, me: {"username": "target", "key_id": w.key.key_id},
        data=lambda w, me: {"status": "Inactive"},
    ),
    Row(
        "identities:access-key-delete",
        "POST",
        lambda w, me: [read("iam:ListAccessKeys", w.target), *rule(identity_services.delete_access_key, key=w.key)],
        lambda w, me: {"username": "target", "key_id": w.key.key_id},
    ),
    # Security credentials and sessions
    Row(
        "identities:security-credentials",
        "GET",
        lambda w, me: [read("iam:ListSessions", w.target)],
        lambda w, me: {"username": "target"},
        ok=200,
    ),
    Row(
        "identities:console-session-revoke",
        "POST",
        lambda w, me: [
            read("iam:ListSessions", w.target),
            *rule(identity_services.end_console_session, session=w.console_session),
        ],
        lambda w, me: {"username": "target", "session_pk": w.console_session.pk},
    ),
    Row(
        "identities:role-session-revoke",
        "POST",
        lambda w, me: [
            read("iam:ListSessions", w.target),
            *rule(identity_services.end_role_session, session=w.role_session),
        ],
        lambda w, me: {"username": "target", "session_pk": w.role_session.pk},
    ),
    # The signed-in user's own MFA device
    Row("identities:mfa-create", "POST", lambda w, me: rule(identity_services.create_virtual_mfa_device, user=me)),
    # Groups
    Row("identities:group-list", "GET", lambda w, me: [read("iam:ListGroups")], ok=200),
    Row("identities:group-detail", "GET", lambda w, me: [read("iam:GetGroup", w.team)], _group_page, ok=200),
    Row("identities:group-create", "GET", lambda w, me: rule(identity_services.create_group), ok=200),
    Row(
        "identities:group-create",
        "POST",
        lambda w, me: rule(identity_services.create_group, group_name="Newcomers", path="/"),
        data=lambda w, me: {"group_name": "Newcomers", "path": "/"},
    ),
    Row(
        "identities:group-edit",
        "GET",
        lambda w, me: [read("iam:GetGroup", w.team), *rule(identity_services.update_group, group=w.team)],
        _group_page,
        ok=200,
    ),
    Row(
        "identities:group-edit",
        "POST",
        lambda w, me: [
            read("iam:GetGroup", w.team),
            *rule(identity_services.update_group, group=w.team, group_name="Renamed", path="/"),
        ],
        _group_page,
        data=lambda w, me: {"group_name": "Renamed", "path": "/"},
    ),
    Row(
        "identities:group-delete",
        "GET",
        lambda w, me: [read("iam:GetGroup", w.team), *rule(identity_services.delete_group, group=w.team)],
        _group_page,
        ok=200,
    ),
    Row(
        "identities:group-delete",
        "POST",
        lambda w, me: [
            read("iam:GetGroup", w.team),
            *rule(identity_services.delete_group, group=w.team, with_members=True, with_policies=True),
        ],
        _group_page,
    ),
    Row(
        "identities:group-member-candidates",
        "GET",
        lambda w, me: [
            read("iam:GetGroup", w.team),
            *rule(identity_services.add_members, group=w.team),
            read("iam:ListUsers"),
        ],
        _group_page,
        data=lambda w, me: {"find": "hen"},
        ok=200,
    ),
    Row(
        "identities:group-members-add",
        "POST",
        lambda w, me: [read("iam:GetGroup", w.team), *rule(identity_services.add_members, group=w.team)],
        _group_page,
        data=lambda w, me: {"users": "henry"},
    ),
    Row(
        "identities:group-members-remove",
        "POST",
        lambda w, me: [read("iam:GetGroup", w.team), *rule(identity_services.remove_members, group=w.team)],
        _group_page,
        data=lambda w, me: {"users": "target", "confirm": "yes"},
    ),
    # Roles
    Row("identities:role-list", "GET", lambda w, me: [read("iam:ListRoles")], ok=200),
    Row("identities:role-detail", "GET", lambda w, me: [read("iam:GetRole", w.deployer)], _role_page, ok=200),
    Row("identities:role-create", "GET", lambda w, me: rule(identity_services.create_role), ok=200),
    Row(
        "identities:role-create",
        "POST",
        lambda w, me: rule(identity_services.create_role, role_name="Builder", path="/"),
        data=lambda w, me: {"role_name": "Builder", "path": "/", "max_session_duration": "3600"},
    ),
    Row(
        "identities:role-edit",
        "GET",
        lambda w, me: [read("iam:GetRole", w.deployer), *rule(identity_services.update_role, role=w.deployer)],
        _role_page,
        ok=200,
    ),
    Row(
        "identities:role-edit",
        "POST",
        lambda w, me: [
            read("iam:GetRole", w.deployer),
            *rule(identity_services.update_role, role=w.deployer),
            *rule(identity_services.update_role_and_trust_policy, role=w.deployer, description=CHANGED),
        ],
        _role_page,
        data=lambda w, me: {
            "description": CHANGED,
            "max_session_duration": "3600",
            "trust_policy": json.dumps(_trust_account()),
        },
    ),
    Row(
        "identities:role-delete",
        "GET",
        lambda w, me: [read("iam:GetRole", w.deployer), *rule(identity_services.delete_role, role=w.deployer)],
        _role_page,
        ok=200,
    ),
    Row(
        "identities:role-delete",
        "POST",
        lambda w, me: [
            read("iam:GetRole", w.deployer),
            *rule(identity_services.delete_role, role=w.deployer, with_policies=True),
        ],
        _role_page,
    ),
    Row(
        "identities:role-assign",
        "POST",
        lambda w, me: [read("iam:GetRole", w.deployer), *rule(identity_services.assign_role_to_users, role=w.deployer)],
        _role_page,
        data=lambda w, me: {"users": "henry"},
    ),
    Row(
        "identities:role-unassign",
        "POST",
        lambda w, me: [read("iam:GetRole", w.deployer), *rule(identity_services.unassign_role, role=w.deployer)],
        lambda w, me: {"pk": w.deployer.pk, "user_pk": w.target.pk},
    ),
    # OpenID Connect providers
    Row(
        "identities:oidc-provider-list",
        "GET",
        lambda w, me: [read("iam:ListOpenIDConnectProviders")],
        ok=200,
    ),
    Row(
        "identities:oidc-provider-detail",
        "GET",
        lambda w, me: [read("iam:GetOpenIDConnectProvider", w.provider)],
        _provider_page,
        ok=200,
    ),
    Row("identities:oidc-provider-create", "GET", lambda w, me: rule(identity_services.create_oidc_provider), ok=200),
    Row(
        "identities:oidc-provider-create",
        "POST",
        lambda w, me: rule(identity_services.create_oidc_provider, url="https://new.example.org"),
        data=lambda w, me: {"url": "https://new.example.org", "client_ids": "a"},
    ),
    Row(
        "identities:oidc-provider-delete",
        "GET",
        lambda w, me: [
            read("iam:GetOpenIDConnectProvider", w.provider),
            *rule(identity_services.delete_oidc_provider, provider=w.provider),
        ],
        _provider_page,
        ok=200,
    ),
    Row(
        "identities:oidc-provider-delete",
        "POST",
        lambda w, me: [
            read("iam:GetOpenIDConnectProvider", w.provider),
            *rule(identity_services.delete_oidc_provider, provider=w.provider),
        ],
        _provider_page,
    ),
    Row(
        "identities:oidc-provider-client-id-add",
        "POST",
        lambda w, me: [
            read("iam:GetOpenIDConnectProvider", w.provider),
            *rule(identity_services.add_client_id, provider=w.provider),
        ],
        _provider_page,
        data=lambda w, me: {"client_id": "more"},
    ),
    Row(
        "identities:oidc-provider-client-id-remove",
        "POST",
        lambda w, me: [
            read("iam:GetOpenIDConnectProvider", w.provider),
            *rule(identity_services.remove_client_id, provider=w.provider),
        ],
        _provider_page,
        data=lambda w, me: {"client_id": "deploy"},
    ),
    # The audit trail and the credential report
    Row("identities:audit-list", "GET", lambda w, me: [read("iam:ListAuditEvents")], ok=200),
    Row(
        "identities:audit-list",
        "GET",
        lambda w, me: [read("iam:ListAuditEvents"), read("iam:ExportAuditEvents")],
        data=lambda w, me: {"format": "csv"},
        ok=200,
    ),
    Row(
        "credential-report",
        "GET",
        lambda w, me: [read("iam:GenerateCredentialReport"), read("iam:GetCredentialReport")],
        ok=200,
    ),
    # Policies
    Row("policies:policy-list", "GET", lambda w, me: [read("iam:ListPolicies", Target("*"))], ok=200),
    # Guardrails: read in the console, changed in the admin (its rows below).
    Row("policies:guardrail-list", "GET", lambda w, me: [read("iam:ListGuardrails", Target("*"))], ok=200),
    Row(
        "policies:guardrail-detail",
        "GET",
        lambda w, me: [read("iam:GetGuardrail", w.fence)],
        lambda w, me: {"pk": w.fence.pk},
        ok=200,
    ),
    Row("policies:policy-detail", "GET", lambda w, me: [read("iam:GetPolicy", w.reader)], _policy_page, ok=200),
    Row("policies:policy-create", "GET", lambda w, me: rule(services.create_policy), ok=200),
    Row(
        "policies:policy-create",
        "POST",
        lambda w, me: rule(services.create_policy, policy_name="Fresh", path="/"),
        data=lambda w, me: {
            "policy_name": "Fresh",
            "path": "/",
            "description": "",
            "document": json.dumps(allow("s:A")),
        },
    ),
    Row(
        "policies:policy-version-create",
        "POST",
        lambda w, me: [read("iam:GetPolicy", w.reader), *rule(services.create_policy_version, policy=w.reader)],
        _policy_page,
        data=lambda w, me: {"document": json.dumps(allow("storage:*")), "set_as_default": "on"},
    ),
    Row(
        "policies:policy-version-default",
        "POST",
        lambda w, me: [read("iam:GetPolicy", w.reader), *rule(services.set_default_version, policy=w.reader)],
        lambda w, me: {"pk": w.reader.pk, "number": 2},
    ),
    Row(
        "policies:policy-version-delete",
        "GET",
        lambda w, me: [read("iam:GetPolicy", w.reader), *rule(services.delete_policy_version, policy=w.reader)],
        lambda w, me: {"pk": w.reader.pk, "number": 2},
        ok=200,
    ),
    Row(
        "policies:policy-version-delete",
        "POST",
        lambda w, me: [read("iam:GetPolicy", w.reader), *rule(services.delete_policy_version, policy=w.reader)],
        lambda w, me: {"pk": w.reader.pk, "number": 2},
    ),
    Row(
        "policies:policy-delete",
        "GET",
        lambda w, me: [read("iam:GetPolicy", w.reader), *rule(services.delete_policy, policy=w.reader)],
        _policy_page,
        ok=200,
    ),
    Row(
        "policies:policy-delete",
        "POST",
        lambda w, me: [
            read("iam:GetPolicy", w.reader),
            *rule(services.delete_policy, policy=w.reader, detach_everywhere=True),
        ],
        _policy_page,
        data=lambda w, me: {"detach_everywhere": "on"},
    ),
    # Policy checks and reports
    Row(
        "policies:policy-check",
        "GET",
        lambda w, me: [read("iam:SimulatePrincipalPolicy", Target(w.target.arn))],
        data=lambda w, me: {"kind": "user", "principal": "target", "actions": "iam:GetUser", "resources": "*"},
        ok=200,
    ),
    Row(
        "policies:policy-check",
        "POST",
        lambda w, me: [read("iam:SimulateCustomPolicy")],
        data=lambda w, me: {
            "kind": "custom",
            "actions": "iam:GetUser",
            "resources": "*",
            "custom_policies": json.dumps(allow("iam:GetUser")),
        },
        ok=200,
    ),
    Row(
        "policies:what-can",
        "GET",
        lambda w, me: [read("iam:SimulatePrincipalPolicy", Target(w.target.arn))],
        data=lambda w, me: {"kind": "user", "principal": "target"},
        ok=200,
    ),
    Row(
        "policies:who-can",
        "GET",
        lambda w, me: [read("iam:SimulatePrincipalPolicy", Target("*"))],
        data=lambda w, me: {"action": "storage:GetObject", "resource": "*"},
        ok=200,
    ),
    Row("policies:escalation-paths", "GET", lambda w, me: [read("iam:SimulatePrincipalPolicy", Target("*"))], ok=200),
    Row("policies:assessment", "GET", lambda w, me: [read("iam:GetAssessmentReport", Target("*"))], ok=200),
    Row("policies:assessment-csv", "GET", lambda w, me: [read("iam:GetAssessmentReport", Target("*"))], ok=200),
    Row("policies:assessment-json", "GET", lambda w, me: [read("iam:GetAssessmentReport", Target("*"))], ok=200),
    Row(
        "policies:assessment-acknowledge",
        "POST",
        lambda w, me: rule(services.acknowledge_finding, target_arn=w.org.henry.arn),
        data=lambda w, me: {
            "finding": f"user-in-no-group:arn:aws:iam::{ACCOUNT}:user/henry",
            "reason": "A contractor for a month.",
            "expires": (timezone.now() + timedelta(days=30)).date().isoformat(),
        },
    ),
    # Access requests: asking and one's own need no permission; deciding is the rule table's
    # (the route of iamconsole:ApproveAccessRequest here; the change itself is the other).
    Row("access:request-list", "GET", lambda w, me: [], ok=200),
    Row(
        "access:request-list",
        "POST",
        lambda w, me: [],
        data=lambda w, me: {
            **_ASKED,
            "actions": "storage:PutObject",
            "resources": "arn:aws:storage:::s/a",
            "minutes": 60,
        },
    ),
    Row("access:decide-list", "GET", lambda w, me: [], ok=200),
    Row(
        "access:request-detail",
        "GET",
        lambda w, me: approve_checks(w.request),
        lambda w, me: {"pk": w.request.pk},
        ok=200,
    ),
    Row(
        "access:request-decide",
        "POST",
        lambda w, me: approve_checks(w.request),
        lambda w, me: {"pk": w.request.pk},
        data=lambda w, me: {"decision": "approve"},
    ),
    Row(
        "access:request-revoke",
        "POST",
        lambda w, me: approve_checks(w.granted),
        lambda w, me: {"pk": w.granted.pk},
        data=lambda w, me: {"reason": "Matrix."},
    ),
    Row("access:request-cancel", "POST", lambda w, me: [], _own_open),
    Row("access:request-end", "POST", lambda w, me: [], _own_granted),
    # Access expectations
    Row(
        "policies:expectation-list",
        "GET",
        lambda w, me: [read("iamconsole:ListAccessExpectations", Target("*"))],
        ok=200,
    ),
    Row(
        "policies:expectation-put",
        "POST",
        lambda w, me: rule(services.put_access_expectation, definition=_NEW_EXPECTATION),
        data=lambda w, me: {"definition": json.dumps(_NEW_EXPECTATION)},
    ),
    Row(
        "policies:expectation-check",
        "POST",
        lambda w, me: [*rule(services.record_expectation_checks)],
    ),
    Row(
        "policies:expectation-delete",
        "POST",
        lambda w, me: [
            read("iamconsole:ListAccessExpectations", Target("*")),
            *rule(services.delete_access_expectation, expectation=w.expectation),
        ],
        lambda w, me: {"pk": w.expectation.pk},
    ),
    Row("policies:role-switch", "GET", lambda w, me: [], ok=200),
    Row(
        "policies:role-switch",
        "POST",
        lambda w, me: [Check("sts:AssumeRole", w.deployer)],
        data=lambda w, me: {"role": w.deployer.pk, "duration": "3600"},
        refused=(200,),  # an unassumable role is not among the form's choices
    ),
    # Import
    Row("policies:import", "GET", lambda w, me: _import_rule(), ok=200),
    Row(
        "policies:import",
        "POST",
        lambda w, me: _import_rule(),
        data=lambda w, me: {"file": _upload()},
        ok=200,
    ),
    Row("policies:import-confirm", "POST", lambda w, me: _import_rule(), data=lambda w, me: {"digest": "0" * 64}),
]

for _kind in ("user", "group", "role"):
    _bounded = _kind != "group"
    CONSOLE_ROWS += [
        Row(
            "policies:identity-fragment",
            "GET",
            (lambda kind: lambda w, me: _fragment_reads(w, kind))(_kind),
            _fragment(_kind),
            ok=200,
        ),
        Row(
            "policies:identity-attach",
            "POST",
            (
                lambda kind: (
                    lambda w, me: [
                        *_fragment_reads(w, kind),
                        *rule(services.attach_policy, identity=_identity(w, kind), policy=w.loose),
                    ]
                )
            )(_kind),
            _fragment(_kind),
            data=lambda w, me: {"policy": w.loose.pk},
        ),
        Row(
            "policies:identity-detach",
            "POST",
            (
                lambda kind: (
                    lambda w, me: [
                        *_fragment_reads(w, kind),
                        *rule(services.detach_policy, identity=_identity(w, kind), policy=w.reader),
                    ]
                )
            )(_kind),
            _fragment(_kind),
            data=lambda w, me: {"policy": w.reader.pk, "confirm": "yes"},
        ),
        Row(
            "policies:identity-inline-put",
            "POST",
            (
                lambda kind: (
                    lambda w, me: [
                        *_fragment_reads(w, kind),
                        *rule(services.put_inline_policy, identity=_identity(w, kind)),
                    ]
                )
            )(_kind),
            _fragment(_kind),
            data=lambda w, me: {"policy_name": "Fresh", "document": json.dumps(allow("s:B"))},
        ),
        Row(
            "policies:identity-inline-delete",
            "POST",
            (
                lambda kind: (
                    lambda w, me: [
                        *_fragment_reads(w, kind),
                        *rule(services.delete_inline_policy, identity=_identity(w, kind)),
                    ]
                )
            )(_kind),
            _fragment(_kind),
            data=lambda w, me: {"policy_name": "Own", "confirm": "yes"},
        ),
    ]
    if _bounded:
        CONSOLE_ROWS += [
            Row(
                "policies:identity-boundary-set",
                "POST",
                (
                    lambda kind: (
                        lambda w, me: [
                            *_fragment_reads(w, kind),
                            *rule(services.set_permissions_boundary, identity=_identity(w, kind), policy=w.reader),
                        ]
                    )
                )(_kind),
                _fragment(_kind),
                data=lambda w, me: {"policy": w.reader.pk},
            ),
        ]
        if _kind == "user":
            CONSOLE_ROWS.append(
                Row(
                    "policies:identity-boundary-delete",
                    "POST",
                    lambda w, me: [
                        *_fragment_reads(w, "user"),
                        *rule(services.delete_permissions_boundary, identity=w.target),
                    ],
                    _fragment("user"),
                    data=lambda w, me: {"confirm": "yes"},
                )
            )


# The Access Advisor and the policy from activity, of each kind of entity.
_ADVISED = {"user": ("target", "iam:GetUser"), "group": ("team", "iam:GetGroup"), "role": ("deployer", "iam:GetRole")}
_ADVISED["policy"] = ("reader", "iam:GetPolicy")
for _kind, (_name, _get) in _ADVISED.items():
    for _page in ("policies:access-advisor", "policies:activity-policy"):
        CONSOLE_ROWS.append(
            Row(
                _page,
                "GET",
                (
                    lambda name, get: (
                        lambda w, me: [
                            read(get, getattr(w, name)),
                            read("iam:GenerateServiceLastAccessedDetails", getattr(w, name)),
                            read("iam:GetServiceLastAccessedDetails", Target("*")),
                        ]
                    )
                )(_name, _get),
                (lambda kind, name: lambda w, me: {"kind": kind, "pk": getattr(w, name).pk})(_kind, _name),
                ok=200,
            )
        )


# The policy from activity in place of a group's attached policies.
CONSOLE_ROWS.append(
    Row(
        "policies:activity-policy-replace",
        "POST",
        lambda w, me: [
            read("iam:GetGroup", w.team),
            read("iam:GenerateServiceLastAccessedDetails", w.team),
            read("iam:GetServiceLastAccessedDetails", Target("*")),
            *rule(services.replace_policies, identity=w.team, policy_name="Drafted", replaced=[w.reader]),
        ],
        lambda w, me: {"kind": "group", "pk": w.team.pk},
        data=lambda w, me: {"policy_name": "Drafted", "path": "/", "document": json.dumps(allow("s:A"))},
    )
)


def _import_rule() -> list[Check]:
    from policies.aws_import import apply_import

    return rule(apply_import)


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    details = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    return SimpleUploadedFile("account.json", json.dumps(details).encode(), content_type="application/json")


# The change preview section before Save: what the change needs (its principals by SimulatePrincipalPolicy).
CONSOLE_ROWS += [
    Row(
        "policies:change-preview",
        "POST",
        lambda w, me: rule(services.attach_policy, identity=w.team, policy=w.unused),
        data=lambda w, me: {
            "preview_change": json.dumps({"change": "attach-policy", "identity": w.team.arn, "policy": w.unused.arn})
        },
        ok=200,
    ),
    # A queued preview's answer is its own actor's alone (anyone else: 404); nothing more is asked.
    Row(
        "policies:change-preview-job",
        "GET",
        lambda w, me: [],
        args=lambda w, me: {"pk": _preview_job(w, me).pk},
        ok=200,
    ),
]


def _preview_job(w, me):
    from policies.models import PreviewJob

    description = {"change": "attach-policy", "identity": w.team.arn, "policy": w.unused.arn}
    return PreviewJob.objects.create(actor=me, description=description)


# Federation's fragments of the group and user pages: group claim rules, a user's binding.


def _claim_rule(w):
    from federation.models import GroupClaimRule

    return GroupClaimRule.objects.get_or_create(claim_value="team-claim", group=w.team)[0]


def _bound_target(w):
    from federation.models import FederatedIdentity

    FederatedIdentity.objects.get_or_create(
        user=w.target, defaults={"issuer": "https://idp", "claim": "sub", "value": "t"}
    )
    return {"pk": w.target.pk}


def _federation_rows() -> list[Row]:
    from federation import services as federation_services

    return [
        Row("federation:group-fragment", "GET", lambda w, me: [read("iam:GetGroup", w.team)], _group_page, ok=200),
        Row(
            "federation:group-rule-create",
            "POST",
            lambda w, me: [read("iam:GetGroup", w.team), *rule(federation_services.create_group_rule, group=w.team)],
            _group_page,
            data=lambda w, me: {"claim_value": "newcomers"},
        ),
        Row(
            "federation:group-rule-delete",
            "POST",
            lambda w, me: [
                read("iam:GetGroup", w.team),
                *rule(federation_services.delete_group_rule, rule=_claim_rule(w)),
            ],
            lambda w, me: {"pk": w.team.pk, "rule_pk": _claim_rule(w).pk},
        ),
        Row("federation:user-fragment", "GET", lambda w, me: [read("iam:GetUser", w.target)], _user_page, ok=200),
        Row(
            "federation:user-bind",
            "POST",
            lambda w, me: [
                read("iam:GetUser", w.target),
                *rule(federation_services.bind_federated_identity, user=w.target),
            ],
            _user_page,
            data=lambda w, me: {"value": "00u-target"},
        ),
        Row(
            "federation:user-unbind",
            "POST",
            lambda w, me: [
                read("iam:GetUser", w.target),
                *rule(federation_services.unbind_federated_identity, user=w.target),
            ],
            lambda w, me: _bound_target(w),
        ),
    ]


CONSOLE_ROWS += _federation_rows()


# Pages every signed-in user (or anyone) may open: no IAM action, and nothing to change.
OPEN = {
    "home": "the dashboard shows each person what they may see",
    "health": "load balancers' liveness probe",
    "ready": "load balancers' readiness probe",
    "login": "signing in",
    "logout": "signing out",
    "identities:account": "one's own account page",
    "identities:password-change": "one's own password: the account setting or iam:ChangePassword (tests/identities)",
    "identities:mfa-enrol": "one's own MFA page; enabling asks iam:EnableMFADevice (tests/identities/test_mfa.py)",
    "identities:mfa-remove": "one's own device; asks iam:DeactivateMFADevice (tests/identities/test_mfa.py)",
    "identities:mfa-verify": "the second step of signing in",
    "policies:role-switch-back": "ends one's own role session",
    "policies:policy-validate": "validates a document as typed; reads only the catalogue",
    "policies:trust-policy-validate": "validates a trust policy as typed; reads only the catalogue",
    "policies:catalogue": "the action catalogue for the statement builder: reference data, as the live check reads it",
    "policies:catalogue-service": "one service of the action catalogue, for the statement builder",
    "api:openapi": "the API's public reference",
    "federation:sign-in": "signing in through the identity provider (docs/federation.md)",
    "federation:callback": "the identity provider's answer to a sign-in, verified by Authlib",
    "federation:bind": "a first sign-in's binding, by the local user's password",
    "federation:backchannel-logout": "the identity provider's logout token, verified against its keys",
    "api:assume-role-with-web-identity": (
        "unauthenticated as STS's is: the ID token is the credential and the role's trust policy decides "
        "(tests/policies/test_web_identity_api.py)"
    ),
}


def _console_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _console_patterns(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name


# The API


_API_ASKED = {**_ASKED, "resources": ["arn:aws:storage:::s/a"], "duration_seconds": 3600, "duration": None}
del _API_ASKED["duration"]

API_ROWS = [
    Row("api:caller-identity", "GET", lambda w, me: [], ok=200, api=True),
    Row("access-api:access-requests", "GET", lambda w, me: [], ok=200, api=True),
    Row("access-api:access-requests", "POST", lambda w, me: [], data=lambda w, me: _API_ASKED, ok=201, api=True),
    Row("access-api:access-requests-to-decide", "GET", lambda w, me: [], ok=200, api=True),
    Row(
        "access-api:access-request",
        "GET",
        lambda w, me: approve_checks(w.request),
        lambda w, me: {"pk": w.request.pk},
        ok=200,
        refused=(404,),
        api=True,
    ),
    Row(
        "access-api:access-request-proposals",
        "GET",
        lambda w, me: approve_checks(w.request),
        lambda w, me: {"pk": w.request.pk},
        ok=200,
        refused=(404,),
        api=True,
    ),
    Row(
        "access-api:access-request-decision",
        "POST",
        lambda w, me: approve_checks(w.request),
        lambda w, me: {"pk": w.request.pk},
        data=lambda w, me: {"decision": "approve"},
        ok=200,
        api=True,
    ),
    Row(
        "access-api:access-request-revoke",
        "POST",
        lambda w, me: approve_checks(w.granted),
        lambda w, me: {"pk": w.granted.pk},
        data=lambda w, me: {"reason": "Matrix."},
        ok=200,
        api=True,
    ),
    Row(
        "access-api:access-request-cancel",
        "POST",
        lambda w, me: [],
        _own_open,
        ok=200,
        api=True,
    ),
    Row(
        "access-api:access-request-end",
        "POST",
        lambda w, me: [],
        _own_granted,
        ok=200,
        api=True,
    ),
    Row(
        "api:access-expectations",
        "GET",
        lambda w, me: [read("iamconsole:ListAccessExpectations", Target("*"))],
        ok=200,
        api=True,
    ),
    Row(
        "api:access-expectations",
        "POST",
        lambda w, me: rule(services.put_access_expectation, definition=_NEW_EXPECTATION),
        data=lambda w, me: _NEW_EXPECTATION,
        ok=200,
        api=True,
    ),
    Row(
        "api:access-expectation",
        "DELETE",
        lambda w, me: rule(services.delete_access_expectation, expectation=w.expectation),
        lambda w, me: {"name": w.expectation.name},
        ok=200,
        api=True,
    ),
    Row(
        "api:assume-role",
        "POST",
        lambda w, me: [Check("sts:AssumeRole", w.deployer)],
        data=lambda w, me: {"RoleArn": w.deployer.arn, "RoleSessionName": "matrix"},
        ok=200,
        api=True,
    ),
    Row(
        "api:authorize",
        "POST",
        lambda w, me: [read("iam:SimulatePrincipalPolicy", Target(w.target.arn))],
        data=lambda w, me: {"principal": w.target.arn, "action": "storage:GetObject", "resource": "*"},
        ok=200,
        api=True,
    ),
    Row(
        "api:last-accessed",
        "GET",
        lambda w, me: [
            read("iam:GenerateServiceLastAccessedDetails", Target(w.target.arn)),
            read("iam:GetServiceLastAccessedDetails", Target("*")),
        ],
        data=lambda w, me: {"principal": w.target.arn},
        ok=200,
        api=True,
    ),
    # A preview needs what the change needs; who it shows is the caller's SimulatePrincipalPolicy.
    Row(
        "api:preview-change",
        "POST",
        lambda w, me: rule(services.attach_policy, identity=w.team, policy=w.unused),
        data=lambda w, me: {"change": "attach-policy", "identity": w.team.arn, "policy": w.unused.arn},
        ok=200,
        api=True,
    ),
]


# SCIM (/scim/v2/): the same rule table as the console, asked by the SCIM services' rules.

_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
_GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
_PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _scim_id(name: str):
    return lambda w, me: {"scim_id": getattr(w, name).scim_id}


def _patch(*operations) -> dict:
    return {"schemas": [_PATCH_SCHEMA], "Operations": list(operations)}


def _scim_reads(w, name: str) -> list[Check]:
    row = getattr(w, name)
    return [read("iam:GetUser" if row.kind == "user" else "iam:GetGroup", row.entity)]


SCIM_ROWS = [
    Row("scim:service-provider-config", "GET", lambda w, me: [], ok=200, api=True),
    Row("scim:resource-types", "GET", lambda w, me: [], ok=200, api=True),
    Row("scim:resource-type", "GET", lambda w, me: [], lambda w, me: {"name": "User"}, ok=200, api=True),
    Row("scim:schemas", "GET", lambda w, me: [], ok=200, api=True),
    Row("scim:schema", "GET", lambda w, me: [], lambda w, me: {"urn": _USER_SCHEMA}, ok=200, api=True),
    Row("scim:search", "POST", lambda w, me: [read("iam:ListUsers")], data=lambda w, me: {}, ok=200, api=True),
    Row("scim:users", "GET", lambda w, me: [read("iam:ListUsers")], ok=200, api=True),
    Row("scim:users-search", "POST", lambda w, me: [read("iam:ListUsers")], data=lambda w, me: {}, ok=200, api=True),
    Row(
        "scim:users",
        "POST",
        lambda w, me: rule(scim_services.create_user, user_name="fresh"),
        data=lambda w, me: {"schemas": [_USER_SCHEMA], "userName": "fresh"},
        ok=201,
        api=True,
    ),
    Row("scim:user", "GET", lambda w, me: _scim_reads(w, "provisioned"), _scim_id("provisioned"), ok=200, api=True),
    Row(
        "scim:user",
        "PUT",
        lambda w, me: [
            *_scim_reads(w, "provisioned"),
            *rule(scim_services.update_user, row=w.provisioned, user_name="renamed", active=True),
        ],
        _scim_id("provisioned"),
        data=lambda w, me: {"schemas": [_USER_SCHEMA], "userName": "renamed"},
        ok=200,
        api=True,
    ),
    Row(
        "scim:user",
        "PATCH",
        lambda w, me: [
            *_scim_reads(w, "provisioned"),
            *rule(scim_services.update_user, row=w.provisioned, user_name="provisioned", active=False),
        ],
        _scim_id("provisioned"),
        data=lambda w, me: _patch({"op": "replace", "path": "active", "value": False}),
        ok=200,
        api=True,
    ),
    Row(
        "scim:user",
        "DELETE",
        lambda w, me: [*_scim_reads(w, "provisioned"), *rule(scim_services.delete_user, row=w.provisioned)],
        _scim_id("provisioned"),
        ok=204,
        api=True,
    ),
    Row("scim:groups", "GET", lambda w, me: [read("iam:ListGroups")], ok=200, api=True),
    Row("scim:groups-search", "POST", lambda w, me: [read("iam:ListGroups")], data=lambda w, me: {}, ok=200, api=True),
    Row(
        "scim:groups",
        "POST",
        lambda w, me: rule(scim_services.create_group, display_name="Fresh"),
        data=lambda w, me: {"schemas": [_GROUP_SCHEMA], "displayName": "Fresh"},
        ok=201,
        api=True,
    ),
    Row(
        "scim:group",
        "GET",
        lambda w, me: _scim_reads(w, "provisioned_group"),
        _scim_id("provisioned_group"),
        ok=200,
        api=True,
    ),
    Row(
        "scim:group",
        "PUT",
        lambda w, me: [
            *_scim_reads(w, "provisioned_group"),
            *rule(scim_services.update_group, row=w.provisioned_group, display_name="Renamed", members=[]),
        ],
        _scim_id("provisioned_group"),
        data=lambda w, me: {"schemas": [_GROUP_SCHEMA], "displayName": "Renamed", "members": []},
        ok=200,
        api=True,
    ),
    Row(
        "scim:group",
        "PATCH",
        lambda w, me: [
            *_scim_reads(w, "provisioned_group"),
            *rule(
                scim_services.update_group,
                row=w.provisioned_group,
                display_name="Provisioned",
                members=[w.provisioned_member.user, w.provisioned.user],
            ),
        ],
        _scim_id("provisioned_group"),
        data=lambda w, me: _patch({"op": "add", "path": "members", "value": [{"value": w.provisioned.scim_id}]}),
        ok=200,
        api=True,
    ),
    Row(
        "scim:group",
        "DELETE",
        lambda w, me: [
            *_scim_reads(w, "provisioned_group"),
            *rule(scim_services.delete_group, row=w.provisioned_group),
        ],
        _scim_id("provisioned_group"),
        ok=204,
        api=True,
    ),
]
API_ROWS += SCIM_ROWS


# The admin: every registered model's list, add, change, delete and inline operations.


def _admin(model: str, operation: str) -> str:
    return f"admin:{model.replace('.', '_').lower()}_{operation}"


def _change(obj):
    return lambda w, me: {"object_id": getattr(w, obj).pk}


ADMIN_ROWS = [
    # Users
    Row(_admin("identities.user", "changelist"), "GET", lambda w, me: [read("iam:ListUsers")], ok=200),
    Row(_admin("identities.user", "add"), "GET", lambda w, me: rule(identity_services.create_console_user), ok=200),
    Row(
        _admin("identities.user", "add"),
        "POST",
        lambda w, me: rule(identity_services.create_console_user, username="newbie", path="/"),
        data=lambda w, me: {"username": "newbie", "path": "/", "tags": "", "is_active": "on"},
        admin=True,
    ),
    Row(
        _admin("identities.user", "change"),
        "GET",
        lambda w, me: [read("iam:GetUser", w.target)],
        _change("target"),
        ok=200,
    ),
    Row(
        _admin("identities.user", "change"),
        "POST",
        lambda w, me: [
            *rule(identity_services.update_user, user=w.target, username="renamed", path="/"),
        ],
        _change("target"),
        data=lambda w, me: {"username": "renamed", "path": "/", "tags": "", "is_active": "on"},
        admin=True,
    ),
    Row(
        _admin("identities.user", "change"),
        "POST",
        lambda w, me: rule(identity_services.add_members, group=w.other),
        _change("target"),
        data=lambda w, me: {"username": "target", "path": "/", "tags": "", "is_active": "on"},
        new_rows=lambda w: {"membership": [{"group": w.other.pk}]},
        admin=True,
    ),
    Row(
        _admin("identities.user", "change"),
        "POST",
        lambda w, me: [
            *rule(services.attach_policy, identity=w.target),
            *rule(services.attach_policy, identity=w.target, policy=w.loose),
        ],
        _change("target"),
        data=lambda w, me: {"username": "target", "path": "/", "tags": "", "is_active": "on"},
        new_rows=lambda w: {"policyattachment": [{"policy": w.loose.pk}]},
        admin=True,
    ),
    Row(
        _admin("identities.user", "delete"),
        "POST",
        lambda w, me: [
            *rule(
                identity_services.delete_user, user=w.target, with_credentials_and_memberships=True, with_policies=True
            ),
        ],
        _change("target"),
        data=lambda w, me: {"post": "yes"},
    ),
    # Groups
    Row(_admin("identities.group", "changelist"), "GET", lambda w, me: [read("iam:ListGroups")], ok=200),
    Row(
        _admin("identities.group", "add"),
        "POST",
        lambda w, me: rule(identity_services.create_group, group_name="Newcomers", path="/"),
        data=lambda w, me: {"group_name": "Newcomers", "path": "/", "description": ""},
        admin=True,
    ),
    Row(
        _admin("identities.group", "change"),
        "POST",
        lambda w, me: [
            *rule(identity_services.update_group, group=w.team, group_name="Renamed", path="/"),
        ],
        _change("team"),
        data=lambda w, me: {"group_name": "Renamed", "path": "/", "description": ""},
        admin=True,
    ),
    Row(
        _admin("identities.group", "change"),
        "POST",
        lambda w, me: rule(identity_services.add_members, group=w.team),
        _change("team"),
        data=lambda w, me: {"group_name": "Team", "path": "/", "description": ""},
        new_rows=lambda w: {"membership": [{"user": w.org.henry.pk}]},
        admin=True,
    ),
    Row(
        _admin("identities.group", "delete"),
        "POST",
        lambda w, me: [
            *rule(identity_services.delete_group, group=w.team, with_members=True, with_policies=True),
        ],
        _change("team"),
        data=lambda w, me: {"post": "yes"},
    ),
    # Roles
    Row(_admin("identities.role", "changelist"), "GET", lambda w, me: [read("iam:ListRoles")], ok=200),
    Row(
        _admin("identities.role", "add"),
        "POST",
        lambda w, me: rule(identity_services.create_role, role_name="Builder", path="/"),
        data=lambda w, me: {
            "role_name": "Builder",
            "path": "/",
            "description": "",
            "trust_policy": "{}",
            "max_session_duration": "3600",
            "tags": "",
        },
        admin=True,
    ),
    Row(
        _admin("identities.role", "change"),
        "POST",
        lambda w, me: [
            *rule(identity_services.update_role, role=w.deployer),
            *rule(identity_services.update_role, role=w.deployer, description=CHANGED),
        ],
        _change("deployer"),
        data=lambda w, me: {
            "description": CHANGED,
            "trust_policy": json.dumps(_trust_account()),
            "max_session_duration": "3600",
            "tags": "",
        },
        admin=True,
    ),
    Row(
        _admin("identities.role", "change"),
        "POST",
        lambda w, me: [
            *rule(identity_services.update_trust_policy, role=w.deployer),
        ],
        _change("deployer"),
        data=lambda w, me: {
            "description": "",
            "trust_policy": json.dumps({"Version": "2012-10-17", "Statement": [_trusting(ACCOUNT)]}),
            "max_session_duration": "3600",
            "tags": "",
        },
        admin=True,
    ),
    Row(
        _admin("identities.role", "delete"),
        "POST",
        lambda w, me: [
            *rule(identity_services.delete_role, role=w.deployer, with_policies=True),
        ],
        _change("deployer"),
        data=lambda w, me: {"post": "yes"},
    ),
    # Managed policies
    Row(_admin("policies.managedpolicy", "changelist"), "GET", lambda w, me: [read("iam:ListPolicies")], ok=200),
    Row(
        _admin("policies.managedpolicy", "add"),
        "POST",
        lambda w, me: rule(services.create_policy, policy_name="Fresh", path="/"),
        data=lambda w, me: {
            "policy_name": "Fresh",
            "path": "/",
            "description": "",
            "document": json.dumps(allow("s:A")),
        },
        admin=True,
    ),
    Row(
        _admin("policies.managedpolicy", "change"),
        "POST",
        lambda w, me: rule(services.create_policy_version, policy=w.reader),
        _change("reader"),
        data=lambda w, me: {"new_version": json.dumps(allow("storage:*")), "set_as_default": "on"},
        admin=True,
    ),
    Row(
        _admin("policies.managedpolicy", "change"),
        "POST",
        lambda w, me: rule(services.set_default_version, policy=w.reader),
        _change("reader"),
        data=lambda w, me: {"default_version": "2"},
        admin=True,
    ),
    Row(
        _admin("policies.managedpolicy", "delete"),
        "POST",
        lambda w, me: rule(services.delete_policy, policy=w.unused),
        _change("unused"),
        data=lambda w, me: {"post": "yes"},
    ),
    # Guardrails
    Row(_admin("policies.guardrail", "changelist"), "GET", lambda w, me: [read("iam:ListGuardrails")], ok=200),
    Row(
        _admin("policies.guardrail", "add"),
        "POST",
        lambda w, me: rule(services.save_guardrail, guardrail_name="Wall"),
        data=lambda w, me: {
            "guardrail_name": "Wall",
            "description": "",
            "level": "1",
            "document": json.dumps(deny("s:X")),
        },
        admin=True,
    ),
    Row(
        _admin("policies.guardrail", "change"),
        "POST",
        lambda w, me: rule(services.save_guardrail, guardrail=w.fence),
        _change("fence"),
        data=lambda w, me: {
            "guardrail_name": "Fence",
            "description": CHANGED,
            "level": "1",
            "document": json.dumps(deny("s:D")),
        },
        admin=True,
    ),
    Row(
        _admin("policies.guardrail", "delete"),
        "POST",
        lambda w, me: rule(services.delete_guardrail, guardrail=w.fence),
        _change("fence"),
        data=lambda w, me: {"post": "yes"},
    ),
    # The catalogue
    Row(
        _admin("policies.catalogservice", "changelist"), "GET", lambda w, me: [read("iam:ListCatalogServices")], ok=200
    ),
    Row(
        _admin("policies.catalogservice", "change"),
        "POST",
        lambda w, me: [
            *rule(services.save_catalog_service, service=w.service),
        ],
        _change("service"),
        data=lambda w, me: {"prefix": "billing", "name": CHANGED},
        admin=True,
    ),
    Row(
        _admin("policies.catalogservice", "delete"),
        "POST",
        lambda w, me: [
            *rule(services.delete_catalog_service, service=w.service),
        ],
        _change("service"),
        data=lambda w, me: {"post": "yes"},
    ),
    # The password policy and the audit trail
    Row(
        _admin("identities.passwordpolicy", "change"),
        "POST",
        lambda w, me: rule(identity_services.update_password_policy),
        lambda w, me: {"object_id": 1},
        data=lambda w, me: {"minimum_length": "20"},
        admin=True,
    ),
    Row(_admin("identities.auditevent", "changelist"), "GET", lambda w, me: [read("iam:ListAuditEvents")], ok=200),
]


def _new_policy_form() -> dict:
    return {"policy_name": "Fresh", "path": "/", "description": "", "document": json.dumps(allow("s:A"))}


def _guardrail_form(name: str, description: str) -> dict:
    return {"guardrail_name": name, "description": description, "level": "1", "document": json.dumps(deny("s:D"))}


# The admin lets in those allowed to list something of an app (iamconsole/admin.py).
_ADMITTED_BY = {
    "identities_user": "iam:ListUsers",
    "identities_group": "iam:ListGroups",
    "identities_role": "iam:ListRoles",
    "identities_openidconnectprovider": "iam:ListOpenIDConnectProviders",
    "identities_auditevent": "iam:ListAuditEvents",
    "identities_passwordpolicy": "iam:ListUsers",
    "policies_managedpolicy": "iam:ListPolicies",
    "policies_guardrail": "iam:ListGuardrails",
    "policies_catalogservice": "iam:ListCatalogServices",
}


def _admitted(row: Row) -> Row:
    model = row.name.split(":")[1].rsplit("_", 1)[0]
    needs = row.needs
    row.needs = lambda w, me: [read(_ADMITTED_BY[model]), *needs(w, me)]
    return row


def _trusting(principal: str) -> dict:
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}


def _page(model: str, operation: str, obj: str | None, needs) -> Row:
    """An admin page opened (GET): the form or confirmation it shows."""
    args = _change(obj) if obj else (lambda w, me: {})
    return Row(_admin(model, operation), "GET", needs, args, ok=200)


ADMIN_ROWS += [
    _page("identities.user", "delete", "target", lambda w, me: rule(identity_services.delete_user, user=w.target)),
    _page("identities.group", "add", None, lambda w, me: rule(identity_services.create_group)),
    _page("identities.group", "change", "team", lambda w, me: [read("iam:GetGroup", w.team)]),
    _page("identities.group", "delete", "team", lambda w, me: rule(identity_services.delete_group, group=w.team)),
    _page("identities.role", "add", None, lambda w, me: rule(identity_services.create_role)),
    _page("identities.role", "change", "deployer", lambda w, me: [read("iam:GetRole", w.deployer)]),
    _page("identities.role", "delete", "deployer", lambda w, me: rule(identity_services.delete_role, role=w.deployer)),
    _page("policies.managedpolicy", "add", None, lambda w, me: rule(services.create_policy)),
    _page("policies.managedpolicy", "change", "reader", lambda w, me: [read("iam:GetPolicy", w.reader)]),
    _page("policies.managedpolicy", "delete", "unused", lambda w, me: rule(services.delete_policy, policy=w.unused)),
    _page("policies.guardrail", "add", None, lambda w, me: rule(services.save_guardrail)),
    _page("policies.guardrail", "change", "fence", lambda w, me: [read("iam:GetGuardrail", w.fence)]),
    _page("policies.guardrail", "delete", "fence", lambda w, me: rule(services.delete_guardrail, guardrail=w.fence)),
    _page("policies.catalogservice", "add", None, lambda w, me: rule(services.save_catalog_service)),
    _page("policies.catalogservice", "change", "service", lambda w, me: [read("iam:GetCatalogService", w.service)]),
    _page(
        "policies.catalogservice",
        "delete",
        "service",
        lambda w, me: rule(services.delete_catalog_service, service=w.service),
    ),
    Row(
        _admin("identities.openidconnectprovider", "changelist"),
        "GET",
        lambda w, me: [read("iam:ListOpenIDConnectProviders")],
        ok=200,
    ),
    _page("identities.openidconnectprovider", "add", None, lambda w, me: rule(identity_services.create_oidc_provider)),
    _page(
        "identities.openidconnectprovider",
        "change",
        "provider",
        lambda w, me: [read("iam:GetOpenIDConnectProvider", w.provider)],
    ),
    _page(
        "identities.openidconnectprovider",
        "delete",
        "provider",
        lambda w, me: rule(identity_services.delete_oidc_provider, provider=w.provider),
    ),
    Row(
        _admin("identities.openidconnectprovider", "add"),
        "POST",
        lambda w, me: rule(identity_services.create_oidc_provider, url="https://new.example.org"),
        data=lambda w, me: {"url": "https://new.example.org", "client_ids": "a", "tags": ""},
        admin=True,
    ),
    Row(
        _admin("identities.openidconnectprovider", "change"),
        "POST",
        lambda w, me: rule(identity_services.add_client_id, provider=w.provider),
        _change("provider"),
        data=lambda w, me: {"client_ids": "deploy\nmore", "tags": ""},
        admin=True,
    ),
    Row(
        _admin("identities.passwordpolicy", "changelist"),
        "GET",
        lambda w, me: [read("iam:GetAccountPasswordPolicy")],
        ok=302,  # the one policy's page
    ),
    Row(
        _admin("identities.passwordpolicy", "change"),
        "GET",
        lambda w, me: [read("iam:GetAccountPasswordPolicy")],
        lambda w, me: {"object_id": 1},
        ok=200,
    ),
    Row(
        _admin("identities.auditevent", "change"),
        "GET",
        lambda w, me: [read("iam:GetAuditEvent")],
        lambda w, me: {"object_id": AuditEvent.objects.order_by("pk").first().pk},
        ok=200,
    ),
    Row(
        _admin("policies.catalogservice", "add"),
        "POST",
        lambda w, me: rule(services.save_catalog_service, prefix="payroll"),
        data=lambda w, me: {"prefix": "payroll", "name": "Payroll"},
        admin=True,
    ),
    # Inline operations: a role's assignments, a user's inline policy and boundary, a policy's versions.
    Row(
        _admin("identities.role", "change"),
        "POST",
        lambda w, me: rule(identity_services.assign_role, role=w.deployer),
        _change("deployer"),
        data=lambda w, me: _role_form(w.deployer),
        new_rows=lambda w: {"roleassignment": [{"user": w.org.henry.pk}]},
        admin=True,
    ),
    Row(
        _admin("identities.user", "change"),
        "POST",
        lambda w, me: rule(services.put_inline_policy, identity=w.target),
        _change("target"),
        data=lambda w, me: {"username": "target", "path": "/", "tags": "", "is_active": "on"},
        new_rows=lambda w: {"inlinepolicy": [{"policy_name": "Fresh", "document": json.dumps(allow("s:B"))}]},
        admin=True,
    ),
]


def _role_form(role) -> dict:
    return {
        "description": role.description,
        "trust_policy": json.dumps(_trust_account()),
        "max_session_duration": str(role.max_session_duration),
        "tags": "",
    }


ADMIN_ROWS = [_admitted(row) for row in ADMIN_ROWS]


# /aws/ (AWS's Query API, signed with SigV4): the same rule table and reads as the console.
def _aws(service: str, needs, data, ok: int = 200) -> Row:
    return Row("aws", "POST", needs, data=data, ok=ok, api=True, aws=service)


API_ROWS += [
    _aws("sts", lambda w, me: [], lambda w, me: {"Action": "GetCallerIdentity"}),
    _aws(
        "sts",
        lambda w, me: [Check("sts:AssumeRole", w.deployer)],
        lambda w, me: {"Action": "AssumeRole", "RoleArn": w.deployer.arn, "RoleSessionName": "matrix"},
    ),
    _aws(
        "iam",
        lambda w, me: rule(identity_services.create_user, username="fresh", path="/"),
        lambda w, me: {"Action": "CreateUser", "UserName": "fresh"},
    ),
    _aws(
        "iam", lambda w, me: [read("iam:GetUser", w.target)], lambda w, me: {"Action": "GetUser", "UserName": "target"}
    ),
    _aws("iam", lambda w, me: [read("iam:ListUsers")], lambda w, me: {"Action": "ListUsers"}),
    _aws(
        "iam",
        lambda w, me: rule(identity_services.update_user, user=w.target, username="renamed"),
        lambda w, me: {"Action": "UpdateUser", "UserName": "target", "NewUserName": "renamed"},
    ),
    _aws(
        "iam",
        lambda w, me: rule(identity_services.create_group, group_name="Fresh", path="/"),
        lambda w, me: {"Action": "CreateGroup", "GroupName": "Fresh"},
    ),
    _aws(
        "iam", lambda w, me: [read("iam:GetGroup", w.team)], lambda w, me: {"Action": "GetGroup", "GroupName": "Team"}
    ),
    _aws("iam", lambda w, me: [read("iam:ListGroups")], lambda w, me: {"Action": "ListGroups"}),
    _aws(
        "iam",
        lambda w, me: rule(identity_services.add_members, group=w.other, users=[w.target]),
        lambda w, me: {"Action": "AddUserToGroup", "GroupName": "Other", "UserName": "target"},
    ),
    _aws(
        "iam",
        lambda w, me: rule(identity_services.remove_members, group=w.team, users=[w.target]),
        lambda w, me: {"Action": "RemoveUserFromGroup", "GroupName": "Team", "UserName": "target"},
    ),
    _aws(
        "iam",
        lambda w, me: [read("iam:ListGroupsForUser", w.target)],
        lambda w, me: {"Action": "ListGroupsForUser", "UserName": "target"},
    ),
    _aws(
        "iam",
        lambda w, me: rule(identity_services.create_access_key, user=w.target),
        lambda w, me: {"Action": "CreateAccessKey", "UserName": "target"},
    ),
    _aws(
        "iam",
        lambda w, me: [read("iam:ListAccessKeys", w.target)],
        lambda w, me: {"Action": "ListAccessKeys", "UserName": "target"},
    ),
    _aws(
        "iam",
        lambda w, me: rule(identity_services.delete_access_key, key=w.key),
        lambda w, me: {"Action": "DeleteAccessKey", "UserName": "target", "AccessKeyId": w.key.key_id},
    ),
    _aws(
        "iam",
        lambda w, me: rule(services.create_policy, policy_name="Fresh", path="/"),
        lambda w, me: {"Action": "CreatePolicy", "PolicyName": "Fresh", "PolicyDocument": json.dumps(allow("s:A"))},
    ),
    _aws(
        "iam",
        lambda w, me: [read("iam:GetPolicy", w.reader)],
        lambda w, me: {"Action": "GetPolicy", "PolicyArn": w.reader.arn},
    ),
    _aws(
        "iam",
        lambda w, me: rule(services.create_policy_version, policy=w.unused),
        lambda w, me: {
            "Action": "CreatePolicyVersion",
            "PolicyArn": w.unused.arn,
            "PolicyDocument": json.dumps(allow("s:B")),
        },
    ),
    _aws(
        "iam",
        lambda w, me: rule(services.attach_policy, identity=w.target, policy=w.unused),
        lambda w, me: {"Action": "AttachUserPolicy", "UserName": "target", "PolicyArn": w.unused.arn},
    ),
    _aws(
        "iam",
        lambda w, me: rule(services.attach_policy, identity=w.team, policy=w.unused),
        lambda w, me: {"Action": "AttachGroupPolicy", "GroupName": "Team", "PolicyArn": w.unused.arn},
    ),
    _aws(
        "iam",
        lambda w, me: [read("iam:ListAttachedUserPolicies", w.target)],
        lambda w, me: {"Action": "ListAttachedUserPolicies", "UserName": "target"},
    ),
    _aws(
        "iam",
        lambda w, me: rule(services.put_inline_policy, identity=w.target),
        lambda w, me: {
            "Action": "PutUserPolicy",
            "UserName": "target",
            "PolicyName": "Fresh",
            "PolicyDocument": json.dumps(allow("s:C")),
        },
    ),
    _aws(
        "iam",
        lambda w, me: [read("iam:GetUserPolicy", w.target)],
        lambda w, me: {"Action": "GetUserPolicy", "UserName": "target", "PolicyName": "Own"},
    ),
]
ROWS = CONSOLE_ROWS + API_ROWS + ADMIN_ROWS


# Every URL and admin model has a row.


def test_every_console_and_api_url_has_a_row_or_is_open_for_a_reason():
    covered = {row.name for row in CONSOLE_ROWS + API_ROWS}
    assert set(_console_patterns()) - covered - set(OPEN) == set()
    assert covered & set(OPEN) == set()


def test_every_registered_admin_model_has_rows_for_what_it_offers(world):
    """For each model, each page the admin offers the root user (list, add, change, delete)."""
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = world.root
    covered = {(row.name.split(":")[1], row.method) for row in ADMIN_ROWS}
    for model, model_admin in admin.site._registry.items():
        prefix = f"{model._meta.app_label}_{model._meta.model_name}"
        offered = {
            "changelist": model_admin.has_view_permission(request),
            "add": model_admin.has_add_permission(request),
            "change": model_admin.has_view_or_change_permission(request),
            "delete": model_admin.has_delete_permission(request),
        }
        for operation, offers in offered.items():
            if offers:
                assert (f"{prefix}_{operation}", "GET") in covered or (f"{prefix}_{operation}", "POST") in covered, (
                    f"{prefix}_{operation}"
                )


# Running a row


# Columns that record use, not change: a refused request may still be a use of a credential.
_USAGE = {"last_used_at", "last_used_service", "last_login", "failed_attempts", "last_failed_at"}
_SKIPPED_TABLES = {"auditevent", "auditdecisioncount", "anonymousrefusalcount", "permissionsgeneration", "session"}


def snapshot() -> dict:
    """Every row a change could touch (audit refusals, counters and sessions apart), and the
    number of successful audit events."""
    state = {}
    for label in ("identities", "policies", "access", "scim", "otp_totp", "sessions"):
        for model in apps.get_app_config(label).get_models():
            if model._meta.model_name in _SKIPPED_TABLES:
                continue
            rows = model.objects.order_by("pk").values()
            state[model._meta.label] = [{key: value for key, value in row.items() if key not in _USAGE} for row in rows]
    state["events"] = AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count()
    return state


def _client(row: Row, user):
    if row.api:
        key, secret = identity_services.create_access_key(user=user, actor=None)
        if row.aws:
            client = Client()
            client.aws_key = (key.key_id, secret)
            return client
        return Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")
    client = Client()
    client.force_login(user)
    return client


def _send(row: Row, world, client, user):
    url = reverse(row.name, kwargs=row.args(world, user))
    data = row.data(world, user)
    if row.admin:
        # The form as this persona sees it (the admin numbers its inlines by what one may see);
        # as root sees it when the persona may not open it at all.
        new_rows = row.new_rows(world) if row.new_rows else None
        reader = client
        if client.get(url).status_code != 200:
            reader = Client()
            reader.force_login(world.root)
        data = admin_form_data(reader, url, data, new_rows)
    if row.aws:
        action = data.pop("Action")
        return aws_signing.call(client, row.aws, action, data, *client.aws_key)
    if row.api and row.method == "GET":
        return client.get(url, data)
    if row.api:
        return client.generic(row.method, url, json.dumps(data), content_type="application/json")
    if row.method == "GET":
        return client.get(url, data)
    return client.post(url, data)


def _runs(needs: list[Check]):
    """(label, the checks a persona is allowed, whether it should succeed): none, each but one, all."""
    yield "none", [], False
    for index, missing in enumerate(needs):
        yield f"without {missing}", needs[:index] + needs[index + 1 :], False
    yield "exactly", needs, True


@pytest.mark.parametrize("row", ROWS, ids=[row.id + f" #{index}" for index, row in enumerate(ROWS)])
def test_each_entry_point_refuses_without_what_it_needs_and_works_with_exactly_that(world, row):
    count = len(unique(row.needs(world, new_person())))
    for position in range(count + 2):
        user = new_person()
        needs = unique(row.needs(world, user))
        label, allowed, succeeds = list(_runs(needs))[position]
        grant(user, allowed)
        client = _client(row, user)
        before = snapshot()
        response = _send(row, world, client, user)
        if succeeds:
            assert response.status_code == row.ok, f"{label}: {response.status_code}"
        elif needs:
            assert response.status_code in row.refused, f"{label}: {response.status_code}"
            assert snapshot() == before, label


def test_a_wrong_method_is_refused_on_every_entry_point(world):
    """Each console URL answers only the methods it has rows for (405 for the others)."""
    methods: dict[str, set[str]] = {}
    for row in CONSOLE_ROWS:
        methods.setdefault(row.name, set()).add(row.method)
    client = Client()
    client.force_login(world.root)
    for name, allowed in methods.items():
        row = next(row for row in CONSOLE_ROWS if row.name == name)
        url = reverse(name, kwargs=row.args(world, world.root))
        for method in {"GET", "POST", "PUT", "DELETE"} - allowed - ({"POST"} if name in _GET_AND_POST else set()):
            response = client.generic(method, url)
            assert response.status_code == 405, f"{method} {name}: {response.status_code}"


# Pages that take a POST too but whose POST needs no row of its own (the same rule as GET).
_GET_AND_POST = {"identities:access-keys", "policies:policy-check"}
