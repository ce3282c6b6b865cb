"""The console shell: the home page and the credential report."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from iamconsole.navigation import Allowed
from identities import queries, reports
from identities.exports import csv_lines
from policies import assessment


@login_required
def home(request):
    """The account at a glance for those who may list it; everyone sees their own access."""
    may = Allowed(request)
    kinds = [kind for kind in ("users", "groups", "roles") if may[kind]]
    version = queries.directory_version() if kinds else None
    context = {
        "may": may,
        "counts": queries.identity_counts(kinds, version),
        "users_in_no_group": queries.users_in_no_group_cached(version=version) if may["users"] else None,
        "is_root": request.user.is_superuser,
        "warnings": reports.security_warnings() if may["credential_report"] else None,
        "may_report": may["credential_report"],
        "own": None if request.user.is_superuser else queries.user_summary(request.user),
        "assessment": assessment.cached_counts() if may["assessment"] else None,
    }
    return render(request, "home.html", context)


@login_required
@require_GET
def credential_report(request):
    """Every user and the state of their credentials, in AWS's credential report columns."""
    for action in ("iam:GenerateCredentialReport", "iam:GetCredentialReport"):
        if not request.user.has_perm(action):
            raise PermissionDenied(f"{action} is not allowed.")
    lines = csv_lines(_with_header(reports.credential_report_rows()))
    response = StreamingHttpResponse(lines, content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="credential-report.csv"'
    return response


def _with_header(rows):
    yield reports.CREDENTIAL_REPORT_COLUMNS
    yield from rows
