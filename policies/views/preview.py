"""The change preview section of a confirmation page, served here (identities never imports
policies): the page's form carries the change it is about (`preview_change`, its kind and
ARNs, as policies.preview.requests reads them) and this answers, before Save, who gains and
who loses what, with the permissions generation the preview saw for the save to check."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from identities import jsoninput
from identities.console import links_to, preview_field, problems_of
from identities.models import User
from policies import preview
from policies.models import ManagedPolicy, PreviewJob
from policies.preview import jobs
from policies.preview import requests as preview_requests
from policies.preview.access import in_words

TEMPLATE = "policies/_change_preview.html"


@login_required
@require_POST
def change_preview(request):
    """Refused (403) as the change itself would be; a change the service refuses says why."""
    described = request.POST.get("preview_change", "")
    typed = request.POST.get("preview_resources", "")
    context = {"preview_change": described, "typed": typed}
    try:
        description = _description(described, request.POST)
        change, arguments = preview_requests.change_from(description)
        resources = preview_requests.typed_resources(typed.split())
        if jobs.is_large():
            job = jobs.queue(request.user, description, resources)
            return render(request, TEMPLATE, context | {"job": job})
        found = preview.preview(request.user, change, resources=resources, **arguments)
    except preview_requests.ChangeError as error:
        # htmx swaps only a 2xx in: the section says what is missing, as the console's fragments do.
        return render(request, TEMPLATE, context | {"problems": [str(error)]}, status=200 if request.htmx else 400)
    except ValidationError as error:
        return render(request, TEMPLATE, context | {"problems": problems_of(error), "refused": True})
    return render(request, TEMPLATE, context | _shown(request, found))


@login_required
@require_GET
def change_preview_job(request, pk: int):
    """A queued preview's section: still waiting (it asks again), or its answer. Only its own
    actor's: anyone else gets 404."""
    job = get_object_or_404(PreviewJob, pk=pk, actor=request.user)
    context = {"preview_change": preview_field(job.description), "typed": "\n".join(job.resources)}
    if job.status == PreviewJob.Status.FAILED:
        return render(request, TEMPLATE, context | {"problems": [job.problem], "refused": True})
    if job.status != PreviewJob.Status.DONE:
        return render(request, TEMPLATE, context | {"job": job})
    return render(request, TEMPLATE, context | _shown(request, preview.Preview.from_data(job.result)))


def _description(text: str, form) -> dict:
    """The change the page describes, with what it leaves to its form taken from the form's
    fields: the policy chosen (by its key), the policy's name and document typed, whether the
    new version becomes the default."""
    try:
        data = jsoninput.loads(text or "null")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise preview_requests.ChangeError("The change to preview is not described.")
    for field in ("policy_name", "document"):
        if field not in data and form.get(field, "").strip():
            data[field] = form[field]
    if data.get("change") == "create-policy-version" and "set_as_default" not in data:
        data["set_as_default"] = form.get("set_as_default") == "on"
    if data.get("change") == "update-trust-policy" and "trust_policy" not in data and form.get("trust_policy"):
        data["trust_policy"] = form["trust_policy"]
    if data.get("change") == "assign-role-to-users" and "users" not in data:
        data["users"] = _user_arns(form.get("users", ""))
    if data.get("change") == "save-guardrail":
        data.setdefault("guardrail_name", form.get("guardrail_name", "").strip())
        if "level" not in data and form.get("level", "").isdigit():
            data["level"] = int(form["level"])
    if "policy" not in data and form.get("policy", "").isdigit():
        policy = ManagedPolicy.objects.filter(pk=int(form["policy"])).first()
        data["policy"] = policy.arn if policy is not None else ""
    if "policy" not in data and data.get("change") in _CHOOSING_A_POLICY or not data.get("policy", True):
        raise preview_requests.ChangeError("Choose a policy to see what the change does.")
    return data


_CHOOSING_A_POLICY = ("attach-policy", "set-permissions-boundary")


def _user_arns(names: str) -> list[str]:
    """The ARNs of the users a form names, separated by commas (as the assignment form takes them)."""
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    found = {user.username.lower(): user.arn for user in User.objects.filter(username__in=wanted)}
    missing = [name for name in wanted if name.lower() not in found]
    if missing:
        raise preview_requests.ChangeError(f"No user is named {', '.join(missing)}.")
    return [found[name.lower()] for name in wanted]


def _shown(request, found: preview.Preview) -> dict:
    links = links_to(request, [effect.arn for effect in found.shown])
    principals = [
        {
            "arn": effect.arn,
            "name": effect.arn.rsplit("/", 1)[-1],
            "kind": effect.kind,
            "url": links.get(effect.arn, ""),
            **{kind: _by_service(effect.of(kind)) for kind in KINDS},
            "counts": {kind: len(effect.of(kind)) for kind in KINDS},
        }
        for effect in found.shown
    ]
    for principal in principals:
        # A principal whose access moves in one service only shows it open.
        alone = sum(len(principal[kind]) for kind in KINDS) == 1
        for kind in KINDS:
            for group in principal[kind]:
                group["open"] = alone
    return {"preview": found, "principals": principals, "milliseconds": round(found.seconds * 1000)}


KINDS = ("gains", "loses", "changes")


def _by_service(changes: list[preview.Change]) -> list[dict]:
    """The changes of one kind grouped by the service of their actions, each with how many
    actions on resources move there and its lines (`_lines`), services in name order."""
    services: dict[str, list[preview.Change]] = {}
    for change in changes:
        services.setdefault(change.action.partition(":")[0].lower(), []).append(change)
    return [
        {"service": service, "count": len(found), "lines": _lines(found)} for service, found in sorted(services.items())
    ]


def _lines(changes: list[preview.Change]) -> list[dict]:
    """One line per resource and conditions, naming every action that moves there alike
    (AdministratorAccess gains a developer some 140 actions on any resource: one line)."""
    lines: dict[tuple, dict] = {}
    for change in changes:
        before, after = in_words(change.before), in_words(change.after)
        resource = "any resource" if change.resource == "*" else change.resource
        line = lines.setdefault(
            (resource, before, after), {"resource": resource, "before": before, "after": after, "actions": []}
        )
        line["actions"].append(change.action)
    return list(lines.values())
