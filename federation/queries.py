"""Reads of federation that pages render."""

from federation.models import FederatedIdentity, GroupClaimRule
from identities.models import Group, User


def group_rules(group: Group) -> list[GroupClaimRule]:
    return list(GroupClaimRule.objects.filter(group=group).order_by("claim_value"))


def binding_of(user: User) -> FederatedIdentity | None:
    return FederatedIdentity.objects.filter(user=user).select_related("bound_by").first()
