"""What SCIM provisioned: one row per user or group a provider created here.

The row marks the entity as SCIM's (SCIM sees and manages nothing else), keeps the
provider's externalId, the SCIM attributes IAM has no column for (name, displayName,
emails) and the version its weak ETag is made from.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from identities.models import Group, User

# Where SCIM creates its users and groups, so their ARNs say so (arn:aws:iam::…:user/scim/mia).
SCIM_PATH = "/scim/"


class Provisioned(models.Model):
    class Kind(models.TextChoices):
        USER = "user", "user"
        GROUP = "group", "group"

    kind = models.CharField(max_length=8, choices=Kind.choices, editable=False)
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.CASCADE, related_name="provisioned")
    group = models.OneToOneField(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="provisioned")
    external_id = models.CharField(
        "external ID",
        max_length=255,
        blank=True,
        default="",
        help_text="The provider's own, immutable ID of the entity.",
    )
    attributes = models.JSONField(default=dict, blank=True, help_text="SCIM attributes IAM keeps no column for.")
    version = models.PositiveIntegerField(default=1, help_text="Counts SCIM's writes; the weak ETag is made of it.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="user", user__isnull=False, group__isnull=True))
                | Q(kind="group", group__isnull=False, user__isnull=True),
                name="provisioned_is_one_user_or_group",
            ),
            # One entity per immutable ID of the provider, so a sign-in bound to it finds one user.
            models.UniqueConstraint(
                fields=["kind", "external_id"],
                condition=~Q(external_id=""),
                name="provisioned_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.entity}"

    @property
    def entity(self) -> User | Group:
        return self.user if self.kind == self.Kind.USER else self.group

    @property
    def scim_id(self) -> str:
        """The SCIM id: the entity's IAM unique ID, stable across renames."""
        return self.entity.iam_id

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'
