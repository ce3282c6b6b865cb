"""Built-in policies: read-only in the console, created by the loader with the catalogue.

Plain data, standard library only. Those mirroring an AWS managed policy take AWS's name, path
and ARN (`arn:aws:iam::aws:policy` + path + name), so an imported account that attaches one
resolves to it. The console's own built-ins live under the path `/iamconsole/`.
"""

from __future__ import annotations

from typing import NamedTuple

AWS_MANAGED_ARN_PREFIX = "arn:aws:iam::aws:policy"
CONSOLE_PATH = "/iamconsole/"


class BuiltinPolicy(NamedTuple):
    name: str
    path: str
    arn: str
    description: str
    document: dict
    mirrors_aws: bool = True  # False for the console's own built-ins


def _arn(path: str, name: str) -> str:
    return f"{AWS_MANAGED_ARN_PREFIX}{path}{name}"


def _policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# The signed-in user's own ARN, with and without a path.
_OWN_USER = ("arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::*:user/*/${aws:username}")
_OWN_MFA = "arn:aws:iam::*:mfa/${aws:username}"

ADMINISTRATOR_ACCESS = BuiltinPolicy(
    name="AdministratorAccess",
    path="/",
    arn=_arn("/", "AdministratorAccess"),
    description="Provides full access to every service and resource.",
    document=_policy({"Effect": "Allow", "Action": "*", "Resource": "*"}),
)

IAM_FULL_ACCESS = BuiltinPolicy(
    name="IAMFullAccess",
    path="/",
    arn=_arn("/", "IAMFullAccess"),
    description=(
        "Provides full access to IAM. AWS's version also grants read access to AWS Organizations, "
        "which iamconsole does not have; that part is left out."
    ),
    # The console's own actions about IAM that iam:* matched until they moved to iamconsole.
    document=_policy(
        {
            "Effect": "Allow",
            "Action": [
                "iam:*",
                "iamconsole:ListAccessExpectations",
                "iamconsole:PutAccessExpectation",
                "iamconsole:DeleteAccessExpectation",
                "iamconsole:OverrideAccessExpectation",
            ],
            "Resource": "*",
        }
    ),
)

IAM_READ_ONLY_ACCESS = BuiltinPolicy(
    name="IAMReadOnlyAccess",
    path="/",
    arn=_arn("/", "IAMReadOnlyAccess"),
    description="Provides read only access to IAM.",
    # AWS's document exactly, so an imported account's copy matches it; the console's own
    # iamconsole:ListAccessExpectations is read through ReadOnlyAccess or IAMFullAccess instead.
    document=_policy(
        {
            "Effect": "Allow",
            "Action": [
                "iam:GenerateCredentialReport",
                "iam:GenerateServiceLastAccessedDetails",
                "iam:Get*",
                "iam:List*",
                "iam:SimulateCustomPolicy",
                "iam:SimulatePrincipalPolicy",
            ],
            "Resource": "*",
        }
    ),
)

# AWS's ReadOnlyAccess names thousands of actions across every AWS service. This is the same
# idea for iamconsole's catalogue: every List and Read action, written with wildcards, except
# the STS calls that hand out credentials (sts:GetSessionToken, sts:GetFederationToken,
# sts:GetServiceBearerToken), which AWS classes as Read but which are no one's idea of reading.
READ_ONLY_ACCESS = BuiltinPolicy(
    name="ReadOnlyAccess",
    path="/",
    arn=_arn("/", "ReadOnlyAccess"),
    description=(
        "Provides read-only access to the services of the catalogue. iamconsole's compact equivalent "
        "of AWS's ReadOnlyAccess, keeping its name and ARN so that imported attachments resolve."
    ),
    document=_policy(
        {
            "Sid": "IAMReadOnly",
            "Effect": "Allow",
            "Action": [
                "iam:Generate*",
                "iam:Get*",
                "iam:List*",
                "iamconsole:ListAccessExpectations",
                "iam:Simulate*",
                "iam:ExportAuditEvents",
            ],
            "Resource": "*",
        },
        {
            "Sid": "STSWhoAmI",
            "Effect": "Allow",
            "Action": ["sts:GetCallerIdentity", "sts:GetAccessKeyInfo"],
            "Resource": "*",
        },
        {
            "Sid": "StorageReadOnly",
            "Effect": "Allow",
            "Action": ["storage:Get*", "storage:List*"],
            "Resource": "*",
        },
    ),
)

# After AWS's documented examples "IAM: Allows IAM users to manage their own credentials" and
# "IAM: Allows IAM users to self-manage an MFA device", with the user's ARN also matched under
# a path. Deactivating an MFA device needs a session signed in with MFA, as in AWS's example.
SELF_SERVICE = BuiltinPolicy(
    name="SelfService",
    path=CONSOLE_PATH,
    arn=_arn(CONSOLE_PATH, "SelfService"),
    description=(
        "iamconsole's self-service policy: users may read their own identity and permissions, check "
        "their own access, and manage their own password, access keys, virtual MFA device and sessions."
    ),
    document=_policy(
        {
            "Sid": "AllowViewAccountInfo",
            "Effect": "Allow",
            "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"],
            "Resource": "*",
        },
        {
            "Sid": "AllowReadOwnUser",
            "Effect": "Allow",
            "Action": [
                "iam:GetUser",
                "iam:ListGroupsForUser",
                "iam:ListAttachedUserPolicies",
                "iam:ListUserPolicies",
                "iam:GetUserPolicy",
                "iam:ListUserTags",
                "iam:ListAccessKeys",
                "iam:GetAccessKeyLastUsed",
                "iam:ListMFADevices",
                "iam:GetLoginProfile",
                "iam:ListSessions",
            ],
            "Resource": list(_OWN_USER),
        },
        {
            "Sid": "AllowCheckOwnAccess",
            "Effect": "Allow",
            "Action": ["iam:SimulatePrincipalPolicy", "iam:GetContextKeysForPrincipalPolicy"],
            "Resource": list(_OWN_USER),
        },
        {
            "Sid": "AllowManageOwnPassword",
            "Effect": "Allow",
            "Action": ["iam:ChangePassword"],
            "Resource": list(_OWN_USER),
        },
        {
            "Sid": "AllowManageOwnAccessKeys",
            "Effect": "Allow",
            "Action": ["iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey"],
            "Resource": list(_OWN_USER),
        },
        {
            "Sid": "AllowRevokeOwnSessions",
            "Effect": "Allow",
            "Action": ["iam:RevokeSession"],
            "Resource": list(_OWN_USER),
        },
        {
            "Sid": "AllowCreateOwnVirtualMFADevice",
            "Effect": "Allow",
            "Action": ["iam:CreateVirtualMFADevice"],
            "Resource": [_OWN_MFA],
        },
        {
            "Sid": "AllowManageOwnMFADevice",
            "Effect": "Allow",
            "Action": ["iam:EnableMFADevice", "iam:ResyncMFADevice", "iam:DeleteVirtualMFADevice"],
            "Resource": [_OWN_MFA, *_OWN_USER],
        },
        {
            "Sid": "AllowDeactivateOwnMFADeviceWhenUsingMFA",
            "Effect": "Allow",
            "Action": ["iam:DeactivateMFADevice"],
            "Resource": [_OWN_MFA, *_OWN_USER],
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
    ),
    mirrors_aws=False,
)

BUILTIN_POLICIES: tuple[BuiltinPolicy, ...] = (
    ADMINISTRATOR_ACCESS,
    IAM_FULL_ACCESS,
    IAM_READ_ONLY_ACCESS,
    READ_ONLY_ACCESS,
    SELF_SERVICE,
)
