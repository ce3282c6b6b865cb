"""The queue of previews too large to make while the page waits: rows of PreviewJob, made
one at a time by `python manage.py run_preview_jobs`, started beside gunicorn
(docs/deployment.md). No broker: the database is the queue."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from identities import rules
from identities.models import Role, User
from policies.models import PreviewJob
from policies.preview import requests
from policies.preview.run import preview


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
    """The oldest queued job, marked running: a conditional UPDATE, so two runners never take one."""
    while True:
        job = PreviewJob.objects.filter(status=PreviewJob.Status.QUEUED).order_by("created_at", "pk").first()
        if job is None:
            return None
        taken = PreviewJob.objects.filter(pk=job.pk, status=PreviewJob.Status.QUEUED)
        if taken.update(status=PreviewJob.Status.RUNNING):
            job.status = PreviewJob.Status.RUNNING
            return job


def run(job: PreviewJob) -> PreviewJob:
    """Make the job's preview as its actor, and keep the answer (or why there is none)."""
    try:
        change, arguments = requests.change_from(job.description)
        found = preview(job.actor, change, resources=job.resources, **arguments)
    except (requests.ChangeError, PermissionDenied) as error:
        job.status, job.problem = PreviewJob.Status.FAILED, str(error)
    except ValidationError as error:
        job.status, job.problem = PreviewJob.Status.FAILED, " ".join(error.messages)
    else:
        job.status, job.result = PreviewJob.Status.DONE, found.as_data()
    job.finished_at = timezone.now()
    with transaction.atomic():
        job.save(update_fields=["status", "problem", "result", "finished_at"])
    return job


def run_queued() -> int:
    """Run every queued job; how many ran."""
    count = 0
    while (job := claim()) is not None:
        run(job)
        count += 1
    return count
