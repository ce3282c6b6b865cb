"""The audit trail in the admin: read-only."""

from django.contrib import admin

from identities.admin.base import allowed
from identities.audit import AuditEvent


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
