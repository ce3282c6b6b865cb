"""The policies of one user, group or role: a fragment the identities pages include with htmx.

Each change is also a plain POST that redirects back to the identity's page
(`next`), so the fragment works without JavaScript.

An attachment, an inline policy or a boundary whose document would give the
identity `*`, `iam:*` or a route to more permissions (the engine decides it on
the document: `authorization.grants_power`) takes two steps: the first POST
answers with the fragment asking to confirm, and the same POST with
`confirm=yes` makes the change. Detaching a policy, deleting an inline policy
and removing a boundary always take the two steps: the question carries the
change preview of who loses what, and the confirmed save refuses a stale one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from identities import rules, staleness
from identities.console import mark_openable, perform_previewed, preview_field, readable, with_history
from identities.context import Target
from identities.forms import refused_as_stale
from identities.models import Group, Role, User
from policies import authorization, lastaccess, queries, services
from policies.engine import Level
from policies.forms import (
    AskedFirst,
    AttachPolicyForm,
    BoundaryForm,
    DeleteInlinePolicyForm,
    DetachPolicyForm,
    InlinePolicyForm,
)
from policies.models import InlinePolicy, PermissionBoundary, PolicyAttachment

MODELS = {"user": User, "group": Group, "role": Role}


def _identity(request, kind: str, pk: int):
    """The identity, if the user may list its policies; 404 otherwise (its existence stays private)."""
    model = MODELS.get(kind)
    if model is None:
        raise Http404("No such page.")
    return readable(request, model, pk, (f"iam:ListAttached{kind.title()}Policies", f"iam:List{kind.title()}Policies"))


def _next_url(request, kind: str, pk: int) -> str:
    """Where a plain POST goes back to: the identity's page that included the fragment, if it is ours."""
    for candidate in (request.POST.get("next"), request.GET.get("next"), request.headers.get("HX-Current-URL")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return reverse("policies:identity-fragment", args=[kind, pk])


def _permissions(request, kind: str, identity) -> dict[str, bool]:
    Kind, has, actor = kind.title(), request.user.has_perm, request.user  # noqa: N806 (AWS's spelling)
    bounded = kind != "group"
    return {
        "list_attached": has(f"iam:ListAttached{Kind}Policies", identity),
        "attach": rules.allows(actor, services.attach_policy, identity=identity),
        "detach": rules.allows(actor, services.detach_policy, identity=identity),
        "list_inline": has(f"iam:List{Kind}Policies", identity),
        "get_inline": has(f"iam:Get{Kind}Policy", identity),
        "put_inline": rules.allows(actor, services.put_inline_policy, identity=identity),
        "delete_inline": rules.allows(actor, services.delete_inline_policy, identity=identity),
        "get_boundary": bounded and has(f"iam:Get{Kind}", identity),
        "set_boundary": bounded and rules.allows(actor, services.set_permissions_boundary, identity=identity),
        "delete_boundary": bounded and rules.allows(actor, services.delete_permissions_boundary, identity=identity),
        "simulate": has("iam:SimulatePrincipalPolicy", Target(identity.arn)),
        "advisor": lastaccess.may_open_advisor(actor, identity),
    }


def _render(request, kind: str, identity, *, inline_form=None, question=None, status: int = 200):
    can = _permissions(request, kind, identity)
    root = kind == "user" and identity.is_superuser
    policies = queries.identity_policies(identity)
    opens_policy = (*policies.attachments, *([policies.boundary] if policies.boundary else []))
    mark_openable(request, opens_policy, "iam:GetPolicy", of=lambda row: row.policy)
    page = {
        "kind": kind,
        "identity": identity,
        "can": can,
        "root": root,
        "policies": policies,
        "next": _next_url(request, kind, identity.pk),
        "attach_form": AttachPolicyForm(),
        "boundary_form": BoundaryForm(),
        "inline_form": inline_form or InlinePolicyForm.showing(policies.inline),
        "show_messages": bool(request.htmx),
        "question": question,
        "previews": _previews(identity),
        "summary": queries.permission_summary(authorization.layers_of(identity))
        if can["simulate"] and not root
        else None,
    }
    template = "policies/_identity_policies.html" if request.htmx else "policies/identity_policies.html"
    return render(request, template, page, status=status)


def _previews(identity) -> dict[str, str]:
    """The changes the forms preview before they save, each filled in from its form's own
    fields (the policy chosen, the name and document typed: policies.views.preview)."""
    return {
        "attach": preview_field({"change": "attach-policy", "identity": identity.arn}),
        "inline": preview_field({"change": "put-inline-policy", "identity": identity.arn}),
        "boundary": preview_field({"change": "set-permissions-boundary", "identity": identity.arn}),
    }


@login_required
@require_GET
def identity_fragment(request, kind: str, pk: int):
    """Attached, inline and boundary policies of an identity, and a summary of what it may do."""
    return _render(request, kind, _identity(request, kind, pk))


def _done(request, kind: str, identity, text: str, *, error: bool = False, inline_form=None):
    """After a change: the fragment again for htmx, else a message and a redirect to the identity's page."""
    (messages.error if error else messages.success)(request, text)
    if request.htmx:
        return with_history(request, _render(request, kind, identity, inline_form=inline_form), identity)
    return redirect(_next_url(request, kind, identity.pk))


def _errors(form_or_error) -> str:
    if isinstance(form_or_error, ValidationError):
        return " ".join(form_or_error.messages)
    return " ".join(str(error) for errors in form_or_error.errors.values() for error in errors)


# What each kind of change asks before it gives power, and the button that confirms it.
_QUESTIONS = {
    "attach": ("This gives {name} {given}; confirm to attach {policy}.", "Attach"),
    "inline": ("This gives {name} {given}; confirm to save {policy}.", "Save inline policy"),
    "boundary": (
        "This boundary lets {name}'s own policies give it {given}; confirm to set {policy} as its boundary.",
        "Set boundary",
    ),
}


def _given(powers: list[str]) -> str:
    if authorization.EVERY_ACTION in powers:
        return "* (the actions of any service, IAM's included)"
    if authorization.EVERY_IAM_ACTION in powers:
        return "iam:* (every IAM action, so it could give itself any permission)"
    route = "each a route" if len(powers) > 1 else "a route"
    return f"{', '.join(powers)} ({route} to more permissions, as the escalation paths report counts them)"


def _posted_fields(request) -> list[tuple[str, str]]:
    """The POST's fields, for the question's form to send again with `confirm=yes`."""
    return [
        (name, value)
        for name in request.POST
        if name not in ("csrfmiddlewaretoken", "confirm")
        for value in request.POST.getlist(name)
    ]


def _ask_with_preview(request, kind: str, identity, *, text: str, button: str, described: dict):
    """The fragment asking whether to make a removal, with its change preview before the button."""
    question = {"text": text, "button": button, "fields": _posted_fields(request), "url": request.path}
    question["preview"] = preview_field(described)
    return _render(request, kind, identity, question=question)


def _unconfirmed(request, kind: str, identity, form, document, change: str, *, inline_form=None):
    """The fragment asking to confirm, when `document` gives power and the POST did not confirm; else None."""
    powers = [] if form.confirmed or document is None else authorization.grants_power(document)
    if not powers:
        return None
    text, button = _QUESTIONS[change]
    chosen = form.cleaned_data.get("policy")
    policy = chosen.policy_name if chosen is not None else form.cleaned_data["policy_name"]
    question = {"text": text.format(name=identity.name, given=_given(powers), policy=policy), "button": button}
    question |= {"fields": _posted_fields(request), "url": request.path, "power": True}
    return _render(request, kind, identity, inline_form=inline_form, question=question)


@login_required
@require_POST
def identity_attach(request, kind: str, pk: int):
    identity = _identity(request, kind, pk)
    form = AttachPolicyForm(request.POST)
    if not form.is_valid():
        return _done(request, kind, identity, _errors(form), error=True)
    policy = form.cleaned_data["policy"]
    rules.require(request.user, rules.required(services.attach_policy, policy=policy, identity=identity))
    asked = _unconfirmed(request, kind, identity, form, queries.default_document(policy), "attach")
    if asked is not None:
        return asked
    try:
        perform_previewed(request, services.attach_policy, policy=policy, identity=identity)
    except ValidationError as error:
        return _done(request, kind, identity, _errors(error), error=True)
    return _done(request, kind, identity, f"{policy.policy_name} is attached to {identity.name}.")


@login_required
@require_POST
def identity_detach(request, kind: str, pk: int):
    identity = _identity(request, kind, pk)
    form = DetachPolicyForm(request.POST)
    if not form.is_valid():
        return _done(request, kind, identity, _errors(form), error=True)
    policy = form.cleaned_data["policy"]
    rules.require(request.user, rules.required(services.detach_policy, policy=policy, identity=identity))
    # Not attached: the service's refusal says so at once, with no question first.
    if not form.confirmed and PolicyAttachment.objects.filter(policy=policy, **{kind: identity}).exists():
        described = {"change": "detach-policy", "identity": identity.arn, "policy": policy.arn}
        text = f"Detach {policy.policy_name} from {identity.name}?"
        return _ask_with_preview(request, kind, identity, text=text, button="Detach", described=described)
    try:
        perform_previewed(request, services.detach_policy, policy=policy, identity=identity)
    except ValidationError as error:
        return _done(request, kind, identity, _errors(error), error=True)
    return _done(request, kind, identity, f"{policy.policy_name} is detached from {identity.name}.")


@login_required
@require_POST
def identity_inline_put(request, kind: str, pk: int):
    identity = _identity(request, kind, pk)
    rules.require(request.user, rules.required(services.put_inline_policy, identity=identity))
    form = InlinePolicyForm(request.POST)
    if not form.is_valid():
        return _done(request, kind, identity, _errors(form), error=True, inline_form=form)
    asked = _unconfirmed(request, kind, identity, form, form.cleaned_data["document"], "inline", inline_form=form)
    if asked is not None:
        return asked
    try:
        _, findings = perform_previewed(
            request,
            services.put_inline_policy,
            identity=identity,
            policy_name=form.cleaned_data["policy_name"],
            document=form.cleaned_data["document"],
            based_on=form.cleaned_data["based_on"],
        )
    except staleness.StaleEdit as error:
        return _stale_inline_policy(request, kind, identity, form, error)
    except ValidationError as error:
        return _done(request, kind, identity, _errors(error), error=True, inline_form=form)
    for finding in findings:
        if finding.level is not Level.ERROR:
            messages.warning(request, services.finding_in_words(finding))
    return _done(request, kind, identity, f"Inline policy {form.cleaned_data['policy_name']} is saved.")


def _stale_inline_policy(request, kind: str, identity, form: InlinePolicyForm, error: staleness.StaleEdit):
    """The refusal, with the form again on the inline policy as stored now (the one typed, if it is gone)."""
    problem = staleness.message(error.what, current_shown=True)
    inline_policies = list(InlinePolicy.objects.filter(**{kind: identity}))
    name = form.cleaned_data["policy_name"]
    current = next((inline for inline in inline_policies if inline.policy_name == name), None)
    document = current.document if current is not None else form.cleaned_data["document"]
    again = refused_as_stale(InlinePolicyForm.showing(inline_policies, policy_name=name, document=document), problem)
    return _done(request, kind, identity, problem, error=True, inline_form=again)


@login_required
@require_POST
def identity_inline_delete(request, kind: str, pk: int):
    identity = _identity(request, kind, pk)
    rules.require(request.user, rules.required(services.delete_inline_policy, identity=identity))
    form = DeleteInlinePolicyForm(request.POST)
    name = form.cleaned_data["policy_name"] if form.is_valid() else ""
    inline = InlinePolicy.objects.filter(**{kind: identity}, policy_name=name).first()
    if inline is None:
        return _done(request, kind, identity, f"{identity.name} has no inline policy named {name!r}.", error=True)
    if not form.confirmed:
        described = {"change": "delete-inline-policy", "identity": identity.arn, "policy_name": name}
        text = f"Delete the inline policy {name} of {identity.name}?"
        return _ask_with_preview(request, kind, identity, text=text, button="Delete", described=described)
    try:
        perform_previewed(request, services.delete_inline_policy, inline=inline)
    except ValidationError as error:
        return _done(request, kind, identity, _errors(error), error=True)
    return _done(request, kind, identity, f"Inline policy {name} is deleted.")


def _bounded_identity(request, kind: str, pk: int):
    if kind == "group":
        raise Http404("No such page.")
    return _identity(request, kind, pk)


@login_required
@require_POST
def identity_boundary_set(request, kind: str, pk: int):
    identity = _bounded_identity(request, kind, pk)
    form = BoundaryForm(request.POST)
    if not form.is_valid():
        return _done(request, kind, identity, _errors(form), error=True)
    policy = form.cleaned_data["policy"]
    rules.require(request.user, rules.required(services.set_permissions_boundary, identity=identity, policy=policy))
    asked = _unconfirmed(request, kind, identity, form, queries.default_document(policy), "boundary")
    if asked is not None:
        return asked
    try:
        perform_previewed(request, services.set_permissions_boundary, identity=identity, policy=policy)
    except ValidationError as error:
        return _done(request, kind, identity, _errors(error), error=True)
    return _done(request, kind, identity, f"{policy.policy_name} is now the permission boundary of {identity.name}.")


@login_required
@require_POST
def identity_boundary_delete(request, kind: str, pk: int):
    identity = _bounded_identity(request, kind, pk)
    rules.require(request.user, rules.required(services.delete_permissions_boundary, identity=identity))
    form = AskedFirst(request.POST)
    confirmed = form.is_valid() and form.confirmed
    if not confirmed and PermissionBoundary.objects.filter(**{kind: identity}).exists():
        described = {"change": "delete-permissions-boundary", "identity": identity.arn}
        text = f"Remove the permission boundary of {identity.name}?"
        return _ask_with_preview(request, kind, identity, text=text, button="Remove boundary", described=described)
    try:
        perform_previewed(request, services.delete_permissions_boundary, identity=identity)
    except ValidationError as error:
        return _done(request, kind, identity, _errors(error), error=True)
    return _done(request, kind, identity, f"{identity.name} has no permission boundary any more.")
