"""The audit trail's console page: search, keyset pages, export as CSV or JSON Lines, and the
last days' counts of requests refused without credentials.

Governed by `iam:ListAuditEvents` (without it the page does not exist: 404) and
`iam:ExportAuditEvents` (403 for a reader without it). An export is itself
recorded, as AWS records LookupEvents: who took a copy of the trail, and of what.
"""

import json
from collections.abc import Iterable, Iterator
from itertools import chain

from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from identities import audit, forms, queries
from identities.audit import AuditEvent
from identities.console import links_to, require
from identities.exports import csv_lines

EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}
COLUMNS = ("occurred_at", "event_name", "outcome", "actor_arn", "session_arn", "source_ip", "target_arn")
# Days of refusals without credentials (counted, not recorded: identities.audit) the page shows.
REFUSAL_DAYS = 7


@login_required
@require_GET
def audit_list(request):
    if not request.user.has_perm("iam:ListAuditEvents"):
        raise Http404("No such page.")  # the trail's existence is no one else's business
    form = forms.AuditFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "identities/audit_list.html", {"form": form, "page": None})
    filters, export = form.filters(), request.GET.get("format", "")
    if export in EXPORT_FORMATS:
        return _export(request, filters, export)
    page = queries.audit_page(filters, cursor=form.cleaned_data["cursor"])
    links = links_to(request, [arn for event in page.events for arn in (event.actor_arn, event.target_arn)])
    for event in page.events:
        event.actor_url, event.target_url = links.get(event.actor_arn), links.get(event.target_arn)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "may_export": request.user.has_perm("iam:ExportAuditEvents"),
        "refusals": audit.anonymous_refusals(days=REFUSAL_DAYS),
    }
    return render(request, "identities/audit_list.html", context)


def _export(request, filters: queries.AuditFilter, export: str) -> StreamingHttpResponse:
    require(request, "iam:ExportAuditEvents")
    audit.record_request("ExportAuditEvents", actor=request.user, after={"format": export, **_described(filters)})
    rows = queries.audit_export_rows(filters)
    lines = _csv_lines(rows) if export == "csv" else (json.dumps(_as_dict(event)) + "\n" for event in rows)
    response = StreamingHttpResponse(lines, content_type=EXPORT_FORMATS[export])
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.{export}"'
    return response


def _described(filters: queries.AuditFilter) -> dict:
    return {
        name: value.isoformat() if hasattr(value, "isoformat") else value
        for name, value in vars(filters).items()
        if value
    }


def _as_dict(event: AuditEvent) -> dict:
    values = {column: getattr(event, column) for column in COLUMNS}
    values["occurred_at"] = event.occurred_at.isoformat()
    return {**values, "before": event.before, "after": event.after}


def _csv_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    header = [*COLUMNS, "before", "after"]
    return csv_lines(chain([header], (_csv_row(event) for event in events)))


def _csv_row(event: AuditEvent) -> list[str]:
    values = _as_dict(event)
    cells = [values[column] or "" for column in COLUMNS]
    cells += [json.dumps(values["before"]) if values["before"] is not None else ""]
    cells += [json.dumps(values["after"]) if values["after"] is not None else ""]
    return cells
