"""The policies fragment of a user, group or role, and its changes in place."""

import json

import pytest
from django.urls import reverse

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.models import Group, Role, User
from policies import services
from policies.engine import policy_size
from policies.models import InlinePolicy, ManagedPolicy, PermissionBoundary, PolicyAttachment
from tests.clients import client_for
from tests.documents import allow
from tests.policies.views.test_policies import TYPO, VALID, _many_policies, _queries, state

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def user(name: str) -> User:
    return User.objects.get(username=name)


def url(name: str, kind: str, pk: int) -> str:
    return reverse(f"policies:{name}", args=[kind, pk])


def fragment(kind: str, pk: int) -> str:
    return url("identity-fragment", kind, pk)


def policy(name: str) -> ManagedPolicy:
    return ManagedPolicy.objects.get(policy_name=name)


# Reading


def test_a_users_fragment_shows_policies_and_a_summary(org):
    mia = user("mia")
    response = client_for("iam-admin").get(fragment("user", mia.pk), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert [a.policy.policy_name for a in response.context["policies"].attachments] == ["SelfService"]
    assert f'href="{reverse("policies:policy-detail", args=[policy("SelfService").pk])}"' in html
    summary = {
        row.service: dict((level, count) for level, count, _ in row.levels) for row in response.context["summary"]
    }
    # Mia is in Developers: every storage action on the dev buckets, and List/Read everywhere.
    assert set(summary["storage"]) == {"List", "Read", "Write", "Permissions management", "Tagging"} & set(
        summary["storage"]
    )
    assert summary["storage"]["Write"] >= 1
    assert "/what-can/?kind=user&amp;principal=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser/mia" in html
    assert "Detach" in html and "Set boundary" in html


def test_without_htmx_the_fragment_is_a_page(org):
    response = client_for("iam-admin").get(fragment("user", user("mia").pk))
    assert response.status_code == 200
    assert "<html" in response.content.decode()


def test_a_groups_fragment_has_no_boundary(org):
    developers = Group.objects.get(group_name="Developers")
    response = client_for("iam-admin").get(fragment("group", developers.pk), **HTMX)
    assert [a.policy.policy_name for a in response.context["policies"].attachments] == ["DevelopersStorageAccess"]
    assert response.context["can"]["get_boundary"] is False
    assert "Permission boundary" not in response.content.decode()


def test_a_roles_fragment_shows_its_inline_policy_highlighted(org):
    role = Role.objects.get(role_name="ReleaseManager")
    response = client_for("iam-admin").get(fragment("role", role.pk), **HTMX)
    assert [inline.policy_name for inline in response.context["policies"].inline] == ["ShipReleases"]
    assert '<span class="json-string">&quot;storage:PutObject&quot;</span>' in response.content.decode()


def test_reading_without_changing_shows_no_buttons(org):
    response = client_for("charles").get(fragment("user", user("mia").pk), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    for button in ("Detach", "Attach", "Save inline policy", "Set boundary", "Remove boundary"):
        assert f">{button}</button>" not in html
    assert "Attached managed policies" in html


def test_without_read_permission_the_fragment_is_404(org):
    assert client_for("henry").get(fragment("user", user("mia").pk)).status_code == 404
    assert (
        client_for("dev-admin").get(fragment("group", Group.objects.get(group_name="Developers").pk)).status_code == 404
    )


@pytest.mark.parametrize(("kind", "pk"), [("policy", 1), ("user", 99999)])
def test_unknown_kind_or_identity_is_404(org, kind, pk):
    assert client_for("iam-admin").get(fragment(kind, pk)).status_code == 404


def test_fragment_refuses_post(org):
    assert client_for("iam-admin").post(fragment("user", user("mia").pk)).status_code == 405


def test_fragment_queries_do_not_grow_with_policies(org):
    client, target = client_for("iam-admin"), fragment("group", Group.objects.get(group_name="Operations").pk)
    _many_policies(10)
    client.get(target, **HTMX)
    small = _queries(client, target)
    _many_policies(990, "More")
    assert _queries(client, target) == small


# Changing


def test_attaching_in_place_returns_the_fragment(org):
    mia, tools = user("mia"), policy("PublishingAccess")
    response = client_for("iam-admin").post(url("identity-attach", "user", mia.pk), {"policy": tools.pk}, **HTMX)
    assert response.status_code == 200
    assert "PublishingAccess is attached to mia." in response.content.decode()
    assert PolicyAttachment.objects.filter(user=mia, policy=tools).exists()
    assert AuditEvent.objects.filter(event_name="AttachUserPolicy", target_arn=mia.arn).exists()


def test_a_plain_post_redirects_back_to_the_identitys_page(org):
    mia = user("mia")
    page = reverse("identities:user-detail", args=[mia.pk])
    data = {"policy": policy("PublishingAccess").pk, "next": page}
    response = client_for("iam-admin").post(url("identity-attach", "user", mia.pk), data)
    assert (response.status_code, response["Location"]) == (302, page)


def test_a_foreign_next_is_ignored(org):
    mia = user("mia")
    data = {"policy": policy("PublishingAccess").pk, "next": "https://evil.example/"}
    response = client_for("iam-admin").post(url("identity-attach", "user", mia.pk), data)
    assert response["Location"] == fragment("user", mia.pk)


def test_attaching_is_checked_with_the_policy_arn(org):
    ivy = identity_services.create_user(username="ivy", actor=None)
    rights = allow(
        "iam:AttachUserPolicy",
        "*",
        {"ArnEquals": {"iam:PolicyARN": services.SELF_SERVICE_ARN}},
    )
    rights["Statement"].append({"Effect": "Allow", "Action": "iam:ListAttachedUserPolicies", "Resource": "*"})
    # Allowed to attach SelfService only: attaching anything else is refused, and nothing changes.
    services.put_inline_policy(identity=ivy, policy_name="Delegated", document=rights, actor=None)
    mia, before = user("mia"), state()
    data = {"policy": policy("PublishingAccess").pk}
    assert client_for("ivy").post(url("identity-attach", "user", mia.pk), data).status_code == 403
    assert state() == before


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("identity-attach", {"policy": 99999}),
        ("identity-attach", {"policy": "SelfService"}),
        ("identity-detach", {"policy": 99999}),
        ("identity-inline-put", {"policy_name": "Bad name!", "document": VALID}),
        ("identity-inline-put", {"policy_name": "Typo", "document": TYPO}),
        ("identity-inline-delete", {"policy_name": "Nothing"}),
        ("identity-boundary-delete", {}),
    ],
)
def test_bad_input_changes_nothing(org, name, data):
    mia, before = user("mia"), state()
    inline_before = list(InlinePolicy.objects.values_list("policy_name", "document"))
    response = client_for("iam-admin").post(url(name, "user", mia.pk), data, **HTMX)
    assert response.status_code == 200
    assert 'class="alert alert-danger' in response.content.decode()
    assert (state(), list(InlinePolicy.objects.values_list("policy_name", "document"))) == (before, inline_before)


def test_attaching_an_attached_policy_says_so(org):
    mia, before = user("mia"), state()
    data = {"policy": policy("SelfService").pk}
    response = client_for("iam-admin").post(url("identity-attach", "user", mia.pk), data, **HTMX)
    assert "SelfService is already attached to mia." in response.content.decode()
    assert state() == before


@pytest.mark.parametrize(
    "name",
    [
        "identity-attach",
        "identity-detach",
        "identity-inline-put",
        "identity-inline-delete",
        "identity-boundary-set",
        "identity-boundary-delete",
    ],
)
def test_changes_are_403_for_readers_404_for_others_and_post_only(org, name):
    mia, before = user("mia"), state()
    data = {"policy": policy("SelfService").pk, "policy_name": "X", "document": VALID}
    assert client_for("charles").post(url(name, "user", mia.pk), data).status_code == 403
    assert client_for("henry").post(url(name, "user", mia.pk), data).status_code == 404
    assert client_for("iam-admin").get(url(name, "user", mia.pk)).status_code == 405
    assert state() == before


def test_detaching(org):
    mia = user("mia")
    data = {"policy": policy("SelfService").pk, "confirm": "yes"}
    client_for("iam-admin").post(url("identity-detach", "user", mia.pk), data, **HTMX)
    assert not PolicyAttachment.objects.filter(user=mia).exists()


def test_putting_and_deleting_an_inline_policy(org):
    group = Group.objects.get(group_name="Operations")
    client = client_for("iam-admin")
    client.post(url("identity-inline-put", "group", group.pk), {"policy_name": "Extra", "document": VALID}, **HTMX)
    assert InlinePolicy.objects.get(group=group, policy_name="Extra").document == json.loads(VALID)
    client.post(url("identity-inline-delete", "group", group.pk), {"policy_name": "Extra", "confirm": "yes"}, **HTMX)
    assert not InlinePolicy.objects.filter(group=group).exists()


def test_setting_and_removing_a_boundary(org):
    role = Role.objects.get(role_name="ReleaseManager")
    client = client_for("iam-admin")
    client.post(url("identity-boundary-set", "role", role.pk), {"policy": policy("PublishingAccess").pk}, **HTMX)
    assert PermissionBoundary.objects.get(role=role).policy.policy_name == "PublishingAccess"
    client.post(url("identity-boundary-delete", "role", role.pk), {"confirm": "yes"}, **HTMX)
    assert not PermissionBoundary.objects.filter(role=role).exists()


def test_groups_have_no_boundary_actions(org):
    group = Group.objects.get(group_name="Operations")
    data = {"policy": policy("PublishingAccess").pk}
    assert client_for("iam-admin").post(url("identity-boundary-set", "group", group.pk), data).status_code == 404


def test_a_service_user_sees_their_own_policies_through_self_service(org):
    henry = user("henry")
    response = client_for("henry").get(fragment("user", henry.pk), **HTMX)
    assert response.status_code == 200
    assert response.context["summary"] is not None
    assert {key for key, value in response.context["can"].items() if value} >= {"list_attached", "simulate"}
    assert ">Detach</button>" not in response.content.decode()


def test_an_inline_policy_is_held_to_its_identitys_quota_not_the_managed_one(org):
    # 8,000 characters: over a managed policy's 6,144 and a group's 5,120, within a role's 10,240.
    resources = [f"arn:aws:storage:::release-bucket-{index:04d}/*" for index in range(8000 // 40)]
    document = allow(["storage:GetObject"], resources)
    while policy_size(document) > 8000:
        resources.pop()
    assert 7900 < policy_size(document) <= 8000
    role = Role.objects.get(role_name="ReleaseManager")
    group = Group.objects.get(group_name="Operations")
    client = client_for("iam-admin")
    data = {"policy_name": "ManyBuckets", "document": json.dumps(document)}
    client.post(url("identity-inline-put", "role", role.pk), data, **HTMX)
    assert InlinePolicy.objects.get(role=role, policy_name="ManyBuckets").document == document
    before = state()
    refused = client.post(url("identity-inline-put", "group", group.pk), data, **HTMX)
    assert "the limit is 5120" in refused.content.decode()
    assert state() == before
