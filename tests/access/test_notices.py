"""E-mail about access requests: to the approvers on arrival, to the requester when decided and
before the grant ends; a failing mail server blocks nothing. Django's test run keeps mail in
its locmem outbox."""

import logging
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command

from access import queries, services
from access.models import AccessRequest
from identities import rules
from identities import services as identity_services
from identities.models import Group
from policies import services as policy_services
from tests.documents import document, statement

pytestmark = pytest.mark.django_db
OBJECT = "arn:aws:storage:::public-site/index.html"


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


@pytest.fixture
def addressed(org):
    for name in ("henry", "iam-admin", "oliver"):
        identity_services.update_user(
            user=getattr(org, name.replace("-", "_")), contact_email=f"{name}@example.org", actor=None
        )
    return org


def ask(user):
    return rules.perform(
        user,
        services.create_request,
        kind="permission",
        actions=["storage:PutObject"],
        resources=[OBJECT],
        justification="The front page has a typo.",
        duration=3600,
    )


def test_the_approvers_are_told_when_a_request_arrives(addressed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(addressed.henry)
    [message] = mail.outbox
    assert message.to == ["iam-admin@example.org"]  # oliver may not decide it; henry never his own
    assert message.subject == f"Access request {request.pk} from henry"
    assert "The front page has a typo." in message.body


def test_the_requester_is_told_the_decision(addressed, django_capture_on_commit_callbacks):
    request = ask(addressed.henry)
    with django_capture_on_commit_callbacks(execute=True):
        rules.perform(addressed.iam_admin, services.deny_request, request=request, reason="Ask the web team.")
    [message] = mail.outbox
    assert (message.to, message.subject) == (["henry@example.org"], f"Your access request {request.pk} is denied")
    assert "Reason: Ask the web team." in message.body


def test_the_holder_is_told_once_before_the_grant_ends(addressed, django_capture_on_commit_callbacks):
    request = ask(addressed.henry)
    rules.perform(addressed.iam_admin, services.approve_request, request=request)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_access", stdout=StringIO())
        call_command("expire_access", stdout=StringIO())
    [message] = mail.outbox
    assert (message.to, message.subject) == (["henry@example.org"], f"Your access from request {request.pk} ends soon")


def test_a_failing_mail_server_blocks_no_decision(addressed, settings, caplog, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.access.test_notices.FailingBackend"
    request = ask(addressed.henry)
    with caplog.at_level(logging.WARNING, logger="access.notices"), django_capture_on_commit_callbacks(execute=True):
        rules.perform(addressed.iam_admin, services.approve_request, request=request)
    assert AccessRequest.objects.get(pk=request.pk).state == AccessRequest.State.APPROVED
    assert "could not be sent" in caplog.text


def test_approvers_bound_by_a_condition_on_the_request_are_told_only_of_what_they_may_decide(
    addressed, django_capture_on_commit_callbacks
):
    """oliver may approve Operations membership only, james Developers membership only: both by a
    condition on iamconsole:RequestedGroup, which who-can must decide with the request's keys."""
    operations = Group.objects.get(group_name="Operations")
    developers = Group.objects.get(group_name="Developers")
    for user, group in ((addressed.oliver, operations), (addressed.james, developers)):
        condition = {"StringEquals": {"iamconsole:RequestedGroup": group.arn}}
        approving = statement("Allow", "iamconsole:ApproveAccessRequest", "*", Condition=condition)
        policy_services.put_inline_policy(
            identity=user, policy_name="ApproveOneGroup", document=document(approving), actor=None
        )
    identity_services.update_user(user=addressed.james, contact_email="james@example.org", actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        request = rules.perform(
            addressed.henry,
            services.create_request,
            kind="group",
            group=operations,
            justification="On call this week.",
            duration=3600,
        )
    assert [user.username for user in queries.possible_approvers(request)] == ["iam-admin", "oliver"]
    [message] = mail.outbox
    assert sorted(message.to) == ["iam-admin@example.org", "oliver@example.org"]


def test_approvers_bound_by_a_condition_on_the_requested_action_are_told_only_of_it(
    addressed, django_capture_on_commit_callbacks
):
    for user, action in ((addressed.oliver, "storage:PutObject"), (addressed.james, "storage:DeleteObject")):
        condition = {"StringEquals": {"iamconsole:RequestedAction": action}}
        approving = statement("Allow", "iamconsole:ApproveAccessRequest", "*", Condition=condition)
        policy_services.put_inline_policy(
            identity=user, policy_name="ApproveOneAction", document=document(approving), actor=None
        )
    identity_services.update_user(user=addressed.james, contact_email="james@example.org", actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        ask(addressed.henry)  # storage:PutObject
    [message] = mail.outbox
    assert sorted(message.to) == ["iam-admin@example.org", "oliver@example.org"]
