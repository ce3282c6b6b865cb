"""The policy check asked about an OpenID Connect provider: sts:AssumeRoleWithWebIdentity on a
role is decided by the role's trust policy with the token's keys typed as context, as the
web-identity endpoint decides it."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from identities import services as identity_services
from tests.clients import client_for

pytestmark = pytest.mark.django_db

URL = reverse("policies:policy-check")
NAME = "token.actions.example.org"
ROLE = "arn:aws:iam::123456789012:role/Deployer"
MAIN = "repo:acme/shop:ref:refs/heads/main"


@pytest.fixture
def deployer(org):
    provider = identity_services.create_oidc_provider(url=f"https://{NAME}", client_ids=["deploy"], actor=None)
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": provider.arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{NAME}:aud": "deploy", f"{NAME}:sub": MAIN}},
    }
    trust = {"Version": "2012-10-17", "Statement": [statement]}
    return identity_services.create_role(role_name="Deployer", trust_policy=trust, actor=None)


def check(client, sub: str, principal: str = NAME):
    query = {
        "kind": "oidc-provider",
        "principal": principal,
        "actions": "sts:AssumeRoleWithWebIdentity\nstorage:GetObject",
        "resources": ROLE,
        "context": f"{NAME}:aud=deploy\n{NAME}:sub={sub}",
    }
    return client.get(f"{URL}?{urlencode(query)}")


def outcomes(response) -> list[tuple[str, str]]:
    return [(row.action, row.decision.outcome.value) for row in response.context["rows"]]


def test_the_trust_policy_decides_a_providers_token_by_its_sub(deployer):
    client = client_for("iam-admin")
    assert outcomes(check(client, MAIN)) == [
        ("sts:AssumeRoleWithWebIdentity", "Allow"),
        ("storage:GetObject", "ImplicitDeny"),
    ]
    assert outcomes(check(client, "repo:acme/shop:pull_request"))[0] == (
        "sts:AssumeRoleWithWebIdentity",
        "ImplicitDeny",
    )


def test_the_provider_may_be_named_by_its_arn(deployer):
    response = check(client_for("iam-admin"), MAIN, principal=f"arn:aws:iam::123456789012:oidc-provider/{NAME}")
    assert outcomes(response)[0] == ("sts:AssumeRoleWithWebIdentity", "Allow")


def test_an_unknown_provider_is_a_form_error(deployer):
    response = check(client_for("iam-admin"), MAIN, principal="nobody.example.org")
    assert response.status_code == 200
    assert response.context["form"].errors["principal"] == ["No such principal."]


def test_checking_a_provider_needs_simulate_principal_policy(deployer):
    assert check(client_for("mia"), MAIN).status_code == 403
