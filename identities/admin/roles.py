"""Roles in the admin: their page, trust policy and assignments."""

from django.contrib import admin

from identities import rules, services, staleness, trust
from identities.admin.base import RowsInline, ServiceBackedAdmin, adopt, count_of, fields_of
from identities.admin.forms import StaleCheckedForm
from identities.forms import BasedOnField, TagsField, TrustPolicyField
from identities.models import Role, RoleAssignment


class RoleAssignmentInline(RowsInline):
    model = RoleAssignment
    fk_name = "role"
    fields = readonly_fields = ("user", "expires_at", "granted_by", "granted_at")
    add_change, remove_change = staticmethod(services.assign_role), staticmethod(services.unassign_role)
    view_action_on_parent = "iam:GetRole"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "role", "granted_by")


class NewRoleAssignmentInline(RoleAssignmentInline):
    existing_rows, extra = False, 1
    fields, readonly_fields = ("user", "expires_at"), ()
    autocomplete_fields = ("user",)
    verbose_name, verbose_name_plural = "new assignment", "assign to users"


class RoleAdminForm(StaleCheckedForm):
    # key=value lines, as in the console: one parser and formatter of tags for both.
    tags = TagsField(label="Tags")
    tags_based_on = BasedOnField()
    trust_policy_based_on = BasedOnField()
    guarded = {"tags_based_on": "tags", "trust_policy_based_on": "trust_policy"}

    class Meta:
        model = Role
        fields = ("role_name", "path", "description", "trust_policy", "max_session_duration", "tags")
        field_classes = {"trust_policy": TrustPolicyField}

    def shown_tokens(self, stored) -> dict:
        return {
            "tags_based_on": staleness.token(stored.tags),
            "trust_policy_based_on": trust.shown_token(stored.trust_policy),
        }

    def refuse_if_stale(self, stored) -> None:
        tokens = {name: self.based_on(name) for name in self.guarded}
        services.refuse_stale_role(stored, **tokens)


@admin.register(Role)
class RoleAdmin(ServiceBackedAdmin):
    form = RoleAdminForm
    iam_list_action, iam_get_action = "iam:ListRoles", "iam:GetRole"
    create_change = staticmethod(services.create_role)
    update_change, delete_change = staticmethod(services.update_role), staticmethod(services.delete_role)
    subject_argument = "role"
    delete_arguments = {"with_policies": True}
    related_changes = (services.assign_role, services.unassign_role)
    field_changes = {"trust_policy": services.update_trust_policy}
    list_display = ("role_name", "path", "assignment_count", "max_session_duration", "created_at")
    search_fields = ("role_name",)
    fields = (
        "role_name",
        "path",
        "description",
        "trust_policy",
        "max_session_duration",
        "tags",
        "tags_based_on",
        "trust_policy_based_on",
        "arn",
        "iam_id",
        "created_at",
    )
    readonly_fields = ("arn", "iam_id", "created_at")
    inlines = (RoleAssignmentInline, NewRoleAssignmentInline)
    # A role keeps its name and path for life, as in AWS (UpdateRole changes neither).
    fixed_fields = ("role_name", "path")
    editable = ("description", "max_session_duration", "tags")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(assignment_count=count_of(RoleAssignment, "role"))

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if obj is None else [*readonly, *(f for f in self.fixed_fields if f not in readonly)]

    def get_object(self, request, object_id, from_field=None):
        role = super().get_object(request, object_id, from_field)
        if role is not None:
            # The trust policy as people read it, editable or not. Never saved from here:
            # saves go through the services, which store it by unique ID again.
            role.trust_policy = trust.shown_form(role.trust_policy)
        return role

    @admin.display(description="assignments", ordering="assignment_count")
    def assignment_count(self, obj):
        return obj.assignment_count

    def create_rule_extras(self, form) -> dict:
        return {}

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            fields = fields_of(data, "role_name", "path", *self.editable) | {"trust_policy": data["trust_policy"]}
            extras = self.create_rule_extras(form)
            return adopt(obj, rules.perform(request.user, self.create_change, rule_extras=extras, **fields))
        role = Role.objects.get(pk=obj.pk)
        if "trust_policy" in form.changed_data:
            trust_policy, based_on = data["trust_policy"], form.based_on("trust_policy_based_on")
            change = {"role": role, "trust_policy": trust_policy, "based_on": based_on}
            role = self.perform(request, services.update_trust_policy, **change)
        if set(self.editable) & set(form.changed_data):
            changes = fields_of(data, *self.editable) | {"tags_based_on": form.based_on("tags_based_on")}
            role = self.perform(request, services.update_role, role=role, **changes)
        adopt(obj, role)
