"""Sign-in through the OpenID provider: the redirect to it, its answer, the first
sign-in's password binding, and its back-channel logout."""

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import OAuthError
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from joserfc.errors import JoseError

from federation import logout, provider, signin
from identities import forms, throttle
from identities import signin as identity_signin

logger = logging.getLogger(__name__)

# What goes wrong between the console and the provider, or in what it sends: each refuses
# the sign-in with a message, never a 5xx.
PROTOCOL_ERRORS = (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError, TypeError)
NEXT = "iam_federated_next"
# Authlib names a token for another client by azp when its aud does not hold this one.
CLAIM_WORDS = {"iss": "issuer (iss)", "aud": "audience (aud)", "azp": "audience (aud)", "nonce": "nonce"}


def _provider() -> provider.ProviderSettings:
    found = provider.configured()
    if found is None:
        raise Http404("Sign-in through an identity provider is not set up.")
    return found


def _refused(request, configured: provider.ProviderSettings, reason: str):
    messages.error(request, f"The sign-in through {configured.name} was refused: {reason}")
    return redirect("login")


@require_GET
@never_cache
def sign_in_start(request):
    configured = _provider()
    request.session[NEXT] = identity_signin.next_url(request)
    try:
        provider.metadata(configured)
        callback = request.build_absolute_uri(reverse("federation:callback"))
        return provider.client(configured).authorize_redirect(request, callback)
    except PROTOCOL_ERRORS as error:
        logger.warning("The OpenID provider could not be reached: %s", error)
        return _refused(request, configured, "the provider could not be reached. Try again later.")


def _verified_claims(request, configured: provider.ProviderSettings) -> dict:
    """The ID token's claims, once Authlib checked state, nonce, signature, issuer,
    audience and expiry; a signin.Refused otherwise."""
    try:
        metadata = provider.metadata(configured)
        token = provider.client(configured).authorize_access_token(
            request,
            claims_options={"iss": {"essential": True, "values": [metadata["issuer"]]}},
            leeway=provider.CLOCK_LEEWAY,
        )
    except PROTOCOL_ERRORS as error:
        logger.info("A federated sign-in was refused: %r", error)
        raise signin.refuse(_described(error)) from None
    claims = token.get("userinfo")
    if not claims:
        raise signin.refuse("the provider sent no ID token.")
    return dict(claims)


def _described(error: Exception) -> str:
    name = type(error).__name__
    if name == "MismatchingStateError" or "state" in str(error).lower():
        return "the answer does not belong to a sign-in started here (its state does not match). Start again."
    if name == "BadSignatureError":
        return "the ID token's signature is not the provider's."
    if name == "ExpiredTokenError":
        return "the ID token has expired."
    if name in ("InvalidClaimError", "MissingClaimError"):
        claim = getattr(error, "claim_name", None) or getattr(error, "claim", None) or ""
        return f"the ID token's {CLAIM_WORDS.get(claim, f'{claim} claim')} is not right."
    if isinstance(error, OAuthError) and error.error and name == "OAuthError":
        # The provider's own refusal (access_denied, login_required, ...), RFC 6749 4.1.2.1.
        return f"the provider answered {error.error}."
    if isinstance(error, requests.RequestException):
        return "the provider could not be reached. Try again later."
    return "the provider's answer could not be verified."


@require_GET
@never_cache
def sign_in_callback(request):
    configured = _provider()
    next_url = request.session.pop(NEXT, None) or identity_signin.next_url(request)
    try:
        identity = signin.identity_of(configured, _verified_claims(request, configured))
        user = signin.user_of(configured, identity)
    except signin.Refused as refused:
        return _refused(request, configured, str(refused))
    end_session = logout.end_session_url(configured)
    if user is None:
        request.session[signin.PENDING] = identity.as_session() | {"next": next_url, "end_session": end_session}
        return redirect("federation:bind")
    return signin.finish(request, configured, user, identity, next_url, end_session)


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@never_cache
def sign_in_bind(request):
    """A first sign-in for a name a local user has: that user's password binds them."""
    configured = _provider()
    pending = signin.pending_identity(request)
    if pending is None:
        return redirect("login")
    form = forms.SignInForm(request, data=request.POST or None, initial={"username": pending.username})
    if request.method == "POST":
        user_name = identity_signin.lockout_user_name(request)
        wait = throttle.wait_before_attempt(request, user_name=user_name)
        if wait is not None:
            return _refused(request, configured, "too many attempts. Wait a while and try again.")
        if form.is_valid():
            saved = request.session.pop(signin.PENDING)
            try:
                signin.bind_by_password(form.get_user(), pending)
            except signin.Refused as refused:
                return _refused(request, configured, str(refused))
            return signin.finish(request, configured, form.get_user(), pending, saved["next"], saved["end_session"])
        if not getattr(request, "axes_locked_out", False):
            throttle.note_failure(request, user_name=user_name)
    context = {"form": form, "provider_name": configured.name, "identity_name": pending.username}
    return render(request, "federation/sign_in_bind.html", context)


@csrf_exempt
@require_POST
def backchannel_logout(request):
    """OpenID Connect Back-Channel Logout 1.0: the provider posts a logout token; its
    console sessions end. 200 when done, 400 for a token that is not right (section 2.8)."""
    configured = provider.configured()
    if configured is None:
        return HttpResponse(status=404)
    try:
        claims = logout.verified_logout_token(configured, request.POST.get("logout_token", ""))
    except logout.InvalidLogoutToken as error:
        logger.info("A back-channel logout was refused: %s", error)
        return HttpResponse(str(error), status=400, content_type="text/plain")
    logout.end_sessions(configured, claims)
    response = HttpResponse(status=200)
    response["Cache-Control"] = "no-store"
    return response
