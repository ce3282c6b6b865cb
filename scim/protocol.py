"""SCIM over HTTP (RFC 7644): the machine endpoint, its bearer access key, its error bodies.

Every answer is application/scim+json. Errors are SCIM's Error message (schemas, status,
scimType, detail) with a 4xx status for anything the caller got wrong; a database that
cannot be reached is a 503 and nothing else is a 5xx. The caller is an IAM user's access key
(or a role session's credentials), exactly as the JSON API takes it: the same header, the
same 401 for every credential problem, the same rate limits (identities.machine).
"""

import json
from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from scim2_models import Context, Error, SCIMException

from identities import generation, jsoninput, machine
from identities import services as identity_services
from identities.credentials import AccessKey, authenticate_bearer

CONTENT_TYPE = "application/scim+json"
INTERFACE = "scim"


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.scim_type, self.headers = status, detail, scim_type, headers or {}


def answer(data: dict | None, status: int = 200, headers: dict | None = None) -> HttpResponse:
    body = b"" if data is None else json.dumps(data).encode()
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPE if data is not None else None)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(status: int, detail: str, scim_type: str | None = None, headers: dict | None = None):
    error = Error(status=status, scim_type=scim_type, detail=detail)
    response = answer(error.model_dump(scim_ctx=Context.DEFAULT), status, headers)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="iamconsole"'
    return response


def _rate_limited(refusal: machine.RateLimited) -> HttpResponse:
    return error_response(429, str(refusal), headers={"Retry-After": str(refusal.retry_after)})


def scim_view(*methods: str):
    """A machine endpoint of the SCIM interface: method check, HTTPS, the caller's access key
    (the one source of `request.user` here) and SCIM's error bodies."""

    def decorate(view):
        @machine.machine_endpoint(rate_limited=_rate_limited, interface=INTERFACE)
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                _check_request(request, methods)
                _authenticate(request)
                return view(request, *args, **kwargs)
            except ScimError as error:
                return error_response(error.status, error.detail, error.scim_type, error.headers)
            except SCIMException as error:
                return error_response(error.status if error.status < 500 else 400, error.detail, error.scim_type)
            except (OperationalError, InterfaceError):
                # Without the database nothing can be decided: never guess, never allow.
                return error_response(503, "The database cannot be reached; try again.")

        return wrapped

    return decorate


def _check_request(request, methods) -> None:
    if request.method not in methods:
        raise ScimError(405, f"Use {' or '.join(methods)} here.", headers={"Allow": ", ".join(methods)})
    if not (request.is_secure() or settings.PLAIN_HTTP or settings.DEBUG):
        raise ScimError(403, "Credentials are accepted over HTTPS only.")


def _authenticate(request) -> None:
    beside = generation.SELECT if generation.reads_beside(AccessKey) else ""
    caller = authenticate_bearer(request.headers.get("Authorization"), beside=beside)
    if caller is None:
        raise ScimError(401, "The credentials are missing, malformed, unknown or not active.")
    credential = caller.access_key or caller.session
    mfa_present = None if caller.access_key is not None else False
    machine.bind_caller(
        request, caller.user, credential_id=credential.key_id, role_session=caller.session, mfa_present=mfa_present
    )
    generation.remember(caller.generation)
    request.api_caller = caller
    if caller.access_key is not None:
        identity_services.note_key_use(key=caller.access_key, service=INTERFACE)
    if caller.user.is_superuser:
        # Provisioning is a service user's work, governed by its policies; root's has none.
        raise ScimError(403, "The account root user does not provision; use a service user's access key.")


def json_body(request) -> dict:
    try:
        body = request.body
    except RequestDataTooBig:
        raise ScimError(413, "The request body is too large.") from None
    if request.content_type not in (CONTENT_TYPE, "application/json"):
        raise ScimError(415, f"Send the body as {CONTENT_TYPE}.")
    try:
        data = jsoninput.loads(body or b"null")
    except jsoninput.TooDeep as error:
        raise ScimError(400, f"The body is {error}.", "invalidSyntax") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ScimError(400, f"The body is not JSON: {error}.", "invalidSyntax") from None
    if not isinstance(data, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    if jsoninput.contains_nul(data):
        raise ScimError(400, "Text in the body may not contain NUL characters.", "invalidValue")
    return data


def refuse_unless_matches(request, etag: str) -> None:
    """If-Match (a list of ETags, or *) must name the resource's current version: 412 if not."""
    wanted = request.headers.get("If-Match")
    if wanted is None:
        return
    tags = [tag.strip() for tag in wanted.split(",")]
    if "*" not in tags and not any(_same(tag, etag) for tag in tags):
        raise ScimError(412, f"The resource has changed: its version is now {etag}.")


def _same(tag: str, etag: str) -> bool:
    # Weak comparison (RFC 9110 §8.8.3.2): W/ aside, the opaque tags are equal.
    return tag.removeprefix("W/") == etag.removeprefix("W/")


def not_modified(request, etag: str) -> bool:
    wanted = request.headers.get("If-None-Match")
    return wanted is not None and any(_same(tag.strip(), etag) or tag.strip() == "*" for tag in wanted.split(","))
