"""The console page of another user's console password: set or reset it, typed or generated,
and whether they must choose a new one at their next sign-in.

Governed by `iam:CreateLoginProfile` (a user without a password) or `iam:UpdateLoginProfile`
(one with), as the rule table says. A new password ends the user's console sessions: Django
checks every session against a hash made from the password. The root user's password is
changed only on its own account page, with its current one.

A generated password is post/redirect/get, as a new access key is: the POST that sets it (or
creates the user) keeps it in the server-side session; the GET it redirects to takes it out
and shows it once, in a page no cache may store. It is never logged, nor kept anywhere else.
"""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from identities import forms, passwords, rules, services
from identities.console import readable
from identities.models import User

# A generated password, from the POST that set it to the GET that shows it (and takes it out).
NEW_PASSWORD_SESSION_KEY = "iam_new_password"


def show_once(request, user: User, password: str) -> HttpResponse:
    """Keep `password` for the next GET of the user's password page, and redirect there."""
    request.session[NEW_PASSWORD_SESSION_KEY] = {"user": user.pk, "password": password}
    response = redirect("identities:user-password", pk=user.pk)
    response.status_code = 303  # See Other: the page is fetched with a GET, whatever the browser's habit
    return response


def _refuse_root(subject: User) -> None:
    if subject.is_superuser:
        raise PermissionDenied(
            "The root user's password is changed only on its own account page, with the current one."
        )


def _page(request, subject: User, form, shown: str = "") -> HttpResponse:
    may_set = not subject.is_superuser and rules.allows(request.user, services.set_password, user=subject)
    context = {"subject": subject, "form": form if may_set else None, "shown": shown}
    return render(request, "identities/user_password.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def user_password(request, pk: int):
    if request.method == "GET":
        # Out of the session whichever password page comes next: a password never waits there for long.
        new = request.session.pop(NEW_PASSWORD_SESSION_KEY, None)
        if new and new.get("user") == pk:
            # What this session was just given, shown to it even without iam:GetUser on the user
            # (a creator may create users it may not read): the secret exists nowhere else.
            subject = get_object_or_404(User, pk=pk, is_superuser=False)
            return _page(request, subject, forms.ConsolePasswordForm(), new["password"])
        subject = readable(request, User, pk, "iam:GetUser")
        _refuse_root(subject)
        rules.require(request.user, rules.required(services.set_password, user=subject))
        return _page(request, subject, forms.ConsolePasswordForm())
    subject = readable(request, User, pk, "iam:GetUser")
    _refuse_root(subject)
    rules.require(request.user, rules.required(services.set_password, user=subject))
    return _set(request, subject, forms.ConsolePasswordForm(request.POST))


def _set(request, subject: User, form: forms.ConsolePasswordForm) -> HttpResponse:
    if not form.is_valid():
        return _page(request, subject, form)
    generated = form.wants_generated()
    password = passwords.generate_password() if generated else form.cleaned_data["console_password"]
    change = {"user": subject, "password": password, "reset_required": form.cleaned_data["password_reset_required"]}
    had_password = subject.has_usable_password()
    try:
        rules.perform(request.user, services.set_password, **change)
    except ValidationError as error:
        form.add_error(None if generated else "console_password", error)
        return _page(request, subject, form)
    own = subject.pk == request.user.pk
    if own:
        update_session_auth_hash(request, subject)  # their own change keeps this session
    ended = " Their console sessions were ended." if had_password and not own else ""
    messages.success(request, f"The console password of {subject.username} was set.{ended}")
    if generated:
        return show_once(request, subject, password)
    return redirect("identities:user-detail", pk=subject.pk)
