"""The console sign-in's steps and the state it keeps in the session.

Password, then (for a user with an MFA device) a code; then what must
happen before anything else (a new password when it expired or an
administrator asked for one, MFA set-up when required); and, on every
request, the idle and absolute session limits.
"""

import contextlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme

from identities import mfa, naming, services
from identities.audit import AuditEvent
from identities.context import MFA_SESSION_KEY, source_ip
from identities.credentials import ConsoleSession
from identities.models import User
from identities.passwords import PasswordPolicy

SIGNED_IN_AT = "iam_signed_in_at"
LAST_SEEN = "iam_last_seen"
PENDING = "iam_pending_sign_in"
PASSWORD_EXPIRED = "iam_password_expired"
MFA_ENROLMENT_REQUIRED = "iam_mfa_enrolment_required"
# The ConsoleSession row of this browser: its own ID, since login() and a password change
# give the Django session a new key.
CONSOLE_SESSION = "iam_console_session"
# A sign-out elsewhere that the sign-in page offers after this one's (the identity
# provider's, set by a federated sign-in): {"url": ..., "name": ...}; kept across sign-out.
SIGN_OUT_OFFER = "iam_sign_out_offer"
# Writing the last-seen time on every request would save the session every
# time; idle limits are minutes long, so a minute's precision is enough.
LAST_SEEN_PRECISION = 60


def _now() -> float:
    return timezone.now().timestamp()


def lockout_user_name(request, credentials=None) -> str:
    """django-axes counts failures per name as typed, without regard to case (as
    names are compared), so an unknown name is counted exactly like a known one. A name
    that is not ASCII names nobody and is counted as typed: folding it would let the
    Kelvin sign's failures lock kim out."""
    name = ((credentials or {}).get("username") or request.POST.get("username") or "").strip()
    key = naming.sign_in_key(name)
    return key if key is not None else name


def next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if safe else resolve_url(settings.LOGIN_REDIRECT_URL)


def password_verified(request, user: User) -> HttpResponse:
    """After a right password: a code for a user with an MFA device, else signed in."""
    policy = PasswordPolicy.current()
    if policy.hard_expiry and policy.is_expired(user):
        services.record_console_login(user=user, outcome=AuditEvent.Outcome.FAILURE, reason="Password expired")
        messages.error(request, "Your password has expired. Ask an administrator to set a new one.")
        return redirect("login")
    if mfa.confirmed_device(user) is not None:
        # A new session key before the half-signed-in state is stored in it.
        request.session.cycle_key()
        request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "next": next_url(request),
            "at": _now(),
            # As a signed-in session would, so that it ends the same way.
            "hash": user.get_session_auth_hash(),
        }
        return redirect("identities:mfa-verify")
    return finish(request, user, backend=user.backend, next_url=next_url(request), mfa_used=False)


@dataclass(frozen=True)
class PendingSignIn:
    user: User
    backend: str
    next_url: str


def pending_sign_in(request) -> PendingSignIn | None:
    """The sign-in waiting for its MFA code, while it is fresh and its user was neither
    disabled nor given a new password since (even if enabled again)."""
    pending = request.session.get(PENDING)
    if not pending or _now() - pending["at"] > settings.IAM_SIGN_IN_CODE_TIMEOUT:
        return None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or not constant_time_compare(pending.get("hash", ""), user.get_session_auth_hash()):
        return None
    return PendingSignIn(user, pending["backend"], pending["next"])


def finish(request, user: User, *, backend: str, next_url: str, mfa_used: bool) -> HttpResponse:
    login(request, user, backend=backend)  # cycles the session key
    now = _now()
    request.session.pop(PENDING, None)
    request.session[SIGNED_IN_AT] = request.session[LAST_SEEN] = now
    if mfa_used:
        request.session[MFA_SESSION_KEY] = now
    if PasswordPolicy.current().is_expired(user):
        request.session[PASSWORD_EXPIRED] = True
    if user.mfa_required and not mfa_used:
        request.session[MFA_ENROLMENT_REQUIRED] = True
    tracked = services.start_console_session(
        user=user,
        mfa_used=mfa_used,
        source_ip=source_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    request.session[CONSOLE_SESSION] = tracked.pk
    return redirect(next_url)


def console_session_id(request) -> int | None:
    """This browser's ConsoleSession ID, or None for an untracked session."""
    return request.session.get(CONSOLE_SESSION)


def sign_out(request) -> None:
    """End this browser's ConsoleSession row, if it has a live one (the Django session is
    ended by the sign-out view itself)."""
    tracked = console_session_id(request)
    if tracked is None:
        return
    session = ConsoleSession.objects.select_related("user").filter(pk=tracked, ended_at__isnull=True).first()
    if session is not None:
        with contextlib.suppress(ValidationError):  # ended meanwhile, from elsewhere
            services.end_console_session(session=session, actor=request.user, reason="signed out")


def may_change_own_password(user: User) -> bool:
    # As in AWS: the account setting lets every user change their own; without
    # it, only those whose policies allow iam:ChangePassword on themselves.
    return PasswordPolicy.current().allow_users_to_change_password or user.has_perm("iam:ChangePassword", user)


def session_end_reason(request) -> str | None:
    """Why this signed-in session must end now (revoked, idle or too old), or None; notes activity."""
    session, now = request.session, _now()
    tracked = session.get(CONSOLE_SESSION)
    # One query by primary key; an untracked session (no ID) asks nothing.
    if tracked is not None and not ConsoleSession.objects.filter(pk=tracked, ended_at__isnull=True).exists():
        return "This session was ended from its security credentials page. Sign in again to go on."
    signed_in_at = session.setdefault(SIGNED_IN_AT, now)
    last_seen = session.get(LAST_SEEN, now)
    if now - signed_in_at > settings.IAM_SESSION_ABSOLUTE_TIMEOUT:
        return "Your session reached its time limit. Sign in again to go on."
    if now - last_seen > settings.IAM_SESSION_IDLE_TIMEOUT:
        return "You were signed out after a while without activity. Sign in again to go on."
    if LAST_SEEN not in session or now - last_seen >= LAST_SEEN_PRECISION:
        session[LAST_SEEN] = now
        if tracked is not None:
            services.note_console_session_use(session_id=tracked, at=timezone.now())
    return None


def required_step(request) -> str | None:
    """The page a user must complete before any other, if any."""
    if request.user.password_reset_required or request.session.get(PASSWORD_EXPIRED):
        return reverse("identities:password-change")
    if request.session.get(MFA_ENROLMENT_REQUIRED):
        return reverse("identities:mfa-enrol")
    return None


def enforce(request) -> HttpResponse | None:
    """For a signed-in request: end a timed-out session, or send to a required step."""
    reason = session_end_reason(request)
    if reason is not None:
        logout(request)
        messages.info(request, reason)
        return redirect_to_login(request.get_full_path())
    step = required_step(request)
    if step is not None and not request.path.startswith(step) and request.path != reverse("logout"):
        return redirect(step)
    return None
