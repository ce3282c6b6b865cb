"""The Django admin for identities; every save and delete goes through services."""

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group as AuthGroup
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet

from identities import services
from identities.audit import AuditEvent
from identities.models import Group, Membership, Role, RoleAssignment, User

admin.site.unregister(AuthGroup)


def _adopt(obj, created) -> None:
    """Make the admin's unsaved object the row a service created, in place."""
    obj.__dict__.update(created.__dict__)


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


class MembershipInline(admin.TabularInline):
    """Existing rows are read-only (remove them with the delete box)."""

    model = Membership
    extra = 0
    readonly_fields = ("added_by", "added_at")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class NewMembershipInline(admin.TabularInline):
    """Empty rows to add members; existing rows are listed by MembershipInline."""

    model = Membership
    formset = MembershipFormSet
    extra = 1
    verbose_name = "new membership"
    verbose_name_plural = "add memberships"

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_delete_permission(self, request, obj=None):
        return False


class GroupMembershipInline(MembershipInline):
    fk_name = "group"
    fields = ("user", "added_by", "added_at")
    readonly_fields = ("user", "added_by", "added_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "group", "added_by")


class NewGroupMembershipInline(NewMembershipInline):
    fk_name = "group"
    fields = ("user",)
    autocomplete_fields = ("user",)


class UserMembershipInline(MembershipInline):
    fk_name = "user"
    fields = ("group", "added_by", "added_at")
    readonly_fields = ("group", "added_by", "added_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("group", "user", "added_by")


class NewUserMembershipInline(NewMembershipInline):
    fk_name = "user"
    fields = ("group",)
    autocomplete_fields = ("group",)


class AssignmentInline(admin.TabularInline):
    """Existing assignments: only their expiry can change."""

    model = RoleAssignment
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


class NewAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 1
    verbose_name = "new assignment"
    verbose_name_plural = "add assignments"

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_delete_permission(self, request, obj=None):
        return False


class RoleAssignmentInline(AssignmentInline):
    fk_name = "role"
    fields = ("user", "expires_at", "granted_by", "granted_at")
    readonly_fields = ("user", "granted_by", "granted_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "role", "granted_by")


class NewRoleAssignmentInline(NewAssignmentInline):
    fk_name = "role"
    fields = ("user", "expires_at")
    autocomplete_fields = ("user",)


class UserAssignmentInline(AssignmentInline):
    fk_name = "user"
    fields = ("role", "expires_at", "granted_by", "granted_at")
    readonly_fields = ("role", "granted_by", "granted_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("role", "user", "granted_by")


class NewUserAssignmentInline(NewAssignmentInline):
    fk_name = "user"
    fields = ("role", "expires_at")
    autocomplete_fields = ("role",)


class ServiceBackedAdmin(admin.ModelAdmin):
    """Routes the admin's writes of memberships and assignments through services."""

    show_full_result_count = False

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for row in formset.deleted_objects:
            self._remove_row(row, request.user)
        for row in formset.new_objects:
            self._add_row(row, request.user)
        for row, _changed in formset.changed_objects:
            if isinstance(row, RoleAssignment):
                services.unassign_role(role=row.role, user=row.user, actor=request.user)
                services.assign_role(role=row.role, user=row.user, actor=request.user, expires_at=row.expires_at)

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


class UserAdminForm(forms.ModelForm):
    password = forms.CharField(
        label="Console password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty for a user without console access (access keys only).",
    )

    class Meta:
        model = User
        fields = ("username", "path", "tags", "is_active")


@admin.register(User)
class UserAdmin(ServiceBackedAdmin):
    form = UserAdminForm
    list_display = ("username", "path", "is_active", "root_marker", "group_count", "created_at", "last_login")
    list_filter = ("is_active", "is_superuser")
    search_fields = ("username",)
    readonly_fields = ("arn", "iam_id", "created_at", "last_login")
    inlines = (UserMembershipInline, NewUserMembershipInline, UserAssignmentInline, NewUserAssignmentInline)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(group_count=Count("memberships"))

    def get_fields(self, request, obj=None):
        fields = ["username", "path", "tags", "is_active"]
        return fields + ["password"] if obj is None else fields + list(self.readonly_fields)

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
            created = services.create_user(
                username=data["username"],
                path=data["path"],
                tags=data["tags"],
                is_active=data["is_active"],
                password=data.get("password") or None,
                actor=request.user,
            )
            return _adopt(obj, created)
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
        _adopt(obj, original)

    def delete_model(self, request, obj):
        services.delete_user(user=obj, actor=request.user)


@admin.register(Group)
class GroupAdmin(ServiceBackedAdmin):
    list_display = ("group_name", "path", "member_count", "created_at")
    search_fields = ("group_name",)
    fields = ("group_name", "path", "description", "arn", "iam_id", "created_at")
    readonly_fields = ("arn", "iam_id", "created_at")
    inlines = (GroupMembershipInline, NewGroupMembershipInline)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
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
        services.delete_group(group=obj, actor=request.user, with_members=True)


@admin.register(Role)
class RoleAdmin(ServiceBackedAdmin):
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
        return super().get_queryset(request).annotate(assignment_count=Count("assignments"))

    @admin.display(description="assignments", ordering="assignment_count")
    def assignment_count(self, obj):
        return obj.assignment_count

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        names = ("role_name", "path", "description", "max_session_duration", "tags")
        if not change:
            created = services.create_role(
                actor=request.user, trust_policy=data["trust_policy"], **_fields(data, *names)
            )
            return _adopt(obj, created)
        original = Role.objects.get(pk=obj.pk)
        if set(names) & set(form.changed_data):
            original = services.update_role(role=original, actor=request.user, **_fields(data, *names))
        if "trust_policy" in form.changed_data:
            original = services.update_trust_policy(
                role=original, trust_policy=data["trust_policy"], actor=request.user
            )
        _adopt(obj, original)

    def delete_model(self, request, obj):
        services.delete_role(role=obj, actor=request.user)


def _fields(data: dict, *names: str) -> dict:
    return {name: data[name] for name in names}


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only everywhere."""

    list_display = ("occurred_at", "event_name", "outcome", "actor_display", "target_arn", "source_ip")
    list_filter = ("outcome", "event_name")
    search_fields = ("actor_arn", "target_arn", "event_name")
    show_full_result_count = False
    date_hierarchy = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
