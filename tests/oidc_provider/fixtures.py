"""pytest fixtures of the OpenID provider, for any test folder's conftest to import:

    from tests.oidc_provider.fixtures import oidc_provider, oidc_settings  # noqa: F401

`oidc_provider` (session): the provider, with the console's client (`CONSOLE_CLIENT`, its
redirect URIs those of the test client and of the live server) and a workload's
(`WORKLOAD_CLIENT`, for tokens a workload presents: `oidc_provider.id_token_for(...)`).
`oidc_settings`: the console's settings pointed at it for one test.
"""

import pytest

from tests.oidc_provider import client, running_provider

CONSOLE_CLIENT = "iamconsole"
WORKLOAD_CLIENT = "ci-workload"
CALLBACK = "/sign-in/provider/callback/"
BACKCHANNEL_LOGOUT = "/sign-in/provider/backchannel-logout/"
MFA_VALUES = ["otp", "hwk", "mfa"]


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    console = client(
        CONSOLE_CLIENT,
        [f"http://testserver{CALLBACK}", f"{live_server.url}{CALLBACK}"],
        # 127.0.0.1, where the live server listens: Node may take localhost for ::1.
        backchannel_logout_uri=f"{live_server.url.replace('localhost', '127.0.0.1')}{BACKCHANNEL_LOGOUT}",
        backchannel_logout_session_required=True,
        post_logout_redirect_uris=[f"{live_server.url}/sign-in/"],
    )
    workload = client(WORKLOAD_CLIENT, ["http://127.0.0.1/unused"])
    with running_provider([console, workload]) as provider:
        yield provider


@pytest.fixture
def oidc_settings(settings, oidc_provider):
    settings.IAM_OIDC_ISSUER = oidc_provider.issuer
    settings.IAM_OIDC_CLIENT_ID = CONSOLE_CLIENT
    settings.IAM_OIDC_CLIENT_SECRET = oidc_provider.clients[CONSOLE_CLIENT]["client_secret"]
    settings.IAM_OIDC_PROVIDER_NAME = "Test provider"
    settings.IAM_OIDC_SCOPES = "openid profile email groups"
    settings.IAM_OIDC_MFA_VALUES = MFA_VALUES
    return settings
