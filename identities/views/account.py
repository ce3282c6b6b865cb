"""Console pages of identities: sign-in, the user's own account, password and MFA device."""

from math import ceil

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from identities import forms, mfa, rules, services, signin, throttle
from identities.audit import AuditEvent
from identities.passwords import PasswordPolicy


@sensitive_post_parameters()
@csrf_protect
@never_cache
def sign_in(request):
    if request.user.is_authenticated:
        return redirect(signin.next_url(request))
    form = forms.SignInForm(request, data=request.POST or None)
    if request.method == "POST":
        user_name = signin.lockout_user_name(request)
        wait = throttle.wait_before_attempt(request, user_name=user_name)
        if wait is not None:
            return _throttled(request, wait)
        if form.is_valid():
            return signin.password_verified(request, form.get_user())
        locked = getattr(request, "axes_locked_out", False)
        if not locked:  # a locked attempt's password was not checked
            throttle.note_failure(request, user_name=user_name)
        services.record_console_login(
            username=form.data.get("username", ""),
            outcome=AuditEvent.Outcome.FAILURE,
            reason="Locked out" if locked else "Failed authentication",
        )
        # When locked, django-axes's middleware answers with the lockout page instead.
    context = {
        "form": form,
        "next": signin.next_url(request),
        "sign_out_offer": request.session.pop(signin.SIGN_OUT_OFFER, None),
    }
    return render(request, "registration/login.html", context)


def locked_out(request, original_response=None, credentials=None):
    """django-axes's lockout answer: the same page whether or not the name exists."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": max(1, ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)),
    }
    return render(request, "registration/locked_out.html", context, status=429)


def _throttled(request, wait: throttle.Wait):
    """A sign-in refused before its password is checked (identities.throttle); the same
    page whether or not the name exists."""
    services.record_console_login(
        username=request.POST.get("username", ""), outcome=AuditEvent.Outcome.FAILURE, reason=wait.reason
    )
    context = {"wait_seconds": wait.seconds, "wait_scope": wait.scope}
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(wait.seconds)
    return response


_logout = LogoutView.as_view()


@csrf_protect
def sign_out(request):
    """Django's sign-out, which ends this browser's console session row first."""
    offer = request.session.get(signin.SIGN_OUT_OFFER)
    if request.method == "POST" and request.user.is_authenticated:
        signin.sign_out(request)
    response = _logout(request)
    if offer and request.method == "POST":
        request.session[signin.SIGN_OUT_OFFER] = offer
    return response


@sensitive_post_parameters()
@never_cache
def mfa_verify(request):
    pending = signin.pending_sign_in(request)
    if pending is None:
        return redirect("login")
    form = forms.MFACodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.verify_sign_in_code(user=pending.user, code=form.cleaned_data["code"]):
            return signin.finish(
                request, pending.user, backend=pending.backend, next_url=pending.next_url, mfa_used=True
            )
        form.add_error("code", "That code is not right or was already used. Wait for the next one and try again.")
    return render(request, "identities/mfa_verify.html", {"form": form, "user_name": pending.user.username})


@login_required
def account_detail(request):
    context = {
        "password_expires_at": PasswordPolicy.current().expires_at(request.user),
        "device": mfa.confirmed_device(request.user),
        "may_change_password": signin.may_change_own_password(request.user),
    }
    return render(request, "identities/account_detail.html", context)


@sensitive_post_parameters()
@login_required
def password_change(request):
    user = request.user
    if not signin.may_change_own_password(user):
        raise PermissionDenied("Your policies do not let you change your password; ask an administrator.")
    form = forms.PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_password(user=user, password=form.cleaned_data["new_password"], actor=user)
        except ValidationError as error:
            form.add_error("new_password", error)
        else:
            update_session_auth_hash(request, user)  # this session stays; the user's others end
            services.end_console_sessions(user=user, actor=user, keep=signin.console_session_id(request))
            request.session.pop(signin.PASSWORD_EXPIRED, None)
            messages.success(request, "Your password was changed. Your other sessions were signed out.")
            return redirect("identities:account")
    context = {"form": form, "policy": PasswordPolicy.current(), "required": signin.required_step(request)}
    return render(request, "identities/password_change.html", context)


@login_required
def mfa_enrol(request):
    user, device = request.user, mfa.pending_device(request.user)
    form = forms.MFACodeForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            rules.perform(user, services.enable_mfa_device, device=device, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            request.session.pop(signin.MFA_ENROLMENT_REQUIRED, None)
            messages.success(request, "Your MFA device is enabled. You will be asked for a code at each sign-in.")
            return redirect("identities:mfa-enrol")
    context = mfa.page_context(user, device, form)
    context["may_create"] = context["device"] is None and rules.allows(
        user, services.create_virtual_mfa_device, user=user
    )
    context["may_remove"] = context["device"] is not None and rules.allows(user, services.remove_mfa_device, user=user)
    return render(request, "identities/mfa_enrol.html", context)


@require_POST
@login_required
def mfa_create(request):
    user = request.user
    try:
        rules.perform(user, services.create_virtual_mfa_device, user=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("identities:mfa-enrol")


@require_POST
@login_required
def mfa_remove(request):
    user = request.user
    if not rules.allows(user, services.remove_mfa_device, user=user):
        raise PermissionDenied("Removing your MFA device needs a session signed in with MFA.")
    try:
        rules.perform(user, services.remove_mfa_device, user=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Your MFA device was removed.")
    return redirect("identities:mfa-enrol")
