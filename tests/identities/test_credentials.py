"""Access keys and role sessions: secrets shown once, stored as hashes, refused alike."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from identities import services
from identities.audit import AuditEvent
from identities.credentials import AccessKey, RoleSession, authenticate_bearer, parse_bearer
from tests import factories

pytestmark = pytest.mark.django_db


def bearer(key_id: str, secret: str, token: str | None = None) -> str:
    return f"Bearer {key_id}:{secret}" + (f":{token}" if token else "")


def test_a_new_key_is_active_and_its_secret_authenticates(mia):
    key, secret = services.create_access_key(user=mia, actor=mia)
    assert key.key_id.startswith("AKIA") and len(key.key_id) == 20
    assert len(secret) >= 40
    caller = authenticate_bearer(bearer(key.key_id, secret))
    assert (caller.user, caller.access_key, caller.session) == (mia, key, None)
    event = AuditEvent.objects.get()
    assert (event.event_name, event.after) == ("CreateAccessKey", {"access_key_id": key.key_id, "status": "Active"})


def test_a_third_key_is_refused(mia):
    services.create_access_key(user=mia, actor=None)
    services.create_access_key(user=mia, actor=None)
    with pytest.raises(ValidationError, match="already has 2 access keys"):
        services.create_access_key(user=mia, actor=None)
    assert AccessKey.objects.filter(user=mia).count() == 2


def all_stored_text() -> str:
    """Every row of every table, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            chunks.extend(str(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_no_secret_or_session_token_is_stored_in_clear(mia):
    _, key_secret = services.create_access_key(user=mia, actor=mia)
    role = factories.RoleFactory(max_session_duration=3600)
    _, session_secret, token = services.start_role_session(
        role=role, user=mia, session_name="mia", duration=900, source="api", actor=mia
    )
    stored = all_stored_text()
    for secret in (key_secret, session_secret, token):
        assert secret not in stored


@pytest.mark.parametrize("case", ["wrong secret", "unknown key", "inactive", "deleted", "disabled user", "malformed"])
def test_every_bad_credential_is_refused_alike(mia, case):
    key, secret = services.create_access_key(user=mia, actor=None)
    header = bearer(key.key_id, secret)
    if case == "wrong secret":
        header = bearer(key.key_id, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    elif case == "unknown key":
        header = bearer("AKIAAAAAAAAAAAAAAAAA", secret)
    elif case == "inactive":
        services.update_access_key(key=key, status="Inactive", actor=None)
    elif case == "deleted":
        services.delete_access_key(key=key, actor=None)
    elif case == "disabled user":
        services.update_user(user=mia, is_active=False, actor=None)
    else:
        header = f"Basic {key.key_id}:{secret}"
    assert authenticate_bearer(header) is None


KEY = "AKIA" + "ABCDEFGHIJKLMNOP"
SESSION = "ASIA" + "ABCDEFGHIJKLMNOP"
SECRET = "s3cret-" + "x" * 33


@pytest.mark.parametrize(
    ("header", "parts"),
    [
        (f"Bearer {KEY}:{SECRET}", (KEY, SECRET, None)),
        (f"Bearer {SESSION}:{SECRET}:{SECRET}tok", (SESSION, SECRET, SECRET + "tok")),
        (f"Bearer {KEY}", None),
        (f"Bearer {KEY}::{SECRET}", None),
        (f"Bearer {KEY}:{SECRET}:{SECRET}:{SECRET}", None),
        (f"bearer {KEY}:{SECRET}", None),
        (f"Bearer akia{KEY[4:]}:{SECRET}", None),
        (f"Bearer {KEY}:short", None),
        (f"Bearer {KEY}:{SECRET}\x00", None),
        ("", None),
        (None, None),
    ],
)
def test_the_header_format_is_exact(header, parts):
    assert parse_bearer(header) == parts


def test_last_used_is_written_at_most_once_a_minute(mia):
    key, _ = services.create_access_key(user=mia, actor=None)
    start = timezone.now()
    services.note_key_use(key=key, service="sts", at=start)
    services.note_key_use(key=key, service="iam", at=start + timedelta(seconds=30))
    key.refresh_from_db()
    assert (key.last_used_at, key.last_used_service) == (start, "sts")
    services.note_key_use(key=key, service="iam", at=start + timedelta(seconds=61))
    key.refresh_from_db()
    assert key.last_used_service == "iam"


def test_a_role_session_authenticates_until_it_expires(mia):
    role = factories.RoleFactory(role_name="Deployer", max_session_duration=3600)
    session, secret, token = services.start_role_session(
        role=role, user=mia, session_name="deploy-1", duration=900, source="api", actor=mia
    )
    assert session.arn == "arn:aws:sts::123456789012:assumed-role/Deployer/deploy-1"
    header = bearer(session.key_id, secret, token)
    assert authenticate_bearer(header).session == session
    assert authenticate_bearer(header, at=session.expires_at + timedelta(seconds=1)) is None
    assert authenticate_bearer(bearer(session.key_id, secret, token + "x")) is None
    assert authenticate_bearer(bearer(session.key_id, secret)) is None


def test_revoked_sessions_and_disabled_users_are_refused(mia):
    role = factories.RoleFactory(max_session_duration=3600)
    session, secret, token = services.start_role_session(
        role=role, user=mia, session_name="s1", duration=900, source="api", actor=mia
    )
    assert services.revoke_role_sessions(user=mia, actor=None) == 1
    assert authenticate_bearer(bearer(session.key_id, secret, token)) is None
    other, secret, token = services.start_role_session(
        role=role, user=mia, session_name="s2", duration=900, source="api", actor=mia
    )
    services.update_user(user=mia, is_active=False, actor=None)
    assert authenticate_bearer(bearer(other.key_id, secret, token)) is None


@pytest.mark.parametrize("duration", [899, 3601])
def test_session_length_is_bounded_by_the_role(mia, duration):
    role = factories.RoleFactory(max_session_duration=3600)
    with pytest.raises(ValidationError, match="lasts 900 to 3600 seconds"):
        services.start_role_session(role=role, user=mia, session_name="s", duration=duration, source="api", actor=mia)
    assert RoleSession.objects.count() == 0


def test_session_names_follow_awss_rule(mia):
    role = factories.RoleFactory(max_session_duration=3600)
    with pytest.raises(ValidationError, match="session name"):
        services.start_role_session(
            role=role, user=mia, session_name="no spaces", duration=900, source="api", actor=mia
        )


def test_assuming_a_role_records_when_it_was_last_used_and_leaves_the_generation(mia):
    from identities import generation

    role = factories.RoleFactory(role_name="Reporter", max_session_duration=3600)
    assert role.last_used_at is None
    before = generation.current()
    session, _, _ = services.start_role_session(
        role=role, user=mia, session_name="report", duration=900, source="api", actor=mia
    )
    role.refresh_from_db()
    assert role.last_used_at == session.created_at and role.last_used_region == ""
    assert generation.current() == before  # when a role was used decides nothing
