"""Signature Version 4 verification of a Django request.

The expected signature is computed by botocore's own SigV4 signer over an AWSRequest
rebuilt from the Django request, with only the headers the client listed as signed, so
the canonical request is exactly the one the SDKs build; it is compared with the given
signature in constant time. Both forms are read: the Authorization header and the
presigned query (X-Amz-Algorithm, X-Amz-Credential, ..., X-Amz-Signature).
"""

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials
from django.conf import settings

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICES = ("iam", "sts")
CLOCK_SKEW = timedelta(minutes=15)
PRESIGNED_MAX = 7 * 24 * 3600
_AUTHORIZATION_RE = re.compile(
    r"AWS4-HMAC-SHA256 +Credential=(?P<credential>[^,\s]+), *SignedHeaders=(?P<headers>[a-z0-9;-]+),"
    r" *Signature=(?P<signature>[0-9a-f]{64})"
)
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


class SignatureError(Exception):
    """A refusal in AWS's terms: its error code and message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Signed:
    """What a request's signature claims, before it is checked."""

    key_id: str
    date: str  # X-Amz-Date, 20260101T000000Z
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    token: str | None
    presigned: bool
    query: tuple[tuple[str, str], ...]  # the query's parameters, X-Amz-Signature left out


def read(request) -> Signed:
    """The claimed signature of `request`, or a SignatureError (MissingAuthenticationToken,
    IncompleteSignature, SignatureDoesNotMatch for a date out of range)."""
    query = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    given = dict(query)
    header = request.headers.get("Authorization")
    if header is not None:
        match = _AUTHORIZATION_RE.fullmatch(header.strip())
        if match is None:
            raise SignatureError(
                "IncompleteSignature",
                "The Authorization header must be AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...",
            )
        credential, headers, signature = match["credential"], match["headers"], match["signature"]
        date, token, presigned = (
            request.headers.get("X-Amz-Date", ""),
            request.headers.get("X-Amz-Security-Token"),
            False,
        )
        if not date:
            raise SignatureError("IncompleteSignature", "A signed request needs the X-Amz-Date header.")
    elif "X-Amz-Signature" in given or "X-Amz-Credential" in given:
        missing = [
            name
            for name in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature")
            if not given.get(name)
        ]
        if (
            missing
            or given["X-Amz-Algorithm"] != ALGORITHM
            or not re.fullmatch(r"[0-9a-f]{64}", given["X-Amz-Signature"])
        ):
            raise SignatureError(
                "IncompleteSignature", "A presigned URL needs " + ", ".join(missing or ["AWS4-HMAC-SHA256"]) + "."
            )
        credential, headers, signature = (
            given["X-Amz-Credential"],
            given["X-Amz-SignedHeaders"],
            given["X-Amz-Signature"],
        )
        date, token, presigned = given["X-Amz-Date"], given.get("X-Amz-Security-Token"), True
        query = [(name, value) for name, value in query if name != "X-Amz-Signature"]
    else:
        raise SignatureError("MissingAuthenticationToken", "Request is missing Authentication Token")
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SignatureError(
            "IncompleteSignature", "The credential must be <key ID>/<date>/<region>/<service>/aws4_request."
        )
    key_id, scope_date, region, service, _ = parts
    signed_headers = tuple(headers.split(";"))
    if "host" not in signed_headers:
        raise SignatureError("IncompleteSignature", "The Host header must be signed.")
    moment = _moment(date)
    if scope_date != date[:8]:
        raise SignatureError("SignatureDoesNotMatch", "The credential's date must be the date of X-Amz-Date.")
    if service not in SERVICES:
        raise SignatureError(
            "SignatureDoesNotMatch", f"Credential should be scoped to a valid service: {', '.join(SERVICES)}."
        )
    if region not in settings.IAM_AWS_REGIONS:
        raise SignatureError(
            "SignatureDoesNotMatch",
            f"Credential should be scoped to a valid region: {', '.join(settings.IAM_AWS_REGIONS)}.",
        )
    now = datetime.now(UTC)
    if presigned:
        expires = given.get("X-Amz-Expires", "")
        if not expires.isdigit() or not 1 <= int(expires) <= PRESIGNED_MAX:
            raise SignatureError("IncompleteSignature", f"X-Amz-Expires must be 1 to {PRESIGNED_MAX} seconds.")
        if now > moment + timedelta(seconds=int(expires)) or moment - now > CLOCK_SKEW:
            raise SignatureError("SignatureDoesNotMatch", "Signature expired: the presigned URL is no longer valid.")
    elif abs(now - moment) > CLOCK_SKEW:
        raise SignatureError(
            "SignatureDoesNotMatch",
            f"Signature expired: {date} is now earlier or later than 15 minutes from {now.strftime(_DATE_FORMAT)}.",
        )
    return Signed(key_id, date, region, service, signed_headers, signature, token, presigned, tuple(query))


def _moment(date: str) -> datetime:
    try:
        return datetime.strptime(date, _DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise SignatureError("IncompleteSignature", "X-Amz-Date must be written 20260101T120000Z.") from None


class _Verifier(SigV4Auth):
    """botocore's signer, told which headers the client signed instead of choosing them."""

    def __init__(self, secret: str, signed: Signed, headers: HTTPHeaders):
        super().__init__(Credentials(signed.key_id, secret), signed.service, signed.region)
        self._given_headers = headers

    def headers_to_sign(self, request):
        return self._given_headers


def verify(request, signed: Signed, secret: str) -> bool:
    """Whether `signed.signature` is the signature of `request` under `secret`."""
    headers = HTTPHeaders()
    for name in signed.signed_headers:
        headers[name] = request.headers.get(name, "")
    # The body is hashed as sent: a client's X-Amz-Content-SHA256 is not trusted in its place.
    body = b"" if signed.presigned and request.method == "GET" else request.body
    rebuilt = AWSRequest(method=request.method, url="http://placeholder" + request.path, data=body)
    rebuilt.params = list(signed.query)
    rebuilt.context["timestamp"] = signed.date
    verifier = _Verifier(secret, signed, headers)
    expected = verifier.signature(verifier.string_to_sign(rebuilt, verifier.canonical_request(rebuilt)), rebuilt)
    return hmac.compare_digest(expected.encode(), signed.signature.encode())
