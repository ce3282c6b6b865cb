"""The console's kit: what every console page of identities and policies does the same way.

Loading an object under a permission check (404 without the right to read it,
403 with it but without the right to change it), deciding which rows of a list
the viewer may open, paging, answering a change in place (htmx) or by redirect,
an object's recent history, and the console's own refusal pages. Django only,
so `policies` may use it; every decision goes through `has_perm` and
`identities.rules`.
"""

import json
from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import router, transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from identities import generation, queries, rules, staleness
from identities.context import Target, context_of
from identities.models import Group, PermissionsGeneration, Role, User

PER_PAGE = 50
# The console page of each kind of identity, and the action that opens it.
_PAGES = {
    User: ("identities:user-detail", "iam:GetUser"),
    Group: ("identities:group-detail", "iam:GetGroup"),
    Role: ("identities:role-detail", "iam:GetRole"),
}
# Namespaces that answer their refusals their own way: the admin its pages, the API its JSON.
_OWN_REFUSALS = ("admin", "api")


# Loading under a permission check


def require(request, action: str, obj=None) -> None:
    """403 (rules.Refused, naming the action) unless the acting principal may do `action` (on `obj`)."""
    if not request.user.has_perm(action, obj):
        raise rules.Refused(rules.Check(action, obj))


def readable(
    request, model: type[Model], pk: int | None, get_action: str | tuple[str, ...], change_action: str = "", **lookups
):
    """The object (by `pk`, or by `lookups`) if the principal may read it, by `get_action` or any
    of several (404 otherwise: no such object and no right to read it look the same), then, with
    `change_action`, may change it (403)."""
    obj = model._default_manager.filter(**({"pk": pk} if pk is not None else {}), **lookups).first()
    if obj is None:
        raise Http404("No such page.")  # the same words as a refusal: the audit trail tells nothing apart
    actions = (get_action,) if isinstance(get_action, str) else get_action
    allowed = next((action for action in actions if request.user.has_perm(action, obj)), None)
    if allowed is None:
        raise Http404("No such page.")
    if change_action:
        require(request, change_action, obj)
    # The page is a real read of the object (and a change to come): the last-accessed data's.
    rules.note_allowed(request.user, [rules.Check(action, obj) for action in (allowed, change_action) if action])
    return obj


def mark_openable(request, rows: Iterable, action: str, *, of: Callable = lambda row: row, name: str = "may_open"):
    """Set `name` on each row: whether the viewer may open the page of `of(row)` (`action` on it).
    One pass over rows already loaded: the acting principal's policies are compiled once per
    request, so the decisions add no query however many rows there are."""
    rows = list(rows)
    for row in rows:
        setattr(row, name, request.user.has_perm(action, of(row)))
    return rows


def links_to(request, arns: Iterable[str]) -> dict[str, str]:
    """The page of each user, group or role these ARNs name that the viewer may open, by ARN:
    the identities read in one query per kind, the decisions in one pass."""
    found = queries.identities_at([arn for arn in arns if arn]).items()
    return {arn: url for arn, identity in found if (url := page_url(request, identity))}


def page_url(request, identity: User | Group | Role) -> str:
    """The console page of a user, group or role if the viewer may open it, else ""."""
    name, action = _PAGES[type(identity)]
    return reverse(name, args=[identity.pk]) if request.user.has_perm(action, identity) else ""


# Lists


def page_of(request, rows: QuerySet, per_page: int = PER_PAGE) -> Page:
    """One page of `rows`: the paginator's one COUNT, then the page's own LIMIT query."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


# Answering a change


def problems_of(error: ValidationError) -> list[str]:
    """A section answers with what is stored now, so a stale save's refusal says it shows the current one."""
    if isinstance(error, staleness.StaleEdit):
        return [staleness.message(error.what, current_shown=True)]
    return list(error.messages)


def answer(request, *, template: str, context: dict, url: str, done: str = "", problems=(), about=None) -> HttpResponse:
    """An htmx request gets the section again with the outcome in it, and, with `about`, the
    page's recent history of that object again (it may have a new event); a plain POST gets a redirect."""
    if request.htmx:
        response = render(request, template, context | {"done": done, "problems": list(problems)})
        return with_history(request, response, about) if about is not None else response
    for problem in problems:
        messages.error(request, problem)
    if done:
        messages.success(request, done)
    return redirect(url)


def confirmed(request) -> bool:
    """Whether this POST is the one that answered a question (`question`) with yes."""
    return request.POST.get("confirm") == "yes"


def question(request, *, text: str, button: str, section: str, cancel: str) -> dict:
    """A question asked before a change is saved (templates/console/_question.html): the same
    POST, sent again with confirm=yes, makes it; `section`: the id of the part of the page htmx
    swaps with the answer; `cancel`: the page to go back to, nothing changed."""
    fields = [
        (name, value)
        for name in request.POST
        if name not in ("csrfmiddlewaretoken", "confirm")
        for value in request.POST.getlist(name)
    ]
    return {"text": text, "button": button, "fields": fields, "url": request.path, "section": section, "cancel": cancel}


def ask(request, *, template: str, page: str, context: dict, obj) -> HttpResponse:
    """A question (`question`) instead of the change: htmx gets the section with it, a plain POST
    the whole page of `obj` (`page`) with it."""
    if request.htmx:
        return render(request, template, context)
    return render(request, page, context | history(request, obj))


def adds_self(request, users: Iterable[User]) -> bool:
    """Whether a membership change adds the signed-in user themself: allowed when their policies
    allow it (as in AWS), but they are told before it is saved and in its confirmation."""
    return any(user.pk == request.user.pk for user in users)


def history(request, obj) -> dict:
    """The object's recent audit events, for those who may read the trail (iam:ListAuditEvents)."""
    if not request.user.has_perm("iam:ListAuditEvents"):
        return {"events": None}
    link = f"{reverse('identities:audit-list')}?{urlencode({'target': obj.arn})}"
    return {"events": queries.recent_events(obj.arn), "audit_link": link}


def with_history(request, response: HttpResponse, obj) -> HttpResponse:
    """A section changed in place, followed by the page's recent history of `obj` swapped in out
    of band, so the history shows the event just recorded (for those who may read the trail)."""
    recent = history(request, obj)
    if recent["events"] is not None:
        response.content += render_to_string(
            "console/_recent_events.html", recent | {"out_of_band": True}, request=request
        ).encode()
    return response


def delete_page(request, change, *, subject: str, arguments: dict, template: str, context: dict, listed_by: tuple):
    """A deletion's confirmation and, on POST, the deletion. What stands in the way is listed
    and removed first in the same step; a removal the viewer may not make refuses it all (403).
    `subject`: how the service names the identity in `arguments`; `listed_by`: the list page to
    go back to and the action that opens it."""
    identity = arguments[subject]
    rules.require(request.user, rules.required(change, **{subject: identity}))
    refused = [str(check) for check in rules.refused(request.user, rules.required(change, **arguments))]
    if request.method == "POST" and not refused:
        try:
            perform_previewed(request, change, **arguments)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{type(identity)._meta.verbose_name.capitalize()} {identity.name} was deleted.")
            list_url, list_action = listed_by
            return redirect(list_url if request.user.has_perm(list_action) else "home")
    status = 403 if request.method == "POST" and refused else 200
    page = context | {"obstacles": queries.deletion_obstacles(identity), "refused": refused}
    if not refused:
        page["preview_change"] = preview_field({"change": f"delete-{subject}", subject: identity.arn})
    return render(request, template, page, status=status)


# Saving after a change preview (policies.preview: the section before Save)


def preview_field(description: dict) -> str:
    """The change a confirmation page previews, as the preview section reads it: its kind
    and the ARNs it names (policies.preview.requests)."""
    return json.dumps(description, sort_keys=True)


def perform_previewed(request, change: Callable, **arguments):
    """`rules.perform`, refused ("the preview is stale; preview again") when the permissions
    moved since the preview the form carries was made: checked under the generation's row
    lock, in the saving transaction."""
    seen = request.POST.get("preview_generation")
    with transaction.atomic():
        if seen is not None:
            refuse_stale_preview(int(seen) if seen.lstrip("-").isdigit() else -1)
        return rules.perform(request.user, change, **arguments)


def refuse_stale_preview(seen: int | None) -> None:
    """Inside the saving transaction: take the generation's row lock (so no other change
    lands between this check and the save) and refuse when it is not the one the preview
    saw. `seen` None: the save came without a preview."""
    if seen is not None and generation.lock(router.db_for_write(PermissionsGeneration)) != seen:
        raise ValidationError(staleness.PREVIEW_STALE, code="stale")


# Refusals: the console's own pages, whatever DEBUG says


def not_found(request, exception=None) -> HttpResponse:
    """The console's 404: only that there is no such page (it never says why, nor lists URLs)."""
    response = render(request, "404.html", status=404)
    response.console_refusal = True
    return response


def forbidden(request, exception=None) -> HttpResponse:
    """The console's 403: the action refused, on what, and the policy check of it."""
    context = {"reason": str(exception or "")}
    check = getattr(exception, "check", None)
    if check is not None:
        context = {"action": check.action, "resource": check.resource}
        context["check_url"] = _policy_check_url(request, check, check.resource)
    context["may_check"] = _may_check(request)
    response = render(request, "403.html", context, status=403)
    response.console_refusal = True
    return response


def _may_check(request) -> bool:
    """Whether the viewer may run the policy check the page offers: iam:SimulatePrincipalPolicy
    on the principal acting now (the user, or their role session)."""
    user = request.user
    if not user.is_authenticated:
        return False
    acting = context_of(user)
    principal = acting.principal_arn if acting is not None and acting.principal_arn else user.arn
    return user.has_perm("iam:SimulatePrincipalPolicy", Target(principal))


def _policy_check_url(request, check: rules.Check, resource: str) -> str:
    """The policy check of this very request, for the principal acting now (the user or their role session)."""
    user = request.user
    acting = context_of(user)
    session_arn = acting.session_arn if acting is not None and acting.is_about(user) else ""
    query = {
        "kind": "session" if session_arn else "user",
        "principal": session_arn or user.arn,
        "actions": check.action,
        "resources": resource,
    }
    return f"{reverse('policies:policy-check')}?{urlencode(query)}"


class RefusalMiddleware:
    """Answers the console's refusals (Http404, PermissionDenied) with its own pages in every mode:
    with DEBUG on, Django would answer a 404 with its technical page listing every URL pattern.
    The admin and the API keep their own answers. Placed before identities' AuditRefusalMiddleware,
    whose process_exception runs first and records the refusal's reason."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and not getattr(response, "console_refusal", False)
            and response.get("Content-Type", "").startswith("text/html")
            and _console(request)
        ):
            return not_found(request)
        return response

    def process_exception(self, request, exception):
        if not _console(request):
            return None
        if isinstance(exception, Http404):
            return not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return forbidden(request, exception)
        return None


def _console(request) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return not set(match.namespaces) & set(_OWN_REFUSALS)
    own = [reverse("admin:index"), settings.IAM_API_PATH_PREFIX]
    return not any(request.path.startswith(prefix) for prefix in own)
