"""The JSON API under /api/v1/: bearer-key authentication and one error format.

Every answer is JSON. Errors are `{"error": {"code": "...", "message": "..."}}`
with a 4xx status for anything the caller got wrong (401 for credentials,
never a 5xx for bad input). Credentials go in the Authorization header, as
`identities.credentials` describes, and only over HTTPS unless the server
runs with IAM_PLAIN_HTTP on loopback.
"""

from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

from identities import audit, generation, jsoninput, machine
from identities import services as identity_services
from identities.context import Target, current_context
from identities.credentials import AccessKey, Caller, WebIdentityUser, authenticate_bearer
from identities.middleware import is_lock_conflict
from identities.models import Role
from policies import authorization, lastaccess, preview
from policies import openapi as openapi_document
from policies.engine import DocumentKind, Level, Outcome, validate_policy
from policies.lastaccess import advisor
from policies.preview import requests as preview_requests

SERVICE = "sts"
CHAINED_SESSION_MAX = 3600


class APIError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="iamconsole"'
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def api_view(*methods: str, web_identity: bool = False):
    """A machine endpoint (identities.machine): method check, HTTPS, bearer
    authentication (the one source of `request.user` here) and JSON errors.

    `web_identity`: whether a web identity's role session may call it. Such a session
    belongs to no user, so only endpoints that act as the session alone admit it; the
    rest (access requests, expectations, previews: a person's work) refuse it."""

    def decorate(view):
        @machine.machine_endpoint(rate_limited=rate_limited)
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                check_request(request, methods)
                request.api_caller = _authenticate(request)
                if not web_identity and isinstance(request.user, WebIdentityUser):
                    message = f"{request.api_caller.arn} is a web identity's session, which may not call this API."
                    raise APIError(403, "AccessDenied", message)
                return view(request, *args, **kwargs)
            except APIError as error:
                return error_response(error.status, error.code, error.message, error.headers)
            except (OperationalError, InterfaceError) as error:
                if is_lock_conflict(error):  # another request held what this one needed: nothing was kept
                    message = "Another change was being made at the same moment: nothing was saved; try again."
                    return error_response(409, "Conflict", message)
                # Without the database nothing can be decided: never guess, never allow.
                return error_response(503, "ServiceUnavailable", "The database cannot be reached; try again.")

        return wrapped

    return decorate


def rate_limited(refusal: machine.RateLimited) -> JsonResponse:
    return error_response(429, "RateLimited", str(refusal), {"Retry-After": str(refusal.retry_after)})


def check_request(request, methods) -> None:
    if request.method not in methods:
        raise APIError(405, "MethodNotAllowed", f"Use {' or '.join(methods)} here.", {"Allow": ", ".join(methods)})
    if not (request.is_secure() or settings.PLAIN_HTTP or settings.DEBUG):
        raise APIError(403, "HttpsRequired", "Credentials are accepted over HTTPS only.")


def _authenticate(request) -> Caller:
    # The generation in the key's statement, where both live on one database: one round trip.
    beside = generation.SELECT if generation.reads_beside(AccessKey) else ""
    caller = authenticate_bearer(request.headers.get("Authorization"), beside=beside)
    if caller is None:
        raise APIError(401, "InvalidCredentials", "The credentials are missing, malformed, unknown or not active.")
    # Long-term keys carry no MFA (AWS leaves both MFA keys out of their requests); these
    # role sessions were assumed without one.
    mfa_present = None if caller.access_key is not None else False
    credential = caller.access_key or caller.session
    machine.bind_caller(
        request, caller.user, credential_id=credential.key_id, role_session=caller.session, mfa_present=mfa_present
    )
    generation.remember(caller.generation)
    if caller.access_key is not None:
        # After the key's rate limit: a refused request did not use the key.
        identity_services.note_key_use(key=caller.access_key, service=SERVICE)
    return caller


def json_body(request) -> dict:
    try:
        body = request.body
    except RequestDataTooBig:
        raise APIError(413, "RequestTooLarge", "The request body is too large.") from None
    if request.content_type != "application/json":
        raise APIError(415, "UnsupportedMediaType", "Send the body as application/json.")
    try:
        data = jsoninput.loads(body or b"null")
    except jsoninput.TooDeep as error:
        raise APIError(400, "MalformedRequest", f"The body is {error}.") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise APIError(400, "MalformedJSON", f"The body is not JSON: {error}.") from None
    if not isinstance(data, dict):
        raise APIError(400, "MalformedRequest", "The body must be a JSON object.")
    # NUL cannot be stored or looked up in PostgreSQL text, so it is refused at the door.
    if jsoninput.contains_nul(data):
        raise APIError(400, "MalformedRequest", "Text in the body may not contain NUL characters.")
    return data


def request_keys() -> dict:
    context = current_context()
    return context.condition_keys() if context is not None else {}


@api_view("GET", web_identity=True)
def caller_identity(request):
    """Who the credentials belong to, as sts:GetCallerIdentity answers it. Asked at the
    one door like any action; the engine allows it whatever the policies say, as AWS
    does, so an explicit Deny never hides callers from themselves."""
    caller = request.api_caller
    if not request.user.has_perm("sts:GetCallerIdentity", Target("*")):
        raise APIError(403, "AccessDenied", f"{caller.arn} is not authorized to perform sts:GetCallerIdentity.")
    lastaccess.note_caller(caller, "sts:GetCallerIdentity", "*")
    user_id = caller.session.user_id_key if caller.session else caller.user.iam_id
    return JsonResponse({"UserId": user_id, "Account": settings.IAM_ACCOUNT_ID, "Arn": caller.arn})


@api_view("POST", web_identity=True)
def assume_role(request):
    """Temporary credentials for a role, decided as AWS decides sts:AssumeRole."""
    session, secret, token = assume(request, json_body(request))
    return JsonResponse(credentials_json(session, secret, token))


def assume(request, data: dict, *, external_id: str | None = None):
    """sts:AssumeRole for the request's caller with `data`'s RoleArn, RoleSessionName,
    DurationSeconds and Policy, `external_id` given as sts:ExternalId (the AWS endpoint's):
    decided, then started through the service. Returns the session, its secret and token."""
    caller = request.api_caller
    role = role_at(data.get("RoleArn"))
    session_name, duration, policy = assume_parameters(data, role, caller)
    layers = authorization.acting_layers(request.user)
    context = request_keys()
    if external_id is not None:
        context["sts:ExternalId"] = external_id
    decision = authorization.assume_role(layers, role, context=context)
    if decision.outcome is not Outcome.ALLOW:
        raise APIError(403, "AccessDenied", f"{caller.arn} is not authorized to perform sts:AssumeRole on {role.arn}.")
    lastaccess.note_decision(layers, "sts:AssumeRole", role.arn, credential=_credential_id(caller))
    # A session chained from a web identity's belongs to that identity, as its own does.
    user = caller.user if caller.session is None or caller.session.user is not None else None
    web_identity = (caller.session.provider, caller.session.subject) if user is None else None
    try:
        return identity_services.start_role_session(
            role=role,
            user=user,
            web_identity=web_identity,
            session_name=session_name,
            duration=duration,
            source="api",
            session_policy=policy,
            actor=caller.user,
        )
    except ValidationError as error:
        raise APIError(400, "ValidationError", " ".join(error.messages)) from None


def role_at(arn, action: str = "sts:AssumeRole") -> Role:
    if not isinstance(arn, str) or not arn:
        raise APIError(400, "MissingParameter", "RoleArn is required.")
    role = next((role for role in Role.objects.filter(role_name=arn.rsplit("/", 1)[-1]) if role.arn == arn), None)
    if role is None:
        # An unknown role is refused like a forbidden one, so callers learn nothing of roles.
        raise APIError(403, "AccessDenied", f"Not authorized to perform {action} on {arn}.")
    return role


def assume_parameters(data: dict, role: Role, caller: Caller) -> tuple[str, int, dict | None]:
    session_name = data.get("RoleSessionName")
    if not isinstance(session_name, str):
        raise APIError(400, "MissingParameter", "RoleSessionName is required.")
    duration = data.get("DurationSeconds", 3600)
    if not isinstance(duration, int) or isinstance(duration, bool):
        raise APIError(400, "ValidationError", "DurationSeconds is a whole number of seconds.")
    if caller.session is not None and duration > CHAINED_SESSION_MAX:
        raise APIError(400, "ValidationError", "A role session assuming another role lasts at most 3600 seconds.")
    return session_name, duration, session_policy(data)


def session_policy(data: dict) -> dict | None:
    policy = data.get("Policy")
    if policy is None:
        return None
    if isinstance(policy, str):
        try:
            policy = jsoninput.loads(policy)
        except jsoninput.TooDeep as error:
            raise APIError(400, "MalformedPolicyDocument", f"Policy is {error}.") from None
        except ValueError as error:
            raise APIError(400, "MalformedPolicyDocument", f"Policy is not JSON: {error}.") from None
        if jsoninput.contains_nul(policy):
            raise APIError(400, "MalformedPolicyDocument", "Policy may not contain NUL characters.")
    errors = [f for f in validate_policy(policy, kind=DocumentKind.SESSION) if f.level is Level.ERROR]
    if errors:
        raise APIError(400, "MalformedPolicyDocument", "; ".join(str(finding) for finding in errors))
    return policy


# Keys the server derives from its own records; a caller may not supply them.
SERVER_KEYS = {
    "aws:username",
    "aws:userid",
    "aws:principalarn",
    "aws:principaltype",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:currenttime",
    "aws:epochtime",
}


@api_view("POST", web_identity=True)
def authorize(request):
    """May each principal do each action on each resource? One request or a batch."""
    data = json_body(request)
    batch = "requests" in data
    items = data["requests"] if batch else [data]
    if not isinstance(items, list) or not items:
        raise APIError(
            400, "MalformedRequest", "requests is a non-empty list of {principal, action, resource, context}."
        )
    if len(items) > settings.IAM_AUTHORIZE_BATCH_MAX:
        raise APIError(400, "BatchTooLarge", f"At most {settings.IAM_AUTHORIZE_BATCH_MAX} requests in one batch.")
    caller = request.api_caller
    explain = _explain_option(data, "the body" if batch else "the request")
    results = [_decide_one(request, item, index if batch else None, explain) for index, item in enumerate(items)]
    audit.note_decisions([item | result for item, result in zip(items, results, strict=True)], actor=caller.user)
    return JsonResponse({"results": results} if batch else results[0])


def _explain_option(data, where: str) -> bool:
    """`"explain": true` asks for the near misses of an implicit deny too."""
    explain = data.get("explain", False) if isinstance(data, dict) else False
    if not isinstance(explain, bool):
        raise APIError(400, "MalformedRequest", f"{where}: explain is true or false.")
    return explain


def _decide_one(request, item, index: int | None, explain: bool = False) -> dict:
    where = f"requests[{index}]" if index is not None else "the request"
    principal, action, resource, context = _authorize_fields(item, where)
    explain = explain or _explain_option(item, where)
    caller = request.api_caller
    # Permission first, so a caller learns nothing about principals it may not ask about.
    if principal != caller.arn and not request.user.has_perm("iam:SimulatePrincipalPolicy", Target(principal)):
        message = f"{caller.arn} may not ask about {principal} (iam:SimulatePrincipalPolicy)."
        raise APIError(403, "AccessDenied", message)
    if principal != caller.arn:
        lastaccess.note_caller(caller, "iam:SimulatePrincipalPolicy", principal)
    try:
        layers = authorization.layers_at(principal)
    except authorization.AmbiguousPrincipal:
        message = f"{where}: several live role sessions are {principal}; ask about the role or the user instead."
        raise APIError(400, "AmbiguousPrincipal", message) from None
    except authorization.UnknownPrincipal:
        raise APIError(404, "NoSuchPrincipal", f"{where}: no user, role or live role session is {principal}.") from None
    decision = authorization.decide(layers, action, resource, context=context, explain=explain)
    if decision.outcome is Outcome.ALLOW:
        # The answer authorizes the principal's real request: its last-accessed data.
        credential = _credential_id(caller) if principal == caller.arn else ""
        lastaccess.note_decision(layers, action, resource, credential=credential)
    return decision_json(decision, explain=explain)


def _credential_id(caller: Caller) -> str:
    return (caller.access_key or caller.session).key_id


def _authorize_fields(item, where: str) -> tuple[str, str, str, dict]:
    if not isinstance(item, dict):
        raise APIError(400, "MalformedRequest", f"{where} must be an object.")
    fields = [item.get(name) for name in ("principal", "action", "resource")]
    if not all(isinstance(value, str) and value for value in fields):
        raise APIError(400, "MissingParameter", f"{where} needs principal, action and resource as strings.")
    return (*fields, _caller_context(item.get("context", {}), where))


def _caller_context(context, where: str) -> dict:
    if not isinstance(context, dict):
        raise APIError(400, "MalformedRequest", f"{where}: context maps condition keys to strings or lists of strings.")
    for key, value in context.items():
        lowered = key.lower()
        if lowered in SERVER_KEYS or lowered.startswith("aws:principaltag/"):
            raise APIError(400, "ServerDerivedKey", f"{where}: {key} is derived by the server and may not be sent.")
        if not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
            raise APIError(400, "MalformedRequest", f"{where}: the value of {key} must be a string or strings.")
    return context


def decision_json(decision, *, explain: bool = False) -> dict:
    answer = {
        "decision": decision.outcome.value,
        "deciding": [
            {
                "layer": ref.layer,
                "policy": ref.source,
                "statement_index": ref.statement_index,
                "sid": ref.sid,
                "effect": ref.effect,
            }
            for ref in decision.deciding
        ],
        "blocking_layers": list(decision.blocking_layers),
        "missing_context_keys": list(decision.missing_context_keys),
        "conditional": decision.conditional,
        "errors": list(decision.errors),
    }
    if explain:
        answer["near_misses"] = [near_miss_json(miss) for miss in decision.near_misses]
    return answer


def near_miss_json(miss) -> dict:
    """A statement that matched the action but missed the resource, the principal or conditions."""
    return {
        "layer": miss.ref.layer,
        "policy": miss.ref.source,
        "statement_index": miss.ref.statement_index,
        "sid": miss.ref.sid,
        "missed": list(miss.missed),
        "resources": list(miss.resources),
        "not_resource": miss.not_resource,
        "principal": miss.principal,
        "conditions": [condition.as_dict() for condition in miss.conditions],
    }


def credentials_json(session, secret: str, token: str) -> dict:
    return {
        "Credentials": {
            "AccessKeyId": session.key_id,
            "SecretAccessKey": secret,
            "SessionToken": token,
            "Expiration": session.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "AssumedRoleUser": {"AssumedRoleId": session.user_id_key, "Arn": session.arn},
        "Authorization": f"Bearer {session.key_id}:{secret}:{token}",
    }


@api_view("POST")
def preview_change(request):
    """Who would gain and who would lose what if the caller made this change (policies.preview)."""
    data = json_body(request)
    try:
        change, arguments = preview_requests.change_from(data)
        resources = preview_requests.typed_resources(data.get("resources", []))
        found = preview.preview(request.user, change, resources=resources, **arguments)
    except preview_requests.ChangeError as error:
        raise APIError(400, "InvalidChange", str(error)) from None
    except ValidationError as error:
        raise APIError(400, "ValidationError", " ".join(error.messages)) from None
    except PermissionDenied as error:
        raise APIError(403, "AccessDenied", f"{request.api_caller.arn}: {error}") from None
    return JsonResponse(found.as_data())


@machine.machine_endpoint
def openapi(request):
    """The API's description; public, like any API reference."""
    if request.method != "GET":
        return error_response(405, "MethodNotAllowed", "Use GET here.", {"Allow": "GET"})
    return JsonResponse(openapi_document.document())


# Last-accessed data (policies.lastaccess)

UNUSED_DAYS_MAX = 3650


@api_view("GET", web_identity=True)
def last_accessed(request):
    """The Access Advisor of a user, role, group or managed policy: the services and actions it
    is granted, each with when it was last used; `unused_days` keeps only those granted but not
    used for that many days. As AWS's tab, it needs iam:GenerateServiceLastAccessedDetails on
    the entity and iam:GetServiceLastAccessedDetails."""
    arn = request.GET.get("principal", "")
    if not arn:
        raise APIError(400, "MissingParameter", "principal is required: a user, role, group or policy ARN.")
    days = _unused_days(request.GET.get("unused_days"))
    checks = ((lastaccess.GENERATE, arn), (lastaccess.GET, "*"))
    for action, target in checks:
        # Permission first, so a caller learns nothing about entities it may not ask about.
        if not request.user.has_perm(action, Target(target)):
            raise APIError(403, "AccessDenied", f"{request.api_caller.arn} may not perform {action} on {target}.")
    for action, target in checks:
        lastaccess.note_caller(request.api_caller, action, target)
    entity = advisor.entity_at(arn)
    if entity is None:
        raise APIError(404, "NoSuchEntity", f"No user, role, group or managed policy is {arn}.")
    found = advisor.access_advisor(entity, unused_days=days)
    return JsonResponse({"principal": entity.arn, "unused_days": days, "services": [_service_json(s) for s in found]})


def _unused_days(value) -> int | None:
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= UNUSED_DAYS_MAX:
        raise APIError(400, "ValidationError", f"unused_days is a whole number of days from 1 to {UNUSED_DAYS_MAX}.")
    return int(value)


def _moment(value) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def _service_json(service) -> dict:
    return {
        "service": service.service,
        "last_accessed": _moment(service.last_allowed_at),
        "actions": [
            {
                "action": use.action,
                "access_level": use.access_level,
                "last_accessed": _moment(use.last_allowed_at),
                "last_accessed_by": use.principal_arn or None,
                "credential": use.credential or None,
                "resources": use.resources,
            }
            for use in service.actions
        ],
    }
