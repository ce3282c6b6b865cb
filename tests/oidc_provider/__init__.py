"""panva's oidc-provider (provider.mjs beside this file) as a peer the tests talk to over HTTP.

`running_provider(clients)` starts it on a free 127.0.0.1 port and stops it after;
`OpenIDProvider` sets its accounts and walks its login page as a browser would, so a test can
sign in through the console, or get an ID token for any client it registered
(`id_token_for`), which is what a workload presents. The tests also hold the provider's
signing key (`signing_key`): they generate it, so that they can sign tokens the provider
would never issue (another issuer, audience or nonce, an expired one) and check that the
console verifies the claims, not only the signature.
"""

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
from base64 import urlsafe_b64encode
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import requests
from joserfc.jwk import RSAKey

HERE = Path(__file__).resolve().parent


class ProviderUnavailable(RuntimeError):
    pass


def install() -> None:
    """`npm ci` once, when node_modules is missing (.ci/run installs it beforehand)."""
    if (HERE / "node_modules" / "oidc-provider").is_dir():
        return
    if shutil.which("npm") is None:
        raise ProviderUnavailable("npm is not installed: the OpenID provider of the tests needs Node and npm")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=300)


def client(client_id: str, redirect_uris: list[str], **metadata) -> dict:
    """A confidential client of the code flow, with a secret, as oidc-provider takes it."""
    return {
        "client_id": client_id,
        "client_secret": metadata.pop("client_secret", secrets.token_urlsafe(24)),
        "redirect_uris": redirect_uris,
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        **metadata,
    }


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = urlsafe_b64encode(sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class OpenIDProvider:
    issuer: str
    clients: dict[str, dict]
    signing_key: RSAKey
    http: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        return urljoin(self.issuer + "/", path.lstrip("/"))

    def set_account(self, sub: str, *, amr=None, acr=None, auth_time=None, **claims) -> None:
        """The account `sub` signs in as, and what its ID tokens will say."""
        body = {"claims": claims, "amr": amr, "acr": acr, "auth_time": auth_time}
        response = self.http.put(self.url(f"/control/accounts/{sub}"), json=body, timeout=10)
        response.raise_for_status()

    def replace_next_id_token(self, id_token: str) -> None:
        """The next token response carries `id_token` instead of the provider's own."""
        response = self.http.post(self.url("/control/next-id-token"), json={"id_token": id_token}, timeout=10)
        response.raise_for_status()

    def sign_in(self, authorize_url: str, sub: str, browser: requests.Session | None = None) -> str:
        """Follow an authorization request through the login page as `sub`; the URL the
        provider sends the browser back to (the client's redirect URI, with code and state)."""
        browser = browser or requests.Session()
        response = browser.get(authorize_url, allow_redirects=False, timeout=10)
        while response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if not location.startswith(self.issuer):
                return location
            if urlparse(location).path.startswith("/interaction/"):
                response = browser.post(location + "/login", data={"login": sub}, allow_redirects=False, timeout=10)
            else:
                response = browser.get(location, allow_redirects=False, timeout=10)
        raise AssertionError(f"the provider did not send the browser back ({response.status_code}): {response.text}")

    def id_token_for(self, client_id: str, sub: str, scope: str = "openid") -> str:
        """An ID token of `sub` for `client_id`, through the code flow a client runs."""
        registered = self.clients[client_id]
        verifier, challenge = _pkce()
        query = {
            "client_id": client_id,
            "response_type": "code",
            "scope": scope,
            "redirect_uri": registered["redirect_uris"][0],
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        back = self.sign_in(self.url("/auth") + "?" + urlencode(query), sub)
        code = parse_qs(urlparse(back).query)["code"][0]
        response = self.http.post(
            self.url("/token"),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": query["redirect_uri"],
                "code_verifier": verifier,
            },
            auth=(client_id, registered["client_secret"]),
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["id_token"]

    def end_session(self, browser: requests.Session) -> None:
        """Sign `browser` out at the provider (RP-initiated logout, confirmed on its page), which
        sends each client with a back-channel logout URI its logout token."""
        page = browser.get(self.url("/session/end"), timeout=10)
        page.raise_for_status()
        xsrf = page.text.split('name="xsrf" value="', 1)[1].split('"', 1)[0]
        confirmed = browser.post(self.url("/session/end/confirm"), data={"xsrf": xsrf, "logout": "yes"}, timeout=10)
        confirmed.raise_for_status()


@contextlib.contextmanager
def running_provider(clients: list[dict]):
    """oidc-provider with these clients on a free 127.0.0.1 port, stopped on exit."""
    install()
    key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256", "kid": secrets.token_hex(8)})
    config = {
        "clients": clients,
        "jwks": {"keys": [key.as_dict(private=True)]},
        "cookie_keys": [secrets.token_urlsafe(32)],
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.json"
        path.write_text(json.dumps(config))
        log = Path(folder) / "provider.log"
        with log.open("w") as errors:
            process = subprocess.Popen(
                ["node", str(HERE / "provider.mjs"), str(path)],
                cwd=HERE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env={**os.environ, "NODE_ENV": "test"},
            )
        try:
            line = process.stdout.readline()
            if not line:
                process.wait(timeout=10)
                raise ProviderUnavailable(f"the OpenID provider did not start: {log.read_text()}")
            issuer = json.loads(line)["issuer"]
            yield OpenIDProvider(issuer, {each["client_id"]: each for each in clients}, key)
        finally:
            if os.environ.get("IAM_OIDC_PROVIDER_LOG"):
                print(log.read_text())
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
