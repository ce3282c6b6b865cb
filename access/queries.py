"""Reads of access requests that pages, the API and the notices render."""

from django.db.models import Count, QuerySet

from access.models import AccessRequest
from access.rules import AnyOf, approve_checks, change_checks, may_decide
from identities.models import User
from policies import authorization
from policies.engine import Outcome


def _preloaded() -> QuerySet[AccessRequest]:
    return (
        AccessRequest.objects.select_related("requester", "group", "role", "granted_policy")
        .prefetch_related("approvals")
        .annotate(approval_count=Count("approvals"))
    )


def own_requests(user: User) -> list[AccessRequest]:
    return list(_preloaded().filter(requester=user))


def request_for(pk) -> AccessRequest | None:
    return _preloaded().filter(pk=pk).first() if str(pk).isdigit() else None


def decidable_requests(user: User, *, to_show: bool = True) -> list[AccessRequest]:
    """The open requests `user` may decide: every pending request but their own, each decided
    by the rule table (the answers of one request are kept, so alike requests cost one check).
    `to_show=False` (the navigation's count): only what deciding reads, not what a page shows."""
    rows = _preloaded() if to_show else AccessRequest.objects.select_related("requester", "group", "role")
    pending = rows.filter(state=AccessRequest.State.PENDING).exclude(requester=user)
    return [request for request in pending if may_decide(user, request)]


def possible_approvers(request: AccessRequest) -> list[User]:
    """The active users whose policies let them decide `request` (not its requester), found
    with the authorization package's bulk mode: users whose layers hold the same documents
    are decided once."""
    account = authorization.Account(policy_groups_only=True)
    sharing = account.sharing(account.active_users())
    found: set[int] = set()
    for route in AnyOf((change_checks(request), approve_checks(request))).routes:
        found |= _allowed_everything(sharing, route)
    found.discard(request.requester_id)
    return list(User.objects.filter(pk__in=found, is_active=True).order_by("username"))


def _allowed_everything(sharing, checks) -> set[int]:
    found = set()
    for group in sharing:
        for users in group.alike():
            layers = group.layers_of(users[0])
            if all(_allows(layers, check) for check in checks):
                found |= {user.pk for user in users}
    return found


def _allows(layers, check) -> bool:
    target = check.target
    decision = authorization.decide(
        layers, check.action, getattr(target, "arn", "*"), context=getattr(target, "keys", {})
    )
    return decision.outcome is Outcome.ALLOW
