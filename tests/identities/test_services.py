"""Every service writes exactly one audit event, and none (and nothing else) when it fails."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from identities import services
from identities.audit import AuditEvent
from identities.models import Group, Membership, Role, RoleAssignment, User
from tests import factories

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(User.objects.values_list("username", "path", "tags", "is_active").order_by("pk")),
        list(Group.objects.values_list("group_name", "path", "description").order_by("pk")),
        list(Role.objects.values_list("role_name", "trust_policy", "max_session_duration").order_by("pk")),
        list(Membership.objects.values_list("user_id", "group_id").order_by("pk")),
        list(RoleAssignment.objects.values_list("user_id", "role_id", "expires_at").order_by("pk")),
        AuditEvent.objects.count(),
    )


def events():
    return list(AuditEvent.objects.order_by("id").values_list("event_name", "target_arn", "actor_arn"))


def test_create_user_records_one_event_with_actor_and_target(root):
    user = services.create_user(username="mia", path="/dev/", actor=root)
    assert events() == [("CreateUser", "arn:aws:iam::123456789012:user/dev/mia", "arn:aws:iam::123456789012:root")]
    assert user.has_usable_password() is False


def test_user_names_are_unique_without_regard_to_case(mia):
    before = snapshot()
    with pytest.raises(ValidationError, match="already exists"):
        services.create_user(username="MIA", actor=None)
    assert snapshot() == before


def test_the_database_itself_refuses_names_differing_only_in_case(mia):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="Mia", password="x")


def test_invalid_path_is_refused_and_nothing_changes(root):
    before = snapshot()
    with pytest.raises(ValidationError, match="path"):
        services.create_user(username="oliver", path="no-slashes", actor=root)
    assert snapshot() == before


def test_weak_password_is_refused_and_nothing_changes(root):
    before = snapshot()
    with pytest.raises(ValidationError):
        services.create_user(username="oliver", password="123", actor=root)
    assert snapshot() == before


def test_update_user_records_before_and_after(mia, root):
    services.update_user(user=mia, path="/eu/", actor=root)
    event = AuditEvent.objects.get()
    assert (event.event_name, event.before["path"], event.after["path"]) == ("UpdateUser", "/", "/eu/")


def test_set_password_never_writes_the_hash_to_the_trail(mia, root):
    services.set_password(user=mia, password="a-much-better-secret-9", actor=root)
    event = AuditEvent.objects.get()
    assert event.event_name == "UpdateLoginProfile"
    assert event.after == {"console_access": True}
    assert mia.password not in str(event.before) + str(event.after)


def test_a_user_with_keys_or_groups_is_not_deleted_unless_asked_to_remove_them(mia, developers, root):
    services.add_members(group=developers, users=[mia], actor=root)
    services.create_access_key(user=mia, actor=root)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="while it has its access keys, its group memberships"):
        services.delete_user(user=mia, actor=root)
    assert User.objects.filter(pk=mia.pk).exists() and AuditEvent.objects.count() == before
    services.delete_user(user=mia, actor=root, with_credentials_and_memberships=True)
    names = list(AuditEvent.objects.filter(id__gt=0).order_by("id").values_list("event_name", flat=True))
    assert names[-3:] == ["DeleteAccessKey", "RemoveUserFromGroup", "DeleteUser"]


def test_deleting_a_user_keeps_the_trail_about_them(mia, developers, root):
    services.add_members(group=developers, users=[mia], actor=root)
    services.delete_user(user=mia, actor=root, with_credentials_and_memberships=True)
    event = AuditEvent.objects.order_by("id").last()
    assert (event.event_name, event.target_arn, event.before["username"]) == ("DeleteUser", mia.arn, "mia")
    added, removed = AuditEvent.objects.filter(target_arn__endswith="group/Developers").order_by("id")
    assert (added.event_name, removed.event_name) == ("AddUserToGroup", "RemoveUserFromGroup")
    assert Membership.objects.count() == 0


def test_root_user_cannot_be_deleted(root):
    with pytest.raises(ValidationError, match="root"):
        services.delete_user(user=root, actor=root)
    assert User.objects.filter(pk=root.pk).exists()


def test_a_second_root_user_is_refused(root):
    before = snapshot()
    with pytest.raises(ValidationError, match="already has its root user"):
        services.create_root_user(username="owner2", password="another-long-secret-1", actor=None)
    assert snapshot() == before


def test_the_database_refuses_a_second_root_user(root):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="owner2", is_superuser=True)


def test_add_members_records_one_event_per_user(people, developers, root):
    services.add_members(group=developers, users=[people["mia"], people["oliver"]], actor=root)
    assert [e[0] for e in events()] == ["AddUserToGroup", "AddUserToGroup"]
    assert set(developers.members.values_list("username", flat=True)) == {"mia", "oliver"}
    assert Membership.objects.get(user=people["mia"]).added_by == root


def test_adding_a_member_twice_is_refused_with_a_message(mia, developers, root):
    services.add_members(group=developers, users=[mia], actor=root)
    before = snapshot()
    with pytest.raises(ValidationError, match="already a member"):
        services.add_members(group=developers, users=[mia], actor=root)
    assert snapshot() == before


def test_membership_pairs_are_unique_in_the_database(mia, developers):
    Membership.objects.create(user=mia, group=developers)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=mia, group=developers)


def test_groups_cannot_contain_groups(developers, operations, root):
    before = snapshot()
    with pytest.raises(ValidationError, match="users only"):
        services.add_members(group=developers, users=[operations], actor=root)
    assert snapshot() == before


def test_root_user_joins_no_group(root, developers):
    with pytest.raises(ValidationError, match="root user"):
        services.add_members(group=developers, users=[root], actor=root)
    assert Membership.objects.count() == 0


def test_an_eleventh_group_is_refused_and_nothing_changes(mia, root):
    groups = [factories.GroupFactory() for _ in range(11)]
    for group in groups[:10]:
        services.add_members(group=group, users=[mia], actor=root)
    before = snapshot()
    with pytest.raises(ValidationError, match="already in 10 groups"):
        services.add_members(group=groups[10], users=[mia], actor=root)
    assert snapshot() == before


def test_the_group_quota_is_a_setting(mia, root, settings):
    settings.IAM_MAX_GROUPS_PER_USER = 1
    first, second = factories.GroupFactory(), factories.GroupFactory()
    services.add_members(group=first, users=[mia], actor=root)
    with pytest.raises(ValidationError, match="already in 1 groups"):
        services.add_members(group=second, users=[mia], actor=root)


def test_one_bad_user_refuses_the_whole_batch(people, developers, root):
    services.add_members(group=developers, users=[people["mia"]], actor=root)
    before = snapshot()
    with pytest.raises(ValidationError):
        services.add_members(group=developers, users=[people["oliver"], people["mia"]], actor=root)
    assert snapshot() == before


def test_remove_members_records_one_event_each(people, developers, root):
    services.add_members(group=developers, users=[people["mia"], people["oliver"]], actor=root)
    services.remove_members(group=developers, users=[people["mia"]], actor=root)
    assert [e[0] for e in events()][-1] == "RemoveUserFromGroup"
    assert list(developers.members.values_list("username", flat=True)) == ["oliver"]


def test_removing_a_non_member_is_refused(henry, developers, root):
    before = snapshot()
    with pytest.raises(ValidationError, match="Not a member"):
        services.remove_members(group=developers, users=[henry], actor=root)
    assert snapshot() == before


def test_deleting_a_group_with_members_is_refused_unless_asked(mia, developers, root):
    services.add_members(group=developers, users=[mia], actor=root)
    before = snapshot()
    with pytest.raises(ValidationError, match=r"while it has 1 member \(mia\): remove them first"):
        services.delete_group(group=developers, actor=root)
    assert snapshot() == before
    services.delete_group(group=developers, actor=root, with_members=True)
    assert [e[0] for e in events()][-2:] == ["RemoveUserFromGroup", "DeleteGroup"]


def test_group_names_unique_ignoring_case(developers):
    with pytest.raises(ValidationError, match="already exists"):
        services.create_group(group_name="DEVELOPERS", actor=None)


def test_create_role_validates_session_duration():
    before = snapshot()
    with pytest.raises(ValidationError, match="1 to 12 hours"):
        services.create_role(role_name="Deployer", max_session_duration=43201, actor=None)
    assert snapshot() == before
    role = services.create_role(role_name="Deployer", max_session_duration=43200, actor=None)
    assert events() == [("CreateRole", role.arn, "")]


def test_assign_role_with_expiry_records_it(mia, root):
    role = factories.RoleFactory(role_name="ReleaseManager")
    expiry = timezone.now() + timedelta(days=1)
    assignment = services.assign_role(role=role, user=mia, actor=root, expires_at=expiry)
    assert assignment.is_live() is True
    assert assignment.is_live(at=expiry + timedelta(seconds=1)) is False
    event = AuditEvent.objects.get()
    assert (event.event_name, event.after["expires_at"]) == ("AssignRole", expiry.isoformat())


def test_assignment_pairs_are_unique(mia, root):
    role = factories.RoleFactory()
    services.assign_role(role=role, user=mia, actor=root)
    before = snapshot()
    with pytest.raises(ValidationError, match="already assigned"):
        services.assign_role(role=role, user=mia, actor=root)
    assert snapshot() == before
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(role=role, user=mia)


def test_root_takes_no_role_and_past_expiry_is_refused(root, mia):
    role = factories.RoleFactory()
    with pytest.raises(ValidationError, match="root user"):
        services.assign_role(role=role, user=root, actor=root)
    with pytest.raises(ValidationError, match="future"):
        services.assign_role(role=role, user=mia, actor=root, expires_at=timezone.now() - timedelta(minutes=1))
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("call", "event_name"),
    [
        (lambda ctx: services.update_group(group=ctx["group"], description="x", actor=None), "UpdateGroup"),
        (lambda ctx: services.update_role(role=ctx["role"], description="x", actor=None), "UpdateRole"),
        (
            lambda ctx: services.update_trust_policy(
                role=ctx["role"],
                trust_policy={
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}
                    ],
                },
                actor=None,
            ),
            "UpdateAssumeRolePolicy",
        ),
        (lambda ctx: services.set_user_tags(user=ctx["user"], tags={"team": "dev"}, actor=None), "TagUser"),
        (lambda ctx: services.delete_role(role=ctx["role"], actor=None), "DeleteRole"),
        (lambda ctx: services.unassign_role(role=ctx["role"], user=ctx["assignee"], actor=None), "UnassignRole"),
    ],
)
def test_each_service_writes_exactly_one_event(call, event_name):
    assignee = factories.UserFactory()
    role = factories.RoleFactory()
    RoleAssignment.objects.create(role=role, user=assignee)
    ctx = {"group": factories.GroupFactory(), "role": role, "user": factories.UserFactory(), "assignee": assignee}
    call(ctx)
    assert [e[0] for e in events()] == [event_name]


def test_a_failed_audit_write_leaves_no_change(mia, developers, monkeypatch):
    def broken_record(*args, **kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(services.groups, "record", broken_record)
    with pytest.raises(RuntimeError):
        services.add_members(group=developers, users=[mia], actor=None)
    assert (Membership.objects.count(), AuditEvent.objects.count()) == (0, 0)


def test_a_change_failing_after_its_record_leaves_no_record(mia, monkeypatch):
    def broken_delete(self, *args, **kwargs):
        raise RuntimeError("constraint fired")

    monkeypatch.setattr(User, "delete", broken_delete)
    with pytest.raises(RuntimeError):
        services.delete_user(user=mia, actor=None)
    assert (User.objects.filter(pk=mia.pk).exists(), AuditEvent.objects.count()) == (True, 0)


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused(mia):
    from identities.audit import record

    with pytest.raises(RuntimeError, match="inside the transaction"):
        record("CreateUser", actor=None, target=mia)


def test_the_permissions_generation_is_read_once_per_request_and_again_after_a_change(
    mia, developers, django_assert_num_queries
):
    from identities import generation
    from identities.context import RequestContext, reset_current_context, set_current_context

    token = set_current_context(RequestContext(source_ip="192.0.2.1", secure_transport=True))
    try:
        with generation.forgetting_on_write():  # as the request middleware does
            first = generation.current()
            with django_assert_num_queries(0):
                assert generation.current() == first
            services.add_members(group=developers, users=[mia], actor=None)
            with django_assert_num_queries(1):
                changed = generation.current()
            assert changed != first
    finally:
        reset_current_context(token)
    with django_assert_num_queries(1):  # outside a request: read every time
        assert generation.current() == changed
