"""A provisioning client: a service user with docs/scim.md's policy (SCIM's writes on /scim/
only, over the SCIM interface only), and a test client with its access key."""

import json
from pathlib import Path

import pytest
from django.test import Client

from identities import services as identity_services
from policies import services as policy_services

SCIM_TYPE = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"

DOCS = Path(__file__).resolve().parents[2] / "docs" / "scim.md"


def provisioning_policy() -> dict:
    """The policy docs/scim.md tells an administrator to give the provider's service user,
    read from the page itself, so every test here proves what the page says."""
    text = DOCS.read_text()
    block = text[text.index("```json") + len("```json") : text.index("```", text.index("```json") + 1)]
    return json.loads(block)


class ScimClient:
    """The test client speaking SCIM with one Authorization header."""

    def __init__(self, authorization: str):
        self.client = Client(HTTP_AUTHORIZATION=authorization)

    def get(self, path: str, params=None, **headers):
        return self.client.get(f"/scim/v2/{path}", params or {}, headers=headers)

    def send(self, method: str, path: str, body=None, **headers):
        data = "" if body is None else json.dumps(body)
        return self.client.generic(method, f"/scim/v2/{path}", data, content_type=SCIM_TYPE, headers=headers)

    def post(self, path, body, **headers):
        return self.send("POST", path, body, **headers)

    def put(self, path, body, **headers):
        return self.send("PUT", path, body, **headers)

    def patch(self, path, operations, **headers):
        return self.send("PATCH", path, {"schemas": [PATCH_SCHEMA], "Operations": operations}, **headers)

    def delete(self, path, **headers):
        return self.send("DELETE", path, **headers)


def bearer(user) -> str:
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return f"Bearer {key.key_id}:{secret}"


@pytest.fixture
def provisioner(org):
    user = identity_services.create_user(username="scim-provisioner", actor=None)
    policy_services.put_inline_policy(
        identity=user, policy_name="Provisioning", document=provisioning_policy(), actor=None
    )
    return user


@pytest.fixture
def scim(provisioner) -> ScimClient:
    return ScimClient(bearer(provisioner))


def new_user(scim: ScimClient, user_name: str, **attributes) -> dict:
    response = scim.post("Users", {"schemas": [USER_SCHEMA], "userName": user_name, **attributes})
    assert response.status_code == 201, response.content
    return response.json()


def new_group(scim: ScimClient, name: str, members=()) -> dict:
    body = {"schemas": [GROUP_SCHEMA], "displayName": name, "members": [{"value": m} for m in members]}
    response = scim.post("Groups", body)
    assert response.status_code == 201, response.content
    return response.json()
