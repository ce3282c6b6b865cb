"""Each escalation route of the report on its own small organisation (flagged), beside a near
miss that looks like it and is no route (not flagged). The article's organisation (`org`) is
the background: none of its principals but iam-admin and dev-admin has a path."""

import pytest

from identities import services as identity_services
from policies import authorization, escalation, services
from tests.documents import allow, deny, document, statement

pytestmark = pytest.mark.django_db

ACCOUNT = "123456789012"


def arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


def paths_of(name: str) -> list:
    return [path for entry in escalation.escalation_paths() if entry.name == name for path in entry.paths]


def kinds_of(name: str) -> list[str]:
    return [path.kind for path in paths_of(name)]


def user_with(name: str, grant: dict, **fields):
    user = identity_services.create_user(username=name, actor=None, **fields)
    services.put_inline_policy(identity=user, policy_name="Grant", document=grant, actor=None)
    return user


def trusting(*arns: str) -> dict:
    return document({"Effect": "Allow", "Principal": {"AWS": list(arns)}, "Action": "sts:AssumeRole"})


def role(name: str, *trusted: str):
    return identity_services.create_role(
        role_name=name, trust_policy=trusting(*trusted) if trusted else None, actor=None
    )


def customer_policy(name: str):
    return services.create_policy(policy_name=name, document=allow("storage:ListBucket"), actor=None)[0]


# iam:CreatePolicyVersion alone (it may set the new version as the default)


def test_a_new_version_of_a_policy_attached_to_a_group_one_is_in(org):
    policy = customer_policy("TeamTools")
    group = identity_services.create_group(group_name="Tools", actor=None)
    services.attach_policy(policy=policy, identity=group, actor=None)
    ivy = user_with("ivy", allow("iam:CreatePolicyVersion", policy.arn))
    identity_services.add_members(group=group, users=[ivy], actor=None)
    (path,) = paths_of("ivy")
    assert (path.kind, path.steps) == (
        "modify-policy",
        (f"iam:CreatePolicyVersion on {policy.arn} (with SetAsDefault)",),
    )


def test_near_miss_a_new_version_of_a_policy_attached_to_someone_else(org):
    policy = customer_policy("TheirTools")
    services.attach_policy(policy=policy, identity=org.henry, actor=None)
    user_with("ivy", allow("iam:CreatePolicyVersion", policy.arn))
    assert paths_of("ivy") == []


def test_a_new_version_of_a_policy_attached_to_a_role_one_may_assume(org):
    policy = customer_policy("DeployTools")
    ivy = user_with("ivy", allow("iam:CreatePolicyVersion", policy.arn))
    deploy = role("Deploy", ivy.arn)
    services.attach_policy(policy=policy, identity=deploy, actor=None)
    (path,) = paths_of("ivy")
    assert path.kind == "modify-policy"
    assert path.steps == (
        f"iam:CreatePolicyVersion on {policy.arn} (with SetAsDefault)",
        f"sts:AssumeRole on {deploy.arn}",
    )


def test_near_miss_a_new_version_of_a_policy_attached_to_a_role_that_trusts_someone_else(org):
    policy = customer_policy("DeployTools")
    user_with("ivy", allow("iam:CreatePolicyVersion", policy.arn))
    deploy = role("Deploy", org.henry.arn)
    services.attach_policy(policy=policy, identity=deploy, actor=None)
    assert paths_of("ivy") == []


# A password for another user, then signing in as them


def test_creating_a_login_profile_for_a_user_without_a_password(org):
    identity_services.create_user(username="robot", actor=None)
    user_with("ivy", allow("iam:CreateLoginProfile", arn("user", "robot")))
    (path,) = paths_of("ivy")
    assert path.kind == "login-profile"
    assert path.steps == (f"iam:CreateLoginProfile on {arn('user', 'robot')}", "sign in with that password")
    assert "robot" in path.summary


def test_updating_the_login_profile_of_a_user_with_a_password(org):
    user_with("ivy", allow("iam:UpdateLoginProfile", arn("user", "*")))
    (path,) = paths_of("ivy")
    assert path.kind == "login-profile"
    assert path.steps[0].startswith("iam:UpdateLoginProfile on arn:aws:iam::123456789012:user/")
    assert "and others" in path.summary


def test_near_miss_creating_a_login_profile_for_a_user_who_has_a_password(org):
    """AWS refuses CreateLoginProfile for a user who has one; every persona has a password."""
    user_with("ivy", allow("iam:CreateLoginProfile", arn("user", "mia")))
    assert paths_of("ivy") == []


def test_near_miss_a_login_profile_of_ones_own(org):
    user_with("ivy", allow(["iam:CreateLoginProfile", "iam:UpdateLoginProfile"], arn("user", "${aws:username}")))
    assert paths_of("ivy") == []


# Attaching or putting a policy on a role one may assume


@pytest.mark.parametrize(
    ("action", "kind"), [("iam:AttachRolePolicy", "attach-policy"), ("iam:PutRolePolicy", "put-policy")]
)
def test_a_policy_on_a_role_one_may_assume(org, action, kind):
    ivy = user_with("ivy", allow(action, arn("role", "Deploy")))
    deploy = role("Deploy", ivy.arn)
    (path,) = paths_of("ivy")
    assert (path.kind, path.steps) == (kind, (f"{action} on {deploy.arn}", f"sts:AssumeRole on {deploy.arn}"))


def test_a_policy_on_a_role_assigned_to_one_through_a_trust_of_the_account(org):
    """The organisation's roles trust the account: mia is assigned ReleaseManager."""
    services.put_inline_policy(
        identity=org.mia, policy_name="Grant", document=allow("iam:PutRolePolicy", arn("role", "*")), actor=None
    )
    (path,) = paths_of("mia")
    assert path.steps == (
        f"iam:PutRolePolicy on {arn('role', 'ReleaseManager')}",
        f"sts:AssumeRole on {arn('role', 'ReleaseManager')}",
    )


def test_near_miss_a_policy_on_a_role_one_may_not_assume(org):
    user_with("ivy", allow("iam:AttachRolePolicy", arn("role", "Deploy")))
    role("Deploy", org.henry.arn)
    assert paths_of("ivy") == []


# Chains of sts:AssumeRole


def chain_of(length: int, start: str) -> list:
    """Roles Hop1..HopN, each trusting the one before it (Hop1 trusts `start`); the last may
    put any inline policy on itself."""
    roles, trusted = [], start
    for index in range(1, length + 1):
        roles.append(role(f"Hop{index}", trusted))
        trusted = roles[-1].arn
    services.put_inline_policy(
        identity=roles[-1], policy_name="Self", document=allow("iam:PutRolePolicy", roles[-1].arn), actor=None
    )
    return roles


def test_a_chain_of_roles_to_one_that_can_escalate(org):
    ivy = identity_services.create_user(username="ivy", actor=None)
    hop1, hop2, hop3 = chain_of(3, ivy.arn)
    (path,) = paths_of("ivy")
    assert path.kind == "assume-chain"
    assert path.steps == (
        f"sts:AssumeRole on {hop1.arn}",
        f"sts:AssumeRole on {hop2.arn}",
        f"sts:AssumeRole on {hop3.arn}",
        f"iam:PutRolePolicy on {hop3.arn}",
    )
    assert "Hop1, then Hop2, then Hop3" in path.summary
    assert kinds_of("Hop2") == ["assume-chain"]


def test_near_miss_a_chain_longer_than_the_report_follows(org):
    ivy = identity_services.create_user(username="ivy", actor=None)
    chain_of(escalation.MAX_HOPS + 1, ivy.arn)
    assert paths_of("ivy") == []
    assert kinds_of("Hop2") == ["assume-chain"]


def test_near_miss_a_chain_broken_by_a_trust_that_names_another_role(org):
    ivy = identity_services.create_user(username="ivy", actor=None)
    role("Hop1", ivy.arn)
    other = role("Elsewhere")
    last = role("Last", other.arn)
    services.put_inline_policy(
        identity=last, policy_name="Self", document=allow("iam:PutRolePolicy", last.arn), actor=None
    )
    assert paths_of("ivy") == []


def test_near_miss_a_chain_to_a_role_that_cannot_escalate(org):
    ivy = identity_services.create_user(username="ivy", actor=None)
    hop1 = role("Hop1", ivy.arn)
    services.put_inline_policy(identity=hop1, policy_name="Read", document=allow("storage:*"), actor=None)
    assert paths_of("ivy") == []


def test_users_a_trust_names_are_not_passed_over_for_want_of_an_allow(org, monkeypatch):
    """ivy has no policy at all, so her set of users allows no route action; the trust that
    names her lets her in anyway. Trying every user must find the same paths."""
    ivy = identity_services.create_user(username="ivy", actor=None)
    chain_of(2, ivy.arn)
    skipping = escalation.escalation_paths()
    monkeypatch.setattr(escalation.world, "_may_have_a_path", lambda sharing: True)
    authorization.clear_caches()
    assert escalation.escalation_paths() == skipping
    assert kinds_of("ivy") == ["assume-chain"]


# Removing one's own boundary, or a Deny that applies to oneself


def bounded_user(name: str, grant: dict):
    """A user bounded to storage:ListBucket and the changes of boundaries (else the boundary
    would block the change itself)."""
    user = user_with(name, grant)
    bound = allow(["storage:ListBucket", "iam:*PermissionsBoundary"])
    policy = services.create_policy(policy_name="Bound", document=bound, actor=None)[0]
    services.set_permissions_boundary(identity=user, policy=policy, actor=None)
    return user


def test_replacing_ones_own_boundary_with_one_that_bounds_nothing(org):
    ivy = bounded_user("ivy", allow("iam:PutUserPermissionsBoundary", arn("user", "ivy")))
    (path,) = paths_of("ivy")
    assert (path.kind, path.steps) == ("remove-boundary", (f"iam:PutUserPermissionsBoundary on {ivy.arn}",))


def test_removing_ones_own_boundary(org):
    ivy = bounded_user("ivy", allow("iam:DeleteUserPermissionsBoundary", arn("user", "ivy")))
    (path,) = paths_of("ivy")
    assert (path.kind, path.steps) == ("remove-boundary", (f"iam:DeleteUserPermissionsBoundary on {ivy.arn}",))


def test_near_miss_replacing_ones_boundary_only_with_the_same_one(org):
    bound_only = {"ArnEquals": {"iam:PermissionsBoundary": arn("policy", "Bound")}}
    bounded_user("ivy", allow("iam:PutUserPermissionsBoundary", arn("user", "ivy"), bound_only))
    assert paths_of("ivy") == []


def test_near_miss_removing_a_boundary_one_does_not_have(org):
    user_with("ivy", allow(["iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"], arn("user", "ivy")))
    assert paths_of("ivy") == []


def fenced(identity):
    """A managed policy of one Deny, attached to `identity`."""
    fence = services.create_policy(policy_name="Fence", document=deny("storage:DeleteBucket"), actor=None)[0]
    services.attach_policy(policy=fence, identity=identity, actor=None)
    return fence


def test_detaching_a_deny_policy_from_oneself(org):
    ivy = user_with("ivy", allow("iam:DetachUserPolicy", arn("user", "ivy")))
    fenced(ivy)
    (path,) = paths_of("ivy")
    assert (path.kind, path.steps) == ("remove-deny", (f"iam:DetachUserPolicy on {ivy.arn}",))
    assert "Fence" in path.summary


def test_detaching_a_deny_policy_from_ones_group(org):
    group = identity_services.create_group(group_name="Fenced", actor=None)
    fenced(group)
    ivy = user_with("ivy", allow("iam:DetachGroupPolicy", group.arn))
    identity_services.add_members(group=group, users=[ivy], actor=None)
    (path,) = paths_of("ivy")
    assert (path.kind, path.steps) == ("remove-deny", (f"iam:DetachGroupPolicy on {group.arn}",))


def test_deleting_an_inline_deny_of_ones_own(org):
    ivy = user_with("ivy", allow("iam:DeleteUserPolicy", arn("user", "ivy")))
    services.put_inline_policy(identity=ivy, policy_name="NoDeletes", document=deny("storage:DeleteBucket"), actor=None)
    (path,) = paths_of("ivy")
    assert (path.kind, path.steps) == ("remove-deny", (f"iam:DeleteUserPolicy on {ivy.arn}",))
    assert "NoDeletes" in path.summary


def test_near_miss_detaching_only_policies_without_a_deny(org):
    """ivy may detach anything but Fence, her only Deny; her Grant is inline."""
    only_others = {"ArnNotEquals": {"iam:PolicyARN": arn("policy", "Fence")}}
    ivy = user_with("ivy", allow("iam:DetachUserPolicy", arn("user", "ivy"), only_others))
    fenced(ivy)
    services.attach_policy(policy=customer_policy("Harmless"), identity=ivy, actor=None)
    assert paths_of("ivy") == []


def test_near_miss_detaching_a_deny_from_someone_else(org):
    user_with("ivy", allow("iam:DetachUserPolicy", arn("user", "henry")))
    fenced(org.henry)
    assert paths_of("ivy") == []


# Editing guardrails


def test_changing_or_deleting_a_guardrail_that_denies(org):
    services.save_guardrail(guardrail_name="AllowAll", document=allow("*"), actor=None)
    services.save_guardrail(guardrail_name="NoDeletes", document=deny("storage:DeleteBucket"), actor=None)
    user_with("ivy", allow("iam:DeleteGuardrail", arn("guardrail", "NoDeletes")))
    (path,) = paths_of("ivy")
    assert (path.kind, path.steps) == ("edit-guardrail", (f"iam:DeleteGuardrail on {arn('guardrail', 'NoDeletes')}",))


def test_creating_a_guardrail_where_a_level_allows_only_some_actions(org):
    services.save_guardrail(guardrail_name="AllowAll", document=allow("*"), actor=None)
    narrow = document(statement("Allow", ["iam:*", "sts:*", "storage:Get*"]))
    services.save_guardrail(guardrail_name="Narrow", document=narrow, level=2, actor=None)
    user_with("ivy", allow("iam:CreateGuardrail"))
    (path,) = paths_of("ivy")
    assert (path.kind, path.steps) == ("edit-guardrail", ("iam:CreateGuardrail",))


def test_near_miss_editing_only_the_allow_all_guardrail(org):
    services.save_guardrail(guardrail_name="AllowAll", document=allow("*"), actor=None)
    services.save_guardrail(guardrail_name="NoDeletes", document=deny("storage:DeleteBucket"), actor=None)
    user_with(
        "ivy",
        allow(["iam:CreateGuardrail", "iam:UpdateGuardrail", "iam:DeleteGuardrail"], arn("guardrail", "AllowAll")),
    )
    assert paths_of("ivy") == []


def test_every_guardrail_management_action_is_a_route_action():
    assert set(services.GUARDRAIL_MANAGEMENT_ACTIONS) <= set(authorization.ROUTE_ACTIONS)


# Renaming or moving into a name that other documents match by name


def group_policy(grant: dict, *members):
    """A group holding `grant`, with `members` in it."""
    group = identity_services.create_group(group_name="Staff", actor=None)
    services.put_inline_policy(identity=group, policy_name="ByName", document=grant, actor=None)
    identity_services.add_members(group=group, users=list(members), actor=None)
    return group


def test_moving_oneself_into_a_path_a_condition_on_the_principal_arn_matches(org):
    ivy = user_with("ivy", allow("iam:UpdateUser", arn("user", "*")))
    admins_only = {"ArnLike": {"aws:PrincipalArn": arn("user", "admins/*")}}
    group_policy(allow("storage:DeleteBucket", "*", admins_only), ivy)
    (path,) = paths_of("ivy")
    assert path.kind == "rename"
    assert path.steps == (f"iam:UpdateUser on {ivy.arn} and {arn('user', 'admins/ivy')}", "storage:DeleteBucket on *")


def test_renaming_oneself_out_of_a_deny_that_spares_one_username(org):
    ivy = user_with("ivy", allow(["iam:UpdateUser", "storage:*"], "*"))
    spare = {"StringNotEquals": {"aws:username": "breakglass"}}
    group_policy(deny("storage:DeleteBucket", "*", spare), ivy)
    (path,) = paths_of("ivy")
    assert path.steps == (f"iam:UpdateUser on {ivy.arn} and {arn('user', 'breakglass')}", "storage:DeleteBucket on *")


def test_renaming_oneself_into_a_name_ones_own_policy_lets_one_attach_to(org):
    grant = document(
        statement("Allow", "iam:UpdateUser", [arn("user", "ivy"), arn("user", "ops-*")]),
        statement("Allow", "iam:AttachUserPolicy", arn("user", "ops-*")),
    )
    ivy = user_with("ivy", grant)
    (path,) = paths_of("ivy")
    assert path.steps == (f"iam:UpdateUser on {ivy.arn} and {arn('user', 'ops-ivy')}", "iam:AttachUserPolicy on itself")


def test_near_miss_a_condition_naming_a_user_who_exists(org):
    """Names are unique: ivy cannot take mia's."""
    ivy = user_with("ivy", allow(["iam:UpdateUser", "storage:*"], "*"))
    group_policy(deny("storage:DeleteBucket", "*", {"StringNotEquals": {"aws:username": "mia"}}), ivy)
    assert paths_of("ivy") == []


def test_near_miss_renaming_allowed_only_in_place(org):
    """iam:UpdateUser on her own ARN only: a rename also needs it on the new ARN."""
    ivy = user_with("ivy", allow("iam:UpdateUser", arn("user", "ivy")))
    group_policy(allow("storage:DeleteBucket", "*", {"ArnLike": {"aws:PrincipalArn": arn("user", "admins/*")}}), ivy)
    assert paths_of("ivy") == []


def test_renaming_ones_group_into_a_name_one_may_write_policies_on(org):
    grant = document(
        statement("Allow", "iam:UpdateGroup", arn("group", "*")),
        statement("Allow", "iam:PutGroupPolicy", arn("group", "sandbox-*")),
    )
    ivy = user_with("ivy", grant)
    staff = group_policy(allow("storage:ListBucket"), ivy)
    (path,) = paths_of("ivy")
    sandbox = arn("group", "sandbox-Staff")
    assert path.steps == (f"iam:UpdateGroup on {staff.arn} and {sandbox}", f"iam:PutGroupPolicy on {sandbox}")


def test_near_miss_renaming_a_group_one_is_not_in(org):
    grant = document(
        statement("Allow", "iam:UpdateGroup", arn("group", "*")),
        statement("Allow", "iam:PutGroupPolicy", arn("group", "sandbox-*")),
    )
    user_with("ivy", grant)
    group_policy(allow("storage:ListBucket"), org.henry)
    assert paths_of("ivy") == []


def test_approving_access_requests_for_a_group_is_a_route_to_it(org):
    operations = arn("group", "Operations")
    condition = {"Condition": {"ArnEquals": {"iamconsole:RequestedGroup": operations}}}
    user_with("ops-lead", document(statement("Allow", "iamconsole:ApproveAccessRequest", operations, **condition)))
    [path] = paths_of("ops-lead")
    assert (path.kind, path.summary) == (
        "approve-request",
        "Approve requests for Operations, never its own: with another person, or as a user it may act as.",
    )


def test_approving_any_permission_request_is_a_route_to_anything(org):
    user_with("approver", allow("iamconsole:ApproveAccessRequest", "*"))
    kinds = kinds_of("approver")
    assert kinds == ["approve-request", "approve-request"]
    assert "iam:PutUserPolicy on every user" in paths_of("approver")[1].summary


def test_near_miss_approving_requests_for_a_group_whose_policies_one_has(org):
    developers = arn("group", "Developers")
    mia_may = document(statement("Allow", "iamconsole:ApproveAccessRequest", developers))
    services.put_inline_policy(identity=org.mia, policy_name="ApproveDevelopers", document=mia_may, actor=None)
    assert "approve-request" not in kinds_of("mia")


# Binding another user to an identity at the identity provider, then signing in as them


def test_binding_another_user_to_an_identity_at_the_provider(org):
    user_with("ivy", allow("iamconsole:BindFederatedIdentity", arn("user", "mia")))
    (path,) = paths_of("ivy")
    assert path.kind == "bind-identity"
    assert path.steps == (
        f"iamconsole:BindFederatedIdentity on {arn('user', 'mia')}",
        "sign in through the identity provider with that identity",
    )
    assert "(mia)" in path.summary


def test_binding_only_oneself_or_root_is_no_route(org):
    user_with("ivy", allow("iamconsole:BindFederatedIdentity", [arn("user", "ivy"), f"arn:aws:iam::{ACCOUNT}:root"]))
    assert paths_of("ivy") == []
