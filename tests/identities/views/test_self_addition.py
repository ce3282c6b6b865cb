"""A delegated administrator adding themself to a group they manage: allowed, as in AWS, but asked
before it is saved and said in the confirmation, on the group page and on their own user page."""

import pytest

from identities.models import Membership
from tests.clients import client_for
from tests.identities.views.helpers import HTMX, state, url

pytestmark = pytest.mark.django_db

QUESTION = "You are adding yourself to Developers"
TOLD = "You added yourself: you now have the permissions of Developers."


def is_member(name: str) -> bool:
    return Membership.objects.filter(user__username=name, group__group_name="Developers").exists()


def test_the_group_page_asks_before_the_administrator_adds_themself(org):
    client, developers = client_for("dev-admin"), org.groups["Developers"]
    before = state()
    asked = client.post(url("group-members-add", developers.pk), {"users": ["dev-admin", "henry"]}, **HTMX)
    page = asked.content.decode()
    assert asked.status_code == 200 and QUESTION in page and 'name="confirm" value="yes"' in page
    assert 'name="users" value="dev-admin"' in page and 'name="users" value="henry"' in page
    assert state() == before
    done = client.post(
        url("group-members-add", developers.pk), {"users": ["dev-admin", "henry"], "confirm": "yes"}, **HTMX
    )
    assert TOLD in done.content.decode() and is_member("dev-admin") and is_member("henry")


def test_a_plain_post_gets_the_question_in_the_whole_page(org):
    client, developers = client_for("dev-admin"), org.groups["Developers"]
    asked = client.post(url("group-members-add", developers.pk), {"users": "dev-admin"})
    assert asked.status_code == 200 and QUESTION in asked.content.decode()
    assert "<html" in asked.content.decode() and not is_member("dev-admin")


def test_adding_others_asks_nothing(org):
    client, developers = client_for("dev-admin"), org.groups["Developers"]
    done = client.post(url("group-members-add", developers.pk), {"users": "henry"}, **HTMX)
    assert QUESTION not in done.content.decode() and "You added yourself" not in done.content.decode()
    assert is_member("henry")


def test_the_user_page_asks_before_the_administrator_adds_themself(org):
    client = client_for("dev-admin")
    before = state()
    asked = client.post(url("user-group-add", org.dev_admin.pk), {"name": "developers"}, **HTMX)
    assert asked.status_code == 200 and QUESTION in asked.content.decode()
    assert state() == before
    done = client.post(url("user-group-add", org.dev_admin.pk), {"name": "developers", "confirm": "yes"}, **HTMX)
    assert TOLD in done.content.decode() and is_member("dev-admin")


def test_a_confirmation_does_not_pass_a_refusal_nor_is_asked_for_one(org):
    """Confirming is no permission: dev-admin manages Developers only."""
    client = client_for("dev-admin")
    before = state()
    unasked = client.post(url("user-group-add", org.dev_admin.pk), {"name": "Operations"}, **HTMX)
    assert unasked.status_code == 403 and "You are adding yourself" not in unasked.content.decode()
    refused = client.post(url("user-group-add", org.dev_admin.pk), {"name": "Operations", "confirm": "yes"}, **HTMX)
    assert refused.status_code == 403 and state() == before
