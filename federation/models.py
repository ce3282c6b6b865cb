"""Who a federated sign-in is, and which of the provider's groups give which group here.

A federated user is bound to the pair (issuer, value of the bound claim), never to a name
or an e-mail, which a provider may let people change or reuse.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from identities.credentials import ConsoleSession
from identities.models import Group


class FederatedIdentity(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="federated_identity")
    issuer = models.CharField(max_length=255)
    claim = models.CharField(max_length=64, help_text="The ID token's claim the user is bound on (sub by default).")
    value = models.CharField(max_length=255)
    bound_at = models.DateTimeField(default=timezone.now, editable=False)
    bound_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "claim", "value"],
                name="federated_identity_unique",
                violation_error_message="This identity at the provider is already bound to a user.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim}={self.value} at {self.issuer}"


class GroupClaimRule(models.Model):
    """A value of the provider's group claim that makes its holder a member of a group here."""

    claim_value = models.CharField(max_length=255)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="claim_rules")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["claim_value", "group__group_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim_value", "group"],
                name="group_claim_rule_unique",
                violation_error_message="A rule already gives this claim value this group.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_value} → {self.group.group_name}"

    @property
    def source_ref(self) -> str:
        """What the memberships it made carry as Membership.source_ref."""
        return f"rule:{self.pk}"


class FederatedSession(models.Model):
    """The provider's session (`sid`) a console session began in, so that the provider's
    back-channel logout can end it."""

    console_session = models.OneToOneField(ConsoleSession, on_delete=models.CASCADE, related_name="federated")
    issuer = models.CharField(max_length=255)
    sid = models.CharField(max_length=255)

    class Meta:
        indexes = [models.Index(fields=["issuer", "sid"], name="federated_session_sid")]

    def __str__(self) -> str:
        return f"{self.sid} at {self.issuer}"
