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


# The organisation of the article, built here from the services (not by `seed_demo`), so
# a reader sees what each person may do. New tests use `org`; every user has a password.

ACCOUNT_ID = "123456789012"
ORG_PASSWORD = factories.TEST_PASSWORD


class Org:
    """The people, groups, roles and policies of `org`, by name."""

    def __init__(self, users, groups, roles, policies):
        self.users, self.groups, self.roles, self.policies = users, groups, roles, policies

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name.replace("_", "-") in users:
            return users[name.replace("_", "-")]
        raise AttributeError(name)


def _org_policy(name: str, *statements: dict):
    from policies import services as policy_services

    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return policy_services.create_policy(policy_name=name, document=document, actor=None)[0]


@pytest.fixture
def org(db):
    from django.db.models.functions import Lower

    from identities import services as identity_services
    from policies import services as policy_services
    from policies.builtins import load_builtins
    from policies.models import ManagedPolicy

    load_builtins()
    builtin = {p.policy_name: p for p in ManagedPolicy.objects.filter(builtin=True).order_by(Lower("policy_name"))}

    def person(name: str):
        user = identity_services.create_user(username=name, password=ORG_PASSWORD, actor=None)
        # Everyone manages their own password, keys and MFA device.
        policy_services.attach_policy(policy=builtin["SelfService"], identity=user, actor=None)
        return user

    users = {"root": identity_services.create_root_user(username="root", password=ORG_PASSWORD, actor=None)}
    # iam-admin: every IAM action on everything (IAMFullAccess), and reads everything else.
    users["iam-admin"] = person("iam-admin")
    for name in ("IAMFullAccess", "ReadOnlyAccess"):
        policy_services.attach_policy(policy=builtin[name], identity=users["iam-admin"], actor=None)
    for name in ("mia", "oliver", "charles", "lucas", "james", "henry", "dev-admin"):
        users[name] = person(name)
    groups = {name: identity_services.create_group(group_name=name, actor=None) for name in _ORG_GROUPS}
    for name, members in _ORG_GROUPS.items():
        if members:
            identity_services.add_members(group=groups[name], users=[users[m] for m in members], actor=None)
    developers_arn = f"arn:aws:iam::{ACCOUNT_ID}:group/Developers"
    policies = {
        # Developers: everything on the dev-* buckets, read the rest.
        "DevelopersStorageAccess": _org_policy(
            "DevelopersStorageAccess",
            _allow_statement("storage:*", ["arn:aws:storage:::dev-*", "arn:aws:storage:::dev-*/*"]),
            _allow_statement(["storage:List*", "storage:Get*"], "*"),
        ),
        # Operations: every bucket, but never delete the production bucket or its objects.
        "OperationsStorageAccess": _org_policy(
            "OperationsStorageAccess",
            _allow_statement("storage:*", "*"),
            {
                "Effect": "Deny",
                "Action": ["storage:DeleteBucket", "storage:DeleteObject"],
                "Resource": ["arn:aws:storage:::production-data", "arn:aws:storage:::production-data/*"],
            },
        ),
    }
    policy_services.attach_policy(policy=policies["DevelopersStorageAccess"], identity=groups["Developers"], actor=None)
    policy_services.attach_policy(policy=policies["OperationsStorageAccess"], identity=groups["Operations"], actor=None)
    # AuditTeam (charles, lucas): reads everything.
    policy_services.attach_policy(policy=builtin["ReadOnlyAccess"], identity=groups["AuditTeam"], actor=None)
    # dev-admin, a service administrator: lists users and groups, and manages Developers' members only.
    policy_services.put_inline_policy(
        identity=users["dev-admin"],
        policy_name="ManageDevelopers",
        document={
            "Version": "2012-10-17",
            "Statement": [
                _allow_statement(["iam:ListUsers", "iam:ListGroups"], "*"),
                _allow_statement(["iam:GetGroup", "iam:AddUserToGroup", "iam:RemoveUserFromGroup"], developers_arn),
            ],
        },
        actor=None,
    )
    trust_account = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    roles = {
        name: identity_services.create_role(role_name=name, trust_policy=trust_account, actor=None)
        for name in ("ReleaseManager", "AuditReviewer")
    }
    # ReleaseManager (assigned to mia): puts release objects into the production bucket.
    policy_services.put_inline_policy(
        identity=roles["ReleaseManager"],
        policy_name="ShipReleases",
        document={
            "Version": "2012-10-17",
            "Statement": [_allow_statement("storage:PutObject", "arn:aws:storage:::production-data/releases/*")],
        },
        actor=None,
    )
    identity_services.assign_role(role=roles["ReleaseManager"], user=users["mia"], actor=None)
    # AuditReviewer (assigned to charles and lucas): reads everything.
    policy_services.attach_policy(policy=builtin["ReadOnlyAccess"], identity=roles["AuditReviewer"], actor=None)
    for name in ("charles", "lucas"):
        identity_services.assign_role(role=roles["AuditReviewer"], user=users[name], actor=None)
    return Org(users, groups, roles, policies | builtin)


# Who is in which group: Developers (mia, oliver, charles), Operations (lucas, james),
# AuditTeam (charles, lucas), IAMPublishers (nobody); henry is in no group.
_ORG_GROUPS = {
    "Developers": ["mia", "oliver", "charles"],
    "Operations": ["lucas", "james"],
    "AuditTeam": ["charles", "lucas"],
    "IAMPublishers": [],
}


def _allow_statement(actions, resources) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}
