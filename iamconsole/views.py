"""The console shell: the home page and the credential report."""

from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from iamconsole import charts
from iamconsole.navigation import Allowed
from identities import audit, queries, reports
from identities.console import mark_openable, page_url, require
from identities.context import Target, context_of
from identities.exports import csv_lines
from policies import assessment, authorization
from policies import queries as policy_queries

# Days of decision API answers the dashboard's chart shows, today's included.
CHART_DAYS = 30
# Rows of a user's home: their latest refusals, and the groups and roles they manage.
REFUSAL_ROWS = 5
MANAGED_ROWS = 10


@login_required
def home(request):
    """The account at a glance for those who may list it; everyone sees their own access."""
    may = Allowed(request)
    # Acting in a role session, "your access" is the role's: the user's own groups and roles do not apply.
    acting = context_of(request.user)
    session = acting.role_session if acting is not None else None
    kinds = [kind for kind in ("users", "groups", "roles") if may[kind]]
    version = queries.directory_version() if kinds else None
    no_group = may["users"] and mark_openable(request, queries.users_in_no_group_cached(version=version), "iam:GetUser")
    context = {
        "may": may,
        "counts": queries.identity_counts(kinds, version),
        "users_in_no_group": no_group if may["users"] else None,
        "is_root": request.user.is_superuser,
        "warnings": reports.security_warnings() if may["credential_report"] else None,
        "may_report": may["credential_report"],
        "own": None if request.user.is_superuser or session else queries.user_summary(request.user),
        "home": None if request.user.is_superuser or session else _own_home(request),
        "session_access": _session_access(request, session) if session else None,
        "assessment": assessment.cached_counts() if may["assessment"] else None,
        # The decision API's counts are part of the audit trail's record.
        "decisions": charts.decisions_chart(audit.daily_decisions(days=CHART_DAYS)) if may["audit"] else None,
    }
    return render(request, "home.html", context)


class Managed(NamedTuple):
    rows: list  # the first MANAGED_ROWS, by name
    count: int


def _own_home(request) -> dict:
    """What a user's home answers beside their summary: what they may do, what they were
    refused lately, and the groups and roles whose members or assignments they may change."""
    user = request.user
    may_check = user.has_perm("iam:SimulatePrincipalPolicy", Target(user.arn))
    groups = _managed(request, queries.groups_matching(), ("iam:AddUserToGroup", "iam:RemoveUserFromGroup"))
    roles = _managed(request, queries.roles_matching(), ("iam:UpdateAssumeRolePolicy",))
    return {
        "may_check": may_check,
        "access": policy_queries.permission_summary(authorization.layers_of(user)) if may_check else None,
        "refusals": queries.own_refusals(user, limit=REFUSAL_ROWS),
        "denials": queries.decision_denials(user, limit=REFUSAL_ROWS),
        "recording_decisions": settings.IAM_AUDIT_ALLOWED_DECISIONS,
        "groups": _annotated(request, groups, queries.annotate_group_rows, "iam:GetGroup"),
        "roles": _annotated(request, roles, queries.annotate_role_rows, "iam:GetRole"),
    }


def _managed(request, rows: Iterable, actions: tuple[str, ...]) -> list:
    return [row for row in rows if any(request.user.has_perm(action, row) for action in actions)]


def _annotated(request, rows: list, annotate: Callable[[list], list], get_action: str) -> Managed:
    shown = mark_openable(request, annotate(rows[:MANAGED_ROWS]), get_action)
    return Managed(shown, len(rows))


def _session_access(request, session) -> policy_queries.SessionAccess:
    access = policy_queries.session_access(session)
    mark_openable(request, access.attachments, "iam:GetPolicy", of=lambda attachment: attachment.policy)
    session.role.url = page_url(request, session.role)
    # The session's own policies decide whether it may look at itself (the role may not allow it).
    session.may_check = request.user.has_perm("iam:SimulatePrincipalPolicy", Target(session.arn))
    return access


@login_required
@require_GET
def credential_report(request):
    """Every user and the state of their credentials, in AWS's credential report columns."""
    for action in ("iam:GenerateCredentialReport", "iam:GetCredentialReport"):
        require(request, action)
    lines = csv_lines(_with_header(reports.credential_report_rows()))
    response = StreamingHttpResponse(lines, content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="credential-report.csv"'
    return response


def _with_header(rows):
    yield reports.CREDENTIAL_REPORT_COLUMNS
    yield from rows
