"""Managed policies, versions, attachments, inline policies, boundaries: rules and quotas."""

import pytest
from django.core.exceptions import ValidationError

from identities.audit import AuditEvent
from policies import catalogue_data, catalogue_version, services
from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment, PolicyVersion
from tests import factories
from tests.documents import allow

pytestmark = pytest.mark.django_db


def state():
    return (
        list(ManagedPolicy.objects.values_list("policy_name", "next_version_number").order_by("pk")),
        list(PolicyVersion.objects.values_list("policy_id", "number", "is_default", "document").order_by("pk")),
        list(PolicyAttachment.objects.values_list("policy_id", "user_id", "group_id", "role_id").order_by("pk")),
        list(InlinePolicy.objects.values_list("policy_name", "document").order_by("pk")),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def policy():
    created, _ = services.create_policy(policy_name="ReadBuckets", document=allow("storage:Get*"), actor=None)
    return created


def test_a_new_policy_has_v1_as_its_default(policy):
    (version,) = policy.versions.all()
    assert (version.version_id, version.is_default) == ("v1", True)
    assert policy.arn == "arn:aws:iam::123456789012:policy/ReadBuckets"
    assert list(AuditEvent.objects.values_list("event_name", flat=True)) == ["CreatePolicy"]


def test_a_sixth_version_is_refused_with_a_message_to_delete_one(policy):
    for _ in range(4):
        services.create_policy_version(policy=policy, document=allow("storage:List*"), actor=None)
    before = state()
    with pytest.raises(ValidationError, match="already has 5 versions.*Delete a version"):
        services.create_policy_version(policy=policy, document=allow("storage:List*"), actor=None)
    assert state() == before


def test_version_numbers_are_never_reused(policy):
    v2, _ = services.create_policy_version(policy=policy, document=allow("storage:List*"), actor=None)
    services.delete_policy_version(version=v2, actor=None)
    v3, _ = services.create_policy_version(policy=policy, document=allow("storage:List*"), actor=None)
    assert v3.version_id == "v3"


def test_the_default_version_cannot_be_deleted(policy):
    before = state()
    with pytest.raises(ValidationError, match="default version"):
        services.delete_policy_version(version=policy.versions.get(), actor=None)
    assert state() == before


def test_setting_the_default_moves_the_mark(policy):
    v2, _ = services.create_policy_version(policy=policy, document=allow("storage:List*"), actor=None)
    services.set_default_version(version=v2, actor=None)
    assert list(policy.versions.filter(is_default=True).values_list("number", flat=True)) == [2]
    event = AuditEvent.objects.filter(event_name="SetDefaultPolicyVersion").get()
    assert (event.before, event.after) == ({"default": "v1"}, {"default": "v2"})


def test_malformed_json_is_refused_with_its_place_and_nothing_is_stored():
    before = state()
    with pytest.raises(ValidationError) as caught:
        services.create_policy(policy_name="Broken", document='{"Version": "2012-10-17",\n "Statement": [}', actor=None)
    assert "line 2" in caught.value.messages[0]
    assert state() == before


def test_every_structural_error_is_reported():
    text = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allw", "Action": "s3:GetObject", "Resourse": "*"}]}'
    with pytest.raises(ValidationError) as caught:
        services.create_policy(policy_name="Typos", document=text, actor=None)
    messages = " ".join(caught.value.messages)
    assert "Effect" in messages and "Resourse" in messages
    assert len(caught.value.messages) >= 2


def test_warnings_are_returned_and_the_policy_kept():
    policy, findings = services.create_policy(
        policy_name="Broad",
        document={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]},
        actor=None,
    )
    assert policy.pk is not None
    assert any(finding.level.value == "SECURITY_WARNING" for finding in findings)


def test_a_managed_policy_over_6144_characters_is_refused():
    big = allow([f"storage:GetObject{index:05d}" for index in range(400)])
    with pytest.raises(ValidationError):
        services.create_policy(policy_name="Huge", document=big, actor=None)
    assert not ManagedPolicy.objects.filter(policy_name="Huge").exists()


def test_attach_records_the_identity_kinds_event(policy, mia, developers):
    services.attach_policy(policy=policy, identity=mia, actor=None)
    services.attach_policy(policy=policy, identity=developers, actor=None)
    events = list(AuditEvent.objects.values_list("event_name", flat=True).order_by("id"))
    assert events[-2:] == ["AttachUserPolicy", "AttachGroupPolicy"]


def test_attaching_twice_is_refused(policy, mia):
    services.attach_policy(policy=policy, identity=mia, actor=None)
    before = state()
    with pytest.raises(ValidationError, match="already attached"):
        services.attach_policy(policy=policy, identity=mia, actor=None)
    assert state() == before


def test_an_eleventh_attachment_is_refused(mia):
    for index in range(10):
        created, _ = services.create_policy(policy_name=f"P{index}", document=allow("storage:Get*"), actor=None)
        services.attach_policy(policy=created, identity=mia, actor=None)
    extra, _ = services.create_policy(policy_name="P10", document=allow("storage:Get*"), actor=None)
    before = state()
    with pytest.raises(ValidationError, match="already has 10 managed policies"):
        services.attach_policy(policy=extra, identity=mia, actor=None)
    assert state() == before


def test_root_takes_no_policies(policy, root):
    with pytest.raises(ValidationError, match="root user"):
        services.attach_policy(policy=policy, identity=root, actor=None)
    with pytest.raises(ValidationError, match="root user"):
        services.set_permissions_boundary(identity=root, policy=policy, actor=None)


def test_an_attached_policy_is_not_deleted(policy, mia):
    services.attach_policy(policy=policy, identity=mia, actor=None)
    before = state()
    with pytest.raises(ValidationError, match="still attached"):
        services.delete_policy(policy=policy, actor=None)
    assert state() == before


def test_inline_sizes_are_counted_without_white_space_per_identity_kind(mia):
    # 2,048 characters for all of a user's inline policies together.
    padded = allow(["storage:GetObject"], [f"arn:aws:storage:::bucket-{index:04d}/*" for index in range(30)])
    services.put_inline_policy(identity=mia, policy_name="First", document=padded, actor=None)
    before = state()
    with pytest.raises(ValidationError, match="would total .* a user may have 2048"):
        services.put_inline_policy(identity=mia, policy_name="Second", document=padded, actor=None)
    assert state() == before
    group = factories.GroupFactory()
    services.put_inline_policy(identity=group, policy_name="First", document=padded, actor=None)
    services.put_inline_policy(identity=group, policy_name="Second", document=padded, actor=None)
    assert InlinePolicy.objects.filter(group=group).count() == 2


def test_white_space_does_not_count_towards_the_size(mia):
    compact = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"storage:GetObject","Resource":"*"}]}'
    spaced = compact.replace(",", ",\n" + " " * 3000)
    services.put_inline_policy(identity=mia, policy_name="Spaced", document=spaced, actor=None)
    assert InlinePolicy.objects.get().document["Statement"][0]["Action"] == "storage:GetObject"


def test_putting_an_inline_policy_again_replaces_it(mia):
    services.put_inline_policy(identity=mia, policy_name="Mine", document=allow("storage:Get*"), actor=None)
    services.put_inline_policy(identity=mia, policy_name="Mine", document=allow("storage:List*"), actor=None)
    assert list(InlinePolicy.objects.values_list("document__Statement__0__Action", flat=True)) == ["storage:List*"]
    assert list(AuditEvent.objects.values_list("event_name", flat=True)) == ["PutUserPolicy", "PutUserPolicy"]


def test_built_in_policies_are_read_only(builtins):
    admin_policy = ManagedPolicy.objects.get(policy_name="AdministratorAccess")
    assert admin_policy.arn == "arn:aws:iam::aws:policy/AdministratorAccess"
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.create_policy_version(policy=admin_policy, document=allow("*"), actor=None)
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.delete_policy(policy=admin_policy, actor=None)


def test_the_builtin_loader_is_idempotent(builtins):
    from policies.builtins import load_builtins
    from policies.models import CatalogAction, Guardrail

    counts = (ManagedPolicy.objects.count(), CatalogAction.objects.count(), Guardrail.objects.count())
    load_builtins()
    assert (ManagedPolicy.objects.count(), CatalogAction.objects.count(), Guardrail.objects.count()) == counts
    assert Guardrail.objects.get().guardrail_name == "FullAccess"


def test_unknown_actions_are_a_warning_once_the_catalogue_is_loaded(builtins):
    _, findings = services.create_policy(policy_name="Typo", document=allow("iam:CreateUsr"), actor=None)
    assert any(finding.code == "UNKNOWN_ACTION" and "createusr" in finding.message.lower() for finding in findings)


def test_validation_reads_the_catalogue_as_the_data_gives_it(db):
    from_database = services.validation_catalogue()
    from_data = catalogue_data.validation_catalogue()
    assert from_database["catalogue"].keys() == from_data["catalogue"].keys()
    assert {action: set(keys) for action, keys in from_database["action_keys"].items()} == {
        action: set(keys) for action, keys in from_data["action_keys"].items()
    }
    assert from_database["key_types"] == from_data["key_types"]


def test_a_service_key_on_an_action_that_has_not_got_it_is_a_warning_when_saved(mia):
    condition = {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}
    _, findings = services.create_policy(
        policy_name="KeyOnTheWrongAction", document=allow("iam:CreateUser", "*", condition), actor=None
    )
    assert [(f.level.value, f.code) for f in findings] == [("WARNING", "UNKNOWN_CONDITION_KEY")]
    _, findings = services.create_policy(
        policy_name="KeyOnItsAction", document=allow("iam:AttachUserPolicy", "*", condition), actor=None
    )
    assert findings == []


def test_validation_reads_catalogue_rows_whatever_json_the_admin_typed(db):
    from policies.models import CatalogAction, CatalogResourceType, CatalogService

    service = CatalogService.objects.create(prefix="billing", name="Billing")
    CatalogResourceType.objects.create(service=service, name="invoice", arn_pattern="x", condition_keys={"a": 1})
    CatalogAction.objects.create(
        service=service, name="Pay", access_level="Write", resource_types=[{"x": 1}, "invoice"], condition_keys=7
    )
    CatalogAction.objects.create(
        service=service, name="Refund", access_level="Write", resource_types="invoice", condition_keys="billing:Amount"
    )
    CatalogAction.objects.create(
        service=service, name="Void", access_level="Write", condition_keys=[1, None, "billing:Reason"]
    )
    catalogue_version.renew()  # as every write of catalogue rows does
    action_keys = services.validation_catalogue()["action_keys"]
    # Each action also takes the keys the server sets on every request (iamconsole:Interface).
    assert (action_keys["billing:pay"], action_keys["billing:refund"], action_keys["billing:void"]) == (
        ["iamconsole:Interface"],
        ["billing:Amount", "iamconsole:Interface"],
        ["billing:Reason", "iamconsole:Interface"],
    )
    condition = {"StringEquals": {"billing:Reason": "duplicate"}}
    _, findings = services.create_policy(
        policy_name="Voids", document=allow("billing:Void", "*", condition), actor=None
    )
    assert findings == []


def test_a_saved_policys_findings_name_its_actions_and_services_as_written(builtins):
    _, findings = services.create_policy(
        policy_name="AsWritten", document=allow(["Storage:GetObjectt", "Billing:Pay", "billing:Refund"]), actor=None
    )
    assert sorted(finding.message for finding in findings) == [
        "'Storage:GetObjectt' is not in the catalogue",
        "no action of service 'Billing' is in the catalogue (2 actions named here: Billing:Pay, billing:Refund)",
    ]
