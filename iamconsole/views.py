"""The console shell: the home page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from identities import queries


@login_required
def home(request):
    context = {
        "counts": queries.identity_counts(),
        "users_in_no_group": queries.users_in_no_group(),
        "is_root": request.user.is_superuser,
    }
    return render(request, "home.html", context)
