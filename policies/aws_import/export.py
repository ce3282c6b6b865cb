"""This account in the format `aws iam get-account-authorization-details` prints."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from django.db.models import Count, Prefetch, Q

from identities import trust
from identities.models import Group, Membership, Role, User
from policies.aws_import.extension import export_extension
from policies.models import InlinePolicy, ManagedPolicy, PermissionBoundary, PolicyAttachment, PolicyVersion

Owner = tuple[str, int]


def export_authorization_details() -> dict:
    """Users (not the root user), groups, roles, every customer managed policy, and AWS managed
    or built-in policies only where attached or used as a boundary, as AWS does. Documents are
    JSON objects, as the CLI prints them. Roles also carry Description and MaxSessionDuration,
    which AWS's RoleDetail leaves out, so that an export imports back whole; role assignments
    and guardrails are in this console's own section (policies.aws_import.extension)."""
    relations = _Relations()
    return {
        "UserDetailList": [_user(user, relations) for user in User.objects.filter(is_superuser=False)],
        "GroupDetailList": [_group(group, relations) for group in Group.objects.all()],
        "RoleDetailList": _roles(relations),
        "Policies": [_policy(policy) for policy in _exported_policies()],
        "IsTruncated": False,
        **export_extension(),
    }


class _Relations:
    """Inline policies, attachments, boundaries and memberships of everyone, in four queries."""

    def __init__(self) -> None:
        self.inline: dict[Owner, list[dict]] = defaultdict(list)
        for inline in InlinePolicy.objects.order_by("policy_name"):
            owner = (inline.owner_kind, inline.user_id or inline.group_id or inline.role_id)
            self.inline[owner].append({"PolicyName": inline.policy_name, "PolicyDocument": inline.document})
        self.attached: dict[Owner, list[dict]] = defaultdict(list)
        for attachment in PolicyAttachment.objects.select_related("policy").order_by("policy__policy_name"):
            owner = (attachment.owner_kind, attachment.user_id or attachment.group_id or attachment.role_id)
            policy = attachment.policy
            self.attached[owner].append({"PolicyName": policy.policy_name, "PolicyArn": policy.arn})
        self.boundaries: dict[Owner, str] = {}
        for boundary in PermissionBoundary.objects.select_related("policy"):
            owner = ("user", boundary.user_id) if boundary.user_id else ("role", boundary.role_id)
            self.boundaries[owner] = boundary.policy.arn
        self.groups: dict[int, list[str]] = defaultdict(list)
        # GroupList holds what AWS's format can say, plain memberships made by hand; the others
        # (an end, another writer) are in the extension (policies.aws_import.extension).
        plain = Membership.objects.live().filter(expires_at__isnull=True, source=Membership.Source.MANUAL)
        for user_id, group_name in plain.order_by("group__group_name").values_list("user_id", "group__group_name"):
            self.groups[user_id].append(group_name)

    def policies(self, kind: str, identity, inline_key: str) -> dict:
        owner = (kind, identity.pk)
        found = {inline_key: self.inline[owner], "AttachedManagedPolicies": self.attached[owner]}
        if owner in self.boundaries:
            found["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": self.boundaries[owner],
            }
        return found


def _date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tags(tags: dict[str, str]) -> dict:
    # AWS leaves Tags out when there are none.
    return {"Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())]} if tags else {}


def _user(user: User, relations: _Relations) -> dict:
    return {
        "Path": user.path,
        "UserName": user.username,
        "UserId": user.iam_id,
        "Arn": user.arn,
        "CreateDate": _date(user.created_at),
        "GroupList": relations.groups[user.pk],
        **relations.policies("user", user, "UserPolicyList"),
        **_tags(user.tags),
    }


def _group(group: Group, relations: _Relations) -> dict:
    return {
        "Path": group.path,
        "GroupName": group.group_name,
        "GroupId": group.iam_id,
        "Arn": group.arn,
        "CreateDate": _date(group.created_at),
        **relations.policies("group", group, "GroupPolicyList"),
    }


def _roles(relations: _Relations) -> list[dict]:
    roles = list(Role.objects.all())
    arns = trust.current_arns(set().union(*(trust.stored_ids(role.trust_policy) for role in roles)))
    return [_role(role, relations, arns) for role in roles]


def _role(role: Role, relations: _Relations, arns: dict[str, str]) -> dict:
    return {
        "Path": role.path,
        "RoleName": role.role_name,
        "RoleId": role.iam_id,
        "Arn": role.arn,
        "CreateDate": _date(role.created_at),
        # As AWS lists it: current ARNs, and the unique ID of a user or role since deleted.
        "AssumeRolePolicyDocument": trust.shown_form(role.trust_policy, arns),
        "Description": role.description,
        "MaxSessionDuration": role.max_session_duration,
        "InstanceProfileList": [],
        **relations.policies("role", role, "RolePolicyList"),
        **_tags(role.tags),
        "RoleLastUsed": _last_used(role),
    }


def _last_used(role: Role) -> dict:
    # AWS's form: {} for a role with no recorded use.
    if role.last_used_at is None:
        return {}
    found = {"LastUsedDate": _date(role.last_used_at)}
    return found | ({"Region": role.last_used_region} if role.last_used_region else {})


def _exported_policies():
    used = Q(attachment_count__gt=0) | Q(boundary_count__gt=0)
    return (
        ManagedPolicy.objects.annotate(
            attachment_count=Count("attachments", distinct=True), boundary_count=Count("boundaries", distinct=True)
        )
        .filter(Q(aws_managed=False) | used)
        .prefetch_related(Prefetch("versions", queryset=PolicyVersion.objects.order_by("number")))
        .order_by("aws_managed", "policy_name")
    )


def _policy(policy: ManagedPolicy) -> dict:
    versions = list(policy.versions.all())
    default = next(version for version in versions if version.is_default)
    return {
        "PolicyName": policy.policy_name,
        "PolicyId": policy.iam_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": default.version_id,
        "AttachmentCount": policy.attachment_count,
        "PermissionsBoundaryUsageCount": policy.boundary_count,
        "IsAttachable": True,
        "Description": policy.description,
        "CreateDate": _date(policy.created_at),
        "UpdateDate": _date(policy.updated_at),
        "PolicyVersionList": [
            {
                "Document": version.document,
                "VersionId": version.version_id,
                "IsDefaultVersion": version.is_default,
                "CreateDate": _date(version.created_at),
            }
            for version in versions
        ],
    }
