"""What the signed-in user may open: the navigation bar and the dashboard show only that.

One decision per link, made only when a template asks for it, and remembered
for the request (decisions inside one request are memoised anyway). The pages
still check for themselves; hiding a link is a courtesy, not the control.
"""

from django.contrib import admin
from django.utils.functional import SimpleLazyObject

from identities.context import Target, context_of

# Link name → the action its page asks for (on "*": the page's list, or any principal).
ACTIONS = {
    "users": "iam:ListUsers",
    "groups": "iam:ListGroups",
    "roles": "iam:ListRoles",
    "identity_providers": "iam:ListOpenIDConnectProviders",
    "policies": "iam:ListPolicies",
    "guardrails": "iam:ListGuardrails",
    "audit": "iam:ListAuditEvents",
    "import": "iam:ImportAccountAuthorizationDetails",
    # Who-can and the escalation report look at every principal.
    "account_reports": "iam:SimulatePrincipalPolicy",
    "credential_report": "iam:GetCredentialReport",
    "assessment": "iam:GetAssessmentReport",
    "expectations": "iamconsole:ListAccessExpectations",
}


class Allowed:
    """`may.users`, `may.admin`, … in templates: True when the user may open that page."""

    def __init__(self, request):
        self._request, self._known = request, {}

    def __getitem__(self, name: str) -> bool:
        if name not in self._known:
            self._known[name] = self._decide(name)
        return self._known[name]

    def _decide(self, name: str) -> bool:
        if name == "admin":
            return admin.site.has_permission(self._request)
        if name not in ACTIONS:
            raise KeyError(name)
        return self._request.user.has_perm(ACTIONS[name], Target("*"))


def navigation(request) -> dict:
    """`may` for the links, `acting_session`: the role session the user acts in, if any, and
    `access_waiting`: how many access requests wait for the user's decision (counted only when
    a template shows it, and bounded: access.queries.waiting_count)."""
    from access import queries

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    context = context_of(user)
    return {
        "may": Allowed(request),
        "acting_session": context.role_session if context is not None else None,
        "access_waiting": SimpleLazyObject(lambda: queries.waiting_count(user)),
    }
