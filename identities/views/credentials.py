"""Console views of a user's access keys: list, create (secret shown once), rotate, delete.

Governed like everything else: `iam:ListAccessKeys`, `iam:CreateAccessKey`,
`iam:UpdateAccessKey` and `iam:DeleteAccessKey` on the key's user, which the
built-in self-service policy allows a user on themselves.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from identities import rules, services
from identities.credentials import AccessKey
from identities.models import User


def _user_for(request, username: str) -> User:
    user = get_object_or_404(User, username__lower=username.lower())
    if not request.user.has_perm("iam:ListAccessKeys", user):
        raise Http404("No such user.")
    return user


def _page(request, user: User, new_key=None, secret: str = ""):
    keys = AccessKey.objects.filter(user=user).order_by("created_at")
    sample = AccessKey(user=user)  # the rules ask about the key's user
    allowed = {
        "CreateAccessKey": rules.allows(request.user, services.create_access_key, user=user),
        "UpdateAccessKey": rules.allows(request.user, services.update_access_key, key=sample),
        "DeleteAccessKey": rules.allows(request.user, services.delete_access_key, key=sample),
    }
    context = {"subject": user, "keys": keys, "new_key": new_key, "secret": secret, "allowed": allowed}
    return render(request, "identities/access_keys.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def access_keys(request, username: str):
    user = _user_for(request, username)
    if request.method == "GET":
        return _page(request, user)
    try:
        key, secret = rules.perform(request.user, services.create_access_key, user=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("identities:access-keys", username=user.username)
    # The secret is shown in this answer only: it is never stored in clear.
    return _page(request, user, new_key=key, secret=secret)


@login_required
@require_POST
def access_key_status(request, username: str, key_id: str):
    user = _user_for(request, username)
    key = get_object_or_404(AccessKey, user=user, key_id=key_id)
    status = request.POST.get("status", "")
    try:
        rules.perform(request.user, services.update_access_key, key=key, status=status)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Access key {key.key_id} is now {status.lower()}.")
    return redirect("identities:access-keys", username=user.username)


@login_required
@require_POST
def access_key_delete(request, username: str, key_id: str):
    user = _user_for(request, username)
    key = get_object_or_404(AccessKey, user=user, key_id=key_id)
    rules.perform(request.user, services.delete_access_key, key=key)
    messages.success(request, f"Access key {key_id} was deleted.")
    return redirect("identities:access-keys", username=user.username)
