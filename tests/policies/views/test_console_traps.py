"""Console traps of policies: a choice that grants full admin in one click, a version deleted
without a question, role session durations offered that the role refuses."""

from html import unescape

import pytest
from django.urls import reverse

from identities import services as identity_services
from identities.audit import AuditEvent
from identities.credentials import RoleSession
from policies import authorization, services
from policies.builtin_policies import ADMINISTRATOR_ACCESS, IAM_FULL_ACCESS, READ_ONLY_ACCESS, SELF_SERVICE
from policies.models import InlinePolicy, PermissionBoundary, PolicyAttachment, PolicyVersion
from tests.clients import signed_in
from tests.documents import allow, deny, document, statement
from tests.html_forms import form_data

HTMX = {"HTTP_HX_REQUEST": "true"}
ROUTES = list(authorization.ROUTE_ACTIONS)
# The access expectation routes, the console's own actions IAMFullAccess names beside iam:*.
EXPECTATION_ROUTES = ("iamconsole:DeleteAccessExpectation", "iamconsole:OverrideAccessExpectation")
# IAMFullAccess leaves out the route actions of other services (the first hop of a role chain,
# approving requests, binding identities) but for the expectations'.
IAM_ROUTES = [action for action in ROUTES if action.startswith("iam:") or action in EXPECTATION_ROUTES]


def url(name: str, identity) -> str:
    kind = type(identity).__name__.lower()
    return reverse(f"policies:identity-{name}", args=[kind, identity.pk])


def customer_policy(name: str, body: dict):
    return services.create_policy(policy_name=name, document=body, actor=None)[0]


def attached(identity) -> list[str]:
    owner = {type(identity).__name__.lower(): identity}
    return sorted(PolicyAttachment.objects.filter(**owner).values_list("policy__policy_name", flat=True))


def confirm(client, response, **headers):
    """Send the question's own form, as a person clicking its Confirm button does."""
    return client.post(reverse_of(response), form_data(response.content, id="power-question-form"), **headers)


def reverse_of(response) -> str:
    return response.context["question"]["url"]


# What a document gives, as the engine reads it


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (ADMINISTRATOR_ACCESS.document, ["*", "iam:*", *ROUTES]),
        (IAM_FULL_ACCESS.document, ["iam:*", *IAM_ROUTES]),
        (allow("iam:PassRole", "arn:aws:iam::123456789012:role/deploy-*"), ["iam:PassRole"]),
        (allow("iam:Attach*Policy"), ["iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:AttachRolePolicy"]),
        (allow("iam:AddUserToGroup", "*", {"Bool": {"aws:MultiFactorAuthPresent": "true"}}), ["iam:AddUserToGroup"]),
        (document({"Effect": "Allow", "NotAction": "storage:*", "Resource": "*"}), ["*", "iam:*", *ROUTES]),
        # Everything but IAM still assumes roles, which may reach one that can escalate, and
        # approves others' access requests and binds other users to identities at the provider.
        (
            document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
            [
                "iamconsole:ApproveAccessRequest",
                "iamconsole:BindFederatedIdentity",
                *EXPECTATION_ROUTES,
                "sts:AssumeRole",
            ],
        ),
        (allow("iam:CreateAccessKey"), ["iam:CreateAccessKey"]),
        (allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:PrincipalTag/team}-*"), ["iam:CreateAccessKey"]),
        (allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}"), []),
        (SELF_SERVICE.document, []),
        (READ_ONLY_ACCESS.document, []),
        (allow(["storage:*", "iam:Get*", "iam:List*"]), []),
        (deny("*"), []),
    ],
)
def test_what_a_document_gives_is_decided_by_the_engine(body, expected):
    assert authorization.grants_power(body) == expected


def test_a_deny_beside_the_allow_is_not_subtracted():
    body = document(statement("Allow", "iam:*"), statement("Deny", "iam:*"))
    assert authorization.grants_power(body)[0] == "iam:*"


# Choosing a policy


@pytest.mark.django_db
def test_the_attach_and_boundary_selects_start_with_no_policy_chosen(org):
    page = signed_in(org.iam_admin).get(url("fragment", org.mia), **HTMX).content.decode()
    for select_id in (f"attach-user-{org.mia.pk}", f"boundary-user-{org.mia.pk}"):
        select = page.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
        options = select.split("<option")[1:]
        assert options[0].startswith(' value="" selected>Choose a policy…</option>')
        assert not [option for option in options[1:] if "selected" in option.split(">", 1)[0]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [("attach", "Choose a policy to attach."), ("boundary-set", "Choose a policy to set as the permission boundary.")],
)
def test_sending_no_policy_says_to_choose_one_and_changes_nothing(org, change, message):
    before = (attached(org.mia), PermissionBoundary.objects.count())
    response = signed_in(org.iam_admin).post(url(change, org.mia), {"policy": ""}, **HTMX)
    assert message in response.content.decode()
    assert (attached(org.mia), PermissionBoundary.objects.count()) == before


# Attaching


@pytest.mark.django_db
def test_attaching_administrator_access_asks_first_then_attaches_on_confirmation(org):
    client, admin = signed_in(org.iam_admin), org.policies["AdministratorAccess"]
    asked = client.post(url("attach", org.mia), {"policy": admin.pk}, **HTMX)
    page = unescape(asked.content.decode())
    assert asked.status_code == 200
    assert (
        "This gives mia * (the actions of any service, IAM's included); confirm to attach AdministratorAccess." in page
    )
    assert "Confirm: attach" in page
    assert attached(org.mia) == ["SelfService"]
    done = confirm(client, asked, **HTMX)
    assert "AdministratorAccess is attached to mia." in done.content.decode()
    assert attached(org.mia) == ["AdministratorAccess", "SelfService"]


@pytest.mark.django_db
def test_the_question_and_the_confirmation_work_as_plain_posts(org):
    client, page_url = signed_in(org.iam_admin), reverse("identities:user-detail", args=[org.mia.pk])
    data = {"policy": org.policies["IAMFullAccess"].pk, "next": page_url}
    asked = client.post(url("attach", org.mia), data)
    assert asked.status_code == 200 and "<html" in asked.content.decode()
    assert (
        "This gives mia iam:* (every IAM action, so it could give itself any permission); "
        "confirm to attach IAMFullAccess." in asked.content.decode()
    )
    assert attached(org.mia) == ["SelfService"]
    done = confirm(client, asked)
    assert (done.status_code, done["Location"]) == (302, page_url)
    assert attached(org.mia) == ["IAMFullAccess", "SelfService"]


@pytest.mark.django_db
def test_the_question_is_decided_on_the_document_not_on_the_name(org):
    client = signed_in(org.iam_admin)
    innocent = customer_policy("Harmless", allow("iam:PassRole"))
    lookalike = customer_policy("AdministratorAccessCopy", allow("storage:GetObject"))
    asked = client.post(url("attach", org.mia), {"policy": innocent.pk}, **HTMX)
    assert (
        "This gives mia iam:PassRole (a route to more permissions, as the escalation paths report counts them); "
        "confirm to attach Harmless."
    ) in asked.content.decode()
    done = client.post(url("attach", org.mia), {"policy": lookalike.pk}, **HTMX)
    assert "question" not in done.context or done.context["question"] is None
    assert attached(org.mia) == ["AdministratorAccessCopy", "SelfService"]


@pytest.mark.django_db
def test_a_harmless_policy_is_attached_without_a_question(org):
    response = signed_in(org.iam_admin).post(url("attach", org.mia), {"policy": org.policies["ReadOnlyAccess"].pk})
    assert response.status_code == 302
    assert attached(org.mia) == ["ReadOnlyAccess", "SelfService"]


@pytest.mark.django_db
def test_someone_who_may_not_attach_is_refused_before_any_question(org):
    response = signed_in(org.charles).post(url("attach", org.mia), {"policy": org.policies["AdministratorAccess"].pk})
    assert response.status_code == 403
    assert attached(org.mia) == ["SelfService"]


# Inline policies


@pytest.mark.django_db
def test_putting_an_inline_policy_that_can_pass_roles_asks_first(org):
    client = signed_in(org.iam_admin)
    data = {
        "policy_name": "Deploy",
        "document": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",\n'
        '"Action": ["iam:PassRole", "iam:CreateAccessKey"], "Resource": "*"}]}',
    }
    asked = client.post(url("inline-put", org.oliver), data, **HTMX)
    text = (
        "This gives oliver iam:CreateAccessKey, iam:PassRole (each a route to more permissions, as the escalation "
        "paths report counts them); confirm to save Deploy."
    )
    assert text in asked.content.decode()
    assert not InlinePolicy.objects.filter(user=org.oliver).exists()
    confirm(client, asked, **HTMX)
    saved = InlinePolicy.objects.get(user=org.oliver)
    assert (saved.policy_name, saved.document["Statement"][0]["Action"]) == (
        "Deploy",
        ["iam:PassRole", "iam:CreateAccessKey"],
    )


@pytest.mark.django_db
def test_a_harmless_inline_policy_is_saved_without_a_question(org):
    data = {
        "policy_name": "Read",
        "document": '{"Version": "2012-10-17", "Statement": '
        '[{"Effect": "Allow", "Action": "storage:GetObject", "Resource": "*"}]}',
    }
    response = signed_in(org.iam_admin).post(url("inline-put", org.oliver), data, **HTMX)
    assert "Inline policy Read is saved." in response.content.decode()
    assert list(InlinePolicy.objects.filter(user=org.oliver).values_list("policy_name", flat=True)) == ["Read"]


# Permission boundaries


@pytest.mark.django_db
def test_setting_a_boundary_that_allows_everything_asks_first(org):
    client, role = signed_in(org.iam_admin), org.roles["ReleaseManager"]
    asked = client.post(url("boundary-set", role), {"policy": org.policies["AdministratorAccess"].pk}, **HTMX)
    page = unescape(asked.content.decode())
    assert (
        "This boundary lets ReleaseManager's own policies give it * (the actions of any service, IAM's included); "
        "confirm to set AdministratorAccess as its boundary."
    ) in page
    assert not PermissionBoundary.objects.filter(role=role).exists()
    confirm(client, asked, **HTMX)
    assert PermissionBoundary.objects.get(role=role).policy.policy_name == "AdministratorAccess"


@pytest.mark.django_db
def test_a_harmless_boundary_is_set_without_a_question(org):
    client, role = signed_in(org.iam_admin), org.roles["ReleaseManager"]
    response = client.post(url("boundary-set", role), {"policy": org.policies["ReadOnlyAccess"].pk}, **HTMX)
    assert "ReadOnlyAccess is now the permission boundary of ReleaseManager." in response.content.decode()
    assert PermissionBoundary.objects.get(role=role).policy.policy_name == "ReadOnlyAccess"


# Deleting a policy version


@pytest.fixture
def two_versions(org):
    """A customer managed policy with v1 and the default v2."""
    policy = customer_policy("Publishing", allow("storage:PutObject", "arn:aws:storage:::site/*"))
    services.create_policy_version(
        policy=policy,
        document=allow("storage:PutObject", "arn:aws:storage:::site-v2/*"),
        set_as_default=True,
        actor=None,
    )
    return policy


def version_url(policy, number: int) -> str:
    return reverse("policies:policy-version-delete", args=[policy.pk, number])


def versions_and_events(policy) -> tuple:
    numbers = sorted(PolicyVersion.objects.filter(policy=policy).values_list("number", flat=True))
    return numbers, AuditEvent.objects.filter(
        event_name="DeletePolicyVersion", outcome=AuditEvent.Outcome.SUCCESS
    ).count()


@pytest.mark.django_db
def test_deleting_a_version_asks_first_showing_its_document_and_the_get_changes_nothing(org, two_versions):
    before = versions_and_events(two_versions)
    response = signed_in(org.iam_admin).get(version_url(two_versions, 1))
    page = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Delete v1 of Publishing?" in page and "arn:aws:storage:::site/*" in page
    assert "arn:aws:storage:::site-v2/*" not in page  # the version's own document, not the default's
    assert set(form_data(response.content, id="version-delete-form")) == {"csrfmiddlewaretoken"}
    assert versions_and_events(two_versions) == before


@pytest.mark.django_db
def test_the_confirmation_deletes_the_version(org, two_versions):
    client = signed_in(org.iam_admin)
    page = client.get(version_url(two_versions, 1))
    response = client.post(version_url(two_versions, 1), form_data(page.content, id="version-delete-form"))
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("policies:policy-detail", args=[two_versions.pk]),
    )
    assert versions_and_events(two_versions) == ([2], 1)


@pytest.mark.django_db
def test_the_policy_page_links_to_the_confirmation_instead_of_deleting(org, two_versions):
    page = signed_in(org.iam_admin).get(reverse("policies:policy-detail", args=[two_versions.pk])).content.decode()
    assert f'href="{version_url(two_versions, 1)}"' in page
    assert f'action="{version_url(two_versions, 1)}"' not in page


@pytest.mark.django_db
def test_the_default_versions_page_says_why_it_cannot_be_deleted_and_offers_no_button(org, two_versions):
    response = signed_in(org.iam_admin).get(version_url(two_versions, 2))
    page = response.content.decode()
    assert "v2 is the default version of Publishing" in page
    assert 'id="version-delete-form"' not in page
    assert versions_and_events(two_versions) == ([1, 2], 0)


@pytest.mark.django_db
def test_the_confirmation_is_403_to_a_reader_and_404_to_an_outsider(org, two_versions):
    assert signed_in(org.charles).get(version_url(two_versions, 1)).status_code == 403
    assert signed_in(org.henry).get(version_url(two_versions, 1)).status_code == 404
    assert versions_and_events(two_versions) == ([1, 2], 0)


# Switching role


@pytest.fixture
def long_runner(org):
    """A 12-hour role assigned to mia, beside her 1-hour ReleaseManager."""
    trust = org.roles["ReleaseManager"].trust_policy
    role = identity_services.create_role(
        role_name="LongRunner", trust_policy=trust, max_session_duration=12 * 3600, actor=None
    )
    identity_services.assign_role(role=role, user=org.mia, actor=None)
    return role


def offered(response, role) -> list[int]:
    form = next(form for form in response.context["forms"] if form.role == role)
    return [value for value, _ in form.fields["duration"].choices]


def options_in_form(page: str, role) -> list[str]:
    form = page.split(f'id="switch-role-{role.pk}"', 1)[1].split("</form>", 1)[0]
    return [option.split('"', 2)[1] for option in form.split("<option value=")[1:]]


@pytest.mark.django_db
def test_each_role_is_offered_only_the_durations_it_allows(org, long_runner):
    response = signed_in(org.mia).get(reverse("policies:role-switch"))
    release = org.roles["ReleaseManager"]
    assert release.max_session_duration == 3600
    assert offered(response, release) == [900, 3600]
    assert offered(response, long_runner) == [900, 3600, 4 * 3600, 12 * 3600]
    page = response.content.decode()
    assert options_in_form(page, release) == ["900", "3600"]
    assert options_in_form(page, long_runner) == ["900", "3600", "14400", "43200"]


@pytest.mark.django_db
def test_a_maximum_between_the_usual_durations_is_offered_itself(org, long_runner):
    identity_services.update_role(role=long_runner, max_session_duration=5400, actor=None)
    response = signed_in(org.mia).get(reverse("policies:role-switch"))
    form = next(form for form in response.context["forms"] if form.role.pk == long_runner.pk)
    assert form.fields["duration"].choices == [
        (900, "15 minutes"),
        (3600, "1 hour"),
        (5400, "1 hour 30 minutes (the role's maximum)"),
    ]


@pytest.mark.django_db
def test_the_12_hour_role_is_switched_to_for_12_hours_from_its_own_form(org, long_runner):
    client = signed_in(org.mia)
    page = client.get(reverse("policies:role-switch")).content
    data = form_data(page, id=f"switch-role-{long_runner.pk}") | {"duration": str(12 * 3600)}
    assert client.post(reverse("policies:role-switch"), data).status_code == 302
    session = RoleSession.objects.get()
    assert (session.role, round((session.expires_at - session.created_at).total_seconds())) == (long_runner, 43200)


@pytest.mark.django_db
def test_four_hours_sent_for_the_1_hour_role_is_refused_in_its_own_form(org, long_runner):
    release = org.roles["ReleaseManager"]
    response = signed_in(org.mia).post(reverse("policies:role-switch"), {"role": release.pk, "duration": 14400})
    form = next(form for form in response.context["forms"] if form.role == release)
    assert form.errors["duration"] == [
        "Choose one of the durations offered: ReleaseManager allows sessions of at most 1 hour."
    ]
    assert not RoleSession.objects.exists()


@pytest.mark.django_db
def test_a_role_not_offered_is_refused_with_a_message(org):
    reviewer = org.roles["AuditReviewer"]  # assigned to charles and lucas, not to mia
    response = signed_in(org.mia).post(reverse("policies:role-switch"), {"role": reviewer.pk, "duration": 900})
    assert "You may not switch to that role now" in response.content.decode()
    assert [form.role.role_name for form in response.context["forms"]] == ["ReleaseManager"]
    assert not RoleSession.objects.exists()
