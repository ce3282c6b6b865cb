"""OpenID Connect providers in the admin: the same services and rules as the console's pages."""

from django import forms
from django.contrib import admin

from identities import services
from identities.admin.base import IAMActionsAdmin, adopt
from identities.forms import TagsField
from identities.models import OpenIDConnectProvider


class ClientIDsField(forms.CharField):
    """One client ID a line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        lines = [line.strip() for line in (super().to_python(value) or "").splitlines()]
        return list(dict.fromkeys(line for line in lines if line))


class OpenIDConnectProviderAdminForm(forms.ModelForm):
    client_ids = ClientIDsField(label="Client IDs", required=False, help_text="The audiences accepted, one a line.")
    tags = TagsField(label="Tags")

    class Meta:
        model = OpenIDConnectProvider
        fields = ("url", "client_ids", "tags")


@admin.register(OpenIDConnectProvider)
class OpenIDConnectProviderAdmin(IAMActionsAdmin, admin.ModelAdmin):
    form = OpenIDConnectProviderAdminForm
    iam_list_action, iam_get_action = "iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider"
    create_change, delete_change = (
        staticmethod(services.create_oidc_provider),
        staticmethod(services.delete_oidc_provider),
    )
    subject_argument = "provider"
    field_changes = {"client_ids": services.add_client_id, "tags": services.tag_oidc_provider}
    related_changes = (services.remove_client_id, services.untag_oidc_provider)
    list_display = ("url", "arn", "created_at")
    search_fields = ("url",)
    fields = ("url", "client_ids", "tags", "arn", "created_at")
    readonly_fields = ("arn", "created_at")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # As in AWS, a provider keeps its issuer URL (and so its ARN) for life.
        return readonly if obj is None or "url" in readonly else [*readonly, "url"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            fields = {"url": data["url"], "client_ids": data["client_ids"], "tags": data["tags"] or None}
            return adopt(obj, self.perform(request, services.create_oidc_provider, **fields))
        provider = OpenIDConnectProvider.objects.get(pk=obj.pk)
        for client_id in [
            value for value in data.get("client_ids", provider.client_ids) if value not in provider.client_ids
        ]:
            provider = self.perform(request, services.add_client_id, provider=provider, client_id=client_id)
        for client_id in [
            value for value in provider.client_ids if value not in data.get("client_ids", provider.client_ids)
        ]:
            provider = self.perform(request, services.remove_client_id, provider=provider, client_id=client_id)
        tags = data.get("tags", provider.tags)
        removed = [key for key in provider.tags if key not in tags]
        if removed:
            provider = self.perform(request, services.untag_oidc_provider, provider=provider, keys=removed)
        changed = {key: value for key, value in tags.items() if provider.tags.get(key) != value}
        if changed:
            provider = self.perform(request, services.tag_oidc_provider, provider=provider, tags=changed)
        adopt(obj, provider)

    def delete_model(self, request, obj):
        self.perform(request, services.delete_oidc_provider, provider=obj)
