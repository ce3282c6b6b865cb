"""Migration 0009: trust policies stored before it named principals by ARN; after it, by unique ID."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from identities import services, trust
from identities.audit import AuditEvent
from identities.models import Role

ACCOUNT = "123456789012"
BEFORE, AFTER = (
    ("identities", "0009_anonymous_refusals_and_key_failures"),
    ("identities", "0010_trust_policies_by_unique_id"),
)


def trusting(*principals: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}],
    }


def migrate(*targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets))


def latest() -> list[tuple[str, str]]:
    """Every app's newest migration, where the test leaves the schema for the tests after it
    (going back to 0009 also unapplies the apps that depend on identities since)."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def stored(role_name: str) -> Role:
    # Only the columns every schema from 0009 on has: later migrations add others to roles.
    return Role.objects.only("role_name", "path", "trust_policy").get(role_name=role_name)


def principals(role_name: str) -> list:
    return stored(role_name).trust_policy["Statement"][0]["Principal"]["AWS"]


@pytest.mark.django_db(transaction=True)
def test_arns_become_unique_ids_and_an_arn_naming_no_one_a_fresh_id_that_names_no_one():
    mia = services.create_user(username="mia", path="/eu/", actor=None)
    builder = services.create_role(role_name="Builder", actor=None)
    ghost, gone_role = f"arn:aws:iam::{ACCOUNT}:user/ghost", f"arn:aws:iam::{ACCOUNT}:role/Gone"
    upper, doubled = f"arn:aws:iam::{ACCOUNT}:user/eu/MIA", f"arn:aws:iam::{ACCOUNT}:user//eu/mia"
    kept = [ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", "arn:aws:iam::210987654321:user/ghost"]
    # As rows written before the migration hold them: ARNs, even of principals that no longer exist.
    legacy = {
        "Deployer": trusting(mia.arn, builder.arn, *kept),
        # Decisions matched ARNs exactly: one differing in case or path matched no one, nor will it.
        "Haunted": trusting(ghost, gone_role, upper, doubled, mia.arn),
        "Odd": {"Statement": [{"Principal": {"AWS": [5, {"x": ghost}]}}, 7]},
    }
    for name, document in legacy.items():
        Role.objects.filter(pk=services.create_role(role_name=name, actor=None).pk).update(trust_policy=document)
    try:
        migrate(BEFORE)
        migrate(AFTER)
        assert principals("Deployer") == [mia.iam_id, builder.iam_id, *kept]
        ghost_id, gone_id, upper_id, doubled_id, mia_id = principals("Haunted")
        made_up = [ghost_id, gone_id, upper_id, doubled_id]
        assert [unique_id[:4] for unique_id in made_up] == ["AIDA", "AROA", "AIDA", "AIDA"]
        assert all(trust.UNIQUE_ID.fullmatch(unique_id) for unique_id in made_up)
        assert mia_id == mia.iam_id and len({*made_up, mia_id}) == 5
        assert stored("Odd").trust_policy == legacy["Odd"]
        haunted = stored("Haunted")
        assert trust.shown_form(haunted.trust_policy) == trusting(*made_up, mia.arn)
        # Only columns 0010's schema has: later migrations add others to audit events.
        ((target_arn, after),) = AuditEvent.objects.filter(event_name="UpdateAssumeRolePolicy").values_list(
            "target_arn", "after"
        )
        assert target_arn == haunted.arn
        assert after["replaced"] == dict(zip([ghost, gone_role, upper, doubled], made_up, strict=True))
        # Reversed, the IDs of existing principals are their ARNs again; the others stay.
        migrate(BEFORE)
        assert principals("Deployer") == [mia.arn, builder.arn, *kept]
        assert principals("Haunted") == [*made_up, mia.arn]
    finally:
        migrate(*latest())
    # A user made later under the name gets an ID of its own (made on today's schema: users
    # have columns that 0010's lacks).
    namesake = services.create_user(username="ghost", actor=None)
    assert namesake.iam_id != ghost_id
