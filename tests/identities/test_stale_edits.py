"""The identities services refuse a save based on what is no longer stored (identities.staleness):
a wrong token changes nothing and records nothing; no token is not checked."""

import pytest

from identities import services, staleness, trust
from identities.audit import AuditEvent
from identities.models import Role, User
from tests import factories

pytestmark = pytest.mark.django_db

TRUST_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}
    ],
}


def trusting(arn: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sts:AssumeRole"}],
    }


def events(name: str) -> int:
    return AuditEvent.objects.filter(event_name=name).count()


def test_a_token_ignores_the_order_of_keys_and_changes_with_any_value():
    assert staleness.token({"team": "blue", "env": "dev"}) == staleness.token({"env": "dev", "team": "blue"})
    assert staleness.token({"team": "blue"}) != staleness.token({"team": "Blue"})
    assert staleness.token({}) != staleness.ABSENT
    assert len(staleness.token({"team": "blue"})) == staleness.TOKEN_LENGTH == 16


def test_the_refusal_says_what_changed_and_that_nothing_was_saved():
    assert staleness.message("this trust policy") == (
        "This trust policy was changed by someone else since you opened it; your changes were not saved. "
        "Open it again to see the current one, and apply your change again."
    )
    assert staleness.message("this trust policy", current_shown=True) == (
        "This trust policy was changed by someone else since you opened it; your changes were not saved. "
        "Here is the current one: apply your change again."
    )


def test_set_user_tags_refuses_tags_changed_since_the_form_was_opened():
    mia = factories.UserFactory(username="mia", tags={"team": "blue"})
    shown = staleness.token(mia.tags)
    services.set_user_tags(user=mia, tags={"team": "green"}, based_on=shown, actor=None)
    recorded = events("TagUser")
    with pytest.raises(staleness.StaleEdit) as refused:
        services.set_user_tags(user=User.objects.get(pk=mia.pk), tags={"team": "red"}, based_on=shown, actor=None)
    assert refused.value.code == "stale"
    assert refused.value.messages == [staleness.message("this user's set of tags")]
    assert User.objects.get(pk=mia.pk).tags == {"team": "green"}
    assert events("TagUser") == recorded


def test_set_user_tags_saves_with_the_current_token_or_none():
    mia = factories.UserFactory(username="mia", tags={"team": "blue"})
    services.set_user_tags(user=mia, tags={"team": "green"}, based_on=staleness.token({"team": "blue"}), actor=None)
    services.set_user_tags(user=mia, tags={"team": "red"}, actor=None)  # an import: not checked
    assert User.objects.get(pk=mia.pk).tags == {"team": "red"}


def test_update_role_refuses_tags_changed_since_the_form_was_opened():
    role = services.create_role(role_name="Deployer", tags={"team": "blue"}, actor=None)
    shown = staleness.token(role.tags)
    services.update_role(role=role, tags={"team": "green"}, actor=None)
    stale = Role.objects.get(pk=role.pk)
    with pytest.raises(staleness.StaleEdit):
        services.update_role(role=stale, description="Deploys", tags={"team": "blue"}, tags_based_on=shown, actor=None)
    stored = Role.objects.get(pk=role.pk)
    assert (stored.description, stored.tags) == ("", {"team": "green"})


def test_update_role_does_not_write_back_a_trust_policy_it_read_before_a_change():
    role = services.create_role(role_name="Deployer", trust_policy=TRUST_ACCOUNT, actor=None)
    read_before = Role.objects.get(pk=role.pk)
    services.update_trust_policy(role=role, trust_policy={}, actor=None)
    services.update_role(role=read_before, description="Deploys", actor=None)
    stored = Role.objects.get(pk=role.pk)
    assert (stored.description, stored.trust_policy) == ("Deploys", {})


def test_update_trust_policy_refuses_a_trust_policy_changed_since_the_form_was_opened():
    mia = factories.UserFactory(username="mia")
    role = services.create_role(role_name="Deployer", trust_policy=TRUST_ACCOUNT, actor=None)
    shown = trust.shown_token(role.trust_policy)
    services.update_trust_policy(role=role, trust_policy=trusting(mia.arn), based_on=shown, actor=None)
    recorded = events("UpdateAssumeRolePolicy")
    with pytest.raises(staleness.StaleEdit) as refused:
        services.update_trust_policy(role=role, trust_policy={}, based_on=shown, actor=None)
    assert refused.value.messages == [staleness.message("this trust policy")]
    assert trust.shown_form(Role.objects.get(pk=role.pk).trust_policy) == trusting(mia.arn)
    assert events("UpdateAssumeRolePolicy") == recorded


def test_a_principal_renamed_since_the_form_was_opened_makes_the_trust_policy_stale():
    # The form showed .../mia; saved as it stands, that ARN would now name whoever takes the name.
    mia = factories.UserFactory(username="mia")
    role = services.create_role(role_name="Deployer", trust_policy=trusting(mia.arn), actor=None)
    shown = trust.shown_token(role.trust_policy)
    services.update_user(user=mia, username="mia-old", actor=None)
    with pytest.raises(staleness.StaleEdit):
        services.update_trust_policy(role=role, trust_policy=TRUST_ACCOUNT, based_on=shown, actor=None)
    assert trust.shown_form(Role.objects.get(pk=role.pk).trust_policy) == trusting(User.objects.get(pk=mia.pk).arn)


def test_the_role_form_service_changes_nothing_when_its_trust_policy_is_stale():
    role = services.create_role(role_name="Deployer", trust_policy=TRUST_ACCOUNT, actor=None)
    shown = trust.shown_token(role.trust_policy)
    services.update_trust_policy(role=role, trust_policy={}, actor=None)
    recorded = events("UpdateRole")
    with pytest.raises(staleness.StaleEdit):
        services.update_role_and_trust_policy(
            role=Role.objects.get(pk=role.pk),
            description="Deploys",
            trust_policy=TRUST_ACCOUNT,
            trust_policy_based_on=shown,
            actor=None,
        )
    stored = Role.objects.get(pk=role.pk)
    assert (stored.description, stored.trust_policy, events("UpdateRole")) == ("", {}, recorded)


def test_the_role_form_service_saves_with_current_tokens():
    role = services.create_role(role_name="Deployer", trust_policy=TRUST_ACCOUNT, tags={"team": "blue"}, actor=None)
    services.update_role_and_trust_policy(
        role=role,
        description="Deploys",
        tags={"team": "green"},
        trust_policy={},
        tags_based_on=staleness.token({"team": "blue"}),
        trust_policy_based_on=trust.shown_token(TRUST_ACCOUNT),
        actor=None,
    )
    stored = Role.objects.get(pk=role.pk)
    assert (stored.description, stored.tags, stored.trust_policy) == ("Deploys", {"team": "green"}, {})
