"""The action catalogue in the admin: built-in services read-only, administrators' own editable."""

from django.contrib import admin
from django.db.models import Count

from identities import rules
from identities.admin.base import JSON_FORM_FIELDS, IAMActionsAdmin, adopt
from identities.context import PENDING
from policies import services
from policies.models import CatalogAction, CatalogService


class CatalogActionInline(admin.TabularInline):
    model = CatalogAction
    extra = 1
    formfield_overrides = JSON_FORM_FIELDS
    fields = ("name", "access_level", "resource_types", "condition_keys", "description")

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        service = obj if obj is not None else PENDING
        changeable = obj is None or not obj.builtin
        return changeable and rules.allows(request.user, services.save_catalog_service, service=service)

    has_change_permission = has_delete_permission = has_add_permission


@admin.register(CatalogService)
class CatalogServiceAdmin(IAMActionsAdmin, admin.ModelAdmin):
    """The action catalogue: built-in services are read-only; administrators add their own."""

    iam_list_action, iam_get_action = "iam:ListCatalogServices", "iam:GetCatalogService"
    create_change = update_change = staticmethod(services.save_catalog_service)
    delete_change = staticmethod(services.delete_catalog_service)
    subject_argument = "service"

    def allows(self, request, change, obj=None, **arguments) -> bool:
        return super().allows(request, change, obj if obj is not None else PENDING, **arguments)

    def has_add_permission(self, request, obj=None):
        return rules.allows(request.user, services.save_catalog_service)

    list_display = ("prefix", "name", "action_count", "builtin", "origin")
    # Hundreds of AWS's services once load_aws_catalogue ran: the organisation's own are one click away.
    list_filter = ("origin",)
    search_fields = ("prefix", "name")
    fields = ("prefix", "name")
    inlines = (CatalogActionInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(action_count=Count("actions"))

    @admin.display(description="actions", ordering="action_count")
    def action_count(self, obj):
        return obj.action_count

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.builtin) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.builtin) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        original = CatalogService.objects.get(pk=obj.pk) if change else None
        saved = self.perform(
            request, services.save_catalog_service, prefix=data["prefix"], name=data["name"], service=original
        )
        adopt(obj, saved)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for action in formset.deleted_objects:
            self.perform(request, services.delete_catalog_action, action=action)
        for action in [*formset.new_objects, *(row for row, _ in formset.changed_objects)]:
            self.perform(request, services.save_catalog_action, action=action)

    def delete_model(self, request, obj):
        self.perform(request, services.delete_catalog_service, service=obj)
