"""Freshness is enforced, not remembered: every write that can alter a decision renews the
permissions generation in its own transaction, whichever way it is made, and a write that
cannot alter one leaves it (identities.generation's triggers)."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone
from django_otp.oath import totp

from identities import generation
from identities import services as identity_services
from identities.credentials import AccessKey
from identities.models import Membership, User
from policies import catalogue_data, services
from policies.models import CatalogAction, CatalogService, Guardrail, PolicyAttachment
from tests import factories
from tests.documents import allow, deny

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(builtins):
    """ana in Team (which has Reader attached), Deployer trusting ana, an unattached policy."""
    ana = identity_services.create_user(username="ana", password="a-long-passphrase-42", actor=None)
    team = identity_services.create_group(group_name="Team", actor=None)
    identity_services.add_members(group=team, users=[ana], actor=None)
    reader, _ = services.create_policy(policy_name="Reader", document=allow("storage:Get*"), actor=None)
    services.attach_policy(policy=reader, identity=team, actor=None)
    spare, _ = services.create_policy(policy_name="Spare", document=allow("storage:List*"), actor=None)
    deployer = identity_services.create_role(
        role_name="Deployer", actor=None, trust_policy=_trusting("arn:aws:iam::123456789012:user/ana")
    )
    key, _ = identity_services.create_access_key(user=ana, actor=None)
    service = services.save_catalog_service(prefix="billing", name="Billing", actor=None)
    return SimpleNamespace(ana=ana, team=team, reader=reader, spare=spare, deployer=deployer, key=key, service=service)


def _trusting(arn: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sts:AssumeRole"}],
    }


def _provider():
    return identity_services.create_oidc_provider(url="https://ci.example.org", client_ids=["a"], actor=None)


def _session(w):
    session, _, _ = identity_services.start_role_session(
        role=w.deployer, user=w.ana, session_name="ana", duration=900, source="api", actor=None
    )
    return session


_AWS_QUEUE = catalogue_data.Service(
    prefix="queue",
    name="A queue service",
    actions=(catalogue_data.Action("SendMessage", "Write", ("queue",), ("queue:Size",)),),
    resource_types=(catalogue_data.ResourceType("queue", "arn:${Partition}:queue:::${QueueName}"),),
    condition_keys=(("queue:Size", "Numeric"),),
)

_EXPECTATION = {"name": "ana-reads", "principals": {"users": ["ana"]}, "may": True, "actions": "storage:GetObject"}

# Each change, and whether it can alter a decision.
RENEWS = {
    "create_root_user": lambda w: identity_services.create_root_user(username="owner", password=None, actor=None),
    "create_user": lambda w: identity_services.create_user(username="bo", actor=None),
    "create_console_user": lambda w: identity_services.create_console_user(username="bo", actor=None),
    "update_user": lambda w: identity_services.update_user(user=w.ana, username="ana2", actor=None),
    "set_user_tags": lambda w: identity_services.set_user_tags(user=w.ana, tags={"team": "a"}, actor=None),
    "delete_user": lambda w: identity_services.delete_user(
        user=w.ana, actor=None, with_credentials_and_memberships=True, with_policies=True
    ),
    "update_group": lambda w: identity_services.update_group(group=w.team, group_name="Team2", actor=None),
    "delete_group": lambda w: identity_services.delete_group(
        group=w.team, actor=None, with_members=True, with_policies=True
    ),
    "add_members": lambda w: identity_services.add_members(
        group=w.team, users=[factories.UserFactory(username="cy")], actor=None
    ),
    "remove_members": lambda w: identity_services.remove_members(group=w.team, users=[w.ana], actor=None),
    "remove_members_made_by": lambda w: (
        identity_services.add_members(
            group=w.team, users=[factories.UserFactory(username="cy")], actor=None, source="scim", source_ref="cy"
        ),
        _renewed_by(lambda: identity_services.remove_members_made_by(source="scim", source_ref="cy", actor=None)),
    ),
    "remove_expired": lambda w: (
        Membership.objects.filter(user=w.ana).update(expires_at=timezone.now() + timedelta(seconds=1)),
        _renewed_by(lambda: identity_services.remove_expired(at=timezone.now() + timedelta(seconds=2), actor=None)),
    ),
    "create_role": lambda w: identity_services.create_role(role_name="Other", actor=None),
    "update_role": lambda w: identity_services.update_role(role=w.deployer, tags={"tier": "1"}, actor=None),
    "update_trust_policy": lambda w: identity_services.update_trust_policy(
        role=w.deployer, trust_policy=_trusting("123456789012"), actor=None
    ),
    "update_role_and_trust_policy": lambda w: identity_services.update_role_and_trust_policy(
        role=w.deployer, trust_policy=_trusting("123456789012"), actor=None
    ),
    "delete_role": lambda w: identity_services.delete_role(role=w.deployer, actor=None, with_policies=True),
    "assign_role": lambda w: identity_services.assign_role(role=w.deployer, user=w.ana, actor=None),
    "assign_role_to_users": lambda w: identity_services.assign_role_to_users(
        role=w.deployer, users=[w.ana], actor=None
    ),
    "unassign_role": lambda w: (
        identity_services.assign_role(role=w.deployer, user=w.ana, actor=None),
        _renewed_by(lambda: identity_services.unassign_role(role=w.deployer, user=w.ana, actor=None)),
    ),
    "attach_policy": lambda w: services.attach_policy(policy=w.spare, identity=w.ana, actor=None),
    "attach_new_user_policies": lambda w: services.attach_new_user_policies(user=w.ana, actor=None),
    "detach_policy": lambda w: services.detach_policy(policy=w.reader, identity=w.team, actor=None),
    "put_inline_policy": lambda w: services.put_inline_policy(
        identity=w.ana, policy_name="Own", document=allow("iam:GetUser"), actor=None
    ),
    "delete_inline_policy": lambda w: _renewed_by(
        lambda: services.delete_inline_policy(
            inline=services.put_inline_policy(
                identity=w.ana, policy_name="Own", document=allow("iam:GetUser"), actor=None
            )[0],
            actor=None,
        )
    ),
    "remove_identity_policies": lambda w: services.remove_identity_policies(identity=w.team, actor=None),
    "replace_policies": lambda w: services.replace_policies(
        identity=w.team, policy_name="Drafted", document=allow("storage:GetObject"), replaced=[w.reader], actor=None
    ),
    "set_permissions_boundary": lambda w: services.set_permissions_boundary(identity=w.ana, policy=w.spare, actor=None),
    "delete_permissions_boundary": lambda w: (
        services.set_permissions_boundary(identity=w.ana, policy=w.spare, actor=None),
        _renewed_by(lambda: services.delete_permissions_boundary(identity=w.ana, actor=None)),
    ),
    "create_policy_version": lambda w: services.create_policy_version(
        policy=w.reader, document=allow("storage:*"), set_as_default=True, actor=None
    ),
    "set_default_version": lambda w: services.set_default_version(
        version=services.create_policy_version(policy=w.reader, document=allow("storage:*"), actor=None)[0],
        actor=None,
    ),
    "import_policy_versions": lambda w: services.import_policy_versions(
        policy=w.reader, versions=[(1, allow("storage:*"))], default_number=1, actor=None
    ),
    "delete_policy": lambda w: services.delete_policy(policy=w.reader, actor=None, detach_everywhere=True),
    "save_guardrail": lambda w: services.save_guardrail(guardrail_name="NoDelete", document=deny("s:D"), actor=None),
    "delete_guardrail": lambda w: _renewed_by(
        lambda: services.delete_guardrail(
            guardrail=services.save_guardrail(guardrail_name="NoDelete", document=deny("s:D"), actor=None)[0],
            actor=None,
        )
    ),
}

LEAVES = {
    "set_identity_dates": lambda w: identity_services.set_identity_dates(
        identity=w.deployer,
        created_at=timezone.now() - timedelta(days=400),
        last_used_at=timezone.now() - timedelta(days=3),
        last_used_region="eu-west-1",
        actor=None,
    ),
    "reset_root_user": lambda w: (
        identity_services.create_root_user(username="owner", password=None, actor=None),
        _renewal_left_by(lambda: identity_services.reset_root_user(password="an-operators-new-pass-9")),
    ),
    "create_group": lambda w: identity_services.create_group(group_name="Empty", actor=None),
    "set_password": lambda w: identity_services.set_password(user=w.ana, password="another-pass-phrase-7", actor=None),
    "require_password_reset": lambda w: identity_services.require_password_reset(user=w.ana, actor=None),
    "set_mfa_required": lambda w: identity_services.set_mfa_required(user=w.ana, required=True, actor=None),
    "update_password_policy": lambda w: identity_services.update_password_policy(actor=None, minimum_length=20),
    "record_console_login": lambda w: identity_services.record_console_login(user=w.ana, outcome="Success"),
    "verify_sign_in_code": lambda w: identity_services.verify_sign_in_code(user=w.ana, code="000000"),
    "create_virtual_mfa_device": lambda w: identity_services.create_virtual_mfa_device(user=w.ana, actor=None),
    "enable_mfa_device": lambda w: _enabled_device(w),
    "remove_mfa_device": lambda w: (
        _enabled_device(w),
        identity_services.remove_mfa_device(user=w.ana, actor=None),
    ),
    "create_access_key": lambda w: identity_services.create_access_key(user=w.ana, actor=None),
    "reseal_credential_secrets": lambda w: identity_services.reseal_credential_secrets(system_user="operator"),
    "update_access_key": lambda w: identity_services.update_access_key(key=w.key, status="Inactive", actor=None),
    "delete_access_key": lambda w: identity_services.delete_access_key(key=w.key, actor=None),
    "note_key_use": lambda w: identity_services.note_key_use(key=AccessKey.objects.get(pk=w.key.pk), service="sts"),
    "start_console_session": lambda w: identity_services.start_console_session(user=w.ana, mfa_used=False),
    "note_console_session_use": lambda w: identity_services.note_console_session_use(
        session_id=identity_services.start_console_session(user=w.ana, mfa_used=False).pk, at=timezone.now()
    ),
    "end_console_session": lambda w: identity_services.end_console_session(
        session=identity_services.start_console_session(user=w.ana, mfa_used=False), actor=None
    ),
    "end_console_sessions": lambda w: (
        identity_services.start_console_session(user=w.ana, mfa_used=False),
        identity_services.end_console_sessions(user=w.ana, actor=None),
    ),
    "start_role_session": _session,
    "start_web_identity_session": lambda w: identity_services.start_web_identity_session(
        role=w.deployer, provider=_provider(), claims={"sub": "s"}, session_name="ci", duration=900
    ),
    # A provider is no input of a compiled decision: its client IDs are checked on the token.
    "create_oidc_provider": lambda w: _provider(),
    "delete_oidc_provider": lambda w: identity_services.delete_oidc_provider(provider=_provider(), actor=None),
    "add_client_id": lambda w: identity_services.add_client_id(provider=_provider(), client_id="b", actor=None),
    "remove_client_id": lambda w: identity_services.remove_client_id(provider=_provider(), client_id="a", actor=None),
    "tag_oidc_provider": lambda w: identity_services.tag_oidc_provider(
        provider=_provider(), tags={"team": "ci"}, actor=None
    ),
    "untag_oidc_provider": lambda w: identity_services.untag_oidc_provider(
        provider=_provider(), keys=["team"], actor=None
    ),
    "end_role_session": lambda w: identity_services.end_role_session(session=_session(w), actor=None),
    "revoke_role_sessions": lambda w: identity_services.revoke_role_sessions(user=w.ana, actor=None),
    "update_group description": lambda w: identity_services.update_group(group=w.team, description="x", actor=None),
    "update_role description": lambda w: identity_services.update_role(
        role=w.deployer, description="x", max_session_duration=7200, actor=None
    ),
    "create_policy": lambda w: services.create_policy(policy_name="New", document=allow("s:A"), actor=None),
    "import_managed_policy": lambda w: services.import_managed_policy(
        policy_name="Imported", path="/", versions=[(1, allow("s:A"))], default_number=1, actor=None
    ),
    "create_policy_version not default": lambda w: services.create_policy_version(
        policy=w.reader, document=allow("storage:*"), actor=None
    ),
    "delete_policy_version": lambda w: services.delete_policy_version(
        version=services.create_policy_version(policy=w.reader, document=allow("storage:*"), actor=None)[0],
        actor=None,
    ),
    "set_default_version of an unattached policy": lambda w: services.set_default_version(
        version=services.create_policy_version(policy=w.spare, document=allow("storage:*"), actor=None)[0],
        actor=None,
    ),
    "update_policy": lambda w: services.update_policy(policy=w.reader, description="x", actor=None),
    "delete_policy unattached": lambda w: services.delete_policy(policy=w.spare, actor=None),
    "save_catalog_service": lambda w: services.save_catalog_service(prefix="payroll", name="Payroll", actor=None),
    "save_catalog_action": lambda w: services.save_catalog_action(
        action=CatalogAction(service=w.service, name="GetInvoice", access_level="Read"), actor=None
    ),
    "delete_catalog_action": lambda w: services.delete_catalog_action(
        action=services.save_catalog_action(
            action=CatalogAction(service=w.service, name="GetInvoice", access_level="Read"), actor=None
        ),
        actor=None,
    ),
    "delete_catalog_service": lambda w: services.delete_catalog_service(service=w.service, actor=None),
    "load_aws_catalogue": lambda w: services.load_aws_catalogue(
        services=[_AWS_QUEUE], source="iam-definition.json", actor=None
    ),
    "put_access_expectation": lambda w: services.put_access_expectation(definition=_EXPECTATION, actor=None),
    "delete_access_expectation": lambda w: services.delete_access_expectation(
        expectation=services.put_access_expectation(definition=_EXPECTATION, actor=None), actor=None
    ),
    "record_expectation_checks": lambda w: (
        services.put_access_expectation(definition=_EXPECTATION, actor=None),
        services.record_expectation_checks(),
    ),
    "acknowledge_finding": lambda w: services.acknowledge_finding(
        finding_key=f"user-in-no-group:{w.ana.arn}",
        target_arn=w.ana.arn,
        reason="A contractor for one week.",
        expires_at=timezone.now() + timedelta(days=7),
        actor=None,
    ),
}

# Public names of the services modules that are not writes.
NOT_WRITES = {
    "HIDDEN_USER_NAME",
    "PASSWORD_HISTORY_KEPT",
    "membership_problems",
    "GUARDRAIL_MANAGEMENT_ACTIONS",
    "SELF_SERVICE_ARN",
    "validation_catalogue",
    "check_document",
    "check_trust_policy",
    "document_findings",
    "finding_in_words",
    "highest_guardrail_level",
    # A stale form's checks (identities.staleness): they read, under a lock, and write nothing.
    "current_inline_policy",
    "default_version_number",
    "guardrail_token",
    "inline_policy_token",
    "refuse_if_default_changed",
    "refuse_stale_guardrail",
    "refuse_stale_role",
    "refuse_stale_tags",
}


class _MeasuredAlone(Exception):
    pass


def _renewed_by(change) -> None:
    """For a change that needs one set up first: the set-up is done, then `change` alone is measured."""
    before = generation.current()
    change()
    if generation.current() == before:
        raise AssertionError("the change did not renew the generation")
    raise _MeasuredAlone


def _renewal_left_by(change) -> None:
    """For a change that needs one set up first: the set-up is done, then `change` alone is measured."""
    before = generation.current()
    change()
    if generation.current() != before:
        raise AssertionError("the change renewed the generation")
    raise _MeasuredAlone


def _enabled_device(w):
    device = identity_services.create_virtual_mfa_device(user=w.ana, actor=None)
    code = f"{totp(device.bin_key):06d}"
    return identity_services.enable_mfa_device(device=device, code=code, actor=None)


def test_every_service_is_classified():
    from identities import services as identities_module
    from policies import services as policies_module

    names = set(identities_module.__all__) | set(policies_module.__all__)
    classified = {name.split(" ")[0] for name in (*RENEWS, *LEAVES)} | NOT_WRITES
    assert names - classified == set()


@pytest.mark.parametrize("name", sorted(RENEWS))
def test_a_change_that_can_alter_a_decision_renews_the_generation(world, name):
    before = generation.current()
    try:
        with transaction.atomic():
            RENEWS[name](world)
    except _MeasuredAlone:
        return
    assert generation.current() != before


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_a_change_that_cannot_alter_a_decision_leaves_the_generation(world, name):
    before = generation.current()
    try:
        with transaction.atomic():
            LEAVES[name](world)
    except _MeasuredAlone:  # measured on its own, after its set-up
        return
    assert generation.current() == before


def test_a_write_that_bypasses_the_services_renews_it_too(world):
    before = generation.current()
    Membership.objects.filter(user=world.ana).delete()
    after_delete = generation.current()
    PolicyAttachment.objects.bulk_create([PolicyAttachment(policy=world.spare, user=world.ana)])
    after_insert = generation.current()
    User.objects.filter(pk=world.ana.pk).update(tags={"team": "b"})
    assert len({before, after_delete, after_insert, generation.current()}) == 4


def test_an_update_that_changes_nothing_that_matters_leaves_it(world):
    before = generation.current()
    User.objects.filter(pk=world.ana.pk).update(last_login=timezone.now())
    world.ana.save()  # every column written, none changed
    Guardrail.objects.update(description="about the guardrail")
    CatalogService.objects.filter(pk=world.service.pk).update(name="Invoices")
    assert generation.current() == before


def test_a_change_that_rolls_back_takes_its_renewal_with_it(world):
    before = generation.current()
    with pytest.raises(RuntimeError), transaction.atomic():
        identity_services.remove_members(group=world.team, users=[world.ana], actor=None)
        assert generation.current() != before
        raise RuntimeError
    assert generation.current() == before


def test_an_expiring_assignment_is_honoured_by_cached_trust(world, monkeypatch):
    """Time passing changes no row: cached trust carries its earliest expiry."""
    from policies import authorization

    soon = timezone.now() + timedelta(minutes=5)
    identity_services.assign_role(role=world.deployer, user=world.ana, actor=None, expires_at=soon)
    identity_services.update_trust_policy(role=world.deployer, trust_policy={}, actor=None)
    layers = authorization.layers_of(world.ana)
    assert authorization.assume_role(layers, world.deployer).allowed is True
    later = soon + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert authorization.assume_role(layers, world.deployer).allowed is False
