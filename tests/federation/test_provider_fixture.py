"""The provider's fixture gives any client it registered a real ID token (what a workload
presents to AssumeRoleWithWebIdentity), signed with the keys it publishes."""

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.oidc_provider.fixtures import WORKLOAD_CLIENT

pytestmark = pytest.mark.interop


def test_a_workload_gets_an_id_token_for_its_own_client(oidc_provider):
    oidc_provider.set_account("system:serviceaccount:ci:deployer", groups=["ci"])
    token = oidc_provider.id_token_for(WORKLOAD_CLIENT, "system:serviceaccount:ci:deployer", scope="openid groups")
    published = KeySet.import_key_set(requests.get(oidc_provider.url("/jwks"), timeout=10).json())
    claims = jwt.decode(token, published).claims
    assert (claims["iss"], claims["aud"], claims["sub"]) == (
        oidc_provider.issuer,
        WORKLOAD_CLIENT,
        "system:serviceaccount:ci:deployer",
    )
    assert claims["groups"] == ["ci"]
