"""The queue of previews too large to make while the page waits: rows of PreviewJob, made
one at a time by `python manage.py run_preview_jobs`, started beside gunicorn
(docs/deployment.md). No broker: the database is the queue.

A runner stopped while making a job leaves it running: once IAM_PREVIEW_JOB_TIMEOUT_SECONDS
have passed since it was taken, another runner takes it again, and after MOST_ATTEMPTS the job
fails with a message that says so. Finished jobs are forgotten after KEPT_FOR (their page asks
for the answer within seconds; the change itself is audited when it is saved)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from identities import rules
from identities.models import Role, User
from policies.models import PreviewJob
from policies.preview import requests
from policies.preview.run import preview

logger = logging.getLogger(__name__)

MOST_ATTEMPTS = 2
KEPT_FOR = timedelta(days=1)
_FINISHED = (PreviewJob.Status.DONE, PreviewJob.Status.FAILED)


def is_large() -> bool:
    """Whether the account has more principals (active users and roles) than a page waits for."""
    limit = settings.IAM_PREVIEW_INLINE_MAX
    users = User.objects.filter(is_active=True, is_superuser=False)[: limit + 1].count()
    return users > limit or users + Role.objects.count() > limit


def queue(actor, description: dict, resources: list[str]) -> PreviewJob:
    """Queue the preview of a change the actor may make (refused now, as the change would be,
    otherwise); a description naming nothing that exists is a ChangeError now too."""
    change, arguments = requests.change_from(description)
    rules.require(actor, rules.required(change, **arguments))
    return PreviewJob.objects.create(actor=actor, description=description, resources=resources)


def claim() -> PreviewJob | None:
    """The oldest job to make, marked running: queued, or running past the timeout (its runner
    lost). A conditional UPDATE on what was read, so two runners never take one."""
    while True:
        job = _next_job(timezone.now())
        if job is None:
            return None
        if job.attempts >= MOST_ATTEMPTS:
            _give_up(job)
            continue
        now = timezone.now()
        taken = PreviewJob.objects.filter(pk=job.pk, status=job.status, started_at=job.started_at)
        if taken.update(status=PreviewJob.Status.RUNNING, started_at=now, attempts=F("attempts") + 1):
            job.status, job.started_at, job.attempts = PreviewJob.Status.RUNNING, now, job.attempts + 1
            return job


def _next_job(now) -> PreviewJob | None:
    lost = now - timedelta(seconds=settings.IAM_PREVIEW_JOB_TIMEOUT_SECONDS)
    waiting = Q(status=PreviewJob.Status.QUEUED) | Q(status=PreviewJob.Status.RUNNING, started_at__lt=lost)
    return PreviewJob.objects.filter(waiting).order_by("created_at", "pk").first()


def _give_up(job: PreviewJob) -> None:
    problem = (
        f"The preview was started {job.attempts} times and never finished (its runner stopped each time); "
        "preview again, and ask an administrator to look at run_preview_jobs if it happens again."
    )
    PreviewJob.objects.filter(pk=job.pk, status=job.status, started_at=job.started_at).update(
        status=PreviewJob.Status.FAILED, problem=problem, finished_at=timezone.now()
    )


def run(job: PreviewJob) -> PreviewJob:
    """Make the job's preview as its actor, and keep the answer (or why there is none)."""
    try:
        change, arguments = requests.change_from(job.description)
        found = preview(job.actor, change, resources=job.resources, **arguments)
    except (requests.ChangeError, PermissionDenied) as error:
        job.status, job.problem = PreviewJob.Status.FAILED, str(error)
    except ValidationError as error:
        job.status, job.problem = PreviewJob.Status.FAILED, " ".join(error.messages)
    except Exception as error:  # noqa: BLE001 - one job's fault must not stop the runner or leave it running
        logger.exception("Change preview %s failed", job.pk)
        job.status = PreviewJob.Status.FAILED
        job.problem = f"The preview could not be made ({type(error).__name__}); the runner's log has the details."
    else:
        job.status, job.result = PreviewJob.Status.DONE, found.as_data()
    job.finished_at = timezone.now()
    with transaction.atomic():
        job.save(update_fields=["status", "problem", "result", "finished_at"])
    return job


def forget_finished() -> int:
    """Delete the jobs finished more than KEPT_FOR ago; how many."""
    old = PreviewJob.objects.filter(status__in=_FINISHED, finished_at__lt=timezone.now() - KEPT_FOR)
    return old.delete()[0]


def run_queued() -> int:
    """Run every queued job (and every one whose runner was lost); how many ran."""
    count = 0
    while (job := claim()) is not None:
        run(job)
        count += 1
    return count
