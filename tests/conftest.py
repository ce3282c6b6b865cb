"""Shared fixtures: the personas of the article, and a bounded hypothesis profile."""

import io
import os

import pytest
from django.core.management import call_command
from django.db.backends.base.operations import BaseDatabaseOperations
from hypothesis import HealthCheck, settings

from identities import audit
from tests import factories
from tests.documents import allow, document, statement

settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _interop_runs() -> bool:
    """Heavy interop suites run once per CI: in the PostgreSQL pass, or when asked for."""
    if os.environ.get("IAM_INTEROP") in ("1", "true", "yes"):
        return True
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config, items):
    """Deselect (never skip) the interop tests outside their pass, and say so."""
    if _interop_runs():
        return
    kept = [item for item in items if item.get_closest_marker("interop") is None]
    if len(kept) == len(items):
        return
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


def pytest_report_header(config):
    if not _interop_runs():
        return "interop tests: deselected on this database (they run in the PostgreSQL pass, or with IAM_INTEROP=1)"
    return "interop tests: selected"


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


@pytest.fixture(scope="session", autouse=True)
def clients_route_the_api_as_the_server_does():
    """Django's test client serves /api/v1/ through the API's short chain, as the project's
    WSGI handler does (iamconsole.handlers), so every API test runs the production path."""
    from django.test import client

    from iamconsole.handlers import APIRouting

    original = client.ClientHandler
    client.ClientHandler = type("RoutedClientHandler", (APIRouting, original), {})
    yield
    client.ClientHandler = original


PERSONAS = ("mia", "oliver", "charles", "lucas", "james", "henry")


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test starts with empty caches: a rolled-back test leaves the permissions
    generation where it found it, so entries cached under it must not outlive the test."""
    from django.core.cache import cache

    from identities import machine
    from policies import authorization, lastaccess

    authorization.clear_caches()
    cache.clear()
    machine.limits.clear()
    yield
    authorization.clear_caches()
    cache.clear()
    machine.limits.clear()  # each test starts with full rate-limit buckets
    audit.batched_counts.pending.clear()  # counts a test left unwritten belong to no other test
    lastaccess.recorder.clear()  # so are last-accessed uses


@pytest.fixture
def demo(db):
    """`make run`'s demo organisation, as `seed_demo` builds it: only for the benchmark tests
    (tests/benchmarks/), which time the commands on that data. Every other test builds `org`
    below."""
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


# The organisation of the article, built here from the services (not by `seed_demo`), so a
# reader sees what each person may do. Everyone's password is factories.TEST_PASSWORD.

ACCOUNT_ID = "123456789012"
PRODUCTION = "arn:aws:storage:::production-data"
ORG_PASSWORD = factories.TEST_PASSWORD

# Who is in which group: Developers (mia, oliver, charles), Operations (lucas, james),
# AuditTeam (charles, lucas), IAMPublishers (nobody); root, iam-admin, henry and dev-admin are in none.
_ORG_GROUPS = {
    "Developers": ["mia", "oliver", "charles"],
    "Operations": ["lucas", "james"],
    "AuditTeam": ["charles", "lucas"],
    "IAMPublishers": [],
}

# The teams' policies, each attached to its group.
_TEAM_POLICIES = {
    # Developers: everything on the dev-* buckets, read the rest.
    "DevelopersStorageAccess": (
        "Developers",
        document(
            statement("Allow", "storage:*", ["arn:aws:storage:::dev-*", "arn:aws:storage:::dev-*/*"], Sid="DevBuckets"),
            statement("Allow", ["storage:List*", "storage:Get*"], Sid="ReadEverything"),
        ),
    ),
    # Operations: every bucket, but never delete the production bucket or its objects.
    "OperationsStorageAccess": (
        "Operations",
        document(
            statement("Allow", "storage:*", Sid="RunStorage"),
            statement(
                "Deny",
                ["storage:DeleteBucket", "storage:DeleteObject"],
                [PRODUCTION, f"{PRODUCTION}/*"],
                Sid="KeepProduction",
            ),
        ),
    ),
    # IAMPublishers (nobody yet): publish to the public site bucket.
    "PublishingAccess": (
        "IAMPublishers",
        document(
            statement(
                "Allow",
                ["storage:PutObject", "storage:GetObject", "storage:ListBucket"],
                ["arn:aws:storage:::public-site", "arn:aws:storage:::public-site/*"],
                Sid="Publish",
            )
        ),
    ),
}


class Org:
    """The people, groups, roles and policies of `org`, by name (`org.iam_admin` for a user too)."""

    def __init__(self, users, groups, roles, policies):
        self.users, self.groups, self.roles, self.policies = users, groups, roles, policies

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name.replace("_", "-") in users:
            return users[name.replace("_", "-")]
        raise AttributeError(name)


@pytest.fixture
def org(db):
    """The article's organisation (browser tests override it with a transactional one)."""
    from django.db.models.functions import Lower

    from identities import services as identity_services
    from policies import services as policy_services
    from policies.builtins import load_builtins
    from policies.models import ManagedPolicy

    load_builtins()
    builtin = {p.policy_name: p for p in ManagedPolicy.objects.filter(builtin=True).order_by(Lower("policy_name"))}

    def attach(name: str, identity) -> None:
        policy_services.attach_policy(policy=policies[name], identity=identity, actor=None)

    def person(name: str):
        user = identity_services.create_user(username=name, password=ORG_PASSWORD, actor=None)
        attach("SelfService", user)
        return user

    policies = dict(builtin)
    # root: the account owner, beyond every IAM policy; only guardrails bind it.
    users = {"root": identity_services.create_root_user(username="root", password=ORG_PASSWORD, actor=None)}
    # Everyone else has SelfService (`person`): reads their own user and permissions, checks
    # their own access, manages their own password, access keys and MFA device.
    users["iam-admin"] = person("iam-admin")  # every IAM action (IAMFullAccess), reads everything else
    attach("IAMFullAccess", users["iam-admin"])
    attach("ReadOnlyAccess", users["iam-admin"])
    users["mia"] = person("mia")  # Developers; assigned ReleaseManager, to ship releases to production
    users["oliver"] = person("oliver")  # Developers, nothing more
    users["charles"] = person("charles")  # Developers and AuditTeam; assigned AuditReviewer
    users["lucas"] = person("lucas")  # Operations and AuditTeam; assigned AuditReviewer
    users["james"] = person("james")  # Operations, nothing more
    users["henry"] = person("henry")  # in no group, assigned no role: SelfService alone
    users["dev-admin"] = person("dev-admin")  # a service administrator: Developers' members only (below)
    groups = {name: identity_services.create_group(group_name=name, actor=None) for name in _ORG_GROUPS}
    for name, members in _ORG_GROUPS.items():
        if members:
            identity_services.add_members(group=groups[name], users=[users[m] for m in members], actor=None)
    for name, (group, policy_document) in _TEAM_POLICIES.items():
        policies[name] = policy_services.create_policy(policy_name=name, document=policy_document, actor=None)[0]
        attach(name, groups[group])
    # AuditTeam (charles, lucas): reads everything, the audit trail included.
    attach("ReadOnlyAccess", groups["AuditTeam"])
    # dev-admin, a service administrator: lists users and groups, and manages Developers' members only.
    developers_arn = f"arn:aws:iam::{ACCOUNT_ID}:group/Developers"
    policy_services.put_inline_policy(
        identity=users["dev-admin"],
        policy_name="ManageDevelopers",
        document=document(
            statement("Allow", ["iam:ListUsers", "iam:ListGroups"], Sid="ListIdentities"),
            statement(
                "Allow",
                ["iam:GetGroup", "iam:AddUserToGroup", "iam:RemoveUserFromGroup"],
                developers_arn,
                Sid="ManageOneGroup",
            ),
        ),
        actor=None,
    )
    # Both roles trust the account: a user assigned one, or whose own policies allow
    # sts:AssumeRole on it, may assume it.
    account = {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    trust_account = document({"Effect": "Allow", "Principal": account, "Action": "sts:AssumeRole"})
    roles = {
        name: identity_services.create_role(role_name=name, trust_policy=trust_account, actor=None)
        for name in ("ReleaseManager", "AuditReviewer")
    }
    # ReleaseManager (assigned to mia): puts release objects into the production bucket, nothing else.
    policy_services.put_inline_policy(
        identity=roles["ReleaseManager"],
        policy_name="ShipReleases",
        document=allow("storage:PutObject", f"{PRODUCTION}/releases/*", Sid="ShipReleases"),
        actor=None,
    )
    identity_services.assign_role(role=roles["ReleaseManager"], user=users["mia"], actor=None)
    # AuditReviewer (assigned to charles and lucas): reads everything.
    attach("ReadOnlyAccess", roles["AuditReviewer"])
    for name in ("charles", "lucas"):
        identity_services.assign_role(role=roles["AuditReviewer"], user=users[name], actor=None)
    return Org(users, groups, roles, policies)
