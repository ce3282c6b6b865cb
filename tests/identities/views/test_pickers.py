"""The user page's typeahead pickers: "Add to group" and "Assign role" (identities/views/pickers.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from identities.models import Group, Role
from policies import services as policy_services
from tests import documents, factories
from tests.clients import client_for, signed_in
from tests.identities.views.helpers import HTMX, state, url, user

pytestmark = pytest.mark.django_db
ACCOUNT = "arn:aws:iam::123456789012"


def offered(response) -> list[str]:
    assert response.status_code == 200
    return response.context["names"]


def test_the_group_picker_offers_matching_groups_the_user_is_not_in(org):
    client = client_for("iam-admin")
    assert offered(client.get(url("user-group-candidates", user("henry").pk), {"name": "te"}, **HTMX)) == ["AuditTeam"]
    assert offered(client.get(url("user-group-candidates", user("charles").pk), {"name": "te"}, **HTMX)) == []
    body = client.get(url("user-group-candidates", user("henry").pk), {"name": "ope"}).content.decode()
    assert '<datalist id="group-choices"><option value="Developers"></option><option value="Operations">' in body
    assert "2 groups match: Developers, Operations" in body


def test_the_group_picker_offers_only_groups_the_viewer_may_add_to(org):
    # A delegate who reads users and adds members to Developers only: Operations matches, unoffered.
    delegate = factories.UserFactory(username="delegate")
    document = documents.document(
        documents.statement("Allow", ["iam:GetUser", "iam:ListGroups"]),
        documents.statement("Allow", ["iam:AddUserToGroup"], f"{ACCOUNT}:group/Developers"),
    )
    policy_services.put_inline_policy(identity=delegate, policy_name="Delegate", document=document, actor=None)
    client = signed_in(delegate)
    assert offered(client.get(url("user-group-candidates", user("henry").pk), {"name": "ope"})) == ["Developers"]
    response = client.get(url("user-group-candidates", user("henry").pk), {"name": "operat"})
    assert offered(response) == []
    assert "No group you may add henry to matches “operat”." in response.content.decode()


def test_the_role_picker_offers_matching_roles_not_yet_assigned(org):
    client = client_for("iam-admin")
    assert offered(client.get(url("user-role-candidates", user("henry").pk), {"name": "re"})) == [
        "AuditReviewer",
        "ReleaseManager",
    ]
    assert offered(client.get(url("user-role-candidates", user("mia").pk), {"name": "re"})) == ["AuditReviewer"]
    assert offered(client.get(url("user-role-candidates", user("mia").pk), {"name": ""})) == []


def test_root_is_offered_nothing(org):
    client = client_for("root")
    assert offered(client.get(url("user-group-candidates", org.root.pk), {"name": "e"})) == []
    assert offered(client.get(url("user-role-candidates", org.root.pk), {"name": "e"})) == []


def test_the_user_page_searches_as_one_types_in_both_pickers(org):
    body = client_for("iam-admin").get(url("user-detail", user("henry").pk)).content.decode()
    assert f'list="group-choices" hx-get="{url("user-group-candidates", user("henry").pk)}"' in body
    assert f'list="role-choices" hx-get="{url("user-role-candidates", user("henry").pk)}"' in body
    assert 'hx-target="#group-picker-choices" hx-swap="innerHTML"' in body


def test_a_viewer_who_may_not_add_gets_403_and_an_unreadable_user_404(org):
    before = state()
    assert client_for("charles").get(url("user-group-candidates", user("henry").pk), {"name": "e"}).status_code == 403
    assert client_for("charles").get(url("user-role-candidates", user("henry").pk), {"name": "e"}).status_code == 403
    assert client_for("henry").get(url("user-group-candidates", user("mia").pk), {"name": "e"}).status_code == 404
    assert client_for("henry").get(url("user-role-candidates", user("mia").pk), {"name": "e"}).status_code == 404
    assert state() == before


def test_pickers_answer_only_get(org):
    client = client_for("iam-admin")
    assert client.post(url("user-group-candidates", user("henry").pk), {"name": "e"}).status_code == 405
    assert client.post(url("user-role-candidates", user("henry").pk), {"name": "e"}).status_code == 405


@pytest.mark.parametrize(
    ("name", "model", "field"),
    [("user-group-candidates", Group, "group_name"), ("user-role-candidates", Role, "role_name")],
)
def test_a_picker_costs_the_same_queries_at_3_and_300_matches(org, name, model, field):
    client = client_for("iam-admin")
    henry = user("henry")
    counts = []
    client.get(url(name, henry.pk), {"name": "Bulk"})
    for size in (3, 300):
        model.objects.bulk_create(
            [model(**{field: f"Bulk{size}x{index}", "iam_id": f"{size}x{index}"}) for index in range(size)]
        )
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(name, henry.pk), {"name": "Bulk"})
        counts.append(len(captured))
        assert len(offered(response)) == min(size + (3 if size == 300 else 0), 20)
    assert counts[0] == counts[1]
