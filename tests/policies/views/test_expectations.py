"""The access expectations page (policies/views/expectations.py): each one's state, putting and
deleting them, and a console change refused for breaking one, with what it would break."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identities import services as identity_services
from identities.audit import AuditEvent
from policies import services
from policies.models import AccessExpectation, PolicyAttachment
from tests import factories
from tests.clients import client_for, signed_in
from tests.conftest import PRODUCTION
from tests.documents import allow

pytestmark = pytest.mark.django_db
URL = reverse("policies:expectation-list")
PUT = reverse("policies:expectation-put")
CHECK = reverse("policies:expectation-check")
LUCAS = {
    "name": "lucas-keeps-production-data",
    "principals": {"users": ["lucas"]},
    "may": False,
    "actions": ["storage:DeleteBucket"],
    "resources": [PRODUCTION],
}
OPERATIONS_READ = {
    "name": "operations-read-production",
    "principals": {"groups": ["Operations"]},
    "may": True,
    "actions": "storage:GetObject",
    "resources": f"{PRODUCTION}/*",
}


def _user(name: str, *actions: str):
    user = identity_services.create_user(username=name, password=factories.TEST_PASSWORD, actor=None)
    if actions:
        services.put_inline_policy(identity=user, policy_name="Allowed", document=allow(list(actions)), actor=None)
    return user


def _state() -> tuple:
    rows = sorted(AccessExpectation.objects.values_list("name", "definition"))
    return json.dumps(rows, sort_keys=True), AuditEvent.objects.filter(outcome="Success").count()


def _items(response) -> list[tuple[str, str]]:
    body = response.content.decode()
    return [
        (line.split('data-name="')[1].split('"')[0], line.split('data-held="')[1].split('"')[0])
        for line in body.splitlines()
        if 'class="list-group-item expectation"' in line
    ]


def test_the_page_shows_each_expectations_stored_state(org):
    services.put_access_expectation(definition=LUCAS, actor=None)
    services.put_access_expectation(definition={**OPERATIONS_READ, "principals": {"users": ["henry"]}}, actor=None)
    response = client_for("iam-admin").get(URL)
    assert response.status_code == 200
    assert _items(response) == [("lucas-keeps-production-data", "true"), ("operations-read-production", "false")]
    body = response.content.decode()
    assert "lucas may not storage:DeleteBucket on arn:aws:storage:::production-data" in body
    assert f"{org.henry.arn}: ImplicitDeny for storage:GetObject on {PRODUCTION}/*" in body
    assert "never, since it was stored" in body
    assert "The account has changed since" not in body


def test_the_page_shows_the_stored_state_until_checked_now(org):
    """A change made outside the rule table is not checked: the page says so, and Check now finds it."""
    henry_keeps = {**LUCAS, "name": "henry-keeps-production-data", "principals": {"users": ["henry"]}}
    services.put_access_expectation(definition=henry_keeps, actor=None)
    services.put_inline_policy(
        identity=org.henry, policy_name="Oops", document=allow("storage:DeleteBucket", PRODUCTION), actor=None
    )
    client = client_for("iam-admin")
    body = client.get(URL).content.decode()
    assert _items(client.get(URL)) == [("henry-keeps-production-data", "true")]
    assert "The account has changed since" in body and CHECK in body
    response = client.post(CHECK, follow=True)
    assert (
        "Checked 1 access expectation in" in response.content.decode() and "0 hold, 1 fail" in response.content.decode()
    )
    assert _items(response) == [("henry-keeps-production-data", "false")]
    assert f"{org.henry.arn}: Allow for storage:DeleteBucket on {PRODUCTION}" in response.content.decode()
    assert "The account has changed since" not in response.content.decode()


def test_past_the_size_a_page_waits_for_check_now_leaves_it_to_the_command(org, settings):
    henry_keeps = {**LUCAS, "name": "henry-keeps-production-data", "principals": {"users": ["henry"]}}
    services.put_access_expectation(definition=henry_keeps, actor=None)
    checked = AccessExpectation.objects.get().checked_at
    settings.IAM_PREVIEW_INLINE_MAX = 3  # the org has more active users and roles than that
    client = client_for("iam-admin")
    assert CHECK not in client.get(URL).content.decode()
    response = client.post(CHECK, follow=True)
    assert "too large to check every expectation while the page waits" in response.content.decode()
    assert AccessExpectation.objects.get().checked_at == checked


def test_checking_now_needs_the_list_action_and_only_post(org):
    services.put_access_expectation(definition=LUCAS, actor=None)
    assert client_for("henry").post(CHECK).status_code == 403
    assert client_for("iam-admin").get(CHECK).status_code == 405
    assert AccessExpectation.objects.get().checked_at is not None


def test_a_reader_sees_the_page_without_its_forms(org):
    services.put_access_expectation(definition=LUCAS, actor=None)
    body = signed_in(_user("reader", "iamconsole:ListAccessExpectations")).get(URL).content.decode()
    assert "lucas-keeps-production-data" in body
    assert PUT not in body and "Delete</button>" not in body


def test_without_the_list_action_the_page_is_refused(org):
    assert client_for("henry").get(URL).status_code == 403


def test_wrong_methods_are_refused(org):
    client = client_for("iam-admin")
    assert client.post(URL).status_code == 405
    assert client.get(PUT).status_code == 405


def test_putting_an_expectation_stores_and_audits_it(org):
    response = client_for("iam-admin").post(PUT, {"definition": json.dumps(LUCAS)}, follow=True)
    assert "Saved the access expectation lucas-keeps-production-data; it holds now." in response.content.decode()
    row = AccessExpectation.objects.get()
    assert (row.held, row.definition["may"]) == (True, False)
    assert AuditEvent.objects.get(event_name="PutAccessExpectation").target_arn == row.arn


@pytest.mark.parametrize(
    "text, problem",
    [
        ("{not json", "The expectation is not JSON"),
        (json.dumps({**LUCAS, "may": "never"}), "the expectation.may: true (they may) or false (they may not)."),
        (json.dumps({**LUCAS, "principals": {"people": ["x"]}}), "&#x27;people&#x27; is not one of users, groups"),
    ],
)
def test_bad_input_says_why_and_changes_nothing(org, text, problem):
    before = _state()
    response = client_for("iam-admin").post(PUT, {"definition": text}, follow=True)
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert _state() == before


def test_putting_without_the_action_is_refused_and_changes_nothing(org):
    reader = signed_in(_user("reader", "iamconsole:ListAccessExpectations"))
    before = _state()
    response = reader.post(PUT, {"definition": json.dumps(LUCAS)})
    assert response.status_code == 403
    # Refused before the input is read: no one learns from the page what it would say of it.
    assert reader.post(PUT, {"definition": "{not json"}).status_code == 403
    assert _state() == before


def test_deleting_needs_its_action(org):
    row = services.put_access_expectation(definition=LUCAS, actor=None)
    url = reverse("policies:expectation-delete", args=[row.pk])
    assert client_for("henry").post(url).status_code == 404
    assert signed_in(_user("reader", "iamconsole:ListAccessExpectations")).post(url).status_code == 403
    assert AccessExpectation.objects.exists()
    response = client_for("iam-admin").post(url)
    assert response.status_code == 302
    assert not AccessExpectation.objects.exists()
    assert AuditEvent.objects.get(event_name="DeleteAccessExpectation", outcome="Success").target_arn == row.arn
    assert client_for("iam-admin").post(url).status_code == 404


def test_a_console_change_that_would_break_one_is_refused_with_what_it_breaks(org):
    services.put_access_expectation(definition=OPERATIONS_READ, actor=None)
    detacher = _user("detacher", "iam:GetGroup", "iam:ListAttachedGroupPolicies", "iam:DetachGroupPolicy")
    operations, policy = org.groups["Operations"], org.policies["OperationsStorageAccess"]
    url = reverse("policies:identity-detach", kwargs={"kind": "group", "pk": operations.pk})
    before = _state()
    response = signed_in(detacher).post(url, {"policy": policy.pk, "confirm": "yes"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "it would break the access expectation operations-read-production" in body
    # Lucas reads on through AuditTeam's ReadOnlyAccess; James would not.
    assert f"{org.james.arn}: ImplicitDeny for storage:GetObject on {PRODUCTION}/*." in body
    assert org.lucas.arn not in body
    assert PolicyAttachment.objects.filter(group=operations, policy=policy).exists()
    assert _state() == before


def test_the_page_reads_a_constant_number_of_queries(org):
    services.put_access_expectation(definition=LUCAS, actor=None)
    client = client_for("iam-admin")

    def queries() -> int:
        client.get(URL)  # compiles and caches the viewer's policies: measured warm, at both sizes
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    small = queries()
    for index in range(5):
        services.put_access_expectation(definition={**OPERATIONS_READ, "name": f"more-{index}"}, actor=None)
        user = identity_services.create_user(username=f"extra{index}", actor=None)
        identity_services.add_members(group=org.groups["Operations"], users=[user], actor=None)
    assert queries() == small
