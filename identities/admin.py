"""The Django admin for identities; every save and delete goes through services."""

from importlib import import_module

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group as AuthGroup
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from identities import mfa, rules, services, staleness, trust
from identities.audit import AuditEvent
from identities.credentials import RoleSession
from identities.forms import BasedOnField, BoundedJSONField, TrustPolicyField
from identities.models import Group, Membership, Role, RoleAssignment, User
from identities.passwords import PasswordPolicy

# The registrations undone here are made first, whichever of the apps comes first in INSTALLED_APPS
# (identities comes before django.contrib.auth there, for its createsuperuser).
import_module("django.contrib.auth.admin")
import_module("django_otp.plugins.otp_totp.admin")
admin.site.unregister(AuthGroup)
# MFA devices are managed on the user (enrolment in the console, removal here), under IAM actions.
admin.site.unregister(TOTPDevice)


def adopt(obj, created) -> None:
    """Make the admin's unsaved object the row a service created, in place."""
    obj.__dict__.update(created.__dict__)


def count_of(model, field: str):
    """A correlated count per row: computed for the page's rows only, where a joined
    COUNT with GROUP BY would aggregate every row of a large table before the LIMIT."""
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
    return Coalesce(Subquery(rows.annotate(count=Count("pk")).values("count")), 0)


# The admin decodes model JSONFields from text a client typed: bounded like every other JSON input.
JSON_FORM_FIELDS = {models.JSONField: {"form_class": BoundedJSONField}}


def allowed(request, action: str, obj=None) -> bool:
    """A read the admin shows (a list, an object page): the action on the object's ARN."""
    return request.user.has_perm(action, obj)


class IAMActionsAdmin:
    """Maps the admin's permission hooks to IAM: a changelist is one List* check (resource
    "*"), an object page one Get* check; every change asks the rule table
    (identities.rules) of the service that makes it, on the object (on "any" when the
    admin asks before an object is chosen), and again with the data at save."""

    iam_list_action = iam_get_action = ""
    # The services that create, update and delete the object (as staticmethods).
    create_change = update_change = delete_change = None
    # How the services name the object ("user", "group", ...).
    subject_argument = ""
    # Changes that also let a user post the object's page (memberships, assignments).
    related_changes: tuple = ()
    # Fields governed by a change of their own: {field: service}.
    field_changes: dict = {}
    formfield_overrides = JSON_FORM_FIELDS

    def allows(self, request, change, obj=None, **arguments) -> bool:
        if change is None:
            return False
        return rules.allows(request.user, change, **{self.subject_argument: obj}, **arguments)

    def has_view_permission(self, request, obj=None):
        return allowed(request, self.iam_get_action if obj is not None else self.iam_list_action, obj)

    def has_add_permission(self, request, obj=None):
        # Whether to offer the form; the save checks again with the data submitted.
        return self.create_change is not None and rules.allows(request.user, self.create_change)

    def can_update(self, request, obj) -> bool:
        return self.allows(request, self.update_change, obj)

    def has_change_permission(self, request, obj=None):
        changes = (self.update_change, *self.related_changes, *self.field_changes.values())
        return any(self.allows(request, change, obj) for change in changes)

    def has_delete_permission(self, request, obj=None):
        return self.allows(request, self.delete_change, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        if not self.can_update(request, obj):
            own = {*self.field_changes, *getattr(self.form, "guarded", {})}  # tokens stay hidden inputs
            # The form's own fields: get_fields would build the form again, which asks this method.
            names = self.fields or [*self.form.base_fields, *self.readonly_fields]
            readonly += [name for name in names if name not in readonly and name not in own]
        readonly += [
            name
            for name, change in self.field_changes.items()
            if name not in readonly and not self.allows(request, change, obj)
        ]
        return readonly

    def perform(self, request, change, **arguments):
        """A change through its rule and its service, as the console's pages make it."""
        return rules.perform(request.user, change, **arguments)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    # A service may refuse a change the form found valid (a quota, a guardrail that would lock
    # the root user out, a conflict): the admin's transaction has rolled it back by then, and
    # the page is shown again with the refusal, never a server error.

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refusal:
            return self._refused(request, refusal, request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as refusal:
            return self._refused(request, refusal, request.get_full_path())

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except ValidationError as refusal:
            return self._refused(request, refusal, request.get_full_path())

    def _refused(self, request, refusal: ValidationError, url: str):
        for message in refusal.messages:
            self.message_user(request, f"Nothing was changed: {message}", messages.ERROR)
        return HttpResponseRedirect(url)


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
    """Memberships or assignments of one parent; rows are added and removed by the
    rule of the change (identities.rules) on the group or role they concern."""

    add_change = remove_change = None
    view_action_on_parent = ""
    existing_rows = True
    extra = 0

    def has_view_permission(self, request, obj=None):
        return obj is None or allowed(request, self.view_action_on_parent, obj)

    def has_add_permission(self, request, obj=None):
        return not self.existing_rows and self._allows(request, self.add_change, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.existing_rows and self._allows(request, self.remove_change, obj)

    @staticmethod
    def _allows(request, change, obj) -> bool:
        # On a group's or role's page the parent is the resource; on a user's page the
        # group or role is chosen per row, and checked again at save.
        parent = obj if isinstance(obj, Group | Role) else None
        argument = "role" if isinstance(obj, Role) or change in ROLE_CHANGES else "group"
        return rules.allows(request.user, change, **{argument: parent})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if self.existing_rows else queryset.none()


ROLE_CHANGES = (services.assign_role, services.unassign_role)


class GroupMembershipInline(RowsInline):
    model = Membership
    fk_name = "group"
    fields = readonly_fields = ("user", "added_by", "added_at")
    add_change, remove_change = staticmethod(services.add_members), staticmethod(services.remove_members)
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
    add_change, remove_change = staticmethod(services.add_members), staticmethod(services.remove_members)
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
    add_change, remove_change = staticmethod(services.assign_role), staticmethod(services.unassign_role)
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
    add_change, remove_change = staticmethod(services.assign_role), staticmethod(services.unassign_role)
    view_action_on_parent = "iam:GetUser"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("role", "user", "granted_by")


class NewUserAssignmentInline(UserAssignmentInline):
    existing_rows, extra = False, 1
    fields, readonly_fields = ("role", "expires_at"), ()
    autocomplete_fields = ("role",)
    verbose_name, verbose_name_plural = "new role", "assign roles"


class ServiceBackedAdmin(IAMActionsAdmin, admin.ModelAdmin):
    """Routes the admin's writes of memberships and assignments through their rules and
    services, each row checked at save (on a user's page the group or role is only
    known then)."""

    show_full_result_count = False

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for row in formset.deleted_objects:
            if isinstance(row, Membership):
                self.perform(request, services.remove_members, group=row.group, users=[row.user])
            else:
                self.perform(request, services.unassign_role, role=row.role, user=row.user)
        for row in formset.new_objects:
            if isinstance(row, Membership):
                self.perform(request, services.add_members, group=row.group, users=[row.user])
            else:
                self.perform(request, services.assign_role, role=row.role, user=row.user, expires_at=row.expires_at)

    # What the deletion removes first (keys, memberships, policies), as the service names it.
    delete_arguments: dict = {}

    def get_deleted_objects(self, objs, request):
        """Django lists what cascades. A deletion first removes what stands in the way, each
        under its own IAM action (the deletion's rule): a missing one is named on the
        confirmation page as a permission needed, and Django then refuses the POST (403)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for obj in objs:
            checks = rules.required(self.delete_change, **{self.subject_argument: obj}, **self.delete_arguments)
            perms_needed.update(f"{check} ({obj.name})" for check in rules.refused(request.user, checks))
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        self.perform(request, self.delete_change, **{self.subject_argument: obj}, **self.delete_arguments)


class StaleCheckedForm(forms.ModelForm):
    """A change form that carries the tokens of the documents it shows (identities.staleness)
    and refuses a save based on what is no longer stored as its own error, never a server
    error: Django's admin does not catch a ValidationError from save_model. The admin
    validates and saves in one transaction and the services' checks called here lock the
    row, so nobody changes it in between; the services check again when they save."""

    # {token field: the field whose shown value it stands for}; not checked when read-only.
    guarded: dict[str, str] = {}

    def shown_tokens(self, stored) -> dict:
        """{token field: its token for `stored`, the row as read from the database}."""
        return {}

    def refuse_if_stale(self, stored) -> None:
        """The services' check of `stored` (the row, locked) against the tokens posted."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            self.initial.update(self.shown_tokens(type(self.instance).objects.get(pk=self.instance.pk)))

    def based_on(self, token_field: str):
        """The token posted for an editable field; None when it is read-only here (nor saved)."""
        return self.cleaned_data.get(token_field) if self.guarded[token_field] in self.fields else None

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        stored = type(self.instance).objects.select_for_update().filter(pk=self.instance.pk).first()
        if stored is not None:  # deleted meanwhile: nothing of it left to overwrite
            self.refuse_if_stale(stored)
        return cleaned


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

    tags_based_on = BasedOnField()
    guarded = {"tags_based_on": "tags"}

    class Meta:
        model = User
        fields = ("username", "path", "tags", "is_active", "mfa_required", "password_reset_required")

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
        fields.append("tags_based_on")
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
            fields = _fields(data, "username", "path", "tags", "is_active") | {"password": data.get("password") or None}
            rules.require(request.user, rules.required(self.create_change, **fields, **self.create_rule_extras(form)))
            return adopt(obj, self.create_change(actor=request.user, **fields))
        user = User.objects.get(pk=obj.pk)
        if {"username", "path", "is_active"} & set(form.changed_data):
            moved = _fields(data, "username", "path", "is_active")
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


@admin.register(Group)
class GroupAdmin(ServiceBackedAdmin):
    iam_list_action, iam_get_action = "iam:ListGroups", "iam:GetGroup"
    create_change = staticmethod(services.create_group)
    update_change, delete_change = staticmethod(services.update_group), staticmethod(services.delete_group)
    subject_argument = "group"
    delete_arguments = {"with_members": True, "with_policies": True}
    related_changes = (services.add_members, services.remove_members)
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
        fields = _fields(form.cleaned_data, "group_name", "path", "description")
        if not change:
            return adopt(obj, self.perform(request, services.create_group, **fields))
        if form.changed_data:
            group = Group.objects.get(pk=obj.pk)
            adopt(obj, self.perform(request, services.update_group, group=group, **fields))


class RoleAdminForm(StaleCheckedForm):
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
            fields = _fields(data, "role_name", "path", *self.editable) | {"trust_policy": data["trust_policy"]}
            rules.require(request.user, rules.required(self.create_change, **fields, **self.create_rule_extras(form)))
            return adopt(obj, self.create_change(actor=request.user, **fields))
        role = Role.objects.get(pk=obj.pk)
        if "trust_policy" in form.changed_data:
            trust_policy, based_on = data["trust_policy"], form.based_on("trust_policy_based_on")
            change = {"role": role, "trust_policy": trust_policy, "based_on": based_on}
            role = self.perform(request, services.update_trust_policy, **change)
        if set(self.editable) & set(form.changed_data):
            changes = _fields(data, *self.editable) | {"tags_based_on": form.based_on("tags_based_on")}
            role = self.perform(request, services.update_role, role=role, **changes)
        adopt(obj, role)


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
        return allowed(request, "iam:GetAuditEvent" if obj is not None else "iam:ListAuditEvents", obj)

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
        return allowed(request, "iam:GetAccountPasswordPolicy")

    def has_change_permission(self, request, obj=None):
        return rules.allows(request.user, services.update_password_policy)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied("Your policies do not allow iam:GetAccountPasswordPolicy.")
        return redirect("admin:identities_passwordpolicy_change", 1)

    def get_object(self, request, object_id, from_field=None):
        # The defaults until first saved, so the page never lacks its one row.
        return PasswordPolicy.current() if str(object_id) == "1" else None

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.fields}
        adopt(obj, rules.perform(request.user, services.update_password_policy, **fields))
