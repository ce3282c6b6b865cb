"""The demo exported and imported into an empty console decides as before, for every persona on
every demo action: this console's own data (role assignments, guardrails) travels in the
export's IamconsoleExtension section, and importing it asks the rule table."""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from identities import services as identity_services
from identities.models import Group, Membership, Role, RoleAssignment, User
from policies import authorization, services
from policies.aws_import import (
    ImportRefused,
    apply_import,
    export_authorization_details,
    plan_import,
    read_authorization_details,
)
from policies.builtins import ALLOW_ALL, DEFAULT_GUARDRAIL_NAME
from policies.engine import Outcome
from policies.models import CatalogAction, Guardrail, InlinePolicy, ManagedPolicy, PermissionBoundary, PolicyAttachment
from tests.documents import allow

pytestmark = pytest.mark.django_db

PRODUCTION = "arn:aws:storage:::production-data"
BUCKETS = [
    PRODUCTION,
    f"{PRODUCTION}/releases/v1.zip",
    f"{PRODUCTION}/ledger.csv",
    "arn:aws:storage:::dev-builds",
    "arn:aws:storage:::dev-builds/app.zip",
    "arn:aws:storage:::public-site/index.html",
]
KEEP_PRODUCTION = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "KeepProduction", "Effect": "Deny", "Action": "storage:DeleteBucket", "Resource": PRODUCTION},
    ],
}


@pytest.fixture
def demo():
    """The demo, plus what only this console holds: a guardrail and an assignment that expires."""
    call_command("seed_demo", stdout=io.StringIO())
    services.save_guardrail(guardrail_name="KeepProduction", document=KEEP_PRODUCTION, level=1, actor=None)
    identity_services.assign_role(
        role=Role.objects.get(role_name="AuditReviewer"),
        user=User.objects.get(username="henry"),
        expires_at=timezone.now() + timedelta(days=3),
        actor=None,
    )


def resources_of(prefix: str) -> list[str]:
    if prefix == "storage":
        return ["*", *BUCKETS]
    if prefix == "sts":
        return ["*", *(role.arn for role in Role.objects.all())]
    if prefix == "iam":
        identities = [*User.objects.all(), *Group.objects.all(), *Role.objects.all()]
        return ["*", *(identity.arn for identity in identities), *(p.arn for p in ManagedPolicy.objects.all())]
    return ["*"]


def decisions() -> dict[tuple[str, str, str], Outcome]:
    """Every persona (root included) on every catalogued action of the demo, and each role."""
    actions = [(action.service.prefix, action.name) for action in CatalogAction.objects.select_related("service")]
    resources = {prefix: resources_of(prefix) for prefix in {prefix for prefix, _ in actions}}
    found = {}
    for person in User.objects.order_by("username"):
        layers = authorization.layers_of(person)
        for prefix, name in actions:
            for resource in resources[prefix]:
                decision = authorization.decide(layers, f"{prefix}:{name}", resource)
                found[(person.username, f"{prefix}:{name}", resource)] = decision.outcome
        for role in Role.objects.all():
            found[(person.username, "assume", role.role_name)] = authorization.assume_role(layers, role).outcome
    return found


def empty_console() -> None:
    """As after migrate (the allow-all guardrail), with the root user, whom an export leaves out."""
    for model in (PolicyAttachment, PermissionBoundary, InlinePolicy, Membership, RoleAssignment):
        model.objects.all().delete()
    Guardrail.objects.exclude(guardrail_name=DEFAULT_GUARDRAIL_NAME).delete()
    ManagedPolicy.objects.filter(builtin=False).delete()
    User.objects.filter(is_superuser=False).delete()
    Group.objects.all().delete()
    Role.objects.all().delete()


def import_text(text: str, actor):
    return apply_import(plan_import(read_authorization_details(text)), actor=actor)


def test_demo_export_import_gives_the_same_decision_for_every_persona_on_every_action(demo):
    before = decisions()
    # The comparison means something: the example, the guardrail and the expiring assignment.
    assert before[("mia", "assume", "ReleaseManager")] is Outcome.ALLOW
    assert before[("henry", "assume", "AuditReviewer")] is Outcome.ALLOW
    assert before[("root", "storage:DeleteBucket", PRODUCTION)] is Outcome.EXPLICIT_DENY
    assert before[("lucas", "storage:DeleteBucket", "arn:aws:storage:::dev-builds")] is Outcome.ALLOW
    assert len(before) > 10_000
    text = json.dumps(export_authorization_details())
    empty_console()
    import_text(text, actor=User.objects.get(is_superuser=True))
    after = decisions()
    assert {key: (before[key], after.get(key)) for key in before if before[key] is not after.get(key)} == {}
    assert after.keys() == before.keys()
    henry = RoleAssignment.objects.get(user__username="henry")
    assert abs(henry.expires_at - (timezone.now() + timedelta(days=3))) < timedelta(minutes=5)


def test_without_the_section_as_from_aws_mias_assignment_would_be_lost(demo):
    data = export_authorization_details()
    del data["IamconsoleExtension"]
    empty_console()
    import_text(json.dumps(data), actor=None)
    mia = authorization.layers_of(User.objects.get(username="mia"))
    release = Role.objects.get(role_name="ReleaseManager")
    assert authorization.assume_role(mia, release).outcome is Outcome.IMPLICIT_DENY


def test_the_extension_section_is_named_and_holds_assignments_and_guardrails(demo):
    section = export_authorization_details()["IamconsoleExtension"]
    assert {"RoleName": "ReleaseManager", "UserName": "mia", "ExpiresAt": None} in section["RoleAssignments"]
    assert [guardrail["GuardrailName"] for guardrail in section["Guardrails"]] == ["FullAccess", "KeepProduction"]
    assert section["Guardrails"][0]["Document"] == ALLOW_ALL
    assert section["Guardrails"][1] == {
        "GuardrailName": "KeepProduction",
        "Description": "",
        "Level": 1,
        "Document": KEEP_PRODUCTION,
    }


def test_importing_assignments_needs_what_assigning_by_hand_needs(demo):
    text = json.dumps(export_authorization_details())
    empty_console()
    importer = identity_services.create_user(username="importer", actor=None)
    document = allow(["iam:ImportAccountAuthorizationDetails", "iam:CreateGuardrail", "iam:UpdateGuardrail"])
    services.put_inline_policy(identity=importer, policy_name="Import", document=document, actor=None)
    with pytest.raises(ImportRefused) as refused:
        import_text(text, actor=importer)
    assert refused.value.messages[0].startswith("Your policies do not allow iam:UpdateAssumeRolePolicy on ")
    assert not Role.objects.exists()
    assert list(Guardrail.objects.values_list("guardrail_name", flat=True)) == ["FullAccess"]


def test_importing_guardrails_needs_what_creating_them_by_hand_needs(demo):
    text = json.dumps(export_authorization_details())
    empty_console()
    importer = identity_services.create_user(username="importer", actor=None)
    document = allow(["iam:ImportAccountAuthorizationDetails", "iam:UpdateAssumeRolePolicy"])
    services.put_inline_policy(identity=importer, policy_name="Import", document=document, actor=None)
    with pytest.raises(ImportRefused) as refused:
        import_text(text, actor=importer)
    assert refused.value.messages == [
        "Your policies do not allow iam:CreateGuardrail on "
        f"{Guardrail(guardrail_name='KeepProduction').arn}. Nothing was imported."
    ]
    assert not User.objects.filter(username="mia").exists()


def test_a_guardrail_the_file_does_not_name_is_kept(demo):
    data = export_authorization_details()
    data["IamconsoleExtension"]["Guardrails"] = data["IamconsoleExtension"]["Guardrails"][:1]
    plan = plan_import(read_authorization_details(json.dumps(data)))
    assert plan.notes == [
        "guardrail KeepProduction is kept: the file does not name it, and an import never removes a restriction"
    ]


def test_an_unreadable_guardrail_refuses_the_file_even_when_skipping():
    data = {"IamconsoleExtension": {"Guardrails": [{"GuardrailName": "Broken", "Level": 1, "Document": {}}]}}
    with pytest.raises(ImportRefused) as refused:
        read_authorization_details(json.dumps(data), skip_invalid=True)
    assert all(message.startswith("IamconsoleExtension.Guardrails[0].Document") for message in refused.value.messages)


def test_a_skipped_users_assignments_are_neither_imported_nor_removed(demo):
    data = export_authorization_details()
    mia = next(user for user in data["UserDetailList"] if user["UserName"] == "mia")
    mia["UserId"] = "mia"
    release = Role.objects.get(role_name="ReleaseManager")
    identity_services.unassign_role(role=release, user=User.objects.get(username="mia"), actor=None)
    identity_services.assign_role(
        role=release, user=User.objects.get(username="mia"), expires_at=timezone.now() + timedelta(days=1), actor=None
    )
    kept = RoleAssignment.objects.get(user__username="mia", role=release).expires_at
    # The file (exported before) says mia's assignment never expires: a change, were she imported.
    details = read_authorization_details(json.dumps(data), skip_invalid=True)
    plan = apply_import(plan_import(details, skip_invalid=True), actor=None)
    assert [entry.name for entry in plan.skipped] == ["mia"]
    assert (
        "the assignment of role ReleaseManager to mia is not imported: the import skips its role or user" in plan.notes
    )
    mia_arn = User.objects.get(username="mia").arn
    assert f"{mia_arn} is skipped but here already: it stays as it is, whatever the file says of it" in plan.notes
    assert RoleAssignment.objects.get(user__username="mia", role=release).expires_at == kept


def test_export_then_import_keeps_creation_dates_and_a_roles_last_use(demo):
    used = datetime(2025, 1, 2, 10, 0, 41, tzinfo=UTC)
    identity_services.create_role(
        role_name="Deployer",
        created_at=datetime(2024, 6, 1, 8, 30, tzinfo=UTC),
        last_used_at=used,
        last_used_region="eu-west-1",
        actor=None,
    )

    def dates() -> dict[str, tuple]:
        # The export writes whole seconds, as AWS does.
        found = {
            user.arn: (user.created_at.replace(microsecond=0),) for user in User.objects.filter(is_superuser=False)
        }
        found |= {group.arn: (group.created_at.replace(microsecond=0),) for group in Group.objects.all()}
        return found | {
            role.arn: (role.created_at.replace(microsecond=0), role.last_used_at, role.last_used_region)
            for role in Role.objects.all()
        }

    before = dates()
    text = json.dumps(export_authorization_details())
    empty_console()
    import_text(text, actor=None)
    assert dates() == before
    assert before["arn:aws:iam::123456789012:role/Deployer"][1:] == (used, "eu-west-1")
    assert before["arn:aws:iam::123456789012:role/ReleaseManager"][1:] == (None, "")


def test_memberships_that_end_or_that_a_request_made_travel_in_the_section(demo):
    """GroupList says only plain memberships: one that ends keeps its end through the section,
    and one an access request made is listed there with its source but made again by no import
    (a writer removes, and makes, only its own), while the import into this same console keeps it."""
    henry, oliver = User.objects.get(username="henry"), User.objects.get(username="oliver")
    operations, publishers = Group.objects.get(group_name="Operations"), Group.objects.get(group_name="IAMPublishers")
    until = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    identity_services.add_members(group=operations, users=[henry], expires_at=until, actor=None)
    identity_services.add_members(
        group=publishers, users=[oliver], actor=None, source="access_request", source_ref="arn:request/7"
    )
    data = export_authorization_details()
    users = {user["UserName"]: user for user in data["UserDetailList"]}
    assert ("Operations" in users["henry"]["GroupList"], "IAMPublishers" in users["oliver"]["GroupList"]) == (
        False,
        False,
    )
    stamp = until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert data["IamconsoleExtension"]["GroupMemberships"] == [
        {"GroupName": "IAMPublishers", "UserName": "oliver", "ExpiresAt": None, "Source": "access_request"},
        {"GroupName": "Operations", "UserName": "henry", "ExpiresAt": stamp, "Source": "manual"},
    ]
    text = json.dumps(data)

    plan = plan_import(read_authorization_details(text))  # into this same console: nothing to do for them
    theirs = (":user/henry", ":user/oliver")
    assert not [change for change in plan.changes if change.steps and change.arn.endswith(theirs)]
    empty_console()
    plan = plan_import(read_authorization_details(text))
    apply_import(plan, actor=User.objects.get(is_superuser=True))
    [kept] = Membership.objects.filter(user__username="henry")
    assert (kept.group.group_name, kept.expires_at, kept.source) == ("Operations", until, "manual")
    assert not Membership.objects.filter(user__username="oliver", group__group_name="IAMPublishers").exists()
    assert "the membership of oliver in IAMPublishers is not imported: access request made it, not an import" in (
        plan.notes
    )


def test_a_membership_of_the_section_with_an_unknown_source_or_group_is_refused_with_its_place(demo):
    data = export_authorization_details()
    section = data["IamconsoleExtension"]
    section["GroupMemberships"] = [{"GroupName": "Operations", "UserName": "henry", "ExpiresAt": None, "Source": "x"}]
    with pytest.raises(ImportRefused) as caught:
        read_authorization_details(json.dumps(data))
    assert "IamconsoleExtension.GroupMemberships[0].Source: one of manual, access_request, idp_rule, scim" in (
        caught.value.messages
    )
    section["GroupMemberships"] = [{"GroupName": "Nowhere", "UserName": "henry", "ExpiresAt": "2999-01-01T00:00:00Z"}]
    with pytest.raises(ImportRefused) as caught:
        plan_import(read_authorization_details(json.dumps(data)))
    henry = User.objects.get(username="henry")
    assert f"{henry.arn}: the group Nowhere is neither in the file nor in iamconsole" in caught.value.messages
