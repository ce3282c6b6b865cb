"""The escalation paths report."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from identities.console import require
from identities.context import Target
from policies import escalation


@login_required
@require_GET
def escalation_paths(request):
    """Principals that can give themselves more, each with the chain of actions."""
    require(request, "iam:SimulatePrincipalPolicy", Target("*"))
    entries = escalation.escalation_paths()
    return render(request, "policies/escalation_paths.html", {"entries": entries, "max_hops": escalation.MAX_HOPS})
