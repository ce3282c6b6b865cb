"""seed_demo builds `make run`'s demo organisation, the article's, and running it again changes nothing.

Every other test builds its people with the `org` fixture (tests/conftest.py), not with this command."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import RequestFactory

from identities.audit import AuditEvent
from identities.models import Group, Membership, Role, RoleAssignment, User
from policies import authorization
from policies.engine import Outcome
from policies.models import InlinePolicy, ManagedPolicy, PolicyAttachment, PolicyVersion

pytestmark = pytest.mark.django_db

PRODUCTION = "arn:aws:storage:::production-data"
PEOPLE = {"root", "iam-admin", "mia", "oliver", "charles", "lucas", "james", "henry", "dev-admin"}


def organisation() -> dict:
    """Who is who, in which group, assigned which role, with which policy where."""
    return {
        "people": set(User.objects.values_list("username", flat=True)),
        "root": list(User.objects.filter(is_superuser=True).values_list("username", flat=True)),
        "groups": set(Group.objects.values_list("group_name", flat=True)),
        "memberships": set(Membership.objects.values_list("group__group_name", "user__username")),
        "roles": set(Role.objects.values_list("role_name", flat=True)),
        "assignments": set(RoleAssignment.objects.values_list("role__role_name", "user__username")),
        "customer policies": set(ManagedPolicy.objects.filter(builtin=False).values_list("policy_name", flat=True)),
        "attached": {
            (attachment.policy.policy_name, attachment.owner.name)
            for attachment in PolicyAttachment.objects.select_related("policy", "user", "group", "role")
            if attachment.policy.policy_name != "SelfService"
        },
        "self service": set(
            PolicyAttachment.objects.filter(policy__policy_name="SelfService").values_list("user__username", flat=True)
        ),
        "inline": set(InlinePolicy.objects.values_list("policy_name", "user__username", "role__role_name")),
    }


def rows() -> tuple:
    models = (User, Group, Membership, Role, RoleAssignment, ManagedPolicy, PolicyVersion, PolicyAttachment)
    return (*(model.objects.count() for model in models), InlinePolicy.objects.count(), AuditEvent.objects.count())


def decision(name: str, action: str, resource: str) -> Outcome:
    user = User.objects.get(username=name)
    return authorization.decide(authorization.layers_of(user), action, resource).outcome


def test_seed_demo_builds_the_articles_organisation_and_a_second_run_changes_nothing():
    call_command("seed_demo", stdout=io.StringIO())
    built = organisation()
    assert built == {
        "people": PEOPLE,
        "root": ["root"],
        "groups": {"Developers", "Operations", "AuditTeam", "IAMPublishers"},
        "memberships": {
            ("Developers", "mia"),
            ("Developers", "oliver"),
            ("Developers", "charles"),
            ("Operations", "lucas"),
            ("Operations", "james"),
            ("AuditTeam", "charles"),
            ("AuditTeam", "lucas"),
        },
        "roles": {"ReleaseManager", "AuditReviewer"},
        "assignments": {("ReleaseManager", "mia"), ("AuditReviewer", "charles"), ("AuditReviewer", "lucas")},
        "customer policies": {"DevelopersStorageAccess", "OperationsStorageAccess", "PublishingAccess"},
        "attached": {
            ("DevelopersStorageAccess", "Developers"),
            ("OperationsStorageAccess", "Operations"),
            ("PublishingAccess", "IAMPublishers"),
            ("ReadOnlyAccess", "AuditTeam"),
            ("ReadOnlyAccess", "AuditReviewer"),
            ("ReadOnlyAccess", "iam-admin"),
            ("IAMFullAccess", "iam-admin"),
        },
        "self service": PEOPLE - {"root"},
        "inline": {("ShipReleases", None, "ReleaseManager"), ("ManageDevelopers", "dev-admin", None)},
    }
    # What some of them may then do.
    assert decision("lucas", "storage:DeleteBucket", PRODUCTION) is Outcome.EXPLICIT_DENY
    assert decision("lucas", "storage:DeleteBucket", "arn:aws:storage:::scratch") is Outcome.ALLOW
    assert decision("mia", "storage:DeleteObject", "arn:aws:storage:::dev-app/old.tar") is Outcome.ALLOW
    assert decision("mia", "storage:PutObject", f"{PRODUCTION}/releases/v1.tar") is Outcome.IMPLICIT_DENY
    assert decision("charles", "iam:ListAuditEvents", "*") is Outcome.ALLOW
    assert decision("dev-admin", "iam:AddUserToGroup", "arn:aws:iam::123456789012:group/Developers") is Outcome.ALLOW
    assert decision("dev-admin", "iam:AddUserToGroup", "arn:aws:iam::123456789012:group/Operations") is (
        Outcome.IMPLICIT_DENY
    )
    assert decision("henry", "iam:GetUser", "arn:aws:iam::123456789012:user/henry") is Outcome.ALLOW
    assert decision("henry", "iam:GetUser", "arn:aws:iam::123456789012:user/mia") is Outcome.IMPLICIT_DENY

    counted = rows()
    call_command("seed_demo", stdout=io.StringIO())
    assert (rows(), organisation()) == (counted, built)


def printed_personas() -> dict[str, str]:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return dict(re.findall(r"^  (\S+) +(\S+)", out.getvalue(), re.M))


def test_seed_demo_prints_every_persona_with_a_demo_password():
    printed = printed_personas()
    assert set(printed) == PEOPLE
    assert printed["mia"] == "mia-demo-password"


def test_the_printed_demo_passwords_sign_in(client):
    request = RequestFactory().post("/sign-in/")  # django-axes watches sign-ins through their request
    for name, password in printed_personas().items():
        assert client.login(request=request, username=name, password=password) is True, name
    assert client.login(request=request, username="MIA", password="mia-demo-password") is True
    assert client.login(request=request, username="mia", password="wrong") is False
