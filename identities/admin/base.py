"""What the admin's pages of identities (and of policies) share: IAM actions behind Django's
permission hooks, writes through the services, and the rows of memberships and assignments.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.text import capfirst

from identities import rules, services
from identities.console import perform_previewed, preview_field
from identities.forms import BoundedJSONField
from identities.models import Group, Membership, Role


def adopt(obj, created) -> None:
    """Make the admin's unsaved object the row a service created, in place."""
    obj.__dict__.update(created.__dict__)


def count_of(model, field: str):
    """A correlated count per row: computed for the page's rows only, where a joined
    COUNT with GROUP BY would aggregate every row of a large table before the LIMIT."""
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
    return Coalesce(Subquery(rows.annotate(count=Count("pk")).values("count")), 0)


# A deletion's confirmation with the change preview before its button (IAMActionsAdmin.deletion_change).
PREVIEWED_DELETION = "admin/delete_confirmation_previewed.html"

# The admin decodes model JSONFields from text a client typed: bounded like every other JSON input.
JSON_FORM_FIELDS = {models.JSONField: {"form_class": BoundedJSONField}}


def allowed(request, action: str, obj=None) -> bool:
    """A read the admin shows (a list, an object page): the action on the object's ARN."""
    return request.user.has_perm(action, obj)


def fields_of(data: dict, *names: str) -> dict:
    return {name: data[name] for name in names if name in data}


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

    def deletion_change(self, obj) -> dict | None:
        """The change a deletion's confirmation previews (policies.preview: its kind and ARNs), or
        None. A model that previews it sets PREVIEWED_DELETION as its delete_confirmation_template
        and deletes with `perform_previewed`, which refuses a stale preview."""
        return None

    def delete_view(self, request, object_id, extra_context=None):
        previewed = self.delete_confirmation_template == PREVIEWED_DELETION
        obj = self.get_object(request, unquote(object_id)) if previewed else None
        described = self.deletion_change(obj) if obj is not None else None
        if described is not None:
            extra_context = {**(extra_context or {}), "preview_change": preview_field(described)}
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
                arguments = {"group": row.group, "users": [row.user], "expires_at": row.expires_at}
                self.perform(request, services.add_members, **arguments)
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

    # Users, groups and roles: the confirmation previews who loses what (policies.preview), and
    # the deletion refuses a stale preview, as the console's.
    delete_confirmation_template = PREVIEWED_DELETION

    def deletion_change(self, obj) -> dict | None:
        if self.subject_argument not in ("user", "group", "role"):
            return None
        return {"change": f"delete-{self.subject_argument}", self.subject_argument: obj.arn}

    def delete_model(self, request, obj):
        perform_previewed(request, self.delete_change, **{self.subject_argument: obj}, **self.delete_arguments)


class MembershipFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        new_rows = [f.instance for f in self.forms if f.has_changed() and not f.instance.pk and f.is_valid()]
        new_rows = [row for row in new_rows if row.user_id and row.group_id]
        if any(row.expires_at is not None and row.expires_at <= timezone.now() for row in new_rows):
            raise ValidationError("The expiry must be in the future.")
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

    def get_formset(self, request, obj=None, **kwargs):
        # The console's pickers say their zone; so do the admin's (times are kept and shown in UTC).
        moments = [field for field in self.model._meta.concrete_fields if isinstance(field, models.DateTimeField)]
        labels = {field.name: f"{capfirst(field.verbose_name)} (UTC)" for field in moments}
        return super().get_formset(request, obj, labels=labels | kwargs.pop("labels", {}), **kwargs)

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
