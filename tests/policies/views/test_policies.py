"""The managed policies pages on the article's organisation (`org`): list, detail, editor, versions, create, delete."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.models import Group, User
from policies import services
from policies.models import ManagedPolicy, PermissionBoundary, PolicyAttachment, PolicyVersion
from tests.clients import client_for
from tests.documents import allow

pytestmark = pytest.mark.django_db

VALID = json.dumps(allow("storage:GetObject", "arn:aws:storage:::dev-app/*"), indent=2)
TYPO = (
    '{\n  "Version": "2012-10-17",\n  "Statement": [\n'
    '    {"Effect": "Allow", "Acton": "storage:Get*", "Resource": "*"}\n  ]\n}'
)


def policy(name: str) -> ManagedPolicy:
    return ManagedPolicy.objects.get(policy_name=name)


def state() -> tuple:
    """Everything a policy change could touch, to assert that a refused one touched nothing."""
    return (
        sorted(PolicyVersion.objects.values_list("policy_id", "number", "is_default", "document"), key=str),
        sorted(PolicyAttachment.objects.values_list("policy_id", "user_id", "group_id", "role_id"), key=str),
        sorted(PermissionBoundary.objects.values_list("policy_id", "user_id", "role_id"), key=str),
        ManagedPolicy.objects.count(),
        AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count(),
    )


# The list


def test_list_shows_where_each_policy_is_attached(org):
    response = client_for("iam-admin").get(reverse("policies:policy-list"))
    assert response.status_code == 200
    rows = {row.policy_name: row for row in response.context["page"]}
    assert (rows["ReadOnlyAccess"].user_count, rows["ReadOnlyAccess"].group_count) == (1, 1)
    assert rows["ReadOnlyAccess"].role_count == 1
    assert rows["DevelopersStorageAccess"].group_count == 1
    assert rows["DevelopersStorageAccess"].default_number == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "storage"}, {"DevelopersStorageAccess", "OperationsStorageAccess"}),
        ({"kind": "customer"}, {"DevelopersStorageAccess", "OperationsStorageAccess", "PublishingAccess"}),
        ({"kind": "customer", "attached": "no"}, set()),
    ],
)
def test_list_searches_and_filters(org, query, expected):
    response = client_for("iam-admin").get(reverse("policies:policy-list"), query)
    assert {row.policy_name for row in response.context["page"]} == expected


def test_list_filters_built_in_and_unattached(org):
    response = client_for("iam-admin").get(reverse("policies:policy-list"), {"kind": "builtin", "attached": "yes"})
    assert {row.policy_name for row in response.context["page"]} == {"IAMFullAccess", "ReadOnlyAccess", "SelfService"}


def test_list_without_list_policies_is_403(org):
    assert client_for("henry").get(reverse("policies:policy-list")).status_code == 403


def test_list_refuses_post(org):
    assert client_for("iam-admin").post(reverse("policies:policy-list")).status_code == 405


def _many_policies(count: int, prefix: str = "Bulk") -> None:
    group = Group.objects.get(group_name="IAMPublishers")
    created = ManagedPolicy.objects.bulk_create(
        [ManagedPolicy(policy_name=f"{prefix}{index:05}", next_version_number=2) for index in range(count)]
    )
    PolicyVersion.objects.bulk_create(
        [PolicyVersion(policy=item, number=1, is_default=True, document=allow("storage:GetObject")) for item in created]
    )
    PolicyAttachment.objects.bulk_create([PolicyAttachment(policy=item, group=group) for item in created])


def _queries(client, url: str) -> int:
    """The queries of a page once its principal's layers are cached (a change of data renews
    the permissions generation, and the first page after it loads them again)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_queries_do_not_grow_with_policies(org):
    client, url = client_for("iam-admin"), reverse("policies:policy-list")
    _many_policies(10)
    client.get(url)
    small = _queries(client, url)
    _many_policies(990, "More")
    assert _queries(client, url) == small


# A policy's page


def test_detail_shows_versions_document_and_places(org):
    target = policy("DevelopersStorageAccess")
    response = client_for("iam-admin").get(reverse("policies:policy-detail", args=[target.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<span class="json-key">&quot;Effect&quot;</span>: <span class="json-string">&quot;Allow&quot;</span>' in html
    )
    assert [version.version_id for version in response.context["versions"]] == ["v1"]
    assert [attachment.owner.name for attachment in response.context["places"].attachments] == ["Developers"]
    assert [event.event_name for event in response.context["events"]] == ["CreatePolicy"]
    assert response.context["can"] == {
        "create_version": True,
        "set_default": True,
        "delete_version": True,
        "delete": True,
        "advisor": True,
    }


def test_built_in_policy_offers_no_edit_or_delete(org):
    response = client_for("iam-admin").get(reverse("policies:policy-detail", args=[policy("ReadOnlyAccess").pk]))
    changes = {name: may for name, may in response.context["can"].items() if name != "advisor"}
    assert set(changes.values()) == {False}
    assert response.context["can"]["advisor"] is True  # reading who used it is no change
    html = response.content.decode()
    assert "Delete policy" not in html and "Save as new version" not in html


def test_detail_without_get_policy_is_404(org):
    url = reverse("policies:policy-detail", args=[policy("DevelopersStorageAccess").pk])
    assert client_for("henry").get(url).status_code == 404


def test_detail_of_a_missing_policy_is_404(org):
    assert client_for("iam-admin").get(reverse("policies:policy-detail", args=[99999])).status_code == 404


def test_detail_refuses_post(org):
    url = reverse("policies:policy-detail", args=[policy("DevelopersStorageAccess").pk])
    assert client_for("iam-admin").post(url).status_code == 405


def test_detail_queries_do_not_grow_with_policies(org):
    client = client_for("iam-admin")
    url = reverse("policies:policy-detail", args=[policy("PublishingAccess").pk])
    _many_policies(10)
    client.get(url)
    small = _queries(client, url)
    _many_policies(990, "More")
    assert _queries(client, url) == small


# The editor


def test_validation_places_each_finding_at_its_line(org):
    response = client_for("iam-admin").post(reverse("policies:policy-validate"), {"document": TYPO})
    assert response.status_code == 200
    lines = response.context["lines"]
    assert [finding.code for finding in lines[3].findings] == ["UNKNOWN_ELEMENT", "MISSING_ACTION"]
    assert all(not line.findings for index, line in enumerate(lines) if index != 3)
    html = response.content.decode()
    assert "did you mean &#x27;Action&#x27;?" in html and 'id="line-4" class="has-finding"' in html


def test_validation_of_a_valid_document_says_so(org):
    response = client_for("iam-admin").post(reverse("policies:policy-validate"), {"document": VALID})
    assert "No findings: the document is valid." in response.content.decode()


CONDITION_KEY_SLIPS = (
    '{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n'
    '    "Action": "iam:CreateUser",\n    "Resource": "*",\n    "Condition": {\n'
    '      "StringEquals": {"aws:usernme": "mia", "aws:SourceIp": "10.0.0.1"},\n'
    '      "ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}\n'
    "    }\n  }]\n}"
)


def test_the_editor_shows_unknown_condition_keys_and_operators_that_do_not_suit_a_key(org):
    response = client_for("iam-admin").post(reverse("policies:policy-validate"), {"document": CONDITION_KEY_SLIPS})
    found = [(finding.code, finding.line) for finding in response.context["findings"]]
    # iam:PolicyARN is a key of AttachUserPolicy and its kin in AWS's table, not of CreateUser.
    assert found == [("UNKNOWN_CONDITION_KEY", 8), ("CONDITION_TYPE_MISMATCH", 8), ("UNKNOWN_CONDITION_KEY", 9)]
    html = response.content.decode()
    assert "aws:usernme is not a global condition key (did you mean aws:username?)" in html
    assert "StringEquals does not suit aws:SourceIp (of type IPAddress)" in html
    assert (
        "iam:PolicyARN is neither a global condition key nor a condition key of this statement&#x27;s actions" in html
    )
    assert 'id="line-8" class="has-finding"' in html and 'id="line-9" class="has-finding"' in html


TRUST_TYPO = (
    '{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n'
    '    "Principal": {"AWS": "arn:aws:iam::123456789012:user/oliver"},\n    "Action": "sts:AssumeRol"\n  }]\n}'
)


def test_the_trust_policy_editor_is_checked_as_a_trust_policy_as_typed(org):
    url = reverse("policies:trust-policy-validate")
    response = client_for("iam-admin").post(url, {"trust_policy": TRUST_TYPO})
    lines = response.context["lines"]
    assert [(finding.code, finding.line) for finding in response.context["findings"]] == [("TRUST_ACTION", 6)]
    assert [finding.code for finding in lines[5].findings] == ["TRUST_ACTION"]
    # The same document as a managed policy is something else again: no principal allowed, no resource.
    as_managed = client_for("iam-admin").post(reverse("policies:policy-validate"), {"document": TRUST_TYPO})
    assert "TRUST_ACTION" not in [finding.code for finding in as_managed.context["findings"]]


def test_the_role_form_edits_its_trust_policy_in_the_policy_editor(org):
    response = client_for("iam-admin").get(reverse("identities:role-create"))
    html = response.content.decode()
    assert f'hx-post="{reverse("policies:trust-policy-validate")}" hx-trigger="load, keyup changed delay:400ms"' in html
    assert 'name="trust_policy"' in html and 'id="findings"' in html


def test_validation_refuses_get(org):
    assert client_for("iam-admin").get(reverse("policies:policy-validate")).status_code == 405


def test_saving_a_version_makes_it_the_default(org):
    target = policy("PublishingAccess")
    url = reverse("policies:policy-version-create", args=[target.pk])
    response = client_for("iam-admin").post(url, {"document": VALID, "set_as_default": "on"})
    assert response.status_code == 302
    default = PolicyVersion.objects.get(policy=target, is_default=True)
    assert (default.number, default.document) == (2, json.loads(VALID))


def test_saving_without_default_keeps_the_old_default(org):
    target = policy("PublishingAccess")
    client_for("iam-admin").post(reverse("policies:policy-version-create", args=[target.pk]), {"document": VALID})
    assert PolicyVersion.objects.get(policy=target, is_default=True).number == 1
    assert target.versions.count() == 2


def test_saving_a_document_with_errors_changes_nothing_and_shows_them_at_their_lines(org):
    target, before = policy("PublishingAccess"), state()
    url = reverse("policies:policy-version-create", args=[target.pk])
    response = client_for("iam-admin").post(url, {"document": TYPO, "set_as_default": "on"})
    assert response.status_code == 400
    assert state() == before
    assert [finding.line for line in response.context["lines"] for finding in line.findings] == [4, 4]
    assert "Not saved" in response.content.decode()


def test_saving_a_version_with_read_only_is_403(org):
    target, before = policy("PublishingAccess"), state()
    url = reverse("policies:policy-version-create", args=[target.pk])
    assert client_for("charles").post(url, {"document": VALID}).status_code == 403
    assert state() == before


def test_saving_a_version_of_an_unreadable_policy_is_404(org):
    url = reverse("policies:policy-version-create", args=[policy("PublishingAccess").pk])
    assert client_for("henry").post(url, {"document": VALID}).status_code == 404


def test_saving_a_version_of_a_built_in_policy_is_403(org):
    target, before = policy("ReadOnlyAccess"), state()
    url = reverse("policies:policy-version-create", args=[target.pk])
    assert client_for("iam-admin").post(url, {"document": VALID}).status_code == 403
    assert state() == before


def test_saving_a_version_refuses_get(org):
    url = reverse("policies:policy-version-create", args=[policy("PublishingAccess").pk])
    assert client_for("iam-admin").get(url).status_code == 405


# Versions


@pytest.fixture
def two_versions(org):
    target = policy("PublishingAccess")
    client_for("iam-admin").post(
        reverse("policies:policy-version-create", args=[target.pk]), {"document": VALID, "set_as_default": "on"}
    )
    return target


def test_an_older_version_can_be_made_the_default_again(two_versions):
    url = reverse("policies:policy-version-default", args=[two_versions.pk, 1])
    assert client_for("iam-admin").post(url).status_code == 302
    assert PolicyVersion.objects.get(policy=two_versions, is_default=True).number == 1


def test_a_version_that_is_not_the_default_can_be_deleted(two_versions):
    url = reverse("policies:policy-version-delete", args=[two_versions.pk, 1])
    assert client_for("iam-admin").post(url).status_code == 302
    assert list(two_versions.versions.values_list("number", flat=True)) == [2]


def test_deleting_the_default_version_changes_nothing(two_versions):
    before = state()
    url = reverse("policies:policy-version-delete", args=[two_versions.pk, 2])
    response = client_for("iam-admin").post(url, follow=True)
    assert state() == before
    assert "is the default version" in response.content.decode()


@pytest.mark.parametrize("name", ["policy-version-default", "policy-version-delete"])
def test_version_changes_are_403_with_read_only_and_404_without_read(two_versions, name):
    before, url = state(), reverse(f"policies:{name}", args=[two_versions.pk, 1])
    assert client_for("charles").post(url).status_code == 403
    assert client_for("henry").post(url).status_code == 404
    # Deleting a version is asked first on a page of its own (a GET); making one the default is not.
    assert client_for("iam-admin").get(url).status_code == (200 if name == "policy-version-delete" else 405)
    assert client_for("iam-admin").post(reverse(f"policies:{name}", args=[two_versions.pk, 9])).status_code == 404
    assert state() == before


# Create


def test_creating_a_policy(org):
    data = {"policy_name": "ReadDevApp", "path": "/teams/", "description": "", "document": VALID}
    response = client_for("iam-admin").post(reverse("policies:policy-create"), data)
    created = policy("ReadDevApp")
    assert response["Location"] == reverse("policies:policy-detail", args=[created.pk])
    assert created.arn.endswith(":policy/teams/ReadDevApp")
    assert created.versions.get().is_default


@pytest.mark.parametrize(
    ("name", "document", "message"),
    [
        ("Bad name!", VALID, "may contain only letters, digits and + = , . @ _ -"),
        ("developersstorageaccess", VALID, "already exists"),
        ("Typo", TYPO, "unknown element"),
    ],
)
def test_creating_with_bad_input_changes_nothing(org, name, document, message):
    before = state()
    data = {"policy_name": name, "path": "/", "description": "", "document": document}
    response = client_for("iam-admin").post(reverse("policies:policy-create"), data)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert state() == before


def test_create_page_explains_names(org):
    response = client_for("iam-admin").get(reverse("policies:policy-create"))
    assert "1 to 128 characters: letters, digits and + = , . @ _ -" in response.content.decode()


def test_creating_without_permission_is_403(org):
    before = state()
    data = {"policy_name": "Mine", "path": "/", "description": "", "document": VALID}
    assert client_for("charles").post(reverse("policies:policy-create"), data).status_code == 403
    assert state() == before


def test_create_refuses_put(org):
    assert client_for("iam-admin").put(reverse("policies:policy-create")).status_code == 405


# Delete


def test_delete_confirmation_shows_where_the_policy_is_attached(org):
    url = reverse("policies:policy-delete", args=[policy("DevelopersStorageAccess").pk])
    response = client_for("iam-admin").get(url)
    assert response.status_code == 200
    assert "attached to group <strong>Developers</strong>" in response.content.decode()


def test_deleting_an_attached_policy_without_detaching_changes_nothing(org):
    before = state()
    url = reverse("policies:policy-delete", args=[policy("DevelopersStorageAccess").pk])
    response = client_for("iam-admin").post(url, {})
    assert response.status_code == 200
    assert "detach it everywhere before deleting it" in response.content.decode()
    assert state() == before


def test_deleting_and_detaching_everywhere_in_one_step(org):
    target = policy("DevelopersStorageAccess")
    mia = User.objects.get(username="mia")
    PermissionBoundary.objects.create(user=mia, policy=target)
    arn = target.arn
    url = reverse("policies:policy-delete", args=[target.pk])
    assert client_for("iam-admin").post(url, {"detach_everywhere": "on"}).status_code == 302
    assert not ManagedPolicy.objects.filter(pk=target.pk).exists()
    assert not PermissionBoundary.objects.filter(user=mia).exists()
    events = list(AuditEvent.objects.order_by("-id").values_list("event_name", flat=True)[:3])
    assert events == ["DeletePolicy", "DeleteUserPermissionsBoundary", "DetachGroupPolicy"]
    assert AuditEvent.objects.filter(event_name="DetachGroupPolicy", after__isnull=True).exists()
    assert arn not in set(PolicyAttachment.objects.values_list("policy__policy_name", flat=True))


def test_deleting_is_403_with_read_only_404_without_read_and_refused_for_built_ins(org):
    before = state()
    url = reverse("policies:policy-delete", args=[policy("PublishingAccess").pk])
    assert client_for("charles").post(url, {"detach_everywhere": "on"}).status_code == 403
    assert client_for("henry").get(url).status_code == 404
    built_in = reverse("policies:policy-delete", args=[policy("ReadOnlyAccess").pk])
    assert client_for("iam-admin").post(built_in, {"detach_everywhere": "on"}).status_code == 403
    assert client_for("iam-admin").put(url).status_code == 405
    assert state() == before


def test_a_sixth_version_is_refused_and_changes_nothing(org):
    target, client = policy("PublishingAccess"), client_for("iam-admin")
    url = reverse("policies:policy-version-create", args=[target.pk])
    for _ in range(4):
        client.post(url, {"document": VALID})
    before = state()
    response = client.post(url, {"document": VALID, "set_as_default": "on"})
    assert response.status_code == 400
    assert "already has 5 versions" in response.content.decode()
    assert state() == before


@pytest.mark.parametrize(
    "page",
    [
        lambda: reverse("policies:policy-create"),
        lambda: reverse("policies:policy-delete", args=[policy("PublishingAccess").pk]),
        lambda: reverse("policies:escalation-paths"),
    ],
    ids=["create", "delete", "escalation-paths"],
)
def test_other_pages_read_the_same_number_of_queries_at_two_sizes(org, page):
    client, url = client_for("iam-admin"), page()
    _many_policies(10)
    client.get(url)
    small = _queries(client, url)
    _many_policies(990, "More")
    assert _queries(client, url) == small


def test_validation_reads_the_same_number_of_queries_at_two_sizes(org):
    client, url = client_for("iam-admin"), reverse("policies:policy-validate")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.post(url, {"document": TYPO})
        return len(captured)

    _many_policies(10)
    client.post(url, {"document": TYPO})
    small = count()
    _many_policies(990, "More")
    assert count() == small


def _viewer(name: str, *actions: str) -> Client:
    viewer = identity_services.create_user(username=name, actor=None)
    services.put_inline_policy(identity=viewer, policy_name="View", document=allow(list(actions)), actor=None)
    client = Client()
    client.force_login(viewer)
    return client


@pytest.fixture
def tools(db):
    created, _ = services.create_policy(policy_name="Tools", document=allow("storage:GetObject"), actor=None)
    return created


def test_a_viewer_without_list_audit_events_sees_no_history_of_the_policy(tools):
    response = _viewer("vera", "iam:GetPolicy").get(reverse("policies:policy-detail", args=[tools.pk]))
    assert response.status_code == 200
    assert response.context["events"] is None
    html = response.content.decode()
    assert "Recent history" not in html and "CreatePolicy" not in html
    assert reverse("identities:audit-list") not in html


def test_a_viewer_with_list_audit_events_sees_the_history_and_its_link(tools):
    client = _viewer("vera", "iam:GetPolicy", "iam:ListAuditEvents")
    response = client.get(reverse("policies:policy-detail", args=[tools.pk]))
    assert [event.event_name for event in response.context["events"]] == ["CreatePolicy"]
    html = response.content.decode()
    assert "Recent history" in html and "CreatePolicy" in html
    assert f'href="{reverse("identities:audit-list")}?target=' in html
