"""The admin for policies, and policy inlines added to the identity pages.

Every permission hook maps to an IAM action on the object's ARN, every save
and delete calls a service, and checks that depend on submitted data (the
policy attached, the boundary set) are made again when the form is saved.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from identities import admin as identities_admin
from identities import rules, staleness
from identities.context import PENDING
from identities.forms import BasedOnField
from identities.models import Group, Role, User
from policies import services
from policies.engine import Level, PolicyKind
from policies.forms import PolicyDocumentField, warnings_of
from policies.models import (
    CatalogAction,
    CatalogService,
    Guardrail,
    InlinePolicy,
    ManagedPolicy,
    PermissionBoundary,
    PolicyAttachment,
    PolicyVersion,
)

allowed = identities_admin.allowed


def _kind(identity) -> str:
    return {User: "User", Group: "Group", Role: "Role"}[type(identity)]


def _pretty(document: dict) -> str:
    return format_html('<pre class="policy-document">{}</pre>', json.dumps(document, indent=2))


def _warn(request, texts: list[str]) -> None:
    for text in texts:
        messages.warning(request, text)


# Managed policies


class ManagedPolicyForm(identities_admin.StaleCheckedForm):
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
class ManagedPolicyAdmin(identities_admin.IAMActionsAdmin, admin.ModelAdmin):
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
                attachment_count=identities_admin.count_of(PolicyAttachment, "policy"),
                boundary_count=identities_admin.count_of(PermissionBoundary, "policy"),
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
        texts = warnings_of(json.dumps(version.document)) if version else []
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
            fields = _fields(data, "policy_name", "path", "description", "document")
            created, findings = self.perform(request, services.create_policy, **fields)
            _warn(request, [str(f) for f in findings if f.level is not Level.ERROR])
            return identities_admin.adopt(obj, created)
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
            _warn(request, [str(f) for f in findings if f.level is not Level.ERROR])
        if data.get("default_version") and "default_version" in form.changed_data:
            version = obj.versions.get(number=data["default_version"])
            self.perform(request, services.set_default_version, version=version)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for version in formset.deleted_objects:
            self.perform(request, services.delete_policy_version, version=version)

    def delete_model(self, request, obj):
        self.perform(request, services.delete_policy, policy=obj)


def _fields(data: dict, *names: str) -> dict:
    return {name: data[name] for name in names if name in data}


# Policies on the identity pages


class AttachmentInline(admin.TabularInline):
    model = PolicyAttachment
    extra = 0
    fields = readonly_fields = ("policy", "attached_by", "attached_at")
    verbose_name, verbose_name_plural = "attached policy", "attached managed policies"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("policy", "attached_by", "user", "group", "role")

    def has_view_permission(self, request, obj=None):
        # Without an object Django asks whether the inline's rows may be read at all (its
        # queryset is empty otherwise); each identity's page then asks about that identity.
        return obj is None or allowed(request, f"iam:ListAttached{_kind(obj)}Policies", obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return obj is not None and rules.allows(request.user, services.detach_policy, identity=obj)


class NewAttachmentInline(AttachmentInline):
    extra = 1
    fields, readonly_fields = ("policy",), ()
    autocomplete_fields = ("policy",)
    verbose_name, verbose_name_plural = "policy to attach", "attach managed policies"

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_view_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        # Which policy is known only at save, where iam:PolicyARN is checked.
        return obj is not None and rules.allows(request.user, services.attach_policy, identity=obj)

    def has_delete_permission(self, request, obj=None):
        return False


class InlinePolicyForm(forms.ModelForm):
    """A row of an identity's inline policies, with the token of the document it showed
    (identities.staleness); a new row's is that of no document (its name must still be free)."""

    document = PolicyDocumentField(label="Policy document")
    based_on = BasedOnField()

    class Meta:
        model = InlinePolicy
        fields = ("policy_name", "document")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("based_on", services.inline_policy_token(self.instance if self.instance.pk else None))

    def clean(self):
        """Refused as its own error (a server error otherwise, from save_formset) when the
        inline policy of that name changed, appeared or went since the page was opened."""
        cleaned = super().clean()
        name, posted = cleaned.get("policy_name"), cleaned.get("based_on")
        if name and posted:
            # A row renamed here writes the policy of another name, which the page showed absent.
            based_on = posted if self.instance.pk and name == self.instance.policy_name else staleness.ABSENT
            services.current_inline_policy(self.instance.owner, name, based_on)
            cleaned["based_on"] = based_on
        return cleaned


class InlinePolicyInline(admin.StackedInline):
    model = InlinePolicy
    form = InlinePolicyForm
    extra = 0
    fields = ("policy_name", "document", "based_on")
    verbose_name, verbose_name_plural = "inline policy", "inline policies"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "group", "role")

    def has_view_permission(self, request, obj=None):
        return obj is None or allowed(request, f"iam:Get{_kind(obj)}Policy", obj)

    def has_add_permission(self, request, obj=None):
        return obj is not None and rules.allows(request.user, services.put_inline_policy, identity=obj)

    has_change_permission = has_add_permission

    def has_delete_permission(self, request, obj=None):
        return obj is not None and rules.allows(request.user, services.delete_inline_policy, identity=obj)

    def get_readonly_fields(self, request, obj=None):
        return () if self.has_add_permission(request, obj) else ("policy_name", "document")

    def get_fields(self, request, obj=None):
        # The token only where rows can be changed: read-only, Django would show it as text.
        return self.fields if self.has_add_permission(request, obj) else ("policy_name", "document")


class BoundaryFormSet(BaseInlineFormSet):
    pass


class BoundaryInline(admin.TabularInline):
    model = PermissionBoundary
    formset = BoundaryFormSet
    extra = 0
    max_num = 1
    fields = ("policy", "set_at")
    readonly_fields = ("set_at",)
    autocomplete_fields = ("policy",)
    verbose_name, verbose_name_plural = "permission boundary", "permission boundary"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("policy", "user", "role")

    def has_view_permission(self, request, obj=None):
        return obj is None or allowed(request, f"iam:Get{_kind(obj)}", obj)

    def has_add_permission(self, request, obj=None):
        return obj is not None and rules.allows(request.user, services.set_permissions_boundary, identity=obj)

    has_change_permission = has_add_permission

    def has_delete_permission(self, request, obj=None):
        return obj is not None and rules.allows(request.user, services.delete_permissions_boundary, identity=obj)


class PolicyInlinesMixin:
    """Saves the policy inlines of a user, group or role through services; their changes
    also let a user post the identity's page."""

    policy_inlines: tuple = (AttachmentInline, NewAttachmentInline, InlinePolicyInline)
    policy_changes = (
        services.attach_policy,
        services.detach_policy,
        services.put_inline_policy,
        services.delete_inline_policy,
    )

    def has_change_permission(self, request, obj=None):
        if super().has_change_permission(request, obj):
            return True
        if obj is None or (isinstance(obj, User) and obj.is_superuser):
            return False
        return any(rules.allows(request.user, change, identity=obj) for change in self.policy_changes)

    def get_inlines(self, request, obj):
        if obj is None or (isinstance(obj, User) and obj.is_superuser):
            return super().get_inlines(request, obj)
        return (*super().get_inlines(request, obj), *self.policy_inlines)

    def save_formset(self, request, form, formset, change):
        model = formset.model
        if model not in (PolicyAttachment, InlinePolicy, PermissionBoundary):
            return super().save_formset(request, form, formset, change)
        identity = form.instance
        formset.save(commit=False)
        # What each row's form showed (inline policies' tokens): its instance is the row saved.
        based_on = {id(each.instance): getattr(each, "cleaned_data", {}).get("based_on") for each in formset}
        for row in formset.deleted_objects:
            self._remove(request, identity, row)
        for row in [*formset.new_objects, *(row for row, _ in formset.changed_objects)]:
            self._put(request, identity, row, based_on.get(id(row)))

    def _put(self, request, identity, row, based_on: str | None = None) -> None:
        if isinstance(row, PolicyAttachment):
            self.perform(request, services.attach_policy, policy=row.policy, identity=identity)
        elif isinstance(row, InlinePolicy):
            _, findings = self.perform(
                request,
                services.put_inline_policy,
                identity=identity,
                policy_name=row.policy_name,
                document=row.document,
                based_on=based_on,
            )
            _warn(request, [str(f) for f in findings if f.level is not Level.ERROR])
        else:
            self.perform(request, services.set_permissions_boundary, identity=identity, policy=row.policy)

    def _remove(self, request, identity, row) -> None:
        if isinstance(row, PolicyAttachment):
            self.perform(request, services.detach_policy, policy=row.policy, identity=identity)
        elif isinstance(row, InlinePolicy):
            self.perform(request, services.delete_inline_policy, inline=row)
        else:
            self.perform(request, services.delete_permissions_boundary, identity=identity)


def _inlines_for(fk_name: str, *inlines) -> tuple:
    """The shared inlines bound to one kind of owner (attachments also name their attacher)."""
    return tuple(type(f"{inline.__name__}{fk_name.title()}", (inline,), {"fk_name": fk_name}) for inline in inlines)


def _boundary_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=ManagedPolicy.objects.all(),
        required=False,
        label="Permission boundary",
        help_text="The most this identity's own policies can ever grant. Administrators may be allowed "
        "to create identities only under a given boundary (iam:PermissionsBoundary).",
    )


class BoundaryOnCreateMixin:
    """A permission boundary chosen on the add form: the create rule asks it as
    iam:PermissionsBoundary, with the boundary's own action, before anything is saved."""

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return [*fields, "permissions_boundary"] if obj is None else fields

    def create_rule_extras(self, form) -> dict:
        boundary = form.cleaned_data.get("permissions_boundary")
        return {"boundary": boundary} if boundary is not None else {}

    def save_model(self, request, obj, form, change):
        boundary = None if change else form.cleaned_data.get("permissions_boundary")
        super().save_model(request, obj, form, change)
        if boundary is not None:
            # Asked with the create rule above (Put...PermissionsBoundary with the key).
            services.set_permissions_boundary(identity=obj, policy=boundary, actor=request.user)


class UserAddForm(identities_admin.UserAdminForm):
    permissions_boundary = _boundary_field()


class RoleAddForm(identities_admin.RoleAdminForm):
    permissions_boundary = _boundary_field()


_BOUNDARY_CHANGES = (services.set_permissions_boundary, services.delete_permissions_boundary)


class UserAdmin(BoundaryOnCreateMixin, PolicyInlinesMixin, identities_admin.UserAdmin):
    form = UserAddForm
    policy_inlines = _inlines_for("user", *PolicyInlinesMixin.policy_inlines, BoundaryInline)
    policy_changes = (*PolicyInlinesMixin.policy_changes, *_BOUNDARY_CHANGES)


class GroupAdmin(PolicyInlinesMixin, identities_admin.GroupAdmin):
    policy_inlines = _inlines_for("group", *PolicyInlinesMixin.policy_inlines)


class RoleAdmin(BoundaryOnCreateMixin, PolicyInlinesMixin, identities_admin.RoleAdmin):
    form = RoleAddForm
    policy_inlines = _inlines_for("role", *PolicyInlinesMixin.policy_inlines, BoundaryInline)
    policy_changes = (*PolicyInlinesMixin.policy_changes, *_BOUNDARY_CHANGES)


for model, model_admin in ((User, UserAdmin), (Group, GroupAdmin), (Role, RoleAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)


# Guardrails and the catalogue


class GuardrailForm(identities_admin.StaleCheckedForm):
    document = PolicyDocumentField(label="Guardrail document", kind=PolicyKind.GUARDRAIL)
    based_on = BasedOnField()
    guarded = {"based_on": "document"}

    class Meta:
        model = Guardrail
        fields = ("guardrail_name", "description", "level", "document")

    def shown_tokens(self, stored) -> dict:
        return {"based_on": services.guardrail_token(stored)}

    def refuse_if_stale(self, stored) -> None:
        services.refuse_stale_guardrail(stored, self.based_on("based_on"))


@admin.register(Guardrail)
class GuardrailAdmin(identities_admin.IAMActionsAdmin, admin.ModelAdmin):
    form = GuardrailForm
    iam_list_action, iam_get_action = "iam:ListGuardrails", "iam:GetGuardrail"
    create_change = update_change = staticmethod(services.save_guardrail)
    delete_change = staticmethod(services.delete_guardrail)
    subject_argument = "guardrail"

    def allows(self, request, change, obj=None, **arguments) -> bool:
        # The same service creates (no guardrail) and changes one: ask about "any" for a change
        # before one is chosen.
        return super().allows(request, change, obj if obj is not None else PENDING, **arguments)

    def has_add_permission(self, request, obj=None):
        return rules.allows(request.user, services.save_guardrail)

    list_display = ("guardrail_name", "level", "description", "updated_at")
    search_fields = ("guardrail_name", "description")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        original = Guardrail.objects.get(pk=obj.pk) if change else None
        saved, findings = self.perform(
            request,
            services.save_guardrail,
            guardrail=original,
            based_on=form.based_on("based_on") if change else None,
            **_fields(data, "guardrail_name", "description", "level", "document"),
        )
        _warn(request, [str(f) for f in findings if f.level is not Level.ERROR])
        identities_admin.adopt(obj, saved)

    def delete_model(self, request, obj):
        self.perform(request, services.delete_guardrail, guardrail=obj)


class CatalogActionInline(admin.TabularInline):
    model = CatalogAction
    extra = 1
    formfield_overrides = identities_admin.JSON_FORM_FIELDS
    fields = ("name", "access_level", "resource_types", "condition_keys", "description")

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        service = obj if obj is not None else PENDING
        changeable = obj is None or not obj.builtin
        return changeable and rules.allows(request.user, services.save_catalog_service, service=service)

    has_change_permission = has_delete_permission = has_add_permission


@admin.register(CatalogService)
class CatalogServiceAdmin(identities_admin.IAMActionsAdmin, admin.ModelAdmin):
    """The action catalogue: built-in services are read-only; administrators add their own."""

    iam_list_action, iam_get_action = "iam:ListCatalogServices", "iam:GetCatalogService"
    create_change = update_change = staticmethod(services.save_catalog_service)
    delete_change = staticmethod(services.delete_catalog_service)
    subject_argument = "service"

    def allows(self, request, change, obj=None, **arguments) -> bool:
        return super().allows(request, change, obj if obj is not None else PENDING, **arguments)

    def has_add_permission(self, request, obj=None):
        return rules.allows(request.user, services.save_catalog_service)

    list_display = ("prefix", "name", "action_count", "builtin")
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
        identities_admin.adopt(obj, saved)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for action in formset.deleted_objects:
            self.perform(request, services.delete_catalog_action, action=action)
        for action in [*formset.new_objects, *(row for row, _ in formset.changed_objects)]:
            self.perform(request, services.save_catalog_action, action=action)

    def delete_model(self, request, obj):
        self.perform(request, services.delete_catalog_service, service=obj)
