"""Reads of access requests that pages, the API and the notices render."""

from django.db.models import Count, QuerySet

from access.models import AccessRequest
from access.rules import AnyOf, approve_checks, change_checks, may_decide
from identities.models import User
from identities.queries import Obstacle
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


def decidable_requests(user: User) -> list[AccessRequest]:
    """The open requests `user` may decide: every pending request but their own, each decided
    by the rule table (the answers of one request are kept, so alike requests cost one check)."""
    pending = _preloaded().filter(state=AccessRequest.State.PENDING).exclude(requester=user)
    return [request for request in pending if may_decide(user, request)]


# The navigation decides at most this many open requests (the oldest first) on each page.
WAITING_DECIDED_AT_MOST = 100


def waiting_count(user: User) -> str:
    """How many open requests wait for `user`'s decision, as the navigation shows it: deciding
    only the oldest WAITING_DECIDED_AT_MOST, so a page costs as much however many are open. "12+"
    when older ones held 12 and more are open; "99+" when every one decided was theirs to decide
    (for the limit of 100); "" when none of those decided was."""
    limit = WAITING_DECIDED_AT_MOST
    # only what deciding reads, not what a page shows
    pending = (
        AccessRequest.objects.select_related("requester", "group", "role")
        .filter(state=AccessRequest.State.PENDING)
        .exclude(requester=user)
        .order_by("pk")
    )
    oldest = list(pending[: limit + 1])
    more = len(oldest) > limit
    count = sum(1 for request in oldest[:limit] if may_decide(user, request))
    if count >= limit:
        return f"{limit - 1}+"
    return f"{count}+" if count and more else str(count) if count else ""


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


def request_obstacles(*, identity) -> list[Obstacle]:
    """What a user's deletion removes of access requests (settings.IAM_DELETION_OBSTACLE_HOOKS):
    the managed policy of each live grant, deleted with it (its attachment already blocks the
    deletion, as policies lists it). Open requests are only cancelled: that needs no permission."""
    if not isinstance(identity, User):
        return []
    granted = AccessRequest.objects.filter(
        requester=identity, state=AccessRequest.State.APPROVED, granted_policy__isnull=False
    ).select_related("granted_policy")
    return [
        Obstacle(
            f"managed policy {request.granted_policy.policy_name} of access request {request.pk}",
            "iam:DeletePolicy",
            request.granted_policy,
            blocks=False,
        )
        for request in granted.order_by("pk")
    ]
