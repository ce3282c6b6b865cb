"""The console's filters: one date format with its zone (the admin's too), ARNs that wrap
between their parts, descriptions whose bidi controls are shown as code points."""

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, timezone

from identities import services
from identities.models import Group
from identities.templatetags.console_tags import arn, bidi_escaped, when
from policies import services as policy_services
from tests.clients import client_for
from tests.documents import allow
from tests.identities.views.helpers import url

MOMENT = datetime(2026, 12, 2, 14, 55, 7, tzinfo=UTC)


def test_a_moment_is_written_with_minutes_and_its_zone():
    assert when(MOMENT) == "2026-12-02 14:55 UTC"
    assert when(date(2026, 12, 2)) == "2026-12-02"
    assert when(None) == ""


def test_the_admin_writes_moments_in_the_same_format():
    # The admin's change lists and read-only fields localize with DATETIME_FORMAT.
    assert formats.localize(timezone.localtime(MOMENT)) == "2026-12-02 14:55 UTC"
    assert formats.localize(MOMENT.date()) == "2026-12-02"


def test_every_template_has_the_filters_without_loading_them():
    rendered = Template("{{ moment|when }} {{ name|arn }} {{ text|bidi_escaped }}").render(
        Context({"moment": MOMENT, "name": "arn:aws:iam::1:user/mia", "text": "a\u202eb"})
    )
    assert rendered == "2026-12-02 14:55 UTC arn:<wbr>aws:<wbr>iam:<wbr>:<wbr>1:<wbr>user/<wbr>mia aU+202Eb"


def test_an_arn_may_break_after_each_colon_and_slash_and_is_escaped():
    assert arn("arn:aws:iam::123456789012:user/division/mia") == (
        "arn:<wbr>aws:<wbr>iam:<wbr>:<wbr>123456789012:<wbr>user/<wbr>division/<wbr>mia"
    )
    assert arn("arn:aws:s3:::<b>") == "arn:<wbr>aws:<wbr>s3:<wbr>:<wbr>:<wbr>&lt;b&gt;"


def test_bidi_controls_are_written_as_code_points():
    assert bidi_escaped("Deploys \u2067prod\u2069 \u200fonly") == "Deploys U+2067prodU+2069 U+200Fonly"
    assert bidi_escaped(None) == ""


HIDDEN = "Read-only access for \u202eauditors\u202c."
SHOWN = "Read-only access for U+202EauditorsU+202C."


@pytest.mark.django_db
def test_descriptions_show_their_bidi_controls_escaped_on_every_page(org):
    group = services.create_group(group_name="Reviewers", description=HIDDEN, actor=None)
    role = services.create_role(role_name="Reviewer", description=HIDDEN, actor=None)
    policy = policy_services.create_policy(
        policy_name="Reviewing", document=allow("storage:GetObject"), description=HIDDEN, actor=None
    )[0]
    client = client_for("iam-admin")
    for page in [
        url("group-detail", group.pk),
        url("group-list"),
        url("role-detail", role.pk),
        url("role-list"),
        reverse("policies:policy-detail", args=[policy.pk]),
        reverse("policies:policy-list"),
    ]:
        body = client.get(page).content.decode()
        assert SHOWN in body, page
        assert "\u202e" not in body, page
    assert Group.objects.get(pk=group.pk).description == HIDDEN


def test_no_template_writes_a_moment_in_a_format_of_its_own():
    """Every moment a page shows goes through `when` (the machine-readable `date:'c'` of a
    <time> element aside), so one format with its zone holds everywhere."""
    from pathlib import Path

    from django.conf import settings

    found = []
    for folder in settings.TEMPLATES[0]["DIRS"]:
        for path in Path(folder).rglob("*.html"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if "|date:" in line.replace("|date:'c'", "").replace('|date:"c"', ""):
                    found.append(f"{path.name}:{number}")
    assert found == []
