"""The admin and the console tell one truth about an identity's attached managed policies: the
admin's "Attached managed policies" inline lists exactly what the console's policies fragment
lists, for every user, group and role of the organisation (SelfService included)."""

import re

import pytest
from django.urls import reverse

from identities.models import Group, Role, User
from tests.clients import client_for

pytestmark = pytest.mark.django_db

KINDS = {"user": User, "group": Group, "role": Role}


def _admin_attached(client, kind: str, identity) -> set[str]:
    html = client.get(reverse(f"admin:identities_{kind}_change", args=[identity.pk])).content.decode()
    start = html.index("Attached managed policies")
    section = html[start : html.index("</fieldset>", start)]
    return set(re.findall(r'<td class="field-policy">\s*<p><a href="[^"]+">([^<]+)</a></p>', section))


def _console_attached(client, kind: str, identity) -> set[str]:
    response = client.get(reverse("policies:identity-fragment", args=[kind, identity.pk]))
    return {attachment.policy.policy_name for attachment in response.context["policies"].attachments}


@pytest.mark.parametrize("kind", KINDS)
def test_the_admin_lists_the_attached_policies_the_console_lists(org, kind):
    client = client_for("iam-admin")
    identities = KINDS[kind].objects.exclude(**({"is_superuser": True} if kind == "user" else {}))
    seen = {}
    for identity in identities:
        console = _console_attached(client, kind, identity)
        assert _admin_attached(client, kind, identity) == console, identity
        seen[identity.name] = console
    if kind == "user":
        assert "SelfService" in seen["mia"]
