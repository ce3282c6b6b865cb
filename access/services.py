"""Writes to access requests: ask, cancel, approve, deny, revoke, end, expire.

Requests are compared by person: the requester is the user behind the key, session or
role session that asked, an approver the user behind theirs, and no one decides their own
request. Who may decide is the rule table's (access.rules); an approval makes the change
through the console's own services, in the same transaction as the request's new state,
and the rule table runs the stored access expectations around it.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from access import limits, notices
from access.models import AccessRequest, Approval
from identities import rules
from identities import services as identity_services
from identities.audit import record
from identities.context import context_of
from identities.models import Group, Membership, Role, RoleAssignment, User
from policies import services as policy_services

State = AccessRequest.State
Kind = AccessRequest.Kind

# The managed policy an approved permission request is granted through.
POLICY_PATH = "/access-requests/"
MAX_ITEMS = 20


def policy_name_of(request: AccessRequest) -> str:
    return f"AccessRequest{request.pk}"


def acting_arn(user: User) -> str:
    """The principal that acts now: the role session the user acts in, else the user."""
    context = context_of(user)
    return context.principal_arn if context is not None and context.principal_arn else user.arn


def _iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def request_state(request: AccessRequest) -> dict:
    """A request as its audit records show it."""
    state = {
        "request": request.arn,
        "requester": request.requester.arn,
        "requested_as": request.requested_as,
        "kind": request.kind,
        "state": request.state,
        "duration": request.duration,
        "expires_at": _iso(request.expires_at),
    }
    if request.kind == Kind.PERMISSION:
        state |= {"actions": request.actions, "resources": request.resources, "context": request.context}
    else:
        state["target"] = request.target.arn
    return state | ({"reason": request.reason} if request.reason else {})


# Asking


@transaction.atomic
def create_request(
    *,
    actor: User,
    kind: str,
    justification: str,
    duration: int | None,
    group: Group | None = None,
    role: Role | None = None,
    actions: list[str] | None = None,
    resources: list[str] | None = None,
    context: dict | None = None,
) -> AccessRequest:
    """`duration`: seconds the grant should last, or None for until revoked (where allowed)."""
    if actor.is_superuser:
        raise ValidationError("The account root user is beyond IAM policies and asks for no access.")
    User.objects.select_for_update().filter(pk=actor.pk).first()  # one request at a time per person
    request = AccessRequest(
        requester=actor,
        requested_as=acting_arn(actor),
        kind=kind,
        group=group,
        role=role,
        actions=list(actions or []),
        resources=list(resources or []),
        context={} if context is None else context,  # checked below: dict() of anything else could raise
        justification=(justification or "").strip(),
        duration=duration,
    )
    _refuse_malformed(request)
    limits.refuse_duration(request, duration)
    _refuse_too_many(actor)
    _refuse_duplicate(request)
    request.decide_by = timezone.now() + timedelta(hours=settings.IAM_ACCESS_REQUEST_EXPIRY_HOURS)
    request.save()
    record("CreateAccessRequest", actor=actor, target_arn=request.arn, after=request_state(request))
    transaction.on_commit(lambda: notices.request_arrived(request))
    return request


def _refuse_malformed(request: AccessRequest) -> None:
    if request.kind not in Kind.values:
        raise ValidationError("Ask for a group, a role or a permission.")
    if not request.justification:
        raise ValidationError("Say why you need this access (the justification).")
    if len(request.justification) > 2000:
        raise ValidationError("A justification is at most 2,000 characters.")
    if request.kind == Kind.GROUP and request.group is None:
        raise ValidationError("Choose the group you ask to join.")
    if request.kind == Kind.ROLE and request.role is None:
        raise ValidationError("Choose the role you ask for.")
    if request.kind != Kind.GROUP:
        request.group = None
    if request.kind != Kind.ROLE:
        request.role = None
    if request.kind == Kind.PERMISSION:
        _refuse_malformed_permission(request)
    else:
        request.actions, request.resources, request.context = [], [], {}


def _refuse_malformed_permission(request: AccessRequest) -> None:
    actions, resources, context = request.actions, request.resources, request.context
    if not actions or not resources:
        raise ValidationError("Name at least one action and one resource.")
    if len(actions) > MAX_ITEMS or len(resources) > MAX_ITEMS:
        raise ValidationError(f"Ask for at most {MAX_ITEMS} actions and {MAX_ITEMS} resources at once.")
    for action in actions:
        service, _, name = action.partition(":") if isinstance(action, str) else ("", "", "")
        if not service or not name or any(mark in action for mark in "*? "):
            raise ValidationError(f"{action!r} is not an action: name each one whole, as service:Action.")
    for resource in resources:
        if not isinstance(resource, str) or not resource.startswith("arn:") or " " in resource:
            raise ValidationError(f"{resource!r} is not a resource ARN.")
    if not isinstance(context, dict) or not all(
        isinstance(key, str)
        and (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)))
        for key, value in context.items()
    ):
        raise ValidationError("Context values map condition keys to a string or a list of strings.")
    request.actions, request.resources = list(dict.fromkeys(actions)), list(dict.fromkeys(resources))


def _refuse_too_many(actor: User) -> None:
    limit = settings.IAM_ACCESS_MAX_OPEN_REQUESTS
    if AccessRequest.objects.filter(requester=actor, state=State.PENDING).count() >= limit:
        raise ValidationError(
            f"You already have {limit} open requests, the most one may have; cancel one or wait for a decision."
        )


def _same_ask(request: AccessRequest):
    same = AccessRequest.objects.filter(requester=request.requester, kind=request.kind)
    if request.kind == Kind.GROUP:
        return same.filter(group=request.group)
    if request.kind == Kind.ROLE:
        return same.filter(role=request.role)
    wanted = (sorted(request.actions), sorted(request.resources))
    return [other for other in same if (sorted(other.actions), sorted(other.resources)) == wanted]


def _refuse_duplicate(request: AccessRequest) -> None:
    for other in _same_ask(request):
        if other.is_open:
            raise ValidationError(f"You already asked for {request.in_words()}: request {other.pk} is open.")
        if other.is_live:
            raise ValidationError(f"You already hold {request.in_words()}: request {other.pk} granted it.")
    held = limits.already_held(request)
    if held:
        raise ValidationError(held)


# Deciding


def _locked(request: AccessRequest) -> AccessRequest:
    # Only the request row is locked: its group and role are on the nullable side of outer joins.
    rows = AccessRequest.objects.select_for_update(of=("self",)).select_related("requester", "group", "role")
    return rows.get(pk=request.pk)


def _refuse_undecidable(request: AccessRequest, actor: User) -> None:
    if request.state != State.PENDING:
        raise ValidationError(f"Request {request.pk} is {request.state}, not open for a decision.")
    if request.decide_by <= timezone.now():
        raise ValidationError(f"Request {request.pk} was not decided in time and has expired.")
    if actor is None or actor.pk == request.requester_id:
        # Whatever their policies say, through any key, session or role session of theirs.
        raise PermissionDenied("No one decides their own access request.")
    if not actor.is_superuser and rules.allows(request.requester, identity_services.create_access_key, user=actor):
        # A service user whose keys the requester may make: its key may be in the requester's hands.
        raise PermissionDenied(
            f"No one decides their own access request: {request.requester.username} may make access keys "
            f"for {actor.username}, so a decision as {actor.username} could be theirs."
        )


@transaction.atomic
def approve_request(*, request: AccessRequest, actor: User, duration: int | None = None) -> AccessRequest:
    """Approve, optionally for a shorter `duration` (seconds) than asked. With enough approvals
    (limits.approvals_needed, each from a different person) the access is granted now."""
    request = _locked(request)
    _refuse_undecidable(request, actor)
    if request.approvals.filter(approver=actor).exists():
        raise ValidationError("You already approved this request; it needs another person's approval.")
    if duration is not None:
        if request.duration is not None and duration > request.duration:
            raise ValidationError("An approver may shorten the duration asked for, never lengthen it.")
        limits.refuse_duration(request, duration)
        request.duration = duration
    Approval.objects.create(request=request, approver=actor, approver_arn=acting_arn(actor))
    approvals, needed = request.approvals.count(), limits.approvals_needed(request)
    if approvals < needed:
        request.save(update_fields=["duration"])
        record(
            "ApproveAccessRequest",
            actor=actor,
            target_arn=request.arn,
            after=request_state(request) | {"approvals": approvals, "needed": needed},
        )
        return request
    now = timezone.now()
    request.state, request.decided_at, request.decided_by_arn = State.APPROVED, now, acting_arn(actor)
    request.expires_at = now + timedelta(seconds=request.duration) if request.duration is not None else None
    granted = _grant(request, actor)
    request.save()
    after = request_state(request) | {"approvals": approvals, "needed": needed, "granted": granted}
    record("ApproveAccessRequest", actor=actor, target_arn=request.arn, after=after)
    transaction.on_commit(lambda: notices.request_decided(request))
    return request


def _grant(request: AccessRequest, actor: User) -> str:
    """Make the change through the console's services; the ARN of what was granted."""
    requester = request.requester
    if request.kind == Kind.GROUP:
        (request.granted_membership,) = identity_services.add_members(
            group=request.group,
            users=[requester],
            actor=actor,
            expires_at=request.expires_at,
            source=Membership.Source.ACCESS_REQUEST,
            source_ref=request.arn,
        )
        return request.group.arn
    if request.kind == Kind.ROLE:
        request.granted_assignment = identity_services.assign_role(
            role=request.role, user=requester, actor=actor, expires_at=request.expires_at
        )
        return request.role.arn
    policy, _ = policy_services.create_policy(
        policy_name=policy_name_of(request),
        path=POLICY_PATH,
        description=f"Access request {request.pk} of {requester.username}: {request.justification}"[:1000],
        document=statement_document(request, request.expires_at),
        actor=actor,
    )
    policy_services.attach_policy(policy=policy, identity=requester, actor=actor)
    request.granted_policy = policy
    return policy.arn


def statement_document(request: AccessRequest, ends_at: datetime | None) -> dict:
    """One statement for exactly the actions and resources asked, ending by itself at `ends_at`."""
    statement = {
        "Sid": f"AccessRequest{request.pk}",
        "Effect": "Allow",
        "Action": list(request.actions),
        "Resource": list(request.resources),
    }
    if ends_at is not None:
        statement["Condition"] = {"DateLessThan": {"aws:CurrentTime": _iso(ends_at)}}
    return {"Version": "2012-10-17", "Statement": [statement]}


@transaction.atomic
def deny_request(*, request: AccessRequest, actor: User, reason: str) -> AccessRequest:
    request = _locked(request)
    _refuse_undecidable(request, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the request is denied.")
    request.state, request.reason = State.DENIED, reason[:1000]
    request.decided_at, request.decided_by_arn = timezone.now(), acting_arn(actor)
    request.save()
    record("DenyAccessRequest", actor=actor, target_arn=request.arn, after=request_state(request))
    transaction.on_commit(lambda: notices.request_decided(request))
    return request


@transaction.atomic
def cancel_request(*, request: AccessRequest, actor: User) -> AccessRequest:
    request = _requesters_own(request, actor, State.PENDING, "Only the person who asked may cancel a request.")
    return _cancel(request, actor)


def _cancel(request: AccessRequest, actor: User | None, reason: str = "") -> AccessRequest:
    request.state, request.reason, request.decided_at = State.CANCELLED, reason, timezone.now()
    request.save()
    record("CancelAccessRequest", actor=actor, target_arn=request.arn, after=request_state(request))
    return request


def _requesters_own(request: AccessRequest, actor: User | None, state: str, refusal: str) -> AccessRequest:
    """The request, locked, when `actor` is the person who asked and it is in `state`."""
    request = _locked(request)
    if actor is None or actor.pk != request.requester_id:
        raise PermissionDenied(refusal)
    if request.state != state:
        wanted = "an open request can be cancelled" if state == State.PENDING else "a granted one can be ended"
        raise ValidationError(f"Request {request.pk} is {request.state}; only {wanted}.")
    return request


# Taking back


@transaction.atomic
def revoke_grant(*, request: AccessRequest, actor: User, reason: str = "") -> AccessRequest:
    """An approver takes a grant back before its expiry."""
    request = _locked(request)
    if request.state != State.APPROVED:
        raise ValidationError(f"Request {request.pk} is {request.state}: there is no grant to revoke.")
    return _end(request, actor, State.REVOKED, "RevokeAccessRequest", (reason or "").strip())


@transaction.atomic
def end_grant(*, request: AccessRequest, actor: User) -> AccessRequest:
    """The holder gives a grant up before its expiry."""
    refusal = "Only its holder may end a grant early; an approver revokes it."
    request = _requesters_own(request, actor, State.APPROVED, refusal)
    return _end(request, actor, State.ENDED, "EndAccessRequest", "ended early by its holder")


def _end(request: AccessRequest, actor: User | None, state: str, event: str, reason: str) -> AccessRequest:
    taken = _take_back(request, actor)
    request.state, request.reason, request.ended_at = state, reason[:1000], timezone.now()
    request.save()
    record(event, actor=actor, target_arn=request.arn, after=request_state(request) | {"removed": taken})
    return request


def _take_back(request: AccessRequest, actor: User | None) -> list[str]:
    """Remove what this request granted and is still there (an expired assignment or
    membership may have gone already); the ARNs removed."""
    taken = []
    if request.kind == Kind.GROUP:
        # Only the membership this request made: one the requester holds otherwise stays.
        removed = identity_services.remove_members_made_by(
            source=Membership.Source.ACCESS_REQUEST, source_ref=request.arn, group=request.group, actor=actor
        )
        taken += [membership.group.arn for membership in removed]
    if request.granted_assignment_id is not None:
        assignment = RoleAssignment.objects.filter(pk=request.granted_assignment_id).select_related("role").first()
        if assignment is not None:
            identity_services.unassign_role(role=assignment.role, user=request.requester, actor=actor)
            taken.append(assignment.role.arn)
    if request.granted_policy_id is not None:
        policy = request.granted_policy
        policy_services.delete_policy(policy=policy, actor=actor, detach_everywhere=True)
        taken.append(policy.arn)
    request.granted_membership = request.granted_assignment = request.granted_policy = None
    return taken


def remove_requests_of(*, identity, actor: User | None) -> None:
    """Before a user is deleted (settings.IAM_DELETION_REMOVAL_HOOKS), in the deletion's
    transaction: their open requests are cancelled and their grants end, the policies made for
    them deleted, each with its record (the requests themselves go with the user)."""
    if not isinstance(identity, User):
        return
    live = AccessRequest.objects.select_for_update(of=("self",)).filter(
        requester=identity, state__in=[State.PENDING, State.APPROVED]
    )
    for request in live.select_related("requester", "group", "role", "granted_policy").order_by("pk"):
        if request.state == State.PENDING:
            _cancel(request, actor, REQUESTER_DELETED)
        else:
            _end(request, actor, State.ENDED, "EndAccessRequest", REQUESTER_DELETED)


REQUESTER_DELETED = "its requester was deleted"


# Expiry (`manage.py expire_access`)


@transaction.atomic
def expire_requests(*, actor: User | None = None, at: datetime | None = None) -> dict[str, int]:
    """Undecided requests past their time expire; grants past their expiry end, with what they
    granted removed. Each is recorded; running it again changes nothing."""
    at = at or timezone.now()
    expired = ended = 0
    for request in AccessRequest.objects.select_for_update(of=("self",)).filter(state=State.PENDING, decide_by__lte=at):
        request.state, request.decided_at = State.EXPIRED, at
        request.save()
        record("ExpireAccessRequest", actor=actor, target_arn=request.arn, after=request_state(request))
        transaction.on_commit(lambda request=request: notices.request_decided(request))
        expired += 1
    due = AccessRequest.objects.select_for_update(of=("self",)).filter(state=State.APPROVED, expires_at__lte=at)
    for request in due.select_related("requester", "group", "role", "granted_policy"):
        _end(request, actor, State.ENDED, "EndAccessRequest", "its time ran out")
        ended += 1
    return {"expired": expired, "ended": ended}


@transaction.atomic
def send_expiry_notices(*, actor: User | None = None, at: datetime | None = None) -> int:
    """Tell each holder whose grant ends within IAM_ACCESS_EXPIRY_NOTICE seconds, once."""
    at = at or timezone.now()
    soon = at + timedelta(seconds=settings.IAM_ACCESS_EXPIRY_NOTICE)
    due = AccessRequest.objects.select_for_update(of=("self",)).filter(
        state=State.APPROVED, expires_at__gt=at, expires_at__lte=soon, expiry_notice_sent_at__isnull=True
    )
    count = 0
    for request in due.select_related("requester", "group", "role"):
        request.expiry_notice_sent_at = at
        request.save(update_fields=["expiry_notice_sent_at"])
        record("NotifyAccessRequestEnding", actor=actor, target_arn=request.arn, after=request_state(request))
        transaction.on_commit(lambda request=request: notices.grant_ending(request))
        count += 1
    return count
