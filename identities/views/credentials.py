"""Console views of a user's access keys: list, create (secret shown once), rotate, delete.

Governed like everything else: `iam:ListAccessKeys`, `iam:CreateAccessKey`,
`iam:UpdateAccessKey` and `iam:DeleteAccessKey` on the key's user, which the
built-in self-service policy allows a user on themselves.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from identities import services
from identities.credentials import AccessKey
from identities.models import User


def _user_for(request, username: str, action: str) -> User:
    user = get_object_or_404(User, username__lower=username.lower())
    if not request.user.has_perm("iam:ListAccessKeys", user):
        raise Http404("No such user.")
    if action and not request.user.has_perm(action, user):
        raise PermissionDenied(f"{action} on {user.arn} is not allowed.")
    return user


def _page(request, user: User, new_key=None, secret: str = ""):
    keys = AccessKey.objects.filter(user=user).order_by("created_at")
    allowed = {
        action: request.user.has_perm(f"iam:{action}", user)
        for action in ("CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey")
    }
    context = {"subject": user, "keys": keys, "new_key": new_key, "secret": secret, "allowed": allowed}
    return render(request, "identities/access_keys.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def access_keys(request, username: str):
    if request.method == "GET":
        return _page(request, _user_for(request, username, ""))
    user = _user_for(request, username, "iam:CreateAccessKey")
    try:
        key, secret = services.create_access_key(user=user, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("identities:access-keys", username=user.username)
    # The secret is shown in this answer only: it is never stored in clear.
    return _page(request, user, new_key=key, secret=secret)


@login_required
@require_POST
def access_key_status(request, username: str, key_id: str):
    user = _user_for(request, username, "iam:UpdateAccessKey")
    key = get_object_or_404(AccessKey, user=user, key_id=key_id)
    status = request.POST.get("status", "")
    try:
        services.update_access_key(key=key, status=status, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Access key {key.key_id} is now {status.lower()}.")
    return redirect("identities:access-keys", username=user.username)


@login_required
@require_POST
def access_key_delete(request, username: str, key_id: str):
    user = _user_for(request, username, "iam:DeleteAccessKey")
    key = get_object_or_404(AccessKey, user=user, key_id=key_id)
    services.delete_access_key(key=key, actor=request.user)
    messages.success(request, f"Access key {key_id} was deleted.")
    return redirect("identities:access-keys", username=user.username)
