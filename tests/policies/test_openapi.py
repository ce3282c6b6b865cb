"""The API against its own OpenAPI document: generated requests never get a 5xx, and
every answer matches the documented status codes, content type and schemas."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from iamconsole.wsgi import application
from identities import services as identity_services

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Schemathesis calls the WSGI application itself, not through Django's test client,
    so Django's close_old_connections would close the test's connection (inside its
    transaction) at each request; the test client disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(db):
    user = identity_services.create_user(username="schema-tester", actor=None)
    key, secret = identity_services.create_access_key(user=user, actor=None)
    return {"Authorization": f"Bearer {key.key_id}:{secret}"}


def test_the_document_is_served_and_names_every_endpoint(client):
    document = client.get("/api/v1/openapi.json").json()
    assert set(document["paths"]) == {
        "/caller-identity",
        "/authorize",
        "/assume-role",
        "/assume-role-with-web-identity",
        "/access-expectations",
        "/access-expectations/{name}",
        "/last-accessed",
        "/preview-change",
        "/access-requests",
        "/access-requests/to-decide",
        "/access-requests/{pk}",
        "/access-requests/{pk}/proposals",
        "/access-requests/{pk}/cancel",
        "/access-requests/{pk}/decision",
        "/access-requests/{pk}/end",
        "/access-requests/{pk}/revoke",
    }
    assert document["openapi"].startswith("3.1")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_conforms_to_its_document(case, credentials):
    # A schema-valid request may still be refused for what it means (a principal the
    # caller may not ask about, a role it may not assume): that check is left out;
    # every other one (no 5xx, documented statuses, schemas, headers) applies.
    case.call_and_validate(headers=credentials, excluded_checks=[checks.positive_data_acceptance])
