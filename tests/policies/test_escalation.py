"""The escalation paths report on the article's organisation (`org`); expected paths reasoned from its policies."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from identities import services as identity_services
from identities.models import User
from policies import authorization, escalation, services
from tests.clients import client_for
from tests.documents import allow, document, statement

pytestmark = pytest.mark.django_db

URL = reverse("policies:escalation-paths")
ACCOUNT = "123456789012"


def paths_by_name() -> dict[str, list]:
    return {entry.name: list(entry.paths) for entry in escalation.escalation_paths()}


def test_iam_admin_has_several_paths(org):
    kinds = {path.kind for path in paths_by_name()["iam-admin"]}
    # IAMFullAccess is iam:* on *; its built-in policies cannot be changed, so no modify-policy path.
    # Every other persona has a console password, which iam:UpdateLoginProfile replaces: login-profile.
    assert kinds == {
        "attach-policy",
        "put-policy",
        "join-group",
        "trust-and-assume",
        "create-keys",
        "login-profile",
        "pass-role",
    }


def test_dev_admin_can_join_developers(org):
    """ManageDevelopers allows iam:AddUserToGroup on group/Developers with no condition, and AWS has no
    key naming the user added: dev-admin (not a member) can add itself and gain DevelopersStorageAccess."""
    (path,) = paths_by_name()["dev-admin"]
    assert path.kind == "join-group"
    assert path.steps == (f"iam:AddUserToGroup on arn:aws:iam::{ACCOUNT}:group/Developers",)
    assert "DevelopersStorageAccess" in path.summary


def test_service_users_and_roles_have_none(org):
    assert set(paths_by_name()) == {"iam-admin", "dev-admin"}


def test_a_user_allowed_to_attach_policies_to_themselves_has_exactly_that_path(org):
    ivy = identity_services.create_user(username="ivy", actor=None)
    arn = f"arn:aws:iam::{ACCOUNT}:user/ivy"
    services.put_inline_policy(
        identity=ivy, policy_name="Self", document=allow("iam:AttachUserPolicy", arn), actor=None
    )
    (path,) = paths_by_name()["ivy"]
    assert (path.kind, path.steps) == ("attach-policy", (f"iam:AttachUserPolicy on {arn}",))


def test_attaching_only_a_harmless_policy_is_no_path(org):
    ivy = identity_services.create_user(username="ivy", actor=None)
    only_self_service = allow(
        "iam:AttachUserPolicy",
        f"arn:aws:iam::{ACCOUNT}:user/ivy",
        {"ArnEquals": {"iam:PolicyARN": services.SELF_SERVICE_ARN}},
    )
    services.put_inline_policy(identity=ivy, policy_name="Self", document=only_self_service, actor=None)
    assert "ivy" not in paths_by_name()


def test_changing_an_attached_policy_and_an_older_version(org):
    oliver = User.objects.get(username="oliver")
    own, _ = services.create_policy(policy_name="OliverTools", document=allow("storage:ListBucket"), actor=None)
    services.create_policy_version(policy=own, document=allow("storage:GetObject"), actor=None)
    services.attach_policy(policy=own, identity=oliver, actor=None)
    rights = allow(["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"], own.arn)
    services.put_inline_policy(identity=oliver, policy_name="Tools", document=rights, actor=None)
    assert [path.kind for path in paths_by_name()["oliver"]] == ["modify-policy", "older-version"]


def test_queries_do_not_grow_with_users(org):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            escalation.escalation_paths()
        return len(captured)

    small = count()
    User.objects.bulk_create([User(username=f"bulk{index}", password="!") for index in range(100)])
    assert count() == small


def test_page_lists_the_chains(org):
    response = client_for("iam-admin").get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "iam:AttachUserPolicy on arn:aws:iam::123456789012:user/iam-admin" in html
    assert "iam:UpdateAssumeRolePolicy on the role" in html


def test_trust_and_assume_is_one_line_listing_every_role(org):
    """iam-admin may rewrite the trust of both of the organisation's roles: one path, both roles."""
    (path,) = [path for path in paths_by_name()["iam-admin"] if path.kind == "trust-and-assume"]
    assert path.targets == (f"arn:aws:iam::{ACCOUNT}:role/AuditReviewer", f"arn:aws:iam::{ACCOUNT}:role/ReleaseManager")
    html = client_for("iam-admin").get(URL).content.decode()
    assert html.count('data-kind="trust-and-assume"') == 1
    assert "The 2 roles it reaches" in html
    assert "role/<wbr>AuditReviewer" in html and "role/<wbr>ReleaseManager" in html


def test_page_shows_a_chain_of_roles_step_by_step(org):
    ivy = identity_services.create_user(username="ivy", actor=None)
    trust = document({"Effect": "Allow", "Principal": {"AWS": ivy.arn}, "Action": "sts:AssumeRole"})
    hop = identity_services.create_role(role_name="Hop", trust_policy=trust, actor=None)
    services.put_inline_policy(
        identity=hop, policy_name="Self", document=allow("iam:PutRolePolicy", hop.arn), actor=None
    )
    html = client_for("iam-admin").get(URL).content.decode()
    assert 'data-kind="assume-chain"' in html
    assert f"sts:AssumeRole on {hop.arn}</code>" in html
    assert "a chain of up to 4 roles" in html


def test_page_needs_simulate_on_every_principal(org):
    assert client_for("mia").get(URL).status_code == 403


def test_page_refuses_post(org):
    assert client_for("iam-admin").post(URL).status_code == 405


def test_narrowing_targets_by_the_statements_names_loses_no_path(org, monkeypatch):
    """The report tries only the users and groups a principal's own Allow statements name;
    deciding every user and group for every principal must find the same paths."""
    for name, grant, tags in [
        ("ivy", allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/henry"), {}),
        ("jack", document(statement("Allow", "iam:CreateAccessKey", "arn:aws:iam::*:user/*")), {}),
        ("kim", allow("iam:AddUserToGroup", "arn:aws:iam::*:group/*"), {}),
        ("lou", allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:PrincipalTag/buddy}"), {"buddy": "oliver"}),
        ("max", allow("iam:AddUserToGroup", f"arn:aws:iam::{ACCOUNT}:group/Oper*"), {}),
    ]:
        user = identity_services.create_user(username=name, tags=tags, actor=None)
        services.put_inline_policy(identity=user, policy_name="Grant", document=grant, actor=None)
    services.put_inline_policy(  # jack may create keys for anyone but mia
        identity=User.objects.get(username="jack"),
        policy_name="NotMia",
        document=document(statement("Deny", "iam:CreateAccessKey", "arn:aws:iam::*:user/mia")),
        actor=None,
    )

    narrowed = escalation.escalation_paths()
    # Every user and group tried for every principal, as before the narrowing:
    monkeypatch.setattr(escalation.paths, "_targets", lambda principal, action, by_name, everyone: list(everyone))
    authorization.clear_caches()
    assert escalation.escalation_paths() == narrowed
    kinds = {(entry.name, path.kind) for entry in narrowed for path in entry.paths}
    assert {("ivy", "create-keys"), ("jack", "create-keys"), ("lou", "create-keys")} <= kinds
    assert {("kim", "join-group"), ("max", "join-group")} <= kinds


def test_passing_over_users_whose_documents_allow_no_route_action_loses_no_path(org, monkeypatch):
    """The report skips, whole, each set of users whose documents name none of the route
    actions in an Allow; trying every user, as before, must find the same paths, and a user
    granted a route action only through a group is still found."""
    group = identity_services.create_group(group_name="KeyMakers", actor=None)
    services.put_inline_policy(
        identity=group,
        policy_name="Keys",
        document=allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/*"),
        actor=None,
    )
    nora = identity_services.create_user(username="nora", actor=None)
    identity_services.add_members(group=group, users=[nora], actor=None)

    skipping = escalation.escalation_paths()
    monkeypatch.setattr(escalation.world, "_may_have_a_path", lambda sharing: True)
    authorization.clear_caches()
    assert escalation.escalation_paths() == skipping
    assert "create-keys" in {path.kind for path in paths_by_name()["nora"]}
