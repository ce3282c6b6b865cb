"""Console views of a user's access keys: list, create (secret shown once), rotate, delete.

Governed like everything else: `iam:ListAccessKeys`, `iam:CreateAccessKey`,
`iam:UpdateAccessKey` and `iam:DeleteAccessKey` on the key's user, which the
built-in self-service policy allows a user on themselves.

A new key is post/redirect/get: the POST creates it and keeps its ID and secret in
the server-side session; the GET it redirects to takes them out of the session and
shows them, in a page no cache may store. Reloading that page shows the keys without
the secret, and the create form carries the keys its page showed, so sending it again
creates nothing (identities.staleness).
"""

import csv
import io
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from identities import credentials, rules, services, staleness
from identities.console import readable
from identities.credentials import AccessKey
from identities.models import User

# The key just created, from the POST to the GET that shows it (and takes it out).
NEW_KEY_SESSION_KEY = "iam_new_access_key"


def _user_for(request, username: str) -> User:
    return readable(request, User, None, "iam:ListAccessKeys", username__lower=username.lower())


def key_csv_link(key_id: str, secret: str) -> str:
    """The key as the CSV file AWS offers ("Access key ID,Secret access key"), as a data:
    URL the page links to with `download`. The file is made from the page being sent and
    lives in it alone: nothing on the server keeps the secret after this GET, and a
    reload has neither the secret nor the link. The cells are written exactly, not made
    inert as the console's exports are (identities.exports): a program reads the secret
    from this file, and a secret may start with "-"."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerows([("Access key ID", "Secret access key"), (key_id, secret)])
    return "data:text/csv;charset=utf-8," + quote(text.getvalue(), safe="")


def _page(request, user: User, new: dict | None = None):
    keys = list(AccessKey.objects.filter(user=user).order_by("created_at"))
    new_key = next((key for key in keys if new and key.key_id == new["key_id"]), None)
    secret = new["secret"] if new_key else ""
    sample = AccessKey(user=user)  # the rules ask about the key's user
    allowed = {
        "CreateAccessKey": rules.allows(request.user, services.create_access_key, user=user),
        "UpdateAccessKey": rules.allows(request.user, services.update_access_key, key=sample),
        "DeleteAccessKey": rules.allows(request.user, services.delete_access_key, key=sample),
    }
    context = {
        "subject": user,
        "keys": keys,
        "keys_token": credentials.keys_token(key.key_id for key in keys),
        "new_key": new_key,
        "secret": secret,
        "csv_link": key_csv_link(new_key.key_id, secret) if new_key else "",
        "allowed": allowed,
        "development_credential_key": settings.IAM_CREDENTIAL_KEYS_DEVELOPMENT,
    }
    return render(request, "identities/access_keys.html", context)


def _create_key(request, user: User) -> None:
    """Create the key and keep it for the next GET; a refusal becomes a message instead."""
    based_on = request.POST.get("based_on") or None
    try:
        key, secret = rules.perform(request.user, services.create_access_key, user=user, based_on=based_on)
    except staleness.StaleEdit:
        messages.info(
            request,
            "No access key was created: the form was sent from a page that showed other keys "
            "than there are now (a reload, or another tab). Here are the keys as they are now.",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        request.session[NEW_KEY_SESSION_KEY] = {"user": user.pk, "key_id": key.key_id, "secret": secret}


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def access_keys(request, username: str):
    """The keys of a user, and a new key's secret once, in the GET after the POST that made it."""
    user = _user_for(request, username)
    if request.method == "GET":
        # Out of the session whichever keys page comes next: a secret never waits there for long.
        new = request.session.pop(NEW_KEY_SESSION_KEY, None)
        return _page(request, user, new if new and new.get("user") == user.pk else None)
    _create_key(request, user)
    response = redirect("identities:access-keys", username=user.username)
    response.status_code = 303  # See Other: the page is fetched with a GET, whatever the browser's habit
    return response


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
