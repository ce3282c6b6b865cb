"""Groups in the admin: their page and their members."""

from django.contrib import admin

from identities import services
from identities.admin.base import MembershipFormSet, RowsInline, ServiceBackedAdmin, adopt, count_of, fields_of
from identities.models import Group, Membership


class GroupMembershipInline(RowsInline):
    model = Membership
    fk_name = "group"
    fields = readonly_fields = ("user", "expires_at", "added_by", "added_at")
    add_change, remove_change = staticmethod(services.add_members), staticmethod(services.remove_members)
    view_action_on_parent = "iam:GetGroup"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "group", "added_by")


class NewGroupMembershipInline(GroupMembershipInline):
    formset = MembershipFormSet
    existing_rows, extra = False, 1
    fields, readonly_fields = ("user", "expires_at"), ()
    autocomplete_fields = ("user",)
    verbose_name, verbose_name_plural = "new member", "add members"


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
        fields = fields_of(form.cleaned_data, "group_name", "path", "description")
        if not change:
            return adopt(obj, self.perform(request, services.create_group, **fields))
        if form.changed_data:
            group = Group.objects.get(pk=obj.pk)
            adopt(obj, self.perform(request, services.update_group, group=group, **fields))
