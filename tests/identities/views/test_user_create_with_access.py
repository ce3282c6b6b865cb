"""The console's create-user page with everything a user starts with: a password (typed or
generated, to be changed at the first sign-in), groups and a permission boundary, asked of
the rule table before anything is created and created in one transaction; and "require MFA"
on the edit page."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from identities import services
from identities.audit import AuditEvent
from identities.models import Membership, User
from identities.templatetags.console_tags import arn as wrapped_arn
from identities.views.passwords import NEW_PASSWORD_SESSION_KEY
from policies import services as policy_services
from policies.models import ManagedPolicy, PermissionBoundary
from tests.clients import client_for, signed_in
from tests.documents import document, statement
from tests.identities.views.helpers import state, url, user

pytestmark = pytest.mark.django_db

PASSWORD = "a-first-password-77"


def creation(**extra) -> dict:
    return {"username": "nora", "path": "/", "is_active": "on"} | extra


def created_with() -> tuple:
    nora = user("nora")
    groups = sorted(Membership.objects.filter(user=nora).values_list("group__group_name", flat=True))
    boundary = PermissionBoundary.objects.filter(user=nora).values_list("policy__policy_name", flat=True).first()
    return groups, boundary, nora.password_reset_required


def everything() -> tuple:
    return state(), PermissionBoundary.objects.count()


def test_a_user_is_created_with_groups_a_boundary_and_a_password_to_change(org):
    fence = ManagedPolicy.objects.get(policy_name="ReadOnlyAccess")
    data = creation(
        password_choice="typed",
        console_password=PASSWORD,
        password_reset_required="on",
        groups="Developers, operations",
        boundary=fence.pk,
    )
    response = client_for("iam-admin").post(url("user-create"), data)
    nora = user("nora")
    assert response.status_code == 302 and response["Location"] == url("user-detail", nora.pk)
    assert created_with() == (["Developers", "Operations"], "ReadOnlyAccess", True)
    assert nora.check_password(PASSWORD)
    events = AuditEvent.objects.filter(actor_arn=org.iam_admin.arn, outcome=AuditEvent.Outcome.SUCCESS)
    names = sorted(events.values_list("event_name", flat=True))
    assert names == ["AddUserToGroup", "AddUserToGroup", "AttachUserPolicy", "CreateUser", "PutUserPermissionsBoundary"]


def test_a_generated_password_is_shown_once_after_the_creation(org):
    client = client_for("iam-admin")
    response = client.post(url("user-create"), creation(password_choice="generated", password_reset_required="on"))
    nora = user("nora")
    assert response.status_code == 303 and response["Location"] == url("user-password", nora.pk)
    held = client.session[NEW_PASSWORD_SESSION_KEY]["password"]
    assert nora.check_password(held) and nora.password_reset_required
    shown = client.get(response["Location"])
    assert escape(held) in shown.content.decode() and "no-store" in shown["Cache-Control"]
    assert escape(held) not in client.get(response["Location"]).content.decode()


def test_a_creator_who_may_not_read_users_still_sees_the_password_it_was_given_once(org):
    """May create users with a password but not read them (no iam:GetUser): the generated
    password must not be lost behind a 404; a second look finds nothing."""
    person = services.create_user(username="enroller", actor=None)
    rights = document(statement("Allow", ["iam:CreateUser", "iam:CreateLoginProfile", "iam:ListUsers"]))
    policy_services.put_inline_policy(identity=person, policy_name="Enrolling", document=rights, actor=None)
    client = signed_in(person)
    response = client.post(url("user-create"), creation(password_choice="generated"))
    assert response.status_code == 303
    held = client.session[NEW_PASSWORD_SESSION_KEY]["password"]
    shown = client.get(response["Location"])
    assert shown.status_code == 200 and escape(held) in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert client.get(response["Location"]).status_code == 404


def test_no_password_chosen_creates_a_user_for_access_keys_only(org):
    client_for("iam-admin").post(url("user-create"), creation(password_choice="none", password_reset_required="on"))
    nora = user("nora")
    assert (nora.has_usable_password(), nora.password_reset_required) == (False, False)


def test_a_refusal_after_the_user_is_written_leaves_nothing_created(org, settings):
    """The boundary is set last: when that fails, the user, its groups and their records go too."""
    settings.IAM_SET_PERMISSIONS_BOUNDARY = f"{__name__}.refuse_boundary"
    before = everything()
    fence = ManagedPolicy.objects.get(policy_name="ReadOnlyAccess")
    data = creation(password_choice="typed", console_password=PASSWORD, groups="Developers", boundary=fence.pk)
    response = client_for("iam-admin").post(url("user-create"), data)
    assert response.status_code == 200 and "boundary refused for the test" in response.content.decode()
    assert everything() == before and not User.objects.filter(username="nora").exists()


def refuse_boundary(**_):
    raise ValidationError("boundary refused for the test")


def test_an_unknown_group_is_explained_and_nothing_is_created(org):
    before = everything()
    response = client_for("iam-admin").post(url("user-create"), creation(groups="Developers, Nobodies"))
    assert response.status_code == 200 and "No such group: Nobodies." in response.content.decode()
    typed = client_for("iam-admin").post(url("user-create"), creation(password_choice="typed"))
    assert "Type the password" in typed.content.decode()
    short = client_for("iam-admin").post(url("user-create"), creation(password_choice="typed", console_password="abc"))
    assert "The password must be at least 8 characters long." in short.context["form"].errors["console_password"]
    assert everything() == before


@pytest.fixture
def onboarder(org):
    """May create users only under the HRFence boundary, with a password, and add them to Developers only."""
    fence, _ = policy_services.create_policy(policy_name="HRFence", document=document(statement("Allow")), actor=None)
    under_fence = {"StringEquals": {"iam:PermissionsBoundary": fence.arn}}
    person = services.create_user(username="onboarder", actor=None)
    rights = document(
        statement("Allow", ["iam:CreateUser", "iam:PutUserPermissionsBoundary"], condition=under_fence),
        statement("Allow", ["iam:CreateLoginProfile", "iam:GetUser", "iam:ListUsers", "iam:ListGroups"]),
        statement("Allow", "iam:AddUserToGroup", org.groups["Developers"].arn),
    )
    policy_services.put_inline_policy(identity=person, policy_name="Onboarding", document=rights, actor=None)
    return signed_in(person), fence


def test_every_action_of_the_creation_is_asked_before_anything_is_created(onboarder, org):
    client, fence = onboarder
    before = everything()
    unbounded = client.post(url("user-create"), creation(groups="Developers"))
    assert unbounded.status_code == 403 and "iam:CreateUser" in unbounded.content.decode()
    other_group = client.post(url("user-create"), creation(groups="Developers, Operations", boundary=fence.pk))
    assert other_group.status_code == 403 and "iam:AddUserToGroup" in other_group.content.decode()
    assert wrapped_arn(org.groups["Operations"].arn) in other_group.content.decode()
    assert everything() == before
    allowed = client.post(url("user-create"), creation(groups="Developers", boundary=fence.pk))
    assert allowed.status_code == 302 and created_with() == (["Developers"], "HRFence", False)


def test_mfa_is_required_at_creation_only_by_whom_iam_update_user_allows(onboarder, org):
    client, fence = onboarder
    before = everything()
    refused = client.post(url("user-create"), creation(boundary=fence.pk, mfa_required="on"))
    assert refused.status_code == 403 and "iam:UpdateUser" in refused.content.decode()
    assert everything() == before
    response = client_for("iam-admin").post(url("user-create"), creation(mfa_required="on"))
    assert response.status_code == 302 and user("nora").mfa_required is True
    event = AuditEvent.objects.get(event_name="UpdateUser", target_arn=user("nora").arn)
    assert event.after == {"mfa_required": True} and event.actor_arn == org.iam_admin.arn


def test_the_administrator_requires_mfa_on_the_edit_page(org):
    data = {"username": "mia", "path": "/", "is_active": "on", "mfa_required": "on"}
    response = client_for("iam-admin").post(url("user-edit", org.mia.pk), data)
    assert response.status_code == 302 and user("mia").mfa_required is True
    event = AuditEvent.objects.get(event_name="UpdateUser", after__mfa_required=True)
    assert event.before == {"mfa_required": False}
    client_for("iam-admin").post(url("user-edit", org.mia.pk), data | {"mfa_required": ""})
    assert user("mia").mfa_required is False


def test_requiring_mfa_needs_update_user(org):
    data = {"username": "mia", "path": "/", "is_active": "on", "mfa_required": "on"}
    assert client_for("charles").post(url("user-edit", org.mia.pk), data).status_code == 403
    assert user("mia").mfa_required is False


def _page_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_create_page_costs_the_same_queries_with_more_policies_and_groups(org):
    client = client_for("iam-admin")
    client.get(url("user-create"))
    counts = []
    for batch in range(2):
        for number in range(10 * batch, 10 * batch + 10):
            policy_services.create_policy(
                policy_name=f"Fence{number}", document=document(statement("Allow")), actor=None
            )
            services.create_group(group_name=f"Team{number}", actor=None)
        counts.append(_page_queries(client, url("user-create")))
    assert counts[0] == counts[1]
