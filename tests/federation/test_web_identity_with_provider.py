"""AssumeRoleWithWebIdentity end to end with a real OpenID provider (panva's oidc-provider,
tests/oidc_provider/): a token it minted for a workload's client assumes a role whose trust
policy names the provider and the token's `sub`, and the session's credentials work on the
decision API; a token it minted for another `sub` is refused by the same trust policy."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from identities import services as identity_services
from identities import webidentity
from identities.credentials import RoleSession
from policies import services
from tests.documents import allow
from tests.oidc_provider.fixtures import WORKLOAD_CLIENT

pytestmark = [pytest.mark.interop, pytest.mark.django_db]

URL = "/api/v1/assume-role-with-web-identity"
DEPLOYER = "system:serviceaccount:ci:deployer"
OBJECT = "arn:aws:storage:::releases/app.tar"


@pytest.fixture
def deployer(settings, oidc_provider):
    settings.IAM_WEB_IDENTITY_ALLOW_HTTP_LOOPBACK = True  # the test provider serves plain HTTP on 127.0.0.1
    cache.clear()
    webidentity.forget_keys()
    provider = identity_services.create_oidc_provider(
        url=oidc_provider.issuer, client_ids=[WORKLOAD_CLIENT], actor=None
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider.arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{provider.name}:aud": WORKLOAD_CLIENT, f"{provider.name}:sub": DEPLOYER}
                },
            }
        ],
    }
    role = identity_services.create_role(role_name="Deployer", trust_policy=trust, actor=None)
    services.put_inline_policy(identity=role, policy_name="Ship", document=allow("storage:PutObject"), actor=None)
    yield role
    webidentity.forget_keys()


def exchange(token: str, role) -> Client:
    body = {"RoleArn": role.arn, "WebIdentityToken": token, "RoleSessionName": "release-12"}
    return Client().post(URL, json.dumps(body), content_type="application/json")


def test_the_providers_token_for_the_named_sub_assumes_the_role(oidc_provider, deployer):
    oidc_provider.set_account(DEPLOYER)
    response = exchange(oidc_provider.id_token_for(WORKLOAD_CLIENT, DEPLOYER), deployer)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["SubjectFromWebIdentityToken"] == DEPLOYER
    session = RoleSession.objects.get()
    assert (session.role, session.subject, session.user) == (deployer, DEPLOYER, None)

    api = Client(HTTP_AUTHORIZATION=body["Authorization"])
    asked = {"principal": body["AssumedRoleUser"]["Arn"], "action": "storage:PutObject", "resource": OBJECT}
    answer = api.post("/api/v1/authorize", json.dumps(asked), content_type="application/json")
    assert (answer.status_code, answer.json()["decision"]) == (200, "Allow")


def test_the_providers_token_for_another_sub_is_refused(oidc_provider, deployer):
    oidc_provider.set_account("system:serviceaccount:ci:tester")
    response = exchange(oidc_provider.id_token_for(WORKLOAD_CLIENT, "system:serviceaccount:ci:tester"), deployer)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "AccessDenied")
    assert not RoleSession.objects.exists()
