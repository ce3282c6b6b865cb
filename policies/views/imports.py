"""The console import of an AWS account's authorization details: upload, dry-run preview, confirm.

Between the two steps the uploaded text waits in the server-side session (one import per
session), keyed by its SHA-256; the confirm form sends only that hash, so the client can
neither change the file nor confirm a different upload than the preview it saw. Confirming
plans again inside the import's transaction, so a preview gone stale writes nothing stale.
Governed by `iam:ImportAccountAuthorizationDetails` (403 without it, as it is a write). With
"skip what is invalid" ticked, the choice is kept with the file and the preview lists what is
skipped beside what would change; so is "replace built-in policies", and the preview lists each
built-in replaced with who holds it here.
"""

from hashlib import sha256

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from identities import rules
from policies.aws_import import ImportRefused, apply_import, plan_import, read_authorization_details
from policies.forms import ImportConfirmForm, ImportUploadForm

PENDING_IMPORT = "iam_pending_import"
# How a refusal tells a person here to let the file replace built-ins: the form's checkbox.
REPLACE_OPTION = f'tick "{ImportUploadForm.base_fields["replace_builtins"].label}"'


@login_required
@require_http_methods(["GET", "POST"])
def account_import(request):
    rules.require(request.user, rules.required(apply_import))
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if not (request.method == "POST" and form.is_valid()):
        return _upload_page(request, form)
    name, text = form.cleaned_data["file"]
    options = {name: form.cleaned_data[name] for name in ("skip_invalid", "replace_builtins")}
    try:
        plan = _plan(text, **options)
    except ImportRefused as refused:
        return _upload_page(request, form, problems=refused.messages, name=name)
    digest = sha256(text.encode()).hexdigest()
    request.session[PENDING_IMPORT] = {"digest": digest, "name": name, "text": text, **options}
    confirm = ImportConfirmForm(initial={"digest": digest})
    return render(request, "policies/import_preview.html", {"plan": plan, "name": name, "confirm": confirm})


@login_required
@require_POST
def account_import_confirm(request):
    rules.require(request.user, rules.required(apply_import))
    form, pending = ImportConfirmForm(request.POST), request.session.get(PENDING_IMPORT)
    if not (form.is_valid() and pending and _kept_digest(pending) == form.cleaned_data["digest"]):
        messages.error(request, "That import is no longer waiting for confirmation; upload the file again.")
        return redirect("policies:import")
    try:
        plan = _plan(
            pending["text"],
            skip_invalid=pending.get("skip_invalid") is True,
            replace_builtins=pending.get("replace_builtins") is True,
        )
        applied = rules.perform(request.user, apply_import, plan=plan, source_name=pending["name"])
    except ImportRefused as refused:
        return _upload_page(request, ImportUploadForm(), problems=refused.messages, name=pending["name"])
    del request.session[PENDING_IMPORT]
    skipped = f"; {len(applied.skipped)} skipped" if applied.skip_invalid else ""
    messages.success(request, f"Imported {pending['name']}: {_summary(applied)}{skipped}.")
    if request.user.has_perm("iam:ListAuditEvents"):
        return redirect(f"{reverse('identities:audit-list')}?event=ImportAccountAuthorizationDetails")
    return redirect("policies:import")


def _plan(text: str, *, skip_invalid: bool, replace_builtins: bool):
    details = read_authorization_details(text, skip_invalid=skip_invalid)
    return plan_import(
        details, skip_invalid=skip_invalid, replace_builtins=replace_builtins, replace_option=REPLACE_OPTION
    )


def _upload_page(request, form, **context):
    context |= {"form": form, "account_id": settings.IAM_ACCOUNT_ID}
    return render(request, "policies/import.html", context)


def _kept_digest(pending: dict) -> str:
    # Computed again from the kept text rather than trusted from the session entry's own field.
    return sha256(pending.get("text", "").encode()).hexdigest()


def _summary(plan) -> str:
    if plan.is_empty:
        return "nothing needed to change"
    parts = [
        f"{kind.replace('policy', 'policie')}s: {counts['create']} created, {counts['update']} updated"
        for kind, counts in plan.summary.items()
        if counts["create"] or counts["update"]
    ]
    return "; ".join(parts)
