"""The policies pages refuse with the console's own pages (identities.console), DEBUG on or off."""

import re

import pytest
from django.urls import reverse

from policies.models import ManagedPolicy
from tests.clients import client_for

pytestmark = pytest.mark.django_db


def _card(response) -> str:
    text = response.content.decode()
    return re.search(r'<div class="card shadow-sm mx-auto mt-4 refusal-card">.*?</div>\s*</div>', text, re.S).group(0)


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param


def _policy(name: str) -> ManagedPolicy:
    return ManagedPolicy.objects.get(policy_name=name)


@pytest.mark.parametrize(
    "page",
    [
        lambda: reverse("policies:policy-detail", args=[_policy("ReadOnlyAccess").pk]),
        lambda: reverse("policies:policy-detail", args=[987654]),
        lambda: reverse("policies:identity-fragment", args=["user", 987654]),
        lambda: reverse("policies:identity-fragment", args=["banana", 1]),
    ],
    ids=["not-readable", "no-such-policy", "no-such-user", "no-such-kind"],
)
def test_what_the_viewer_may_not_read_is_no_such_page(org, debug, page):
    response = client_for("dev-admin").get(page())
    assert response.status_code == 404
    assert "No such page" in _card(response)
    assert "URLconf" not in response.content.decode()


def test_a_refused_list_names_its_action_once(org, debug):
    response = client_for("dev-admin").get(reverse("policies:policy-list"))
    assert response.status_code == 403
    card = _card(response)
    assert "<code>iam:ListPolicies</code>" in card
    assert "actions=iam%3AListPolicies" in card
    assert response.content.decode().count("do not allow") == 1


def test_a_403_without_an_action_to_check_says_its_reason_once(org):
    # A built-in policy cannot be changed by anyone: no action to check, only the reason.
    builtin = _policy("ReadOnlyAccess")
    response = client_for("iam-admin").get(reverse("policies:policy-delete", args=[builtin.pk]))
    assert response.status_code == 403
    card = _card(response)
    assert "ReadOnlyAccess is built in or AWS managed and cannot be changed." in card
    assert "Check this request" not in card
