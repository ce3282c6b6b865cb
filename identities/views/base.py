"""What the console pages of users, groups and roles share: loading under a
permission check, pagination, and answering a change in place or by redirect
(policies' pages show an object's history with `history` too)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from identities import queries, rules, staleness

PER_PAGE = 50


def require(request, action: str, obj=None) -> None:
    """403 unless the signed-in principal may do `action` (on `obj`)."""
    if not request.user.has_perm(action, obj):
        raise PermissionDenied(f"Your policies do not allow {action}{f' on {obj.arn}' if obj else ''}.")


def readable(request, model: type[Model], pk: int, get_action: str, change_action: str = ""):
    """The object if the principal may read it (404 otherwise, so nothing leaks), then may change it (403)."""
    obj = get_object_or_404(model, pk=pk)
    if not request.user.has_perm(get_action, obj):
        raise Http404("Not found.")
    if change_action:
        require(request, change_action, obj)
    return obj


def page_of(request, rows: QuerySet) -> Page:
    """One page of `rows`: the paginator's one COUNT, then the page's own LIMIT query."""
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


def problems_of(error: ValidationError) -> list[str]:
    """A section answers with what is stored now, so a stale save's refusal says it shows the current one."""
    if isinstance(error, staleness.StaleEdit):
        return [staleness.message(error.what, current_shown=True)]
    return list(error.messages)


def answer(request, *, template: str, context: dict, url: str, done: str = "", problems=()) -> HttpResponse:
    """An htmx request gets the section again with the outcome in it; a plain POST gets a redirect."""
    if request.htmx:
        return render(request, template, context | {"done": done, "problems": list(problems)})
    for problem in problems:
        messages.error(request, problem)
    if done:
        messages.success(request, done)
    return redirect(url)


def history(request, obj) -> dict:
    """The object's recent audit events, for those who may read the trail (iam:ListAuditEvents)."""
    if not request.user.has_perm("iam:ListAuditEvents"):
        return {"events": None}
    link = f"{reverse('identities:audit-list')}?{urlencode({'target': obj.arn})}"
    return {"events": queries.recent_events(obj.arn), "audit_link": link}


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
            rules.perform(request.user, change, **arguments)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{type(identity)._meta.verbose_name.capitalize()} {identity.name} was deleted.")
            list_url, list_action = listed_by
            return redirect(list_url if request.user.has_perm(list_action) else "home")
    status = 403 if request.method == "POST" and refused else 200
    page = context | {"obstacles": queries.deletion_obstacles(identity), "refused": refused}
    return render(request, template, page, status=status)
