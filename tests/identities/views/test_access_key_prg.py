"""A new access key is created by a POST and shown by the one GET that follows it:
a reload, or the same form sent again, never creates another key nor shows the secret again."""

import csv
import io
import logging
from urllib.parse import unquote

import pytest
from django.urls import reverse

from identities import credentials, services, staleness
from identities.audit import AuditEvent
from identities.credentials import AccessKey
from tests.clients import signed_in
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db

CREATE_FORM = {"id": "create-access-key"}


def keys_url(user) -> str:
    return reverse("identities:access-keys", args=[user.username])


def create(client, user):
    """Open the page and send its create form, as a person clicking the button does."""
    data = form_data(client.get(keys_url(user)).content, **CREATE_FORM)
    return client.post(keys_url(user), data), data


def session_text(client) -> str:
    return repr(dict(client.session.items()))


def test_creating_a_key_redirects_and_the_next_get_shows_the_secret_once(org):
    client = signed_in(org.mia)
    response, _ = create(client, org.mia)
    assert (response.status_code, response["Location"]) == (303, keys_url(org.mia))
    key = AccessKey.objects.get(user=org.mia)
    shown = client.get(keys_url(org.mia))
    secret = shown.context["secret"]
    page = shown.content.decode()
    assert shown.context["new_key"] == key and key.key_id in page and secret in page
    again = client.get(keys_url(org.mia))
    assert again.context["secret"] == "" and secret not in again.content.decode()
    assert AccessKey.objects.filter(user=org.mia).count() == 1


def test_the_secret_is_in_the_session_only_until_the_get_that_shows_it(org):
    client = signed_in(org.mia)
    create(client, org.mia)
    key = AccessKey.objects.get(user=org.mia)
    assert key.key_id in session_text(client)
    secret = client.get(keys_url(org.mia)).context["secret"]
    assert secret and secret not in session_text(client) and key.key_id not in session_text(client)


def test_the_page_showing_the_secret_is_never_stored_by_a_cache(org):
    client = signed_in(org.mia)
    create(client, org.mia)
    shown = client.get(keys_url(org.mia))
    assert shown.context["secret"]
    directives = {part.strip() for part in shown["Cache-Control"].split(",")}
    assert {"no-store", "no-cache", "private"} <= directives


def test_the_original_form_sent_again_after_the_redirect_creates_nothing(org):
    client = signed_in(org.mia)
    _, original = create(client, org.mia)
    first = client.get(keys_url(org.mia)).context["secret"]
    resent = client.post(keys_url(org.mia), original, follow=True)
    page = resent.content.decode()
    assert AccessKey.objects.filter(user=org.mia).count() == 1
    assert resent.context["secret"] == "" and first not in page
    assert "No access key was created" in page


def test_a_second_key_from_the_page_that_shows_the_first_is_created(org):
    client = signed_in(org.mia)
    create(client, org.mia)
    create(client, org.mia)  # the page that shows the first key's secret carries a fresh form
    assert AccessKey.objects.filter(user=org.mia).count() == 2


def test_the_secret_never_reaches_the_audit_trail_or_the_logs(org, caplog):
    client = signed_in(org.iam_admin)
    with caplog.at_level(logging.DEBUG):
        create(client, org.oliver)
        secret = client.get(keys_url(org.oliver)).context["secret"]
    assert secret
    rows = [repr(row) for row in AuditEvent.objects.values()]
    assert any("CreateAccessKey" in row for row in rows)
    assert not [row for row in rows if secret in row]
    assert not [record for record in caplog.records if secret in record.getMessage()]


def test_the_csv_download_holds_the_key_as_aws_writes_it_and_only_while_it_is_shown(org):
    client = signed_in(org.mia)
    create(client, org.mia)
    shown = client.get(keys_url(org.mia))
    key, secret = shown.context["new_key"], shown.context["secret"]
    page = shown.content.decode()
    prefix = 'href="data:text/csv;charset=utf-8,'
    link = page.split(prefix, 1)[1].split('"', 1)[0]
    assert 'download="mia_accessKeys.csv"' in page
    rows = list(csv.reader(io.StringIO(unquote(link))))
    assert rows == [["Access key ID", "Secret access key"], [key.key_id, secret]]
    assert prefix not in client.get(keys_url(org.mia)).content.decode()


def test_the_copy_buttons_name_what_they_copy_and_need_no_inline_script(org):
    client = signed_in(org.mia)
    create(client, org.mia)
    page = client.get(keys_url(org.mia)).content.decode()
    assert 'data-copy-target="#new-key-id"' in page and 'data-copy-target="#new-secret"' in page
    assert "onclick" not in page and "<script>" not in page


def test_a_key_created_for_another_user_is_not_shown_on_someone_elses_page(org):
    client = signed_in(org.iam_admin)
    create(client, org.oliver)
    other = client.get(keys_url(org.james))
    assert other.context["secret"] == "" and "New access key created" not in other.content.decode()
    assert client.get(keys_url(org.oliver)).context["secret"] == ""


def test_the_service_refuses_a_create_based_on_keys_no_longer_there(org):
    shown = credentials.keys_token([])
    services.create_access_key(user=org.mia, actor=org.mia, based_on=shown)
    with pytest.raises(staleness.StaleEdit):
        services.create_access_key(user=org.mia, actor=org.mia, based_on=shown)
    assert AccessKey.objects.filter(user=org.mia).count() == 1
    assert AuditEvent.objects.filter(event_name="CreateAccessKey").count() == 1
