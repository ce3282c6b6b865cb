"""Managed policy versions, inline policies and guardrails: the later save of a stale form is
refused with a message and changes nothing; the services refuse a wrong token themselves."""

import json

import pytest
from django.urls import reverse

from identities import staleness
from identities.audit import AuditEvent
from policies import services
from policies.models import InlinePolicy, PolicyVersion
from tests.clients import signed_in
from tests.documents import allow, deny
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
HERE_IS_THE_CURRENT_ONE = (
    "was changed by someone else since you opened it; your changes were not saved. "
    "Here is the current one: apply your change again."
)


def successes() -> int:
    return AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count()


def versions(policy) -> list[tuple[int, bool, dict]]:
    return list(
        PolicyVersion.objects.filter(policy=policy).order_by("number").values_list("number", "is_default", "document")
    )


def opened(client, page: str, action: str) -> dict:
    response = client.get(page)
    assert response.status_code == 200
    return form_data(response.content, action=action)


# The services


def test_create_policy_version_refuses_a_default_changed_since_the_editor_was_opened(org):
    policy = org.policies["DevelopersStorageAccess"]
    services.create_policy_version(policy=policy, document=allow("storage:Get*"), set_as_default=True, actor=None)
    before, recorded = versions(policy), successes()
    with pytest.raises(staleness.StaleEdit) as refused:
        services.create_policy_version(policy=policy, document=allow("storage:*"), based_on=1, actor=None)
    assert refused.value.messages == [staleness.message("the default version of DevelopersStorageAccess (now v2)")]
    assert (versions(policy), successes()) == (before, recorded)


def test_create_policy_version_is_not_stale_for_a_version_that_did_not_become_the_default(org):
    policy = org.policies["DevelopersStorageAccess"]
    services.create_policy_version(policy=policy, document=allow("storage:Get*"), actor=None)
    services.create_policy_version(policy=policy, document=allow("storage:*"), based_on=1, actor=None)
    assert [number for number, _, _ in versions(policy)] == [1, 2, 3]


def test_create_policy_version_is_stale_after_a_set_default_click(org):
    policy = org.policies["DevelopersStorageAccess"]
    version, _ = services.create_policy_version(policy=policy, document=allow("storage:Get*"), actor=None)
    services.set_default_version(version=version, actor=None)
    with pytest.raises(staleness.StaleEdit):
        services.create_policy_version(policy=policy, document=allow("storage:*"), based_on=1, actor=None)
    services.create_policy_version(policy=policy, document=allow("storage:*"), based_on=2, actor=None)
    assert [number for number, _, _ in versions(policy)] == [1, 2, 3]


def test_put_inline_policy_refuses_one_changed_appeared_or_gone_since_the_form_was_opened(org):
    role = org.roles["ReleaseManager"]
    shown = services.inline_policy_token(InlinePolicy.objects.get(role=role, policy_name="ShipReleases"))
    services.put_inline_policy(identity=role, policy_name="ShipReleases", document=allow("storage:Put*"), actor=None)
    services.put_inline_policy(identity=role, policy_name="Appeared", document=allow("storage:Get*"), actor=None)
    recorded = successes()
    cases = [("ShipReleases", shown), ("Appeared", staleness.ABSENT)]
    for name, based_on in cases:
        with pytest.raises(staleness.StaleEdit) as refused:
            services.put_inline_policy(
                identity=role, policy_name=name, document=deny("*"), based_on=based_on, actor=None
            )
        assert refused.value.messages == [staleness.message(f"the inline policy {name}")]
    kept = services.inline_policy_token(InlinePolicy.objects.get(role=role, policy_name="Appeared"))
    services.delete_inline_policy(inline=InlinePolicy.objects.get(role=role, policy_name="Appeared"), actor=None)
    with pytest.raises(staleness.StaleEdit):
        services.put_inline_policy(identity=role, policy_name="Appeared", document=deny("*"), based_on=kept, actor=None)
    assert sorted(InlinePolicy.objects.filter(role=role).values_list("policy_name", "document")) == [
        ("ShipReleases", allow("storage:Put*"))
    ]
    assert successes() == recorded + 1  # the deletion alone


def test_put_inline_policy_saves_with_the_current_token_or_none(org):
    henry = org.henry
    services.put_inline_policy(
        identity=henry, policy_name="Extra", document=allow("storage:Get*"), based_on=staleness.ABSENT, actor=None
    )
    services.put_inline_policy(identity=henry, policy_name="Extra", document=allow("storage:*"), actor=None)
    assert InlinePolicy.objects.get(user=henry, policy_name="Extra").document == allow("storage:*")


def test_save_guardrail_refuses_a_guardrail_changed_since_the_form_was_opened(org):
    guardrail, _ = services.save_guardrail(
        guardrail_name="KeepBuckets", document=deny("storage:DeleteBucket"), actor=None
    )
    shown = services.guardrail_token(guardrail)
    services.save_guardrail(
        guardrail=guardrail, guardrail_name="KeepBuckets", document=deny("storage:Delete*"), based_on=shown, actor=None
    )
    with pytest.raises(staleness.StaleEdit) as refused:
        services.save_guardrail(
            guardrail=guardrail, guardrail_name="KeepBuckets", document=deny("storage:Put*"), based_on=shown, actor=None
        )
    assert refused.value.messages == [staleness.message("this guardrail")]
    guardrail.refresh_from_db()
    assert guardrail.document == deny("storage:Delete*")


# The console's editor of a managed policy


def editor(policy) -> tuple[str, str]:
    return reverse("policies:policy-detail", args=[policy.pk]), reverse(
        "policies:policy-version-create", args=[policy.pk]
    )


def test_a_stale_editor_is_refused_and_the_first_new_version_remains(org):
    policy = org.policies["DevelopersStorageAccess"]
    first, second = signed_in(org.iam_admin), signed_in(org.root)
    page, action = editor(policy)
    by_first, by_second = opened(first, page, action), opened(second, page, action)
    by_first["document"] = json.dumps(allow("storage:Get*"))
    assert first.post(action, by_first).status_code == 302
    before, recorded = versions(policy), successes()

    by_second["document"] = json.dumps(allow("storage:*"))
    response = second.post(action, by_second)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        f"The default version of DevelopersStorageAccess (now v2) {HERE_IS_THE_CURRENT_ONE}"
    ]
    assert (versions(policy), successes()) == (before, recorded)
    # The editor shows the default that is current now, and saves a change to it.
    again = form_data(response.content, action=action)
    assert json.loads(again["document"]) == allow("storage:Get*")
    again["document"] = json.dumps(allow("storage:*"))
    assert second.post(action, again).status_code == 302
    assert versions(policy)[-1] == (3, True, allow("storage:*"))


# The identity's inline policies (the htmx fragment)


def fragment(kind: str, identity) -> tuple[str, str]:
    pk = identity.pk
    page = reverse("policies:identity-fragment", args=[kind, pk])
    return page, reverse("policies:identity-inline-put", args=[kind, pk])


def test_a_stale_inline_policy_form_is_refused_and_the_first_save_remains(org):
    role = org.roles["ReleaseManager"]
    first, second = signed_in(org.iam_admin), signed_in(org.root)
    page, action = fragment("role", role)
    by_first, by_second = opened(first, page, action), opened(second, page, action)
    by_first |= {"policy_name": "ShipReleases", "document": json.dumps(allow("storage:Put*"))}
    assert first.post(action, by_first, **HTMX).status_code == 200
    recorded = successes()

    by_second |= {"policy_name": "ShipReleases", "document": json.dumps(deny("*"))}
    response = second.post(action, by_second, **HTMX)
    assert [str(message) for message in response.context["messages"]] == [
        f"The inline policy ShipReleases {HERE_IS_THE_CURRENT_ONE}"
    ]
    stored = InlinePolicy.objects.get(role=role, policy_name="ShipReleases")
    assert (stored.document, successes()) == (allow("storage:Put*"), recorded)
    # The form comes back on the current document and saves a change to it.
    again = form_data(response.content, action=action)
    assert (again["policy_name"], json.loads(again["document"])) == ("ShipReleases", allow("storage:Put*"))
    again["document"] = json.dumps(deny("*"))
    assert second.post(action, again, **HTMX).status_code == 200
    assert InlinePolicy.objects.get(role=role, policy_name="ShipReleases").document == deny("*")


def test_an_inline_policy_that_appeared_since_the_form_was_opened_is_not_overwritten(org):
    henry = org.henry
    first, second = signed_in(org.iam_admin), signed_in(org.root)
    page, action = fragment("user", henry)
    by_first, by_second = opened(first, page, action), opened(second, page, action)
    by_first |= {"policy_name": "Extra", "document": json.dumps(allow("storage:Get*"))}
    assert first.post(action, by_first).status_code == 302
    by_second |= {"policy_name": "Extra", "document": json.dumps(allow("storage:*"))}
    response = second.post(action, by_second, follow=True)
    assert [str(message) for message in response.context["messages"]] == [
        f"The inline policy Extra {HERE_IS_THE_CURRENT_ONE}"
    ]
    assert InlinePolicy.objects.get(user=henry, policy_name="Extra").document == allow("storage:Get*")
    # Another name was no one else's change: the same stale form saves it.
    by_second["policy_name"] = "Other"
    assert second.post(action, by_second).status_code == 302
    assert sorted(InlinePolicy.objects.filter(user=henry).values_list("policy_name", flat=True)) == ["Extra", "Other"]


def test_an_inline_policy_deleted_since_the_form_was_opened_is_not_put_back(org):
    role = org.roles["ReleaseManager"]
    first, second = signed_in(org.iam_admin), signed_in(org.root)
    page, action = fragment("role", role)
    delete = reverse("policies:identity-inline-delete", args=["role", role.pk])
    by_second = opened(second, page, action)
    assert first.post(delete, {"policy_name": "ShipReleases", "confirm": "yes"}).status_code == 302
    by_second |= {"policy_name": "ShipReleases", "document": json.dumps(deny("*"))}
    response = second.post(action, by_second, **HTMX)
    assert [str(message) for message in response.context["messages"]] == [
        f"The inline policy ShipReleases {HERE_IS_THE_CURRENT_ONE}"
    ]
    assert not InlinePolicy.objects.filter(role=role).exists()
    # Nothing is current: the form keeps what was typed, and saving it now creates the policy.
    again = form_data(response.content, action=action)
    assert json.loads(again["document"]) == deny("*")
    second.post(action, again, **HTMX)
    assert InlinePolicy.objects.get(role=role, policy_name="ShipReleases").document == deny("*")
