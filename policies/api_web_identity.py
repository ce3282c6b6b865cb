"""POST /api/v1/assume-role-with-web-identity: an ID token of a registered OpenID provider
traded for a role session, as STS's AssumeRoleWithWebIdentity does.

Unauthenticated, as STS's is: the token is the credential. It is checked first
(identities.webidentity: a registered issuer before any key is fetched, then its
signature, times and audience), then the role's trust policy decides at the one door
(`authorization.assume_role_with_web_identity`) with the provider's ARN as the
principal. A refused token is counted as refusals without credentials are, never
recorded one by one; a success is audited with the token's claims.
"""

from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

from identities import audit, machine, ratelimit, webidentity
from identities import services as identity_services
from identities.context import source_ip
from policies import authorization
from policies.api import (
    APIError,
    check_request,
    credentials_json,
    error_response,
    json_body,
    rate_limited,
    request_keys,
    role_at,
    session_policy,
)
from policies.engine import Outcome

ACTION = "sts:AssumeRoleWithWebIdentity"


@machine.machine_endpoint(rate_limited=rate_limited)
def assume_role_with_web_identity(request):
    try:
        check_request(request, ("POST",))
        return _exchange(request, json_body(request))
    except webidentity.TokenRefused as refusal:
        # 400 as STS answers; counted here, as the middleware counts 401s without a caller.
        audit.count_refusal(reason=refusal.code, network=ratelimit.network_of(source_ip(request)))
        return error_response(400, refusal.code, refusal.message)
    except APIError as error:
        return error_response(error.status, error.code, error.message, error.headers)
    except (OperationalError, InterfaceError):
        return error_response(503, "ServiceUnavailable", "The database cannot be reached; try again.")


def _exchange(request, data: dict) -> JsonResponse:
    session_name, duration = _parameters(data)
    policy = session_policy(data)
    identity = webidentity.verified_identity(data.get("WebIdentityToken"))
    role_arn = data.get("RoleArn")
    role = role_at(role_arn, ACTION)
    context = {**request_keys(), **identity.condition_keys()}
    decision = authorization.assume_role_with_web_identity(identity.provider.arn, role, context=context)
    if decision.outcome is not Outcome.ALLOW:
        who = f"{identity.provider.arn} (sub {identity.subject!r})"
        message = f"{who} is not authorized to perform {ACTION} on {role_arn}."
        raise APIError(403, "AccessDenied", message)
    try:
        session, secret, token = identity_services.start_web_identity_session(
            role=role,
            provider=identity.provider,
            claims=identity.audited_claims(),
            session_name=session_name,
            duration=duration,
            session_policy=policy,
        )
    except ValidationError as error:
        raise APIError(400, "ValidationError", " ".join(error.messages)) from None
    answer = credentials_json(session, secret, token)
    answer |= {
        "SubjectFromWebIdentityToken": identity.subject,
        "Provider": identity.provider.arn,
        "Audience": identity.audience,
    }
    return JsonResponse(answer)


def _parameters(data: dict) -> tuple[str, int]:
    for name in ("RoleArn", "WebIdentityToken", "RoleSessionName"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise APIError(400, "MissingParameter", f"{name} is required (text).")
    duration = data.get("DurationSeconds", 3600)
    if not isinstance(duration, int) or isinstance(duration, bool):
        raise APIError(400, "ValidationError", "DurationSeconds is a whole number of seconds.")
    return data["RoleSessionName"], duration
