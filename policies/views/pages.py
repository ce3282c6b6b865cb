"""The managed policies pages: list, a policy with its versions, the editor, create and delete."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from identities import rules, staleness
from identities.console import (
    history,
    mark_openable,
    page_of,
    page_url,
    perform_previewed,
    preview_field,
    readable,
    require,
)
from identities.context import Target
from identities.forms import refused_as_stale
from policies import lastaccess, queries, services
from policies.engine import DocumentKind, Level
from policies.forms import PolicyCreateForm, PolicyDeleteForm, PolicyFilterForm, PolicyVersionForm, findings_of
from policies.models import ManagedPolicy, PolicyAttachment, PolicyVersion
from policies.templatetags.policy_tags import numbered_lines


def _readable_policy(request, pk: int) -> ManagedPolicy:
    return readable(request, ManagedPolicy, pk, "iam:GetPolicy")


def _changeable_policy(request, pk: int, change) -> ManagedPolicy:
    """Readable (else 404), not read-only and allowed what `change` needs on it (else 403)."""
    policy = _readable_policy(request, pk)
    if policy.read_only:
        raise PermissionDenied(f"{policy.policy_name} is built in or AWS managed and cannot be changed.")
    rules.require(request.user, rules.required(change, policy=policy))
    return policy


@login_required
@require_GET
def policy_list(request):
    """Managed policies with search and filters, each with where it is attached."""
    require(request, "iam:ListPolicies", Target("*"))
    form = PolicyFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    policies = queries.managed_policies(filters.get("q", ""), filters.get("kind", ""), filters.get("attached", ""))
    page = page_of(request, policies)
    mark_openable(request, page.object_list, "iam:GetPolicy")
    can_create = rules.allows(request.user, services.create_policy)
    context = {"form": form, "page": page, "can_create": can_create}
    return render(request, "policies/policy_list.html", context)


def _linked_places(request, policy: ManagedPolicy) -> queries.PolicyPlaces:
    """Where the policy is attached or bounds, each place with its `identity` and `url`: the
    identity's page if the viewer may open it."""
    places = queries.policy_places(policy)
    for place in (*places.attachments, *places.boundaries):
        place.identity = place.owner if isinstance(place, PolicyAttachment) else place.user or place.role
        place.url = page_url(request, place.identity)
    return places


def _detail_context(request, policy: ManagedPolicy, version_form=None) -> dict:
    versions = queries.policy_versions(policy)
    default = next((version for version in versions if version.is_default), None)
    for version in versions:
        described = {"change": "set-default-version", "policy": policy.arn, "version": version.number}
        version.preview_change = preview_field(described)
    changeable, actor = not policy.read_only, request.user
    form = version_form or PolicyVersionForm.editing(default)
    text = form["document"].value() or ""
    findings = _managed_findings(text) if version_form is not None else []
    return {
        **_banner(form, findings, "saved"),
        "policy": policy,
        "versions": versions,
        "default": default,
        "places": _linked_places(request, policy),
        **history(request, policy),
        "form": form,
        "lines": numbered_lines(text, findings),
        "can": {
            "create_version": changeable and rules.allows(actor, services.create_policy_version, policy=policy),
            "set_default": changeable and rules.allows(actor, services.set_default_version, policy=policy),
            "delete_version": changeable and rules.allows(actor, services.delete_policy_version, policy=policy),
            "delete": changeable and rules.allows(actor, services.delete_policy, policy=policy),
            "advisor": lastaccess.may_open_advisor(actor, policy),
        },
        "version_limit": settings.IAM_MAX_POLICY_VERSIONS,
        "preview_change": preview_field({"change": "create-policy-version", "policy": policy.arn}),
    }


@login_required
@require_GET
def policy_detail(request, pk: int):
    """A policy: its versions (default marked), its document highlighted, where it is attached, its history."""
    policy = _readable_policy(request, pk)
    return render(request, "policies/policy_detail.html", _detail_context(request, policy))


def _managed_findings(text: str) -> list:
    return findings_of(text, kind=DocumentKind.CUSTOMER_MANAGED, size_limit=settings.IAM_MANAGED_POLICY_MAX_SIZE)


# What each editor checks: its field's name, the kind of document and its size quota.
_EDITED = {
    "managed": ("document", DocumentKind.CUSTOMER_MANAGED, "IAM_MANAGED_POLICY_MAX_SIZE"),
    "trust": ("trust_policy", DocumentKind.TRUST, "IAM_TRUST_POLICY_MAX_SIZE"),
}


@login_required
@require_POST
def policy_validate(request, edited: str = "managed"):
    """The findings of a document as typed, each beside its line (the editor posts here with
    htmx): a managed policy's, or a role's trust policy (the role form, served by identities)."""
    field, kind, limit = _EDITED[edited]
    text = request.POST.get(field, "")
    findings = findings_of(text, kind=kind, size_limit=getattr(settings, limit)) if text.strip() else []
    context = {"lines": numbered_lines(text, findings), "findings": findings, "checked": bool(text.strip())}
    errors = [finding for finding in findings if finding.level is Level.ERROR]
    context["error_count"] = len(errors)
    refused = request.POST.get("banner")
    if refused in _BANNERS:  # after a refused save: the banner follows the document as typed now
        context |= {"live_banner": True, "refused": refused, "banner_errors": errors}
    return render(request, "policies/_findings.html", context)


# What a refused save's banner says was not done, by page.
_BANNERS = ("created", "saved")


def _banner(form, findings, refused: str) -> dict:
    """The banner of a save refused for its document: the error findings, or the field's own
    errors when the engine found none (an empty document)."""
    if not form.is_bound or not form["document"].errors:
        return {"refused": refused, "banner_errors": [], "banner_texts": []}
    errors = [finding for finding in findings if finding.level is Level.ERROR]
    return {"refused": refused, "banner_errors": errors, "banner_texts": [] if errors else form["document"].errors}


@login_required
@require_POST
def policy_version_create(request, pk: int):
    """Save the editor's document as a new version; ERROR findings refuse it and change nothing."""
    form = PolicyVersionForm(request.POST)
    default = request.POST.get("set_as_default") == "on"
    policy = _changeable_policy(request, pk, services.create_policy_version)
    if form.is_valid():
        try:
            version, findings = perform_previewed(
                request,
                services.create_policy_version,
                policy=policy,
                document=form.cleaned_data["document"],
                set_as_default=default,
                based_on=form.cleaned_data["based_on"],
            )
        except staleness.StaleEdit as error:
            current = PolicyVersionForm.editing(policy.versions.filter(is_default=True).first())
            form = refused_as_stale(current, staleness.message(error.what, current_shown=True))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _warn(request, findings)
            messages.success(request, f"{version.version_id} of {policy.policy_name} is saved.")
            return redirect("policies:policy-detail", pk=policy.pk)
    return render(request, "policies/policy_detail.html", _detail_context(request, policy, form), status=400)


def _warn(request, findings) -> None:
    for finding in findings:
        if finding.level is not Level.ERROR:
            messages.warning(request, services.finding_in_words(finding))


def _version(request, pk: int, number: int, change) -> PolicyVersion:
    policy = _changeable_policy(request, pk, change)
    version = get_object_or_404(PolicyVersion, policy=policy, number=number)
    version.policy = policy
    return version


@login_required
@require_POST
def policy_version_default(request, pk: int, number: int):
    version = _version(request, pk, number, services.set_default_version)
    try:
        perform_previewed(request, services.set_default_version, version=version)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("policies:policy-detail", pk=pk)
    messages.success(request, f"{version.version_id} is now the default version of {version.policy.policy_name}.")
    return redirect("policies:policy-detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def policy_version_delete(request, pk: int, number: int):
    """Confirm, showing the version's document; delete it on POST. The default version is
    never deleted: its page says so and offers no button, and the service refuses it too."""
    version = _version(request, pk, number, services.delete_policy_version)
    if request.method == "GET":
        return render(request, "policies/policy_version_delete.html", {"policy": version.policy, "version": version})
    try:
        rules.perform(request.user, services.delete_policy_version, version=version)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{version.version_id} of {version.policy.policy_name} is deleted.")
    return redirect("policies:policy-detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def policy_create(request):
    """A new customer managed policy; its first version is the default."""
    rules.require(request.user, rules.required(services.create_policy))
    form = PolicyCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            policy, findings = rules.perform(request.user, services.create_policy, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _warn(request, findings)
            messages.success(request, f"{policy.policy_name} is created.")
            return redirect("policies:policy-detail", pk=policy.pk)
    text = form["document"].value() or ""
    findings = _managed_findings(text) if form.is_bound else []
    page = {"form": form, "lines": numbered_lines(text, findings), **_banner(form, findings, "created")}
    return render(request, "policies/policy_create.html", page, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def policy_delete(request, pk: int):
    """Confirm, showing where the policy is attached and the change preview of who loses what;
    detach it everywhere in the same step if asked. A save after a stale preview is refused."""
    policy = _changeable_policy(request, pk, services.delete_policy)
    places = queries.policy_places(policy)
    form = PolicyDeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        detach = form.cleaned_data["detach_everywhere"]
        try:
            perform_previewed(request, services.delete_policy, policy=policy, detach_everywhere=detach)
        except ValidationError as error:
            form.add_error("detach_everywhere", error)
        else:
            messages.success(request, f"{policy.policy_name} is deleted.")
            return redirect("policies:policy-list")
    # A policy in use is previewed as detached everywhere first: without the box ticked, the save is refused.
    described = preview_field({"change": "delete-policy", "policy": policy.arn, "detach_everywhere": bool(places)})
    context = {"policy": policy, "places": places, "form": form, "preview_change": described}
    return render(request, "policies/policy_delete.html", context)
