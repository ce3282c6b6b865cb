"""The audit trail is append-only in the database itself (identities migration 0005)."""

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from identities import audit, services
from identities.audit import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(db):
    with transaction.atomic():
        return audit.record("CreateUser", actor=None, target_arn="arn:aws:iam::123456789012:user/mia")


def raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_raw_update_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE identities_auditevent SET event_name = %s WHERE id = %s", ["DeleteUser", event.pk])
    assert AuditEvent.objects.get(pk=event.pk).event_name == "CreateUser"


def test_raw_delete_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM identities_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_orm_delete_of_every_event_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncate_is_refused_on_postgresql(event):
    with pytest.raises(DatabaseError, match="append-only"):
        raw("TRUNCATE identities_auditevent")
    assert AuditEvent.objects.count() == 1


def test_maintenance_lets_deletes_through_but_never_updates(event):
    with pytest.raises(DatabaseError, match="append-only"), audit.maintenance():
        AuditEvent.objects.filter(pk=event.pk).update(event_name="Edited")
    with audit.maintenance():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert not AuditEvent.objects.exists()


def test_maintenance_ends_with_its_transaction(event):
    with audit.maintenance():
        pass
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM identities_auditevent")


def test_audit_maintenance_command_deletes_old_events_and_says_so(event):
    old = AuditEvent.objects.create(event_name="CreateGroup", occurred_at=datetime(2020, 1, 1, tzinfo=UTC))
    out = io.StringIO()
    call_command("audit_maintenance", "--delete-before", "2021-01-01", stdout=out)
    assert "Deleted 1 audit events" in out.getvalue()
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    note = AuditEvent.objects.get(event_name="DeleteAuditEvents")
    assert note.after["deleted"] == 1
    assert set(AuditEvent.objects.values_list("event_name", flat=True)) == {"CreateUser", "DeleteAuditEvents"}


def test_audit_maintenance_dry_run_deletes_nothing(event):
    out = io.StringIO()
    call_command("audit_maintenance", "--delete-before", "2999-01-01", "--dry-run", stdout=out)
    assert "1 audit events" in out.getvalue()
    assert AuditEvent.objects.count() == 1


# The flush between transactional tests goes through maintenance (tests/conftest.py).


@pytest.mark.django_db(transaction=True)
def test_transactional_test_writes_audit_rows():
    services.create_group(group_name="Flushed", actor=None)
    assert AuditEvent.objects.filter(event_name="CreateGroup").count() == 1


@pytest.mark.django_db(transaction=True)
def test_next_transactional_test_starts_clean():
    assert AuditEvent.objects.count() == 0
    with pytest.raises(DatabaseError, match="append-only"):
        services.create_group(group_name="Kept", actor=None)
        raw("DELETE FROM identities_auditevent")


# Secrets never reach the trail.


def test_password_change_and_key_creation_keep_no_secret(db):
    user = services.create_user(username="mia", password="first-Password-42", actor=None)
    services.set_password(user=user, password="second-Password-42", actor=user)
    key, secret = services.create_access_key(user=user, actor=user)
    trail = str(list(AuditEvent.objects.values_list("before", "after")))
    user.refresh_from_db()
    key.refresh_from_db()
    for forbidden in ("first-Password-42", "second-Password-42", secret, key.secret_hash, user.password):
        assert forbidden not in trail
    assert audit.scrub({"password": "x", "nested": {"secret_hash": "y", "ok": 1}}) == {"nested": {"ok": 1}}


def test_scrub_walks_values_of_any_depth_without_recursion():
    top = level = {"token": "x"}
    for _ in range(100_000):
        level["next"] = {"secret_key": "y", "kept": 1}
        level = level["next"]
    level["list"] = [{"password": "stays: lists are not walked"}]
    cleaned, depth = audit.scrub(top), 0
    assert "token" not in cleaned
    while "next" in cleaned:
        cleaned, depth = cleaned["next"], depth + 1
        assert "secret_key" not in cleaned and cleaned["kept"] == 1
    assert (depth, cleaned["list"]) == (100_000, [{"password": "stays: lists are not walked"}])
