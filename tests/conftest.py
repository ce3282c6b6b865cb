"""Shared fixtures: the personas of the article, and a bounded hypothesis profile."""

import io
import os

import pytest
from django.core.management import call_command
from django.db.backends.base.operations import BaseDatabaseOperations
from hypothesis import HealthCheck, settings

from identities import audit
from tests import factories

settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session", autouse=True)
def audit_flush_in_maintenance():
    """The audit trail refuses DELETE and TRUNCATE (identities migration 0005); the flush
    between transactional tests is the one exception, inside its own transaction."""
    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        opening, closing = audit.maintenance_sql(self.connection.vendor)
        original(self, [*opening, *sql_list, *closing])

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    BaseDatabaseOperations.execute_sql_flush = original


PERSONAS = ("mia", "oliver", "charles", "lucas", "james", "henry")


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test starts with empty caches: a rolled-back test leaves the permissions
    generation where it found it, so entries cached under it must not outlive the test."""
    from django.core.cache import cache

    from identities import machine
    from policies import authorization

    authorization.clear_caches()
    cache.clear()
    machine.limits.clear()
    yield
    authorization.clear_caches()
    cache.clear()
    machine.limits.clear()  # each test starts with full rate-limit buckets
    audit.batched_counts.pending.clear()  # counts a test left unwritten belong to no other test


@pytest.fixture
def demo(db):
    """The demo organisation of the article, as `seed_demo` builds it (browser tests
    override this with a transactional one)."""
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def root(db):
    return factories.RootUserFactory()


@pytest.fixture
def people(db):
    """The article's six people, by name."""
    return {name: factories.UserFactory(username=name) for name in PERSONAS}


@pytest.fixture
def mia(people):
    return people["mia"]


@pytest.fixture
def henry(people):
    return people["henry"]


@pytest.fixture
def developers(db):
    return factories.GroupFactory(group_name="Developers")


@pytest.fixture
def operations(db):
    return factories.GroupFactory(group_name="Operations")


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    return client
