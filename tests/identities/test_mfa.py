"""Virtual MFA devices: enrolment with a code, the sign-in's second step, MFA in policies."""

from datetime import timedelta

import pytest
from django.urls import reverse

from identities import mfa, services
from identities.audit import AuditEvent
from identities.context import RequestContext
from identities.models import User
from tests import factories
from tests.admin_forms import admin_form_data
from tests.identities.signin_helpers import START, Clock, code_for, enrolled_device, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


MFA_ARN = "arn:aws:iam::123456789012:mfa/mia"


@pytest.fixture
def self_service(builtins, mia):
    from policies import services as policy_services
    from policies.models import ManagedPolicy

    policy = ManagedPolicy.objects.get(policy_name="SelfService")
    policy_services.attach_policy(policy=policy, identity=mia, actor=None)
    return policy


@pytest.fixture
def builtins(db):
    from policies import authorization
    from policies.builtins import load_builtins

    load_builtins()
    authorization.clear_caches()


def allow_with_mfa(user, action: str) -> None:
    from policies import services as policy_services

    statement = {
        "Effect": "Allow",
        "Action": action,
        "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    policy_services.put_inline_policy(identity=user, policy_name="NeedsMFA", document=document, actor=None)


def test_the_context_carries_mfa_presence_and_age():
    without = RequestContext(source_ip=None, secure_transport=True, time=START)
    assert without.condition_keys()["aws:MultiFactorAuthPresent"] == "false"
    assert "aws:MultiFactorAuthAge" not in without.condition_keys()
    verified = RequestContext(
        source_ip=None,
        secure_transport=True,
        time=START,
        mfa_present=True,
        mfa_authenticated_at=START - timedelta(minutes=5),
    )
    assert verified.condition_keys()["aws:MultiFactorAuthPresent"] == "true"
    assert verified.condition_keys()["aws:MultiFactorAuthAge"] == "300"


def test_enrolment_creates_a_device_that_counts_only_after_a_right_code(client, mia, self_service):
    client.force_login(mia)
    assert client.post(reverse("identities:mfa-create")).url == reverse("identities:mfa-enrol")
    device = mfa.pending_device(mia)
    page = client.get(reverse("identities:mfa-enrol"))
    assert b"<svg" in page.content and mfa.secret_text(device).encode() in page.content
    assert mfa.confirmed_device(mia) is None
    wrong = client.post(
        reverse("identities:mfa-enrol"), {"code": "000000" if code_for(device) != "000000" else "111111"}
    )
    assert wrong.context["form"].errors["code"] == ["That code is not right. Enter the code your app shows now."]
    assert mfa.confirmed_device(mia) is None
    client.post(reverse("identities:mfa-enrol"), {"code": code_for(device)})
    assert mfa.confirmed_device(mia) == device
    events = list(
        AuditEvent.objects.filter(event_name__in=["CreateVirtualMFADevice", "EnableMFADevice"]).order_by("id")
    )
    assert [(event.event_name, event.target_arn, event.actor_arn) for event in events] == [
        ("CreateVirtualMFADevice", MFA_ARN, mia.arn),
        ("EnableMFADevice", MFA_ARN, mia.arn),
    ]
    assert "key" not in str([(event.before, event.after) for event in events]).lower()


def test_enrolment_is_refused_without_the_iam_actions(client, mia):
    client.force_login(mia)
    assert client.post(reverse("identities:mfa-create")).status_code == 403
    assert not mfa.TOTPDevice.objects.exists()
    refusals = AuditEvent.objects.filter(event_name="CreateVirtualMFADevice")
    assert list(refusals.values_list("outcome", flat=True)) == [AuditEvent.Outcome.DENIED]
    assert b"do not let you create one" in client.get(reverse("identities:mfa-enrol")).content


def test_a_second_device_is_refused_while_one_is_enabled(mia):
    enrolled_device(mia)
    with pytest.raises(Exception, match="already has an MFA device"):
        services.create_virtual_mfa_device(user=mia, actor=mia)
    assert mfa.TOTPDevice.objects.filter(user=mia).count() == 1


def test_sign_in_asks_for_the_code_when_the_user_has_a_device(client, mia):
    device = enrolled_device(mia)
    response = sign_in(client, "mia")
    assert response.url == reverse("identities:mfa-verify")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302
    wrong = client.post(reverse("identities:mfa-verify"), {"code": "12345"})
    assert wrong.context["form"].errors["code"] == ["Enter the 6 digits your authenticator app shows."]
    response = client.post(reverse("identities:mfa-verify"), {"code": code_for(device)})
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(mia.pk)
    event = AuditEvent.objects.filter(event_name="ConsoleLogin").latest("id")
    assert (event.outcome, event.after) == ("Success", {"mfa_used": True})


def test_a_wrong_code_keeps_the_user_out_and_is_recorded(client, mia):
    device = enrolled_device(mia)
    sign_in(client, "mia")
    wrong = "000000" if code_for(device) != "000000" else "111111"
    response = client.post(reverse("identities:mfa-verify"), {"code": wrong})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(event_name="ConsoleLogin")
    assert (event.outcome, event.actor_arn, event.after) == (
        "Failure",
        mia.arn,
        {"mfa_used": True, "reason": "Wrong MFA code"},
    )
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_the_code_step_expires(client, clock, mia):
    device = enrolled_device(mia)
    sign_in(client, "mia")
    clock.advance(minutes=6)
    assert client.post(reverse("identities:mfa-verify"), {"code": code_for(device)}).url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_a_sign_in_waiting_for_its_code_ends_when_an_administrator_sets_a_new_password(client, mia, root):
    device = enrolled_device(mia)
    sign_in(client, "mia")
    services.set_password(user=mia, password="set-by-root-1", actor=root)
    assert client.post(reverse("identities:mfa-verify"), {"code": code_for(device)}).url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_the_code_step_needs_the_password_step_first(client, mia):
    enrolled_device(mia)
    assert client.get(reverse("identities:mfa-verify")).url == reverse("login")


def test_a_user_required_to_use_mfa_is_sent_to_enrolment_first(client, mia, root, self_service):
    services.set_mfa_required(user=mia, required=True, actor=root)
    sign_in(client, "mia")
    assert client.get(reverse("home")).url == reverse("identities:mfa-enrol")
    client.post(reverse("identities:mfa-create"))
    client.post(reverse("identities:mfa-enrol"), {"code": code_for(mfa.pending_device(mia))})
    assert client.get(reverse("home")).status_code == 200


def test_a_policy_requiring_mfa_denies_without_it_and_allows_after_a_code(client, mia):
    allow_with_mfa(mia, "iam:ListUsers")
    sign_in(client, "mia")
    assert client.get(reverse("admin:identities_user_changelist")).status_code == 403
    client.post(reverse("logout"))
    device = enrolled_device(mia)
    sign_in(client, "mia")
    client.post(reverse("identities:mfa-verify"), {"code": code_for(device)})
    assert client.get(reverse("admin:identities_user_changelist")).status_code == 200


def test_multi_factor_auth_age_grows_from_the_verified_code(client, clock, mia):
    from policies import services as policy_services

    statement = {
        "Effect": "Allow",
        "Action": "iam:ListUsers",
        "Resource": "*",
        "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "600"}},
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    policy_services.put_inline_policy(identity=mia, policy_name="RecentMFA", document=document, actor=None)
    device = enrolled_device(mia)
    sign_in(client, "mia")
    client.post(reverse("identities:mfa-verify"), {"code": code_for(device)})
    assert client.get(reverse("admin:identities_user_changelist")).status_code == 200
    clock.advance(seconds=601)
    assert client.get(reverse("admin:identities_user_changelist")).status_code == 403


def test_a_user_removes_their_own_device_only_in_a_session_signed_in_with_mfa(client, mia, self_service):
    device = enrolled_device(mia)
    client.force_login(mia)
    assert client.post(reverse("identities:mfa-remove")).status_code == 403
    client.post(reverse("logout"))
    sign_in(client, "mia")
    client.post(reverse("identities:mfa-verify"), {"code": code_for(device)})
    assert client.post(reverse("identities:mfa-remove")).url == reverse("identities:mfa-enrol")
    assert not mfa.TOTPDevice.objects.filter(user=mia).exists()
    assert AuditEvent.objects.get(event_name="DeactivateMFADevice").target_arn == MFA_ARN


def test_an_administrator_removes_a_lost_device_in_the_admin(root_client, mia):
    enrolled_device(mia)
    url = reverse("admin:identities_user_change", args=[mia.pk])
    assert b"Remove the MFA device" in root_client.get(url).content
    fields = {"username": "mia", "path": "/", "tags": "", "is_active": "on", "remove_mfa_device": "on"}
    assert root_client.post(url, admin_form_data(root_client, url, fields)).status_code == 302
    assert not mfa.TOTPDevice.objects.filter(user=mia).exists()
    event = AuditEvent.objects.get(event_name="DeactivateMFADevice")
    assert (event.actor_arn, event.target_arn) == (User.objects.get(is_superuser=True).arn, MFA_ARN)


def test_the_admin_sets_mfa_and_password_reset_requirements_through_services(root_client, mia):
    url = reverse("admin:identities_user_change", args=[mia.pk])
    fields = {"username": "mia", "path": "/", "tags": "", "is_active": "on"}
    fields |= {"mfa_required": "on", "password_reset_required": "on"}
    assert root_client.post(url, admin_form_data(root_client, url, fields)).status_code == 302
    mia.refresh_from_db()
    assert (mia.mfa_required, mia.password_reset_required) == (True, True)
    events = set(AuditEvent.objects.values_list("event_name", flat=True))
    assert {"UpdateUser", "UpdateLoginProfile"} <= events


def test_without_update_user_an_administrator_cannot_require_mfa(client, mia, people):
    from policies import services as policy_services

    oliver = people["oliver"]
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:ListUsers", "iam:GetUser", "iam:TagUser"], "Resource": "*"}],
    }
    policy_services.put_inline_policy(identity=oliver, policy_name="Tagger", document=document, actor=None)
    client.force_login(oliver)
    page = client.get(reverse("admin:identities_user_change", args=[mia.pk]))
    assert 'name="mfa_required"' not in page.content.decode()
    assert 'name="password_reset_required"' not in page.content.decode()


def test_a_device_secret_never_reaches_the_trail(mia):
    device = services.create_virtual_mfa_device(user=mia, actor=mia)
    services.enable_mfa_device(device=device, code=code_for(device), actor=mia)
    trail = str(list(AuditEvent.objects.values_list("before", "after", "target_arn")))
    assert device.key not in trail and mfa.secret_text(device).replace(" ", "") not in trail
    assert factories.TEST_PASSWORD not in trail
