"""Shared fixtures: the personas of the article, and a bounded hypothesis profile."""

import os

import pytest
from hypothesis import HealthCheck, settings

from tests import factories

settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PERSONAS = ("mia", "oliver", "charles", "lucas", "james", "henry")


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
