"""The actions /aws/ answers: one table entry each, (service, Action) to its handler.

Each handler reads AWS's request fields, asks the one door (a read's Get*/List* check, a
change's rule table through rules.perform), calls the console's service, and answers
AWS's response fields.
"""

import json
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError

from identities import jsoninput, rules
from identities import services as identity_services
from identities.context import Target
from identities.credentials import AccessKey
from identities.models import Group, User
from identities.rules import new_target
from identities.services.signin import HIDDEN_USER_NAME
from policies import api, lastaccess
from policies import services as policy_services
from policies.aws.protocol import ERRORS, AWSError, answer
from policies.engine import DocumentKind, Level, validate_policy
from policies.models import InlinePolicy, ManagedPolicy

KNOWN_CODES = set(ERRORS)
MAX_ITEMS = 1000
DEFAULT_ITEMS = 100


# Helpers


def _param(params, name: str, *, required: bool = True, default: str | None = None) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise AWSError(
                "ValidationError",
                f"{name} is required.",
            )
        return default
    if "\x00" in value:
        raise AWSError("InvalidInput", f"{name} may not contain NUL characters.")
    return value


def _denied(request, check) -> AWSError:
    caller = getattr(request, "api_caller", None)
    who = caller.arn if caller is not None else request.user.arn
    return AWSError(
        "AccessDenied", f"User: {who} is not authorized to perform: {check.action} on resource: {check.resource}"
    )


def _require(request, action: str, target) -> None:
    if not request.user.has_perm(action, target):
        raise _denied(request, rules.Check(action, target))


def _invalid(error: ValidationError) -> AWSError:
    message = " ".join(error.messages)
    codes = {getattr(item, "code", None) for item in error.error_list} if hasattr(error, "error_list") else set()
    if "delete_conflict" in codes:
        return AWSError("DeleteConflict", message)
    if "already exists" in message or "already a member" in message:
        return AWSError("EntityAlreadyExists", message)
    if "the most allowed" in message or "at most" in message.lower() and "already" in message:
        return AWSError("LimitExceeded", message)
    return AWSError("ValidationError", message)


def _perform(request, change, **arguments):
    try:
        return rules.perform(request.user, change, **arguments)
    except rules.Refused as refusal:
        raise _denied(request, refusal.check) from None
    except ValidationError as error:
        raise _invalid(error) from None


def _people():
    return User.objects.filter(is_superuser=False).exclude(username=HIDDEN_USER_NAME)


def _user(request, name: str, action: str | None) -> User:
    """The user named, if the caller may `action` on it (None: a change whose rule asks its
    own checks of the user, or none); AccessDenied or NoSuchEntity as AWS answers."""
    user = _people().filter(username__iexact=name).first()
    if action is not None:
        _require(request, action, user if user is not None else new_target("user", "/", name))
    if user is None:
        raise AWSError("NoSuchEntity", f"The user with name {name} cannot be found.")
    return user


def _group(request, name: str, action: str | None) -> Group:
    group = Group.objects.filter(group_name__iexact=name).first()
    if action is not None:
        _require(request, action, group if group is not None else new_target("group", "/", name))
    if group is None:
        raise AWSError("NoSuchEntity", f"The group with name {name} cannot be found.")
    return group


def _named_or_caller(request, params, action: str) -> User:
    """The user named by UserName, or (as AWS does without one) the calling user."""
    name = _param(params, "UserName", required=False)
    if name is not None:
        return _user(request, name, action)
    caller = request.api_caller
    if caller.session is not None or not isinstance(caller.user, User):
        raise AWSError("ValidationError", "Must specify userName when calling with non-User credentials")
    _require(request, action, caller.user)
    return caller.user


def _page(params, rows, key):
    """AWS's pagination: MaxItems (1 to 1000, 100 by default) after Marker, the last key shown."""
    raw = _param(params, "MaxItems", required=False, default=str(DEFAULT_ITEMS))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ITEMS:
        raise AWSError("ValidationError", f"MaxItems must be 1 to {MAX_ITEMS}.")
    marker = _param(params, "Marker", required=False)
    if marker is not None:
        rows = rows.filter(**{f"{key}__gt": marker})
    found = list(rows.order_by(key)[: int(raw) + 1])
    truncated = len(found) > int(raw)
    shown = found[: int(raw)]
    page = {"IsTruncated": truncated}
    if truncated:
        page["Marker"] = getattr(shown[-1], key)
    return shown, page


def _tags(params) -> dict[str, str]:
    tags, index = {}, 1
    while f"Tags.member.{index}.Key" in params:
        tags[params[f"Tags.member.{index}.Key"]] = params.get(f"Tags.member.{index}.Value", "")
        index += 1
    return tags


def _user_json(user: User) -> dict:
    answer_ = {"Path": user.path, "UserName": user.username, "UserId": user.iam_id, "Arn": user.arn}
    answer_["CreateDate"] = user.created_at
    if user.tags:
        answer_["Tags"] = [{"Key": key, "Value": value} for key, value in user.tags.items()]
    return answer_


def _group_json(group: Group) -> dict:
    return {
        "Path": group.path,
        "GroupName": group.group_name,
        "GroupId": group.iam_id,
        "Arn": group.arn,
        "CreateDate": group.created_at,
    }


def _key_json(key: AccessKey) -> dict:
    return {
        "UserName": key.user.username,
        "AccessKeyId": key.key_id,
        "Status": key.status,
        "CreateDate": key.created_at,
    }


# STS


def get_caller_identity(request, service, action, params):
    caller = request.api_caller
    _require(request, "sts:GetCallerIdentity", Target("*"))
    lastaccess.note_caller(caller, "sts:GetCallerIdentity", "*")
    user_id = caller.session.user_id_key if caller.session else caller.user.iam_id
    return answer(service, action, {"UserId": user_id, "Account": settings.IAM_ACCOUNT_ID, "Arn": caller.arn})


def assume_role(request, service, action, params):
    data = {
        "RoleArn": _param(params, "RoleArn"),
        "RoleSessionName": _param(params, "RoleSessionName"),
        "Policy": _param(params, "Policy", required=False),
    }
    duration = _param(params, "DurationSeconds", required=False)
    if duration is not None:
        if not duration.isdigit() or len(duration) > 6:
            raise AWSError("ValidationError", "DurationSeconds is a whole number of seconds.")
        data["DurationSeconds"] = int(duration)
    external_id = _param(params, "ExternalId", required=False)
    if external_id is not None and not 2 <= len(external_id) <= 1224:
        raise AWSError("ValidationError", "ExternalId is 2 to 1224 characters.")
    data = {name: value for name, value in data.items() if value is not None}
    session, secret, token = api.assume(request, data, external_id=external_id)
    return answer(
        service,
        action,
        {
            "Credentials": {
                "AccessKeyId": session.key_id,
                "SecretAccessKey": secret,
                "SessionToken": token,
                "Expiration": session.expires_at,
            },
            "AssumedRoleUser": {"AssumedRoleId": session.user_id_key, "Arn": session.arn},
        },
    )


# IAM: users


def create_user(request, service, action, params):
    name, path = _param(params, "UserName"), _param(params, "Path", required=False, default="/")
    user = _perform(request, identity_services.create_user, username=name, path=path, tags=_tags(params) or None)
    return answer(service, action, {"User": _user_json(user)})


def get_user(request, service, action, params):
    name = _param(params, "UserName", required=False)
    caller = request.api_caller
    if name is None and caller.session is None and isinstance(caller.user, User) and caller.user.is_superuser:
        root = caller.user
        return answer(
            service,
            action,
            {
                "User": {
                    "Path": "/",
                    "UserName": root.username,
                    "UserId": settings.IAM_ACCOUNT_ID,
                    "Arn": root.arn,
                    "CreateDate": root.created_at,
                }
            },
        )
    return answer(service, action, {"User": _user_json(_named_or_caller(request, params, "iam:GetUser"))})


def list_users(request, service, action, params):
    _require(request, "iam:ListUsers", Target("*"))
    rows = _people()
    prefix = _param(params, "PathPrefix", required=False)
    if prefix is not None:
        rows = rows.filter(path__startswith=prefix)
    users, page = _page(params, rows, "username")
    return answer(service, action, {"Users": [_user_json(user) for user in users], **page})


def update_user(request, service, action, params):
    user = _user(request, _param(params, "UserName"), "iam:UpdateUser")
    new_name = _param(params, "NewUserName", required=False)
    new_path = _param(params, "NewPath", required=False)
    _perform(request, identity_services.update_user, user=user, username=new_name, path=new_path)
    return answer(service, action, None)


def delete_user(request, service, action, params):
    user = _user(request, _param(params, "UserName"), "iam:DeleteUser")
    _perform(request, identity_services.delete_user, user=user)
    return answer(service, action, None)


# IAM: groups and members


def create_group(request, service, action, params):
    name, path = _param(params, "GroupName"), _param(params, "Path", required=False, default="/")
    group = _perform(request, identity_services.create_group, group_name=name, path=path)
    return answer(service, action, {"Group": _group_json(group)})


def get_group(request, service, action, params):
    group = _group(request, _param(params, "GroupName"), "iam:GetGroup")
    rows = _people().filter(memberships__group=group)
    users, page = _page(params, rows, "username")
    return answer(service, action, {"Group": _group_json(group), "Users": [_user_json(u) for u in users], **page})


def list_groups(request, service, action, params):
    _require(request, "iam:ListGroups", Target("*"))
    rows = Group.objects.all()
    prefix = _param(params, "PathPrefix", required=False)
    if prefix is not None:
        rows = rows.filter(path__startswith=prefix)
    groups, page = _page(params, rows, "group_name")
    return answer(service, action, {"Groups": [_group_json(group) for group in groups], **page})


def add_user_to_group(request, service, action, params):
    group = _group(request, _param(params, "GroupName"), "iam:AddUserToGroup")
    user = _user(request, _param(params, "UserName"), None)
    _perform(request, identity_services.add_members, group=group, users=[user])
    return answer(service, action, None)


def remove_user_from_group(request, service, action, params):
    group = _group(request, _param(params, "GroupName"), "iam:RemoveUserFromGroup")
    user = _user(request, _param(params, "UserName"), None)
    _perform(request, identity_services.remove_members, group=group, users=[user])
    return answer(service, action, None)


def list_groups_for_user(request, service, action, params):
    user = _user(request, _param(params, "UserName"), "iam:ListGroupsForUser")
    groups, page = _page(params, Group.objects.filter(memberships__user=user), "group_name")
    return answer(service, action, {"Groups": [_group_json(group) for group in groups], **page})


# IAM: access keys


def create_access_key(request, service, action, params):
    user = _named_or_caller(request, params, "iam:CreateAccessKey")
    key, secret = _perform(request, identity_services.create_access_key, user=user)
    return answer(service, action, {"AccessKey": {**_key_json(key), "SecretAccessKey": secret}})


def list_access_keys(request, service, action, params):
    user = _named_or_caller(request, params, "iam:ListAccessKeys")
    keys, page = _page(params, AccessKey.objects.filter(user=user).select_related("user"), "key_id")
    return answer(service, action, {"AccessKeyMetadata": [_key_json(key) for key in keys], **page})


def delete_access_key(request, service, action, params):
    user = _named_or_caller(request, params, "iam:DeleteAccessKey")
    key_id = _param(params, "AccessKeyId")
    key = AccessKey.objects.filter(user=user, key_id=key_id).select_related("user").first()
    if key is None:
        raise AWSError("NoSuchEntity", f"The Access Key with id {key_id[:32]} cannot be found.")
    _perform(request, identity_services.delete_access_key, key=key)
    return answer(service, action, None)


# IAM: policies


def _document(params, kind) -> dict:
    """PolicyDocument, parsed and validated as its kind (MalformedPolicyDocument otherwise)."""
    text = _param(params, "PolicyDocument")
    try:
        document = jsoninput.loads(text)
    except (ValueError, jsoninput.TooDeep) as error:
        raise AWSError("MalformedPolicyDocument", f"The policy is not JSON: {error}.") from None
    errors = [finding for finding in validate_policy(document, kind=kind) if finding.level is Level.ERROR]
    if errors:
        raise AWSError("MalformedPolicyDocument", "; ".join(str(finding) for finding in errors))
    return document


def _policy(request, arn: str, action: str | None) -> ManagedPolicy:
    """The policy at `arn`, if the caller may `action` on it (None: the change's rule asks
    its checks on the identity, with the policy's ARN as a key)."""
    name = arn.rsplit("/", 1)[-1]
    policy = next((p for p in ManagedPolicy.objects.filter(policy_name=name) if p.arn == arn), None)
    if action is not None:
        _require(request, action, policy if policy is not None else Target(arn))
    if policy is None:
        raise AWSError("NoSuchEntity", f"Policy {arn[:2048]} does not exist or is not attachable.")
    return policy


def _policy_json(policy: ManagedPolicy) -> dict:
    default = policy.versions.filter(is_default=True).first()
    return {
        "PolicyName": policy.policy_name,
        "PolicyId": policy.iam_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": f"v{default.number}" if default else None,
        "AttachmentCount": policy.attachments.count(),
        "IsAttachable": True,
        "Description": policy.description or None,
        "CreateDate": policy.created_at,
        "UpdateDate": policy.updated_at,
    }


def _encoded(document) -> str:
    """A policy document as AWS returns it: JSON, URL-encoded."""
    return quote(json.dumps(document, separators=(",", ":")), safe="")


def create_policy(request, service, action, params):
    name, path = _param(params, "PolicyName"), _param(params, "Path", required=False, default="/")
    document = _document(params, DocumentKind.CUSTOMER_MANAGED)
    description = _param(params, "Description", required=False, default="")
    policy, _ = _perform(
        request, policy_services.create_policy, policy_name=name, path=path, document=document, description=description
    )
    return answer(service, action, {"Policy": _policy_json(policy)})


def get_policy(request, service, action, params):
    return answer(
        service, action, {"Policy": _policy_json(_policy(request, _param(params, "PolicyArn"), "iam:GetPolicy"))}
    )


def create_policy_version(request, service, action, params):
    policy = _policy(request, _param(params, "PolicyArn"), "iam:CreatePolicyVersion")
    document = _document(params, DocumentKind.CUSTOMER_MANAGED)
    default = (_param(params, "SetAsDefault", required=False, default="false")).lower() == "true"
    version, _ = _perform(
        request, policy_services.create_policy_version, policy=policy, document=document, set_as_default=default
    )
    made = {"VersionId": f"v{version.number}", "IsDefaultVersion": version.is_default, "CreateDate": version.created_at}
    return answer(service, action, {"PolicyVersion": made})


def _attach(request, service, action, params, identity):
    policy = _policy(request, _param(params, "PolicyArn"), None)
    _perform(request, policy_services.attach_policy, policy=policy, identity=identity)
    return answer(service, action, None)


def attach_user_policy(request, service, action, params):
    return _attach(request, service, action, params, _user(request, _param(params, "UserName"), None))


def attach_group_policy(request, service, action, params):
    return _attach(request, service, action, params, _group(request, _param(params, "GroupName"), None))


def list_attached_user_policies(request, service, action, params):
    user = _user(request, _param(params, "UserName"), "iam:ListAttachedUserPolicies")
    rows = ManagedPolicy.objects.filter(attachments__user=user)
    policies, page = _page(params, rows, "policy_name")
    attached = [{"PolicyName": policy.policy_name, "PolicyArn": policy.arn} for policy in policies]
    return answer(service, action, {"AttachedPolicies": attached, **page})


def put_user_policy(request, service, action, params):
    user = _user(request, _param(params, "UserName"), None)
    name = _param(params, "PolicyName")
    document = _document(params, DocumentKind.INLINE_USER)
    _perform(request, policy_services.put_inline_policy, identity=user, policy_name=name, document=document)
    return answer(service, action, None)


def get_user_policy(request, service, action, params):
    user = _user(request, _param(params, "UserName"), "iam:GetUserPolicy")
    name = _param(params, "PolicyName")
    inline = InlinePolicy.objects.filter(user=user, policy_name=name).first()
    if inline is None:
        raise AWSError("NoSuchEntity", f"The user policy with name {name[:128]} cannot be found.")
    answered = {
        "UserName": user.username,
        "PolicyName": inline.policy_name,
        "PolicyDocument": _encoded(inline.document),
    }
    return answer(service, action, answered)


TABLE = {
    ("sts", "GetCallerIdentity"): get_caller_identity,
    ("sts", "AssumeRole"): assume_role,
    ("iam", "CreateUser"): create_user,
    ("iam", "GetUser"): get_user,
    ("iam", "ListUsers"): list_users,
    ("iam", "UpdateUser"): update_user,
    ("iam", "DeleteUser"): delete_user,
    ("iam", "CreateGroup"): create_group,
    ("iam", "GetGroup"): get_group,
    ("iam", "ListGroups"): list_groups,
    ("iam", "AddUserToGroup"): add_user_to_group,
    ("iam", "RemoveUserFromGroup"): remove_user_from_group,
    ("iam", "ListGroupsForUser"): list_groups_for_user,
    ("iam", "CreateAccessKey"): create_access_key,
    ("iam", "ListAccessKeys"): list_access_keys,
    ("iam", "DeleteAccessKey"): delete_access_key,
    ("iam", "CreatePolicy"): create_policy,
    ("iam", "GetPolicy"): get_policy,
    ("iam", "CreatePolicyVersion"): create_policy_version,
    ("iam", "AttachUserPolicy"): attach_user_policy,
    ("iam", "AttachGroupPolicy"): attach_group_policy,
    ("iam", "ListAttachedUserPolicies"): list_attached_user_policies,
    ("iam", "PutUserPolicy"): put_user_policy,
    ("iam", "GetUserPolicy"): get_user_policy,
}
