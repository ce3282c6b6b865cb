"""Console pages of OpenID Connect providers (the issuers whose ID tokens workloads trade for
role sessions): the list, a provider's page with its ARN and client IDs, create, delete, and
adding and removing client IDs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from identities import forms, rules, services
from identities.console import mark_openable, page_of, problems_of, readable, require
from identities.models import OpenIDConnectProvider

GET = "iam:GetOpenIDConnectProvider"


@login_required
@require_GET
def oidc_provider_list(request):
    require(request, "iam:ListOpenIDConnectProviders")
    page = page_of(request, OpenIDConnectProvider.objects.order_by("url"))
    mark_openable(request, page.object_list, GET)
    may_create = rules.allows(request.user, services.create_oidc_provider)
    return render(request, "identities/oidc_provider_list.html", {"page": page, "may_create": may_create})


@login_required
@require_GET
def oidc_provider_detail(request, pk: int):
    provider = readable(request, OpenIDConnectProvider, pk, GET)
    return render(request, "identities/oidc_provider_detail.html", _detail_context(request, provider))


def _detail_context(request, provider: OpenIDConnectProvider, form=None) -> dict:
    actor = request.user
    allowed = {
        "AddClientID": rules.allows(actor, services.add_client_id, provider=provider),
        "RemoveClientID": rules.allows(actor, services.remove_client_id, provider=provider),
        "Delete": rules.allows(actor, services.delete_oidc_provider, provider=provider),
    }
    return {"provider": provider, "allowed": allowed, "client_id_form": form or forms.ClientIDForm()}


@login_required
@require_http_methods(["GET", "POST"])
def oidc_provider_create(request):
    rules.require(request.user, rules.required(services.create_oidc_provider))
    form = forms.OpenIDConnectProviderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            provider = rules.perform(
                request.user, services.create_oidc_provider, url=data["url"], client_ids=data["client_ids"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"OpenID Connect provider {provider.name} was registered.")
            return redirect("identities:oidc-provider-detail", pk=provider.pk)
    return render(request, "identities/oidc_provider_form.html", {"form": form})


@login_required
@require_POST
def oidc_provider_client_id_add(request, pk: int):
    provider = readable(request, OpenIDConnectProvider, pk, GET)
    rules.require(request.user, rules.required(services.add_client_id, provider=provider))
    form = forms.ClientIDForm(request.POST)
    if form.is_valid():
        client_id = form.cleaned_data["client_id"]
        try:
            rules.perform(request.user, services.add_client_id, provider=provider, client_id=client_id)
        except ValidationError as error:
            form.add_error("client_id", error)
        else:
            messages.success(request, f"Tokens for {client_id} are now accepted.")
            return redirect("identities:oidc-provider-detail", pk=provider.pk)
    context = _detail_context(request, OpenIDConnectProvider.objects.get(pk=pk), form)
    return render(request, "identities/oidc_provider_detail.html", context, status=400)


@login_required
@require_POST
def oidc_provider_client_id_remove(request, pk: int):
    provider = readable(request, OpenIDConnectProvider, pk, GET)
    rules.require(request.user, rules.required(services.remove_client_id, provider=provider))
    client_id = request.POST.get("client_id", "")
    try:
        rules.perform(request.user, services.remove_client_id, provider=provider, client_id=client_id)
    except ValidationError as error:
        messages.error(request, " ".join(problems_of(error)))
        return redirect("identities:oidc-provider-detail", pk=provider.pk)
    messages.success(request, f"Tokens for {client_id} are no longer accepted.")
    return redirect("identities:oidc-provider-detail", pk=provider.pk)


@login_required
@require_http_methods(["GET", "POST"])
def oidc_provider_delete(request, pk: int):
    provider = readable(request, OpenIDConnectProvider, pk, GET)
    rules.require(request.user, rules.required(services.delete_oidc_provider, provider=provider))
    if request.method == "POST":
        rules.perform(request.user, services.delete_oidc_provider, provider=provider)
        messages.success(request, f"OpenID Connect provider {provider.name} was deleted.")
        may_list = request.user.has_perm("iam:ListOpenIDConnectProviders")
        return redirect("identities:oidc-provider-list" if may_list else "home")
    sessions = provider.sessions.count()
    return render(request, "identities/oidc_provider_delete.html", {"provider": provider, "sessions": sessions})
