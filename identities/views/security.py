"""A user's security credentials page: password, MFA, access keys, and the live console and
role sessions, each of which can be ended from here.

The page opens for whoever may read any of its parts (iam:GetLoginProfile, iam:ListMFADevices,
iam:ListAccessKeys, iam:ListSessions on the user) and shows only those parts; the built-in
self-service policy gives every user all of them on themselves. Access keys are managed on
their own page (identities.views.credentials), which this one links to. Ending a session is
iam:RevokeSession on its user (identities.rules): a console session is signed out at its next
request (identities.signin), a role session is refused by the API and the console at once.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from identities import queries, rules, services, signin
from identities.console import readable
from identities.credentials import ConsoleSession, RoleSession
from identities.models import User
from identities.passwords import PasswordPolicy

# Each part of the page and the action that shows it.
PARTS = {
    "password": "iam:GetLoginProfile",
    "mfa": "iam:ListMFADevices",
    "keys": "iam:ListAccessKeys",
    "sessions": "iam:ListSessions",
}


def _subject(request, username: str, *actions: str) -> User:
    return readable(request, User, None, actions or tuple(PARTS.values()), username__lower=username.lower())


@login_required
@never_cache
@require_GET
def security_credentials(request, username: str):
    user = _subject(request, username)
    own = user.pk == request.user.pk
    sample = ConsoleSession(user=user)  # the rule asks about the session's user
    context = {
        "subject": user,
        "own": own,
        "shows": {part: request.user.has_perm(action, user) for part, action in PARTS.items()},
        "credentials": queries.security_credentials(user),
        "password_expires_at": PasswordPolicy.current().expires_at(user),
        "may_change_password": own and signin.may_change_own_password(user),
        "may_revoke": rules.allows(request.user, services.end_console_session, session=sample),
        "current_session": signin.console_session_id(request) if own else None,
    }
    return render(request, "identities/security_credentials.html", context)


def _back(user: User):
    return redirect("identities:security-credentials", username=user.username)


@login_required
@require_POST
def console_session_revoke(request, username: str, session_pk: int):
    user = _subject(request, username, PARTS["sessions"])
    session = get_object_or_404(ConsoleSession.objects.select_related("user"), pk=session_pk, user=user)
    try:
        rules.perform(request.user, services.end_console_session, session=session)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The console session started {session.started_at:%Y-%m-%d %H:%M} UTC was ended.")
    return _back(user)


@login_required
@require_POST
def role_session_revoke(request, username: str, session_pk: int):
    user = _subject(request, username, PARTS["sessions"])
    session = get_object_or_404(RoleSession.objects.select_related("user", "role"), pk=session_pk, user=user)
    rules.require(request.user, rules.required(services.end_role_session, session=session))
    if not session.is_live():
        messages.error(request, f"The session {session.session_name} as {session.role.role_name} has already ended.")
        return _back(user)
    rules.perform(request.user, services.end_role_session, session=session)
    messages.success(request, f"The session {session.session_name} as {session.role.role_name} was ended.")
    return _back(user)
