"""Deleting a user, group or role that has policies: refused as AWS refuses it (DeleteConflict)
unless asked to remove them first, each removal with its own audit record, in the console and
the admin only with the actions that remove them."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.models import Group, Role, User
from policies import services
from policies.models import InlinePolicy, PermissionBoundary, PolicyAttachment
from tests.documents import allow, document, statement

pytestmark = pytest.mark.django_db

ACCOUNT = "123456789012"
KINDS = {"user": "User", "group": "Group", "role": "Role"}
MODELS = {"user": User, "group": Group, "role": Role}


def state() -> tuple:
    """Everything a refused deletion must leave as it was."""
    return (
        sorted(User.objects.values_list("username", flat=True)),
        sorted(Group.objects.values_list("group_name", flat=True)),
        sorted(Role.objects.values_list("role_name", flat=True)),
        sorted(PolicyAttachment.objects.values_list("policy__policy_name", "user_id", "group_id", "role_id"), key=str),
        sorted(InlinePolicy.objects.values_list("policy_name", "user_id", "group_id", "role_id"), key=str),
        sorted(PermissionBoundary.objects.values_list("policy__policy_name", "user_id", "role_id"), key=str),
        AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count(),
    )


def events_about(identity) -> list[str]:
    return list(AuditEvent.objects.filter(target_arn=identity.arn).order_by("id").values_list("event_name", flat=True))


@pytest.fixture
def reader(db):
    return services.create_policy(policy_name="Reader", document=allow("storage:Get*"), actor=None)[0]


@pytest.fixture
def fence(db):
    return services.create_policy(policy_name="Fence", document=allow("storage:*"), actor=None)[0]


def identity_with_policies(kind: str, reader, fence):
    """Nora, Team or Deployer with Reader attached, an inline policy Notes and, but for the group, Fence as boundary."""
    if kind == "user":
        identity = identity_services.create_user(username="nora", actor=None)
    elif kind == "group":
        identity = identity_services.create_group(group_name="Team", actor=None)
    else:
        identity = identity_services.create_role(role_name="Deployer", actor=None)
    services.attach_policy(policy=reader, identity=identity, actor=None)
    services.put_inline_policy(identity=identity, policy_name="Notes", document=allow("storage:List*"), actor=None)
    if kind != "group":
        services.set_permissions_boundary(identity=identity, policy=fence, actor=None)
    return identity


def delete(kind: str, identity, *, with_policies: bool) -> None:
    if kind == "user":
        identity_services.delete_user(
            user=identity, actor=None, with_credentials_and_memberships=True, with_policies=with_policies
        )
    elif kind == "group":
        identity_services.delete_group(group=identity, actor=None, with_members=True, with_policies=with_policies)
    else:
        identity_services.delete_role(role=identity, actor=None, with_policies=with_policies)


def removal_events(kind: str) -> list[str]:
    title = KINDS[kind]
    removals = [f"Detach{title}Policy", f"Delete{title}Policy"]
    if kind != "group":
        removals.append(f"Delete{title}PermissionsBoundary")
    return [*removals, f"Delete{title}"]


# The services


@pytest.mark.parametrize("kind", KINDS)
def test_an_identity_with_policies_is_not_deleted_unless_asked_to_remove_them(kind, reader, fence):
    identity = identity_with_policies(kind, reader, fence)
    before = state()
    conflict = "while it has managed policy Reader, inline policy Notes: remove them first"
    with pytest.raises(ValidationError, match=conflict) as error:
        delete(kind, identity, with_policies=False)
    assert error.value.code == "delete_conflict"
    assert state() == before


@pytest.mark.parametrize("kind", KINDS)
def test_asked_to_remove_them_each_removal_is_recorded_before_the_deletion(kind, reader, fence):
    identity = identity_with_policies(kind, reader, fence)
    created = len(events_about(identity))
    delete(kind, identity, with_policies=True)
    assert events_about(identity)[created:] == removal_events(kind)
    detached = AuditEvent.objects.get(event_name=f"Detach{KINDS[kind]}Policy")
    assert detached.before == {"policy": reader.arn}
    assert not MODELS[kind].objects.exists()
    assert not (
        PolicyAttachment.objects.exists() or InlinePolicy.objects.exists() or PermissionBoundary.objects.exists()
    )


@pytest.mark.parametrize("kind", ["user", "role"])
def test_a_boundary_alone_does_not_block_the_deletion_but_its_removal_is_recorded(kind, fence):
    identity = (
        identity_services.create_user(username="nora", actor=None)
        if kind == "user"
        else identity_services.create_role(role_name="Deployer", actor=None)
    )
    services.set_permissions_boundary(identity=identity, policy=fence, actor=None)
    delete(kind, identity, with_policies=False)
    title = KINDS[kind]
    assert events_about(identity)[-2:] == [f"Delete{title}PermissionsBoundary", f"Delete{title}"]
    assert not PermissionBoundary.objects.exists()


def test_a_deletion_failing_at_its_last_step_leaves_every_policy_and_no_record(reader, fence, monkeypatch):
    team = identity_with_policies("group", reader, fence)
    before = state()

    def broken_delete(self, *args, **kwargs):
        raise RuntimeError("constraint fired")

    monkeypatch.setattr(Group, "delete", broken_delete)
    with pytest.raises(RuntimeError):
        delete("group", team, with_policies=True)
    assert state() == before


def test_identities_never_imports_policies():
    import ast
    from pathlib import Path

    import identities

    root = Path(identities.__file__).parent
    imported = set()
    for source in root.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
    assert not {name for name in imported if name == "policies" or name.startswith("policies.")}


# The console's delete pages and the admin


def delegate(*actions: str, name: str = "dana") -> Client:
    """A delegated administrator allowed to read and delete identities and, besides, `actions`."""
    delegated = identity_services.create_user(username=name, actor=None)
    reading = statement("Allow", ["iam:List*", "iam:Get*", "iam:DeleteUser", "iam:DeleteGroup", "iam:DeleteRole"])
    statements = [reading, *([statement("Allow", list(actions))] if actions else [])]
    services.put_inline_policy(identity=delegated, policy_name="Delete", document=document(*statements), actor=None)
    client = Client()
    client.force_login(delegated)
    return client


def removal_actions(kind: str) -> list[str]:
    title = KINDS[kind]
    actions = [f"iam:Detach{title}Policy", f"iam:Delete{title}Policy"]
    if kind != "group":
        actions.append(f"iam:Delete{title}PermissionsBoundary")
    return actions


def console_url(kind: str, identity) -> str:
    return reverse(f"identities:{kind}-delete", args=[identity.pk])


def admin_url(kind: str, identity) -> str:
    return reverse(f"admin:identities_{kind}_delete", args=[identity.pk])


@pytest.mark.parametrize("kind", KINDS)
def test_the_console_delete_page_lists_the_policies_it_will_remove(kind, reader, fence):
    identity = identity_with_policies(kind, reader, fence)
    page = delegate(*removal_actions(kind)).get(console_url(kind, identity)).content.decode()
    assert "What stands in the way" in page
    assert "managed policy Reader" in page and "inline policy Notes" in page
    assert ("permission boundary Fence" in page) is (kind != "group")
    assert "Your policies do not allow" not in page


@pytest.mark.parametrize(("kind", "missing"), [(kind, action) for kind in KINDS for action in removal_actions(kind)])
def test_without_an_action_that_removes_a_policy_the_console_refuses_and_changes_nothing(kind, missing, reader, fence):
    identity = identity_with_policies(kind, reader, fence)
    client = delegate(*(action for action in removal_actions(kind) if action != missing))
    page = client.get(console_url(kind, identity)).content.decode()
    assert f"Your policies do not allow: {missing}" in page
    before = state()
    assert client.post(console_url(kind, identity)).status_code == 403
    assert state() == before


@pytest.mark.parametrize("kind", KINDS)
def test_detaching_is_asked_with_the_policys_arn(kind, reader, fence):
    identity = identity_with_policies(kind, reader, fence)
    detach, others = removal_actions(kind)[0], removal_actions(kind)[1:]
    only_fence = delegate(*others, name="fay")
    services.put_inline_policy(
        identity=User.objects.get(username="fay"),
        policy_name="Detach",
        document=allow(detach, condition={"ArnEquals": {"iam:PolicyARN": fence.arn}}),
        actor=None,
    )
    before = state()
    assert only_fence.post(console_url(kind, identity)).status_code == 403
    assert state() == before
    only_reader = delegate(*others, name="dana")
    services.put_inline_policy(
        identity=User.objects.get(username="dana"),
        policy_name="Detach",
        document=allow(detach, condition={"ArnEquals": {"iam:PolicyARN": reader.arn}}),
        actor=None,
    )
    assert only_reader.post(console_url(kind, identity)).status_code == 302
    assert not MODELS[kind].objects.filter(pk=identity.pk).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_with_every_action_the_console_removes_the_policies_and_deletes(kind, reader, fence):
    identity = identity_with_policies(kind, reader, fence)
    client = delegate(*removal_actions(kind))
    created = len(events_about(identity))
    assert client.post(console_url(kind, identity)).status_code == 302
    assert events_about(identity)[created:] == removal_events(kind)
    assert not MODELS[kind].objects.filter(pk=identity.pk).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_the_admin_names_the_missing_action_and_refuses_the_deletion(kind, reader, fence):
    identity = identity_with_policies(kind, reader, fence)
    actions = removal_actions(kind)
    client = delegate(*actions[1:])
    confirm = client.get(admin_url(kind, identity))
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Reader" in page and actions[0] in page
    before = state()
    assert client.post(admin_url(kind, identity), {"post": "yes"}).status_code == 403
    assert state() == before


@pytest.mark.parametrize("kind", KINDS)
def test_with_every_action_the_admin_removes_the_policies_and_deletes(kind, reader, fence):
    identity = identity_with_policies(kind, reader, fence)
    client = delegate(*removal_actions(kind))
    created = len(events_about(identity))
    assert client.post(admin_url(kind, identity), {"post": "yes"}).status_code == 302
    assert events_about(identity)[created:] == removal_events(kind)
    assert not MODELS[kind].objects.filter(pk=identity.pk).exists()
