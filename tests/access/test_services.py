"""Asking for access, deciding, granting and taking back, through the rule table as every entry
point does. Personas from tests/conftest.py's `org`: henry is in no group; iam-admin holds
every IAM action; oliver holds nothing that decides a request."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from access import services
from access.models import AccessLimit, AccessRequest
from identities import rules
from identities import services as identity_services
from identities.audit import AuditEvent
from identities.models import Group, Membership, RoleAssignment
from policies import authorization
from policies import services as policy_services
from policies.engine import Outcome
from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment
from tests.documents import document, statement

pytestmark = pytest.mark.django_db

OBJECT = "arn:aws:storage:::public-site/index.html"
State = AccessRequest.State


def ask(user, **fields) -> AccessRequest:
    fields = {"justification": "The front page has a typo.", "duration": 3600} | fields
    if "role" not in fields and "group" not in fields:
        fields = {"kind": "permission", "actions": ["storage:PutObject"], "resources": [OBJECT]} | fields
    return rules.perform(user, services.create_request, **fields)


def approve(user, request, **fields) -> AccessRequest:
    return rules.perform(user, services.approve_request, request=request, **fields)


def decision(user, action="storage:PutObject", resource=OBJECT) -> Outcome:
    return authorization.decide(authorization.layers_of(user), action, resource).outcome


def events_of(request) -> list[str]:
    return list(AuditEvent.objects.filter(target_arn=request.arn).order_by("id").values_list("event_name", flat=True))


def allow_approving(user, resource="*", **condition) -> None:
    """An inline policy allowing iamconsole:ApproveAccessRequest (with an optional condition)."""
    extra = {"Condition": condition} if condition else {}
    policy_services.put_inline_policy(
        identity=user,
        policy_name="ApproveRequests",
        document=document(statement("Allow", "iamconsole:ApproveAccessRequest", resource, **extra)),
        actor=None,
    )


def later(monkeypatch, **delta):
    moment = timezone.now() + timedelta(**delta)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def test_a_granted_statement_ends_by_itself_and_expire_access_removes_it(org, monkeypatch):
    assert decision(org.henry) is Outcome.IMPLICIT_DENY
    request = ask(org.henry)
    assert request.state == State.PENDING and request.requested_as == org.henry.arn
    approve(org.iam_admin, request)
    request.refresh_from_db()
    policy = request.granted_policy
    assert (request.state, policy.policy_name, policy.path) == (
        State.APPROVED,
        f"AccessRequest{request.pk}",
        "/access-requests/",
    )
    assert PolicyAttachment.objects.filter(policy=policy, user=org.henry).exists()
    [granted] = policy.versions.get(is_default=True).document["Statement"]
    ends = request.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert granted["Action"] == ["storage:PutObject"] and granted["Resource"] == [OBJECT]
    assert granted["Condition"] == {"DateLessThan": {"aws:CurrentTime": ends}}
    assert decision(org.henry) is Outcome.ALLOW
    assert decision(org.henry, "storage:DeleteObject") is Outcome.IMPLICIT_DENY  # exactly what was asked
    later(monkeypatch, hours=1, seconds=1)
    assert decision(org.henry) is Outcome.IMPLICIT_DENY  # warm caches, no command run
    call_command("expire_access", stdout=StringIO())
    request.refresh_from_db()
    assert request.state == State.ENDED and request.granted_policy is None
    assert not ManagedPolicy.objects.filter(pk=policy.pk).exists()
    assert events_of(request) == ["CreateAccessRequest", "ApproveAccessRequest", "EndAccessRequest"]
    removed = AuditEvent.objects.get(target_arn=request.arn, event_name="EndAccessRequest").after["removed"]
    assert removed == [policy.arn]
    assert AuditEvent.objects.filter(event_name="DeletePolicy", target_arn=policy.arn).count() == 1
    count = AuditEvent.objects.count()
    call_command("expire_access", stdout=StringIO())
    assert AuditEvent.objects.count() == count  # idempotent


def test_the_grant_is_a_managed_policy_not_an_inline_one(org):
    approve(org.iam_admin, ask(org.henry))
    assert not InlinePolicy.objects.filter(user=org.henry).exists()
    assert PolicyAttachment.objects.filter(user=org.henry, policy__path="/access-requests/").count() == 1


def test_no_one_approves_their_own_request(org):
    request = ask(org.iam_admin, role=org.roles["AuditReviewer"], kind="role")
    with pytest.raises(PermissionDenied, match="No one decides their own access request"):
        approve(org.iam_admin, request)
    with pytest.raises(PermissionDenied, match="No one decides their own access request"):
        rules.perform(org.iam_admin, services.deny_request, request=request, reason="no")
    request.refresh_from_db()
    assert request.state == State.PENDING and not request.approvals.exists()


def test_an_approver_without_the_right_is_refused(org):
    request = ask(org.henry)
    with pytest.raises(rules.Refused, match="iamconsole:ApproveAccessRequest|iam:CreatePolicy"):
        approve(org.oliver, request)
    request.refresh_from_db()
    assert request.state == State.PENDING and request.granted_policy is None
    assert decision(org.henry) is Outcome.IMPLICIT_DENY


def test_approve_access_request_is_decided_on_each_action_and_resource(org):
    allow_approving(
        org.lucas, "arn:aws:storage:::public-site/*", StringEquals={"iamconsole:RequestedAction": "storage:PutObject"}
    )
    put = ask(org.henry)
    delete = ask(org.henry, actions=["storage:DeleteObject"])
    both = ask(org.henry, actions=["storage:PutObject", "storage:GetObject"], resources=[OBJECT])
    with pytest.raises(rules.Refused):
        approve(org.lucas, delete)
    with pytest.raises(rules.Refused):
        approve(org.lucas, both)
    approve(org.lucas, put)
    assert decision(org.henry) is Outcome.ALLOW


def test_approve_access_request_on_a_role_uses_its_key(org):
    reviewer = org.roles["AuditReviewer"]
    allow_approving(org.james, StringEquals={"iamconsole:RequestedRole": reviewer.arn})
    request = ask(org.henry, kind="role", role=reviewer)
    other = ask(org.henry, kind="role", role=org.roles["ReleaseManager"])
    with pytest.raises(rules.Refused):
        approve(org.james, other)
    approve(org.james, request)
    assignment = RoleAssignment.objects.get(role=reviewer, user=org.henry)
    request.refresh_from_db()
    assert request.granted_assignment == assignment and assignment.expires_at == request.expires_at


def test_two_approvals_need_two_people(org, settings):
    settings.IAM_ACCESS_APPROVALS = 2
    allow_approving(org.lucas)
    request = ask(org.henry)
    approve(org.iam_admin, request)
    request.refresh_from_db()
    assert request.state == State.PENDING and request.granted_policy is None
    assert decision(org.henry) is Outcome.IMPLICIT_DENY
    with pytest.raises(ValidationError, match="already approved"):
        approve(org.iam_admin, request)
    approve(org.lucas, request)
    request.refresh_from_db()
    assert request.state == State.APPROVED and request.approvals.count() == 2
    assert decision(org.henry) is Outcome.ALLOW


def test_a_roles_own_limits_are_stricter_than_the_accounts(org):
    reviewer = org.roles["AuditReviewer"]
    AccessLimit.objects.create(role=reviewer, max_duration=1800, approvals=2)
    with pytest.raises(ValidationError, match="At most 30 minutes"):
        ask(org.henry, kind="role", role=reviewer)
    request = ask(org.henry, kind="role", role=reviewer, duration=1800)
    approve(org.iam_admin, request)
    request.refresh_from_db()
    assert request.state == State.PENDING


def test_an_approver_may_shorten_never_lengthen(org):
    request = ask(org.henry)
    with pytest.raises(ValidationError, match="never lengthen"):
        approve(org.iam_admin, request, duration=7200)
    approve(org.iam_admin, request, duration=600)
    request.refresh_from_db()
    assert request.duration == 600
    assert request.expires_at - request.decided_at == timedelta(seconds=600)


def test_a_denied_request_grants_nothing(org):
    request = ask(org.henry)
    with pytest.raises(ValidationError, match="Say why"):
        rules.perform(org.iam_admin, services.deny_request, request=request, reason=" ")
    rules.perform(org.iam_admin, services.deny_request, request=request, reason="Ask the web team.")
    request.refresh_from_db()
    assert (request.state, request.reason) == (State.DENIED, "Ask the web team.")
    with pytest.raises(ValidationError, match="denied"):
        approve(org.iam_admin, request)
    assert decision(org.henry) is Outcome.IMPLICIT_DENY
    assert events_of(request) == ["CreateAccessRequest", "DenyAccessRequest"]


def test_an_undecided_request_expires_and_grants_nothing(org, monkeypatch):
    request = ask(org.henry)
    later(monkeypatch, hours=72, seconds=1)
    with pytest.raises(ValidationError, match="expired"):
        approve(org.iam_admin, request)
    call_command("expire_access", stdout=StringIO())
    request.refresh_from_db()
    assert request.state == State.EXPIRED
    assert decision(org.henry) is Outcome.IMPLICIT_DENY
    assert events_of(request) == ["CreateAccessRequest", "ExpireAccessRequest"]


def test_the_requester_cancels_and_no_one_else(org):
    request = ask(org.henry)
    with pytest.raises(PermissionDenied):
        rules.perform(org.iam_admin, services.cancel_request, request=request)
    rules.perform(org.henry, services.cancel_request, request=request)
    request.refresh_from_db()
    assert request.state == State.CANCELLED
    assert events_of(request) == ["CreateAccessRequest", "CancelAccessRequest"]


def test_the_holder_ends_early_and_an_approver_revokes(org):
    first = ask(org.henry)
    approve(org.iam_admin, first)
    with pytest.raises(PermissionDenied):
        rules.perform(org.iam_admin, services.end_grant, request=first)
    rules.perform(org.henry, services.end_grant, request=first)
    assert decision(org.henry) is Outcome.IMPLICIT_DENY
    second = ask(org.henry, kind="role", role=org.roles["AuditReviewer"])
    approve(org.iam_admin, second)
    with pytest.raises(rules.Refused):
        rules.perform(org.oliver, services.revoke_grant, request=second, reason="no")
    rules.perform(org.iam_admin, services.revoke_grant, request=second, reason="Audit done.")
    assert not RoleAssignment.objects.filter(user=org.henry, role=org.roles["AuditReviewer"]).exists()
    states = AccessRequest.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk").values_list("state", flat=True)
    assert list(states) == [State.ENDED, State.REVOKED]
    assert events_of(second)[-1] == "RevokeAccessRequest"


def test_duplicates_and_too_many_open_requests_are_refused(org, settings):
    request = ask(org.henry)
    with pytest.raises(ValidationError, match=f"request {request.pk} is open"):
        ask(org.henry)
    approve(org.iam_admin, request)
    with pytest.raises(ValidationError, match=f"request {request.pk} granted it"):
        ask(org.henry)
    with pytest.raises(ValidationError, match="already assigned ReleaseManager"):
        ask(org.mia, kind="role", role=org.roles["ReleaseManager"])
    with pytest.raises(ValidationError, match="already allow"):
        ask(org.lucas, actions=["storage:GetObject"])
    settings.IAM_ACCESS_MAX_OPEN_REQUESTS = 1
    ask(org.oliver)
    with pytest.raises(ValidationError, match="1 open requests"):
        ask(org.oliver, actions=["storage:DeleteObject"])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"justification": ""}, "Say why"),
        ({"actions": ["storage:*"]}, "name each one whole"),
        ({"resources": ["public-site"]}, "not a resource ARN"),
        ({"actions": []}, "at least one action"),
        ({"duration": None}, "until revoked is not allowed"),
        ({"duration": 30}, "at least 60"),
        ({"duration": 9 * 3600}, "At most 8 hours"),
        ({"context": {"aws:SourceIp": 5}}, "Context values"),
        ({"kind": "role"}, "Choose the role"),
    ],
)
def test_bad_requests_change_nothing(org, fields, message):
    with pytest.raises(ValidationError, match=message):
        ask(org.henry, **fields)
    assert not AccessRequest.objects.exists()
    assert not AuditEvent.objects.filter(event_name="CreateAccessRequest").exists()


def test_until_revoked_where_the_account_allows_it(org, settings):
    settings.IAM_ACCESS_UNTIL_REVOKED = True
    request = ask(org.henry, duration=None)
    approve(org.iam_admin, request)
    request.refresh_from_db()
    assert request.expires_at is None
    [granted] = request.granted_policy.versions.get(is_default=True).document["Statement"]
    assert "Condition" not in granted


def test_an_approval_that_breaks_an_expectation_is_refused_without_the_override(org):
    policy_services.put_access_expectation(
        definition={
            "name": "henry-never-publishes",
            "principals": {"users": ["henry"]},
            "may": False,
            "actions": ["storage:PutObject"],
            "resources": ["arn:aws:storage:::public-site/*"],
        },
        actor=None,
    )
    allow_approving(org.lucas)
    request = ask(org.henry)
    with pytest.raises(ValidationError, match="henry-never-publishes"):
        approve(org.lucas, request)
    request.refresh_from_db()
    assert (
        request.state == State.PENDING
        and not ManagedPolicy.objects.filter(policy_name__startswith="AccessRequest").exists()
    )
    approve(org.iam_admin, request)  # IAMFullAccess holds iamconsole:OverrideAccessExpectation
    assert AuditEvent.objects.filter(event_name="OverrideAccessExpectation").count() == 1


def test_root_asks_for_nothing(org):
    with pytest.raises(ValidationError, match="root user"):
        ask(org.root)


def test_a_deleted_requester_takes_their_requests_along(org):
    request = ask(org.henry)
    identity_services.delete_user(user=org.henry, actor=None, with_credentials_and_memberships=True, with_policies=True)
    assert not AccessRequest.objects.filter(pk=request.pk).exists()


def test_a_membership_is_granted_for_a_while_and_taken_back_by_source(org, monkeypatch):
    developers = org.groups["Developers"]
    reading = ("storage:GetObject", "arn:aws:storage:::dev-app/report.csv")
    assert decision(org.henry, *reading) is Outcome.IMPLICIT_DENY
    request = ask(org.henry, kind="group", group=developers)
    with pytest.raises(rules.Refused):
        approve(org.oliver, request)
    approve(org.dev_admin, request)  # iam:AddUserToGroup on Developers is the change itself
    membership = Membership.objects.get(user=org.henry, group=developers)
    request.refresh_from_db()
    assert (membership.source, membership.source_ref) == (Membership.Source.ACCESS_REQUEST, request.arn)
    assert membership.expires_at == request.expires_at and request.granted_membership == membership
    assert decision(org.henry, *reading) is Outcome.ALLOW
    with pytest.raises(ValidationError, match="You already hold membership in Developers"):
        ask(org.henry, kind="group", group=developers)
    later(monkeypatch, hours=1, seconds=1)
    assert decision(org.henry, *reading) is Outcome.IMPLICIT_DENY  # no command run
    call_command("expire_access", stdout=StringIO())
    request.refresh_from_db()
    assert request.state == State.ENDED and not Membership.objects.filter(user=org.henry).exists()
    assert events_of(request) == ["CreateAccessRequest", "ApproveAccessRequest", "EndAccessRequest"]
    removed = AuditEvent.objects.filter(event_name="RemoveUserFromGroup", target_arn=developers.arn)
    assert removed.count() == 1 and removed.get().after == {"reason": "expired"}


def test_revoking_a_membership_removes_only_the_requests_own(org):
    operations = org.groups["Operations"]
    request = ask(org.henry, kind="group", group=operations)
    approve(org.iam_admin, request)
    rules.perform(org.iam_admin, services.revoke_grant, request=request, reason="Done.")
    assert list(operations.members.order_by("username").values_list("username", flat=True)) == ["james", "lucas"]
    assert AccessRequest.objects.get(pk=request.pk).state == State.REVOKED


def test_approve_access_request_on_a_group_uses_its_key(org):
    operations = org.groups["Operations"]
    allow_approving(org.lucas, operations.arn, ArnEquals={"iamconsole:RequestedGroup": operations.arn})
    with pytest.raises(rules.Refused):
        approve(org.lucas, ask(org.henry, kind="group", group=org.groups["Developers"]))
    approve(org.lucas, ask(org.henry, kind="group", group=operations))
    assert Membership.objects.filter(user=org.henry, group=operations).exists()


def test_the_requesters_context_values_never_stand_for_the_approvers(org):
    """A request's context values are decided for the requester; the approver's own request keys
    (MFA here) decide the approval."""
    policy_services.put_inline_policy(
        identity=org.lucas,
        policy_name="ApproveWithMFA",
        document=document(
            statement(
                "Allow",
                "iamconsole:ApproveAccessRequest",
                "*",
                Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            )
        ),
        actor=None,
    )
    request = ask(org.henry, context={"aws:MultiFactorAuthPresent": "true"})
    with pytest.raises(rules.Refused):
        approve(org.lucas, request)


def test_no_one_approves_their_own_request_through_a_service_user_whose_keys_they_may_make(org):
    """henry may make access keys for deploy-bot, so a key of the bot may be in his hands: the
    bot's approval of henry's request could be henry's own, and is refused. Without that
    permission, the same approval goes through."""
    bot = identity_services.create_user(username="deploy-bot", actor=None)
    allow_approving(bot)
    keys_of_bot = policy_services.put_inline_policy(
        identity=org.henry,
        policy_name="RunTheBot",
        document=document(statement("Allow", "iam:CreateAccessKey", bot.arn)),
        actor=None,
    )[0]
    request = ask(org.henry)
    with pytest.raises(PermissionDenied, match="may make access keys for deploy-bot"):
        approve(bot, request)
    assert AccessRequest.objects.get(pk=request.pk).state == State.PENDING
    policy_services.delete_inline_policy(inline=keys_of_bot, actor=None)
    assert approve(bot, AccessRequest.objects.get(pk=request.pk)).state == State.APPROVED


def delete_henry(actor, henry) -> None:
    rules.perform(
        actor, identity_services.delete_user, user=henry, with_credentials_and_memberships=True, with_policies=True
    )


def test_deleting_a_requester_deletes_the_policies_of_their_grants_and_ends_their_requests(org):
    granted = ask(org.henry)
    approve(org.iam_admin, granted)
    granted.refresh_from_db()
    policy_arn = granted.granted_policy.arn
    still_open = ask(org.henry, kind="group", group=Group.objects.get(group_name="IAMPublishers"))
    first_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    delete_henry(org.iam_admin, org.henry)
    assert not ManagedPolicy.objects.filter(policy_name__startswith="AccessRequest").exists()
    assert not AccessRequest.objects.filter(pk__in=[granted.pk, still_open.pk]).exists()  # gone with henry
    events = AuditEvent.objects.filter(id__gt=first_event).order_by("id")
    assert [(event.event_name, event.target_arn) for event in events] == [
        ("DetachUserPolicy", org.henry.arn),
        ("DeletePolicy", policy_arn),
        ("EndAccessRequest", granted.arn),
        ("CancelAccessRequest", still_open.arn),
        ("DetachUserPolicy", org.henry.arn),  # SelfService, by the policies app's own hook
        ("DeleteUser", org.henry.arn),
    ]
    assert events[0].before == {"policy": policy_arn}
    ended, cancelled = events[2], events[3]
    assert (ended.after["removed"], ended.after["reason"]) == ([policy_arn], "its requester was deleted")
    assert (cancelled.after["state"], cancelled.after["reason"]) == ("cancelled", "its requester was deleted")


def test_deleting_a_requester_needs_leave_to_delete_their_grants_policy_and_then_changes_nothing(org):
    granted = ask(org.henry)
    approve(org.iam_admin, granted)
    granted.refresh_from_db()
    deleting = statement("Allow", "iam:*")
    keeping = statement("Deny", "iam:DeletePolicy", granted.granted_policy.arn)
    policy_services.put_inline_policy(
        identity=org.lucas, policy_name="AllButThatPolicy", document=document(deleting, keeping), actor=None
    )
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied, match="iam:DeletePolicy"):
        delete_henry(org.lucas, org.henry)
    granted.refresh_from_db()
    assert granted.state == State.APPROVED and granted.granted_policy is not None
    assert AuditEvent.objects.count() == events
