"""The action catalogue's starting data: services, actions, resource types, condition keys.

Plain data, standard library only, loaded into the database by the policies app's loader.

`iam` and `sts` follow AWS's Service Authorization Reference ("Actions, resources, and
condition keys for AWS Identity and Access Management (IAM)" and "... for AWS Security Token
Service"): the action names, access levels, resource types and action-specific condition keys
as AWS lists them (resource-level keys such as `aws:ResourceTag/${TagKey}` live on the resource
types, as in AWS's tables). IAM's table is the revision of early 2026, including the delegation
request, outbound web identity federation, centralized root access and account property actions.

The console's own actions, for which AWS has no name, are added to `iam` in AWS's style; their
descriptions start with "iamconsole:" so they can be told apart from AWS's.

`storage` is a demo service for the organisation's own buckets, with ARNs in S3's shape
(`arn:aws:storage:::bucket-name`, `arn:aws:storage:::bucket-name/key`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from policies.engine import keys

LIST = "List"
READ = "Read"
WRITE = "Write"
PERMISSIONS_MANAGEMENT = "Permissions management"
TAGGING = "Tagging"

# AWS's order, as in its policy summaries.
ACCESS_LEVELS: tuple[str, ...] = (LIST, READ, WRITE, PERMISSIONS_MANAGEMENT, TAGGING)

# The types AWS gives condition keys in the Service Authorization Reference.
CONDITION_KEY_TYPES: tuple[str, ...] = (
    "String",
    "ARN",
    "Date",
    "Bool",
    "Numeric",
    "IPAddress",
    "Binary",
    "Null",
    "ArrayOfString",
    "ArrayOfARN",
    "ArrayOfBool",
    "ArrayOfNumeric",
    "ArrayOfIPAddress",
)

CONSOLE_PREFIX = "iamconsole:"


class Action(NamedTuple):
    name: str  # "AddUserToGroup", without the service prefix
    access_level: str  # one of ACCESS_LEVELS
    resource_types: tuple[str, ...]  # names from the service's resource types; () means only "*"
    condition_keys: tuple[str, ...] = ()  # action-specific keys, e.g. ("iam:PolicyARN",)
    description: str = ""


class ResourceType(NamedTuple):
    name: str  # "user"
    arn_pattern: str  # "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"
    condition_keys: tuple[str, ...] = ()


class Service(NamedTuple):
    prefix: str  # "iam"
    name: str  # "AWS Identity and Access Management (IAM)"
    actions: tuple[Action, ...]
    resource_types: tuple[ResourceType, ...]
    condition_keys: tuple[tuple[str, str], ...]  # (key, type), e.g. ("iam:PolicyARN", "ARN")


def _console(text: str) -> str:
    return f"{CONSOLE_PREFIX} {text}"


_RESOURCE_TAG = "aws:ResourceTag/${TagKey}"
_REQUEST_TAG = "aws:RequestTag/${TagKey}"
_TAG_KEYS = "aws:TagKeys"
_IAM_RESOURCE_TAG = "iam:ResourceTag/${TagKey}"

# --------------------------------------------------------------------------------------------
# iam
# --------------------------------------------------------------------------------------------

_IAM_AWS_ACTIONS: tuple[Action, ...] = (
    Action("AcceptDelegationRequest", WRITE, ("delegation-request",)),
    Action("AddClientIDToOpenIDConnectProvider", WRITE, ("oidc-provider",)),
    Action("AddRoleToInstanceProfile", WRITE, ("instance-profile",)),
    Action("AddUserToGroup", WRITE, ("group",)),
    Action("AssociateDelegationRequest", WRITE, ("delegation-request",)),
    Action("AttachGroupPolicy", PERMISSIONS_MANAGEMENT, ("group",), ("iam:PolicyARN",)),
    Action(
        "AttachRolePolicy",
        PERMISSIONS_MANAGEMENT,
        ("role",),
        ("iam:PolicyARN", "iam:PermissionsBoundary", "iam:RoleTemplateARN"),
    ),
    Action("AttachUserPolicy", PERMISSIONS_MANAGEMENT, ("user",), ("iam:PolicyARN", "iam:PermissionsBoundary")),
    Action("ChangePassword", WRITE, ("user",)),
    Action("CreateAccessKey", WRITE, ("user",)),
    Action("CreateAccountAlias", WRITE, ()),
    Action(
        "CreateDelegationRequest",
        WRITE,
        ("delegation-request",),
        ("iam:DelegationDuration", "iam:NotificationChannel", "iam:TemplateArn"),
    ),
    Action("CreateGroup", WRITE, ("group",)),
    Action("CreateInstanceProfile", WRITE, ("instance-profile",), ("aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("CreateLoginProfile", WRITE, ("user",)),
    Action("CreateOpenIDConnectProvider", WRITE, ("oidc-provider",), ("aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("CreatePolicy", PERMISSIONS_MANAGEMENT, ("policy",), ("aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("CreatePolicyVersion", PERMISSIONS_MANAGEMENT, ("policy",)),
    Action(
        "CreateRole",
        WRITE,
        ("role",),
        ("iam:PermissionsBoundary", "aws:TagKeys", "aws:RequestTag/${TagKey}", "iam:RoleTemplateARN"),
    ),
    Action("CreateSAMLProvider", WRITE, ("saml-provider",), ("aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("CreateServiceLinkedRole", WRITE, ("role",), ("iam:AWSServiceName",)),
    Action(
        "CreateServiceSpecificCredential",
        WRITE,
        ("user",),
        ("iam:ServiceSpecificCredentialAgeDays", "iam:ServiceSpecificCredentialServiceName"),
    ),
    Action("CreateUser", WRITE, ("user",), ("iam:PermissionsBoundary", "aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("CreateVirtualMFADevice", WRITE, ("mfa",), ("aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("DeactivateMFADevice", WRITE, ("user",)),
    Action("DeleteAccessKey", WRITE, ("user",)),
    Action("DeleteAccountAlias", WRITE, ()),
    Action("DeleteAccountPasswordPolicy", PERMISSIONS_MANAGEMENT, ()),
    Action("DeleteCloudFrontPublicKey", WRITE, ()),
    Action("DeleteGroup", WRITE, ("group",)),
    Action("DeleteGroupPolicy", PERMISSIONS_MANAGEMENT, ("group",)),
    Action("DeleteInstanceProfile", WRITE, ("instance-profile",)),
    Action("DeleteLoginProfile", WRITE, ("user",)),
    Action("DeleteOpenIDConnectProvider", WRITE, ("oidc-provider",)),
    Action("DeletePolicy", PERMISSIONS_MANAGEMENT, ("policy",)),
    Action("DeletePolicyVersion", PERMISSIONS_MANAGEMENT, ("policy",)),
    Action("DeleteRole", WRITE, ("role",), ("iam:PermissionsBoundary",)),
    Action("DeleteRolePermissionsBoundary", PERMISSIONS_MANAGEMENT, ("role",), ("iam:PermissionsBoundary",)),
    Action("DeleteRolePolicy", PERMISSIONS_MANAGEMENT, ("role",), ("iam:PermissionsBoundary",)),
    Action("DeleteSAMLProvider", WRITE, ("saml-provider",)),
    Action("DeleteSSHPublicKey", WRITE, ("user",)),
    Action("DeleteServerCertificate", WRITE, ("server-certificate",)),
    Action("DeleteServiceLinkedRole", WRITE, ("role",)),
    Action("DeleteServiceSpecificCredential", WRITE, ("user",), ("iam:ServiceSpecificCredentialServiceName",)),
    Action("DeleteSigningCertificate", WRITE, ("user",)),
    Action("DeleteUser", WRITE, ("user",)),
    Action("DeleteUserPermissionsBoundary", PERMISSIONS_MANAGEMENT, ("user",), ("iam:PermissionsBoundary",)),
    Action("DeleteUserPolicy", PERMISSIONS_MANAGEMENT, ("user",), ("iam:PermissionsBoundary",)),
    Action("DeleteVirtualMFADevice", WRITE, ("mfa", "sms-mfa")),
    Action("DetachGroupPolicy", PERMISSIONS_MANAGEMENT, ("group",), ("iam:PolicyARN",)),
    Action("DetachRolePolicy", PERMISSIONS_MANAGEMENT, ("role",), ("iam:PolicyARN", "iam:PermissionsBoundary")),
    Action("DetachUserPolicy", PERMISSIONS_MANAGEMENT, ("user",), ("iam:PolicyARN", "iam:PermissionsBoundary")),
    Action("DisableOrganizationsRootCredentialsManagement", WRITE, ()),
    Action("DisableOrganizationsRootSessions", WRITE, ()),
    Action("DisableOutboundWebIdentityFederation", WRITE, ()),
    Action(
        "EnableMFADevice",
        WRITE,
        ("user",),
        (
            "iam:RegisterSecurityKey",
            "iam:FIDO-FIPS-140-2-certification",
            "iam:FIDO-FIPS-140-3-certification",
            "iam:FIDO-certification",
        ),
    ),
    Action("EnableOrganizationsRootCredentialsManagement", WRITE, ()),
    Action("EnableOrganizationsRootSessions", WRITE, ()),
    Action("EnableOutboundWebIdentityFederation", WRITE, ()),
    Action("GenerateCredentialReport", READ, ()),
    Action("GenerateOrganizationsAccessReport", READ, ("access-report",), ("iam:OrganizationsPolicyId",)),
    Action("GenerateServiceLastAccessedDetails", READ, ("group", "policy", "role", "user")),
    Action("GetAccessKeyLastUsed", READ, ("user",)),
    Action("GetAccountAuthorizationDetails", READ, ()),
    Action("GetAccountEmailAddress", READ, ()),
    Action("GetAccountName", READ, ()),
    Action("GetAccountPasswordPolicy", READ, ()),
    Action("GetAccountProperties", READ, (), ("iam:AccountPropertyNamespaces",)),
    Action("GetAccountSummary", LIST, ()),
    Action("GetCloudFrontPublicKey", READ, ()),
    Action("GetContextKeysForCustomPolicy", READ, ()),
    Action("GetContextKeysForPrincipalPolicy", READ, ("group", "role", "user")),
    Action("GetCredentialReport", READ, ()),
    Action("GetDelegationRequest", READ, ("delegation-request",)),
    Action("GetGroup", READ, ("group",)),
    Action("GetGroupPolicy", READ, ("group",)),
    Action("GetHumanReadableSummary", READ, ("delegation-request",)),
    Action("GetInstanceProfile", READ, ("instance-profile",)),
    Action("GetLoginProfile", LIST, ("user",)),
    Action("GetMFADevice", READ, ("user",)),
    Action("GetOpenIDConnectProvider", READ, ("oidc-provider",)),
    Action("GetOrganizationsAccessReport", READ, ()),
    Action("GetOutboundWebIdentityFederationInfo", READ, ()),
    Action("GetPolicy", READ, ("policy",)),
    Action("GetPolicyVersion", READ, ("policy",)),
    Action("GetRole", READ, ("role",), ("iam:PermissionsBoundary", "iam:RoleTemplateARN")),
    Action("GetRolePolicy", READ, ("role",)),
    Action("GetRoleTemplateVersion", READ, ("role-template",)),
    Action("GetSAMLProvider", READ, ("saml-provider",)),
    Action("GetSSHPublicKey", READ, ("user",)),
    Action("GetServerCertificate", READ, ("server-certificate",)),
    Action("GetServiceLastAccessedDetails", READ, ()),
    Action("GetServiceLastAccessedDetailsWithEntities", READ, ()),
    Action("GetServiceLinkedRoleDeletionStatus", READ, ("role",)),
    Action("GetUser", READ, ("user",)),
    Action("GetUserPolicy", READ, ("user",)),
    Action("ListAccessKeys", LIST, ("user",)),
    Action("ListAccountAliases", LIST, ()),
    Action("ListAttachedGroupPolicies", LIST, ("group",)),
    Action("ListAttachedRolePolicies", LIST, ("role",)),
    Action("ListAttachedUserPolicies", LIST, ("user",)),
    Action("ListCloudFrontPublicKeys", LIST, ()),
    Action("ListDelegationRequests", LIST, (), ("iam:DelegationRequestOwner",)),
    Action("ListEntitiesForPolicy", LIST, ("policy",)),
    Action("ListGroupPolicies", LIST, ("group",)),
    Action("ListGroups", LIST, ()),
    Action("ListGroupsForUser", LIST, ("user",)),
    Action("ListInstanceProfileTags", LIST, ("instance-profile",)),
    Action("ListInstanceProfiles", LIST, ()),
    Action("ListInstanceProfilesForRole", LIST, ("role",)),
    Action("ListMFADeviceTags", LIST, ("mfa",)),
    Action("ListMFADevices", LIST, ("user",)),
    Action("ListOpenIDConnectProviderTags", LIST, ("oidc-provider",)),
    Action("ListOpenIDConnectProviders", LIST, ()),
    Action("ListOrganizationsFeatures", LIST, ()),
    Action("ListPolicies", LIST, ()),
    Action("ListPoliciesGrantingServiceAccess", LIST, ("group", "role", "user")),
    Action("ListPolicyTags", LIST, ("policy",)),
    Action("ListPolicyVersions", LIST, ("policy",)),
    Action("ListRolePolicies", LIST, ("role",)),
    Action("ListRoleTags", LIST, ("role",)),
    Action("ListRoles", LIST, ()),
    Action("ListSAMLProviderTags", LIST, ("saml-provider",)),
    Action("ListSAMLProviders", LIST, ()),
    Action("ListSSHPublicKeys", LIST, ("user",)),
    Action("ListSTSRegionalEndpointsStatus", LIST, ()),
    Action("ListServerCertificateTags", LIST, ("server-certificate",)),
    Action("ListServerCertificates", LIST, ()),
    Action("ListServiceSpecificCredentials", LIST, ("user",)),
    Action("ListSigningCertificates", LIST, ("user",)),
    Action("ListUserPolicies", LIST, ("user",)),
    Action("ListUserTags", LIST, ("user",)),
    Action("ListUsers", LIST, ()),
    Action("ListVirtualMFADevices", LIST, ()),
    Action("PassRole", WRITE, ("role",), ("iam:AssociatedResourceArn", "iam:PassedToService")),
    Action("PutAccountProperties", WRITE, (), ("iam:AccountPropertyNamespaces",)),
    Action("PutGroupPolicy", PERMISSIONS_MANAGEMENT, ("group",)),
    Action(
        "PutRolePermissionsBoundary",
        PERMISSIONS_MANAGEMENT,
        ("role",),
        ("iam:PermissionsBoundary", "iam:RoleTemplateARN"),
    ),
    Action("PutRolePolicy", PERMISSIONS_MANAGEMENT, ("role",), ("iam:PermissionsBoundary", "iam:RoleTemplateARN")),
    Action("PutUserPermissionsBoundary", PERMISSIONS_MANAGEMENT, ("user",), ("iam:PermissionsBoundary",)),
    Action("PutUserPolicy", PERMISSIONS_MANAGEMENT, ("user",), ("iam:PermissionsBoundary",)),
    Action("RejectDelegationRequest", WRITE, ("delegation-request",)),
    Action("RemoveClientIDFromOpenIDConnectProvider", WRITE, ("oidc-provider",)),
    Action("RemoveRoleFromInstanceProfile", WRITE, ("instance-profile",)),
    Action("RemoveUserFromGroup", WRITE, ("group",)),
    Action("ResetServiceSpecificCredential", WRITE, ("user",), ("iam:ServiceSpecificCredentialServiceName",)),
    Action("ResyncMFADevice", WRITE, ("user",)),
    Action("SendDelegationToken", WRITE, ("delegation-request",)),
    Action("SetDefaultPolicyVersion", PERMISSIONS_MANAGEMENT, ("policy",)),
    Action("SetSTSRegionalEndpointStatus", WRITE, ()),
    Action("SetSecurityTokenServicePreferences", WRITE, ()),
    Action("SimulateCustomPolicy", READ, ()),
    Action("SimulatePrincipalPolicy", READ, ("group", "role", "user")),
    Action("TagInstanceProfile", TAGGING, ("instance-profile",), ("aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("TagMFADevice", TAGGING, ("mfa",), ("aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("TagOpenIDConnectProvider", TAGGING, ("oidc-provider",), ("aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("TagPolicy", TAGGING, ("policy",), ("aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("TagRole", TAGGING, ("role",), ("aws:TagKeys", "aws:RequestTag/${TagKey}", "iam:RoleTemplateARN")),
    Action("TagSAMLProvider", TAGGING, ("saml-provider",), ("aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("TagServerCertificate", TAGGING, ("server-certificate",), ("aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("TagUser", TAGGING, ("user",), ("aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("UntagInstanceProfile", TAGGING, ("instance-profile",), ("aws:TagKeys",)),
    Action("UntagMFADevice", TAGGING, ("mfa",), ("aws:TagKeys",)),
    Action("UntagOpenIDConnectProvider", TAGGING, ("oidc-provider",), ("aws:TagKeys",)),
    Action("UntagPolicy", TAGGING, ("policy",), ("aws:TagKeys",)),
    Action("UntagRole", TAGGING, ("role",), ("aws:TagKeys",)),
    Action("UntagSAMLProvider", TAGGING, ("saml-provider",), ("aws:TagKeys",)),
    Action("UntagServerCertificate", TAGGING, ("server-certificate",), ("aws:TagKeys",)),
    Action("UntagUser", TAGGING, ("user",), ("aws:TagKeys",)),
    Action("UpdateAccessKey", WRITE, ("user",)),
    Action("UpdateAccountEmailAddress", WRITE, ()),
    Action("UpdateAccountName", WRITE, ()),
    Action("UpdateAccountPasswordPolicy", WRITE, ()),
    Action("UpdateAssumeRolePolicy", PERMISSIONS_MANAGEMENT, ("role",), ("iam:PermissionsBoundary",)),
    Action("UpdateCloudFrontPublicKey", WRITE, ()),
    Action("UpdateGroup", WRITE, ("group",)),
    Action("UpdateLoginProfile", WRITE, ("user",)),
    Action("UpdateOpenIDConnectProviderThumbprint", WRITE, ("oidc-provider",)),
    Action("UpdateRole", WRITE, ("role",), ("iam:PermissionsBoundary",)),
    Action("UpdateRoleDescription", WRITE, ("role",), ("iam:PermissionsBoundary",)),
    Action("UpdateSAMLProvider", WRITE, ("saml-provider",)),
    Action("UpdateSSHPublicKey", WRITE, ("user",)),
    Action("UpdateServerCertificate", WRITE, ("server-certificate",)),
    Action("UpdateServiceSpecificCredential", WRITE, ("user",), ("iam:ServiceSpecificCredentialServiceName",)),
    Action("UpdateSigningCertificate", WRITE, ("user",)),
    Action("UpdateUser", WRITE, ("user",)),
    Action("UploadCloudFrontPublicKey", WRITE, ()),
    Action("UploadSSHPublicKey", WRITE, ("user",)),
    Action("UploadServerCertificate", WRITE, ("server-certificate",), ("aws:TagKeys", "aws:RequestTag/${TagKey}")),
    Action("UploadSigningCertificate", WRITE, ("user",)),
)

# The console's own actions, named in AWS's style. Assigning a role to a user is governed by
# AWS's iam:UpdateAssumeRolePolicy on that role; switching role is sts:AssumeRole; the password
# policy and the credential report are AWS's own actions.
_IAM_CONSOLE_ACTIONS: tuple[Action, ...] = (
    Action("ListGuardrails", LIST, (), description=_console("list the account's guardrails")),
    Action("GetGuardrail", READ, ("guardrail",), description=_console("read a guardrail and its document")),
    Action("CreateGuardrail", PERMISSIONS_MANAGEMENT, ("guardrail",), description=_console("create a guardrail")),
    Action(
        "UpdateGuardrail",
        PERMISSIONS_MANAGEMENT,
        ("guardrail",),
        description=_console("change a guardrail's document, level or description"),
    ),
    Action("DeleteGuardrail", PERMISSIONS_MANAGEMENT, ("guardrail",), description=_console("delete a guardrail")),
    Action(
        "AttachGuardrail",
        PERMISSIONS_MANAGEMENT,
        ("guardrail",),
        description=_console("put a guardrail into force for the account"),
    ),
    Action(
        "DetachGuardrail",
        PERMISSIONS_MANAGEMENT,
        ("guardrail",),
        description=_console("take a guardrail out of force for the account"),
    ),
    Action("ListCatalogServices", LIST, (), description=_console("list the services of the action catalogue")),
    Action(
        "GetCatalogService",
        READ,
        ("catalog-service",),
        description=_console("read a catalogue service with its actions, resource types and condition keys"),
    ),
    Action(
        "PutCatalogService",
        WRITE,
        ("catalog-service",),
        description=_console("create or change a catalogue service, its actions, resource types and keys"),
    ),
    Action(
        "DeleteCatalogService",
        WRITE,
        ("catalog-service",),
        description=_console("remove a service from the action catalogue"),
    ),
    Action("ListAuditEvents", LIST, (), description=_console("list the audit trail's events")),
    Action("GetAuditEvent", READ, (), description=_console("read one audit event in full")),
    Action("ExportAuditEvents", READ, (), description=_console("download the audit trail")),
    Action(
        "ImportAccountAuthorizationDetails",
        PERMISSIONS_MANAGEMENT,
        (),
        description=_console("import users, groups, roles and policies from GetAccountAuthorizationDetails output"),
    ),
    Action("GetAssessmentReport", READ, (), description=_console("read the best-practice assessment's findings")),
    Action(
        "AcknowledgeFinding",
        WRITE,
        (),
        description=_console("accept an assessment finding for a while, with a reason"),
    ),
    Action("ListSessions", LIST, ("user",), description=_console("list a user's live console and role sessions")),
    Action(
        "RevokeSession",
        WRITE,
        ("user",),
        description=_console("end one of a user's console or role sessions before its time"),
    ),
    Action(
        "ListRoleAssignments",
        LIST,
        ("role",),
        description=_console("list who may switch to a role and until when"),
    ),
)

_IAM_RESOURCE_TYPES: tuple[ResourceType, ...] = (
    ResourceType("access-report", "arn:${Partition}:iam::${Account}:access-report/${EntityPath}"),
    ResourceType("assumed-role", "arn:${Partition}:iam::${Account}:assumed-role/${RoleName}/${RoleSessionName}"),
    ResourceType(
        "delegation-request",
        "arn:${Partition}:iam::${Account}:delegation-request/${DelegationRequestId}",
        ("iam:DelegationRequestOwner",),
    ),
    ResourceType("federated-user", "arn:${Partition}:iam::${Account}:federated-user/${UserName}"),
    ResourceType("group", "arn:${Partition}:iam::${Account}:group/${GroupNameWithPath}"),
    ResourceType(
        "instance-profile",
        "arn:${Partition}:iam::${Account}:instance-profile/${InstanceProfileNameWithPath}",
        (_RESOURCE_TAG,),
    ),
    ResourceType("mfa", "arn:${Partition}:iam::${Account}:mfa/${MfaTokenIdWithPath}", (_RESOURCE_TAG,)),
    ResourceType(
        "oidc-provider", "arn:${Partition}:iam::${Account}:oidc-provider/${OidcProviderName}", (_RESOURCE_TAG,)
    ),
    ResourceType("policy", "arn:${Partition}:iam::${Account}:policy/${PolicyNameWithPath}", (_RESOURCE_TAG,)),
    ResourceType(
        "role",
        "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
        (_RESOURCE_TAG, _IAM_RESOURCE_TAG),
    ),
    ResourceType(
        "role-template",
        "arn:${Partition}:iam::aws:role-template/${AWSServicePrincipal}/${RoleTemplateName}:${RoleTemplateMajorVersion}",
    ),
    ResourceType(
        "saml-provider", "arn:${Partition}:iam::${Account}:saml-provider/${SamlProviderName}", (_RESOURCE_TAG,)
    ),
    ResourceType(
        "server-certificate",
        "arn:${Partition}:iam::${Account}:server-certificate/${CertificateNameWithPath}",
        (_RESOURCE_TAG,),
    ),
    ResourceType("sms-mfa", "arn:${Partition}:iam::${Account}:sms-mfa/${MfaTokenIdWithPath}"),
    ResourceType(
        "user",
        "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}",
        (_RESOURCE_TAG, _IAM_RESOURCE_TAG),
    ),
    # The console's own resource types.
    ResourceType("guardrail", "arn:${Partition}:iam::${Account}:guardrail/${GuardrailNameWithPath}"),
    ResourceType("catalog-service", "arn:${Partition}:iam::${Account}:catalog-service/${ServicePrefix}"),
)

_IAM_CONDITION_KEYS: tuple[tuple[str, str], ...] = (
    (_REQUEST_TAG, "String"),
    (_RESOURCE_TAG, "String"),
    (_TAG_KEYS, "ArrayOfString"),
    ("iam:AWSServiceName", "String"),
    ("iam:AccountPropertyNamespaces", "ArrayOfString"),
    ("iam:AssociatedResourceArn", "ARN"),
    ("iam:DelegationDuration", "String"),
    ("iam:DelegationRequestOwner", "ARN"),
    ("iam:FIDO-FIPS-140-2-certification", "String"),
    ("iam:FIDO-FIPS-140-3-certification", "String"),
    ("iam:FIDO-certification", "String"),
    ("iam:NotificationChannel", "String"),
    ("iam:OrganizationsPolicyId", "String"),
    ("iam:PassedToService", "String"),
    ("iam:PermissionsBoundary", "ARN"),
    ("iam:PolicyARN", "ARN"),
    ("iam:RegisterSecurityKey", "String"),
    (_IAM_RESOURCE_TAG, "String"),
    ("iam:RoleTemplateARN", "ARN"),
    ("iam:ServiceSpecificCredentialAgeDays", "Numeric"),
    ("iam:ServiceSpecificCredentialServiceName", "String"),
    ("iam:TemplateArn", "ARN"),
)

IAM = Service(
    prefix="iam",
    name="AWS Identity and Access Management (IAM)",
    actions=_IAM_AWS_ACTIONS + _IAM_CONSOLE_ACTIONS,
    resource_types=_IAM_RESOURCE_TYPES,
    condition_keys=_IAM_CONDITION_KEYS,
)

# --------------------------------------------------------------------------------------------
# sts
# --------------------------------------------------------------------------------------------

_WEB_IDENTITY_KEYS = (
    "cognito-identity.amazonaws.com:amr",
    "cognito-identity.amazonaws.com:aud",
    "cognito-identity.amazonaws.com:sub",
    "www.amazon.com:app_id",
    "www.amazon.com:user_id",
    "graph.facebook.com:app_id",
    "graph.facebook.com:id",
)

_SAML_ATTRIBUTE_KEYS = (
    "saml:aud",
    "saml:iss",
    "saml:doc",
    "saml:cn",
    "saml:commonName",
    "saml:eduorghomepageuri",
    "saml:eduorgidentityauthnpolicyuri",
    "saml:eduorglegalname",
    "saml:eduorgsuperioruri",
    "saml:eduorgwhitepagesuri",
    "saml:edupersonaffiliation",
    "saml:edupersonassurance",
    "saml:edupersonentitlement",
    "saml:edupersonnickname",
    "saml:edupersonorgdn",
    "saml:edupersonorgunitdn",
    "saml:edupersonprimaryaffiliation",
    "saml:edupersonprimaryorgunitdn",
    "saml:edupersonprincipalname",
    "saml:edupersonscopedaffiliation",
    "saml:edupersontargetedid",
    "saml:givenName",
    "saml:mail",
    "saml:name",
    "saml:organizationStatus",
    "saml:primaryGroupSID",
    "saml:surname",
    "saml:uid",
    "saml:x500UniqueIdentifier",
)

_STS_ACTIONS: tuple[Action, ...] = (
    Action(
        "AssumeRole",
        WRITE,
        ("role",),
        (
            _TAG_KEYS,
            _REQUEST_TAG,
            "sts:TransitiveTagKeys",
            "sts:ExternalId",
            "sts:RoleSessionName",
            _IAM_RESOURCE_TAG,
            "sts:SourceIdentity",
            *_WEB_IDENTITY_KEYS,
            "accounts.google.com:aud",
            "accounts.google.com:sub",
            "saml:namequalifier",
            "saml:sub",
            "saml:sub_type",
        ),
    ),
    Action(
        "AssumeRoleWithSAML",
        WRITE,
        ("role",),
        (
            "saml:namequalifier",
            "saml:sub",
            "saml:sub_type",
            *_SAML_ATTRIBUTE_KEYS,
            _TAG_KEYS,
            _REQUEST_TAG,
            "sts:TransitiveTagKeys",
            "sts:SourceIdentity",
            "sts:RoleSessionName",
        ),
    ),
    Action(
        "AssumeRoleWithWebIdentity",
        WRITE,
        ("role",),
        (
            *_WEB_IDENTITY_KEYS,
            "accounts.google.com:aud",
            "accounts.google.com:oaud",
            "accounts.google.com:sub",
            _TAG_KEYS,
            _REQUEST_TAG,
            "sts:TransitiveTagKeys",
            "sts:SourceIdentity",
            "sts:RoleSessionName",
        ),
    ),
    Action("DecodeAuthorizationMessage", WRITE, ()),
    Action("GetAccessKeyInfo", READ, ()),
    Action("GetCallerIdentity", READ, ()),
    Action("GetFederationToken", READ, ("user",), (_TAG_KEYS, _REQUEST_TAG)),
    Action("GetServiceBearerToken", READ, (), ("sts:AWSServiceName", "sts:DurationSeconds")),
    Action("GetSessionToken", READ, ()),
    Action(
        "SetContext",
        WRITE,
        ("role", "self-session"),
        ("sts:RequestContext/${ContextKey}", "sts:RequestContextProviders"),
    ),
    Action("SetSourceIdentity", WRITE, ("role", "user"), ("sts:SourceIdentity",)),
    Action("TagSession", TAGGING, ("role", "user"), (_TAG_KEYS, _REQUEST_TAG, "sts:TransitiveTagKeys", "saml:aud")),
)

_STS_RESOURCE_TYPES: tuple[ResourceType, ...] = (
    ResourceType(
        "role",
        "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
        (_RESOURCE_TAG, _IAM_RESOURCE_TAG),
    ),
    ResourceType("user", "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"),
    ResourceType("self-session", "arn:${Partition}:sts::${Account}:self"),
)

_ARRAY_SAML_KEYS = frozenset(
    {
        "saml:cn",
        "saml:eduorghomepageuri",
        "saml:eduorgidentityauthnpolicyuri",
        "saml:eduorglegalname",
        "saml:eduorgsuperioruri",
        "saml:eduorgwhitepagesuri",
        "saml:edupersonaffiliation",
        "saml:edupersonassurance",
        "saml:edupersonentitlement",
        "saml:edupersonnickname",
        "saml:edupersonorgunitdn",
        "saml:edupersonscopedaffiliation",
        "saml:edupersontargetedid",
    }
)

_STS_CONDITION_KEYS: tuple[tuple[str, str], ...] = (
    ("accounts.google.com:aud", "String"),
    ("accounts.google.com:oaud", "String"),
    ("accounts.google.com:sub", "String"),
    (_REQUEST_TAG, "String"),
    (_RESOURCE_TAG, "String"),
    (_TAG_KEYS, "ArrayOfString"),
    *((key, "String") for key in _WEB_IDENTITY_KEYS),
    (_IAM_RESOURCE_TAG, "String"),
    *(
        (key, "ArrayOfString" if key in _ARRAY_SAML_KEYS else "String")
        for key in sorted({*_SAML_ATTRIBUTE_KEYS, "saml:namequalifier", "saml:sub", "saml:sub_type"})
    ),
    ("sts:AWSServiceName", "String"),
    ("sts:DurationSeconds", "String"),
    ("sts:ExternalId", "String"),
    ("sts:RequestContext/${ContextKey}", "String"),
    ("sts:RequestContextProviders", "ArrayOfARN"),
    ("sts:RoleSessionName", "String"),
    ("sts:SourceIdentity", "String"),
    ("sts:TransitiveTagKeys", "ArrayOfString"),
)

STS = Service(
    prefix="sts",
    name="AWS Security Token Service",
    actions=_STS_ACTIONS,
    resource_types=_STS_RESOURCE_TYPES,
    condition_keys=_STS_CONDITION_KEYS,
)

# --------------------------------------------------------------------------------------------
# storage (demo)
# --------------------------------------------------------------------------------------------


def _demo(text: str) -> str:
    return f"Demo: {text}"


STORAGE = Service(
    prefix="storage",
    name="Demo object storage",
    actions=(
        Action("ListBuckets", LIST, (), description=_demo("list the organisation's buckets")),
        Action("ListBucket", LIST, ("bucket",), ("storage:prefix",), _demo("list the keys in a bucket")),
        Action("GetObject", READ, ("object",), description=_demo("read an object")),
        Action("PutObject", WRITE, ("object",), description=_demo("create or replace an object")),
        Action("DeleteObject", WRITE, ("object",), description=_demo("delete an object")),
        Action("CreateBucket", WRITE, ("bucket",), description=_demo("create a bucket")),
        Action("DeleteBucket", WRITE, ("bucket",), description=_demo("delete an empty bucket")),
        Action("GetBucketPolicy", READ, ("bucket",), description=_demo("read a bucket's resource policy")),
        Action(
            "PutBucketPolicy",
            PERMISSIONS_MANAGEMENT,
            ("bucket",),
            description=_demo("set a bucket's resource policy"),
        ),
        Action("TagResource", TAGGING, ("bucket", "object"), description=_demo("tag a bucket or an object")),
    ),
    resource_types=(
        ResourceType("bucket", "arn:${Partition}:storage:::${BucketName}", (_RESOURCE_TAG,)),
        ResourceType("object", "arn:${Partition}:storage:::${BucketName}/${ObjectName}", (_RESOURCE_TAG,)),
    ),
    condition_keys=(
        ("storage:prefix", "String"),
        (_RESOURCE_TAG, "String"),
    ),
)

# --------------------------------------------------------------------------------------------
# iamconsole: the console's own service, for what AWS has no action for
# --------------------------------------------------------------------------------------------

INTERFACE_KEY = "iamconsole:Interface"
# Keys the server sets on every request, whatever its action: a condition on them suits any statement.
SERVER_KEYS = (INTERFACE_KEY,)
_REQUEST_KEYS = ("iamconsole:RequestedGroup", "iamconsole:RequestedRole", "iamconsole:RequestedAction")

ICONSOLE = Service(
    prefix="iamconsole",
    name="iamconsole",
    actions=(
        Action(
            "ApproveAccessRequest",
            PERMISSIONS_MANAGEMENT,
            ("group", "role", "resource"),
            _REQUEST_KEYS,
            _console(
                "approve or deny another person's access request: asked on the requested group, the requested "
                "role, or each requested resource (with the requested action as iamconsole:RequestedAction)"
            ),
        ),
        Action(
            "BindFederatedIdentity",
            PERMISSIONS_MANAGEMENT,
            ("user",),
            description=_console(
                "bind a user to an identity at the organisation's OpenID provider, which then signs in as that user"
            ),
        ),
        Action(
            "UnbindFederatedIdentity",
            WRITE,
            ("user",),
            description=_console("unbind a user from its identity at the organisation's OpenID provider"),
        ),
        # Access expectations (policies.expectations): stored tests of access that every change must keep
        # (named iam:*AccessExpectation* until migration policies 0013 moved them here).
        Action(
            "ListAccessExpectations",
            LIST,
            (),
            description=_console("list the access expectations and whether each holds"),
        ),
        Action(
            "PutAccessExpectation",
            PERMISSIONS_MANAGEMENT,
            ("access-expectation",),
            description=_console("create or change an access expectation that every change must keep"),
        ),
        Action(
            "DeleteAccessExpectation",
            PERMISSIONS_MANAGEMENT,
            ("access-expectation",),
            description=_console("delete an access expectation"),
        ),
        Action(
            "OverrideAccessExpectation",
            PERMISSIONS_MANAGEMENT,
            ("access-expectation",),
            description=_console("make a change that breaks an access expectation, recorded with what it broke"),
        ),
    ),
    resource_types=(
        ResourceType("user", "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"),
        ResourceType("group", "arn:${Partition}:iam::${Account}:group/${GroupNameWithPath}"),
        ResourceType("role", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"),
        ResourceType("resource", "arn:${Partition}:${Service}:${Region}:${Account}:${Resource}"),
        ResourceType("access-expectation", "arn:${Partition}:iam::${Account}:access-expectation/${ExpectationName}"),
    ),
    condition_keys=(
        ("iamconsole:RequestedGroup", "ARN"),
        ("iamconsole:RequestedRole", "ARN"),
        ("iamconsole:RequestedAction", "String"),
        # Set by the server on every request: the door it came in by ("console", "api", "scim", "aws").
        (INTERFACE_KEY, "String"),
    ),
)

SERVICES: tuple[Service, ...] = (IAM, STS, STORAGE, ICONSOLE)

# AWS's tables list every iam: and sts: action; the console implements these (the
# others are accepted in policies, as AWS's are, but nothing here performs them).
# Any other service is the organisation's own, whose code asks the decision API.
_KINDS = ("User", "Group", "Role")
CONSOLE_FEATURES: frozenset[str] = frozenset(
    [
        *(f"iam:{verb}{kind}Policy" for kind in _KINDS for verb in ("Attach", "Detach", "Put", "Delete", "Get")),
        *(f"iam:List{kind}Policies" for kind in _KINDS),
        *(f"iam:ListAttached{kind}Policies" for kind in _KINDS),
        *(f"iam:{verb}{kind}" for kind in _KINDS for verb in ("Create", "Get", "Update", "Delete")),
        *(f"iam:{verb}{kind}PermissionsBoundary" for kind in ("User", "Role") for verb in ("Put", "Delete")),
        *(f"iam:{verb}{kind}" for kind in ("User", "Role") for verb in ("Tag", "Untag")),
        *(f"iam:List{kind}Tags" for kind in ("User", "Role")),
        *(f"iam:{verb}Guardrail" for verb in ("Create", "Get", "Update", "Delete")),
        *(f"iam:{verb}CatalogService" for verb in ("Get", "Put", "Delete")),
        *(f"iam:{verb}OpenIDConnectProvider" for verb in ("Create", "Get", "Delete", "Tag", "Untag")),
        "iam:ListOpenIDConnectProviders",
        "iam:AddClientIDToOpenIDConnectProvider",
        "iam:RemoveClientIDFromOpenIDConnectProvider",
        "iam:AddUserToGroup",
        "iam:RemoveUserFromGroup",
        "iam:ListGroupsForUser",
        "iam:ListGroups",
        "iam:ListUsers",
        "iam:ListRoles",
        "iam:ListPolicies",
        "iam:ListGuardrails",
        "iam:ListCatalogServices",
        "iam:CreatePolicy",
        "iam:GetPolicy",
        "iam:DeletePolicy",
        "iam:CreatePolicyVersion",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:UpdateAssumeRolePolicy",
        "iam:PassRole",
        "iam:ChangePassword",
        "iam:CreateLoginProfile",
        "iam:GetLoginProfile",
        "iam:UpdateLoginProfile",
        "iam:CreateAccessKey",
        "iam:DeleteAccessKey",
        "iam:UpdateAccessKey",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
        "iam:ListSessions",
        "iam:RevokeSession",
        "iam:CreateVirtualMFADevice",
        "iam:DeleteVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:DeactivateMFADevice",
        "iam:ResyncMFADevice",
        "iam:ListMFADevices",
        "iam:ListVirtualMFADevices",
        "iam:GetAccountPasswordPolicy",
        "iam:UpdateAccountPasswordPolicy",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:GenerateServiceLastAccessedDetails",
        "iam:GetServiceLastAccessedDetails",
        "iam:GetContextKeysForPrincipalPolicy",
        "iam:SimulatePrincipalPolicy",
        "iam:SimulateCustomPolicy",
        "iam:ImportAccountAuthorizationDetails",
        "iam:ListAuditEvents",
        "iam:GetAuditEvent",
        "iam:ExportAuditEvents",
        "iam:GetAssessmentReport",
        "iam:AcknowledgeFinding",
        "sts:AssumeRole",
        "sts:AssumeRoleWithWebIdentity",
        "sts:GetCallerIdentity",
        "sts:GetAccessKeyInfo",
    ]
)
AWS_TABLE_PREFIXES: frozenset[str] = frozenset({"iam", "sts"})


def has_feature(action: str) -> bool:
    """Whether something performs `action` ("prefix:Name", any case): for iam and sts, the
    console's own features; for any other service, its owner's code."""
    prefix = action.partition(":")[0].lower()
    return prefix not in AWS_TABLE_PREFIXES or action.lower() in _FEATURES_LOWER


# --------------------------------------------------------------------------------------------
# Global condition keys (AWS's "AWS global condition context keys")
# --------------------------------------------------------------------------------------------

# They live in the engine, which checks condition keys against them: one table for both.
GLOBAL_CONDITION_KEYS = keys.GLOBAL_CONDITION_KEYS


def service(prefix: str) -> Service:
    """The service with this prefix (any case); KeyError if there is none."""
    wanted = prefix.lower()
    for candidate in SERVICES:
        if candidate.prefix == wanted:
            return candidate
    raise KeyError(prefix)


def all_actions() -> dict[str, str]:
    """The catalogue for the engine's validation: lowercased "prefix:name" -> access level."""
    return {f"{svc.prefix}:{action.name}".lower(): action.access_level for svc in SERVICES for action in svc.actions}


def validation_catalogue(aws: Iterable[Service] = ()) -> dict:
    """The built-in catalogue as validation reads it (`validate_policy`'s keywords), as
    `policies.services.validation_catalogue` reads it from the database once loaded; with
    `aws` (policies.aws_catalogue), as after load_aws_catalogue: the built-in entries win."""
    services = (*SERVICES, *aws)
    action_keys: dict[str, list[str]] = {}
    for svc in services:
        type_keys = {kind.name: kind.condition_keys for kind in svc.resource_types}
        for action in svc.actions:
            from_types = [key for kind in action.resource_types for key in type_keys.get(kind, ())]
            keys = [*action.condition_keys, *from_types, *SERVER_KEYS]
            action_keys.setdefault(f"{svc.prefix}:{action.name}".lower(), keys)
    # A key is the first owner's, global keys first, as the database loaders store it.
    key_types = dict(GLOBAL_CONDITION_KEYS)
    known = {key.lower() for key in key_types}
    for key, value_type in (pair for svc in services for pair in svc.condition_keys):
        if key.lower() not in known:
            known.add(key.lower())
            key_types[key] = value_type
    return {"catalogue": action_keys, "action_keys": action_keys, "key_types": key_types}


_FEATURES_LOWER = frozenset(name.lower() for name in CONSOLE_FEATURES)
