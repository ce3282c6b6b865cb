"""Credential secrets sealed at rest with AES-GCM, so a signature can be verified with them;
the bearer form keeps using the hash and never decrypts."""

import base64
import io
import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from identities import sealed, services
from identities.audit import AuditEvent
from identities.credentials import AccessKey, RoleSession, authenticate_bearer
from tests import factories
from tests.clients import client_for
from tests.test_settings_env import load_settings

pytestmark = pytest.mark.django_db

NEW_KEY = ("2027a", os.urandom(32))
OTHER_KEY = ("other", os.urandom(32))


def key_text(key: tuple[str, bytes]) -> str:
    return f"{key[0]}:{base64.urlsafe_b64encode(key[1]).decode()}"


def test_an_access_key_secret_is_sealed_under_the_current_key_and_opens(mia):
    key, secret = services.create_access_key(user=mia, actor=mia)
    assert key.secret_sealed.startswith("test:") and secret not in key.secret_sealed
    assert sealed.unseal(key.secret_sealed, kind=sealed.ACCESS_KEY_SECRET, credential_id=key.key_id) == secret
    assert key.can_sign


def test_a_session_secret_is_sealed_and_its_token_is_not(mia):
    role = factories.RoleFactory(max_session_duration=3600)
    session, secret, token = services.start_role_session(
        role=role, user=mia, session_name="mia", duration=900, source="api", actor=mia
    )
    assert sealed.unseal(session.secret_sealed, kind=sealed.SESSION_SECRET, credential_id=session.key_id) == secret
    assert token not in session.secret_sealed


def test_each_seal_has_a_fresh_nonce():
    first = sealed.seal("same-secret", kind=sealed.ACCESS_KEY_SECRET, credential_id="AKIAEXAMPLE")
    second = sealed.seal("same-secret", kind=sealed.ACCESS_KEY_SECRET, credential_id="AKIAEXAMPLE")
    raw = [base64.urlsafe_b64decode(text.partition(":")[2]) for text in (first, second)]
    assert raw[0][:12] != raw[1][:12] and raw[0] != raw[1]


@pytest.mark.parametrize(
    "kind, credential_id",
    [(sealed.SESSION_SECRET, "AKIAEXAMPLE"), (sealed.ACCESS_KEY_SECRET, "AKIAOTHER")],
    ids=["another kind", "another credential"],
)
def test_a_sealed_secret_opens_only_for_its_kind_and_credential(kind, credential_id):
    text = sealed.seal("a-secret", kind=sealed.ACCESS_KEY_SECRET, credential_id="AKIAEXAMPLE")
    with pytest.raises(sealed.Unsealable):
        sealed.unseal(text, kind=kind, credential_id=credential_id)


@pytest.mark.parametrize(
    "change",
    [
        lambda text: text[:-3] + ("A" if text[-3] != "A" else "B") + text[-2:],
        lambda text: "other:" + text.partition(":")[2],
        lambda text: "test:not base64 at all",
        lambda text: "nokey",
    ],
    ids=["a changed byte", "another key's ID", "not base64", "no key ID"],
)
def test_a_tampered_or_misnamed_sealed_secret_does_not_open(change):
    text = sealed.seal("a-secret", kind=sealed.ACCESS_KEY_SECRET, credential_id="AKIAEXAMPLE")
    keys = [("test", b"test-only-credential-key-32bytes"), OTHER_KEY]
    with override_settings(IAM_CREDENTIAL_KEYS=keys), pytest.raises(sealed.Unsealable):
        sealed.unseal(change(text), kind=sealed.ACCESS_KEY_SECRET, credential_id="AKIAEXAMPLE")


def test_the_bearer_form_never_decrypts(mia):
    key, secret = services.create_access_key(user=mia, actor=mia)
    # Not one configured key can open the sealed secret now; the hash alone still authenticates.
    with override_settings(IAM_CREDENTIAL_KEYS=[OTHER_KEY]):
        assert authenticate_bearer(f"Bearer {key.key_id}:{secret}").access_key == key


def test_a_key_made_before_sealing_works_with_the_bearer_form_and_its_page_says_sigv4_needs_a_new_key(org, mia):
    key, secret = services.create_access_key(user=mia, actor=mia)
    AccessKey.objects.filter(pk=key.pk).update(secret_sealed="")  # as every key made before this change
    assert authenticate_bearer(f"Bearer {key.key_id}:{secret}").access_key == key
    assert not AccessKey.objects.get(pk=key.pk).can_sign
    page = client_for("mia").get(reverse("identities:access-keys", args=["mia"])).content.decode()
    assert page.count("Create a new key for AWS tools") == 1
    services.create_access_key(user=mia, actor=mia)
    page = client_for("mia").get(reverse("identities:access-keys", args=["mia"])).content.decode()
    assert page.count("Create a new key for AWS tools") == 1  # the new key can sign: no note for it


def test_the_page_says_when_the_development_key_seals_secrets(org):
    url = reverse("identities:access-keys", args=["mia"])
    assert "public development key" not in client_for("mia").get(url).content.decode()
    with override_settings(IAM_CREDENTIAL_KEYS_DEVELOPMENT=True):
        assert "public development key" in client_for("mia").get(url).content.decode()


def test_reseal_moves_every_secret_to_the_current_key_so_the_old_one_can_go(mia):
    key, secret = services.create_access_key(user=mia, actor=mia)
    role = factories.RoleFactory(max_session_duration=3600)
    session, session_secret, _ = services.start_role_session(
        role=role, user=mia, session_name="mia", duration=900, source="api", actor=mia
    )
    ended, _, _ = services.start_role_session(
        role=role, user=mia, session_name="old", duration=900, source="api", actor=mia
    )
    RoleSession.objects.filter(pk=ended.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    old = ("test", b"test-only-credential-key-32bytes")
    with override_settings(IAM_CREDENTIAL_KEYS=[NEW_KEY, old]):
        # Before the command, what the old key sealed still opens.
        assert sealed.unseal(key.secret_sealed, kind=sealed.ACCESS_KEY_SECRET, credential_id=key.key_id) == secret
        output = io.StringIO()
        call_command("reseal_credentials", stdout=output)
        assert "1 access key(s), 1 live role session(s)" in output.getvalue()
    with override_settings(IAM_CREDENTIAL_KEYS=[NEW_KEY]):
        key.refresh_from_db()
        session.refresh_from_db()
        assert key.secret_sealed.startswith("2027a:") and session.secret_sealed.startswith("2027a:")
        assert sealed.unseal(key.secret_sealed, kind=sealed.ACCESS_KEY_SECRET, credential_id=key.key_id) == secret
        opened = sealed.unseal(session.secret_sealed, kind=sealed.SESSION_SECRET, credential_id=session.key_id)
        assert opened == session_secret
    assert RoleSession.objects.get(pk=ended.pk).secret_sealed.startswith("test:")
    event = AuditEvent.objects.get(event_name="ResealCredentialSecrets")
    assert event.after | {"system_user": ""} == {
        "system_user": "",
        "credential_key": "2027a",
        "access_keys": 1,
        "role_sessions": 1,
        "unopenable": 0,
    }


def test_reseal_leaves_and_counts_a_secret_whose_key_is_gone(mia):
    key, _ = services.create_access_key(user=mia, actor=mia)
    with override_settings(IAM_CREDENTIAL_KEYS=[NEW_KEY]):
        assert services.reseal_credential_secrets(system_user="ops")["unopenable"] == 1
    assert AccessKey.objects.get(pk=key.pk).secret_sealed == key.secret_sealed


def test_production_settings_refuse_a_missing_credential_key():
    result = load_settings(DEBUG="false", SECRET_KEY="x" * 60, ALLOWED_HOSTS="iam.example.org", IAM_CREDENTIAL_KEYS="")
    assert result.returncode != 0 and "IAM_CREDENTIAL_KEYS is not set" in result.stderr


def test_debug_uses_a_development_credential_key_and_says_so():
    result = load_settings("settings.IAM_CREDENTIAL_KEYS_DEVELOPMENT", DEBUG="true", IAM_CREDENTIAL_KEYS="")
    assert result.stdout.strip() == "True"


def test_production_settings_read_the_keys_current_first():
    show = "[key_id for key_id, _ in settings.IAM_CREDENTIAL_KEYS], settings.IAM_CREDENTIAL_KEYS_DEVELOPMENT, sep=' '"
    keys = f"{key_text(NEW_KEY)},{key_text(OTHER_KEY)}"
    result = load_settings(show, DEBUG="false", SECRET_KEY="x" * 60, ALLOWED_HOSTS="h", IAM_CREDENTIAL_KEYS=keys)
    assert result.stdout.strip() == "['2027a', 'other'] False"
