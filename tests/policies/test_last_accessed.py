"""Last-accessed data (policies.lastaccess): which requests are recorded, kept in memory until
flushed, then in the database by the principal's unique ID; the org's expected uses are
reasoned from its policies (tests/conftest.py)."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from identities import services as identity_services
from policies import lastaccess, services
from policies.lastaccess.recording import Use, recorder
from policies.models import LastAccessed
from tests.admin_forms import admin_form_data
from tests.clients import signed_in
from tests.documents import allow

pytestmark = pytest.mark.django_db

ACCOUNT = "123456789012"
PRODUCTION = "arn:aws:storage:::production-data"


def key_client(user) -> tuple[Client, str]:
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}"), key.key_id


@pytest.fixture
def portal(org):
    """An internal service allowed to ask about every user and role session."""
    service = identity_services.create_user(username="portal", actor=None)
    services.put_inline_policy(
        identity=service,
        policy_name="AskAboutEveryone",
        document=allow("iam:SimulatePrincipalPolicy", ["arn:aws:iam::*", "arn:aws:sts::*"]),
        actor=None,
    )
    return key_client(service)[0]


def ask(client, principal, action, resource):
    body = {"principal": principal, "action": action, "resource": resource}
    response = client.post("/api/v1/authorize", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["decision"]


def stored(principal_id=None):
    rows = LastAccessed.objects.all()
    if principal_id is not None:
        rows = rows.filter(principal_id=principal_id)
    return sorted((row.action, row.resource, row.credential) for row in rows)


def test_an_allowed_answer_waits_in_memory_until_flushed_then_survives_a_restart(org, portal):
    mia = org.mia
    assert ask(portal, mia.arn, "storage:GetObject", "arn:aws:storage:::dev-app/readme") == "Allow"
    assert LastAccessed.objects.count() == 0  # the hot path wrote nothing
    lastaccess.flush()
    recorder.clear()  # what a new process starts with: nothing in memory
    row = LastAccessed.objects.get(principal_id=mia.iam_id)
    assert (row.principal_id, row.principal_arn, row.service) == (mia.iam_id, mia.arn, "storage")
    assert (row.action, row.resource, row.credential) == ("storage:GetObject", "arn:aws:storage:::dev-app/readme", "")
    assert timezone.now() - row.last_allowed_at < timedelta(minutes=1)


def test_a_denied_answer_is_not_recorded(org, portal):
    assert ask(portal, org.lucas.arn, "storage:DeleteBucket", PRODUCTION) == "ExplicitDeny"
    assert ask(portal, org.henry.arn, "storage:GetObject", PRODUCTION) == "ImplicitDeny"
    lastaccess.flush()
    assert LastAccessed.objects.filter(principal_id__in=[org.lucas.iam_id, org.henry.iam_id]).count() == 0


def test_the_callers_own_checks_are_recorded_with_its_key(org):
    service = identity_services.create_user(username="asker", actor=None)
    document = allow(["iam:SimulatePrincipalPolicy", "sts:GetCallerIdentity"], "*")
    services.put_inline_policy(identity=service, policy_name="Ask", document=document, actor=None)
    client, key_id = key_client(service)
    assert client.get("/api/v1/caller-identity").status_code == 200
    assert ask(client, org.henry.arn, "storage:GetObject", PRODUCTION) == "ImplicitDeny"
    assert ask(client, service.arn, "iam:SimulatePrincipalPolicy", org.mia.arn) == "Allow"  # about itself
    lastaccess.flush()
    assert stored(service.iam_id) == [
        ("iam:SimulatePrincipalPolicy", org.henry.arn, key_id),
        ("iam:SimulatePrincipalPolicy", org.mia.arn, key_id),  # its answer: the request it authorized
        ("sts:GetCallerIdentity", "*", key_id),
    ]


def test_a_caller_asking_about_itself_is_recorded_with_its_key(org):
    client, key_id = key_client(org.mia)
    assert ask(client, org.mia.arn, "storage:PutObject", "arn:aws:storage:::dev-app/build") == "Allow"
    lastaccess.flush()
    assert stored(org.mia.iam_id) == [("storage:PutObject", "arn:aws:storage:::dev-app/build", key_id)]


def test_assume_role_and_a_role_sessions_requests_count_for_the_role(org, portal):
    client, key_id = key_client(org.mia)
    body = {"RoleArn": org.roles["ReleaseManager"].arn, "RoleSessionName": "ship-7"}
    assert client.post("/api/v1/assume-role", json.dumps(body), content_type="application/json").status_code == 200
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/ReleaseManager/ship-7"
    assert ask(portal, session_arn, "storage:PutObject", f"{PRODUCTION}/releases/7.tar") == "Allow"
    lastaccess.flush()
    role = org.roles["ReleaseManager"]
    assert stored(org.mia.iam_id) == [("sts:AssumeRole", role.arn, key_id)]
    assert stored(role.iam_id) == [("storage:PutObject", f"{PRODUCTION}/releases/7.tar", "session ship-7")]
    assert LastAccessed.objects.get(principal_id=role.iam_id).principal_arn == session_arn


def test_the_same_use_again_updates_its_row_and_a_renamed_user_keeps_its_history(org, portal):
    ask(portal, org.mia.arn, "storage:GetObject", "arn:aws:storage:::dev-app/a")
    lastaccess.flush()
    first = LastAccessed.objects.get(principal_id=org.mia.iam_id).last_allowed_at
    identity_services.update_user(user=org.mia, username="mia-renamed", actor=None)
    ask(portal, f"arn:aws:iam::{ACCOUNT}:user/mia-renamed", "storage:getobject", "arn:aws:storage:::dev-app/a")
    lastaccess.flush()
    row = LastAccessed.objects.get(principal_id=org.mia.iam_id)  # one row: the catalogue's spelling, the same unique ID
    assert (row.principal_id, row.action, row.principal_arn) == (org.mia.iam_id, "storage:GetObject", org.mia.arn)
    assert row.last_allowed_at > first


def test_resources_per_action_are_bounded_the_rest_recorded_as_any(org, portal, settings):
    settings.IAM_LAST_ACCESSED_RESOURCES_PER_ACTION = 2
    for name in ("a", "b"):
        ask(portal, org.mia.arn, "storage:GetObject", f"arn:aws:storage:::dev-app/{name}")
    lastaccess.flush()
    for name in ("a", "c", "d"):
        ask(portal, org.mia.arn, "storage:GetObject", f"arn:aws:storage:::dev-app/{name}")
    lastaccess.flush()
    assert [resource for _, resource, _ in stored(org.mia.iam_id)] == [
        "*",
        "arn:aws:storage:::dev-app/a",
        "arn:aws:storage:::dev-app/b",
    ]


def test_a_resource_too_long_to_store_is_kept_as_a_prefix_that_still_matches_it():
    long = "arn:aws:storage:::dev-app/" + "k" * 600
    recorder.add("AIDAEXAMPLE", long, Use("arn:aws:iam::123456789012:user/x", "storage:GetObject", "", timezone.now()))
    lastaccess.flush()
    resource = LastAccessed.objects.get().resource
    assert len(resource) == 512 and resource.endswith("*") and long.startswith(resource[:-1])


def test_flushing_when_due_writes_from_the_request_that_finds_it_due(org, portal, settings):
    settings.IAM_LAST_ACCESSED_FLUSH_SECONDS = 0
    ask(portal, org.mia.arn, "storage:GetObject", "arn:aws:storage:::dev-app/a")
    assert stored(org.mia.iam_id) == [("storage:GetObject", "arn:aws:storage:::dev-app/a", "")]


def test_a_console_change_records_each_check_the_rule_table_allowed(org):
    developers = org.groups["Developers"]
    client = signed_in(org.dev_admin)
    response = client.post(reverse("identities:group-members-add", args=[developers.pk]), {"users": "henry"})
    assert response.status_code == 302
    lastaccess.flush()
    assert stored(org.dev_admin.iam_id) == [
        ("iam:AddUserToGroup", developers.arn, "console"),
        ("iam:GetGroup", developers.arn, "console"),
    ]


def test_opening_an_object_page_records_its_read_and_no_probe_of_a_link(org):
    client = signed_in(org.iam_admin)
    assert client.get(reverse("identities:user-detail", args=[org.mia.pk])).status_code == 200
    assert client.get(reverse("identities:user-list")).status_code == 200  # probes iam:GetUser on each row
    lastaccess.flush()
    assert stored(org.iam_admin.iam_id) == [("iam:GetUser", org.mia.arn, "console")]


def test_simulations_and_reports_are_never_recorded(org):
    client = signed_in(org.iam_admin)
    check = {"kind": "user", "principal": "mia", "actions": "storage:GetObject", "resources": "*"}
    assert client.get(reverse("policies:policy-check"), check).status_code == 200
    assert client.get(reverse("policies:what-can"), {"kind": "user", "principal": "mia"}).status_code == 200
    who = {"action": "storage:GetObject", "resource": "*"}
    assert client.get(reverse("policies:who-can"), who).status_code == 200
    lastaccess.flush()
    assert LastAccessed.objects.exclude(principal_id=org.iam_admin.iam_id).count() == 0
    assert stored(org.iam_admin.iam_id) == []


def test_the_root_user_and_requests_outside_a_request_are_not_recorded(org):
    signed_in(org.root).get(reverse("identities:user-detail", args=[org.mia.pk]))
    identity_services.add_members(group=org.groups["Operations"], users=[org.henry], actor=org.iam_admin)
    lastaccess.flush()
    assert stored() == []


def test_switching_role_in_the_console_records_its_assume_role(org):
    role = org.roles["ReleaseManager"]
    response = signed_in(org.mia).post(reverse("policies:role-switch"), {"role": role.pk, "duration": "3600"})
    assert response.status_code == 302
    lastaccess.flush()
    assert stored(org.mia.iam_id) == [("sts:AssumeRole", role.arn, "console")]


def test_a_busy_interval_is_read_back_in_slices_and_still_bounded(monkeypatch, settings):
    monkeypatch.setattr("policies.lastaccess.recording._PER_READ", 2)
    settings.IAM_LAST_ACCESSED_RESOURCES_PER_ACTION = 1
    ids = [f"AIDABUSY{index}" for index in range(5)]
    actions = ["storage:GetObject", "storage:PutObject", "billing:GetInvoice"]
    for resource in ("arn:aws:storage:::a", "arn:aws:storage:::b"):
        for principal_id in ids:
            for action in actions:
                use = Use(f"arn:aws:iam::{ACCOUNT}:user/{principal_id}", action, "", timezone.now())
                recorder.add(principal_id, resource, use)
        lastaccess.flush()  # the second flush finds each principal's and action's one place taken
    rows = LastAccessed.objects.values_list("principal_id", "action", "resource")
    assert sorted(rows) == sorted(
        (principal_id, action, resource)
        for principal_id in ids
        for action in actions
        for resource in ("*", "arn:aws:storage:::a")
    )


def test_creating_a_user_and_a_role_in_the_admin_records_their_checks_as_the_consoles_do(org):
    client = signed_in(org.iam_admin)
    user_add, role_add = reverse("admin:identities_user_add"), reverse("admin:identities_role_add")
    user_fields = {"username": "nora", "path": "/", "tags": "", "is_active": "on", "password": ""}
    assert client.post(user_add, admin_form_data(client, user_add, user_fields)).status_code == 302
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": org.mia.arn}, "Action": "sts:AssumeRole"}],
    }
    role_fields = {
        "role_name": "Deployer",
        "path": "/",
        "description": "",
        "trust_policy": json.dumps(trust),
        "max_session_duration": "3600",
        "tags": "",
    }
    assert client.post(role_add, admin_form_data(client, role_add, role_fields)).status_code == 302
    lastaccess.flush()
    created = [(action, resource) for action, resource, _ in stored(org.iam_admin.iam_id)]
    assert ("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/nora") in created
    assert ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/Deployer") in created
    assert {credential for *_, credential in stored(org.iam_admin.iam_id)} == {"console"}


def test_the_admins_boundary_asked_with_a_new_user_is_recorded_with_it(org):
    boundary, _ = services.create_policy(policy_name="DeveloperBoundary", document=allow("storage:*"), actor=None)
    client = signed_in(org.iam_admin)
    url = reverse("admin:identities_user_add")
    fields = {"username": "nora", "path": "/", "tags": "", "is_active": "on", "password": ""}
    fields["permissions_boundary"] = str(boundary.pk)
    assert client.post(url, admin_form_data(client, url, fields)).status_code == 302
    lastaccess.flush()
    nora = f"arn:aws:iam::{ACCOUNT}:user/nora"
    assert {("iam:CreateUser", nora, "console"), ("iam:PutUserPermissionsBoundary", nora, "console")} <= set(
        stored(org.iam_admin.iam_id)
    )
