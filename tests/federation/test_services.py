"""Bindings and group claim rules, without a provider: who may bind whom, what a first
sign-in may create or take, and which memberships the rules add and remove."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from federation import rules as federation_rules
from federation import services, signin
from federation.models import FederatedIdentity, GroupClaimRule
from federation.provider import ProviderSettings
from identities import rules
from identities import services as identity_services
from identities.audit import AuditEvent
from identities.models import Membership, User
from policies import services as policy_services
from tests.documents import allow

pytestmark = pytest.mark.django_db

ISSUER = "https://idp.example.org"


def settings_of(**changes) -> ProviderSettings:
    values = {
        "issuer": ISSUER,
        "client_id": "iamconsole",
        "client_secret": "secret",
        "name": "Example",
        "scopes": "openid",
        "bind_claim": "sub",
        "username_claim": "preferred_username",
        "create_users": False,
        "groups_claim": "groups",
        "mfa_values": ("otp",),
    }
    return ProviderSettings(**(values | changes))


def identity(value: str, username: str = "", groups=()) -> signin.Identity:
    return signin.Identity(ISSUER, "sub", value, username, tuple(groups), None, "")


def bind(user, value: str, actor=None):
    return services.bind_federated_identity(user=user, issuer=ISSUER, claim="sub", value=value, actor=actor)


# Binding


def test_binding_is_audited_and_is_to_the_claim_value(org):
    mia = org.users["mia"]
    bind(mia, "00u-mia", actor=org.users["root"])
    binding = FederatedIdentity.objects.get(user=mia)
    assert (binding.issuer, binding.claim, binding.value, binding.bound_by) == (
        ISSUER,
        "sub",
        "00u-mia",
        org.users["root"],
    )
    event = AuditEvent.objects.get(event_name="BindFederatedIdentity")
    assert (event.target_arn, event.after) == (mia.arn, {"issuer": ISSUER, "claim": "sub", "value": "00u-mia"})


def test_one_identity_binds_one_user(org):
    bind(org.users["mia"], "00u-mia")
    with pytest.raises(ValidationError, match="already bound to another user"):
        bind(org.users["oliver"], "00u-mia")
    with pytest.raises(ValidationError, match="already bound to an identity"):
        bind(org.users["mia"], "00u-other")
    assert FederatedIdentity.objects.count() == 1


def test_a_blank_value_binds_nothing(org):
    with pytest.raises(ValidationError, match="Give the value"):
        bind(org.users["mia"], "  ")
    assert not FederatedIdentity.objects.exists()


def test_root_is_never_bound_even_by_root(org):
    with pytest.raises(PermissionDenied, match="never signs in through the identity provider"):
        bind(org.users["root"], "00u-root", actor=org.users["root"])
    assert not FederatedIdentity.objects.exists()


def test_binding_needs_its_own_action_not_iam_full_access(org):
    """IAMFullAccess is iam:*; binding is iamconsole:BindFederatedIdentity, a way to take a user over."""
    mia = org.users["mia"]
    with pytest.raises(rules.Refused, match=federation_rules.BIND_ACTION):
        rules.perform(org.users["iam-admin"], services.bind_federated_identity, user=mia, **_identity("00u-mia"))
    assert not FederatedIdentity.objects.exists()


def test_a_policy_that_allows_binding_on_one_user_binds_that_user_only(org):
    james = org.users["james"]
    policy_services.put_inline_policy(
        identity=james,
        policy_name="BindMia",
        document=allow(federation_rules.BIND_ACTION, org.users["mia"].arn),
        actor=None,
    )
    rules.perform(james, services.bind_federated_identity, user=org.users["mia"], **_identity("00u-mia"))
    with pytest.raises(rules.Refused):
        rules.perform(james, services.bind_federated_identity, user=org.users["oliver"], **_identity("00u-oliver"))
    assert list(FederatedIdentity.objects.values_list("user__username", flat=True)) == ["mia"]


def test_nobody_but_root_may_bind_root_and_root_is_refused_by_the_service(org):
    root = org.users["root"]
    policy_services.put_inline_policy(
        identity=org.users["james"], policy_name="BindAll", document=allow(federation_rules.BIND_ACTION), actor=None
    )
    with pytest.raises(rules.Refused):
        rules.perform(org.users["james"], services.bind_federated_identity, user=root, **_identity("00u-root"))
    with pytest.raises(PermissionDenied):
        rules.perform(root, services.bind_federated_identity, user=root, **_identity("00u-root"))
    assert not FederatedIdentity.objects.exists()


def _identity(value: str) -> dict:
    return {"issuer": ISSUER, "claim": "sub", "value": value}


# First sign-ins


def test_a_bound_identity_signs_in_as_its_user_whatever_its_name(org):
    bind(org.users["mia"], "00u-mia")
    assert signin.user_of(settings_of(), identity("00u-mia", username="oliver")) == org.users["mia"]


def test_an_unbound_identity_with_a_local_users_name_must_prove_the_password(org):
    assert signin.user_of(settings_of(create_users=True), identity("00u-x", username="Oliver")) is None
    assert not FederatedIdentity.objects.exists()


def test_an_unbound_identity_named_root_is_refused(org):
    with pytest.raises(signin.Refused, match="never signs in through the identity provider"):
        signin.user_of(settings_of(create_users=True), identity("00u-x", username="root"))


def test_a_disabled_bound_user_is_refused(org):
    mia = org.users["mia"]
    bind(mia, "00u-mia")
    identity_services.update_user(user=mia, is_active=False, actor=None)
    with pytest.raises(signin.Refused, match="disabled"):
        signin.user_of(settings_of(), identity("00u-mia"))


def test_without_creation_an_unknown_identity_is_refused(db):
    with pytest.raises(signin.Refused, match="No user here is bound"):
        signin.user_of(settings_of(), identity("00u-new", username="nora"))
    assert not User.objects.exists()


def test_creation_makes_a_passwordless_bound_user(db):
    user = signin.user_of(settings_of(create_users=True), identity("00u-new", username="nora"))
    assert user.username == "nora" and not user.has_usable_password()
    assert FederatedIdentity.objects.get(user=user).value == "00u-new"


def test_a_created_user_whose_name_a_local_user_has_is_refused(org):
    """Whether or not the local user is bound, and in any case."""
    bind(org.users["mia"], "00u-mia")
    for name in ("henry", "HENRY"):
        with pytest.raises(ValidationError, match="already exists"):
            services.create_federated_user(username=name, issuer=ISSUER, claim="sub", value="00u-h")
    with pytest.raises(signin.Refused, match="bound to another identity"):
        signin.user_of(settings_of(create_users=True), identity("00u-other", username="mia"))
    assert FederatedIdentity.objects.count() == 1


def test_a_created_user_without_a_usable_name_is_refused(db):
    for name in ("", "ｎｏｒａ"):
        with pytest.raises(ValidationError):
            services.create_federated_user(username=name, issuer=ISSUER, claim="sub", value="00u-n")
    assert not User.objects.exists()


def test_mfa_counts_only_for_a_listed_amr_or_acr_value():
    listed = settings_of(mfa_values=("otp", "urn:example:mfa"))
    assert signin.mfa_time(listed, {"amr": ["pwd"], "acr": "urn:example:mfa", "auth_time": 1000}) == 1000.0
    assert signin.mfa_time(listed, {"amr": ["pwd", "otp"], "auth_time": 1000}) == 1000.0
    assert signin.mfa_time(listed, {"amr": ["pwd"], "acr": "urn:example:pwd", "auth_time": 1000}) is None
    assert signin.mfa_time(settings_of(mfa_values=()), {"amr": ["otp"]}) is None


# Group claim rules


def test_saving_a_rule_needs_add_user_to_group_on_its_group(org):
    dev_admin = org.users["dev-admin"]
    rules.perform(dev_admin, services.create_group_rule, claim_value="devs", group=org.groups["Developers"])
    with pytest.raises(rules.Refused, match="iam:AddUserToGroup"):
        rules.perform(dev_admin, services.create_group_rule, claim_value="ops", group=org.groups["Operations"])
    assert list(GroupClaimRule.objects.values_list("claim_value", flat=True)) == ["devs"]
    assert AuditEvent.objects.filter(event_name="CreateGroupClaimRule").count() == 1


def test_a_scim_group_is_never_a_rules_target(org):
    scim = identity_services.create_group(group_name="Engineering", path="/scim/", actor=None)
    with pytest.raises(ValidationError, match="managed by SCIM"):
        services.create_group_rule(claim_value="eng", group=scim, actor=None)
    assert not GroupClaimRule.objects.exists()


def test_the_same_rule_twice_is_refused(org):
    services.create_group_rule(claim_value="devs", group=org.groups["Developers"], actor=None)
    with pytest.raises(ValidationError, match="already gives"):
        services.create_group_rule(claim_value="devs", group=org.groups["Developers"], actor=None)


def memberships(user) -> dict[str, str]:
    return dict(Membership.objects.filter(user=user).values_list("group__group_name", "source"))


def test_sign_ins_add_and_remove_only_the_memberships_rules_made(org):
    """henry is in IAMPublishers by hand and AuditTeam by an access request; rules give
    both and Operations. When the claims go, only Operations (the rule's) goes."""
    henry, groups = org.users["henry"], org.groups
    identity_services.add_members(group=groups["IAMPublishers"], users=[henry], actor=None)
    identity_services.add_members(
        group=groups["AuditTeam"], users=[henry], actor=None, source=Membership.Source.ACCESS_REQUEST, source_ref="7"
    )
    for value, name in (("pub", "IAMPublishers"), ("audit", "AuditTeam"), ("ops", "Operations")):
        services.create_group_rule(claim_value=value, group=groups[name], actor=None)

    services.apply_group_rules(user=henry, claim_values=["pub", "audit", "ops"])
    assert memberships(henry) == {"IAMPublishers": "manual", "AuditTeam": "access_request", "Operations": "idp_rule"}
    services.apply_group_rules(user=henry, claim_values=["pub", "audit", "ops"])
    assert Membership.objects.filter(user=henry).count() == 3

    services.apply_group_rules(user=henry, claim_values=[])
    assert memberships(henry) == {"IAMPublishers": "manual", "AuditTeam": "access_request"}
    removed = AuditEvent.objects.filter(event_name="RemoveUserFromGroup").get()
    assert removed.before["group"] == "Operations"


def test_one_users_claims_never_touch_another_users_memberships(org):
    henry, james, operations = org.users["henry"], org.users["james"], org.groups["Operations"]
    services.create_group_rule(claim_value="ops", group=operations, actor=None)
    services.apply_group_rules(user=henry, claim_values=["ops"])
    services.apply_group_rules(user=org.users["oliver"], claim_values=["ops"])
    services.apply_group_rules(user=henry, claim_values=[])
    assert memberships(org.users["oliver"])["Operations"] == "idp_rule"
    assert memberships(james)["Operations"] == "manual"
    assert "Operations" not in memberships(henry)


def test_deleting_a_rule_removes_only_its_memberships(org):
    operations = org.groups["Operations"]
    rule = services.create_group_rule(claim_value="ops", group=operations, actor=None)
    services.apply_group_rules(user=org.users["henry"], claim_values=["ops"])
    services.delete_group_rule(rule=rule, actor=None)
    assert sorted(operations.members.values_list("username", flat=True)) == ["james", "lucas"]
    assert not GroupClaimRule.objects.exists()


def test_non_text_claim_values_are_ignored(org):
    services.create_group_rule(claim_value="1", group=org.groups["Operations"], actor=None)
    services.apply_group_rules(user=org.users["henry"], claim_values=[1, None, {"a": 1}])
    assert "Operations" not in memberships(org.users["henry"])


def test_a_password_binds_no_user_with_an_mfa_device_and_never_root(org):
    from identities import mfa

    mia = org.users["mia"]
    mfa.TOTPDevice.objects.create(user=mia, name=mfa.DEVICE_NAME, confirmed=True)
    with pytest.raises(signin.Refused, match="only an administrator may bind it"):
        signin.bind_by_password(mia, identity("00u-mia", username="mia"))
    with pytest.raises(signin.Refused, match="never signs in through the identity provider"):
        signin.bind_by_password(org.users["root"], identity("00u-root", username="root"))
    assert not FederatedIdentity.objects.exists()


def test_an_expired_password_binds_nothing_under_hard_expiry(org):
    from datetime import timedelta

    from django.utils import timezone

    from identities.passwords import PasswordPolicy

    identity_services.update_password_policy(actor=None, max_age_days=30, hard_expiry=True)
    mia = org.users["mia"]
    User.objects.filter(pk=mia.pk).update(password_changed_at=timezone.now() - timedelta(days=31))
    mia.refresh_from_db()
    assert PasswordPolicy.current().is_expired(mia)
    with pytest.raises(signin.Refused, match="expired"):
        signin.bind_by_password(mia, identity("00u-mia", username="mia"))
    assert not FederatedIdentity.objects.exists()
