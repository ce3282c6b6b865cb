"""Requests signed by botocore's own SigV4 signer, sent through Django's test client (the fast
protocol tests and the entry-point matrix; tests/aws/test_story.py uses boto3 itself)."""

from datetime import UTC, datetime
from urllib.parse import urlencode

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

VERSIONS = {"iam": "2010-05-08", "sts": "2011-06-15"}
HOST = "testserver"


def signed_request(service, params, key_id, secret, token=None, *, region="us-east-1", at=None) -> AWSRequest:
    body = urlencode({"Version": VERSIONS[service], **params})
    request = AWSRequest(
        method="POST",
        url=f"http://{HOST}/aws/",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Host": HOST},
    )
    signer = SigV4Auth(Credentials(key_id, secret, token), service, region)
    if at is not None:
        _sign_at(signer, request, at)
    else:
        signer.add_auth(request)
    return request


def _sign_at(signer, request, at: datetime) -> None:
    """add_auth as a client whose clock reads `at` would sign (a request dated then)."""
    import botocore.auth

    real = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda *args, **kwargs: at.replace(tzinfo=None)
    try:
        signer.add_auth(request)
    finally:
        botocore.auth.get_current_datetime = real


def presigned_url(service, params, key_id, secret, *, expires=60, at=None) -> str:
    query = urlencode({"Version": VERSIONS[service], **params})
    request = AWSRequest(method="GET", url=f"http://{HOST}/aws/?{query}", headers={"Host": HOST})
    signer = SigV4QueryAuth(Credentials(key_id, secret), service, "us-east-1", expires=expires)
    if at is not None:
        _sign_at(signer, request, at)
    else:
        signer.add_auth(request)
    return request.url


def send(client, request: AWSRequest):
    """The signed request through Django's test client, its signed headers as signed."""
    headers = {name: value for name, value in request.headers.items() if name.lower() != "content-type"}
    return client.generic(
        request.method,
        "/aws/",
        request.body,
        content_type=request.headers.get("Content-Type", ""),
        headers=headers,
    )


def call(client, service, action, params, key_id, secret, token=None, **options):
    return send(client, signed_request(service, {"Action": action, **params}, key_id, secret, token, **options))


def now() -> datetime:
    return datetime.now(UTC)
