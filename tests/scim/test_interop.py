"""scim2-tester, an implementation of RFC 7643/7644's checks no one here wrote, against the
SCIM endpoints of a live server over real HTTP on 127.0.0.1."""

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from identities import services as identity_services
from policies import services as policy_services
from policies.builtins import load_builtins
from tests.scim.conftest import bearer, provisioning_policy

pytestmark = [pytest.mark.interop, pytest.mark.django_db(transaction=True)]

FAILED = {Status.ERROR, Status.CRITICAL}
# Checks scim2-tester fails that this service fails on purpose: (words of the check's title
# or reason, why).
ALLOWED: list[tuple[str, str]] = [
    (
        "did not remove attribute 'active'",
        "active is the IAM user's enabled flag, which always has a value: removing it leaves the user enabled",
    ),
]


def _allowed(result) -> str | None:
    text = f"{result.title} {result.reason}"
    return next((why for words, why in ALLOWED if words in text), None)


@pytest.fixture
def provisioner_key(transactional_db) -> str:
    load_builtins()
    user = identity_services.create_user(username="scim-provisioner", actor=None)
    policy_services.put_inline_policy(
        identity=user, policy_name="Provisioning", document=provisioning_policy(), actor=None
    )
    return bearer(user)


def test_scim2_tester_finds_nothing_wrong_beyond_the_allow_list(live_server, provisioner_key):
    headers = {"Authorization": provisioner_key}
    with httpx2.Client(base_url=f"{live_server.url}/scim/v2/", headers=headers, timeout=30) as http:
        results = check_server(SyncSCIMClient(http))
    failed = [result for result in results if result.status in FAILED]
    unexpected = [f"{result.title}: {result.reason}" for result in failed if _allowed(result) is None]
    allowed = [result for result in failed if _allowed(result) is not None]
    passed = [result for result in results if result.status not in FAILED | {Status.SKIPPED}]
    print(f"scim2-tester: {len(passed)} passed, {len(unexpected)} failed, {len(allowed)} allowed")
    assert passed
    assert unexpected == [], "\n".join(unexpected)
