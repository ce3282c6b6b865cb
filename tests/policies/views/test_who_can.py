"""The who-can page on the article's organisation (`org`): checked questions, linked answers, root's standing."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from identities.audit import AuditEvent
from identities.templatetags.console_tags import arn as wrapped_arn
from policies import services
from policies.services.guardrails import save_guardrail
from tests import factories
from tests.clients import client_for, signed_in
from tests.documents import allow, deny

pytestmark = pytest.mark.django_db

URL = reverse("policies:who-can")
PRODUCTION = "arn:aws:storage:::production-data"


def ask(client, action, resource):
    return client.get(f"{URL}?{urlencode({'action': action, 'resource': resource})}")


@pytest.mark.parametrize(
    ("action", "resource", "field", "message"),
    [
        ("storage:Frobnicate", "*", "action", "storage:Frobnicate is not an action of the catalogue."),
        ("Frobnicate", "*", "action", "Give an action as service:Name, such as storage:GetObject."),
        ("storage:Get*", "*", "action", "Give one action without wildcards, such as storage:GetObject."),
        ("storage:GetObject", "banana", "resource", "Give the resource as an ARN"),
        ("storage:GetObject", "arn:aws:storage:::dev-*", "resource", "Give one resource without wildcards"),
        ("storage:GetObject", "arn:aws:storage:::", "resource", "Give the resource as an ARN"),
    ],
)
def test_bad_questions_get_a_form_error_and_no_answer(org, action, resource, field, message):
    response = ask(client_for("iam-admin"), action, resource)
    assert response.status_code == 200
    assert response.context.get("entries") is None
    assert response.context["form"].errors[field][0].startswith(message)
    assert "root-standing" not in response.content.decode()


def test_the_action_is_taken_in_the_catalogues_spelling(org):
    response = ask(client_for("iam-admin"), "STORAGE:deletebucket", PRODUCTION)
    assert response.context["form"].cleaned_data["action"] == "storage:DeleteBucket"


def test_each_principal_links_to_its_page(org):
    response = ask(client_for("iam-admin"), "storage:PutObject", f"{PRODUCTION}/releases/v1.zip")
    entries = {entry.arn: entry for entry in response.context["entries"]}
    lucas, release = org.users["lucas"], org.roles["ReleaseManager"]
    assert {lucas.arn, release.arn} <= set(entries)
    page = response.content.decode()
    assert f'href="{reverse("identities:user-detail", args=[lucas.pk])}"' in page
    assert f'href="{reverse("identities:role-detail", args=[release.pk])}"' in page


def test_a_principal_is_linked_only_where_the_viewer_may_open_its_page(org):
    asker = factories.UserFactory(username="asker")
    services.put_inline_policy(
        identity=asker, policy_name="Ask", document=allow("iam:SimulatePrincipalPolicy"), actor=None
    )
    response = ask(signed_in(asker), "storage:PutObject", f"{PRODUCTION}/releases/v1.zip")
    lucas = org.users["lucas"]
    assert lucas.arn in {entry.arn for entry in response.context["entries"]}
    page = response.content.decode()
    assert f'<code class="arn">{wrapped_arn(lucas.arn)}</code>' in page
    assert f'href="{reverse("identities:user-detail", args=[lucas.pk])}"' not in page


def test_root_is_said_to_be_allowed_beyond_every_policy(org):
    response = ask(client_for("iam-admin"), "storage:DeleteBucket", PRODUCTION)
    assert response.context["root"]["allowed"] is True
    assert "beyond every IAM policy, and no guardrail denies it" in response.content.decode()


def test_a_guardrail_deny_binds_root_and_the_page_says_so(org):
    save_guardrail(
        guardrail_name="NoDeletingProduction",
        level=1,
        document=deny("storage:DeleteBucket", PRODUCTION),
        actor=None,
    )
    response = ask(client_for("iam-admin"), "storage:DeleteBucket", PRODUCTION)
    assert response.context["root"]["allowed"] is False
    assert "guardrails bind it too" in response.content.decode()


def test_asking_changes_nothing(org):
    before = AuditEvent.objects.count()
    ask(client_for("iam-admin"), "storage:Frobnicate", "banana")
    ask(client_for("iam-admin"), "storage:GetObject", "*")
    assert AuditEvent.objects.count() == before
