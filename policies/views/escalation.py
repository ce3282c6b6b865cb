"""The escalation paths report."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from identities.context import Target
from policies import escalation


@login_required
@require_GET
def escalation_paths(request):
    """Principals that can give themselves more, each with the chain of actions."""
    if not request.user.has_perm("iam:SimulatePrincipalPolicy", Target("*")):
        raise PermissionDenied("Asking about every principal needs iam:SimulatePrincipalPolicy on *.")
    return render(request, "policies/escalation_paths.html", {"entries": escalation.escalation_paths()})
