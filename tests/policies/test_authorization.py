"""has_perm answered by the engine from the database, fresh after every change."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from identities import services as identity_services
from identities.context import Target
from policies import authorization, services
from policies.engine import Outcome
from policies.models import Guardrail
from tests import factories
from tests.documents import allow, deny, document, statement

pytestmark = pytest.mark.django_db

DEVELOPERS_ARN = "arn:aws:iam::123456789012:group/Developers"


def managed(name, doc):
    created, _ = services.create_policy(policy_name=name, document=doc, actor=None)
    return created


def test_a_user_without_policies_is_implicitly_denied(mia):
    assert mia.has_perm("iam:ListUsers") is False
    assert authorization.decide(authorization.layers_of(mia), "iam:ListUsers").outcome is Outcome.IMPLICIT_DENY


def test_a_group_policy_grants_its_members_at_once_and_stops_at_removal(mia, developers):
    services.attach_policy(policy=managed("ListUsers", allow("iam:ListUsers")), identity=developers, actor=None)
    assert mia.has_perm("iam:ListUsers") is False
    identity_services.add_members(group=developers, users=[mia], actor=None)
    assert mia.has_perm("iam:ListUsers") is True
    identity_services.remove_members(group=developers, users=[mia], actor=None)
    assert mia.has_perm("iam:ListUsers") is False


def test_a_new_default_version_is_the_very_next_decision(mia):
    policy = managed("Reader", allow("iam:ListUsers"))
    services.attach_policy(policy=policy, identity=mia, actor=None)
    assert mia.has_perm("iam:ListUsers") is True
    services.create_policy_version(policy=policy, document=allow("iam:ListGroups"), actor=None, set_as_default=True)
    assert (mia.has_perm("iam:ListUsers"), mia.has_perm("iam:ListGroups")) == (False, True)


def test_detaching_and_deleting_inline_policies_take_effect_at_once(mia):
    policy = managed("Reader", allow("iam:ListUsers"))
    services.attach_policy(policy=policy, identity=mia, actor=None)
    services.detach_policy(policy=policy, identity=mia, actor=None)
    assert mia.has_perm("iam:ListUsers") is False
    inline, _ = services.put_inline_policy(identity=mia, policy_name="Own", document=allow("iam:GetUser"), actor=None)
    assert mia.has_perm("iam:GetUser") is True
    services.delete_inline_policy(inline=inline, actor=None)
    assert mia.has_perm("iam:GetUser") is False


def test_the_object_arn_is_the_resource(mia, developers, operations):
    services.attach_policy(
        policy=managed("DevMembers", allow("iam:AddUserToGroup", DEVELOPERS_ARN)), identity=mia, actor=None
    )
    assert mia.has_perm("iam:AddUserToGroup", developers) is True
    assert mia.has_perm("iam:AddUserToGroup", operations) is False
    assert mia.has_perm("iam:AddUserToGroup") is False


def test_an_explicit_deny_is_false_not_an_exception(mia):
    services.put_inline_policy(
        identity=mia,
        policy_name="Both",
        document=document(statement("Allow", "iam:*"), statement("Deny", "iam:DeleteUser")),
        actor=None,
    )
    assert (mia.has_perm("iam:CreateUser"), mia.has_perm("iam:DeleteUser")) == (True, False)
    assert mia.has_perms(["iam:CreateUser", "iam:DeleteUser"]) is False


def test_a_boundary_narrows_identity_permissions(mia):
    services.put_inline_policy(identity=mia, policy_name="All", document=allow("iam:*"), actor=None)
    services.set_permissions_boundary(identity=mia, policy=managed("OnlyList", allow("iam:List*")), actor=None)
    assert (mia.has_perm("iam:ListUsers"), mia.has_perm("iam:CreateUser")) == (True, False)
    services.delete_permissions_boundary(identity=mia, actor=None)
    assert mia.has_perm("iam:CreateUser") is True


def test_disabled_users_have_no_permissions(mia):
    services.put_inline_policy(identity=mia, policy_name="All", document=allow("*"), actor=None)
    identity_services.update_user(user=mia, is_active=False, actor=None)
    assert mia.has_perm("iam:ListUsers") is False


def test_root_is_allowed_by_default_but_bound_by_guardrails(root, builtins):
    assert root.has_perm("iam:DeleteUser") is True
    services.save_guardrail(guardrail_name="NoUserDeletion", document=deny("iam:DeleteUser"), actor=None)
    assert (root.has_perm("iam:DeleteUser"), root.has_perm("iam:CreateUser")) == (False, True)


def test_a_guardrail_level_without_allow_denies_everything_below_it(mia, builtins):
    services.put_inline_policy(identity=mia, policy_name="All", document=allow("*"), actor=None)
    services.save_guardrail(guardrail_name="OnlyIam", document=allow("iam:*"), level=2, actor=None)
    assert (mia.has_perm("iam:ListUsers"), mia.has_perm("sts:AssumeRole")) == (True, False)


def test_a_guardrail_locking_root_out_of_guardrails_is_refused(builtins):
    before = list(Guardrail.objects.values_list("guardrail_name", "document"))
    with pytest.raises(ValidationError, match="account root user"):
        services.save_guardrail(guardrail_name="Lockout", document=deny("iam:*Guardrail"), actor=None)
    assert list(Guardrail.objects.values_list("guardrail_name", "document")) == before
    # Deleting the allow-all beside a deny leaves a level with no Allow: every request denied.
    services.save_guardrail(guardrail_name="KeepBuckets", document=deny("storage:DeleteBucket"), actor=None)
    with pytest.raises(ValidationError, match="account root user"):
        services.delete_guardrail(guardrail=Guardrail.objects.get(guardrail_name="FullAccess"), actor=None)
    assert Guardrail.objects.filter(guardrail_name="FullAccess").exists()


def test_deleting_every_guardrail_removes_the_layer(root, builtins):
    services.delete_guardrail(guardrail=Guardrail.objects.get(guardrail_name="FullAccess"), actor=None)
    assert authorization.guardrail_levels() is None
    assert root.has_perm("iam:CreateGuardrail") is True


def test_principal_keys_come_from_our_records(mia):
    identity_services.set_user_tags(user=mia, tags={"team": "dev"}, actor=None)
    condition = {"StringEquals": {"aws:PrincipalTag/team": "dev", "aws:username": "mia"}}
    services.put_inline_policy(
        identity=mia, policy_name="Tagged", document=allow("iam:GetUser", "*", condition), actor=None
    )
    assert mia.has_perm("iam:GetUser") is True
    identity_services.set_user_tags(user=mia, tags={"team": "ops"}, actor=None)
    assert mia.has_perm("iam:GetUser") is False


def test_self_service_covers_the_users_own_arn_with_a_path(builtins):
    from policies.models import ManagedPolicy

    user = identity_services.create_user(username="ana", path="/division/", actor=None)
    other = factories.UserFactory(username="zoe")
    services.attach_policy(policy=ManagedPolicy.objects.get(policy_name="SelfService"), identity=user, actor=None)
    assert user.has_perm("iam:GetUser", user) is True
    assert user.has_perm("iam:CreateAccessKey", user) is True
    assert user.has_perm("iam:GetUser", other) is False


def test_targets_carry_request_keys_for_delegation(mia):
    boundary_arn = "arn:aws:iam::123456789012:policy/DeveloperBoundary"
    condition = {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}}
    services.put_inline_policy(
        identity=mia, policy_name="Bounded", document=allow("iam:CreateUser", "*", condition), actor=None
    )
    new_user = Target("arn:aws:iam::123456789012:user/new", {"iam:PermissionsBoundary": boundary_arn})
    unbounded = Target("arn:aws:iam::123456789012:user/new")
    assert (mia.has_perm("iam:CreateUser", new_user), mia.has_perm("iam:CreateUser", unbounded)) == (True, False)


def test_queries_to_authorize_do_not_grow_with_policies(developers):
    def queries_for(user):
        authorization.clear_caches()
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            user.has_perm("iam:ListUsers")
        return len(captured)

    few, many = factories.UserFactory(username="few"), factories.UserFactory(username="many")
    services.attach_policy(policy=managed("One", allow("iam:ListUsers")), identity=few, actor=None)
    groups = [factories.GroupFactory() for _ in range(9)]
    identity_services.add_members(group=developers, users=[many], actor=None)
    for group in groups:
        identity_services.add_members(group=group, users=[many], actor=None)
    for index, group in enumerate([developers, *groups]):
        for number in range(9):
            services.attach_policy(
                policy=managed(f"G{index}P{number}", allow("iam:ListUsers")), identity=group, actor=None
            )
    for number in range(10):
        services.put_inline_policy(identity=many, policy_name=f"Own{number}", document=allow("iam:GetUser"), actor=None)
    assert queries_for(few) == queries_for(many)


def test_a_warm_decision_costs_one_query(mia):
    services.attach_policy(policy=managed("One", allow("iam:ListUsers")), identity=mia, actor=None)
    mia.has_perm("iam:ListUsers")
    with CaptureQueriesContext(connection) as captured:
        assert mia.has_perm("iam:ListUsers") is True
    assert len(captured) == 1


class Refused(Exception):
    pass


def test_layers_read_inside_a_rolled_back_change_are_never_served_after_it(mia):
    """A change that is refused midway rolls back its generation bump; the layers a
    check inside it cached must not come back when a later change commits."""
    inline, _ = services.put_inline_policy(identity=mia, policy_name="Read", document=allow("iam:GetUser"), actor=None)
    assert mia.has_perm("iam:GetUser") is True
    with pytest.raises(Refused), transaction.atomic():
        services.delete_inline_policy(inline=inline, actor=None)
        assert mia.has_perm("iam:GetUser") is False  # decided on the uncommitted state
        raise Refused
    assert mia.has_perm("iam:GetUser") is True
    services.put_inline_policy(identity=mia, policy_name="Other", document=allow("iam:ListUsers"), actor=None)
    assert (mia.has_perm("iam:GetUser"), mia.has_perm("iam:ListUsers")) == (True, True)
