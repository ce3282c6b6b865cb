"""Users in the admin: their page, their groups and their roles."""

from django import forms
from django.contrib import admin
from django.contrib.auth import password_validation
from django.utils import timezone

from identities import mfa, rules, services, staleness
from identities.admin.base import MembershipFormSet, RowsInline, ServiceBackedAdmin, adopt, count_of, fields_of
from identities.admin.forms import StaleCheckedForm
from identities.credentials import RoleSession
from identities.forms import BasedOnField, TagsField
from identities.models import Membership, RoleAssignment, User


class UserMembershipInline(RowsInline):
    model = Membership
    fk_name = "user"
    fields = readonly_fields = ("group", "expires_at", "added_by", "added_at")
    add_change, remove_change = staticmethod(services.add_members), staticmethod(services.remove_members)
    view_action_on_parent = "iam:GetUser"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("group", "user", "added_by")


class NewUserMembershipInline(UserMembershipInline):
    formset = MembershipFormSet
    existing_rows, extra = False, 1
    fields, readonly_fields = ("group", "expires_at"), ()
    autocomplete_fields = ("group",)
    verbose_name, verbose_name_plural = "new group", "add to groups"


class UserAssignmentInline(RowsInline):
    model = RoleAssignment
    fk_name = "user"
    fields = readonly_fields = ("role", "expires_at", "granted_by", "granted_at")
    add_change, remove_change = staticmethod(services.assign_role), staticmethod(services.unassign_role)
    view_action_on_parent = "iam:GetUser"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("role", "user", "granted_by")


class NewUserAssignmentInline(UserAssignmentInline):
    existing_rows, extra = False, 1
    fields, readonly_fields = ("role", "expires_at"), ()
    autocomplete_fields = ("role",)
    verbose_name, verbose_name_plural = "new role", "assign roles"


class UserAdminForm(StaleCheckedForm):
    password = forms.CharField(
        label="Console password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty for a user without console access (access keys only).",
    )
    remove_mfa_device = forms.BooleanField(
        label="Remove the MFA device",
        required=False,
        help_text="For a lost device: the user then signs in with the password alone and can set up a new one.",
    )

    revoke_role_sessions = forms.BooleanField(
        label="Revoke the user's role sessions",
        required=False,
        help_text="Ends every role session the user holds now, in the console and through the API.",
    )

    # key=value lines, as in the console: one parser and formatter of tags for both.
    tags = TagsField(label="Tags")
    tags_based_on = BasedOnField()
    guarded = {"tags_based_on": "tags"}

    class Meta:
        model = User
        fields = ("username", "path", "tags", "is_active", "contact_email", "mfa_required", "password_reset_required")

    def clean_password(self) -> str:
        # The account's password policy, said at the field before anything is saved (the
        # service checks it again when it sets the password).
        password = self.cleaned_data.get("password") or ""
        if password:
            password_validation.validate_password(password, self.instance)
        return password

    def shown_tokens(self, stored) -> dict:
        return {"tags_based_on": staleness.token(stored.tags)}

    def refuse_if_stale(self, stored) -> None:
        services.refuse_stale_tags(stored, self.based_on("tags_based_on"))


@admin.register(User)
class UserAdmin(ServiceBackedAdmin):
    iam_list_action, iam_get_action = "iam:ListUsers", "iam:GetUser"
    create_change = staticmethod(services.create_console_user)
    update_change, delete_change = staticmethod(services.update_user), staticmethod(services.delete_user)
    subject_argument = "user"
    delete_arguments = {"with_credentials_and_memberships": True, "with_policies": True}
    related_changes = (services.add_members, services.remove_members, services.assign_role, services.unassign_role)
    field_changes = {
        "tags": services.set_user_tags,
        "password_reset_required": services.require_password_reset,
        "mfa_required": services.set_mfa_required,
    }
    form = UserAdminForm
    list_display = ("username", "path", "is_active", "root_marker", "group_count", "created_at", "last_login")
    list_filter = ("is_active", "is_superuser")
    search_fields = ("username",)
    readonly_fields = ("arn", "iam_id", "created_at", "last_login", "password_changed_at", "mfa_device")
    inlines = (UserMembershipInline, NewUserMembershipInline, UserAssignmentInline, NewUserAssignmentInline)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(group_count=count_of(Membership, "user"))

    def get_fields(self, request, obj=None):
        fields = ["username", "path", "tags", "is_active"]
        if obj is None:
            return fields + ["password"]
        fields += ["tags_based_on", "contact_email"]
        sign_in = ["mfa_required", "password_reset_required", "mfa_device"]
        if mfa.TOTPDevice.objects.filter(user=obj).exists() and self.allows(request, services.remove_mfa_device, obj):
            sign_in.append("remove_mfa_device")
        if self._has_live_sessions(obj) and self.allows(request, services.revoke_role_sessions, obj):
            sign_in.append("revoke_role_sessions")
        return fields + sign_in + list(self.readonly_fields)

    @staticmethod
    def _has_live_sessions(user) -> bool:
        return RoleSession.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()).exists()

    def get_inlines(self, request, obj):
        return () if obj is not None and obj.is_superuser else self.inlines

    @admin.display(description="groups", ordering="group_count")
    def group_count(self, obj):
        return obj.group_count

    @admin.display(description="account root user", boolean=True, ordering="is_superuser")
    def root_marker(self, obj):
        return obj.is_superuser

    def create_rule_extras(self, form) -> dict:
        """What the create rule also needs to know that the service does not take (a boundary)."""
        return {}

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            fields = fields_of(data, "username", "path", "tags", "is_active") | {
                "password": data.get("password") or None
            }
            extras = self.create_rule_extras(form)
            return adopt(obj, rules.perform(request.user, self.create_change, rule_extras=extras, **fields))
        user = User.objects.get(pk=obj.pk)
        if {"username", "path", "is_active", "contact_email"} & set(form.changed_data):
            moved = fields_of(data, "username", "path", "is_active", "contact_email")
            user = self.perform(request, services.update_user, user=user, **moved)
        if "tags" in form.changed_data:
            based_on = form.based_on("tags_based_on")
            user = self.perform(request, services.set_user_tags, user=user, tags=data["tags"], based_on=based_on)
        adopt(obj, self._save_sign_in_requirements(request, user, form))

    def _save_sign_in_requirements(self, request, user, form):
        data = form.cleaned_data
        if "mfa_required" in form.changed_data:
            user = self.perform(request, services.set_mfa_required, user=user, required=data["mfa_required"])
        if "password_reset_required" in form.changed_data:
            required = data["password_reset_required"]
            user = self.perform(request, services.require_password_reset, user=user, required=required)
        if data.get("remove_mfa_device"):
            self.perform(request, services.remove_mfa_device, user=user)
        if data.get("revoke_role_sessions"):
            self.perform(request, services.revoke_role_sessions, user=user)
        return user

    def has_change_permission(self, request, obj=None):
        # Only root manages root: its page offers nothing to change to anyone else.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.is_superuser) and super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(user.is_superuser for user in objs):  # a bulk deletion may select root too
            perms_needed.add("the account root user, which is never deleted")
        return deleted, counts, perms_needed, protected

    @admin.display(description="MFA device")
    def mfa_device(self, obj):
        return "enabled" if mfa.confirmed_device(obj) else "none"
