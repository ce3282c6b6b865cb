"""Every page where a policy document is edited carries the visual statement builder beside
its editor, bound to that editor's textarea (static/js/statement_builder.js does the rest, tested
in tests/browser/test_statement_builder.py); only a role's trust policy gets the trust builder."""

import re

import pytest
from django.urls import reverse

from policies import lastaccess
from policies.models import ManagedPolicy
from tests.clients import client_for
from tests.policies.views.test_access_advisor import DEV, use

pytestmark = pytest.mark.django_db


def builders(html: str) -> list[tuple[str, bool]]:
    """Each builder's textarea id, and whether it is a trust policy's, checking the textarea exists."""
    found = []
    for tag in re.findall(r"<details [^>]*data-statement-builder[^>]*>", html):
        target = re.search(r'data-target="([^"]+)"', tag).group(1)
        assert re.search(rf'<textarea [^>]*id="{target}"', html), target
        found.append((target, " data-trust" in tag))
    return found


def _pages(org) -> dict[str, tuple[str, list[tuple[str, bool]]]]:
    policy = ManagedPolicy.objects.get(policy_name="DevelopersStorageAccess")
    role, henry = org.roles["ReleaseManager"], org.henry
    use(org.mia, "storage:GetObject", f"{DEV}/a")
    lastaccess.flush()
    return {
        "create": (reverse("policies:policy-create"), [("id_document", False)]),
        "new version": (reverse("policies:policy-detail", args=[policy.pk]), [("id_document", False)]),
        "activity": (reverse("policies:activity-policy", args=["user", org.mia.pk]), [("id_document", False)]),
        "role create": (reverse("identities:role-create"), [("id_trust_policy", True)]),
        "role edit": (reverse("identities:role-edit", args=[role.pk]), [("id_trust_policy", True)]),
        "user inline": (
            reverse("policies:identity-fragment", args=["user", henry.pk]),
            [(f"inline-document-user-{henry.pk}", False)],
        ),
        "role inline": (
            reverse("policies:identity-fragment", args=["role", role.pk]),
            [(f"inline-document-role-{role.pk}", False)],
        ),
        "group inline": (
            reverse("policies:identity-fragment", args=["group", org.groups["Developers"].pk]),
            [(f"inline-document-group-{org.groups['Developers'].pk}", False)],
        ),
    }


def test_every_policy_editor_has_the_builder_bound_to_its_textarea(org):
    admin = client_for("iam-admin")
    for name, (url, expected) in _pages(org).items():
        response = admin.get(url)
        assert response.status_code == 200, name
        assert builders(response.content.decode()) == expected, name


def test_a_page_that_edits_no_document_has_no_builder(org):
    response = client_for("iam-admin").get(reverse("policies:policy-detail", args=[org.policies["ReadOnlyAccess"].pk]))
    assert response.status_code == 200
    assert builders(response.content.decode()) == []
