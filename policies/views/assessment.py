"""The best-practice assessment: its findings page, its report (CSV and JSON), acknowledging a finding."""

import csv
import io
from datetime import UTC, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from identities import rules
from identities.console import PER_PAGE, links_to, page_url, require
from identities.context import Target
from identities.models import Group, Role, User
from policies import assessment, services

READ_ACTION = "iam:GetAssessmentReport"
CSV_COLUMNS = (
    "severity",
    "check",
    "title",
    "entity",
    "arn",
    "detail",
    "why",
    "fix",
    "acknowledged_by",
    "acknowledged_reason",
    "acknowledged_until",
)


@login_required
@require_GET
def assessment_report(request):
    """Every finding, worst first, each with why it matters and a link to where it is fixed."""
    require(request, READ_ACTION, Target("*"))
    findings = assessment.assess()
    page = Paginator(findings, PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    context = {
        "page": page,
        "rows": _rows(request, shown, links_to(request, [finding.arn for finding in shown if _on_identity(finding)])),
        "counts": assessment.counts(findings),
        "checks": assessment.CHECKS.values(),
    }
    return render(request, "policies/assessment_report.html", context)


@login_required
@require_GET
def assessment_export(request, form: str):
    """The report as a file: every finding with its acknowledgement, if any."""
    require(request, READ_ACTION, Target("*"))
    findings = assessment.assess()
    rows = _rows(
        request, findings, _every_page(request, {finding.arn for finding in findings if _on_identity(finding)})
    )
    records = [_record(row["finding"], row["fix_url"]) for row in rows]
    if form == "json":
        document = {"generated_at": timezone.now().isoformat(), "counts": assessment.counts(findings)}
        response = JsonResponse(document | {"findings": records}, json_dumps_params={"indent": 2})
    else:
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows({column: record[column] for column in CSV_COLUMNS} for record in records)
        response = HttpResponse(text.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="assessment.{form}"'
    return response


@login_required
@require_POST
def assessment_acknowledge(request):
    """Accept one finding for a while, with a reason; a finding no longer found is refused."""
    rules.require(request.user, rules.required(services.acknowledge_finding))
    key = request.POST.get("finding", "")
    finding = next((finding for finding in assessment.assess() if finding.key == key), None)
    try:
        if finding is None:
            raise ValidationError("That finding is not in the assessment now; nothing was acknowledged.")
        rules.perform(
            request.user,
            services.acknowledge_finding,
            finding_key=finding.key,
            target_arn=finding.arn,
            reason=request.POST.get("reason", ""),
            expires_at=_end_of(request.POST.get("expires", "")),
        )
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
    else:
        messages.success(request, f"Acknowledged: {finding.check.title} ({finding.entity}).")
    return redirect("policies:assessment")


def _end_of(text: str) -> datetime:
    """The end of the day a date names, in UTC; a date that is no date is refused."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ValidationError("Give the expiry as a date, such as 2027-01-31.") from None
    return datetime.combine(day, time.max, tzinfo=UTC)


def _on_identity(finding: assessment.Finding) -> bool:
    return finding.fix[0] in ("user", "group", "role")


def _every_page(request, arns: set[str]) -> dict[str, str]:
    """links_to for a whole report: each kind's table read once, however many findings there are
    (an IN list of 100,000 names is past what a database takes in one query)."""
    kinds = {arn.split(":", 5)[-1].split("/", 1)[0] for arn in arns}
    pages = {}
    for model, kind in ((User, "user"), (Group, "group"), (Role, "role")):
        if kind in kinds:
            pages |= {row.arn: page_url(request, row) for row in model.objects.all() if row.arn in arns}
    return {arn: url for arn, url in pages.items() if url}


def _rows(request, findings: list[assessment.Finding], pages: dict[str, str]) -> list[dict]:
    """Each finding with the page to fix it on (`pages`: by ARN, those the viewer may open)."""
    policies = {finding.arn for finding in findings if finding.fix[0] == "policy"}
    may_read = {arn: request.user.has_perm("iam:GetPolicy", Target(arn)) for arn in policies}
    guardrails = request.user.has_perm("iam:ListGuardrails", Target("*"))
    expectation_list = request.user.has_perm("iamconsole:ListAccessExpectations", Target("*"))
    rows = []
    for finding in findings:
        kind, pk = finding.fix
        if kind == "policy":
            url = reverse("policies:policy-detail", args=[pk]) if may_read[finding.arn] else ""
        elif kind == "guardrails":
            url = reverse("policies:guardrail-list") if guardrails else ""
        elif kind == "expectations":
            url = reverse("policies:expectation-list") if expectation_list else ""
        elif finding.code.startswith("root-") or finding.entity == "root user":
            url = reverse("identities:user-detail", args=[pk]) if request.user.is_superuser else ""
        else:
            url = pages.get(finding.arn, "")
        may_acknowledge = rules.allows(request.user, services.acknowledge_finding, target_arn=finding.arn)
        rows.append({"finding": finding, "fix_url": url, "may_acknowledge": may_acknowledge})
    return rows


def _record(finding: assessment.Finding, fix_url: str) -> dict:
    acknowledgement = finding.acknowledgement
    return {
        "key": finding.key,
        "severity": finding.severity.value,
        "check": finding.code,
        "title": finding.check.title,
        "entity": finding.entity,
        "arn": finding.arn,
        "detail": finding.detail,
        "why": finding.check.why,
        "fix": fix_url,
        "acknowledged_by": acknowledgement.acknowledged_by_arn if acknowledgement else "",
        "acknowledged_reason": acknowledgement.reason if acknowledgement else "",
        "acknowledged_until": acknowledgement.expires_at.isoformat() if acknowledgement else "",
    }
