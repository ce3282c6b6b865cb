"""A user's access keys in the console: governed by policies, the self-service one included."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.credentials import AccessKey
from identities.models import User
from policies import services
from tests.clients import client_for
from tests.documents import document, statement

pytestmark = pytest.mark.django_db


def keys_url(name: str) -> str:
    return reverse("identities:access-keys", args=[name])


def test_a_user_rotates_their_own_key_under_self_service(org):
    client = client_for("mia")
    assert client.get(keys_url("mia")).status_code == 200
    created = client.post(keys_url("mia"), follow=True)
    secret = created.context["secret"]
    assert created.status_code == 200 and secret in created.content.decode()
    old = AccessKey.objects.get(user__username="mia")
    new = client.post(keys_url("mia"), follow=True).context["new_key"]
    status_url = reverse("identities:access-key-status", args=["mia", old.key_id])
    assert client.post(status_url, {"status": "Inactive"}).status_code == 302
    assert client.post(reverse("identities:access-key-delete", args=["mia", old.key_id])).status_code == 302
    assert list(AccessKey.objects.filter(user__username="mia").values_list("key_id", "status")) == [
        (new.key_id, "Active")
    ]
    assert secret not in client.get(keys_url("mia")).content.decode()


def test_another_users_keys_are_not_found(org):
    client = client_for("mia")
    assert client.get(keys_url("oliver")).status_code == 404
    assert client.post(keys_url("oliver")).status_code == 404
    assert not AccessKey.objects.filter(user__username="oliver").exists()


def test_creating_keys_for_someone_else_is_refused_to_broad_iam_rights_without_that_one(org):
    eve = User.objects.get(username="henry")
    services.put_inline_policy(
        identity=eve,
        policy_name="BroadIAM",
        document=document(statement("Allow", "iam:*"), statement("Deny", "iam:CreateAccessKey", "*")),
        actor=None,
    )
    client = client_for("henry")
    assert client.get(keys_url("oliver")).status_code == 200
    assert client.post(keys_url("oliver")).status_code == 403
    assert not AccessKey.objects.filter(user__username="oliver").exists()
    # The refusal itself is recorded as Denied (identities.middleware.AuditRefusalMiddleware).
    assert not AuditEvent.objects.filter(event_name="CreateAccessKey").exclude(outcome="Denied").exists()


def test_the_iam_administrator_manages_anyones_keys(org):
    client = client_for("iam-admin")
    assert client.post(keys_url("oliver")).status_code == 303
    assert AccessKey.objects.filter(user__username="oliver").count() == 1


def test_a_third_key_is_refused_with_a_message(org):
    client = client_for("mia")
    client.post(keys_url("mia"))
    client.post(keys_url("mia"))
    response = client.post(keys_url("mia"), follow=True)
    assert "already has 2 access keys" in response.content.decode()
    assert AccessKey.objects.filter(user__username="mia").count() == 2


@pytest.fixture
def key_owner(db):
    """mia, allowed to list her own access keys and nothing else."""
    owner = identity_services.create_user(username="mia", actor=None)
    services.put_inline_policy(
        identity=owner, policy_name="Keys", document=document(statement("Allow", "iam:ListAccessKeys")), actor=None
    )
    return owner


def test_a_keys_failed_attempts_are_shown_on_its_row(key_owner):
    attacked, _ = identity_services.create_access_key(user=key_owner, actor=None)
    quiet, _ = identity_services.create_access_key(user=key_owner, actor=None)
    last = datetime(2026, 12, 1, 10, 4, 31, tzinfo=UTC)
    AccessKey.objects.filter(pk=attacked.pk).update(failed_attempts=3, last_failed_at=last)
    page = client_for("mia").get(keys_url("mia")).content.decode()
    assert "3 failed attempts, last 2026-12-01 10:04 UTC" in page
    attacked_row, quiet_row = (page.split(key.key_id, 1)[1].split("</tr>", 1)[0] for key in (attacked, quiet))
    assert "failed attempt" in attacked_row and "failed attempt" not in quiet_row


def test_one_failed_attempt_is_written_in_the_singular(key_owner):
    key, _ = identity_services.create_access_key(user=key_owner, actor=None)
    AccessKey.objects.filter(pk=key.pk).update(failed_attempts=1, last_failed_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert "1 failed attempt, last 2026-12-01 00:00 UTC" in client_for("mia").get(keys_url("mia")).content.decode()
