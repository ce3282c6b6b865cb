"""Migration 0006: a database made by an earlier release gets this release's catalogue actions
and built-in policy documents (load_builtins is idempotent, so a new database is unchanged)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from policies.builtins import load_builtins
from policies.models import CatalogAction, ManagedPolicy

BEFORE, AFTER = ("policies", "0005_findings"), ("policies", "0006_reload_builtins")
OLD_SELF_SERVICE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}],
}


def migrate(*targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets))


def latest() -> list[tuple[str, str]]:
    """Every app's newest migration: going back in policies unapplies the apps that depend on it."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def self_service_document() -> dict:
    policy = ManagedPolicy.objects.get(policy_name="SelfService", builtin=True)
    return policy.versions.get(is_default=True).document


@pytest.mark.django_db(transaction=True)
def test_an_earlier_database_gets_the_new_actions_and_the_current_self_service_policy():
    load_builtins()  # again: a transactional test before this one flushed them
    current = self_service_document()
    migrate(BEFORE)
    try:
        # As an earlier release left it: no session actions, and SelfService's earlier document.
        CatalogAction.objects.filter(service__prefix="iam", name__in=["ListSessions", "RevokeSession"]).delete()
        ManagedPolicy.objects.get(policy_name="SelfService").versions.filter(is_default=True).update(
            document=OLD_SELF_SERVICE
        )
        migrate(AFTER)
        names = set(CatalogAction.objects.filter(service__prefix="iam").values_list("name", flat=True))
        assert {"ListSessions", "RevokeSession"} <= names
        assert self_service_document() == current != OLD_SELF_SERVICE
    finally:
        migrate(*latest())
