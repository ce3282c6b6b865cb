import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from identities import services
from identities.audit import AuditEvent
from identities.models import Group, Membership, RoleAssignment, User
from policies.models import PolicyAttachment
from tests import factories
from tests.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db


def queries_for(client, url):
    client.get(url)  # warm per-process caches (content types) before counting
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url_name",
    ["admin:identities_user_changelist", "admin:identities_group_changelist", "admin:identities_role_changelist"],
)
def test_changelists_make_the_same_number_of_queries_at_10_and_1000_rows(root_client, url_name):
    group, role = factories.GroupFactory(), factories.RoleFactory()
    small = factories.bulk_users(10, "small")
    factories.bulk_memberships(group, small)
    factories.bulk_assignments(role, small)
    factories.GroupFactory.create_batch(9)
    factories.RoleFactory.create_batch(9)
    url = reverse(url_name) + "?all="
    at_10 = queries_for(root_client, url)
    large = factories.bulk_users(990, "large")
    factories.bulk_memberships(group, large)
    Group.objects.bulk_create(factories.GroupFactory.build_batch(990))
    at_1000 = queries_for(root_client, url)
    assert at_10 == at_1000


def test_group_page_with_many_members_keeps_its_query_count(root_client):
    group = factories.GroupFactory()
    factories.bulk_memberships(group, factories.bulk_users(10, "a"))
    url = reverse("admin:identities_group_change", args=[group.pk])
    at_10 = queries_for(root_client, url)
    factories.bulk_memberships(group, factories.bulk_users(200, "b"))
    assert queries_for(root_client, url) == at_10


def test_membership_inline_uses_autocomplete_not_a_select_of_every_user(root_client, developers):
    factories.bulk_users(50)
    body = root_client.get(reverse("admin:identities_group_change", args=[developers.pk])).content.decode()
    assert "admin-autocomplete" in body
    assert body.count("bulk0000") == 0


def test_adding_a_member_in_the_admin_goes_through_the_service(root_client, developers, mia):
    url = reverse("admin:identities_group_change", args=[developers.pk])
    data = admin_form_data(
        root_client,
        url,
        {"group_name": "Developers", "path": "/", "description": ""},
        {"membership": [{"user": mia.pk, "group": developers.pk}]},
    )
    response = root_client.post(url, data)
    assert response.status_code == 302
    membership = Membership.objects.get()
    assert (membership.user, membership.added_by.username) == (mia, "root")
    assert list(AuditEvent.objects.values_list("event_name", flat=True)) == ["AddUserToGroup"]


def test_the_admin_refuses_an_eleventh_group_and_changes_nothing(root_client, mia):
    groups = [factories.GroupFactory() for _ in range(11)]
    Membership.objects.bulk_create(Membership(user=mia, group=group) for group in groups[:10])
    url = reverse("admin:identities_group_change", args=[groups[10].pk])
    data = admin_form_data(
        root_client,
        url,
        {"group_name": groups[10].group_name, "path": "/", "description": ""},
        {"membership": [{"user": mia.pk, "group": groups[10].pk}]},
    )
    response = root_client.post(url, data)
    assert response.status_code == 200
    assert "already in 10 groups" in response.content.decode()
    assert (Membership.objects.count(), AuditEvent.objects.count()) == (10, 0)


def test_adding_a_user_in_the_admin_records_create_user(root_client):
    url = reverse("admin:identities_user_add")
    fields = {
        "username": "oliver",
        "path": "/dev/",
        "tags": "team=dev",
        "is_active": "on",
        "password": "a-long-enough-pass-1",
    }
    response = root_client.post(url, admin_form_data(root_client, url, fields))
    assert response.status_code == 302
    oliver = User.objects.get(username="oliver")
    assert (oliver.path, oliver.tags, oliver.check_password("a-long-enough-pass-1")) == ("/dev/", {"team": "dev"}, True)
    # The account's setting gives every user created in the console the self-service policy.
    assert list(AuditEvent.objects.order_by("id").values_list("event_name", flat=True)) == [
        "CreateUser",
        "AttachUserPolicy",
    ]
    assert list(PolicyAttachment.objects.filter(user=oliver).values_list("policy__policy_name", flat=True)) == [
        "SelfService"
    ]


def test_the_self_service_setting_can_be_turned_off(root_client, settings):
    settings.IAM_SELF_SERVICE_FOR_NEW_USERS = False
    url = reverse("admin:identities_user_add")
    fields = {"username": "oliver", "path": "/", "tags": "", "is_active": "on", "password": ""}
    assert root_client.post(url, admin_form_data(root_client, url, fields)).status_code == 302
    assert list(AuditEvent.objects.values_list("event_name", flat=True)) == ["CreateUser"]


def test_a_duplicate_name_in_the_admin_shows_the_rule(root_client, mia):
    users = User.objects.count()
    url = reverse("admin:identities_user_add")
    fields = {"username": "MIA", "path": "/", "tags": "", "is_active": "on", "password": ""}
    response = root_client.post(url, admin_form_data(root_client, url, fields))
    assert response.status_code == 200
    assert "without regard to case" in response.content.decode()
    assert User.objects.count() == users


def test_deleting_a_role_in_the_admin_records_it(root_client):
    role = factories.RoleFactory()
    RoleAssignment.objects.create(role=role, user=factories.UserFactory())
    response = root_client.post(reverse("admin:identities_role_delete", args=[role.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert list(AuditEvent.objects.values_list("event_name", flat=True)) == ["DeleteRole"]


def test_deleting_a_user_in_the_admin_removes_and_records_what_stood_in_the_way(root_client, mia, developers):
    services.add_members(group=developers, users=[mia], actor=None)
    services.create_access_key(user=mia, actor=None)
    confirm = root_client.get(reverse("admin:identities_user_delete", args=[mia.pk])).content.decode()
    assert "Developers" in confirm  # the confirmation lists the membership that goes too
    response = root_client.post(reverse("admin:identities_user_delete", args=[mia.pk]), {"post": "yes"})
    assert response.status_code == 302 and not User.objects.filter(pk=mia.pk).exists()
    names = AuditEvent.objects.order_by("id").values_list("event_name", flat=True)
    assert list(names)[-3:] == ["DeleteAccessKey", "RemoveUserFromGroup", "DeleteUser"]


def test_the_root_user_is_marked_in_the_user_list(root_client, mia):
    body = root_client.get(reverse("admin:identities_user_changelist")).content.decode()
    assert "account root user" in body


def test_django_auth_groups_are_not_in_the_admin(root_client):
    assert root_client.get("/admin/auth/group/").status_code == 404


def test_audit_events_cannot_be_changed_or_deleted_in_the_admin(root_client, mia):
    from identities import services

    services.update_user(user=mia, path="/x/", actor=None)
    event = AuditEvent.objects.get()
    assert (
        root_client.post(reverse("admin:identities_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    # The refused attempt is itself recorded, as Denied (identities.middleware.AuditRefusalMiddleware).
    assert AuditEvent.objects.exclude(outcome="Denied").get() == event


def test_a_user_without_permissions_is_refused_by_the_admin(client, mia):
    client.force_login(mia)
    assert client.get(reverse("admin:index")).status_code == 403


def test_anonymous_admin_visitors_go_to_the_console_sign_in(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/?next=/admin/")


def test_the_root_user_cannot_be_deleted_in_the_admin(root_client, root):
    url = reverse("admin:identities_user_delete", args=[root.pk])
    assert root_client.get(url).status_code == 403
    assert root_client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:identities_user_changelist")
    bulk = root_client.post(changelist, {"action": "delete_selected", "_selected_action": [root.pk], "post": "yes"})
    assert bulk.status_code == 403
    assert User.objects.filter(pk=root.pk).exists()
    assert not AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).exists()


def test_a_password_the_policy_refuses_is_said_at_its_field_in_the_admin(root_client):
    users, events = User.objects.count(), AuditEvent.objects.count()
    url = reverse("admin:identities_user_add")
    fields = {"username": "oliver", "path": "/", "tags": "", "is_active": "on", "password": "short"}
    response = root_client.post(url, admin_form_data(root_client, url, fields))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["password"] == ["The password must be at least 8 characters long."]
    assert (User.objects.count(), AuditEvent.objects.count()) == (users, events)


def test_the_admin_shows_and_takes_tags_as_key_value_lines_as_the_console_does(root_client, mia):
    from identities.forms import TagsField

    services.set_user_tags(user=mia, tags={"team": "dev", "cost": "42"}, actor=None)
    url = reverse("admin:identities_user_change", args=[mia.pk])
    shown = root_client.get(url).context["adminform"].form["tags"].value()
    # Lines in the order the database keeps the tags (PostgreSQL's jsonb sorts its keys).
    assert sorted(TagsField().prepare_value(shown).splitlines()) == ["cost=42", "team=dev"]
    page = root_client.get(url).content.decode()
    textarea = re.search(r'<textarea name="tags"[^>]*>\s*(.*?)</textarea>', page, re.S).group(1)
    assert sorted(textarea.splitlines()) == ["cost=42", "team=dev"]
    fields = {"username": "mia", "path": "/", "tags": "team = ops\nowner=mia", "is_active": "on"}
    assert root_client.post(url, admin_form_data(root_client, url, fields)).status_code == 302
    mia.refresh_from_db()
    assert mia.tags == {"team": "ops", "owner": "mia"}
    refused = root_client.post(url, admin_form_data(root_client, url, fields | {"tags": '{"team": "x"}'}))
    assert refused.status_code == 200 and "tags" in refused.context["adminform"].form.errors
    mia.refresh_from_db()
    assert mia.tags == {"team": "ops", "owner": "mia"}


def test_a_roles_tags_are_key_value_lines_in_the_admin_too(root_client):
    role = services.create_role(role_name="Tagged", trust_policy={}, actor=None)
    services.update_role(role=role, tags={"team": "dev", "tier": "1"}, actor=None)
    url = reverse("admin:identities_role_change", args=[role.pk])
    assert "team=dev\ntier=1</textarea>" in root_client.get(url).content.decode()


def test_the_admins_expiry_picker_says_its_times_are_utc(root_client):
    role = services.create_role(role_name="Expiring", trust_policy={}, actor=None)
    page = root_client.get(reverse("admin:identities_role_change", args=[role.pk])).content.decode()
    assert "Expires at (UTC)" in page


def _membership_until(root_client, group, user, moment):
    url = reverse("admin:identities_group_change", args=[group.pk])
    row = {
        "user": user.pk,
        "group": group.pk,
        "expires_at_0": f"{moment:%Y-%m-%d}",
        "expires_at_1": f"{moment:%H:%M:%S}",
    }
    data = admin_form_data(
        root_client, url, {"group_name": group.group_name, "path": "/", "description": ""}, {"membership": [row]}
    )
    return root_client.post(url, data)


def test_a_member_added_in_the_admin_may_expire(root_client, developers, mia):
    later = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    assert _membership_until(root_client, developers, mia, later).status_code == 302
    assert Membership.objects.get().expires_at == later
    assert AuditEvent.objects.get().after["expires_at"] == later.isoformat()


def test_the_admin_refuses_a_membership_expiry_in_the_past(root_client, developers, mia):
    response = _membership_until(root_client, developers, mia, timezone.now() - timedelta(hours=1))
    assert response.status_code == 200
    assert "The expiry must be in the future." in response.content.decode()
    assert (Membership.objects.count(), AuditEvent.objects.count()) == (0, 0)


def test_the_admin_adds_again_a_user_whose_membership_expired_but_is_not_yet_removed(root_client, developers, mia):
    Membership.objects.create(user=mia, group=developers, expires_at=timezone.now() - timedelta(hours=1))
    later = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    response = _membership_until(root_client, developers, mia, later)
    assert response.status_code == 302, response.context["inline_admin_formsets"][1].formset.errors
    assert Membership.objects.get().expires_at == later
    assert list(AuditEvent.objects.order_by("id").values_list("event_name", flat=True)) == [
        "RemoveUserFromGroup",  # the expired row, recorded as expired
        "AddUserToGroup",
    ]


def test_the_admin_still_refuses_a_user_who_is_a_member_now(root_client, developers, mia):
    Membership.objects.create(user=mia, group=developers, expires_at=timezone.now() + timedelta(hours=1))
    response = _membership_until(root_client, developers, mia, timezone.now() + timedelta(days=2))
    assert response.status_code == 200
    assert "already a member" in response.content.decode()
    assert (Membership.objects.count(), AuditEvent.objects.count()) == (1, 0)


def test_on_the_users_page_the_admin_adds_again_a_user_whose_membership_expired(root_client, developers, mia):
    Membership.objects.create(user=mia, group=developers, expires_at=timezone.now() - timedelta(hours=1))
    url = reverse("admin:identities_user_change", args=[mia.pk])
    response = root_client.get(url)
    fields = {name: response.context["adminform"].form[name].value() or "" for name in ("username", "path")}
    data = admin_form_data(root_client, url, fields, {"membership": [{"user": mia.pk, "group": developers.pk}]})
    response = root_client.post(url, data)
    assert response.status_code == 302, [f.formset.errors for f in response.context["inline_admin_formsets"]]
    assert Membership.objects.get().expires_at is None
