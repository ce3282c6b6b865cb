"""Policies on the admin's pages of users, groups and roles: attached and inline policies and the
permission boundary, saved through the services; these admins replace identities' own.
"""

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from identities import rules, staleness
from identities.admin import groups, roles, users
from identities.admin.base import allowed
from identities.forms import BasedOnField
from identities.models import Group, Role, User
from policies import services
from policies.admin.base import warn
from policies.engine import Level
from policies.forms import inline_document_field
from policies.models import InlinePolicy, ManagedPolicy, PermissionBoundary, PolicyAttachment


def _kind(identity) -> str:
    return {User: "User", Group: "Group", Role: "Role"}[type(identity)]


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

    document = inline_document_field()
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
            warn(request, [services.finding_in_words(f) for f in findings if f.level is not Level.ERROR])
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


class UserAddForm(users.UserAdminForm):
    permissions_boundary = _boundary_field()


class RoleAddForm(roles.RoleAdminForm):
    permissions_boundary = _boundary_field()


_BOUNDARY_CHANGES = (services.set_permissions_boundary, services.delete_permissions_boundary)


class UserAdmin(BoundaryOnCreateMixin, PolicyInlinesMixin, users.UserAdmin):
    form = UserAddForm
    policy_inlines = _inlines_for("user", *PolicyInlinesMixin.policy_inlines, BoundaryInline)
    policy_changes = (*PolicyInlinesMixin.policy_changes, *_BOUNDARY_CHANGES)


class GroupAdmin(PolicyInlinesMixin, groups.GroupAdmin):
    policy_inlines = _inlines_for("group", *PolicyInlinesMixin.policy_inlines)


class RoleAdmin(BoundaryOnCreateMixin, PolicyInlinesMixin, roles.RoleAdmin):
    form = RoleAddForm
    policy_inlines = _inlines_for("role", *PolicyInlinesMixin.policy_inlines, BoundaryInline)
    policy_changes = (*PolicyInlinesMixin.policy_changes, *_BOUNDARY_CHANGES)


for model, model_admin in ((User, UserAdmin), (Group, GroupAdmin), (Role, RoleAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
