"""POST /api/v1/assume-role-with-web-identity against a real OpenID provider's key server.

The provider here is an http.server on 127.0.0.1 serving a discovery document and a JWKS
of a key made with joserfc, and counting the requests it gets; tokens are minted with
joserfc, so each refusal can be made on purpose. A real OpenID provider's tokens are
exchanged in tests/federation/test_web_identity_with_provider.py.
"""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.db.models import Sum
from django.test import Client
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from identities import machine, webidentity
from identities import services as identity_services
from identities.audit import AnonymousRefusalCount, AuditEvent
from identities.credentials import RoleSession
from policies import services
from tests.documents import allow
from tests.ratelimit_helpers import FakeClock

pytestmark = pytest.mark.django_db

URL = "/api/v1/assume-role-with-web-identity"
AUDIENCE = "deploy-pipeline"
MAIN = "repo:acme/shop:ref:refs/heads/main"


class KeyServer:
    """An OpenID provider's discovery document and keys over real HTTP, counting requests."""

    def __init__(self):
        self.key = ECKey.generate_key("P-256", parameters={"kid": "key-1", "alg": "ES256"})
        self.requests: list[str] = []
        # What the discovery document says, when a test changes it: its issuer, its jwks_uri.
        self.discovery: dict = {}
        # path -> URL: answer that path with a redirect there.
        self.redirects: dict[str, str] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                server.requests.append(self.path)
                if self.path in server.redirects:
                    self.send_response(302)
                    self.send_header("Location", server.redirects[self.path])
                    self.end_headers()
                    return
                discovery = {"issuer": server.issuer, "jwks_uri": f"{server.issuer}/jwks"} | server.discovery
                documents = {
                    "/.well-known/openid-configuration": discovery,
                    "/jwks": {"keys": [server.key.as_dict(private=False)]},
                    "/moved/jwks": {"keys": [server.key.as_dict(private=False)]},
                }
                body = json.dumps(documents.get(self.path, {})).encode()
                self.send_response(200 if self.path in documents else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def token(self, key=None, kid="key-1", **claims) -> str:
        now = int(time.time())
        payload = {"iss": self.issuer, "sub": MAIN, "aud": AUDIENCE, "iat": now, "exp": now + 300, **claims}
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode({"alg": "ES256", "kid": kid}, payload, key or self.key)

    def key_fetches(self) -> int:
        return self.requests.count("/jwks")

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def key_server(settings):
    settings.IAM_WEB_IDENTITY_ALLOW_HTTP_LOOPBACK = True
    cache.clear()
    webidentity.forget_keys()
    server = KeyServer()
    yield server
    server.stop()
    cache.clear()
    webidentity.forget_keys()


@pytest.fixture
def provider(key_server):
    return identity_services.create_oidc_provider(url=key_server.issuer, client_ids=[AUDIENCE], actor=None)


@pytest.fixture
def deployer(provider):
    """A role that trusts the provider's tokens for the main branch of acme/shop only."""
    name = provider.name
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider.arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{name}:aud": AUDIENCE, f"{name}:sub": MAIN}},
            }
        ],
    }
    role = identity_services.create_role(role_name="Deployer", trust_policy=trust, actor=None)
    services.put_inline_policy(identity=role, policy_name="Ship", document=allow("storage:PutObject"), actor=None)
    return role


def exchange(token, role, **fields):
    body = {"RoleArn": role.arn, "WebIdentityToken": token, "RoleSessionName": "build-7", **fields}
    return Client().post(URL, json.dumps(body), content_type="application/json")


def error_code(response) -> str:
    return response.json()["error"]["code"]


def refusals(reason: str) -> int:
    return AnonymousRefusalCount.objects.filter(reason=reason).aggregate(total=Sum("count"))["total"] or 0


def test_a_token_for_the_named_sub_assumes_the_role_and_its_credentials_work(key_server, provider, deployer):
    response = exchange(key_server.token(jti="run-42"), deployer)
    assert response.status_code == 200
    body = response.json()
    session_arn = "arn:aws:sts::123456789012:assumed-role/Deployer/build-7"
    assert body["AssumedRoleUser"]["Arn"] == session_arn
    assert (body["SubjectFromWebIdentityToken"], body["Provider"], body["Audience"]) == (MAIN, provider.arn, AUDIENCE)
    session = RoleSession.objects.get()
    assert (session.user, session.provider, session.subject, session.source) == (None, provider, MAIN, "web_identity")

    request = {"principal": session_arn, "action": "storage:PutObject", "resource": "arn:aws:s3:::shop/app.tar"}
    api = Client(HTTP_AUTHORIZATION=body["Authorization"])
    answer = api.post("/api/v1/authorize", json.dumps(request), content_type="application/json")
    assert (answer.status_code, answer.json()["decision"]) == (200, "Allow")
    identity = api.get("/api/v1/caller-identity").json()
    assert identity["Arn"] == session_arn


def test_the_exchange_is_audited_with_the_claims_and_never_the_token(key_server, provider, deployer):
    token = key_server.token(jti="run-42")
    exchange(token, deployer)
    event = AuditEvent.objects.get(event_name="AssumeRoleWithWebIdentity")
    assert event.actor_arn == provider.arn
    assert event.target_arn == deployer.arn
    assert event.after["claims"] == {"iss": key_server.issuer, "sub": MAIN, "aud": AUDIENCE, "jti": "run-42"}
    assert token not in json.dumps(event.after)


def test_a_token_for_another_sub_is_refused_by_the_trust_policy(key_server, provider, deployer):
    response = exchange(key_server.token(sub="repo:acme/shop:pull_request"), deployer)
    assert (response.status_code, error_code(response)) == (403, "AccessDenied")
    assert "sts:AssumeRoleWithWebIdentity" in response.json()["error"]["message"]
    assert not RoleSession.objects.exists()
    assert refusals("AccessDenied") == 1


def test_a_token_signed_with_a_key_the_provider_does_not_publish_is_refused(key_server, provider, deployer):
    forger = ECKey.generate_key("P-256", parameters={"kid": "key-1"})
    response = exchange(key_server.token(key=forger), deployer)
    assert (response.status_code, error_code(response)) == (400, "InvalidIdentityToken")
    assert "signature" in response.json()["error"]["message"]
    assert not RoleSession.objects.exists()
    assert refusals("InvalidIdentityToken") == 1


def test_an_unregistered_issuer_is_refused_before_any_key_is_fetched(key_server, provider, deployer):
    response = exchange(key_server.token(iss=f"{key_server.issuer}/elsewhere"), deployer)
    assert (response.status_code, error_code(response)) == (400, "InvalidIdentityToken")
    assert "No OpenID Connect provider is registered" in response.json()["error"]["message"]
    assert key_server.requests == []


def test_a_token_for_another_audience_is_refused(key_server, provider, deployer):
    response = exchange(key_server.token(aud="someone-else"), deployer)
    assert (response.status_code, error_code(response)) == (400, "InvalidIdentityToken")
    assert "audience" in response.json()["error"]["message"]


def test_an_audience_list_naming_a_client_id_is_accepted(key_server, provider, deployer):
    response = exchange(key_server.token(aud=["someone-else", AUDIENCE]), deployer)
    assert (response.status_code, response.json()["Audience"]) == (200, AUDIENCE)


def test_an_expired_token_is_refused(key_server, provider, deployer):
    past = int(time.time()) - 3600
    response = exchange(key_server.token(iat=past - 300, exp=past), deployer)
    assert (response.status_code, error_code(response)) == (400, "ExpiredTokenException")


def test_a_token_not_valid_yet_is_refused(key_server, provider, deployer):
    response = exchange(key_server.token(nbf=int(time.time()) + 3600), deployer)
    assert (response.status_code, error_code(response)) == (400, "InvalidIdentityToken")


def test_a_token_without_exp_is_refused(key_server, provider, deployer):
    response = exchange(key_server.token(exp=None), deployer)
    assert (response.status_code, error_code(response)) == (400, "InvalidIdentityToken")


def test_an_unknown_kid_twice_within_a_minute_fetches_the_keys_once(key_server, provider, deployer):
    stranger = ECKey.generate_key("P-256", parameters={"kid": "key-9"})
    first = exchange(key_server.token(key=stranger, kid="key-9"), deployer)
    second = exchange(key_server.token(key=stranger, kid="key-9"), deployer)
    assert [error_code(first), error_code(second)] == ["InvalidIdentityToken", "InvalidIdentityToken"]
    assert "kid" in second.json()["error"]["message"]
    assert key_server.key_fetches() == 1


def test_known_keys_are_kept_between_exchanges(key_server, provider, deployer):
    assert exchange(key_server.token(), deployer).status_code == 200
    assert exchange(key_server.token(), deployer).status_code == 200
    assert key_server.key_fetches() == 1


def test_an_unreachable_provider_is_a_clear_refusal(key_server, deployer):
    key_server.stop()
    response = exchange(key_server.token(), deployer)
    assert (response.status_code, error_code(response)) == (400, "IDPCommunicationError")
    assert refusals("IDPCommunicationError") == 1


@pytest.mark.parametrize(
    "token", ["", "abc", "not.a.jwt", "e30.e30.", "eyJhbGciOiJub25lIn0.eyJpc3MiOjF9.", "x" * 20001, 42]
)
def test_a_malformed_token_is_refused_without_a_fetch(key_server, provider, deployer, token):
    response = exchange(token, deployer)
    assert response.status_code == 400
    assert error_code(response) in ("InvalidIdentityToken", "MissingParameter")
    assert key_server.requests == []


def test_an_unknown_role_is_refused_like_a_forbidden_one(key_server, provider, deployer):
    response = exchange(key_server.token(), deployer, RoleArn="arn:aws:iam::123456789012:role/Nobody")
    assert (response.status_code, error_code(response)) == (403, "AccessDenied")


def test_a_duration_past_the_roles_maximum_is_refused_and_changes_nothing(key_server, provider, deployer):
    response = exchange(key_server.token(), deployer, DurationSeconds=7200)
    assert (response.status_code, error_code(response)) == (400, "ValidationError")
    assert not RoleSession.objects.exists()


def test_get_is_not_allowed(key_server):
    response = Client().get(URL)
    assert (response.status_code, error_code(response)) == (405, "MethodNotAllowed")


def test_a_provider_deleted_ends_its_sessions(key_server, provider, deployer):
    body = exchange(key_server.token(), deployer).json()
    identity_services.delete_oidc_provider(provider=provider, actor=None)
    api = Client(HTTP_AUTHORIZATION=body["Authorization"])
    assert api.get("/api/v1/caller-identity").status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/access-requests"), ("post", "/api/v1/preview-change"), ("get", "/api/v1/access-expectations")],
)
def test_a_web_identity_session_may_not_call_a_persons_apis(key_server, provider, deployer, method, path):
    body = exchange(key_server.token(), deployer).json()
    api = Client(HTTP_AUTHORIZATION=body["Authorization"])
    response = getattr(api, method)(path, content_type="application/json")
    assert (response.status_code, error_code(response)) == (403, "AccessDenied")
    assert "web identity" in response.json()["error"]["message"]


def test_a_web_identity_session_may_assume_another_role_its_trust_names(key_server, provider, deployer):
    body = exchange(key_server.token(), deployer).json()
    session_arn = body["AssumedRoleUser"]["Arn"]
    trusting_the_session = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": deployer.arn}, "Action": "sts:AssumeRole"}],
    }
    identity_services.create_role(role_name="Publisher", trust_policy=trusting_the_session, actor=None)
    services.put_inline_policy(identity=deployer, policy_name="Hop", document=allow("sts:AssumeRole"), actor=None)
    api = Client(HTTP_AUTHORIZATION=body["Authorization"])
    request = {"RoleArn": "arn:aws:iam::123456789012:role/Publisher", "RoleSessionName": "hop"}
    response = api.post("/api/v1/assume-role", json.dumps(request), content_type="application/json")
    assert response.status_code == 200, session_arn
    chained = RoleSession.objects.get(session_name="hop")
    assert (chained.user, chained.provider, chained.subject) == (None, provider, MAIN)


def test_the_endpoint_is_rate_limited_per_address(key_server, deployer, settings, monkeypatch):
    monkeypatch.setattr(machine.limits, "clock", FakeClock())
    machine.limits.clear()
    settings.IAM_API_RATE_PER_ADDRESS, settings.IAM_API_BURST_PER_ADDRESS = 1, 2
    answers = [exchange("x.y.z", deployer) for _ in range(3)]
    machine.limits.clear()
    assert [answer.status_code for answer in answers] == [400, 400, 429]
    assert error_code(answers[-1]) == "RateLimited"


def test_a_token_signed_with_hs256_and_the_public_key_as_secret_is_refused(key_server, provider, deployer):
    # The algorithm-confusion attack: the published key's bytes used as an HMAC secret.
    public = json.dumps(key_server.key.as_dict(private=False)).encode()
    now = int(time.time())
    claims = {"iss": key_server.issuer, "sub": MAIN, "aud": AUDIENCE, "iat": now, "exp": now + 300}
    token = jwt.encode({"alg": "HS256", "kid": "key-1"}, claims, OctKey.import_key(public))
    response = exchange(token, deployer)
    assert (response.status_code, error_code(response)) == (400, "InvalidIdentityToken")
    assert not RoleSession.objects.exists()


def test_an_unsigned_token_is_refused(key_server, provider, deployer):
    now = int(time.time())
    claims = {"iss": key_server.issuer, "sub": MAIN, "aud": AUDIENCE, "iat": now, "exp": now + 300}
    header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"key-1"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = exchange(f"{header}.{payload}.", deployer)
    assert (response.status_code, error_code(response)) == (400, "InvalidIdentityToken")
    assert not RoleSession.objects.exists()


def test_a_discovery_document_naming_another_issuer_is_refused(key_server, provider, deployer):
    key_server.discovery = {"issuer": "https://elsewhere.example.org"}
    response = exchange(key_server.token(), deployer)
    assert (response.status_code, error_code(response)) == (400, "IDPCommunicationError")
    assert key_server.key_fetches() == 0


def test_keys_redirected_to_another_host_are_not_followed(key_server, provider, deployer):
    # localhost and 127.0.0.1 are one machine but two hosts: the redirect leaves the provider's.
    key_server.redirects["/jwks"] = key_server.issuer.replace("127.0.0.1", "localhost") + "/moved/jwks"
    response = exchange(key_server.token(), deployer)
    assert (response.status_code, error_code(response)) == (400, "IDPCommunicationError")
    assert "/moved/jwks" not in key_server.requests


def test_keys_redirected_on_the_same_host_are_followed(key_server, provider, deployer):
    key_server.redirects["/jwks"] = f"{key_server.issuer}/moved/jwks"
    assert exchange(key_server.token(), deployer).status_code == 200
    assert "/moved/jwks" in key_server.requests


def test_without_a_working_cache_an_unknown_kid_still_fetches_once_a_minute(key_server, provider, deployer, settings):
    # A cache that keeps nothing and agrees to everything, as one that is down or evicting.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    stranger = ECKey.generate_key("P-256", parameters={"kid": "key-9"})
    answers = [exchange(key_server.token(key=stranger, kid="key-9"), deployer) for _ in range(3)]
    assert [error_code(answer) for answer in answers] == ["InvalidIdentityToken"] * 3
    assert exchange(key_server.token(), deployer).status_code == 200
    assert key_server.key_fetches() == 1
