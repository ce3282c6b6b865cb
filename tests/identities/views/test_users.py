"""The console's user pages: list, a user's page with changes in place, create, edit and delete."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from identities import services
from identities.audit import AuditEvent
from identities.credentials import AccessKey
from identities.models import Group, Membership, Role, RoleAssignment, User
from identities.templatetags.console_tags import arn as wrapped_arn
from tests import factories
from tests.clients import client_for
from tests.identities.views.helpers import HTMX, listed, state, url, user

pytestmark = pytest.mark.django_db


# The list


def test_the_administrator_lists_users_without_root(org):
    response = client_for("iam-admin").get(url("user-list"))
    assert response.status_code == 200
    assert listed(response) == ["charles", "dev-admin", "henry", "iam-admin", "james", "lucas", "mia", "oliver"]
    assert b'href="/users/' in response.content


def test_a_service_user_may_not_list_users(org):
    assert client_for("mia").get(url("user-list")).status_code == 403


def test_search_matches_names_and_tag_keys_and_values(org):
    services.set_user_tags(user=user("oliver"), tags={"team": "payments"}, actor=None)
    client = client_for("iam-admin")
    assert listed(client.get(url("user-list"), {"q": "LIV"})) == ["oliver"]
    assert listed(client.get(url("user-list"), {"q": "payments"})) == ["oliver"]
    assert listed(client.get(url("user-list"), {"q": "team"})) == ["oliver"]


def test_filters_by_group_no_group_enabled_password_and_keys(org):
    client = client_for("iam-admin")
    services.update_user(user=user("james"), is_active=False, actor=None)
    services.set_password(user=user("henry"), password=None, actor=None)
    services.create_access_key(user=user("lucas"), actor=None)
    assert listed(client.get(url("user-list"), {"group": "operations"})) == ["james", "lucas"]
    assert listed(client.get(url("user-list"), {"no_group": "on"})) == ["dev-admin", "henry", "iam-admin"]
    assert listed(client.get(url("user-list"), {"enabled": "no"})) == ["james"]
    assert listed(client.get(url("user-list"), {"password": "no"})) == ["henry"]
    assert listed(client.get(url("user-list"), {"keys": "yes"})) == ["lucas"]
    unknown = client.get(url("user-list"), {"group": "Nobody"})
    assert listed(unknown) == [] and "There is no group named" in unknown.content.decode()


def test_columns_sort_both_ways(org):
    client = client_for("iam-admin")
    assert listed(client.get(url("user-list"), {"sort": "-name"}))[:2] == ["oliver", "mia"]
    assert client.get(url("user-list"), {"sort": "created"}).status_code == 200
    assert 'aria-sort="descending"' in client.get(url("user-list"), {"sort": "-name"}).content.decode()


def test_sorting_by_last_sign_in_puts_those_who_never_signed_in_as_longest_ago(org):
    client = client_for("iam-admin")  # signing in sets iam-admin's last sign-in to now
    now = timezone.now()
    User.objects.filter(username="mia").update(last_login=now - timedelta(days=2))
    User.objects.filter(username="oliver").update(last_login=now - timedelta(hours=1))
    never = ["charles", "dev-admin", "henry", "james", "lucas"]
    # On every database, though SQLite and PostgreSQL order NULL differently by default.
    newest_first = listed(client.get(url("user-list"), {"sort": "-last-sign-in"}))
    assert newest_first == ["iam-admin", "oliver", "mia", *never]
    assert listed(client.get(url("user-list"), {"sort": "last-sign-in"})) == [*never, "mia", "oliver", "iam-admin"]


def test_counts_come_from_the_page_not_per_row(org):
    services.create_access_key(user=user("mia"), actor=None)
    response = client_for("iam-admin").get(url("user-list"), {"q": "mia"})
    row = response.context["page"].object_list[0]
    assert (row.group_count, row.key_count, row.has_mfa) == (1, 1, False)


def _list_queries(client, size: int, group: Group) -> int:
    users = factories.bulk_users(size, prefix=f"scale{size}-")
    factories.bulk_memberships(group, users)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url("user-list"), {"page": "2"}).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_at_10_and_1000_users(org):
    client = client_for("iam-admin")
    client.get(url("user-list"))
    small = _list_queries(client, 10, factories.GroupFactory(group_name="Small"))
    large = _list_queries(client, 1000, factories.GroupFactory(group_name="Large"))
    assert small == large


# A user's page


def test_the_page_shows_arn_groups_roles_and_history(org):
    response = client_for("iam-admin").get(url("user-detail", user("mia").pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert wrapped_arn("arn:aws:iam::123456789012:user/mia") in body
    assert "Developers" in body and "ReleaseManager" in body
    assert f'hx-get="/policies/fragments/user/{user("mia").pk}/"' in body and 'hx-trigger="load"' in body
    assert "Manage access keys" in body
    assert response.context["events"][0].event_name


def test_a_service_user_reads_their_own_page_through_self_service(org):
    client = client_for("mia")
    response = client.get(url("user-detail", user("mia").pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Add to group" not in body and "Edit tags" not in body and ">Delete<" not in body


def test_the_history_shows_only_to_those_who_may_read_the_trail(org):
    mia = user("mia")
    assert "Recent history" not in client_for("mia").get(url("user-detail", mia.pk)).content.decode()
    admin_page = client_for("iam-admin").get(url("user-detail", mia.pk)).content.decode()
    assert "Recent history" in admin_page
    assert "/audit/?target=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fmia" in admin_page


def test_another_users_page_is_not_found(org):
    client = client_for("mia")
    assert client.get(url("user-detail", user("oliver").pk)).status_code == 404
    assert client.post(url("user-tags", user("oliver").pk), {"tags": "a=b"}).status_code == 404
    assert client.get(url("user-detail", 999999)).status_code == 404


def test_reading_without_changing_is_403_and_changes_nothing(org):
    before = state()
    client = client_for("mia")
    assert client.post(url("user-tags", user("mia").pk), {"tags": "team=x"}).status_code == 403
    assert client.get(url("user-edit", user("mia").pk)).status_code == 403
    assert client.post(url("user-delete", user("mia").pk)).status_code == 403
    assert state() == before


def test_adding_to_a_group_in_place_answers_the_section(org):
    mia, operations = user("mia"), Group.objects.get(group_name="Operations")
    response = client_for("iam-admin").post(url("user-group-add", mia.pk), {"name": "operations"}, **HTMX)
    assert response.status_code == 200
    assert response.templates[0].name == "identities/_user_groups.html"
    assert "mia was added to Operations." in response.content.decode()
    assert Membership.objects.filter(user=mia, group=operations).exists()


def test_a_plain_post_redirects_with_a_message(org):
    mia = user("mia")
    response = client_for("iam-admin").post(url("user-group-add", mia.pk), {"name": "Operations"}, follow=True)
    assert response.redirect_chain == [(url("user-detail", mia.pk), 302)]
    assert "mia was added to Operations." in response.content.decode()


def test_a_duplicate_membership_is_refused_with_a_message_and_no_change(org):
    before = state()
    response = client_for("iam-admin").post(url("user-group-add", user("mia").pk), {"name": "Developers"}, **HTMX)
    assert "mia is already a member of Developers." in response.content.decode()
    assert "Nothing was changed." in response.content.decode()
    assert state() == before


def test_an_eleventh_group_is_refused(org):
    mia = user("mia")
    for index in range(9):
        services.add_members(
            group=services.create_group(group_name=f"Team{index}", actor=None), users=[mia], actor=None
        )
    services.create_group(group_name="OneTooMany", actor=None)
    before = state()
    response = client_for("iam-admin").post(url("user-group-add", mia.pk), {"name": "OneTooMany"}, **HTMX)
    assert "already in 10 groups" in response.content.decode()
    assert state() == before


def test_an_unknown_group_is_a_form_error(org):
    before = state()
    response = client_for("iam-admin").post(url("user-group-add", user("mia").pk), {"name": "Nope"}, **HTMX)
    assert "There is no group named" in response.content.decode()
    assert state() == before


def test_removing_from_a_group(org):
    mia, developers = user("mia"), Group.objects.get(group_name="Developers")
    response = client_for("iam-admin").post(url("user-group-remove", mia.pk, developers.pk), **HTMX)
    assert "mia was removed from Developers." in response.content.decode()
    assert not Membership.objects.filter(user=mia, group=developers).exists()
    assert AuditEvent.objects.filter(event_name="RemoveUserFromGroup", target_arn=developers.arn).exists()


def test_changes_are_posts(org):
    client = client_for("iam-admin")
    assert client.get(url("user-group-add", user("mia").pk)).status_code == 405
    assert client.get(url("user-tags", user("mia").pk)).status_code == 405
    assert client.post(url("user-list")).status_code == 405


def test_assigning_a_role_with_an_expiry_and_seeing_expired_ones(org):
    henry, release = user("henry"), Role.objects.get(role_name="ReleaseManager")
    client = client_for("iam-admin")
    expiry = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url("user-role-add", henry.pk), {"name": "releasemanager", "expires_at": expiry}, **HTMX)
    assert "henry may now assume ReleaseManager." in response.content.decode()
    assignment = RoleAssignment.objects.get(user=henry, role=release)
    assert assignment.expires_at.strftime("%Y-%m-%dT%H:%M") == expiry
    RoleAssignment.objects.filter(pk=assignment.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    assert "Expired" in client.get(url("user-detail", henry.pk)).content.decode()


def test_an_expiry_in_the_past_is_refused(org):
    before = state()
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for("iam-admin").post(
        url("user-role-add", user("henry").pk), {"name": "ReleaseManager", "expires_at": past}, **HTMX
    )
    assert "The expiry must be in the future." in response.content.decode()
    assert state() == before


def test_unassigning_a_role(org):
    mia, release = user("mia"), Role.objects.get(role_name="ReleaseManager")
    client_for("iam-admin").post(url("user-role-remove", mia.pk, release.pk))
    assert not RoleAssignment.objects.filter(user=mia, role=release).exists()


def test_tags_are_edited_in_place_and_bad_ones_change_nothing(org):
    mia = user("mia")
    client = client_for("iam-admin")
    response = client.post(url("user-tags", mia.pk), {"tags": "team = platform\ncost-centre=42"}, **HTMX)
    assert "Tags saved." in response.content.decode()
    assert user("mia").tags == {"team": "platform", "cost-centre": "42"}
    before = state()
    refused = client.post(url("user-tags", mia.pk), {"tags": "aws:owner=me"}, **HTMX)
    assert "reserved" in refused.content.decode()
    assert state() == before


# Create, edit, delete


def test_creating_a_user_redirects_to_their_page(org):
    data = {"username": "nora", "path": "/eu/", "is_active": "on", "tags": "team=ops", "console_password": ""}
    response = client_for("iam-admin").post(url("user-create"), data)
    nora = user("nora")
    assert response.status_code == 302 and response["Location"] == url("user-detail", nora.pk)
    assert (nora.path, nora.tags, nora.has_usable_password()) == ("/eu/", {"team": "ops"}, False)
    assert AuditEvent.objects.filter(event_name="CreateUser", target_arn=nora.arn).exists()


def test_a_bad_name_is_explained_at_the_field_and_nothing_is_created(org):
    before = state()
    client = client_for("iam-admin")
    page = client.get(url("user-create")).content.decode()
    assert "letters, digits and + = , . @ _ -" in page and 'for="id_username"' in page
    response = client.post(url("user-create"), {"username": "no spaces", "path": "/"})
    assert response.status_code == 200
    assert "may contain only" in response.content.decode()
    duplicate = client.post(url("user-create"), {"username": "MIA", "path": "/"})
    assert "already exists" in duplicate.content.decode()
    assert state() == before


def test_creating_needs_create_user(org):
    client = client_for("mia")
    assert client.get(url("user-create")).status_code == 403
    assert client.post(url("user-create"), {"username": "sneaky", "path": "/"}).status_code == 403
    assert not User.objects.filter(username="sneaky").exists()


def test_editing_a_user(org):
    mia = user("mia")
    response = client_for("iam-admin").post(url("user-edit", mia.pk), {"username": "mia", "path": "/dev/"})
    assert response.status_code == 302
    assert (user("mia").path, user("mia").is_active) == ("/dev/", False)


def test_a_contact_address_is_shown_and_edited_under_update_user(org):
    henry = user("henry")
    edit = {"username": "henry", "path": "/", "is_active": "on", "contact_email": "henry@example.org"}
    assert client_for("iam-admin").post(url("user-edit", henry.pk), edit).status_code == 302
    assert user("henry").contact_email == "henry@example.org"
    event = AuditEvent.objects.filter(event_name="UpdateUser", target_arn=henry.arn).latest("id")
    assert (event.before["contact_email"], event.after["contact_email"]) == ("", "henry@example.org")
    assert "henry@example.org" in client_for("iam-admin").get(url("user-detail", henry.pk)).content.decode()
    reader = client_for("charles").get(url("user-detail", henry.pk))  # ReadOnlyAccess: no iam:UpdateUser
    assert reader.status_code == 200 and "henry@example.org" not in reader.content.decode()


def test_a_contact_address_that_is_no_address_changes_nothing(org):
    henry = user("henry")
    edit = {"username": "henry", "path": "/", "is_active": "on", "contact_email": "not an address"}
    response = client_for("iam-admin").post(url("user-edit", henry.pk), edit)
    assert response.status_code == 200 and "Enter a valid email address" in response.content.decode()
    assert user("henry").contact_email == ""


def test_deleting_shows_what_stands_in_the_way_and_removes_it_in_one_step(org):
    mia = user("mia")
    services.create_access_key(user=mia, actor=None)
    client = client_for("iam-admin")
    page = client.get(url("user-delete", mia.pk)).content.decode()
    assert "What stands in the way" in page and "Developers" in page and "ReleaseManager" in page
    assert "1 access key" in page
    response = client.post(url("user-delete", mia.pk))
    assert response.status_code == 302
    assert not User.objects.filter(username="mia").exists()
    events = AuditEvent.objects.filter(actor_arn__endswith="user/iam-admin").order_by("id")
    assert list(events.values_list("event_name", flat=True)) == [
        "DeleteAccessKey",
        "RemoveUserFromGroup",
        "UnassignRole",
        "DetachUserPolicy",
        "DeleteUser",
    ]
    assert not AccessKey.objects.exists()


def test_root_cannot_be_deleted_from_the_console(org):
    root = User.objects.get(is_superuser=True)
    root_client = Client()
    root_client.force_login(root)
    response = root_client.post(url("user-delete", root.pk), follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert User.objects.filter(pk=root.pk).exists()


def test_the_detail_page_costs_the_same_queries_at_10_and_1000_users(org):
    client = client_for("iam-admin")
    mia = user("mia")
    counts = []
    client.get(url("user-detail", mia.pk))
    for size in (10, 1000):
        factories.bulk_users(size, prefix=f"d{size}-")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("user-detail", mia.pk)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_refusal_midway_through_deletion_leaves_everything_as_it_was(org, monkeypatch):
    mia = user("mia")
    services.create_access_key(user=mia, actor=None)
    before = state()

    def refuse(**kwargs):
        raise ValidationError("Refused for the test.")

    monkeypatch.setattr("identities.services.users.unassign_role", refuse)
    response = client_for("iam-admin").post(url("user-delete", mia.pk), follow=True)
    assert "Refused for the test." in response.content.decode()
    assert state() == before


def test_a_user_created_on_the_console_page_gets_the_self_service_policy(root_client, settings):
    from policies.models import PolicyAttachment

    settings.IAM_SELF_SERVICE_FOR_NEW_USERS = True
    response = root_client.post(
        "/users/new/",
        {"username": "newcomer", "path": "/", "tags": "", "is_active": "on", "console_password": ""},
    )
    assert response.status_code == 302
    attached = PolicyAttachment.objects.filter(user__username="newcomer")
    assert list(attached.values_list("policy__policy_name", flat=True)) == ["SelfService"]


def test_adding_a_user_to_a_group_until_a_moment_and_seeing_it_expire(org):
    henry = user("henry")
    client = client_for("iam-admin")
    until = (timezone.now() + timedelta(hours=3, minutes=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url("user-group-add", henry.pk), {"name": "iampublishers", "expires_at": until}, **HTMX)
    body = response.content.decode()
    assert "henry was added to IAMPublishers, until" in body
    assert "expires in 3\xa0hours" in body
    assert "1 of 10" in body
    Membership.objects.filter(user=henry).update(expires_at=timezone.now() - timedelta(minutes=1))
    page = client.get(url("user-detail", henry.pk)).content.decode()
    assert "Expired" in page and "0 of 10" in page


def test_adding_a_user_to_a_group_with_an_expiry_in_the_past_is_refused(org):
    before = state()
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for("iam-admin").post(
        url("user-group-add", user("henry").pk), {"name": "IAMPublishers", "expires_at": past}, **HTMX
    )
    assert "The expiry must be in the future." in response.content.decode()
    assert state() == before
