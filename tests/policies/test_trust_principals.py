"""Trust policies name principals by unique ID: a deleted principal's namesake inherits nothing.

Each test plays an attack (or a rename that must keep working) through the doors people use:
the console's role switch, POST /api/v1/assume-role, the console's role pages and the admin.
"""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.credentials import RoleSession
from identities.models import Role, User
from policies import services
from tests.admin_forms import admin_form_data
from tests.documents import document, statement

pytestmark = pytest.mark.django_db

ACCOUNT = "123456789012"
GHOST = f"arn:aws:iam::{ACCOUNT}:user/ghost"
REFUSAL = f"Invalid principal in policy: {GHOST} is not a user or role of this account."


def trusting(*principals: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}],
    }


def state():
    return (
        list(User.objects.values_list("username", "path", "iam_id").order_by("pk")),
        list(Role.objects.values_list("role_name", "path", "iam_id", "trust_policy").order_by("pk")),
        RoleSession.objects.count(),
        AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count(),
    )


def api_client(user: User) -> Client:
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")


def assume(client: Client, role: Role, session_name: str = "s1"):
    body = {"RoleArn": role.arn, "RoleSessionName": session_name, "DurationSeconds": 900}
    return client.post("/api/v1/assume-role", json.dumps(body), content_type="application/json")


def switch(user: User, role: Role):
    client = Client()
    client.force_login(user)
    return client.post(reverse("policies:role-switch"), {"role": role.pk, "duration": 900})


def chained(session_response) -> Client:
    return Client(HTTP_AUTHORIZATION=session_response.json()["Authorization"])


def role_page(root_client, role: Role):
    """The role page's trust: its document and the principals it lists."""
    response = root_client.get(reverse("identities:role-detail", args=[role.pk]))
    trusted = response.context["trust"]
    assert trusted.document_text in response.content.decode().replace("&quot;", '"')
    return trusted


def delete_user(user: User) -> None:
    identity_services.delete_user(user=user, actor=None, with_credentials_and_memberships=True)


@pytest.fixture
def ghost(db):
    return identity_services.create_user(username="ghost", actor=None)


@pytest.fixture
def deployer(ghost):
    """A role saved while ghost existed, trusting ghost by name."""
    return identity_services.create_role(role_name="Deployer", trust_policy=trusting(ghost.arn), actor=None)


# A deleted user's name


def test_a_role_cannot_be_saved_trusting_a_user_that_does_not_exist(ghost):
    delete_user(ghost)
    before = state()
    with pytest.raises(ValidationError) as caught:
        identity_services.create_role(role_name="Deployer", trust_policy=trusting(GHOST), actor=None)
    assert caught.value.messages == [REFUSAL]
    assert state() == before
    role = identity_services.create_role(role_name="Deployer", actor=None)
    before = state()
    with pytest.raises(ValidationError) as caught:
        identity_services.update_trust_policy(role=role, trust_policy=trusting(GHOST), actor=None)
    assert caught.value.messages == [REFUSAL]
    assert state() == before


def test_a_new_user_named_like_a_deleted_one_cannot_assume_its_role(ghost, deployer, root_client):
    assert assume(api_client(ghost), deployer).status_code == 200
    assert switch(ghost, deployer).status_code == 302
    gone = ghost.iam_id
    delete_user(ghost)
    namesake = identity_services.create_user(username="ghost", actor=None)
    api = api_client(namesake)
    before = state()
    response = assume(api, deployer)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "AccessDenied")
    page = switch(namesake, deployer)
    assert page.status_code == 200 and RoleSession.objects.filter(user=namesake).count() == 0
    assert state() == before
    shown = role_page(root_client, deployer)
    assert json.loads(shown.document_text) == trusting(gone)
    assert shown.principals == []


def test_a_renamed_user_still_assumes_the_role_and_the_page_shows_the_new_arn(ghost, deployer, root_client):
    identity_services.update_user(user=ghost, username="casper", path="/eu/", actor=None)
    assert assume(api_client(ghost), deployer).status_code == 200
    assert switch(ghost, deployer).status_code == 302
    shown = role_page(root_client, deployer)
    assert json.loads(shown.document_text) == trusting(f"arn:aws:iam::{ACCOUNT}:user/eu/casper")
    assert [principal.identity.arn for principal in shown.principals] == [f"arn:aws:iam::{ACCOUNT}:user/eu/casper"]


# Roles trusting roles (role chaining)


@pytest.fixture
def chain(mia):
    """mia may assume Builder; Deployer trusts Builder by name."""
    builder = identity_services.create_role(role_name="Builder", trust_policy=trusting(mia.arn), actor=None)
    deployer = identity_services.create_role(role_name="Deployer", trust_policy=trusting(builder.arn), actor=None)
    return builder, deployer


def test_a_new_role_named_like_a_deleted_one_cannot_chain_into_its_trusting_role(mia, chain, root_client):
    builder, deployer = chain
    gone = builder.iam_id
    identity_services.delete_role(role=builder, actor=None)
    namesake = identity_services.create_role(role_name="Builder", trust_policy=trusting(mia.arn), actor=None)
    session = assume(api_client(mia), namesake)
    assert session.status_code == 200
    before = state()
    response = assume(chained(session), deployer, "chained")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "AccessDenied")
    assert state() == before
    shown = role_page(root_client, deployer)
    assert json.loads(shown.document_text) == trusting(gone)


def test_a_role_trusting_a_deleted_role_cannot_be_saved_naming_it(chain):
    builder, deployer = chain
    identity_services.delete_role(role=builder, actor=None)
    before = state()
    with pytest.raises(ValidationError) as caught:
        identity_services.update_trust_policy(role=deployer, trust_policy=trusting(builder.arn), actor=None)
    assert caught.value.messages == [
        f"Invalid principal in policy: {builder.arn} is not a user or role of this account."
    ]
    assert state() == before


# The console's role pages


def role_form(trust_policy: dict, **fields) -> dict:
    return {"path": "/", "description": "", "max_session_duration": "3600", "tags": "", **fields} | {
        "trust_policy": json.dumps(trust_policy)
    }


def test_the_console_refuses_an_unknown_principal_with_the_message(root_client, mia):
    before = state()
    response = root_client.post(reverse("identities:role-create"), role_form(trusting(GHOST), role_name="Deployer"))
    assert response.status_code == 200 and REFUSAL in response.content.decode()
    role = identity_services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn), actor=None)
    before = state()
    edit = reverse("identities:role-edit", args=[role.pk])
    response = root_client.post(edit, role_form(trusting(GHOST), role_name="Deployer"))
    assert response.status_code == 200 and REFUSAL in response.content.decode()
    assert state() == before


def test_the_console_edit_form_shows_arns_and_an_unchanged_save_keeps_the_ids(root_client, mia, henry):
    role = identity_services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn, henry.arn), actor=None)
    delete_user(mia)
    stored = Role.objects.get().trust_policy
    edit = reverse("identities:role-edit", args=[role.pk])
    shown = root_client.get(edit).context["form"]["trust_policy"].value()
    assert json.loads(shown) == trusting(stored["Statement"][0]["Principal"]["AWS"][0], henry.arn)
    response = root_client.post(edit, role_form({}, role_name="Deployer") | {"trust_policy": shown})
    assert response.status_code == 302
    assert Role.objects.get().trust_policy == stored
    assert not AuditEvent.objects.filter(event_name="UpdateAssumeRolePolicy").exists()


# The admin


def admin_fields(role_name: str, trust_policy: dict | str) -> dict:
    text = trust_policy if isinstance(trust_policy, str) else json.dumps(trust_policy)
    return {
        "role_name": role_name,
        "path": "/",
        "description": "",
        "trust_policy": text,
        "max_session_duration": "3600",
        "tags": "",
    }


def test_the_admin_refuses_an_unknown_principal_with_the_message(root_client, mia):
    before = state()
    add = reverse("admin:identities_role_add")
    response = root_client.post(add, admin_form_data(root_client, add, admin_fields("Deployer", trusting(GHOST))))
    assert response.status_code == 200 and REFUSAL in response.content.decode()
    role = identity_services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn), actor=None)
    before = state()
    change = reverse("admin:identities_role_change", args=[role.pk])
    response = root_client.post(
        change, admin_form_data(root_client, change, admin_fields("Deployer", trusting(mia.arn, GHOST)))
    )
    assert response.status_code == 200 and REFUSAL in response.content.decode()
    assert state() == before


def test_the_admin_shows_arns_stores_ids_and_an_unchanged_save_keeps_them(root_client, mia, henry):
    add = reverse("admin:identities_role_add")
    data = admin_form_data(root_client, add, admin_fields("Deployer", trusting(mia.arn, henry.arn)))
    assert root_client.post(add, data).status_code == 302
    assert Role.objects.get().trust_policy == trusting(mia.iam_id, henry.iam_id)
    delete_user(mia)
    change = reverse("admin:identities_role_change", args=[Role.objects.get().pk])
    shown = root_client.get(change).context["adminform"].form["trust_policy"].value()
    assert json.loads(shown) == trusting(mia.iam_id, henry.arn)
    # As a browser posts it: with the hidden initial values the admin keeps of JSON fields.
    fields = admin_fields("Deployer", shown) | {"initial-trust_policy": shown, "initial-tags": "{}"}
    data = admin_form_data(root_client, change, fields)
    assert root_client.post(change, data).status_code == 302
    assert Role.objects.get().trust_policy == trusting(mia.iam_id, henry.iam_id)
    assert not AuditEvent.objects.filter(event_name="UpdateAssumeRolePolicy").exists()


def test_the_admin_changes_the_trust_of_a_role_that_trusts_itself(root_client, mia):
    role = identity_services.create_role(role_name="Builder", actor=None)
    identity_services.update_trust_policy(role=role, trust_policy=trusting(role.arn), actor=None)
    change = reverse("admin:identities_role_change", args=[role.pk])
    fields = admin_fields("Builder", trusting(role.arn, mia.arn))
    assert root_client.post(change, admin_form_data(root_client, change, fields)).status_code == 302
    role = Role.objects.get()
    assert (role.role_name, role.trust_policy) == ("Builder", trusting(role.iam_id, mia.iam_id))


def test_the_admin_shows_a_read_only_trust_policy_with_arns(mia, henry):
    role = identity_services.create_role(role_name="Deployer", trust_policy=trusting(henry.arn), actor=None)
    services.put_inline_policy(
        identity=mia,
        policy_name="AllButTrust",
        document=document(statement("Allow", "iam:*"), statement("Deny", "iam:UpdateAssumeRolePolicy")),
        actor=None,
    )
    client = Client()
    client.force_login(mia)
    body = client.get(reverse("admin:identities_role_change", args=[role.pk])).content.decode()
    assert henry.arn in body and henry.iam_id not in body


def test_a_trust_policy_with_not_principal_is_refused_and_nothing_changes(mia):
    trust = trusting(mia.arn)
    trust["Statement"].append({"Effect": "Deny", "NotPrincipal": {"AWS": mia.arn}, "Action": "sts:AssumeRole"})
    before = state()
    with pytest.raises(ValidationError) as caught:
        identity_services.create_role(role_name="Deployer", trust_policy=trust, actor=None)
    assert caught.value.messages == [
        "A role's trust policy cannot use NotPrincipal; name the principals it trusts in Principal "
        "(Statement[1].NotPrincipal)."
    ]
    assert state() == before
