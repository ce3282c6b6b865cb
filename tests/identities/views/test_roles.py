"""The console's role pages: list, trust policy and effective trust, assignments, create, edit, delete."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.models import Role, RoleAssignment, User
from identities.templatetags.console_tags import arn as wrapped_arn
from policies import authorization
from tests import factories
from tests.clients import client_for
from tests.identities.views.helpers import HTMX, state, url, user

pytestmark = pytest.mark.django_db


def role(name: str) -> Role:
    return Role.objects.get(role_name=name)


def in_a_day() -> str:
    return (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


def test_the_list_shows_live_assignment_counts(org):
    RoleAssignment.objects.filter(user__username="lucas").update(expires_at=timezone.now() - timedelta(hours=1))
    response = client_for("iam-admin").get(url("role-list"))
    rows = {row.role_name: row.live_assignment_count for row in response.context["page"].object_list}
    assert rows == {"AuditReviewer": 1, "ReleaseManager": 1}


def test_the_list_needs_list_roles(org):
    assert client_for("mia").get(url("role-list")).status_code == 403


def test_the_role_page_shows_trust_effective_trust_and_assignments(org):
    release = role("ReleaseManager")
    response = client_for("iam-admin").get(url("role-detail", release.pk))
    body = response.content.decode()
    assert json.dumps(release.trust_policy, indent=2).splitlines()[1] in response.context["trust"].document_text
    assert [principal.identity.arn for principal in response.context["trust"].principals] == [
        "arn:aws:iam::123456789012:user/mia"
    ]
    assert response.context["trust"].live_count == 1
    assert wrapped_arn("arn:aws:iam::123456789012:role/ReleaseManager") in body and "3600 seconds" in body
    assert f'hx-get="/policies/fragments/role/{release.pk}/"' in body


def test_a_user_who_cannot_read_the_role_gets_404(org):
    assert client_for("mia").get(url("role-detail", role("ReleaseManager").pk)).status_code == 404


def test_assigning_users_with_an_expiry_and_seeing_expired_ones(org):
    release = role("ReleaseManager")
    client = client_for("iam-admin")
    response = client.post(url("role-assign", release.pk), {"users": "henry, james", "expires_at": in_a_day()}, **HTMX)
    assert "May now assume ReleaseManager: henry, james." in response.content.decode()
    assert RoleAssignment.objects.filter(role=release, expires_at__isnull=False).count() == 2
    RoleAssignment.objects.filter(user__username="henry").update(expires_at=timezone.now() - timedelta(minutes=1))
    page = client.get(url("role-detail", release.pk))
    expired = {row.user.username: row.expired for row in page.context["page"].object_list}
    assert expired == {"henry": True, "james": False, "mia": False}
    assert "Expired" in page.content.decode()
    assert page.context["trust"].expired_count == 1


def test_one_refused_user_refuses_the_whole_batch(org):
    before = state()
    response = client_for("iam-admin").post(
        url("role-assign", role("ReleaseManager").pk), {"users": "henry, mia"}, **HTMX
    )
    assert "mia is already assigned ReleaseManager." in response.content.decode()
    assert state() == before


def test_unassigning(org):
    release, mia = role("ReleaseManager"), user("mia")
    response = client_for("iam-admin").post(url("role-unassign", release.pk, mia.pk), **HTMX)
    assert "mia may no longer assume ReleaseManager." in response.content.decode()
    assert not RoleAssignment.objects.filter(role=release).exists()
    assert AuditEvent.objects.filter(event_name="UnassignRole", target_arn=release.arn).exists()


def test_reading_without_update_assume_role_policy_is_403(org):
    before = state()
    client = client_for("charles")  # AuditTeam: read-only access
    release = role("ReleaseManager")
    page = client.get(url("role-detail", release.pk))
    assert page.status_code == 200 and "Assign to users" not in page.content.decode()
    assert client.post(url("role-assign", release.pk), {"users": "henry"}).status_code == 403
    assert client.post(url("role-unassign", release.pk, user("mia").pk)).status_code == 403
    assert state() == before


def test_creating_a_role_with_a_trust_policy(org):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}
    data = {
        "role_name": "OnCall",
        "path": "/",
        "max_session_duration": "7200",
        "tags": "",
        "trust_policy": json.dumps(trust),
    }
    response = client_for("iam-admin").post(url("role-create"), data)
    on_call = role("OnCall")
    assert response["Location"] == url("role-detail", on_call.pk)
    assert (on_call.trust_policy, on_call.max_session_duration) == (trust, 7200)


def test_bad_role_input_changes_nothing(org):
    before = state()
    client = client_for("iam-admin")
    too_long = client.post(url("role-create"), {"role_name": "X", "max_session_duration": "50000"})
    assert "43200" in too_long.content.decode()
    bad_json = client.post(url("role-create"), {"role_name": "X", "max_session_duration": "3600", "trust_policy": "{"})
    assert bad_json.status_code == 200 and bad_json.context["form"].errors["trust_policy"]
    assert not Role.objects.filter(role_name="X").exists() and state() == before


TRUST_ROOT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}],
}


def test_editing_the_trust_policy_records_both_changes(org):
    release = role("ReleaseManager")
    data = {
        "role_name": "ReleaseManager",
        "path": "/",
        "description": "",
        "max_session_duration": "3600",
        "tags": "",
        "trust_policy": json.dumps(TRUST_ROOT),
    }
    assert client_for("iam-admin").post(url("role-edit", release.pk), data).status_code == 302
    assert role("ReleaseManager").trust_policy == TRUST_ROOT
    names = set(AuditEvent.objects.filter(target_arn=release.arn).values_list("event_name", flat=True))
    assert {"UpdateRole", "UpdateAssumeRolePolicy"} <= names


def test_deleting_a_role_names_its_assignees(org):
    release = role("ReleaseManager")
    client = client_for("iam-admin")
    assert "mia" in client.get(url("role-delete", release.pk)).content.decode()
    assert client.post(url("role-delete", release.pk)).status_code == 302
    assert AuditEvent.objects.get(event_name="DeleteRole").before["assignees"] == ["mia"]


def test_role_pages_cost_the_same_queries_at_10_and_1000_assignments(org):
    client = client_for("iam-admin")
    counts = []
    for size in (10, 1000):
        target = factories.RoleFactory(role_name=f"Size{size}")
        factories.bulk_assignments(target, factories.bulk_users(size, prefix=f"r{size}-"))
        client.get(url("role-detail", target.pk))
        with CaptureQueriesContext(connection) as captured:
            client.get(url("role-detail", target.pk), {"page": "2"})
        list_queries = CaptureQueriesContext(connection)
        with list_queries:
            client.get(url("role-list"))
        counts.append((len(captured), len(list_queries)))
    assert counts[0] == counts[1]


def _may_assume_by_the_engine(target: Role) -> list[str]:
    """Each user and role of the account asked one by one, the way switching role and the API ask."""
    principals = [*User.objects.filter(is_superuser=False), *Role.objects.all()]
    decided = [p for p in principals if authorization.assume_role(authorization.layers_of(p), target).allowed]
    return sorted(principal.arn for principal in decided)


@pytest.mark.parametrize("trusted", ["account", "mia alone", "no one"])
def test_effective_trust_lists_exactly_whom_the_engine_lets_assume_the_role(org, trusted):
    release = role("ReleaseManager")
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole"}
    documents = {
        "account": {"Version": "2012-10-17", "Statement": [statement | {"Principal": {"AWS": "123456789012"}}]},
        "mia alone": {"Version": "2012-10-17", "Statement": [statement | {"Principal": {"AWS": user("mia").arn}}]},
        "no one": {},
    }
    Role.objects.filter(pk=release.pk).update(trust_policy=documents[trusted])
    factories.bulk_assignments(release, [user("henry")])
    response = client_for("iam-admin").get(url("role-detail", release.pk))
    shown = sorted(principal.identity.arn for principal in response.context["trust"].principals)
    assert shown == _may_assume_by_the_engine(role("ReleaseManager"))
    # The assignments always count; the account alone lets in nobody whose own policies do not allow it.
    assert {"arn:aws:iam::123456789012:user/henry", "arn:aws:iam::123456789012:user/mia"} <= set(shown)
    assert "arn:aws:iam::123456789012:user/oliver" not in shown


TYPO = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/oliver"}, "Action": "sts:AssumeRol"}
    ],
}


def test_a_misspelt_action_in_a_trust_policy_is_refused_and_changes_nothing(org):
    release = role("ReleaseManager")
    before = state()
    data = {"description": "", "max_session_duration": "3600", "tags": "", "trust_policy": json.dumps(TYPO)}
    response = client_for("iam-admin").post(url("role-edit", release.pk), data)
    assert response.status_code == 200
    errors = response.context["form"].errors["trust_policy"]
    assert any("'sts:AssumeRol' is not an action a trust policy can allow" in error for error in errors)
    assert state() == before
    trusted = client_for("iam-admin").get(url("role-detail", release.pk)).context["trust"].principals
    assert "arn:aws:iam::123456789012:user/oliver" not in [principal.identity.arn for principal in trusted]


def test_broken_json_in_a_trust_policy_says_what_is_wrong_and_where(org):
    before = state()
    text = '{"Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow" "Action": "sts:AssumeRole"}]}'
    data = {"role_name": "Broken", "path": "/", "max_session_duration": "3600", "trust_policy": text}
    response = client_for("iam-admin").post(url("role-create"), data)
    errors = response.context["form"].errors["trust_policy"]
    assert errors == ["Expecting ',' delimiter (line 2, column 36)."]
    assert "Enter a valid JSON" not in response.content.decode()
    assert state() == before


def test_effective_trust_names_the_principals_outside_the_account_apart(org):
    release = role("ReleaseManager")
    named = {"AWS": ["123456789012", "arn:aws:iam::999999999999:root"], "Service": "build.example.com"}
    trusting = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": named, "Action": "sts:AssumeRole"}],
    }
    Role.objects.filter(pk=release.pk).update(trust_policy=trusting)
    response = client_for("iam-admin").get(url("role-detail", release.pk))
    assert response.context["trust"].elsewhere == ["AWS: arn:aws:iam::999999999999:root", "Service: build.example.com"]
    assert [principal.identity.arn for principal in response.context["trust"].principals] == [
        "arn:aws:iam::123456789012:user/mia"
    ]
    assert "Named outside this account" in response.content.decode()


def _last_used_line(response) -> str:
    body = response.content.decode()
    start = body.index('id="role-last-used">') + len('id="role-last-used">')
    return body[start : body.index("</dd>", start)]


def test_the_role_page_says_when_and_where_the_role_was_last_used(org):
    # As an import gives it; the page shows minutes, as every moment of the console.
    used = datetime(2025, 1, 2, 10, 0, 41, tzinfo=UTC)
    deployer = identity_services.create_role(
        role_name="Deployer", last_used_at=used, last_used_region="us-east-1", actor=None
    )
    admin = client_for("iam-admin")
    assert _last_used_line(admin.get(url("role-detail", deployer.pk))) == "2025-01-02 10:00 UTC in us-east-1"
    assert _last_used_line(admin.get(url("role-detail", role("ReleaseManager").pk))) == "No use recorded"


def test_a_trusted_identity_provider_of_the_account_is_named_for_its_tokens(org):
    provider = identity_services.create_oidc_provider(url="https://ci.example.org", client_ids=["a"], actor=None)
    statement = {"Effect": "Allow", "Principal": {"Federated": provider.arn}, "Action": "sts:AssumeRoleWithWebIdentity"}
    trust = {"Version": "2012-10-17", "Statement": [statement]}
    target = identity_services.create_role(role_name="Builder", trust_policy=trust, actor=None)
    response = client_for("iam-admin").get(url("role-detail", target.pk))
    assert response.context["trust"].elsewhere == [
        f"Federated: {provider.arn} (tokens of this account's OpenID Connect provider)"
    ]
