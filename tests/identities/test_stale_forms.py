"""Two administrators with the same role or user open: the later save of the stale form is
refused with a message, the earlier one's change remains, and a fresh form saves."""

import json

import pytest

from identities import trust
from identities.audit import AuditEvent
from identities.models import Role, User
from tests.clients import signed_in
from tests.html_forms import form_data
from tests.identities.views.helpers import HTMX, url

pytestmark = pytest.mark.django_db

HERE_IS_THE_CURRENT_ONE = (
    "was changed by someone else since you opened it; your changes were not saved. "
    "Here is the current one: apply your change again."
)


def trusting(arn: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sts:AssumeRole"}],
    }


def opened(client, page: str, **form) -> dict:
    response = client.get(page)
    assert response.status_code == 200
    return form_data(response.content, **form)


def successes() -> int:
    return AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count()


ROLE_FORM = {"class_": "card shadow-sm", "method": "post"}


def test_a_stale_trust_policy_is_refused_and_the_first_save_remains(org):
    release = org.roles["ReleaseManager"]
    first, second = signed_in(org.iam_admin), signed_in(org.root)
    edit = url("role-edit", release.pk)
    by_first, by_second = opened(first, edit, **ROLE_FORM), opened(second, edit, **ROLE_FORM)
    by_first["trust_policy"] = json.dumps(trusting(org.mia.arn))
    assert first.post(edit, by_first).status_code == 302
    saved, recorded = Role.objects.get(pk=release.pk).trust_policy, successes()

    by_second["trust_policy"] = json.dumps(trusting(org.henry.arn))
    response = second.post(edit, by_second)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [f"This trust policy {HERE_IS_THE_CURRENT_ONE}"]
    assert (Role.objects.get(pk=release.pk).trust_policy, successes()) == (saved, recorded)
    # The page shows the current trust policy, and saving it again with the change works.
    again = form_data(response.content, **ROLE_FORM)
    assert json.loads(again["trust_policy"]) == trusting(org.mia.arn)
    again["trust_policy"] = json.dumps(trusting(org.henry.arn))
    assert second.post(edit, again).status_code == 302
    assert trust.shown_form(Role.objects.get(pk=release.pk).trust_policy) == trusting(org.henry.arn)


def test_a_role_form_opened_before_a_tag_change_is_refused_even_for_its_description(org):
    # Saved, the stale form would have put the old tags back.
    release = org.roles["ReleaseManager"]
    first, second = signed_in(org.iam_admin), signed_in(org.root)
    edit = url("role-edit", release.pk)
    by_first, by_second = opened(first, edit, **ROLE_FORM), opened(second, edit, **ROLE_FORM)
    by_first["tags"] = "team=release"
    assert first.post(edit, by_first).status_code == 302

    by_second["description"] = "Ships releases"
    response = second.post(edit, by_second)
    assert response.context["form"].non_field_errors() == [f"This role's set of tags {HERE_IS_THE_CURRENT_ONE}"]
    stored = Role.objects.get(pk=release.pk)
    assert (stored.tags, stored.description) == ({"team": "release"}, "")
    fresh = opened(second, edit, **ROLE_FORM)
    fresh["description"] = "Ships releases"
    assert second.post(edit, fresh).status_code == 302
    stored = Role.objects.get(pk=release.pk)
    assert (stored.tags, stored.description) == ({"team": "release"}, "Ships releases")


def test_a_role_form_without_a_token_is_not_checked(org):
    # A client that says nothing about what it showed (a script) keeps the old behaviour.
    release = org.roles["ReleaseManager"]
    client = signed_in(org.iam_admin)
    edit = url("role-edit", release.pk)
    data = opened(client, edit, **ROLE_FORM)
    Role.objects.filter(pk=release.pk).update(tags={"team": "elsewhere"})
    del data["tags_based_on"], data["trust_policy_based_on"]
    data["tags"] = "team=release"
    assert client.post(edit, data).status_code == 302
    assert Role.objects.get(pk=release.pk).tags == {"team": "release"}


def tags_form(pk: int) -> dict:
    return {"action": url("user-tags", pk)}


def test_stale_user_tags_are_refused_in_the_fragment_and_the_first_save_remains(org):
    mia = org.mia
    first, second = signed_in(org.iam_admin), signed_in(org.root)
    page = url("user-detail", mia.pk)
    by_first, by_second = opened(first, page, **tags_form(mia.pk)), opened(second, page, **tags_form(mia.pk))
    by_first["tags"] = "team=blue"
    assert first.post(url("user-tags", mia.pk), by_first, **HTMX).status_code == 200
    recorded = successes()

    by_second["tags"] = "team=red"
    response = second.post(url("user-tags", mia.pk), by_second, **HTMX)
    assert response.status_code == 200
    assert response.context["problems"] == [f"This user's set of tags {HERE_IS_THE_CURRENT_ONE}"]
    assert (User.objects.get(pk=mia.pk).tags, successes()) == ({"team": "blue"}, recorded)
    # The fragment shows the current tags in a fresh form, which saves.
    again = form_data(response.content, **tags_form(mia.pk))
    assert again["tags"] == "team=blue"
    again["tags"] = "team=red"
    assert "Tags saved." in second.post(url("user-tags", mia.pk), again, **HTMX).content.decode()
    assert User.objects.get(pk=mia.pk).tags == {"team": "red"}


def test_stale_user_tags_posted_without_htmx_are_refused_with_a_message(org):
    mia = org.mia
    first, second = signed_in(org.iam_admin), signed_in(org.root)
    page = url("user-detail", mia.pk)
    by_first, by_second = opened(first, page, **tags_form(mia.pk)), opened(second, page, **tags_form(mia.pk))
    by_first["tags"] = "team=blue"
    assert first.post(url("user-tags", mia.pk), by_first).status_code == 302
    by_second["tags"] = "team=red"
    response = second.post(url("user-tags", mia.pk), by_second, follow=True)
    assert [str(message) for message in response.context["messages"]] == [
        f"This user's set of tags {HERE_IS_THE_CURRENT_ONE}"
    ]
    assert User.objects.get(pk=mia.pk).tags == {"team": "blue"}
