"""GET /api/v1/last-accessed: the Access Advisor through the API, governed as AWS's tab is."""

import pytest

from identities import services as identity_services
from policies import lastaccess, services
from tests.documents import allow
from tests.policies.test_last_accessed import ACCOUNT, ask, key_client, portal  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

DEV = "arn:aws:storage:::dev-app"
ADVISOR = ["iam:GenerateServiceLastAccessedDetails", "iam:GetServiceLastAccessedDetails"]


@pytest.fixture
def auditor(org):
    """Allowed both Access Advisor actions on users only."""
    user = identity_services.create_user(username="auditor", actor=None)
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ADVISOR[0], "Resource": f"arn:aws:iam::{ACCOUNT}:user/*"},
            {"Effect": "Allow", "Action": ADVISOR[1], "Resource": "*"},
        ],
    }
    services.put_inline_policy(identity=user, policy_name="Advisor", document=document, actor=None)
    return key_client(user)[0]


def last_accessed(client, **parameters):
    return client.get("/api/v1/last-accessed", parameters)


def test_it_answers_after_api_decisions_once_flushed(org, portal, auditor):  # noqa: F811
    ask(portal, org.mia.arn, "storage:GetObject", f"{DEV}/a")
    lastaccess.flush()
    response = last_accessed(auditor, principal=org.mia.arn)
    assert response.status_code == 200
    answer = response.json()
    assert (answer["principal"], answer["unused_days"]) == (org.mia.arn, None)
    storage = next(service for service in answer["services"] if service["service"] == "storage")
    actions = {action["action"]: action for action in storage["actions"]}
    got = actions["storage:GetObject"]
    assert (got["last_accessed_by"], got["credential"], got["resources"]) == (org.mia.arn, None, [f"{DEV}/a"])
    assert got["last_accessed"] == storage["last_accessed"] and got["last_accessed"].endswith("Z")
    assert actions["storage:DeleteObject"]["last_accessed"] is None
    unused = last_accessed(auditor, principal=org.mia.arn, unused_days="1").json()
    storage = next(service for service in unused["services"] if service["service"] == "storage")
    assert "storage:GetObject" not in {action["action"] for action in storage["actions"]}


@pytest.mark.parametrize(
    ("parameters", "status", "code"),
    [
        ({}, 400, "MissingParameter"),
        ({"principal": "arn:aws:iam::123456789012:user/mia", "unused_days": "x"}, 400, "ValidationError"),
        ({"principal": "arn:aws:iam::123456789012:user/mia", "unused_days": "0"}, 400, "ValidationError"),
        ({"principal": "arn:aws:iam::123456789012:user/nobody"}, 404, "NoSuchEntity"),
        ({"principal": "arn:aws:iam::123456789012:root"}, 403, "AccessDenied"),  # not a user/* ARN
        ({"principal": "arn:aws:iam::123456789012:group/Developers"}, 403, "AccessDenied"),
        ({"principal": "not an ARN"}, 403, "AccessDenied"),
    ],
)
def test_bad_or_forbidden_questions_get_a_clear_4xx(auditor, parameters, status, code):
    response = last_accessed(auditor, **parameters)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_each_of_the_two_actions_is_needed(org):
    for index, granted in enumerate(ADVISOR):
        user = identity_services.create_user(username=f"half-{index}", actor=None)
        services.put_inline_policy(identity=user, policy_name="Half", document=allow(granted), actor=None)
        client = key_client(user)[0]
        assert last_accessed(client, principal=org.mia.arn).status_code == 403
    services.put_inline_policy(identity=user, policy_name="Both", document=allow(ADVISOR), actor=None)
    assert last_accessed(client, principal=org.mia.arn).status_code == 200


def test_groups_roles_and_policies_are_answered_too(org, portal):  # noqa: F811
    admin = key_client(org.iam_admin)[0]
    for arn in (
        org.groups["Developers"].arn,
        org.roles["ReleaseManager"].arn,
        f"arn:aws:iam::{ACCOUNT}:policy/DevelopersStorageAccess",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",  # a built-in, at AWS's ARN
    ):
        response = last_accessed(admin, principal=arn)
        assert (response.status_code, response.json()["principal"]) == (200, arn)
