"""The create services keep a creation date another account's records give (an import's), and a
role's last use; a date in the future, or without its zone, is refused and creates nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from identities import services
from identities.audit import AuditEvent
from identities.models import Group, Role, User

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2013, 10, 14, 18, 32, 24, tzinfo=UTC)
CREATES = {
    "user": (lambda **kw: services.create_user(username="alice", **kw), User, "CreateUser"),
    "group": (lambda **kw: services.create_group(group_name="Admins", **kw), Group, "CreateGroup"),
    "role": (lambda **kw: services.create_role(role_name="EC2role", **kw), Role, "CreateRole"),
}


@pytest.mark.parametrize("kind", CREATES)
def test_a_given_creation_date_is_kept_and_recorded(kind):
    create, model, event = CREATES[kind]
    create(created_at=LONG_AGO, actor=None)
    assert model.objects.get().created_at == LONG_AGO
    assert AuditEvent.objects.get(event_name=event).after["created_at"] == "2013-10-14T18:32:24+00:00"


@pytest.mark.parametrize("kind", CREATES)
def test_without_a_date_the_creation_is_now(kind):
    create, model, event = CREATES[kind]
    before = timezone.now()
    create(actor=None)
    assert before <= model.objects.get().created_at <= timezone.now()
    assert "created_at" not in AuditEvent.objects.get(event_name=event).after


@pytest.mark.parametrize("kind", CREATES)
def test_a_creation_date_in_the_future_is_refused_and_creates_nothing(kind):
    create, model, event = CREATES[kind]
    tomorrow = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError, match="is in the future; give a date that has passed"):
        create(created_at=tomorrow, actor=None)
    assert not model.objects.exists()
    assert not AuditEvent.objects.filter(event_name=event).exists()


@pytest.mark.parametrize("kind", CREATES)
def test_a_creation_date_without_its_zone_is_refused(kind):
    create, model, _ = CREATES[kind]
    with pytest.raises(ValidationError, match="needs its time zone"):
        create(created_at=datetime(2013, 10, 14, 18, 32, 24), actor=None)
    assert not model.objects.exists()


def test_a_role_keeps_when_and_where_it_was_last_used():
    used = datetime(2019, 11, 13, 17, 30, tzinfo=UTC)
    services.create_role(
        role_name="EC2role", created_at=LONG_AGO, last_used_at=used, last_used_region="us-west-2", actor=None
    )
    role = Role.objects.get()
    assert (role.last_used_at, role.last_used_region) == (used, "us-west-2")
    after = AuditEvent.objects.get(event_name="CreateRole").after
    assert (after["last_used_at"], after["last_used_region"]) == ("2019-11-13T17:30:00+00:00", "us-west-2")


def test_a_new_role_has_no_recorded_use():
    role = services.create_role(role_name="Fresh", actor=None)
    assert (role.last_used_at, role.last_used_region) == (None, "")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"last_used_at": timezone.now() + timedelta(hours=1)}, "is in the future"),
        ({"last_used_region": "us-east-1"}, "A region of last use needs the date of that use."),
        (
            {"created_at": LONG_AGO, "last_used_at": LONG_AGO - timedelta(days=1)},
            "A role cannot have been used before it was created.",
        ),
        ({"last_used_at": LONG_AGO, "last_used_region": "x" * 33}, "at most 32 characters"),
    ],
)
def test_a_last_use_that_cannot_be_is_refused_and_creates_nothing(fields, message):
    with pytest.raises(ValidationError, match=message):
        services.create_role(role_name="EC2role", actor=None, **fields)
    assert not Role.objects.exists()


# An identity already here (set_identity_dates, which an import runs)


def _existing(kind: str):
    create, _, _ = CREATES[kind]
    return create(actor=None)


@pytest.mark.parametrize("kind", CREATES)
def test_an_identity_already_here_takes_the_given_creation_date_audited(kind):
    identity = _existing(kind)
    here = identity.created_at
    services.set_identity_dates(identity=identity, created_at=LONG_AGO, actor=None)
    identity.refresh_from_db()
    assert identity.created_at == LONG_AGO
    event = AuditEvent.objects.get(event_name="SetIdentityDates")
    assert (event.target_arn, event.before["created_at"], event.after["created_at"]) == (
        identity.arn,
        here.isoformat(),
        "2013-10-14T18:32:24+00:00",
    )


def test_a_role_already_here_takes_the_given_last_use():
    role = _existing("role")
    used = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
    services.set_identity_dates(
        identity=role, created_at=LONG_AGO, last_used_at=used, last_used_region="eu-west-1", actor=None
    )
    role.refresh_from_db()
    assert (role.created_at, role.last_used_at, role.last_used_region) == (LONG_AGO, used, "eu-west-1")
    after = AuditEvent.objects.get(event_name="SetIdentityDates").after
    assert after == {
        "created_at": "2013-10-14T18:32:24+00:00",
        "last_used_at": "2024-02-01T09:00:00+00:00",
        "last_used_region": "eu-west-1",
    }


def test_the_same_dates_again_write_and_record_nothing():
    role = _existing("role")
    services.set_identity_dates(identity=role, created_at=LONG_AGO, actor=None)
    services.set_identity_dates(identity=Role.objects.get(), created_at=LONG_AGO, actor=None)
    assert AuditEvent.objects.filter(event_name="SetIdentityDates").count() == 1


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("user", {"created_at": timezone.now() + timedelta(days=1)}, "is in the future"),
        ("group", {"created_at": datetime(2020, 1, 1)}, "needs its time zone"),
        ("user", {"last_used_at": LONG_AGO}, "Only a role has a recorded last use."),
        ("role", {"last_used_region": "eu-west-1"}, "A region of last use needs the date of that use."),
        (
            "role",
            {"created_at": datetime(2020, 1, 2, tzinfo=UTC), "last_used_at": datetime(2020, 1, 1, tzinfo=UTC)},
            "A role cannot have been used before it was created.",
        ),
    ],
)
def test_dates_that_cannot_be_are_refused_and_change_nothing(kind, fields, message):
    identity = _existing(kind)
    model = type(identity)
    before = list(model.objects.values())
    with pytest.raises(ValidationError, match=message):
        services.set_identity_dates(identity=identity, actor=None, **fields)
    assert list(model.objects.values()) == before
    assert not AuditEvent.objects.filter(event_name="SetIdentityDates").exists()


def test_the_root_users_dates_are_never_set():
    root = services.create_root_user(username="owner", password=None, actor=None)
    with pytest.raises(PermissionDenied):
        services.set_identity_dates(identity=root, created_at=LONG_AGO, actor=None)
    assert User.objects.get(pk=root.pk).created_at != LONG_AGO
