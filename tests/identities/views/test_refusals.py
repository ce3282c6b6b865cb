"""The console's own refusal pages (identities.console): a 404 says only that there is no such
page, whatever DEBUG says; a 403 names the action refused and links the policy check of it."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from identities.models import Group
from identities.templatetags.console_tags import arn as wrapped_arn
from tests.clients import client_for
from tests.identities.views.helpers import HTMX, state, url, user

pytestmark = pytest.mark.django_db

ACCOUNT = "arn:aws:iam::123456789012"
# What Django's technical 404 says when it lists the URL patterns it tried.
TECHNICAL = ("URLconf", "tried these URL patterns", "&lt;int:pk&gt;", "<int:pk>")


def _card(response) -> str:
    """The refusal card: the page without the parts that differ per request (CSRF tokens)."""
    text = response.content.decode()
    return re.search(r'<div class="card shadow-sm mx-auto mt-4 refusal-card">.*?</div>\s*</div>', text, re.S).group(0)


def _says_no_such_page(response) -> None:
    assert response.status_code == 404
    assert "404.html" in [template.name for template in response.templates]
    card = _card(response)
    assert "No such page" in card
    assert not any(words in response.content.decode() for words in TECHNICAL)


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def test_a_page_the_viewer_may_not_read_is_no_such_page(org, debug):
    # dev-admin lists users but may read no user's page.
    _says_no_such_page(client_for("dev-admin").get(url("user-detail", user("mia").pk)))


def test_no_right_and_no_such_object_look_the_same(org, debug):
    client = client_for("dev-admin")
    refused = client.get(url("user-detail", user("mia").pk))
    missing = client.get(url("user-detail", 987654))
    _says_no_such_page(missing)
    assert _card(refused) == _card(missing)


def test_an_unknown_address_is_no_such_page_in_every_mode(org, debug):
    _says_no_such_page(client_for("mia").get("/no-such-page/"))


def test_a_refused_change_in_place_is_no_such_page_and_changes_nothing(org, debug):
    before = state()
    response = client_for("dev-admin").post(url("user-group-add", user("mia").pk), {"name": "Operations"}, **HTMX)
    _says_no_such_page(response)
    assert state() == before


def test_a_page_the_viewer_may_read_but_not_change_names_the_action(org, debug):
    developers = Group.objects.get(group_name="Developers")
    response = client_for("dev-admin").get(url("group-edit", developers.pk))
    assert response.status_code == 403
    card = _card(response)
    assert "<code>iam:UpdateGroup</code>" in card
    assert wrapped_arn(f"{ACCOUNT}:group/Developers") in card
    # Said once, not "Your policies do not allow this request. (Your policies do not allow …)".
    assert response.content.decode().count("do not allow") == 1


def test_the_403_links_the_policy_check_of_the_refused_request(org):
    developers = Group.objects.get(group_name="Developers")
    client = client_for("dev-admin")
    card = _card(client.get(url("group-edit", developers.pk)))
    link = re.search(r'<a href="([^"]+)">Check this request</a>', card).group(1).replace("&amp;", "&")
    address = urlsplit(link)
    assert address.path == reverse("policies:policy-check")
    assert parse_qs(address.query) == {
        "kind": ["user"],
        "principal": [f"{ACCOUNT}:user/dev-admin"],
        "actions": ["iam:UpdateGroup"],
        "resources": [f"{ACCOUNT}:group/Developers"],
    }
    check = client.get(link)
    assert check.status_code == 200
    assert check.context["form"].cleaned_data["actions"] == ["iam:UpdateGroup"]
    assert check.context["rows"]


def test_the_403_offers_the_policy_check_only_to_those_who_may_run_it(org):
    from policies import services as policy_services

    dev_admin = user("dev-admin")
    policy_services.detach_policy(policy=org.policies["SelfService"], identity=dev_admin, actor=None)
    developers = Group.objects.get(group_name="Developers")
    response = client_for("dev-admin").get(url("group-edit", developers.pk))
    assert response.status_code == 403
    card = _card(response)
    assert "<code>iam:UpdateGroup</code>" in card
    assert "Check this request" not in card
    assert reverse("policies:policy-check") not in card


def test_the_credential_reports_403_names_the_action_and_links_its_check(org):
    response = client_for("mia").get(reverse("credential-report"))
    assert response.status_code == 403
    card = _card(response)
    assert "<code>iam:GenerateCredentialReport</code>" in card
    link = re.search(r'<a href="([^"]+)">Check this request</a>', card).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query)["actions"] == ["iam:GenerateCredentialReport"]


def test_the_admin_keeps_its_own_answer_to_a_missing_object(org, debug):
    # Django's admin sends a missing object back to its index with a message, not to a 404.
    response = client_for("iam-admin").get("/admin/identities/user/987654/change/")
    assert (response.status_code, response["Location"]) == (302, reverse("admin:index"))


def test_the_api_keeps_its_own_answers(org, debug):
    response = client_for("mia").get(reverse("api:caller-identity"))
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
