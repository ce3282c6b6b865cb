"""/aws/: the IAM and STS Query APIs, authenticated by SigV4 alone (docs/aws-api.md).

A machine endpoint (identities.machine, interface "aws"): no cookie is read or set; the
signature names the caller, whom `bind_caller` makes `request.user`; every action is
authorized and made through the same rule table and services as the console.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import QueryDict

from identities import audit, machine
from identities import services as identity_services
from identities.credentials import signer_for
from identities.middleware import is_lock_conflict
from policies import api
from policies.aws import actions, sigv4
from policies.aws.protocol import VERSIONS, AWSError, error

INTERFACE = "aws"


def _throttled(refusal: machine.RateLimited):
    return error("iam", "Throttling", str(refusal), {"Retry-After": str(refusal.retry_after)})


@machine.machine_endpoint(rate_limited=_throttled, interface=INTERFACE)
def endpoint(request):
    service = "iam"
    try:
        if request.method not in ("GET", "POST"):
            raise AWSError("InvalidAction", "The Query API is called with POST, or GET for a presigned URL.")
        if not (request.is_secure() or settings.PLAIN_HTTP or settings.DEBUG):
            raise AWSError("AccessDenied", "Signed requests are accepted over HTTPS only.")
        signed = sigv4.read(request)
        service = signed.service
        params = _parameters(request)
        _authenticate(request, signed)
        action = params.get("Action")
        if not action:
            raise AWSError("MissingAction", "The request must name an Action.")
        handler = actions.TABLE.get((service, action))
        if handler is None:
            raise AWSError("InvalidAction", f"{service} action {action[:64]} is not supported here.")
        if params.get("Version") != VERSIONS[service]:
            raise AWSError("InvalidAction", f"{service} is called with Version {VERSIONS[service]}.")
        return handler(request, service, action, params)
    except sigv4.SignatureError as refusal:
        return error(service, refusal.code, refusal.message)
    except AWSError as refusal:
        return error(service, refusal.code, refusal.message)
    except api.APIError as refusal:
        code = refusal.code if refusal.code in actions.KNOWN_CODES else "ValidationError"
        return error(service, code, refusal.message)
    except machine.RateLimited as refusal:
        return _throttled(refusal)
    except (OperationalError, InterfaceError) as failure:
        if is_lock_conflict(failure):
            return error(service, "ConcurrentModification", "Another change was being made at once; try again.")
        return error(service, "ServiceUnavailable", "The database cannot be reached; try again.")


def _parameters(request) -> QueryDict:
    try:
        body = request.body
    except RequestDataTooBig:
        raise AWSError("InvalidInput", "The request body is too large.") from None
    if request.method == "GET":
        return request.GET
    if not request.content_type == "application/x-www-form-urlencoded":
        raise AWSError("InvalidInput", "Send the parameters form-encoded (application/x-www-form-urlencoded).")
    try:
        return QueryDict(body, encoding="utf-8")
    except (UnicodeDecodeError, ValueError):
        raise AWSError("InvalidInput", "The parameters are not form-encoded UTF-8.") from None


def _authenticate(request, signed: sigv4.Signed) -> None:
    signer = signer_for(signed.key_id, signed.token)
    if signer.refusal == "InvalidClientTokenId":
        sigv4.verify(request, signed, signer.secret)  # the same work as for a known key
        raise AWSError("InvalidClientTokenId", "The security token included in the request is invalid.")
    if not sigv4.verify(request, signed, signer.secret):
        if signer.key is not None:
            audit.count_key_failure(key_pk=signer.key.pk)
        raise AWSError(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
    if signer.refusal:
        raise AWSError(signer.refusal, "The security token included in the request is expired.")
    caller = signer.caller
    credential = caller.access_key or caller.session
    mfa_present = None if caller.access_key is not None else False
    machine.bind_caller(
        request, caller.user, credential_id=credential.key_id, role_session=caller.session, mfa_present=mfa_present
    )
    request.api_caller = caller
    if caller.access_key is not None:
        identity_services.note_key_use(key=caller.access_key, service=signed.service)
