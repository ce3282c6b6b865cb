import pytest
from django.test import RequestFactory
from django.urls import reverse

from identities import services
from identities.audit import AuditEvent
from tests import factories
from tests.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=/"


def test_sign_in_page_renders_a_labelled_form(client):
    response = client.get(reverse("login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_username"' in body and '<label for="id_password"' in body
    assert "csrfmiddlewaretoken" in body


def test_signing_in_with_the_right_password_lands_on_the_dashboard(client, mia):
    response = client.post(reverse("login"), {"username": "mia", "password": factories.TEST_PASSWORD}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert b"Signed in as <strong>mia</strong>" in response.content


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(client, mia):
    wrong = client.post(reverse("login"), {"username": "mia", "password": "nope"})
    unknown = client.post(reverse("login"), {"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


def test_disabled_users_cannot_sign_in(client, mia):
    services.update_user(user=mia, is_active=False, actor=None)
    request = RequestFactory().post("/sign-in/")  # django-axes watches sign-ins through their request
    assert client.login(request=request, username="mia", password=factories.TEST_PASSWORD) is False


def test_home_shows_counts_and_users_in_no_group(client, people, developers):
    services.add_members(group=developers, users=[people["mia"], people["oliver"]], actor=None)
    client.force_login(people["mia"])
    response = client.get(reverse("home"))
    assert response.context["counts"] == {"users": 6, "groups": 1, "roles": 0}
    assert [u.username for u in response.context["users_in_no_group"]] == ["charles", "henry", "james", "lucas"]
    assert b"signed in as the account root user" not in response.content


def test_home_tells_root_to_create_an_administrator(root_client):
    response = root_client.get(reverse("home"))
    assert b"You are signed in as the account root user" in response.content
    assert b"Create an IAM administrator user" in response.content


def test_sign_out_is_a_post(client, mia):
    client.force_login(mia)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_audit_records_the_requests_source_ip(root_client, mia):
    url = reverse("admin:identities_user_change", args=[mia.pk])
    fields = {"username": "mia", "path": "/eu/", "tags": "{}", "is_active": "on"}
    root_client.post(url, admin_form_data(root_client, url, fields), REMOTE_ADDR="203.0.113.9")
    event = AuditEvent.objects.get(event_name="UpdateUser")
    assert (event.source_ip, event.actor_arn) == ("203.0.113.9", "arn:aws:iam::123456789012:root")
