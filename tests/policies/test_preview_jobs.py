"""Previews of large accounts as jobs of the database queue (policies.preview.jobs) and
`run_preview_jobs`; the save waits for the answer."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from identities.models import Membership
from policies.models import PreviewJob
from tests.clients import client_for

pytestmark = pytest.mark.django_db

URL = reverse("policies:change-preview")


@pytest.fixture
def large(settings):
    """Every account is "large": past one principal, previews are queued."""
    settings.IAM_PREVIEW_INLINE_MAX = 1


def remove_lucas(org) -> dict:
    change = {"change": "remove-members", "group": org.groups["Operations"].arn, "users": [org.lucas.arn]}
    return {"preview_change": json.dumps(change)}


def run_jobs() -> str:
    out = io.StringIO()
    call_command("run_preview_jobs", "--once", stdout=out)
    return out.getvalue()


def test_a_large_account_queues_the_preview_and_the_page_asks_for_it(org, large):
    client = client_for("iam-admin")
    text = client.post(URL, remove_lucas(org)).content.decode()
    job = PreviewJob.objects.get()
    assert job.status == PreviewJob.Status.QUEUED
    assert f'hx-get="/policies/change-preview/{job.pk}/"' in text
    assert 'name="preview_generation" value="pending"' in text
    job_url = reverse("policies:change-preview-job", args=[job.pk])
    assert "is queued" in client.get(job_url).content.decode()
    assert run_jobs() == "1 previews made.\n"
    answer = client.get(job_url).content.decode()
    assert answer.count("change-preview-principal") == 1
    assert "lucas" in answer and "<code>storage:PutObject</code>" in answer
    assert 'name="preview_generation" value="' in answer and 'value="pending"' not in answer


def test_a_save_before_the_queued_preview_is_made_is_refused(org, large):
    client = client_for("iam-admin")
    client.post(URL, remove_lucas(org))
    operations = org.groups["Operations"]
    url = reverse("identities:group-members-remove", args=[operations.pk])
    response = client.post(url, {"users": "lucas", "confirm": "yes", "preview_generation": "pending"}, follow=True)
    assert "The preview is stale; preview again." in response.content.decode()
    assert Membership.objects.filter(group=operations, user=org.lucas).exists()


def test_a_queued_preview_is_its_actor_s_alone(org, large):
    client_for("iam-admin").post(URL, remove_lucas(org))
    job = PreviewJob.objects.get()
    assert client_for("mia").get(reverse("policies:change-preview-job", args=[job.pk])).status_code == 404


def test_a_change_the_actor_may_not_make_is_refused_before_it_is_queued(org, large):
    assert client_for("mia").post(URL, remove_lucas(org)).status_code == 403
    assert not PreviewJob.objects.exists()


def test_a_job_whose_change_became_impossible_says_why(org, large):
    from identities import services as identity_services

    client = client_for("iam-admin")
    client.post(URL, remove_lucas(org))
    identity_services.remove_members(group=org.groups["Operations"], users=[org.lucas], actor=None)
    run_jobs()
    job = PreviewJob.objects.get()
    assert job.status == PreviewJob.Status.FAILED
    text = client.get(reverse("policies:change-preview-job", args=[job.pk])).content.decode()
    assert "This change would be refused: Not a member of Operations: lucas." in text


def test_a_small_account_previews_while_the_page_waits(org):
    text = client_for("iam-admin").post(URL, remove_lucas(org)).content.decode()
    assert not PreviewJob.objects.exists()
    assert text.count("change-preview-principal") == 1


def test_a_queued_preview_s_answer_costs_the_same_queries_as_it_grows(org, large):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories

    client = client_for("iam-admin")
    attach = {
        "change": "attach-policy",
        "identity": org.groups["Developers"].arn,
        "policy": org.policies["AdministratorAccess"].arn,
    }

    def measured() -> int:
        client.post(URL, {"preview_change": json.dumps(attach)})
        run_jobs()
        url = reverse("policies:change-preview-job", args=[PreviewJob.objects.latest("pk").pk])
        client.get(url)  # the viewer's policies compiled and cached: measured warm at both sizes
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    factories.bulk_memberships(org.groups["Developers"], factories.bulk_users(2, prefix="small"))
    small = measured()
    factories.bulk_memberships(org.groups["Developers"], factories.bulk_users(20, prefix="large"))
    assert measured() == small
    text = client.get(reverse("policies:change-preview-job", args=[PreviewJob.objects.latest("pk").pk])).content
    assert text.decode().count("change-preview-principal") == 25
