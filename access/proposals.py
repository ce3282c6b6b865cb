"""What would grant a permission request, smallest first, and what the requester would gain
beyond it.

An existing group or role whose policies allow every requested action on every resource
(with the request's context values) is a proposal, ranked by how much else it allows: the
catalogue's actions on the resources its policies name, less what was asked (policies.reports'
what-can, on layers the authorization package reads for the whole account at once). A new
statement for exactly what was asked is always a proposal, and allows nothing else.
"""

from typing import NamedTuple

from django.db import transaction

from access.models import AccessRequest
from identities import services as identity_services
from identities.models import Group, Role
from policies import authorization, preview, reports
from policies.engine import Outcome


class Proposal(NamedTuple):
    kind: str  # "group", "role" or "statement"
    arn: str  # the group's or role's; "" for a new statement
    name: str
    beyond: tuple[tuple[str, tuple[str, ...]], ...]  # (action, resources) it allows beyond the request

    @property
    def extra(self) -> int:
        return sum(len(resources) for _, resources in self.beyond)


def proposals(request: AccessRequest) -> list[Proposal]:
    """The groups and roles that grant the request, least else allowed first, then a new statement."""
    if request.kind != AccessRequest.Kind.PERMISSION:
        return []
    account = authorization.Account()
    candidates = [("group", group, account.group_layers(group)) for group in Group.objects.order_by("group_name")]
    candidates += [("role", role, account.role_layers(role)) for role in Role.objects.order_by("role_name")]
    found = [
        Proposal(kind, identity.arn, identity.name, _beyond(request, layers))
        for kind, identity, layers in candidates
        if _grants(request, layers)
    ]
    found.sort(key=lambda proposal: (proposal.extra, proposal.name.lower()))
    return [*found, Proposal("statement", "", "a new statement for exactly this", ())]


def _grants(request: AccessRequest, layers) -> bool:
    return all(
        authorization.decide(layers, action, resource, context=request.context).outcome is Outcome.ALLOW
        for action in request.actions
        for resource in request.resources
    )


def _beyond(request: AccessRequest, layers) -> tuple[tuple[str, tuple[str, ...]], ...]:
    asked = {(action.lower(), resource) for action in request.actions for resource in request.resources}
    found = []
    for grant in reports.what_can(layers):
        resources = tuple(resource for resource in grant.resources if (grant.action.lower(), resource) not in asked)
        if resources:
            found.append((grant.action, resources))
    return tuple(found)


def gains_beyond_request(request: AccessRequest, group: Group | None = None) -> list[preview.Change]:
    """The change preview for the requester alone: what they would gain, beyond what was asked,
    if the request were granted as asked (or as membership in `group`). Made inside a savepoint
    and rolled back, as policies.preview makes every preview; nothing persists."""
    requester = request.requester
    with transaction.atomic():
        before = preview.Snapshot.read()
        actions = [name for name, _ in reports.catalogue_actions()]
        with transaction.atomic():
            _grant_for_preview(request, group)
            after = preview.Snapshot.read()
            transaction.set_rollback(True)
    before.principals = {arn: p for arn, p in before.principals.items() if arn == requester.arn}
    after.principals = {arn: p for arn, p in after.principals.items() if arn == requester.arn}
    before.trusts, after.trusts = {}, {}
    effects, _ = preview.differences(before, after, actions, list(request.resources))
    asked = {(action.lower(), resource) for action in request.actions for resource in request.resources}
    effect = next((effect for effect in effects if effect.arn == requester.arn), None)
    gained = effect.of("gains") if effect is not None else []
    return [change for change in gained if (change.action.lower(), change.resource) not in asked]


def _grant_for_preview(request: AccessRequest, group: Group | None) -> None:
    from access import services

    if group is not None:
        identity_services.add_members(group=group, users=[request.requester], actor=None)
        return
    if request.kind == AccessRequest.Kind.ROLE:
        identity_services.assign_role(role=request.role, user=request.requester, actor=None)
        return
    if request.kind == AccessRequest.Kind.GROUP:
        identity_services.add_members(group=request.group, users=[request.requester], actor=None)
        return
    from policies import services as policy_services

    policy, _ = policy_services.create_policy(
        policy_name=f"AccessRequestPreview{request.pk}",
        path=services.POLICY_PATH,
        document=services.statement_document(request, None),
        actor=None,
    )
    policy_services.attach_policy(policy=policy, identity=request.requester, actor=None)
