"""Puts the request context on every request and its signed-in user."""

import json
import logging
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.middleware import get_user
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, OperationalError
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme

from identities import audit, generation, machine, ratelimit, signin
from identities.context import (
    CONSOLE,
    RequestContext,
    context_for,
    reset_current_context,
    set_current_context,
    source_ip,
)
from identities.credentials import RoleSession


class RequestContextMiddleware:
    """One context per request, in the context variable only (identities.context).

    A console request's context is bound to the signed-in user when Django first
    resolves `request.user`. A machine endpoint (identities.machine) never reads
    the session cookie: its user is anonymous until the endpoint's own credential
    says who calls. Any write the request makes to the database empties the
    context's memos, so a page rendered after a change decides afresh."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Without a session this is the API's short chain (iamconsole.handlers): machine calls only.
        interface = machine.interface_of(request)
        machine_call = not hasattr(request, "session") or interface is not None
        context = context_for(request, interface=interface or (machine.API if machine_call else CONSOLE))
        token = set_current_context(context)
        if machine_call:
            request.user = AnonymousUser()
        else:
            request.user = SimpleLazyObject(lambda: _bind(request, get_user(request), context))
        try:
            with generation.forgetting_on_write():
                return self.get_response(request)
        finally:
            reset_current_context(token)


def _bind(request, user, context: RequestContext):
    """Bind the context to the signed-in user, in the role session they switched into."""
    if user.is_authenticated:
        set_current_context(context.bound_to(user, role_session_of(request, user)))
    return user


ROLE_SESSION_KEY = "iam_role_session_id"


def role_session_of(request, user) -> RoleSession | None:
    """The live role session this console session switched into; an ended one is
    forgotten, with a message saying so."""
    session_id = request.session.get(ROLE_SESSION_KEY)
    if session_id is None:
        return None
    session = RoleSession.objects.select_related("role").filter(pk=session_id, user=user).first()
    if session is not None and session.is_live():
        return session
    del request.session[ROLE_SESSION_KEY]
    if session is not None:
        messages.info(request, f"Your session as {session.role.role_name} has ended; you act as yourself again.")
    return None


class SignInStateMiddleware:
    """Ends idle or too-old console sessions, and keeps a user who must first
    change their password or set up MFA on that page (identities.signin)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            response = signin.enforce(request)
            if response is not None:
                return response
        return self.get_response(request)


logger = logging.getLogger(__name__)

# Refusals worth a record, when an authenticated caller made them. 404s need a resolved view
# (a signed-in typo is not a refusal).
REFUSALS = {401: "InvalidCredentials", 403: "AccessDenied", 404: "NotFound"}
# Refusals without an authenticated caller are only counted (identities.audit.count_refusal):
# a failed credential or a scanner's junk must not fill a trail that cannot be cleaned, and
# nobody could be named in it. Rate limits (429) are counted there too.
COUNTED = REFUSALS | {429: "RateLimited"}
_ACTION = re.compile(r"\b(?:iam|sts):([A-Za-z0-9]+)")


class AuditRefusalMiddleware:
    """Records each refused console or API request of an authenticated caller (403, 404) as a
    Denied audit event, in its own transaction, from the response: not every permission check
    that shapes a page. Refusals without one (every 401, a rate limit before authentication)
    are counted per day, reason and client network instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = response.status_code
        if status in COUNTED and not _exempt(request, status):
            actor = _actor(request)
            if actor is None:
                _count_refusal(request, response)
            elif status in REFUSALS:
                _record_refusal(request, response, actor)
        return response

    def process_exception(self, request, exception):
        # The view's reason (PermissionDenied and Http404 messages name the IAM action).
        if isinstance(exception, PermissionDenied | Http404):
            request.audit_refusal_reason = str(exception)
            # A rules.Refused names its check: kept whole, so the refusal can be asked for again.
            request.audit_refused_check = getattr(exception, "check", None)


def _exempt(request, status: int) -> bool:
    static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if request.path.startswith(static_prefix) or request.path == _sign_in_path():
        return True  # sign-ins are recorded as ConsoleLogin events
    return status == 404 and getattr(request, "resolver_match", None) is None


def _sign_in_path() -> str:
    """settings.LOGIN_URL as a path, from the root URLconf (the API's short chain has its own)."""
    try:
        return reverse(settings.LOGIN_URL, urlconf=settings.ROOT_URLCONF)
    except NoReverseMatch:
        return str(settings.LOGIN_URL)


def _actor(request):
    caller = getattr(request, "api_caller", None)
    if caller is not None:
        return caller.user
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _record_refusal(request, response, actor) -> None:
    reason = getattr(request, "audit_refusal_reason", "") or _api_error(response)
    action = _ACTION.search(reason)
    match = request.resolver_match
    after = {
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "view": match.view_name if match else "",
        "reason": reason[:500],
    }
    check = getattr(request, "audit_refused_check", None)
    if check is not None:
        after.update(action=check.action, resource=check.resource)
    event = action.group(1) if action else REFUSALS[response.status_code]
    try:
        audit.record_request(event, actor=actor, outcome=audit.AuditEvent.Outcome.DENIED, after=after)
    except DatabaseError:
        # A refusal stays a refusal even when it cannot be written down.
        logger.exception("Could not record the refused request %s %s", request.method, request.path)


def _count_refusal(request, response) -> None:
    code = _api_error_fields(response).get("code")
    reason = code if isinstance(code, str) and code else COUNTED[response.status_code]
    audit.count_refusal(reason=reason, network=ratelimit.network_of(source_ip(request)))


def _api_error(response) -> str:
    error = _api_error_fields(response)
    code, message = error.get("code", ""), error.get("message", "")
    return (f"{code}: {message}" if code else str(message)) if error else ""


def _api_error_fields(response) -> dict:
    """The API's `{"error": {"code": ..., "message": ...}}` of a JSON answer, or SCIM's error
    body (its scimType and detail, RFC 7644 §3.12) in that form; else {}."""
    content_type = response.get("Content-Type", "")
    if response.streaming or not content_type.startswith(("application/json", "application/scim+json")):
        return {}
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    error = body.get("error")
    if isinstance(error, dict):
        return error
    if isinstance(body.get("detail"), str):
        return {"code": body.get("scimType") or "", "message": body["detail"]}
    return {}


# PostgreSQL's deadlock_detected, lock_not_available and serialization_failure.
_LOCK_STATES = frozenset({"40P01", "55P03", "40001"})


def is_lock_conflict(exception: BaseException) -> bool:
    """Whether a database error says that another transaction held what this one needed and it
    could not wait (SQLite past its busy timeout, a PostgreSQL deadlock): the transaction was
    rolled back, and the same request may succeed a moment later."""
    if not isinstance(exception, OperationalError):
        return False
    if getattr(exception.__cause__, "sqlstate", None) in _LOCK_STATES:
        return True
    text = str(exception).lower()
    return "database is locked" in text or "database table is locked" in text


class BusyDatabaseMiddleware:
    """Two requests at once: a save that finds another (a change preview, which holds SQLite's
    write lock while it reads the account inside its savepoint) holding the database longer
    than it may wait is answered 409, nothing saved, instead of a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_lock_conflict(exception):
            return None
        session = getattr(request, "session", None)
        if session is not None:
            session.modified = False  # its write would wait for the same lock: this request kept nothing
        back = request.headers.get("Referer", "")
        back = back if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) else ""
        return render(request, "409_busy.html", {"back": back}, status=409)
