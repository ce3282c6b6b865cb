"""Managed policies in the admin: their versions, the default, where they are attached."""

import json

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from identities import rules
from identities.admin.base import PREVIEWED_DELETION, IAMActionsAdmin, adopt, allowed, count_of, fields_of
from identities.admin.forms import StaleCheckedForm
from identities.console import perform_previewed
from policies import services
from policies.admin.base import warn
from policies.engine import DocumentKind, Level
from policies.forms import PolicyDocumentField, warnings_of
from policies.models import ManagedPolicy, PermissionBoundary, PolicyAttachment, PolicyVersion


def _pretty(document: dict) -> str:
    return format_html('<pre class="policy-document">{}</pre>', json.dumps(document, indent=2))


class ManagedPolicyForm(StaleCheckedForm):
    document = PolicyDocumentField(label="Policy document", required=False)
    new_version = PolicyDocumentField(
        label="New version", required=False, help_text="Paste a document to save it as a new version."
    )
    set_as_default = forms.BooleanField(label="Make the new version the default", required=False, initial=True)
    default_version = forms.TypedChoiceField(coerce=int, required=False, label="Default version")
    # The number of the default version the page showed.
    based_on = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    guarded = {"based_on": "new_version"}

    class Meta:
        model = ManagedPolicy
        fields = ("policy_name", "path", "description")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "default_version" in self.fields:
            versions = self.instance.versions.order_by("-number")
            self.fields["default_version"].choices = [(v.number, v.version_id) for v in versions]
            self.initial["default_version"] = self._shown_default() or next(
                (v.number for v in versions if v.is_default), None
            )
        elif "document" in self.fields:
            self.fields["document"].required = True

    def _shown_default(self) -> int | None:
        """The default the page showed: a default chosen since by someone else is not undone
        by a save that left the choice alone (only a choice made here sets the default)."""
        shown = self.data.get(self.add_prefix("based_on"), "") if self.is_bound else ""
        return int(shown) if isinstance(shown, str) and shown.isdigit() else None

    def shown_tokens(self, stored) -> dict:
        return {"based_on": services.default_version_number(stored)}

    def refuse_if_stale(self, stored) -> None:
        if self.cleaned_data.get("new_version"):
            services.refuse_if_default_changed(stored, self.based_on("based_on"))

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("new_version") and cleaned.get("set_as_default"):
            cleaned["default_version"] = None
        return cleaned


class PolicyVersionFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            if form.instance.is_default:
                raise forms.ValidationError(
                    f"{form.instance.version_id} is the default version; make another version the default "
                    "before deleting it."
                )


class PolicyVersionInline(admin.TabularInline):
    model = PolicyVersion
    formset = PolicyVersionFormSet
    extra = 0
    fields = readonly_fields = ("version_id", "is_default", "created_at", "created_by", "pretty_document")
    ordering = ("-number",)
    verbose_name_plural = "versions (tick Delete to remove a version that is not the default)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("policy", "created_by")

    @admin.display(description="document")
    def pretty_document(self, obj):
        return _pretty(obj.document)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return obj is None or allowed(request, "iam:GetPolicy", obj)

    def has_delete_permission(self, request, obj=None):
        return (
            obj is not None
            and not obj.read_only
            and rules.allows(request.user, services.delete_policy_version, policy=obj)
        )


@admin.register(ManagedPolicy)
class ManagedPolicyAdmin(IAMActionsAdmin, admin.ModelAdmin):
    form = ManagedPolicyForm
    iam_list_action, iam_get_action = "iam:ListPolicies", "iam:GetPolicy"
    create_change, delete_change = staticmethod(services.create_policy), staticmethod(services.delete_policy)
    update_change = staticmethod(services.create_policy_version)
    subject_argument = "policy"
    related_changes = (services.set_default_version, services.delete_policy_version)
    list_display = ("policy_name", "path", "kind", "attachment_count", "updated_at")
    list_filter = ("aws_managed", "builtin")
    search_fields = ("policy_name", "description")
    show_full_result_count = False
    inlines = (PolicyVersionInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                attachment_count=count_of(PolicyAttachment, "policy"),
                boundary_count=count_of(PermissionBoundary, "policy"),
            )
        )

    shown = ("policy_name", "path", "description", "arn", "iam_id", "default_version_label")
    details = ("default_document", "findings", "attached_to")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("policy_name", "path", "description", "document")
        shown, editable = list(self.shown), []
        if not obj.read_only and self.allows(request, services.set_default_version, obj):
            shown.remove("default_version_label")
            editable.append("default_version")
        if not obj.read_only and self.allows(request, services.create_policy_version, obj):
            editable += ["new_version", "set_as_default"]
        if editable:
            editable.append("based_on")
        return (*shown, *editable, *self.details)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else (*self.shown, *self.details)

    @admin.display(description="default version")
    def default_version_label(self, obj):
        version = obj.versions.filter(is_default=True).first()
        return version.version_id if version else "-"

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.read_only:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.read_only) and super().has_delete_permission(request, obj)

    @admin.display(description="kind")
    def kind(self, obj):
        return "built-in" if obj.builtin else "AWS managed" if obj.aws_managed else "customer managed"

    @admin.display(description="attached to", ordering="attachment_count")
    def attachment_count(self, obj):
        return obj.attachment_count + obj.boundary_count

    @admin.display(description="default version document")
    def default_document(self, obj):
        version = obj.versions.filter(is_default=True).first()
        return _pretty(version.document) if version else "-"

    @admin.display(description="findings")
    def findings(self, obj):
        version = obj.versions.filter(is_default=True).first()
        kind = DocumentKind.AWS_MANAGED if obj.read_only else DocumentKind.CUSTOMER_MANAGED
        texts = warnings_of(json.dumps(version.document), kind) if version else []
        if not texts:
            return "No findings."
        return format_html_join(mark_safe("<br>"), "{}", ((text,) for text in texts))

    @admin.display(description="where attached")
    def attached_to(self, obj):
        rows = [
            (f"{attachment.owner_kind}: {attachment.owner.name}",)
            for attachment in obj.attachments.select_related("user", "group", "role")
        ]
        rows += [
            (f"permission boundary of {(boundary.user or boundary.role).name}",)
            for boundary in obj.boundaries.select_related("user", "role")
        ]
        if not rows:
            return "Not attached."
        return format_html_join(mark_safe("<br>"), "{}", rows)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            fields = fields_of(data, "policy_name", "path", "description", "document")
            created, findings = self.perform(request, services.create_policy, **fields)
            warn(request, [services.finding_in_words(f) for f in findings if f.level is not Level.ERROR])
            return adopt(obj, created)
        if data.get("new_version"):
            # As in AWS, CreatePolicyVersion alone may make the new version the default.
            _, findings = self.perform(
                request,
                services.create_policy_version,
                policy=obj,
                document=data["new_version"],
                set_as_default=data.get("set_as_default", False),
                based_on=form.based_on("based_on"),
            )
            warn(request, [services.finding_in_words(f) for f in findings if f.level is not Level.ERROR])
        if data.get("default_version") and "default_version" in form.changed_data:
            version = obj.versions.get(number=data["default_version"])
            self.perform(request, services.set_default_version, version=version)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for version in formset.deleted_objects:
            self.perform(request, services.delete_policy_version, version=version)

    # The deletion's confirmation previews who loses what (policies.preview); a stale preview is refused.
    delete_confirmation_template = PREVIEWED_DELETION

    def deletion_change(self, obj) -> dict:
        return {"change": "delete-policy", "policy": obj.arn}

    def delete_model(self, request, obj):
        perform_previewed(request, services.delete_policy, policy=obj)
