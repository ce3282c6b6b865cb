"""The best-practice assessment (policies.assessment) on the article's organisation and beside it.

The whole set of findings on `org` is reasoned from conftest.py's personas, not from a run."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.credentials import AccessKey, RoleSession
from identities.models import Role, User
from identities.passwords import PasswordPolicy
from policies import assessment, services
from policies.models import FindingAcknowledgement, Guardrail
from tests import factories
from tests.documents import allow, deny, document

pytestmark = pytest.mark.django_db
ACCOUNT = "123456789012"
PERSONAS = ("iam-admin", "mia", "oliver", "charles", "lucas", "james", "henry", "dev-admin")


def found(findings=None) -> set[tuple[str, str]]:
    return {(finding.code, finding.entity) for finding in (assessment.assess() if findings is None else findings)}


def of(code: str) -> dict[str, assessment.Finding]:
    return {finding.entity: finding for finding in assessment.assess() if finding.code == code}


def test_the_whole_set_of_findings_on_org(org):
    expected = {
        # root: created without an MFA device, has never signed in, holds no key.
        ("root-no-mfa", "root user"),
        # Everyone else signs in with a password and none has set up MFA.
        *{("user-no-mfa", name) for name in PERSONAS},
        # Groups: iam-admin, henry and dev-admin are in none.
        *{("user-in-no-group", name) for name in ("iam-admin", "henry", "dev-admin")},
        # Everyone has SelfService attached to themself (iam-admin two more, dev-admin an inline one).
        *{("user-direct-policies", name) for name in PERSONAS},
        # IAMFullAccess (iam-admin) is iam:* on *.
        ("policy-full-access", "policy IAMFullAccess"),
        # OperationsStorageAccess is storage:* on * (its Deny is not subtracted: the grant is still on "*").
        ("policy-write-any-resource", "policy OperationsStorageAccess"),
        # Only the default allow-all guardrail.
        ("no-guardrail", "guardrails"),
    }
    assert found() == expected


def test_henry_and_the_root_user_are_found_as_the_issue_says(org):
    assert of("user-in-no-group")["henry"].arn == f"arn:aws:iam::{ACCOUNT}:user/henry"
    assert of("root-no-mfa")["root user"].arn == f"arn:aws:iam::{ACCOUNT}:root"
    assert of("user-direct-policies")["iam-admin"].detail == "Holds IAMFullAccess, ReadOnlyAccess, SelfService."
    assert of("user-direct-policies")["dev-admin"].detail == "Holds ManageDevelopers (inline), SelfService."


def test_trusting_this_account_is_no_finding_but_others_are(org):
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "sts:AssumeRole"},
            {
                "Effect": "Allow",
                "Principal": {"AWS": "210987654322"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "a-shared-secret"}},
            },
            {
                "Effect": "Allow",
                "Principal": {"Federated": "token.example.org"},
                "Action": "sts:AssumeRoleWithWebIdentity",
            },
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
        ],
    }
    identity_services.create_role(role_name="Partner", trust_policy=trust, actor=None)
    partner = {(finding.code, finding.detail) for finding in assessment.assess() if finding.entity == "role Partner"}
    assert partner == {
        ("trust-other-account", "Trusts arn:aws:iam::210987654321:root with no condition."),
        ("trust-federated-no-sub", "Trusts token.example.org with no condition on :sub."),
        ("trust-anyone", 'Trusts any principal ("*"), with no condition.'),
    }


def test_a_federated_trust_bound_to_sub_is_no_finding(org):
    condition = {"StringEquals": {"token.example.org:sub": "repo:deploy"}}
    trust = document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": "token.example.org"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }
    )
    identity_services.create_role(role_name="Workload", trust_policy=trust, actor=None)
    assert not [finding for finding in assessment.assess() if finding.entity == "role Workload"]


def test_roles_unused_for_90_days_say_what_is_recorded(org):
    long_ago = timezone.now() - timedelta(days=120)
    Role.objects.filter(pk=org.roles["AuditReviewer"].pk).update(created_at=long_ago)
    Role.objects.filter(pk=org.roles["ReleaseManager"].pk).update(created_at=long_ago)
    session, _, _ = identity_services.start_role_session(
        role=org.roles["ReleaseManager"], user=org.mia, session_name="mia", duration=900, source="api", actor=None
    )
    RoleSession.objects.filter(pk=session.pk).update(created_at=timezone.now() - timedelta(days=100))
    unused = of("role-unused")
    assert unused["role AuditReviewer"].detail == "No use recorded since it was created 120 days ago."
    assert unused["role ReleaseManager"].detail.endswith(", 100 days ago.")


def test_credentials_root_keys_old_keys_and_old_passwords(org):
    key, _ = identity_services.create_access_key(user=org.mia, actor=None)
    AccessKey.objects.filter(pk=key.pk).update(created_at=timezone.now() - timedelta(days=91))
    AccessKey.objects.create(user=org.root, key_id="AKIAROOTKEY000000001", secret_hash="x" * 64)
    User.objects.filter(pk=org.root.pk).update(last_login=timezone.now() - timedelta(days=2))
    identity_services.update_password_policy(actor=None, max_age_days=30)
    User.objects.filter(pk=org.oliver.pk).update(password_changed_at=timezone.now() - timedelta(days=31))
    User.objects.filter(pk=org.james.pk).update(password_changed_at=timezone.now() - timedelta(days=29))
    codes = found()
    assert {("root-access-keys", "root user"), ("root-used-recently", "root user")} <= codes
    assert {("access-key-old", "mia"), ("access-key-unused", "mia"), ("access-key-unused", "root user")} <= codes
    assert {entity for code, entity in codes if code == "password-too-old"} == {"oliver"}
    assert PasswordPolicy.current().max_age_days == 30


def test_inline_policies_a_managed_one_would_do(org):
    same = allow("storage:GetObject", "arn:aws:storage:::reports/*")
    for name in ("oliver", "james"):
        services.put_inline_policy(identity=org.users[name], policy_name="Reports", document=same, actor=None)
    services.put_inline_policy(
        identity=org.henry,
        policy_name="Copy",
        document=org.policies["PublishingAccess"].versions.get().document,
        actor=None,
    )
    inline = {
        finding.entity: finding.detail for finding in assessment.assess() if finding.code == "inline-would-be-managed"
    }
    copied = "Its document is the default version of a managed policy: attach that policy instead."
    twice = "The same document is inline on another identity: one managed policy would do."
    assert inline == {
        "inline policy Reports of user oliver": twice,
        "inline policy Reports of user james": twice,
        "inline policy Copy of user henry": copied,
    }


def test_pass_role_on_any_resource_is_found_by_what_it_grants(org):
    """No name says it: an Allow of iam:Pass* on "*" grants iam:PassRole; on one role it is no finding."""
    services.put_inline_policy(identity=org.henry, policy_name="Anything", document=allow("iam:Pass*"), actor=None)
    one_role = allow("iam:PassRole", org.roles["AuditReviewer"].arn)
    services.put_inline_policy(identity=org.oliver, policy_name="One", document=one_role, actor=None)
    passing = of("policy-passrole-any")
    assert set(passing) == {"inline policy Anything of user henry"}


def test_a_deny_guardrail_is_a_guardrail(org):
    services.save_guardrail(guardrail_name="KeepProduction", document=deny("storage:DeleteBucket"), actor=None)
    assert ("no-guardrail", "guardrails") not in found()


def test_an_allow_list_guardrail_at_its_own_level_is_a_guardrail(org):
    only_storage = allow(["storage:*", "iam:*"])  # iam: kept, so root still manages guardrails
    services.save_guardrail(guardrail_name="StorageOnly", document=only_storage, level=2, actor=None)
    assert ("no-guardrail", "guardrails") not in found()
    assert Guardrail.objects.count() == 2


def test_an_acknowledgement_is_kept_with_its_finding_and_audited(org):
    henry = of("user-in-no-group")["henry"]
    expires = timezone.now() + timedelta(days=30)
    services.acknowledge_finding(
        finding_key=henry.key,
        target_arn=henry.arn,
        reason="A contractor until January.",
        expires_at=expires,
        actor=org.iam_admin,
    )
    findings = assessment.assess()
    kept = next(finding for finding in findings if finding.key == henry.key)
    assert kept.acknowledgement.reason == "A contractor until January."
    assert assessment.counts(findings) == {"high": 2, "medium": 10, "low": 10}
    event = AuditEvent.objects.get(event_name="AcknowledgeFinding")
    assert (event.actor_arn, event.target_arn) == (org.iam_admin.arn, henry.arn)


def test_an_expired_acknowledgement_no_longer_applies(org):
    henry = of("user-in-no-group")["henry"]
    FindingAcknowledgement.objects.create(
        finding_key=henry.key, reason="old", expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert not of("user-in-no-group")["henry"].acknowledged


@pytest.mark.parametrize(
    ("reason", "days", "message"),
    [
        ("", 5, "Say why the finding is accepted."),
        ("fine", -1, "The expiry must be in the future."),
        ("fine", 400, "An acknowledgement lasts at most 366 days."),
    ],
)
def test_a_bad_acknowledgement_changes_nothing(org, reason, days, message):
    with pytest.raises(ValidationError) as raised:
        services.acknowledge_finding(
            finding_key="user-in-no-group:x",
            target_arn="",
            reason=reason,
            expires_at=timezone.now() + timedelta(days=days),
            actor=None,
        )
    assert raised.value.messages == [message]
    assert not FindingAcknowledgement.objects.exists()
    assert not AuditEvent.objects.filter(event_name="AcknowledgeFinding").exists()


def _grow(count: int, start: int) -> None:
    users = factories.bulk_users(count, prefix=f"grown{start}")
    for index, user in enumerate(users):
        if index % 2:
            AccessKey.objects.create(user=user, key_id=f"AKIAGROWN{start:04d}{index:07d}", secret_hash="x" * 64)
    services.put_inline_policy(identity=users[0], policy_name="Own", document=allow("storage:Put*"), actor=None)
    role = identity_services.create_role(role_name=f"Grown{start}", actor=None)
    services.put_inline_policy(identity=role, policy_name="Own", document=allow("storage:Get*"), actor=None)


def test_the_assessment_reads_in_a_constant_number_of_queries(org):
    def measured() -> int:
        with CaptureQueriesContext(connection) as captured:
            assessment.assess()
        return len(captured)

    _grow(3, 0)
    small = measured()
    _grow(30, 1)
    assert measured() == small
    assert len(of("access-key-unused")) == 16  # one key in two of 33 users, none used
