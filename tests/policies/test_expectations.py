"""Access expectations: how they are decided, and every change through the rule table
refused when it would break one (unless the actor may override it, which is audited)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils.functional import SimpleLazyObject

from identities import generation, rules
from identities import services as identity_services
from identities.audit import AuditEvent
from identities.guards import ChangeRefused
from policies import expectations, services
from policies.expectations.scope import Scope, scope_of
from policies.models import AccessExpectation, PolicyVersion
from tests.conftest import PRODUCTION
from tests.documents import allow, document, statement

pytestmark = pytest.mark.django_db

LUCAS_KEEPS_PRODUCTION = {
    "name": "lucas-keeps-production-data",
    "principals": {"users": ["lucas"]},
    "may": False,
    "actions": ["storage:DeleteBucket"],
    "resources": [PRODUCTION],
}
ONLY_OPERATIONS = {
    "name": "only-operations-delete-production-buckets",
    "principals": "*",
    "except": {"groups": ["Operations"]},
    "may": False,
    "actions": "storage:DeleteBucket",
    "resources": "arn:aws:storage:::production-*",
}
MIA_READS = {
    "name": "mia-reads-production-data",
    "principals": {"users": ["mia"]},
    "may": True,
    "actions": ["storage:GetObject"],
    "resources": [f"{PRODUCTION}/*"],
}


def _check(definition: dict) -> expectations.Result:
    return expectations.check_all([expectations.read_definition(definition)])[0]


def _editor():
    """Allowed the changes these tests make, and not the override (IAMFullAccess would include it)."""
    editor = identity_services.create_user(username="editor", actor=None)
    actions = ["iam:CreatePolicyVersion", "iam:PutUserPolicy", "iam:DeleteUserPolicy", "iam:RemoveUserFromGroup"]
    services.put_inline_policy(identity=editor, policy_name="Edit", document=allow(actions), actor=None)
    return editor


def _operations_without_its_deny():
    return document(statement("Allow", "storage:*", Sid="RunStorage"))


# Deciding


def test_the_articles_expectations_hold_on_its_organisation(org):
    for definition in (LUCAS_KEEPS_PRODUCTION, ONLY_OPERATIONS, MIA_READS):
        assert _check(definition).failures == (), definition["name"]


def test_a_may_not_fails_with_each_principal_allowed(org):
    result = _check({**ONLY_OPERATIONS, "except": {}})
    # Operations' own Deny keeps production-data; every other production-* bucket is theirs.
    assert {(f.principal, f.resource, f.decision) for f in result.failures} == {
        (org.lucas.arn, "arn:aws:storage:::production-*", "Allow"),
        (org.james.arn, "arn:aws:storage:::production-*", "Allow"),
    }


def test_a_may_not_on_a_pattern_finds_a_grant_of_one_resource_within_it(org):
    services.put_inline_policy(
        identity=org.oliver, policy_name="Oops", document=allow("storage:DeleteBucket", PRODUCTION), actor=None
    )
    result = _check(ONLY_OPERATIONS)
    assert [(f.principal, f.action, f.resource, f.decision) for f in result.failures] == [
        (org.oliver.arn, "storage:DeleteBucket", PRODUCTION, "Allow")
    ]


def test_a_may_fails_for_a_missing_grant_and_for_a_missing_principal(org):
    result = _check({**MIA_READS, "principals": {"users": ["henry", "nobody"]}})
    assert {(f.principal, f.decision) for f in result.failures} == {
        (org.henry.arn, "ImplicitDeny"),
        ("user nobody", expectations.NO_SUCH_PRINCIPAL),
    }


def test_a_wildcard_action_stands_for_the_catalogues_actions(org):
    # Henry's SelfService lets him change his own password, so "nothing in iam" fails on it.
    result = _check({"name": "henry-nothing", "principals": {"users": ["henry"]}, "may": False, "actions": "iam:*"})
    actions = {f.action for f in result.failures}
    assert "iam:ChangePassword" in actions
    # Each of SelfService's own-user patterns, asked in this account.
    assert {f.resource for f in result.failures if f.action == "iam:ChangePassword"} == {
        org.henry.arn,
        "arn:aws:iam::123456789012:user/*/henry",
    }
    on_groups = {**result.definition._asdict(), "actions": ("iam:Attach*", "iam:AddUserToGroup")}
    assert expectations.check_all([expectations.Definition(**on_groups)])[0].failures == ()


def test_a_bad_definition_names_every_problem_and_its_place():
    with pytest.raises(ValidationError) as refused:
        expectations.read_definition({"name": "no spaces", "principals": {}, "may": "yes", "actions": [], "x": 1})
    assert refused.value.messages == [
        "the expectation: 'x' is not a field of an expectation "
        "(name, description, principals, except, may, actions, resources, context).",
        "the expectation.name: 'no spaces' is not 1 to 128 letters, digits and +=,.@_-.",
        'the expectation.principals: name at least one user, group or role, or write "*" for anyone.',
        "the expectation.may: true (they may) or false (they may not).",
        "the expectation.actions: at least one.",
    ]


# Every change keeps them


def test_a_change_that_would_allow_lucas_to_delete_the_production_bucket_is_refused(org):
    services.put_access_expectation(definition=LUCAS_KEEPS_PRODUCTION, actor=org.iam_admin)
    policy, editor = org.policies["OperationsStorageAccess"], _editor()
    versions, events = PolicyVersion.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ChangeRefused) as refused:
        rules.perform(
            editor,
            services.create_policy_version,
            policy=policy,
            document=_operations_without_its_deny(),
            set_as_default=True,
        )
    assert "lucas-keeps-production-data" in refused.value.messages[0]
    assert f"{org.lucas.arn}: Allow for storage:DeleteBucket on {PRODUCTION}" in refused.value.messages[0]
    assert (PolicyVersion.objects.count(), AuditEvent.objects.count()) == (versions, events)
    assert AccessExpectation.objects.get().held is True


def test_a_change_that_breaks_nothing_goes_through_and_keeps_the_state(org):
    services.put_access_expectation(definition=LUCAS_KEEPS_PRODUCTION, actor=org.iam_admin)
    rules.perform(_editor(), identity_services.remove_members, group=org.groups["Developers"], users=[org.mia])
    row = AccessExpectation.objects.get()
    assert (row.held, row.failure_count) == (True, 0)


def test_an_actor_allowed_the_override_makes_the_change_and_the_trail_names_what_broke(org):
    services.put_access_expectation(definition=LUCAS_KEEPS_PRODUCTION, actor=org.iam_admin)
    overrider = org.iam_admin  # IAMFullAccess: iam:* and the expectation actions, the override among them
    rules.perform(
        overrider,
        services.create_policy_version,
        policy=org.policies["OperationsStorageAccess"],
        document=_operations_without_its_deny(),
        set_as_default=True,
    )
    event = AuditEvent.objects.get(event_name="OverrideAccessExpectation")
    assert event.actor_arn == overrider.arn
    assert event.target_arn == AccessExpectation.objects.get().arn
    assert event.after["change"] == "create_policy_version"
    assert event.after["broken"][0]["failures"] == [
        {"principal": org.lucas.arn, "action": "storage:DeleteBucket", "resource": PRODUCTION, "decision": "Allow"}
    ]
    row = AccessExpectation.objects.get()
    assert (row.held, row.failure_count) == (False, 1)


def test_an_expectation_already_failing_refuses_only_what_adds_to_it(org):
    inline, _ = services.put_inline_policy(
        identity=org.oliver, policy_name="Oops", document=allow("storage:DeleteBucket", PRODUCTION), actor=None
    )
    services.put_access_expectation(definition=ONLY_OPERATIONS, actor=org.iam_admin)
    assert AccessExpectation.objects.get().held is False
    editor = _editor()
    # Unrelated, and a change that mends it, go through.
    rules.perform(editor, identity_services.remove_members, group=org.groups["AuditTeam"], users=[org.charles])
    with pytest.raises(ChangeRefused):
        rules.perform(
            editor,
            services.put_inline_policy,
            identity=org.mia,
            policy_name="Oops",
            document=allow("storage:DeleteBucket", PRODUCTION),
        )
    rules.perform(editor, services.delete_inline_policy, inline=inline)
    assert AccessExpectation.objects.get().held is True


def test_a_change_made_outside_the_rule_table_is_seen_as_the_state_before_the_next_one(org):
    """The stored state is trusted only at the generation it was checked at."""
    services.put_access_expectation(definition=ONLY_OPERATIONS, actor=org.iam_admin)
    services.put_inline_policy(
        identity=org.oliver, policy_name="Oops", document=allow("storage:DeleteBucket", PRODUCTION), actor=None
    )
    rules.perform(_editor(), identity_services.remove_members, group=org.groups["AuditTeam"], users=[org.charles])
    assert AccessExpectation.objects.get().held is False


# Which expectations a change checks

AUDITORS_KEEP_PRODUCTION = {
    "name": "auditors-keep-production-data",
    "principals": {"groups": ["AuditTeam"]},
    "may": False,
    "actions": ["storage:DeleteBucket"],
    "resources": [PRODUCTION],
}


@pytest.fixture
def evaluated(monkeypatch):
    """The names of the expectations evaluated, each time one is."""
    names: list[str] = []
    check = expectations.evaluation.Checker.check

    def counted(self, definition):
        names.append(definition.name)
        return check(self, definition)

    monkeypatch.setattr(expectations.evaluation.Checker, "check", counted)
    return names


def _store_four(org):
    for definition in (LUCAS_KEEPS_PRODUCTION, MIA_READS, AUDITORS_KEEP_PRODUCTION, ONLY_OPERATIONS):
        services.put_access_expectation(definition=definition, actor=org.iam_admin)


def test_a_change_to_henry_checks_only_the_expectation_about_anyone(org, evaluated):
    _store_four(org)
    editor = _editor()
    services.record_expectation_checks()  # every state found at this generation
    evaluated.clear()
    rules.perform(
        editor,
        services.put_inline_policy,
        identity=org.henry,
        policy_name="Read",
        document=allow("storage:GetObject"),
    )
    # Once, after the change: the state before was found at the generation before.
    assert evaluated == ["only-operations-delete-production-buckets"]
    # Untouched, its state found at the generation before is its state at the one after.
    mia_reads = AccessExpectation.objects.get(name="mia-reads-production-data")
    assert (mia_reads.held, mia_reads.checked_generation) == (True, generation.current())


def test_removing_mia_from_developers_checks_what_is_about_her_and_anyone(org, evaluated):
    _store_four(org)
    editor = _editor()
    evaluated.clear()
    with pytest.raises(ChangeRefused) as refused:
        rules.perform(editor, identity_services.remove_members, group=org.groups["Developers"], users=[org.mia])
    assert [detail["name"] for detail in refused.value.details] == ["mia-reads-production-data"]
    assert sorted(evaluated) == sorted(["mia-reads-production-data", "only-operations-delete-production-buckets"] * 2)


def test_a_policy_of_operations_reaches_lucas_by_name_and_auditteam_through_him(org, evaluated):
    _store_four(org)
    policy, editor = org.policies["OperationsStorageAccess"], _editor()
    evaluated.clear()
    with pytest.raises(ChangeRefused) as refused:
        rules.perform(
            editor,
            services.create_policy_version,
            policy=policy,
            document=_operations_without_its_deny(),
            set_as_default=True,
        )
    broken = {detail["name"] for detail in refused.value.details}
    # lucas is in Operations and AuditTeam: both expectations about him, by name and by group, block it.
    assert broken == {"lucas-keeps-production-data", "auditors-keep-production-data"}
    assert "mia-reads-production-data" not in evaluated
    assert "only-operations-delete-production-buckets" in evaluated


def test_a_request_user_names_that_user_and_its_groups(org):
    """A view passes request.user, a lazy object around the user (an MFA device of one's own)."""
    found = scope_of({"user": SimpleLazyObject(lambda: org.lucas)})
    assert found == Scope(False, frozenset({"lucas"}), frozenset({"operations", "auditteam"}), frozenset())


def test_a_guardrail_may_touch_anyone_so_it_checks_every_expectation(org, evaluated):
    _store_four(org)
    evaluated.clear()
    rules.perform(
        org.root,
        services.save_guardrail,
        guardrail_name="NoBucketDeletes",
        document=document(statement("Deny", "storage:DeleteBucket")),
        level=1,
    )
    assert set(evaluated) == {
        "lucas-keeps-production-data",
        "mia-reads-production-data",
        "auditors-keep-production-data",
        "only-operations-delete-production-buckets",
    }


# The assessment and the escalation report know them


def test_the_assessment_lists_a_failing_expectation_and_not_one_that_holds(org):
    from policies import assessment

    services.put_access_expectation(definition=LUCAS_KEEPS_PRODUCTION, actor=None)
    services.put_access_expectation(definition={**MIA_READS, "principals": {"users": ["henry"]}}, actor=None)
    found = [finding for finding in assessment.assess() if finding.code == "expectation-failing"]
    assert [(finding.entity, finding.arn, finding.fix) for finding in found] == [
        (
            "mia-reads-production-data",
            "arn:aws:iam::123456789012:access-expectation/mia-reads-production-data",
            ("expectations", None),
        )
    ]
    assert found[0].detail == (
        f'"henry may storage:GetObject on {PRODUCTION}/*" does not hold: '
        f"{org.henry.arn}: ImplicitDeny for storage:GetObject on {PRODUCTION}/*."
    )


def _paths_of(name: str) -> list:
    from policies import escalation

    return [path for entry in escalation.escalation_paths() if entry.name == name for path in entry.paths]


def test_deleting_or_overriding_an_expectation_about_oneself_is_an_escalation_route(org):
    services.put_access_expectation(definition={**ONLY_OPERATIONS, "except": {}}, actor=None)
    ivy = identity_services.create_user(username="ivy", actor=None)
    arn = "arn:aws:iam::123456789012:access-expectation/only-operations-delete-production-buckets"
    services.put_inline_policy(
        identity=ivy, policy_name="Lift", document=allow("iamconsole:OverrideAccessExpectation", arn), actor=None
    )
    (path,) = _paths_of("ivy")
    assert (path.kind, path.steps) == ("lift-expectation", (f"iamconsole:OverrideAccessExpectation on {arn}",))


def test_near_miss_an_expectation_that_leaves_one_out(org):
    services.put_access_expectation(definition=ONLY_OPERATIONS, actor=None)
    ivy = identity_services.create_user(username="ivy", actor=None)
    identity_services.add_members(group=org.groups["Operations"], users=[ivy], actor=None)
    lifting = allow(["iamconsole:DeleteAccessExpectation", "iamconsole:OverrideAccessExpectation"])
    services.put_inline_policy(identity=ivy, policy_name="Lift", document=lifting, actor=None)
    assert _paths_of("ivy") == []


def test_near_miss_an_expectation_about_someone_else_or_one_that_they_may(org):
    services.put_access_expectation(definition=LUCAS_KEEPS_PRODUCTION, actor=None)
    services.put_access_expectation(definition={**MIA_READS, "principals": "*"}, actor=None)
    ivy = identity_services.create_user(username="ivy", actor=None)
    lifting = allow(["iamconsole:DeleteAccessExpectation", "iamconsole:OverrideAccessExpectation"])
    services.put_inline_policy(identity=ivy, policy_name="Lift", document=lifting, actor=None)
    assert _paths_of("ivy") == []


def test_a_checked_change_takes_the_generations_row_lock_before_it_writes(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from identities import generation

    services.put_access_expectation(definition=LUCAS_KEEPS_PRODUCTION, actor=None)
    editor = _editor()
    with CaptureQueriesContext(connection) as captured:
        rules.perform(editor, identity_services.remove_members, group=org.groups["AuditTeam"], users=[org.lucas])
    statements = [query["sql"] for query in captured]
    lock = "FOR UPDATE" if connection.vendor == "postgresql" else f"UPDATE {generation.TABLE} SET value = value"
    taken = next(index for index, sql in enumerate(statements) if lock in sql)
    removal = 'DELETE FROM "identities_membership"'
    deleted = next(index for index, sql in enumerate(statements) if sql.startswith(removal))
    assert taken < deleted


def test_the_lock_answers_the_generation(org):
    from django.db import transaction

    from identities import generation

    with transaction.atomic():
        assert generation.lock() == generation.current() != 0
