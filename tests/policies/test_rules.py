"""One rule for each change of policies, applied alike by the console and the admin: the
attacks found (a new default version, the admin's add pages) reproduced and refused."""

import json

import pytest
from django.urls import reverse

from identities import rules
from identities import services as identity_services
from policies import escalation, services
from policies.models import Guardrail, ManagedPolicy, PolicyVersion
from tests.admin_forms import admin_form_data
from tests.clients import signed_in
from tests.documents import allow, document, statement
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
ACCOUNT = "123456789012"


def _person(name: str, *statements: dict):
    user = identity_services.create_user(username=name, password=TEST_PASSWORD, actor=None)
    reads = statement("Allow", ["iam:Get*", "iam:List*"], "*")
    services.put_inline_policy(identity=user, policy_name="Rights", document=document(reads, *statements), actor=None)
    return user


@pytest.fixture
def publisher(org):
    """May write new versions of Published, but not switch among its versions."""
    policy, _ = services.create_policy(policy_name="Published", document=allow("storage:GetObject"), actor=None)
    user = _person("publisher", statement("Allow", "iam:CreatePolicyVersion", policy.arn))
    return user, policy


def _default(policy) -> int:
    return PolicyVersion.objects.get(policy=policy, is_default=True).number


def test_create_policy_version_alone_may_set_the_new_default_in_the_console_and_the_admin(publisher):
    user, policy = publisher
    client = signed_in(user)
    url = reverse("policies:policy-version-create", args=[policy.pk])
    assert client.post(url, {"document": json.dumps(allow("storage:*")), "set_as_default": "on"}).status_code == 302
    assert _default(policy) == 2
    admin_url = reverse("admin:policies_managedpolicy_change", args=[policy.pk])
    fields = {"new_version": json.dumps(allow("storage:List*")), "set_as_default": "on"}
    assert client.post(admin_url, admin_form_data(client, admin_url, fields)).status_code == 302
    assert _default(policy) == 3


def test_switching_among_existing_versions_needs_set_default_policy_version(publisher):
    user, policy = publisher
    services.create_policy_version(policy=policy, document=allow("storage:*"), actor=None)
    client = signed_in(user)
    refused = client.post(reverse("policies:policy-version-default", args=[policy.pk, 2]))
    assert refused.status_code == 403
    assert _default(policy) == 1
    admin_url = reverse("admin:policies_managedpolicy_change", args=[policy.pk])
    page = client.get(admin_url)
    assert b'name="default_version"' not in page.content


def test_both_entry_points_ask_one_rule():
    policy = ManagedPolicy(policy_name="Published", path="/")
    with_default = rules.required(services.create_policy_version, policy=policy, set_as_default=True)
    assert [check.action for check in with_default] == ["iam:CreatePolicyVersion"]
    assert [check.action for check in rules.required(services.set_default_version, policy=policy)] == [
        "iam:SetDefaultPolicyVersion"
    ]


def test_the_escalation_report_flags_create_policy_version_alone(publisher):
    user, policy = publisher
    services.attach_policy(policy=policy, identity=user, actor=None)
    entry = next(entry for entry in escalation.escalation_paths() if entry.arn == user.arn)
    assert [path.kind for path in entry.paths] == ["modify-policy"]


def test_the_admin_add_page_of_a_policy_checks_the_new_arn(org):
    user = _person("teamlead", statement("Allow", "iam:CreatePolicy", f"arn:aws:iam::{ACCOUNT}:policy/team/*"))
    client, url = signed_in(user), reverse("admin:policies_managedpolicy_add")
    body = {"document": json.dumps(allow("*")), "description": ""}
    admin = admin_form_data(client, url, body | {"policy_name": "Admin", "path": "/"})
    assert client.post(url, admin).status_code == 403
    assert not ManagedPolicy.objects.filter(policy_name="Admin").exists()
    reader = admin_form_data(client, url, body | {"policy_name": "Reader", "path": "/team/"})
    assert client.post(url, reader).status_code == 302
    assert ManagedPolicy.objects.get(policy_name="Reader").path == "/team/"


def test_the_admin_add_page_of_a_guardrail_checks_the_new_arn(org):
    team = f"arn:aws:iam::{ACCOUNT}:guardrail/Team*"
    user = _person("guard", statement("Allow", ["iam:ListGuardrails", "iam:GetGuardrail", "iam:CreateGuardrail"], team))
    client, url = signed_in(user), reverse("admin:policies_guardrail_add")
    body = {"description": "", "level": "1", "document": json.dumps(allow("*"))}
    before = list(Guardrail.objects.values_list("guardrail_name", flat=True))
    assert client.post(url, admin_form_data(client, url, body | {"guardrail_name": "Other"})).status_code == 403
    assert list(Guardrail.objects.values_list("guardrail_name", flat=True)) == before
    team_wide = admin_form_data(client, url, body | {"guardrail_name": "TeamWide"})
    assert client.post(url, team_wide).status_code == 302
    assert Guardrail.objects.filter(guardrail_name="TeamWide").exists()
