"""The home page's security recommendations and the credential report."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities import reports, services
from identities.credentials import AccessKey
from identities.models import User
from identities.passwords import PasswordPolicy
from tests import factories

pytestmark = pytest.mark.django_db


def test_root_with_keys_and_no_mfa_is_flagged_on_roots_home_page(root_client, root):
    services.create_access_key(user=root, actor=root)
    body = root_client.get(reverse("home")).content.decode()
    assert "The account root user has access keys." in body
    assert "The account root user has no MFA device." in body


def test_root_with_mfa_and_no_keys_is_not_flagged(root_client, root):
    TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    warnings = reports.security_warnings()
    assert (warnings.root_has_keys, warnings.root_without_mfa) == (False, False)


def test_console_users_without_mfa_are_listed(people, root):
    TOTPDevice.objects.create(user=people["mia"], name="phone", confirmed=True)
    TOTPDevice.objects.create(user=people["oliver"], name="phone", confirmed=False)
    services.set_password(user=people["henry"], password=None, actor=None)
    warnings = reports.security_warnings()
    assert warnings.users_without_mfa == ["charles", "james", "lucas", "oliver"]
    assert warnings.users_without_mfa_count == 4


def test_keys_unused_for_90_days_are_flagged(mia):
    old, _ = services.create_access_key(user=mia, actor=None)
    recent, _ = services.create_access_key(user=mia, actor=None)
    long_ago = timezone.now() - timedelta(days=91)
    AccessKey.objects.filter(pk=old.pk).update(created_at=long_ago)
    AccessKey.objects.filter(pk=recent.pk).update(created_at=long_ago, last_used_at=timezone.now())
    warnings = reports.security_warnings()
    assert [key.key_id for key in warnings.stale_keys] == [old.key_id]


def test_passwords_older_than_the_policy_are_flagged(people):
    services.update_password_policy(actor=None, max_age_days=30)
    people["lucas"].__class__.objects.filter(pk=people["lucas"].pk).update(
        password_changed_at=timezone.now() - timedelta(days=31)
    )
    warnings = reports.security_warnings()
    assert (warnings.old_passwords, warnings.password_max_age_days) == (["lucas"], 30)


def test_the_warnings_read_the_same_number_of_queries_at_two_sizes(root):
    def count():
        with CaptureQueriesContext(connection) as captured:
            reports.security_warnings()
        return len(captured)

    factories.bulk_users(10, "small")
    small = count()
    factories.bulk_users(1000, "large")
    assert count() == small


def read_report(client) -> list[dict]:
    response = client.get(reverse("credential-report"))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_credential_report_has_awss_columns_and_root_first(root_client, root, mia):
    key, _ = services.create_access_key(user=mia, actor=None)
    rows = read_report(root_client)
    assert list(rows[0]) == reports.CREDENTIAL_REPORT_COLUMNS
    assert (rows[0]["user"], rows[0]["arn"]) == ("<root_account>", "arn:aws:iam::123456789012:root")
    mia_row = next(row for row in rows if row["user"] == "mia")
    assert (mia_row["password_enabled"], mia_row["mfa_active"]) == ("true", "false")
    assert (mia_row["access_key_1_active"], mia_row["access_key_2_active"]) == ("true", "false")
    assert mia_row["access_key_1_last_used_date"] == "N/A"


def test_the_credential_report_holds_no_secret(root_client, mia):
    _, secret = services.create_access_key(user=mia, actor=None)
    response = root_client.get(reverse("credential-report"))
    assert secret not in b"".join(response.streaming_content).decode()


def test_the_credential_report_needs_its_permission(client, mia):
    client.force_login(mia)
    assert client.get(reverse("credential-report")).status_code == 403


def test_the_report_reads_in_batches_whatever_the_size(root):
    factories.bulk_users(25, "batch")
    rows = list(reports.credential_report_rows(batch=10))
    assert [row[0] for row in rows][:2] == ["<root_account>", "batch000000"]
    assert len(rows) == 26
    assert PasswordPolicy.current().max_age_days is None


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_a_user_name_that_starts_like_a_formula_is_reported_inert(root_client, start):
    name = f"{start}1+2"
    user = services.create_user(username=name, actor=None)
    users_before = list(User.objects.values_list("username", flat=True).order_by("username"))
    (row,) = [row for row in read_report(root_client) if row["arn"] == user.arn]
    assert row["user"] == f"'{name}"
    assert list(User.objects.values_list("username", flat=True).order_by("username")) == users_before


@pytest.mark.parametrize("start", ["\t", "\r", "="])
def test_a_stored_service_name_that_starts_like_a_formula_is_reported_inert(root_client, mia, start):
    key, _ = services.create_access_key(user=mia, actor=None)
    AccessKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now(), last_used_service=f"{start}cmd")
    (row,) = [row for row in read_report(root_client) if row["user"] == "mia"]
    assert row["access_key_1_last_used_service"] == f"'{start}cmd"
