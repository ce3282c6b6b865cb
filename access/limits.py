"""The limits of a request: how long it may last and how many must approve it (the account's
settings and the group's or role's own AccessLimit; the strictest wins), and whether the
requester already holds what they ask for."""

from django.conf import settings
from django.core.exceptions import ValidationError

from access.models import AccessLimit, AccessRequest
from identities.models import Membership, RoleAssignment
from policies import authorization
from policies.engine import Outcome


def own_limit(request: AccessRequest) -> AccessLimit | None:
    if request.group_id is not None:
        return AccessLimit.objects.filter(group_id=request.group_id).first()
    if request.role_id is not None:
        return AccessLimit.objects.filter(role_id=request.role_id).first()
    return None


def max_duration(request: AccessRequest) -> int:
    """Seconds, the strictest of the account's and the target's own."""
    own = own_limit(request)
    durations = [settings.IAM_ACCESS_MAX_DURATION]
    if own is not None and own.max_duration is not None:
        durations.append(own.max_duration)
    return min(durations)


def until_revoked_allowed(request: AccessRequest) -> bool:
    """Only where the account allows it and the target sets no maximum of its own."""
    own = own_limit(request)
    return settings.IAM_ACCESS_UNTIL_REVOKED and (own is None or own.max_duration is None)


def approvals_needed(request: AccessRequest) -> int:
    own = own_limit(request)
    return max(settings.IAM_ACCESS_APPROVALS, own.approvals if own is not None and own.approvals else 1)


def refuse_duration(request: AccessRequest, duration: int | None) -> None:
    if duration is None:
        if not until_revoked_allowed(request):
            raise ValidationError("Access until revoked is not allowed here: ask for a duration.")
        return
    if not isinstance(duration, int) or isinstance(duration, bool) or duration < 60:
        raise ValidationError("A duration is a whole number of seconds, at least 60.")
    longest = max_duration(request)
    if duration > longest:
        raise ValidationError(f"At most {_in_words(longest)} may be asked for here.")


def _in_words(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = seconds // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def already_held(request: AccessRequest) -> str:
    """What says the requester holds this already ("" if they do not)."""
    requester = request.requester
    if (
        request.group_id is not None
        and Membership.objects.live().filter(user=requester, group_id=request.group_id).exists()
    ):
        return f"You are already a member of {request.group.group_name}."
    if request.role_id is not None:
        assignments = RoleAssignment.objects.filter(user=requester, role_id=request.role_id)
        if any(assignment.is_live() for assignment in assignments):
            return f"You are already assigned {request.role.role_name}."
    if request.kind == AccessRequest.Kind.PERMISSION and allowed_all(request):
        return "Your policies already allow every action asked for on every resource."
    return ""


def allowed_all(request: AccessRequest) -> bool:
    layers = authorization.layers_of(request.requester)
    return all(
        authorization.decide(layers, action, resource, context=request.context).outcome is Outcome.ALLOW
        for action in request.actions
        for resource in request.resources
    )
