"""Access requests: who asked for what, who approved it, and what was granted so it can be taken back."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from identities import naming
from identities.models import Group, Membership, Role, RoleAssignment
from policies.models import ManagedPolicy


class AccessRequest(models.Model):
    class Kind(models.TextChoices):
        GROUP = "group", "membership in a group"
        ROLE = "role", "an assignment of a role"
        PERMISSION = "permission", "actions on resources"

    class State(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        DENIED = "denied"
        CANCELLED = "cancelled"
        EXPIRED = "expired"  # undecided in time
        REVOKED = "revoked"  # taken back early by an approver
        ENDED = "ended"  # past its expiry, or ended early by its holder

    # The person who asked (the user behind the key, session or role session), and as whom.
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_requests")
    requested_as = models.CharField(max_length=2048, help_text="The principal ARN that asked.")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey(Role, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    actions = models.JSONField(default=list, blank=True)
    resources = models.JSONField(default=list, blank=True)
    context = models.JSONField(default=dict, blank=True, help_text="Condition key values the policies need.")
    justification = models.TextField(max_length=2000)
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds; empty for until revoked.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    reason = models.CharField(max_length=1000, blank=True, help_text="Why it was denied, revoked or ended.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    decide_by = models.DateTimeField(help_text="An undecided request expires then.")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_arn = models.CharField(max_length=2048, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When the grant ends; empty for never.")
    ended_at = models.DateTimeField(null=True, blank=True)
    # What was granted, so that exactly it is taken back.
    granted_membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_assignment = models.ForeignKey(
        RoleAssignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_policy = models.ForeignKey(
        ManagedPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expiry_notice_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "decide_by"], name="access_request_open"),
            models.Index(fields=["state", "expires_at"], name="access_request_granted"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="group") & Q(group__isnull=False) & Q(role__isnull=True))
                | (Q(kind="role") & Q(role__isnull=False) & Q(group__isnull=True))
                | (Q(kind="permission") & Q(group__isnull=True) & Q(role__isnull=True)),
                name="access_request_target_of_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"access request {self.pk} by {self.requester} ({self.state})"

    @property
    def arn(self) -> str:
        return naming.build_arn("access-request", "/", str(self.pk))

    @property
    def target(self):
        return self.group or self.role

    @property
    def is_open(self) -> bool:
        return self.state == self.State.PENDING

    @property
    def is_live(self) -> bool:
        return self.state == self.State.APPROVED and (self.expires_at is None or self.expires_at > timezone.now())

    def in_words(self) -> str:
        if self.kind == self.Kind.GROUP:
            return f"membership in {self.group.group_name}"
        if self.kind == self.Kind.ROLE:
            return f"an assignment of {self.role.role_name}"
        return f"{', '.join(self.actions)} on {', '.join(self.resources)}"


class Approval(models.Model):
    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    approver_arn = models.CharField(max_length=2048, help_text="The principal ARN that approved.")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "approver"], name="approval_one_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.approver_arn} approved {self.request_id}"


class AccessLimit(models.Model):
    """A group's or a role's own limits on requests for it, stricter than the account's
    (IAM_ACCESS_MAX_DURATION, IAM_ACCESS_APPROVALS): the strictest wins. Kept here, not on
    Group and Role, so that identities knows nothing of access requests."""

    group = models.OneToOneField(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    role = models.OneToOneField(Role, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    max_duration = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds; empty for the account's.")
    approvals = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 or 2; empty for the account's.")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(group__isnull=False) & Q(role__isnull=True))
                | (Q(group__isnull=True) & Q(role__isnull=False)),
                name="access_limit_one_target",
            ),
            models.CheckConstraint(
                condition=Q(approvals__isnull=True) | Q(approvals__in=[1, 2]), name="access_limit_approvals"
            ),
        ]

    def __str__(self) -> str:
        return f"access limits of {self.group or self.role}"

    def clean(self) -> None:
        if self.max_duration is not None and self.max_duration < 60:
            raise ValidationError("A maximum duration is at least a minute (60 seconds).")
