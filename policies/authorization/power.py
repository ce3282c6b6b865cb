"""What a policy document could grant that lets its holder take more than it has.

The console asks for a confirmation before it attaches, puts or sets as a
boundary a document that grants any of it (policies.views.fragments). It is
decided on the document, compiled by the engine, never on a policy's name.
"""

from collections.abc import Mapping

from policies.engine import PolicyKind, PolicySet, allow_resources, compile_policies, condition_keys, may_allow

EVERY_ACTION = "*"
EVERY_IAM_ACTION = "iam:*"

# The actions the escalation report follows its paths through (policies.escalation), AWS's
# Attach*Policy, Put*Policy and Delete*PermissionsBoundary written out for each identity:
# every path begins with one of them, which lets the report pass over, whole, users whose
# documents allow none.
ROUTE_ACTIONS = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:DeleteUserPermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:PutUserPermissionsBoundary",
    "iam:PutRolePermissionsBoundary",
    "iam:DetachUserPolicy",
    "iam:DetachGroupPolicy",
    "iam:DetachRolePolicy",
    "iam:DeleteUserPolicy",
    "iam:DeleteGroupPolicy",
    "iam:DeleteRolePolicy",
    # policies.services.GUARDRAIL_MANAGEMENT_ACTIONS: a guardrail's Deny binds everyone.
    "iam:CreateGuardrail",
    "iam:UpdateGuardrail",
    "iam:DeleteGuardrail",
    "iam:AddUserToGroup",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:PassRole",
    # The console's own: approving another person's access request makes the change it asks for.
    "iamconsole:ApproveAccessRequest",
    # ...and binding another user to an identity at the identity provider signs in as that user.
    "iamconsole:BindFederatedIdentity",
    # A new name or path that other documents match by name (aws:PrincipalArn, ARN patterns).
    "iam:UpdateUser",
    "iam:UpdateGroup",
    # A "may not" access expectation refuses the changes that would allow it (policies.expectations).
    "iamconsole:DeleteAccessExpectation",
    "iamconsole:OverrideAccessExpectation",
    # The first hop of a chain to a role that can escalate (a trust naming the caller
    # itself needs no Allow: the report looks for those users apart).
    "sts:AssumeRole",
)

# Names no catalogue lists and no one writes (the digit keeps them apart from every real action
# name): only a wildcard over all of IAM, or over every service, allows all of them, so a
# document that may allow each of them grants what they stand for.
_UNNAMED_IAM = ("iam:Unnamed0Action", "iam:Xyzzy1Quux")
_UNNAMED_ANYWHERE = (*_UNNAMED_IAM, "unnamed0-service:Unnamed0Action", "xyzzy1:Plugh1")

# The holder's own name, filled into ${aws:username}, and any other policy variable's value.
_HOLDER, _SOMEONE = "the-holder-of-this-policy", "someone-else"


def grants_power(document: Mapping | str) -> list[str]:
    """Which of `*`, `iam:*` and ROUTE_ACTIONS the document's Allow statements could grant
    on some resource, under some conditions, strongest first; [] for a harmless document.

    A Deny in the same document is not subtracted, and conditions are not weighed: asking
    once too often is the safe mistake. One narrowing, as the escalation report makes it:
    iam:CreateAccessKey allowed only on the holder's own user (`user/${aws:username}`, as
    AWS's self-service example writes it) is no route. `document` must be valid (the
    engine's PolicyError otherwise); it is read as an identity policy, which is also how
    a permission boundary reads."""
    policy_set = compile_policies([("document", document)], kind=PolicyKind.IDENTITY)
    found = []
    if all(may_allow(policy_set, action) for action in _UNNAMED_ANYWHERE):
        found.append(EVERY_ACTION)
    if all(may_allow(policy_set, action) for action in _UNNAMED_IAM):
        found.append(EVERY_IAM_ACTION)
    found += [action for action in ROUTE_ACTIONS if may_allow(policy_set, action)]
    if "iam:CreateAccessKey" in found and _own_keys_only(policy_set):
        found.remove("iam:CreateAccessKey")
    return found


def _own_keys_only(policy_set: PolicySet) -> bool:
    """Whether every Resource that allows iam:CreateAccessKey names the holder's own user."""
    others = {key: _SOMEONE for key in condition_keys(policy_set) if key.lower() != "aws:username"}
    patterns = allow_resources(policy_set, "iam:CreateAccessKey", others | {"aws:username": _HOLDER})
    return patterns is not None and all(pattern.rsplit("/", 1)[-1] == _HOLDER for pattern in patterns)
