"""The API's access requests (/api/v1/access-requests): ask, list your own and those you may
decide, show, cancel, decide, end and revoke. The same authentication and errors as the rest
of the API (policies.api), the same rule table and services as the console."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse

from access import proposals, queries, services
from access.models import AccessRequest
from access.rules import may_decide
from identities import rules
from identities.models import Group, Role
from policies.api import APIError, api_view, json_body

FIELDS = {"kind", "group", "role", "actions", "resources", "context", "justification", "duration_seconds"}


def _time(value) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def request_json(request: AccessRequest) -> dict:
    """A request as the API answers it."""
    granted = request.granted_policy or request.granted_assignment or request.granted_membership
    return {
        "id": request.pk,
        "arn": request.arn,
        "state": request.state,
        "kind": request.kind,
        "requester": request.requester.arn,
        "requested_as": request.requested_as,
        "group": request.group.arn if request.group else None,
        "role": request.role.arn if request.role else None,
        "actions": request.actions,
        "resources": request.resources,
        "context": request.context,
        "justification": request.justification,
        "duration_seconds": request.duration,
        "created_at": _time(request.created_at),
        "decide_by": _time(request.decide_by),
        "decided_at": _time(request.decided_at),
        "decided_by": request.decided_by_arn or None,
        "expires_at": _time(request.expires_at),
        "reason": request.reason,
        "approvals": [{"approver": a.approver_arn, "at": _time(a.at)} for a in request.approvals.all()],
        "granted": _granted_arn(request, granted),
    }


def _granted_arn(request: AccessRequest, granted) -> str | None:
    if request.granted_policy is not None:
        return request.granted_policy.arn
    if granted is not None and request.target is not None:
        return request.target.arn
    return None


def _performed(actor, change, **arguments):
    try:
        return rules.perform(actor, change, **arguments)
    except PermissionDenied as refusal:
        raise APIError(403, "AccessDenied", str(refusal)) from None
    except ValidationError as error:
        raise APIError(400, "ValidationError", " ".join(error.messages)) from None


@api_view("GET", "POST")
def access_requests(request):
    """GET: the caller's own requests. POST: ask for access."""
    if request.method == "GET":
        return JsonResponse({"requests": [request_json(row) for row in queries.own_requests(request.user)]})
    fields = _request_fields(json_body(request))
    created = _performed(request.user, services.create_request, **fields)
    return JsonResponse(request_json(queries.request_for(created.pk)), status=201)


@api_view("GET")
def decidable(request):
    """The open requests of others that the caller's policies let them decide."""
    return JsonResponse({"requests": [request_json(row) for row in queries.decidable_requests(request.user)]})


def _request_fields(data: dict) -> dict:
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise APIError(400, "MalformedRequest", f"Unknown fields: {', '.join(unknown)}.")
    kind = data.get("kind")
    if kind not in AccessRequest.Kind.values:
        raise APIError(400, "MalformedRequest", "kind is group, role or permission.")
    if "duration_seconds" not in data:
        raise APIError(400, "MissingParameter", "duration_seconds is required: seconds, or null for until revoked.")
    fields = {
        "kind": kind,
        "justification": _text(data.get("justification", ""), "justification"),
        "duration": _seconds(data["duration_seconds"], "duration_seconds", nullable=True),
    }
    if kind == AccessRequest.Kind.GROUP:
        fields["group"] = _identity(Group, "group_name", data.get("group"), "group")
    elif kind == AccessRequest.Kind.ROLE:
        fields["role"] = _identity(Role, "role_name", data.get("role"), "role")
    else:
        fields["actions"] = _strings(data.get("actions"), "actions")
        fields["resources"] = _strings(data.get("resources"), "resources")
        fields["context"] = _object(data.get("context", {}), "context")
    return fields


def _object(value, name: str) -> dict:
    if not isinstance(value, dict):
        raise APIError(400, "MalformedRequest", f"{name} is an object of condition keys and their values.")
    return value


def _text(value, name: str) -> str:
    if not isinstance(value, str):
        raise APIError(400, "MalformedRequest", f"{name} is text.")
    return value


def _strings(value, name: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise APIError(400, "MalformedRequest", f"{name} is a string or a list of strings.")
    return value


def _seconds(value, name: str, *, nullable: bool):
    if value is None and nullable:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise APIError(400, "MalformedRequest", f"{name} is a whole number of seconds.")
    return value


def _identity(model, field: str, value, what: str):
    """A group or role by its ARN or its name."""
    if not isinstance(value, str) or not value:
        raise APIError(400, "MissingParameter", f"{what} is required: its ARN or name.")
    name = value.rsplit("/", 1)[-1]
    found = [row for row in model.objects.filter(**{f"{field}__iexact": name}) if value in (row.arn, row.name)]
    if not found:
        raise APIError(404, "NoSuchEntity", f"No {what} is {value}.")
    return found[0]


def _visible(request, pk: int) -> AccessRequest:
    """The request, if the caller asked it or may decide it; 404 alike otherwise."""
    row = queries.request_for(pk)
    if row is None or (row.requester_id != request.user.pk and not may_decide(request.user, row)):
        raise APIError(404, "NoSuchAccessRequest", f"No access request {pk} of yours or for you to decide.")
    return row


@api_view("GET")
def access_request(request, pk: int):
    return JsonResponse(request_json(_visible(request, pk)))


@api_view("POST")
def cancel(request, pk: int):
    row = _visible(request, pk)
    _performed(request.user, services.cancel_request, request=row)
    return JsonResponse(request_json(queries.request_for(pk)))


@api_view("POST")
def end(request, pk: int):
    row = _visible(request, pk)
    _performed(request.user, services.end_grant, request=row)
    return JsonResponse(request_json(queries.request_for(pk)))


@api_view("POST")
def decision(request, pk: int):
    """{"decision": "approve", "duration_seconds": n} (at most what was asked) or
    {"decision": "deny", "reason": "..."}."""
    row = _visible(request, pk)
    data = json_body(request)
    verdict = data.get("decision")
    if verdict == "approve":
        duration = _seconds(data.get("duration_seconds"), "duration_seconds", nullable=True)
        _performed(request.user, services.approve_request, request=row, duration=duration)
    elif verdict == "deny":
        reason = _text(data.get("reason", ""), "reason")
        _performed(request.user, services.deny_request, request=row, reason=reason)
    else:
        raise APIError(400, "MalformedRequest", "decision is approve or deny.")
    return JsonResponse(request_json(queries.request_for(pk)))


@api_view("POST")
def revoke(request, pk: int):
    row = _visible(request, pk)
    reason = _text(json_body(request).get("reason", ""), "reason")
    _performed(request.user, services.revoke_grant, request=row, reason=reason)
    return JsonResponse(request_json(queries.request_for(pk)))


@api_view("GET")
def request_proposals(request, pk: int):
    """What would grant a permission request, smallest first, and what its requester would gain
    beyond it if it were granted as asked (the change preview, for them alone)."""
    row = _visible(request, pk)
    found = proposals.proposals(row)
    return JsonResponse(
        {
            "proposals": [
                {
                    "kind": proposal.kind,
                    "arn": proposal.arn or None,
                    "name": proposal.name,
                    "beyond_request": [
                        {"action": action, "resources": list(where)} for action, where in proposal.beyond
                    ],
                }
                for proposal in found
            ],
            "gains_beyond_request": [
                {"action": change.action, "resource": change.resource} for change in proposals.gains_beyond_request(row)
            ],
        }
    )
