"""The Django admin for identities; every save and delete goes through services."""

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group as AuthGroup
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities import mfa, naming, queries, services
from identities.audit import AuditEvent
from identities.context import PENDING, Target
from identities.credentials import RoleSession
from identities.models import Group, Membership, Role, RoleAssignment, User
from identities.passwords import PasswordPolicy

admin.site.unregister(AuthGroup)
# MFA devices are managed on the user (enrolment in the console, removal here), under IAM actions.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


def _adopt(obj, created) -> None:
    """Make the admin's unsaved object the row a service created, in place."""
    obj.__dict__.update(created.__dict__)


def count_of(model, field: str):
    """A correlated count per row: computed for the page's rows only, where a joined
    COUNT with GROUP BY would aggregate every row of a large table before the LIMIT."""
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
    return Coalesce(Subquery(rows.annotate(count=Count("pk")).values("count")), 0)


def _allowed(request, action: str, obj=None) -> bool:
    return request.user.has_perm(action, obj)


class IAMActionsAdmin:
    """Maps the admin's permission hooks to IAM actions on the object's ARN.

    A changelist is one List* check (resource "*"), an object page one Get*
    check; changes and deletes their own action on the object."""

    iam_list_action = iam_get_action = iam_create_action = iam_update_action = iam_delete_action = ""
    # Actions on an object that also let a user post its page (memberships, assignments).
    related_change_actions: tuple[str, ...] = ()

    def has_view_permission(self, request, obj=None):
        return _allowed(request, self.iam_get_action if obj is not None else self.iam_list_action, obj)

    def has_add_permission(self, request, obj=None):
        # Whether to offer the form; the save checks again with the data submitted.
        return _allowed(request, self.iam_create_action, PENDING)

    def can_update(self, request, obj) -> bool:
        return _allowed(request, self.iam_update_action, obj)

    def has_change_permission(self, request, obj=None):
        actions = (self.iam_update_action, *self.related_change_actions)
        return any(_allowed(request, action, obj) for action in actions)

    def has_delete_permission(self, request, obj=None):
        return _allowed(request, self.iam_delete_action, obj)

    # Fields governed by an action of their own: {field: action}.
    field_actions: dict[str, str] = {}

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        if not self.can_update(request, obj):
            own = set(self.field_actions)
            readonly += [name for name in self.get_fields(request, obj) if name not in readonly and name not in own]
        readonly += [
            name
            for name, action in self.field_actions.items()
            if name not in readonly and not _allowed(request, action, obj)
        ]
        return readonly

    def new_target(self, data: dict) -> Target:
        """The object about to be created, as the create check's resource."""
        kind, name_field = (
            self.model.arn_kind,
            {"user": "username"}.get(self.model.arn_kind, f"{self.model.arn_kind}_name"),
        )
        return Target(naming.build_arn(kind, data.get("path") or "/", data[name_field]))

    def check_create(self, request, data: dict) -> None:
        target = self.new_target(data)
        if not _allowed(request, self.iam_create_action, target):
            raise PermissionDenied(f"{self.iam_create_action} on {target.arn} is not allowed.")

    def check_field_actions(self, request, obj, form) -> None:
        """Repeat, at save, the check of each governed field that changed."""
        for name, action in self.field_actions.items():
            if name in form.changed_data and not _allowed(request, action, obj):
                raise PermissionDenied(f"{action} on {obj.arn} is not allowed.")


class MembershipFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        new_rows = [f.instance for f in self.forms if f.has_changed() and not f.instance.pk and f.is_valid()]
        new_rows = [row for row in new_rows if row.user_id and row.group_id]
        for group in {row.group for row in new_rows}:
            users = [row.user for row in new_rows if row.group_id == group.pk]
            problems = services.membership_problems(group, users)
            if problems:
                raise ValidationError(problems)


class RowsInline(admin.TabularInline):
    """Memberships or assignments of one parent; rows are added and removed by
    IAM actions on the group or role they concern."""

    add_action = remove_action = ""
    view_action_on_parent = ""
    existing_rows = True
    extra = 0

    def has_view_permission(self, request, obj=None):
        return obj is None or _allowed(request, self.view_action_on_parent, obj)

    def has_add_permission(self, request, obj=None):
        return not self.existing_rows and _allowed(request, self.add_action, self._resource(obj))

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.existing_rows and _allowed(request, self.remove_action, self._resource(obj))

    def _resource(self, obj):
        # On a group's or role's page the parent is the resource; on a user's
        # page the group or role is chosen per row, and checked again at save.
        return obj if isinstance(obj, (Group, Role)) else None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if self.existing_rows else queryset.none()


class GroupMembershipInline(RowsInline):
    model = Membership
    fk_name = "group"
    fields = readonly_fields = ("user", "added_by", "added_at")
    add_action, remove_action = "iam:AddUserToGroup", "iam:RemoveUserFromGroup"
    view_action_on_parent = "iam:GetGroup"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "group", "added_by")


class NewGroupMembershipInline(GroupMembershipInline):
    formset = MembershipFormSet
    existing_rows, extra = False, 1
    fields, readonly_fields = ("user",), ()
    autocomplete_fields = ("user",)
    verbose_name, verbose_name_plural = "new member", "add members"


class UserMembershipInline(RowsInline):
    model = Membership
    fk_name = "user"
    fields = readonly_fields = ("group", "added_by", "added_at")
    add_action, remove_action = "iam:AddUserToGroup", "iam:RemoveUserFromGroup"
    view_action_on_parent = "iam:GetUser"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("group", "user", "added_by")


class NewUserMembershipInline(UserMembershipInline):
    formset = MembershipFormSet
    existing_rows, extra = False, 1
    fields, readonly_fields = ("group",), ()
    autocomplete_fields = ("group",)
    verbose_name, verbose_name_plural = "new group", "add to groups"


class RoleAssignmentInline(RowsInline):
    model = RoleAssignment
    fk_name = "role"
    fields = readonly_fields = ("user", "expires_at", "granted_by", "granted_at")
    add_action = remove_action = "iam:UpdateAssumeRolePolicy"
    view_action_on_parent = "iam:GetRole"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "role", "granted_by")


class NewRoleAssignmentInline(RoleAssignmentInline):
    existing_rows, extra = False, 1
    fields, readonly_fields = ("user", "expires_at"), ()
    autocomplete_fields = ("user",)
    verbose_name, verbose_name_plural = "new assignment", "assign to users"


class UserAssignmentInline(RowsInline):
    model = RoleAssignment
    fk_name = "user"
    fields = readonly_fields = ("role", "expires_at", "granted_by", "granted_at")
    add_action = remove_action = "iam:UpdateAssumeRolePolicy"
    view_action_on_parent = "iam:GetUser"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("role", "user", "granted_by")


class NewUserAssignmentInline(UserAssignmentInline):
    existing_rows, extra = False, 1
    fields, readonly_fields = ("role", "expires_at"), ()
    autocomplete_fields = ("role",)
    verbose_name, verbose_name_plural = "new role", "assign roles"


class ServiceBackedAdmin(IAMActionsAdmin, admin.ModelAdmin):
    """Routes the admin's writes of memberships and assignments through services,
    checking each row's own action again at save (on a user's page the group
    or role is only known then)."""

    show_full_result_count = False

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for row in formset.deleted_objects:
            self._check_row(request, row, adding=False)
            self._remove_row(row, request.user)
        for row in formset.new_objects:
            self._check_row(request, row, adding=True)
            self._add_row(row, request.user)

    @staticmethod
    def _check_row(request, row, *, adding: bool) -> None:
        if isinstance(row, Membership):
            action = "iam:AddUserToGroup" if adding else "iam:RemoveUserFromGroup"
            resource = row.group
        else:
            action, resource = "iam:UpdateAssumeRolePolicy", row.role
        if not _allowed(request, action, resource):
            raise PermissionDenied(f"{action} on {resource.arn} is not allowed.")

    @staticmethod
    def _add_row(row, actor) -> None:
        if isinstance(row, Membership):
            services.add_members(group=row.group, users=[row.user], actor=actor)
        else:
            services.assign_role(role=row.role, user=row.user, actor=actor, expires_at=row.expires_at)

    @staticmethod
    def _remove_row(row, actor) -> None:
        if isinstance(row, Membership):
            services.remove_members(group=row.group, users=[row.user], actor=actor)
        else:
            services.unassign_role(role=row.role, user=row.user, actor=actor)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def get_deleted_objects(self, objs, request):
        """Django lists what cascades. A deletion first removes what stands in the way (keys,
        memberships, policies), each under its own IAM action: a missing one is named on the
        confirmation page as a permission needed, and Django then refuses the POST (403)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for obj in objs:
            perms_needed.update(
                f"{obstacle.action} ({obstacle.description} of {obj.name})"
                for obstacle in queries.deletion_obstacles(obj)
                if not _allowed(request, obstacle.action, obstacle.target)
            )
        return deleted, counts, perms_needed, protected


class UserAdminForm(forms.ModelForm):
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

    class Meta:
        model = User
        fields = ("username", "path", "tags", "is_active", "mfa_required", "password_reset_required")


@admin.register(User)
class UserAdmin(ServiceBackedAdmin):
    iam_list_action, iam_get_action = "iam:ListUsers", "iam:GetUser"
    iam_create_action, iam_update_action, iam_delete_action = "iam:CreateUser", "iam:UpdateUser", "iam:DeleteUser"
    related_change_actions = (
        "iam:AddUserToGroup",
        "iam:RemoveUserFromGroup",
        "iam:UpdateAssumeRolePolicy",
        "iam:TagUser",
    )
    field_actions = {"tags": "iam:TagUser", "password_reset_required": "iam:UpdateLoginProfile"}
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
        sign_in = ["mfa_required", "password_reset_required", "mfa_device"]
        if mfa.TOTPDevice.objects.filter(user=obj).exists() and _allowed(request, "iam:DeactivateMFADevice", obj):
            sign_in.append("remove_mfa_device")
        if self._has_live_sessions(obj) and _allowed(request, "iam:UpdateUser", obj):
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

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            self.check_create(request, data)
            created = services.create_console_user(
                username=data["username"],
                path=data["path"],
                tags=data["tags"],
                is_active=data["is_active"],
                password=data.get("password") or None,
                actor=request.user,
            )
            return _adopt(obj, created)
        self.check_field_actions(request, obj, form)
        original = User.objects.get(pk=obj.pk)
        if {"username", "path", "is_active"} & set(form.changed_data):
            original = services.update_user(
                user=original,
                username=data["username"],
                path=data["path"],
                is_active=data["is_active"],
                actor=request.user,
            )
        if "tags" in form.changed_data:
            original = services.set_user_tags(user=original, tags=data["tags"], actor=request.user)
        _adopt(obj, self._save_sign_in_requirements(request, original, form))

    @staticmethod
    def _save_sign_in_requirements(request, user, form):
        data = form.cleaned_data
        if "mfa_required" in form.changed_data:
            user = services.set_mfa_required(user=user, required=data["mfa_required"], actor=request.user)
        if "password_reset_required" in form.changed_data:
            required = data["password_reset_required"]
            user = services.require_password_reset(user=user, required=required, actor=request.user)
        if data.get("remove_mfa_device"):
            if not _allowed(request, "iam:DeactivateMFADevice", user):
                raise PermissionDenied(f"iam:DeactivateMFADevice on {user.arn} is not allowed.")
            services.remove_mfa_device(user=user, actor=request.user)
        if data.get("revoke_role_sessions"):
            if not _allowed(request, "iam:UpdateUser", user):
                raise PermissionDenied(f"iam:UpdateUser on {user.arn} is not allowed.")
            services.revoke_role_sessions(user=user, actor=request.user)
        return user

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.is_superuser) and super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(user.is_superuser for user in objs):  # a bulk deletion may select root too
            perms_needed.add("the account root user, which is never deleted")
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        # The confirmation page listed what goes first, and get_deleted_objects checked each removal.
        services.delete_user(user=obj, actor=request.user, with_credentials_and_memberships=True, with_policies=True)

    @admin.display(description="MFA device")
    def mfa_device(self, obj):
        return "enabled" if mfa.confirmed_device(obj) else "none"


@admin.register(Group)
class GroupAdmin(ServiceBackedAdmin):
    iam_list_action, iam_get_action = "iam:ListGroups", "iam:GetGroup"
    iam_create_action, iam_update_action, iam_delete_action = "iam:CreateGroup", "iam:UpdateGroup", "iam:DeleteGroup"
    related_change_actions = ("iam:AddUserToGroup", "iam:RemoveUserFromGroup")
    list_display = ("group_name", "path", "member_count", "created_at")
    search_fields = ("group_name",)
    fields = ("group_name", "path", "description", "arn", "iam_id", "created_at")
    readonly_fields = ("arn", "iam_id", "created_at")
    inlines = (GroupMembershipInline, NewGroupMembershipInline)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=count_of(Membership, "group"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            self.check_create(request, data)
            return _adopt(
                obj, services.create_group(actor=request.user, **_fields(data, "group_name", "path", "description"))
            )
        if form.changed_data:
            original = Group.objects.get(pk=obj.pk)
            updated = services.update_group(
                group=original, actor=request.user, **_fields(data, "group_name", "path", "description")
            )
            _adopt(obj, updated)

    def delete_model(self, request, obj):
        services.delete_group(group=obj, actor=request.user, with_members=True, with_policies=True)


@admin.register(Role)
class RoleAdmin(ServiceBackedAdmin):
    iam_list_action, iam_get_action = "iam:ListRoles", "iam:GetRole"
    iam_create_action, iam_update_action, iam_delete_action = "iam:CreateRole", "iam:UpdateRole", "iam:DeleteRole"
    related_change_actions = ("iam:UpdateAssumeRolePolicy", "iam:TagRole")
    field_actions = {"trust_policy": "iam:UpdateAssumeRolePolicy", "tags": "iam:TagRole"}
    list_display = ("role_name", "path", "assignment_count", "max_session_duration", "created_at")
    search_fields = ("role_name",)
    fields = (
        "role_name",
        "path",
        "description",
        "trust_policy",
        "max_session_duration",
        "tags",
        "arn",
        "iam_id",
        "created_at",
    )
    readonly_fields = ("arn", "iam_id", "created_at")
    inlines = (RoleAssignmentInline, NewRoleAssignmentInline)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(assignment_count=count_of(RoleAssignment, "role"))

    @admin.display(description="assignments", ordering="assignment_count")
    def assignment_count(self, obj):
        return obj.assignment_count

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        names = ("role_name", "path", "description", "max_session_duration", "tags")
        if not change:
            self.check_create(request, data)
            created = services.create_role(
                actor=request.user, trust_policy=data["trust_policy"], **_fields(data, *names)
            )
            return _adopt(obj, created)
        self.check_field_actions(request, obj, form)
        original = Role.objects.get(pk=obj.pk)
        if set(names) & set(form.changed_data):
            original = services.update_role(role=original, actor=request.user, **_fields(data, *names))
        if "trust_policy" in form.changed_data:
            original = services.update_trust_policy(
                role=original, trust_policy=data["trust_policy"], actor=request.user
            )
        _adopt(obj, original)

    def delete_model(self, request, obj):
        services.delete_role(role=obj, actor=request.user, with_policies=True)


def _fields(data: dict, *names: str) -> dict:
    return {name: data[name] for name in names if name in data}


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only everywhere."""

    list_display = ("occurred_at", "event_name", "outcome", "actor_display", "target_arn", "source_ip")
    list_filter = ("outcome", "event_name")
    search_fields = ("actor_arn", "target_arn", "event_name")
    show_full_result_count = False
    date_hierarchy = None

    def has_view_permission(self, request, obj=None):
        return _allowed(request, "iam:GetAuditEvent" if obj is not None else "iam:ListAuditEvents", obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PasswordPolicy)
class PasswordPolicyAdmin(admin.ModelAdmin):
    """The account's one password policy, read and changed under its IAM actions."""

    def has_view_permission(self, request, obj=None):
        return _allowed(request, "iam:GetAccountPasswordPolicy")

    def has_change_permission(self, request, obj=None):
        return _allowed(request, "iam:UpdateAccountPasswordPolicy")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return redirect("admin:identities_passwordpolicy_change", 1)

    def get_object(self, request, object_id, from_field=None):
        # The defaults until first saved, so the page never lacks its one row.
        return PasswordPolicy.current() if str(object_id) == "1" else None

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.fields}
        _adopt(obj, services.update_password_policy(actor=request.user, **fields))
