"""Previews of large accounts as jobs of the database queue (policies.preview.jobs) and
`run_preview_jobs`; the save waits for the answer."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

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


# A runner lost while making a job, a job that fails, and the jobs kept


def _queued(org) -> PreviewJob:
    client_for("iam-admin").post(URL, remove_lucas(org))
    return PreviewJob.objects.get()


def _taken(job: PreviewJob, *, ago: timedelta, attempts: int = 1) -> None:
    PreviewJob.objects.filter(pk=job.pk).update(
        status=PreviewJob.Status.RUNNING, started_at=timezone.now() - ago, attempts=attempts
    )


def test_a_job_whose_runner_was_lost_is_made_again_after_the_timeout(org, large, settings):
    settings.IAM_PREVIEW_JOB_TIMEOUT_SECONDS = 600
    job = _queued(org)
    _taken(job, ago=timedelta(seconds=60))
    assert run_jobs() == "0 previews made.\n"  # still within the timeout: its runner may be at it
    _taken(job, ago=timedelta(seconds=601))
    assert run_jobs() == "1 previews made.\n"
    job.refresh_from_db()
    assert (job.status, job.attempts) == (PreviewJob.Status.DONE, 2)
    assert "lucas" in json.dumps(job.result)


def test_a_job_lost_twice_fails_and_its_page_says_why(org, large, settings):
    settings.IAM_PREVIEW_JOB_TIMEOUT_SECONDS = 600
    job = _queued(org)
    _taken(job, ago=timedelta(seconds=601), attempts=2)
    assert run_jobs() == "0 previews made.\n"
    job.refresh_from_db()
    assert job.status == PreviewJob.Status.FAILED
    text = client_for("iam-admin").get(reverse("policies:change-preview-job", args=[job.pk])).content.decode()
    assert "started 2 times and never finished" in text


def test_a_job_that_fails_unexpectedly_fails_alone_and_the_runner_goes_on(org, large, caplog):
    broken = _queued(org)
    # Resources the console never writes (an object, not a string): the preview raises.
    PreviewJob.objects.filter(pk=broken.pk).update(resources=[{"not": "a resource"}])
    client_for("iam-admin").post(URL, remove_lucas(org))
    assert run_jobs() == "2 previews made.\n"
    broken.refresh_from_db()
    assert broken.status == PreviewJob.Status.FAILED
    assert "the runner's log has the details" in broken.problem
    assert f"Change preview {broken.pk} failed" in caplog.text
    assert PreviewJob.objects.exclude(pk=broken.pk).get().status == PreviewJob.Status.DONE


def test_finished_jobs_are_forgotten_a_day_after_they_finished(org, large):
    old, recent, waiting = (_queued_again(org) for _ in range(3))
    PreviewJob.objects.filter(pk=old.pk).update(
        status="done", finished_at=timezone.now() - timedelta(days=1, seconds=1)
    )
    PreviewJob.objects.filter(pk=recent.pk).update(status="failed", finished_at=timezone.now() - timedelta(hours=23))
    from policies.preview import jobs

    assert jobs.forget_finished() == 1
    assert set(PreviewJob.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}


def _queued_again(org) -> PreviewJob:
    client_for("iam-admin").post(URL, remove_lucas(org))
    return PreviewJob.objects.latest("pk")
