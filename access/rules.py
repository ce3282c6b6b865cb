"""Which IAM actions each change of access requests needs (identities.rules explains the table).

Who may decide a request is decided by the policies, never by a list: anyone allowed the
change the request asks for (iam:AddUserToGroup on the group; for a role the action that
assigns it, iam:UpdateAssumeRolePolicy; for a permission iam:CreatePolicy of the request's
policy and iam:AttachUserPolicy of it on the requester), or anyone allowed
iamconsole:ApproveAccessRequest on the requested group, role, or each requested resource,
with iamconsole:RequestedGroup, iamconsole:RequestedRole or iamconsole:RequestedAction in the
request. That the requester never decides their own request is the services' (by person).

Asking, cancelling one's own request and ending one's own grant early need no permission:
they only narrow what a person holds, or ask someone else to widen it.
"""

from access import services
from access.models import AccessRequest
from identities import rules
from identities import services as identity_services
from identities.context import PENDING, Target
from identities.rules import AnyOf, Check, rule
from policies import services as policy_services

APPROVE_ACTION = "iamconsole:ApproveAccessRequest"
Kind = AccessRequest.Kind


def approve_checks(request: AccessRequest) -> tuple[Check, ...]:
    """iamconsole:ApproveAccessRequest on what the request names, with its keys."""
    if request.kind == Kind.GROUP:
        arn = request.group.arn
        return (Check(APPROVE_ACTION, Target(arn, {"iamconsole:RequestedGroup": arn})),)
    if request.kind == Kind.ROLE:
        arn = request.role.arn
        return (Check(APPROVE_ACTION, Target(arn, {"iamconsole:RequestedRole": arn})),)
    return tuple(
        # Only the request's own key: the requester's context values are theirs, never the approver's.
        Check(APPROVE_ACTION, Target(resource, {"iamconsole:RequestedAction": action}))
        for action in request.actions
        for resource in request.resources
    )


def change_checks(request: AccessRequest) -> tuple[Check, ...]:
    """What the change itself needs, asked of the services' own rules."""
    if request.kind == Kind.GROUP:
        return tuple(rules.required(identity_services.add_members, group=request.group))
    if request.kind == Kind.ROLE:
        return tuple(rules.required(identity_services.assign_role, role=request.role))
    name = services.policy_name_of(request)
    policy = rules.new_target("policy", services.POLICY_PATH, name)
    return (
        *rules.required(policy_services.create_policy, policy_name=name, path=services.POLICY_PATH),
        *rules.required(policy_services.attach_policy, identity=request.requester, policy=policy),
    )


def removal_checks(request: AccessRequest) -> tuple[Check, ...]:
    if request.kind == Kind.GROUP:
        return tuple(rules.required(identity_services.remove_members, group=request.group))
    if request.kind == Kind.ROLE:
        return tuple(rules.required(identity_services.unassign_role, role=request.role))
    if request.granted_policy is None:
        return change_checks(request)
    policy = request.granted_policy
    return tuple(rules.required(policy_services.delete_policy, policy=policy, detach_everywhere=True))


@rule(services.approve_request, services.deny_request)
def _decide_request(*, request: AccessRequest | None = None, **_):
    if request is None:  # whether to offer deciding at all
        yield Check(APPROVE_ACTION, PENDING)
        return
    yield AnyOf((change_checks(request), approve_checks(request)))


@rule(services.revoke_grant)
def _revoke_grant(*, request: AccessRequest | None = None, **_):
    if request is None:
        yield Check(APPROVE_ACTION, PENDING)
        return
    yield AnyOf((removal_checks(request), approve_checks(request)))


@rule(services.create_request, services.cancel_request, services.end_grant, services.expire_requests)
def _own_requests(**_):
    yield from ()


def may_decide(actor, request: AccessRequest) -> bool:
    """Whether the actor's policies let them decide this request (their own never: the services)."""
    return actor.pk != request.requester_id and rules.allows(actor, services.approve_request, request=request)
