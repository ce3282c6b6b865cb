"""The assessment's pages (policies/views/assessment.py): the findings, the CSV and JSON report, acknowledging."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from identities import services as identity_services
from identities.audit import AuditEvent
from policies import services
from policies.models import FindingAcknowledgement
from tests import factories
from tests.clients import client_for, signed_in
from tests.documents import allow

pytestmark = pytest.mark.django_db
URL = reverse("policies:assessment")
ACCOUNT = "123456789012"
HENRY_NO_GROUP = f"user-in-no-group:arn:aws:iam::{ACCOUNT}:user/henry"


def reader_only(org):
    """A user allowed the report and nothing else but SelfService (their own user page)."""
    user = identity_services.create_user(username="reader", password=factories.TEST_PASSWORD, actor=None)
    services.attach_policy(policy=org.policies["SelfService"], identity=user, actor=None)
    services.put_inline_policy(identity=user, policy_name="Read", document=allow("iam:GetAssessmentReport"), actor=None)
    return user


def finding_items(response) -> list[str]:
    return [
        line for line in response.content.decode().splitlines() if 'class="list-group-item assessment-finding"' in line
    ]


def test_the_iam_administrator_sees_every_finding_with_links(org):
    response = client_for("iam-admin").get(URL)
    assert response.status_code == 200
    assert len(finding_items(response)) == 23
    body = response.content.decode()
    assert reverse("identities:user-detail", args=[org.henry.pk]) in body
    assert reverse("policies:policy-detail", args=[org.policies["IAMFullAccess"].pk]) in body
    assert reverse("policies:guardrail-list") in body
    # Only root manages root: no link to the root user's page for anyone else.
    assert reverse("identities:user-detail", args=[org.root.pk]) not in body


def test_rows_link_only_where_the_viewer_may_open_the_page(org):
    reader = reader_only(org)
    body = signed_in(reader).get(URL).content.decode()
    assert reverse("identities:user-detail", args=[reader.pk]) in body  # SelfService reads their own user
    assert reverse("identities:user-detail", args=[org.henry.pk]) not in body
    assert reverse("policies:guardrail-list") not in body
    assert 'name="reason"' not in body  # not allowed iam:AcknowledgeFinding: no form


def test_without_the_read_action_the_page_and_reports_refuse(org):
    client = client_for("henry")
    for name in ("policies:assessment", "policies:assessment-csv", "policies:assessment-json"):
        assert client.get(reverse(name)).status_code == 403


def test_wrong_method(org):
    client = client_for("iam-admin")
    assert client.post(URL).status_code == 405
    assert client.get(reverse("policies:assessment-acknowledge")).status_code == 405


def test_the_json_and_csv_reports_hold_the_same_findings(org):
    client = client_for("iam-admin")
    report = json.loads(client.get(reverse("policies:assessment-json")).content)
    assert report["counts"] == {"high": 2, "medium": 10, "low": 11}
    henry = next(entry for entry in report["findings"] if entry["key"] == HENRY_NO_GROUP)
    assert henry["fix"] == reverse("identities:user-detail", args=[org.henry.pk])
    assert henry["severity"] == "low"
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("policies:assessment-csv")).content.decode())))
    assert [(row["check"], row["entity"]) for row in rows] == [(e["check"], e["entity"]) for e in report["findings"]]


def test_acknowledging_keeps_the_finding_with_its_reason_in_the_report(org):
    client = client_for("iam-admin")
    until = (timezone.now() + timedelta(days=20)).date()
    data = {"finding": HENRY_NO_GROUP, "reason": "Joins Operations next week.", "expires": until.isoformat()}
    response = client.post(reverse("policies:assessment-acknowledge"), data)
    assert response.status_code == 302
    report = json.loads(client.get(reverse("policies:assessment-json")).content)
    henry = next(entry for entry in report["findings"] if entry["key"] == HENRY_NO_GROUP)
    assert (henry["acknowledged_by"], henry["acknowledged_reason"]) == (
        org.iam_admin.arn,
        "Joins Operations next week.",
    )
    assert henry["acknowledged_until"].startswith(until.isoformat())
    assert report["counts"]["low"] == 10
    assert AuditEvent.objects.filter(event_name="AcknowledgeFinding", actor_arn=org.iam_admin.arn).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"finding": "user-in-no-group:arn:aws:iam::123456789012:user/mia"},
            "That finding is not in the assessment now",
        ),
        ({"expires": "31/01/2027"}, "Give the expiry as a date, such as 2027-01-31."),
        ({"expires": "2020-01-01"}, "The expiry must be in the future."),
        ({"reason": "  "}, "Say why the finding is accepted."),
    ],
)
def test_bad_input_is_told_and_changes_nothing(org, data, message):
    good = {
        "finding": HENRY_NO_GROUP,
        "reason": "ok",
        "expires": (timezone.now() + timedelta(days=3)).date().isoformat(),
    }
    response = client_for("iam-admin").post(reverse("policies:assessment-acknowledge"), good | data, follow=True)
    assert message in response.content.decode()
    assert not FindingAcknowledgement.objects.exists()
    assert not AuditEvent.objects.filter(event_name="AcknowledgeFinding").exists()


def test_the_page_keeps_its_query_count_as_the_account_grows(org):
    client = client_for("iam-admin")

    def measured() -> int:
        client.get(URL)  # compiles and caches the viewer's policies: measured warm, at both sizes
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    def grow(count: int, prefix: str) -> None:
        for user in factories.bulk_users(count, prefix=prefix):
            identity_services.create_access_key(user=user, actor=None)

    grow(2, "small")
    small = measured()
    grow(20, "large")
    assert measured() == small
    # 23 + 3 for each of the 22 grown users (no MFA, in no group, a key never used): two pages.
    response = client.get(URL)
    assert len(finding_items(response)) == 50
    assert "Page 1 of 2" in response.content.decode()


def test_the_report_keeps_its_query_count_as_the_account_grows(org):
    client = client_for("iam-admin")

    def measured() -> tuple[int, int]:
        client.get(reverse("policies:assessment-json"))
        with CaptureQueriesContext(connection) as captured:
            report = json.loads(client.get(reverse("policies:assessment-json")).content)
        return len(captured), len(report["findings"])

    factories.bulk_users(2, prefix="small")
    small, first = measured()
    factories.bulk_users(30, prefix="large")
    assert measured() == (small, first + 60)  # no MFA and in no group, each


def test_the_dashboard_tile_counts_by_severity_for_those_who_may_read_the_report(org):
    body = client_for("iam-admin").get(reverse("home")).content.decode()
    assert 'id="assessment-tile"' in body
    for number, severity in ((2, "high"), (10, "medium"), (11, "low")):
        assert f'data-severity="{severity}">{number} {severity}</span>' in body
    assert 'id="assessment-tile"' not in client_for("henry").get(reverse("home")).content.decode()


def test_the_tile_counts_again_after_an_acknowledgement(org):
    client = client_for("iam-admin")
    client.get(reverse("home"))
    until = (timezone.now() + timedelta(days=5)).date().isoformat()
    data = {"finding": HENRY_NO_GROUP, "reason": "Joins a team on Monday.", "expires": until}
    client.post(reverse("policies:assessment-acknowledge"), data)
    assert 'data-severity="low">10 low</span>' in client.get(reverse("home")).content.decode()


def test_only_root_acknowledges_a_finding_about_the_root_user(org):
    key = f"root-no-mfa:arn:aws:iam::{ACCOUNT}:root"
    data = {
        "finding": key,
        "reason": "Hardware token on order.",
        "expires": (timezone.now() + timedelta(days=9)).date(),
    }
    admin = client_for("iam-admin")
    # All 23 findings are listed to iam-admin, but root's is offered no form.
    assert admin.get(URL).content.decode().count('name="finding"') == 22
    assert admin.post(reverse("policies:assessment-acknowledge"), data).status_code == 403
    assert not FindingAcknowledgement.objects.exists()
    assert client_for("root").post(reverse("policies:assessment-acknowledge"), data).status_code == 302
    assert FindingAcknowledgement.objects.get().finding_key == key
