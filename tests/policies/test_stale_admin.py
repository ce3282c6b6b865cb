"""The admin's change forms: the later save of a stale page is refused as a form error (never
a server error), the earlier save remains, and the page opened again saves."""

import json

import pytest
from django.urls import reverse

from identities import trust
from identities.audit import AuditEvent
from identities.models import Role, User
from policies import services
from policies.models import Guardrail, InlinePolicy, PolicyVersion
from tests.clients import signed_in
from tests.documents import allow, deny
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db

OPEN_IT_AGAIN = (
    "was changed by someone else since you opened it; your changes were not saved. "
    "Open it again to see the current one, and apply your change again."
)


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def opened(client, obj) -> dict:
    """The change form as a browser would post it back."""
    response = client.get(change_url(obj))
    assert response.status_code == 200
    return form_data(response.content, id=f"{obj._meta.model_name}_form")


def refusals(response) -> list[str]:
    assert response.status_code == 200
    return list(response.context["adminform"].form.non_field_errors())


def successes() -> int:
    return AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count()


def trusting(arn: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sts:AssumeRole"}],
    }


@pytest.fixture
def admins(org):
    return signed_in(org.root), signed_in(org.iam_admin)


def test_a_stale_trust_policy_is_refused_on_the_role_page(org, admins):
    first, second = admins
    release = org.roles["ReleaseManager"]
    by_first, by_second = opened(first, release), opened(second, release)
    by_first["trust_policy"] = json.dumps(trusting(org.mia.arn))
    assert first.post(change_url(release), by_first).status_code == 302
    recorded = successes()

    by_second["trust_policy"] = json.dumps(trusting(org.henry.arn))
    assert refusals(second.post(change_url(release), by_second)) == [f"This trust policy {OPEN_IT_AGAIN}"]
    assert trust.shown_form(Role.objects.get(pk=release.pk).trust_policy) == trusting(org.mia.arn)
    assert successes() == recorded
    fresh = opened(second, release)
    fresh["trust_policy"] = json.dumps(trusting(org.henry.arn))
    assert second.post(change_url(release), fresh).status_code == 302
    assert trust.shown_form(Role.objects.get(pk=release.pk).trust_policy) == trusting(org.henry.arn)


def test_a_role_page_opened_before_a_tag_change_cannot_put_the_old_tags_back(org, admins):
    first, second = admins
    release = org.roles["ReleaseManager"]
    by_first, by_second = opened(first, release), opened(second, release)
    by_first["tags"] = "team=release"
    assert first.post(change_url(release), by_first).status_code == 302
    by_second["description"] = "Ships releases"
    assert refusals(second.post(change_url(release), by_second)) == [f"This role's set of tags {OPEN_IT_AGAIN}"]
    stored = Role.objects.get(pk=release.pk)
    assert (stored.tags, stored.description) == ({"team": "release"}, "")


def test_stale_user_tags_are_refused_on_the_user_page(org, admins):
    first, second = admins
    mia = org.mia
    by_first, by_second = opened(first, mia), opened(second, mia)
    by_first["tags"] = "team=blue"
    assert first.post(change_url(mia), by_first).status_code == 302
    by_second["tags"] = "team=red"
    assert refusals(second.post(change_url(mia), by_second)) == [f"This user's set of tags {OPEN_IT_AGAIN}"]
    assert User.objects.get(pk=mia.pk).tags == {"team": "blue"}
    fresh = opened(second, mia)
    fresh["tags"] = "team=red"
    assert second.post(change_url(mia), fresh).status_code == 302
    assert User.objects.get(pk=mia.pk).tags == {"team": "red"}


def versions(policy) -> list[tuple[int, bool]]:
    return list(PolicyVersion.objects.filter(policy=policy).order_by("number").values_list("number", "is_default"))


def test_a_stale_new_version_is_refused_on_the_policy_page(org, admins):
    first, second = admins
    policy = org.policies["DevelopersStorageAccess"]
    by_first, by_second = opened(first, policy), opened(second, policy)
    by_first["new_version"] = json.dumps(allow("storage:Get*"))
    assert first.post(change_url(policy), by_first).status_code == 302
    assert versions(policy) == [(1, False), (2, True)]

    by_second["new_version"] = json.dumps(allow("storage:*"))
    assert refusals(second.post(change_url(policy), by_second)) == [
        f"The default version of DevelopersStorageAccess (now v2) {OPEN_IT_AGAIN}"
    ]
    assert versions(policy) == [(1, False), (2, True)]
    fresh = opened(second, policy)
    fresh["new_version"] = json.dumps(allow("storage:*"))
    assert second.post(change_url(policy), fresh).status_code == 302
    assert versions(policy) == [(1, False), (2, False), (3, True)]


def test_a_stale_policy_page_saved_without_choosing_a_default_keeps_the_default_set_since(org, admins):
    first, second = admins
    policy = org.policies["DevelopersStorageAccess"]
    for action in ("storage:Get*", "storage:List*"):
        services.create_policy_version(policy=policy, document=allow(action), actor=None)
    by_first, by_second = opened(first, policy), opened(second, policy)
    by_first["default_version"] = "2"
    assert first.post(change_url(policy), by_first).status_code == 302
    assert second.post(change_url(policy), by_second).status_code == 302
    assert versions(policy) == [(1, False), (2, True), (3, False)]
    # A default chosen on the stale page is a set-default click of its own, as in the console.
    by_second["default_version"] = "3"
    assert second.post(change_url(policy), by_second).status_code == 302
    assert versions(policy) == [(1, False), (2, False), (3, True)]


def inline_rows(data: dict) -> str:
    """The prefix of the inline policies' rows (the one inline whose rows carry a token)."""
    return next(key for key in data if key.endswith("-__prefix__-based_on")).removesuffix("-__prefix__-based_on")


def inline_errors(response) -> list[str]:
    assert response.status_code == 200
    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is InlinePolicy)
    return [error for form in formset.forms for error in form.non_field_errors()]


def test_a_stale_inline_policy_row_is_refused_on_the_identity_page(org, admins):
    first, second = admins
    release = org.roles["ReleaseManager"]
    by_first, by_second = opened(first, release), opened(second, release)
    rows = inline_rows(by_first)
    assert by_first[f"{rows}-0-policy_name"] == "ShipReleases"
    by_first[f"{rows}-0-document"] = json.dumps(allow("storage:Put*"))
    assert first.post(change_url(release), by_first).status_code == 302
    recorded = successes()

    by_second[f"{rows}-0-document"] = json.dumps(deny("*"))
    response = second.post(change_url(release), by_second)
    assert inline_errors(response) == [f"The inline policy ShipReleases {OPEN_IT_AGAIN}"]
    stored = InlinePolicy.objects.get(role=release, policy_name="ShipReleases")
    assert (stored.document, successes()) == (allow("storage:Put*"), recorded)
    fresh = opened(second, release)
    fresh[f"{rows}-0-document"] = json.dumps(deny("*"))
    assert second.post(change_url(release), fresh).status_code == 302
    assert InlinePolicy.objects.get(role=release, policy_name="ShipReleases").document == deny("*")


def with_new_inline_row(data: dict, name: str, document: dict) -> dict:
    """A row added with "Add another": a copy of the page's empty row, filled in."""
    rows = inline_rows(data)
    return data | {
        f"{rows}-TOTAL_FORMS": "1",
        f"{rows}-0-policy_name": name,
        f"{rows}-0-document": json.dumps(document),
        f"{rows}-0-based_on": data[f"{rows}-__prefix__-based_on"],
    }


def test_an_inline_policy_added_since_the_page_was_opened_is_not_overwritten(org, admins):
    first, second = admins
    henry = org.henry
    by_first, by_second = opened(first, henry), opened(second, henry)
    assert (
        first.post(change_url(henry), with_new_inline_row(by_first, "Extra", allow("storage:Get*"))).status_code == 302
    )
    response = second.post(change_url(henry), with_new_inline_row(by_second, "Extra", allow("storage:*")))
    assert f"The inline policy Extra {OPEN_IT_AGAIN}" in inline_errors(response)
    assert InlinePolicy.objects.get(user=henry, policy_name="Extra").document == allow("storage:Get*")


def test_a_stale_guardrail_is_refused_on_its_page(org, admins):
    first, second = admins
    guardrail, _ = services.save_guardrail(
        guardrail_name="KeepBuckets", document=deny("storage:DeleteBucket"), actor=None
    )
    by_first, by_second = opened(first, guardrail), opened(second, guardrail)
    by_first["document"] = json.dumps(deny("storage:Delete*"))
    assert first.post(change_url(guardrail), by_first).status_code == 302
    recorded = successes()

    by_second["description"] = "Keeps buckets"
    assert refusals(second.post(change_url(guardrail), by_second)) == [f"This guardrail {OPEN_IT_AGAIN}"]
    stored = Guardrail.objects.get(pk=guardrail.pk)
    assert (stored.document, stored.description, successes()) == (deny("storage:Delete*"), "", recorded)
    fresh = opened(second, guardrail)
    fresh["description"] = "Keeps buckets"
    assert second.post(change_url(guardrail), fresh).status_code == 302
    stored = Guardrail.objects.get(pk=guardrail.pk)
    assert (stored.document, stored.description) == (deny("storage:Delete*"), "Keeps buckets")
