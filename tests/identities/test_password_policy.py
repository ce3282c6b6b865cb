"""The account password policy: each rule, reuse of the last N, expiry and forced changes."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from identities import services
from identities.audit import AuditEvent
from identities.models import User
from identities.passwords import PasswordHistory, PasswordPolicy
from tests import factories
from tests.identities.signin_helpers import START, Clock, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def set_policy(**fields) -> PasswordPolicy:
    return services.update_password_policy(actor=None, **fields)


def refusals(password: str, user=None) -> list[str]:
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password, user)
    except ValidationError as error:
        return error.messages
    return []


def test_without_a_stored_policy_passwords_need_eight_characters():
    assert PasswordPolicy.objects.count() == 0
    assert refusals("Short7!") == ["The password must be at least 8 characters long."]
    assert refusals("long-enough-words") == []


@pytest.mark.parametrize(
    ("rule", "refused", "accepted", "message"),
    [
        ({"minimum_length": 12}, "eleven-char", "twelve-chars", "The password must be at least 12 characters long."),
        (
            {"require_uppercase": True},
            "all-lower-case",
            "one-Upper-case",
            "The password must contain at least one uppercase letter (A–Z).",
        ),
        (
            {"require_lowercase": True},
            "ALL-UPPER-CASE",
            "ONE-lOWER-CASE",
            "The password must contain at least one lowercase letter (a–z).",
        ),
        (
            {"require_numbers": True},
            "no-digits-here",
            "one-digit-9-here",
            "The password must contain at least one number (0–9).",
        ),
        (
            {"require_symbols": True},
            "nosymbolsatall",
            "one symbol!",
            "The password must contain at least one symbol (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ').",
        ),
    ],
)
def test_each_rule_refuses_what_it_names_and_accepts_the_rest(rule, refused, accepted, message):
    set_policy(**rule)
    assert refusals(refused) == [message]
    assert refusals(accepted) == []


def test_every_password_set_is_checked_creating_a_user_included():
    set_policy(minimum_length=10, require_numbers=True)
    with pytest.raises(ValidationError) as refused:
        services.create_user(username="mia", password="short", actor=None)
    assert refused.value.messages == [
        "The password must be at least 10 characters long.",
        "The password must contain at least one number (0–9).",
    ]
    assert not User.objects.filter(username="mia").exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"minimum_length": 5},
        {"minimum_length": 129},
        {"max_age_days": 0},
        {"max_age_days": 1096},
        {"reuse_prevention": 0},
        {"reuse_prevention": 25},
        {"no_such_setting": 1},
    ],
)
def test_a_policy_out_of_range_is_refused_and_changes_nothing(fields):
    set_policy(minimum_length=9)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        set_policy(**fields)
    assert PasswordPolicy.current().minimum_length == 9
    assert (PasswordPolicy.current().max_age_days, PasswordPolicy.current().reuse_prevention) == (None, None)
    assert AuditEvent.objects.count() == events


def test_updating_the_policy_is_audited_with_before_and_after():
    set_policy(minimum_length=14, reuse_prevention=5, max_age_days=90)
    event = AuditEvent.objects.get(event_name="UpdateAccountPasswordPolicy")
    assert (event.before["minimum_length"], event.after["minimum_length"]) == (8, 14)
    assert (event.after["reuse_prevention"], event.after["max_age_days"]) == (5, 90)


def test_the_last_n_passwords_cannot_be_reused_and_older_ones_can():
    set_policy(reuse_prevention=2)
    mia = services.create_user(username="mia", password="first-password", actor=None)
    services.set_password(user=mia, password="second-password", actor=mia)
    services.set_password(user=mia, password="third-password", actor=mia)
    for recent in ("third-password", "second-password"):
        with pytest.raises(ValidationError) as refused:
            services.set_password(user=mia, password=recent, actor=mia)
        assert refused.value.messages == ["The password must not be one of your last 2 passwords."]
    mia.refresh_from_db()
    assert mia.check_password("third-password") is True
    services.set_password(user=mia, password="first-password", actor=mia)
    assert User.objects.get(pk=mia.pk).check_password("first-password") is True


def test_the_history_keeps_hashes_never_passwords():
    mia = services.create_user(username="mia", password="first-password", actor=None)
    services.set_password(user=mia, password="second-password", actor=mia)
    stored = list(PasswordHistory.objects.filter(user=mia).values_list("password", flat=True))
    assert len(stored) == 2
    assert all(value.startswith("md5$") for value in stored)  # the test settings' hasher
    assert not any("password" in value for value in stored)
    assert "first-password" not in str(list(AuditEvent.objects.values_list("before", "after")))


def test_the_history_is_trimmed_to_the_most_a_policy_can_ask():
    mia = services.create_user(username="mia", password="password-00", actor=None)
    for number in range(1, 30):
        services.set_password(user=mia, password=f"password-{number:02d}", actor=mia)
    assert PasswordHistory.objects.filter(user=mia).count() == services.PASSWORD_HISTORY_KEPT == 24


def test_a_password_older_than_the_maximum_age_must_be_changed_right_after_sign_in(client, clock, mia):
    set_policy(max_age_days=30)
    User.objects.filter(pk=mia.pk).update(password_changed_at=START - timedelta(days=31))
    response = sign_in(client, "mia")
    assert response.status_code == 302
    change = reverse("identities:password-change")
    assert client.get(reverse("home")).url == change
    assert client.get(reverse("identities:account")).url == change
    page = client.get(change)
    assert page.status_code == 200 and b"Your password has expired" in page.content
    response = client.post(
        change,
        {
            "current_password": factories.TEST_PASSWORD,
            "new_password": "a-new-password-1",
            "new_password_again": "a-new-password-1",
        },
    )
    assert response.url == reverse("identities:account")
    assert client.get(reverse("home")).status_code == 200
    assert User.objects.get(pk=mia.pk).password_changed_at == clock.now


def test_a_password_younger_than_the_maximum_age_goes_straight_in(client, clock, mia):
    set_policy(max_age_days=30)
    User.objects.filter(pk=mia.pk).update(password_changed_at=START - timedelta(days=29))
    sign_in(client, "mia")
    assert client.get(reverse("home")).status_code == 200


def test_with_hard_expiry_an_expired_password_cannot_sign_in(client, clock, mia):
    set_policy(max_age_days=30, hard_expiry=True)
    User.objects.filter(pk=mia.pk).update(password_changed_at=START - timedelta(days=31))
    response = sign_in(client, "mia")
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(event_name="ConsoleLogin").after == {"mfa_used": False, "reason": "Password expired"}


def test_an_administrator_can_require_a_new_password_at_next_sign_in(client, mia, root):
    services.require_password_reset(user=mia, actor=root)
    event = AuditEvent.objects.get(event_name="UpdateLoginProfile")
    assert (event.actor_arn, event.after) == (root.arn, {"reset_required": True})
    sign_in(client, "mia")
    assert client.get(reverse("home")).url == reverse("identities:password-change")
    assert b"An administrator asked you" in client.get(reverse("identities:password-change")).content
    client.post(
        reverse("identities:password-change"),
        {
            "current_password": factories.TEST_PASSWORD,
            "new_password": "a-new-password-1",
            "new_password_again": "a-new-password-1",
        },
    )
    assert User.objects.get(pk=mia.pk).password_reset_required is False
    assert client.get(reverse("home")).status_code == 200


def test_a_user_without_console_password_cannot_be_asked_to_reset_it(root):
    keys_only = services.create_user(username="robot", actor=None)
    with pytest.raises(ValidationError):
        services.require_password_reset(user=keys_only, actor=root)
    assert User.objects.get(pk=keys_only.pk).password_reset_required is False


def test_the_change_form_shows_the_policy_and_refuses_what_it_forbids(client, mia):
    set_policy(minimum_length=12, require_symbols=True, reuse_prevention=3)
    client.force_login(mia)
    page = client.get(reverse("identities:password-change"))
    for rule in PasswordPolicy.current().rules():
        assert escape(rule).encode() in page.content
    response = client.post(
        reverse("identities:password-change"),
        {
            "current_password": factories.TEST_PASSWORD,
            "new_password": "nosymbols000x",
            "new_password_again": "nosymbols000x",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password"] == [
        "The password must contain at least one symbol (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')."
    ]
    assert User.objects.get(pk=mia.pk).check_password(factories.TEST_PASSWORD) is True


def test_a_wrong_current_password_changes_nothing(client, mia):
    client.force_login(mia)
    response = client.post(
        reverse("identities:password-change"),
        {"current_password": "not-it", "new_password": "a-new-password-1", "new_password_again": "a-new-password-1"},
    )
    assert response.context["form"].errors["current_password"] == ["Your current password is not right."]
    assert User.objects.get(pk=mia.pk).check_password(factories.TEST_PASSWORD) is True
    assert not AuditEvent.objects.filter(event_name="ChangePassword").exists()


def test_when_users_may_not_change_their_own_only_a_policy_allowing_it_lets_them(client, mia):
    from policies import services as policy_services

    set_policy(allow_users_to_change_password=False)
    client.force_login(mia)
    assert client.get(reverse("identities:password-change")).status_code == 403
    policy_services.put_inline_policy(
        identity=mia,
        policy_name="OwnPassword",
        document={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": mia.arn}],
        },
        actor=None,
    )
    assert client.get(reverse("identities:password-change")).status_code == 200


def test_the_admin_edits_the_policy_through_its_service(root_client):
    url = reverse("admin:identities_passwordpolicy_changelist")
    change = reverse("admin:identities_passwordpolicy_change", args=[1])
    assert root_client.get(url).url == change
    assert root_client.get(change).status_code == 200
    data = {
        "minimum_length": 10,
        "require_numbers": "on",
        "max_age_days": 90,
        "reuse_prevention": "",
        "allow_users_to_change_password": "on",
    }
    assert root_client.post(change, data).status_code == 302
    policy = PasswordPolicy.current()
    assert (policy.minimum_length, policy.require_numbers, policy.max_age_days, policy.reuse_prevention) == (
        10,
        True,
        90,
        None,
    )
    assert AuditEvent.objects.filter(event_name="UpdateAccountPasswordPolicy").count() == 1


def test_the_admin_policy_page_needs_its_iam_actions(client, mia):
    client.force_login(mia)
    assert client.get(reverse("admin:identities_passwordpolicy_change", args=[1])).status_code == 403
