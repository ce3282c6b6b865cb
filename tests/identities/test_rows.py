"""identities.rows: plain-SQL reads that must give what the ORM gives, on every backend."""

from datetime import timedelta

import pytest
from django.utils import timezone

from identities import rows, services
from identities.credentials import AccessKey, RoleSession
from identities.models import Role, User
from tests import factories

pytestmark = pytest.mark.django_db


def field_values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_a_user_read_by_plain_sql_equals_the_orm_read_field_by_field():
    user = factories.UserFactory(username="ada", path="/eng/", tags={"team": "core", "cost-center": "42"})
    user.password_changed_at = timezone.now() - timedelta(days=3)
    user.save()

    found = rows.one(User, username="ada", path="/eng/")

    assert field_values(found) == field_values(User.objects.get(pk=user.pk))
    assert found.tags == {"team": "core", "cost-center": "42"}
    assert timezone.is_aware(found.password_changed_at)
    assert found._state.adding is False and found._state.db == "default"


def test_every_equality_must_hold_and_a_miss_is_none():
    factories.UserFactory(username="ada", path="/eng/")
    assert rows.one(User, username="ada", path="/") is None
    assert rows.one(User, username="ada", path="/eng/", is_active=False) is None
    assert rows.one(User, username="nobody") is None
    assert rows.one(User, username="ada", path="/eng/", is_active=True).username == "ada"


def test_related_rows_come_in_the_same_query(django_assert_num_queries):
    user = factories.UserFactory(username="ada", tags={"team": "core"})
    role = factories.RoleFactory(role_name="Auditor", tags={"level": "2"})
    key, _ = services.create_access_key(user=user, actor=None)
    session, _, _ = services.start_role_session(
        role=role, user=user, session_name="audit", duration=900, source="api", actor=None
    )

    with django_assert_num_queries(2):
        found_key = rows.one(AccessKey, related=("user",), key_id=key.key_id)
        found_session = rows.one(RoleSession, related=("role", "user"), key_id=session.key_id)
        assert (found_key.user.username, found_key.user.tags) == ("ada", {"team": "core"})
        assert (found_session.role.role_name, found_session.role.tags) == ("Auditor", {"level": "2"})
        assert found_session.user.username == "ada"
        assert found_session.arn.endswith(":assumed-role/Auditor/audit")

    assert field_values(found_key) == field_values(AccessKey.objects.get(pk=key.pk))
    assert field_values(found_session) == field_values(RoleSession.objects.get(pk=session.pk))
    assert field_values(found_session.role) == field_values(Role.objects.get(pk=role.pk))
    assert found_session.expires_at > timezone.now()
