"""Change previews (policies.preview): who gains and who loses what, and that the preview
agrees with what the change really does."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.models import Membership
from policies import authorization, preview, services
from policies.models import PolicyAttachment
from tests.documents import document, statement

pytestmark = pytest.mark.django_db

ACCOUNT = "123456789012"


def arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


def changes_of(found: preview.Preview, name: str, kind: str) -> set[tuple[str, str]]:
    effect = found.effect_of(arn("user", name))
    return {(change.action, change.resource) for change in effect.of(kind)} if effect else set()


def decisions(names, actions, resources) -> dict:
    """Each person's outcome for each action and resource, as the one door decides it now."""
    authorization.clear_caches()
    return {
        (name, action, resource): authorization.decide(authorization.layers_of(_user(name)), action, resource).outcome
        for name in names
        for action in actions
        for resource in resources
    }


def _user(name):
    from identities.models import User

    return User.objects.get(username=name)


def test_attaching_administrator_access_to_developers_names_each_developer_and_what_they_gain(org):
    developers, admin = org.groups["Developers"], org.policies["AdministratorAccess"]
    found = preview.preview(org.iam_admin, services.attach_policy, identity=developers, policy=admin)
    shown = {effect.arn for effect in found.shown}
    assert shown == {arn("user", name) for name in ("mia", "oliver", "charles")}
    for name in ("mia", "oliver", "charles"):
        gains = changes_of(found, name, "gains")
        assert ("iam:CreateUser", "*") in gains
        assert ("storage:DeleteBucket", "*") in gains
        assert changes_of(found, name, "loses") == set()
    # Charles already read everything through AuditTeam: reading is no gain of his.
    assert ("storage:GetObject", "*") not in changes_of(found, "charles", "gains")
    assert ("iam:GetUser", "*") in changes_of(found, "oliver", "gains")
    assert found.hidden == 0
    assert found.seconds > 0


def test_the_preview_leaves_nothing_behind(org):
    developers, admin = org.groups["Developers"], org.policies["AdministratorAccess"]
    events = AuditEvent.objects.count()
    preview.preview(org.iam_admin, services.attach_policy, identity=developers, policy=admin)
    assert not PolicyAttachment.objects.filter(group=developers, policy=admin).exists()
    assert AuditEvent.objects.count() == events


def test_removing_lucas_from_operations_lists_what_he_loses(org):
    operations = org.groups["Operations"]
    found = preview.preview(org.iam_admin, identity_services.remove_members, group=operations, users=[org.lucas])
    assert [effect.arn for effect in found.shown] == [arn("user", "lucas")]
    loses = changes_of(found, "lucas", "loses")
    assert ("storage:PutObject", "*") in loses
    assert ("storage:DeleteBucket", "*") in loses
    # AuditTeam's ReadOnlyAccess still lets him read.
    assert ("storage:GetObject", "*") not in loses
    assert changes_of(found, "lucas", "gains") == set()
    assert Membership.objects.filter(group=operations, user=org.lucas).exists()


def test_the_preview_agrees_with_the_change_once_made(org):
    developers, admin = org.groups["Developers"], org.policies["AdministratorAccess"]
    names = ("mia", "oliver", "charles", "lucas", "henry")
    actions = ("iam:CreateUser", "storage:DeleteBucket", "storage:GetObject", "storage:PutObject")
    resources = ("*", "arn:aws:storage:::production-data", "arn:aws:storage:::dev-app")
    found = preview.preview(
        org.iam_admin, services.attach_policy, identity=developers, policy=admin, resources=resources[1:]
    )
    before = decisions(names, actions, resources)
    services.attach_policy(identity=developers, policy=admin, actor=org.iam_admin)
    after = decisions(names, actions, resources)
    moved = {key for key in before if before[key] != after[key]}
    predicted = {
        (name, change.action, change.resource)
        for name in names
        for change in (found.effect_of(arn("user", name)).changes if found.effect_of(arn("user", name)) else ())
        if change.action in actions and change.resource in resources
    }
    assert moved == predicted
    assert moved  # the change did move something


def test_a_viewer_sees_only_the_principals_they_may_simulate(org):
    """dev-admin may add to Developers but simulate no one: every principal is counted."""
    found = preview.preview(
        org.dev_admin, identity_services.add_members, group=org.groups["Developers"], users=[org.henry]
    )
    assert found.shown == []
    assert found.hidden == 1


def test_a_change_the_actor_may_not_make_is_refused_as_the_change_would_be(org):
    with pytest.raises(PermissionDenied):
        preview.preview(
            org.mia,
            services.attach_policy,
            identity=org.groups["Developers"],
            policy=org.policies["AdministratorAccess"],
        )


def test_a_change_the_service_refuses_is_refused_with_its_reason(org):
    with pytest.raises(ValidationError):
        preview.preview(org.iam_admin, identity_services.add_members, group=org.groups["Developers"], users=[org.mia])


def test_a_condition_is_shown_in_words_not_guessed_away(org):
    needs_mfa = document(
        statement("Allow", "storage:DeleteBucket", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    )
    policy, _ = services.create_policy(policy_name="DeleteWithMFA", document=needs_mfa, actor=None)
    found = preview.preview(org.iam_admin, services.attach_policy, identity=org.henry, policy=policy)
    (change,) = found.effect_of(arn("user", "henry")).of("gains")
    assert (change.action, change.resource) == ("storage:DeleteBucket", "*")
    assert change.after == ("aws:MultiFactorAuthPresent is true",)


def test_a_deleted_user_loses_everything_they_had(org):
    found = preview.preview(
        org.iam_admin,
        identity_services.delete_user,
        user=org.james,
        with_credentials_and_memberships=True,
        with_policies=True,
    )
    loses = changes_of(found, "james", "loses")
    assert ("storage:PutObject", "*") in loses
    assert changes_of(found, "james", "gains") == set()


def test_a_new_assignment_gains_the_role(org):
    role = org.roles["ReleaseManager"]
    found = preview.preview(org.iam_admin, identity_services.assign_role, role=role, user=org.oliver)
    assert changes_of(found, "oliver", "gains") == {("sts:AssumeRole", role.arn)}


def test_a_save_after_a_preview_is_refused_once_the_permissions_moved(org):
    from django.db import transaction

    from identities import generation
    from identities.console import refuse_stale_preview as refuse_stale

    developers, admin = org.groups["Developers"], org.policies["AdministratorAccess"]
    found = preview.preview(org.iam_admin, services.attach_policy, identity=developers, policy=admin)
    with transaction.atomic():
        refuse_stale(found.generation)  # nothing moved since: the save may go on
        assert generation.lock() == found.generation
    identity_services.add_members(group=org.groups["Operations"], users=[org.henry], actor=None)
    with pytest.raises(ValidationError, match="The preview is stale; preview again."), transaction.atomic():
        refuse_stale(found.generation)
