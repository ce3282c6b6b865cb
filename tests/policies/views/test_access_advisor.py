"""The Access Advisor pages (policies.views.lastaccess): a user's, group's, role's and policy's
granted actions with their last use, the unused filter, and the policy from activity."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from identities import services as identity_services
from policies import lastaccess, services
from policies.lastaccess.recording import Use, recorder
from policies.models import LastAccessed, ManagedPolicy
from tests.clients import client_for

pytestmark = pytest.mark.django_db

DEV = "arn:aws:storage:::dev-app"


def advisor_url(kind: str, pk: int) -> str:
    return reverse("policies:access-advisor", args=[kind, pk])


def use(principal, action: str, resource: str, *, days_ago: int = 0, credential: str = "AKIAEXAMPLE") -> None:
    at = timezone.now() - timedelta(days=days_ago)
    recorder.add(principal.iam_id, resource, Use(principal.arn, action, credential, at))


def rows(response) -> dict[str, str]:
    """Each action the page lists, with when it was last used ("" for never), as the page marks them."""
    pattern = r'<li class="advisor-action[^"]*" data-action="([^"]+)" data-last-used="([^"]*)"'
    return dict(re.findall(pattern, response.content.decode()))


@pytest.fixture
def mia_used(org):
    use(org.mia, "storage:GetObject", f"{DEV}/a")
    use(org.mia, "storage:PutObject", f"{DEV}/b", days_ago=40)
    lastaccess.flush()
    return org.mia


def test_a_users_page_lists_granted_actions_with_their_last_use(mia_used):
    response = client_for("iam-admin").get(advisor_url("user", mia_used.pk))
    assert response.status_code == 200
    shown = rows(response)
    assert shown["storage:DeleteObject"] == ""  # never
    for action in ("storage:GetObject", "storage:PutObject"):
        assert shown[action] == LastAccessed.objects.get(action=action).last_allowed_at.isoformat()
    assert "with AKIAEXAMPLE" in response.content.decode()
    assert "iam:CreateUser" not in shown  # Developers are granted no IAM action beyond SelfService's own
    assert "iam:GetUser" in shown  # SelfService: their own user


def test_the_filter_keeps_what_is_granted_but_unused_for_n_days(mia_used):
    response = client_for("iam-admin").get(advisor_url("user", mia_used.pk), {"unused_days": "30"})
    shown = rows(response)
    assert "storage:GetObject" not in shown  # used today
    assert shown["storage:PutObject"] != ""  # used 40 days ago
    assert shown["storage:DeleteObject"] == ""  # never


@pytest.mark.parametrize("bad", ["abc", "0", "99999", "-3"])
def test_a_bad_filter_is_refused_with_a_message(mia_used, bad):
    response = client_for("iam-admin").get(advisor_url("user", mia_used.pk), {"unused_days": bad})
    assert response.status_code == 400
    assert "not a number of days from 1 to 3650" in response.content.decode()
    assert rows(response) == {}


def test_a_group_shows_its_members_uses_and_a_policy_those_it_is_attached_to(org, mia_used):
    client = client_for("iam-admin")
    group = client.get(advisor_url("group", org.groups["Developers"].pk))
    assert rows(group)["storage:GetObject"] != ""
    assert rows(client.get(advisor_url("group", org.groups["Operations"].pk)))["storage:GetObject"] == ""
    policy = ManagedPolicy.objects.get(policy_name="DevelopersStorageAccess")
    shown = rows(client.get(advisor_url("policy", policy.pk)))
    assert shown["storage:GetObject"] != ""
    assert "iam:GetUser" not in shown  # the policy grants no IAM action


def test_a_role_shows_its_sessions_uses(org):
    role = org.roles["ReleaseManager"]
    recorder.add(
        role.iam_id, "arn:aws:storage:::production-data/releases/1", Use("x", "storage:PutObject", "", timezone.now())
    )
    lastaccess.flush()
    assert rows(client_for("iam-admin").get(advisor_url("role", role.pk)))["storage:PutObject"] != ""


def test_without_reading_the_entity_it_is_404_and_without_the_advisors_actions_403(org):
    assert client_for("henry").get(advisor_url("user", org.mia.pk)).status_code == 404
    # dev-admin reads Developers (iam:GetGroup) but has neither Access Advisor action.
    assert client_for("dev-admin").get(advisor_url("group", org.groups["Developers"].pk)).status_code == 403
    assert client_for("iam-admin").get(advisor_url("user", org.root.pk)).status_code == 404
    assert client_for("iam-admin").get(advisor_url("guardrail", 1)).status_code == 404
    assert client_for("iam-admin").get(advisor_url("user", 10**6)).status_code == 404


def test_the_pages_link_it_only_for_those_who_may_open_it(org):
    admin, henry = client_for("iam-admin"), client_for("henry")
    link = advisor_url("user", org.mia.pk)
    assert link in admin.get(reverse("policies:identity-fragment", args=["user", org.mia.pk])).content.decode()
    policy = ManagedPolicy.objects.get(policy_name="DevelopersStorageAccess")
    assert (
        advisor_url("policy", policy.pk)
        in admin.get(reverse("policies:policy-detail", args=[policy.pk])).content.decode()
    )
    own = henry.get(reverse("policies:identity-fragment", args=["user", org.henry.pk]))
    assert own.status_code == 200 and advisor_url("user", org.henry.pk) not in own.content.decode()


def _counted(client, url: str) -> int:
    client.get(url)  # the session and the compiled policies, loaded once at either size
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _grow(group, start: int, end: int) -> None:
    people = [identity_services.create_user(username=f"dev{index}", actor=None) for index in range(start, end)]
    identity_services.add_members(group=group, users=people, actor=None)
    for person in people:
        for index in range(3):
            use(person, "storage:GetObject", f"{DEV}/{person.username}/{index}")
    lastaccess.flush()


@pytest.mark.parametrize("page", ["policies:access-advisor", "policies:activity-policy"])
def test_the_query_count_does_not_grow_with_members_and_uses(org, page):
    client, developers = client_for("iam-admin"), org.groups["Developers"]
    url = reverse(page, args=["group", developers.pk])
    _grow(developers, 0, 2)
    small = _counted(client, url)
    _grow(developers, 2, 12)
    assert LastAccessed.objects.filter(action="storage:GetObject").count() == 36
    assert _counted(client, url) == small


def test_the_policy_from_activity_is_offered_in_the_create_form(mia_used):
    client = client_for("iam-admin")
    url = reverse("policies:activity-policy", args=["user", mia_used.pk])
    response = client.get(url, {"days": "30"})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'action="{reverse("policies:policy-create")}"' in page
    assert 'value="mia-from-activity"' in page
    text = re.search(r'<textarea name="document"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    document = json.loads(text.replace("&quot;", '"'))
    assert document["Statement"] == [
        {"Sid": "UsedActions1", "Effect": "Allow", "Action": "storage:GetObject", "Resource": f"{DEV}/a"}
    ]
    replaced = re.search(r"in place of (.*?)</p>", page, re.S).group(1)
    assert re.findall(r">([^<]+)</a>", replaced) == ["DevelopersStorageAccess", "SelfService"]
    created = client.post(
        reverse("policies:policy-create"),
        {"policy_name": "mia-from-activity", "path": "/", "description": "", "document": text.replace("&quot;", '"')},
    )
    assert created.status_code == 302
    assert ManagedPolicy.objects.get(policy_name="mia-from-activity").versions.get().document == document


def test_nothing_used_in_the_window_offers_nothing(org):
    response = client_for("iam-admin").get(reverse("policies:activity-policy", args=["user", org.henry.pk]))
    assert response.status_code == 200
    assert "Nothing was used in the last 90 days" in response.content.decode()
    assert "<textarea" not in response.content.decode()


@pytest.mark.parametrize("bad", ["abc", "0", "366"])
def test_a_bad_window_is_refused_with_a_message(mia_used, bad):
    response = client_for("iam-admin").get(
        reverse("policies:activity-policy", args=["user", mia_used.pk]), {"days": bad}
    )
    assert response.status_code == 400
    assert "not a number of days from 1 to 365" in response.content.decode()


def test_a_policy_counts_the_uses_of_users_and_roles_it_is_attached_to_directly(org):
    policy = ManagedPolicy.objects.get(policy_name="PublishingAccess")  # attached to an empty group
    client = client_for("iam-admin")
    use(org.henry, "storage:PutObject", "arn:aws:storage:::public-site/index.html")
    role = org.roles["AuditReviewer"]
    recorder.add(role.iam_id, "arn:aws:storage:::public-site", Use(role.arn, "storage:ListBucket", "", timezone.now()))
    use(org.mia, "storage:GetObject", "arn:aws:storage:::public-site/index.html")  # not attached to her
    lastaccess.flush()
    shown = rows(client.get(advisor_url("policy", policy.pk)))
    storage = {action: last for action, last in shown.items() if action.startswith("storage:")}
    assert storage == {"storage:GetObject": "", "storage:ListBucket": "", "storage:PutObject": ""}
    services.attach_policy(policy=policy, identity=org.henry, actor=None)
    services.attach_policy(policy=policy, identity=role, actor=None)
    shown = rows(client.get(advisor_url("policy", policy.pk)))
    assert (shown["storage:GetObject"], shown["storage:ListBucket"] != "", shown["storage:PutObject"] != "") == (
        "",
        True,
        True,
    )
