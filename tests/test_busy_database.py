"""Two requests at once: a save that finds another request holding the database's write lock
(a change preview holds it while it reads the account inside its savepoint; a queued preview
for as long as it runs) and cannot wait for it. SQLite refuses the waiting writer after its
busy timeout (5 s, settings) or at once (the tests' shared in-memory database); Django then
raised OperationalError, a 500. The console and the admin answer 409 instead, saying that
nothing was saved, and the API its JSON error; PostgreSQL makes the save wait for the lock."""

import json
import threading

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from identities import generation
from identities import services as identity_services
from identities.models import Membership
from policies.models import AccessExpectation
from tests.clients import client_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's writer lock; PostgreSQL waits on rows"),
]
PATIENCE_SECONDS = 30


class _Writer:
    """Another request's transaction, holding the write lock until the test lets it go."""

    def __init__(self):
        self.holding, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            with transaction.atomic():
                generation.lock(connection.alias)  # a write: SQLite's lock on the whole database
                self.holding.set()
                self.release.wait(PATIENCE_SECONDS)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.holding.wait(PATIENCE_SECONDS), "the other request never took the lock"
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(PATIENCE_SECONDS)
        return False


def test_a_console_save_during_another_writer_says_nothing_was_saved(org):
    operations = org.groups["Operations"]
    client = client_for("iam-admin")
    url = reverse("identities:group-members-remove", args=[operations.pk])
    with _Writer():
        response = client.post(url, {"users": "lucas", "confirm": "yes"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "Nothing was saved" in body and "try again" in body
    assert Membership.objects.filter(group=operations, user=org.lucas).exists()
    # Once the other request is done, the same save goes through.
    assert client.post(url, {"users": "lucas", "confirm": "yes"}).status_code == 302
    assert not Membership.objects.filter(group=operations, user=org.lucas).exists()


def test_an_admin_save_during_another_writer_says_nothing_was_saved(org):
    client = client_for("root")
    url = reverse("admin:identities_group_delete", args=[org.groups["AuditTeam"].pk])
    with _Writer():
        response = client.post(url, {"post": "yes"})
    assert response.status_code == 409
    assert "Nothing was saved" in response.content.decode()
    assert org.groups["AuditTeam"].__class__.objects.filter(pk=org.groups["AuditTeam"].pk).exists()


def test_an_api_change_during_another_writer_is_a_conflict_nothing_saved(org):
    key, secret = identity_services.create_access_key(user=org.iam_admin, actor=None)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key.key_id}:{secret}")
    body = {
        "name": "lucas-keeps-production-data",
        "principals": {"users": ["lucas"]},
        "may": False,
        "actions": ["storage:DeleteBucket"],
    }
    with _Writer():
        response = api.post("/api/v1/access-expectations", json.dumps(body), content_type="application/json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "Conflict"
    assert not AccessExpectation.objects.exists()
