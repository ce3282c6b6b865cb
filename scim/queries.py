"""Reads of what SCIM provisioned, preloading all a resource renders, and the rows as SCIM
resources."""

from django.db.models import Prefetch, QuerySet

from identities.models import Membership
from scim.models import Provisioned
from scim.resources import Group, User

# The SCIM attributes a provisioned user keeps in its row (the rest are IAM's columns).
USER_ATTRIBUTES = ("name", "displayName", "emails")


def provisioned_users() -> QuerySet:
    """SCIM's users, each with its live memberships of SCIM's groups."""
    memberships = Membership.objects.live().filter(group__provisioned__isnull=False).select_related("group")
    return (
        Provisioned.objects.filter(kind=Provisioned.Kind.USER)
        .select_related("user")
        .prefetch_related(Prefetch("user__memberships", queryset=memberships, to_attr="scim_memberships"))
        .order_by("pk")
    )


def provisioned_groups() -> QuerySet:
    """SCIM's groups, each with its live members that are SCIM's users."""
    memberships = Membership.objects.live().filter(user__provisioned__isnull=False).select_related("user")
    return (
        Provisioned.objects.filter(kind=Provisioned.Kind.GROUP)
        .select_related("group")
        .prefetch_related(Prefetch("group__memberships", queryset=memberships, to_attr="scim_memberships"))
        .order_by("pk")
    )


def _meta(row: Provisioned, resource_type: str, location: str) -> dict:
    return {
        "resourceType": resource_type,
        "created": row.created_at.isoformat(),
        "lastModified": row.updated_at.isoformat(),
        "location": location,
        "version": row.etag,
    }


def user_resource(row: Provisioned, locate) -> User:
    """`locate(kind, scim_id)`: the absolute URL of a resource."""
    user = row.user
    groups = [
        {"value": m.group.iam_id, "$ref": locate("Groups", m.group.iam_id), "display": m.group.group_name}
        for m in sorted(row.user.scim_memberships, key=lambda membership: membership.group.group_name)
    ]
    data = {key: row.attributes[key] for key in USER_ATTRIBUTES if key in row.attributes}
    data |= {
        "schemas": [User.__schema__],
        "id": user.iam_id,
        "userName": user.username,
        "active": user.is_active,
        "meta": _meta(row, "User", locate("Users", user.iam_id)),
    }
    if row.external_id:
        data["externalId"] = row.external_id
    if groups:
        data["groups"] = groups
    return User.model_validate(data)


def group_resource(row: Provisioned, locate) -> Group:
    group = row.group
    members = [
        {"value": m.user.iam_id, "$ref": locate("Users", m.user.iam_id), "type": "User"}
        for m in sorted(row.group.scim_memberships, key=lambda membership: membership.user.username)
    ]
    data = {
        "schemas": [Group.__schema__],
        "id": group.iam_id,
        "displayName": group.group_name,
        "meta": _meta(row, "Group", locate("Groups", group.iam_id)),
    }
    if row.external_id:
        data["externalId"] = row.external_id
    if members:
        data["members"] = members
    return Group.model_validate(data)
