"""The catalogue's starting data and the built-in policies: consistent, AWS-shaped, valid for the engine.

Pure data: no database.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from policies import builtin_policies, catalogue_data
from policies.builtin_policies import AWS_MANAGED_ARN_PREFIX, BUILTIN_POLICIES
from policies.catalogue_data import ACCESS_LEVELS, GLOBAL_CONDITION_KEYS, SERVICES, all_actions, service
from policies.engine import Level, Outcome, PolicyKind, Request, authorize, validate_policy

CONDITION_KEY_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]*:[A-Za-z0-9][A-Za-z0-9_\-./]*(\$\{[A-Za-z]+\})?$")
ACTION_NAME = re.compile(r"^[A-Z][A-Za-z0-9]+$")
SID = re.compile(r"^[A-Za-z0-9]+$")

ACCOUNT = "111122223333"


def _pattern(action_pattern: str) -> re.Pattern[str]:
    """IAM's action matching: case-insensitive, `*` any run of characters, `?` one."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in action_pattern.lower())
    return re.compile(f"^{body}$")


def _statements(document: dict) -> list[dict]:
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _allowed_actions(document: dict) -> set[str]:
    """The catalogued actions (lowercased) that some Allow statement's Action names or matches."""
    catalogue = all_actions()
    granted: set[str] = set()
    for statement in _statements(document):
        if statement["Effect"] != "Allow":
            continue
        for pattern in _as_list(statement["Action"]):
            regex = _pattern(pattern)
            granted |= {name for name in catalogue if regex.match(name)}
    return granted


# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------


def test_data_modules_use_only_the_standard_library():
    for module in (catalogue_data, builtin_policies):
        source = Path(module.__file__).read_text()
        assert not re.search(r"^\s*(from|import)\s+django", source, re.MULTILINE), module.__name__


def test_services_are_iam_sts_the_demo_storage_and_the_consoles_own():
    assert [s.prefix for s in SERVICES] == ["iam", "sts", "storage", "iamconsole"]
    assert [a.name for a in service("iamconsole").actions] == [
        "ApproveAccessRequest",
        "BindFederatedIdentity",
        "UnbindFederatedIdentity",
        *EXPECTATION_ACTIONS,
    ]
    assert service("IAM").name == "AWS Identity and Access Management (IAM)"
    assert service("sts").name == "AWS Security Token Service"
    assert service("storage").name == "Demo object storage"
    with pytest.raises(KeyError):
        service("s3")


def test_access_levels_are_aws_five_in_aws_order():
    assert ACCESS_LEVELS == ("List", "Read", "Write", "Permissions management", "Tagging")


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.prefix)
def test_action_names_are_unique_and_aws_shaped(svc):
    names = [action.name for action in svc.actions]
    assert len(names) == len(set(names))
    assert len({name.lower() for name in names}) == len(names), "names differing only in case"
    assert [name for name in names if not ACTION_NAME.match(name)] == []


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.prefix)
def test_access_levels_come_from_the_five(svc):
    assert {action.access_level for action in svc.actions} <= set(ACCESS_LEVELS)


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.prefix)
def test_action_resource_types_exist_in_their_service(svc):
    declared = {resource_type.name for resource_type in svc.resource_types}
    assert len(declared) == len(svc.resource_types), "resource type names repeat"
    missing = {(a.name, rt) for a in svc.actions for rt in a.resource_types if rt not in declared}
    assert missing == set()
    for action in svc.actions:
        assert len(action.resource_types) == len(set(action.resource_types)), action.name


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.prefix)
def test_resource_type_arn_patterns_are_arns(svc):
    for resource_type in svc.resource_types:
        assert resource_type.arn_pattern.startswith("arn:${Partition}:"), resource_type
        assert len(resource_type.arn_pattern.split(":")) >= 6, resource_type


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.prefix)
def test_condition_key_names_look_like_prefix_and_name(svc):
    keys = [key for key, _ in svc.condition_keys]
    keys += [key for action in svc.actions for key in action.condition_keys]
    keys += [key for resource_type in svc.resource_types for key in resource_type.condition_keys]
    assert [key for key in keys if not CONDITION_KEY_NAME.match(key)] == []


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.prefix)
def test_condition_keys_used_are_declared_with_a_type(svc):
    declared = dict(svc.condition_keys)
    assert len(declared) == len(svc.condition_keys), "a service declares a key twice"
    assert set(declared.values()) <= set(catalogue_data.CONDITION_KEY_TYPES)
    known = declared.keys() | dict(GLOBAL_CONDITION_KEYS).keys()
    used = {(a.name, key) for a in svc.actions for key in a.condition_keys}
    used |= {(rt.name, key) for rt in svc.resource_types for key in rt.condition_keys}
    assert {(owner, key) for owner, key in used if key not in known} == set()
    # A key in the service's own namespace is declared by the service itself.
    own = {key for _, key in used if key.startswith(f"{svc.prefix}:")}
    assert own <= declared.keys()
    for action in svc.actions:
        assert len(action.condition_keys) == len(set(action.condition_keys)), action.name


def test_global_condition_keys():
    keys = dict(GLOBAL_CONDITION_KEYS)
    assert len(keys) == len(GLOBAL_CONDITION_KEYS)
    assert all(key.startswith("aws:") and CONDITION_KEY_NAME.match(key) for key in keys)
    assert set(keys.values()) <= set(catalogue_data.CONDITION_KEY_TYPES)
    expected = {
        "aws:SourceIp": "IPAddress",
        "aws:CurrentTime": "Date",
        "aws:EpochTime": "Date",
        "aws:SecureTransport": "Bool",
        "aws:MultiFactorAuthPresent": "Bool",
        "aws:MultiFactorAuthAge": "Numeric",
        "aws:PrincipalArn": "ARN",
        "aws:PrincipalTag/${TagKey}": "String",
        "aws:PrincipalType": "String",
        "aws:userid": "String",
        "aws:username": "String",
        "aws:RequestTag/${TagKey}": "String",
        "aws:ResourceTag/${TagKey}": "String",
        "aws:TagKeys": "ArrayOfString",
        "aws:PrincipalAccount": "String",
        "aws:RequestedRegion": "String",
        "aws:SourceAccount": "String",
        "aws:SourceArn": "ARN",
        "aws:ViaAWSService": "Bool",
        "aws:CalledVia": "ArrayOfString",
        "aws:TokenIssueTime": "Date",
        "aws:SourceIdentity": "String",
    }
    assert {key: keys.get(key) for key in expected} == expected


REQUIRED_IAM = [
    "ListUsers",
    "GetUser",
    "CreateUser",
    "UpdateUser",
    "DeleteUser",
    "TagUser",
    "UntagUser",
    "ListUserTags",
    "ListGroups",
    "GetGroup",
    "CreateGroup",
    "UpdateGroup",
    "DeleteGroup",
    "AddUserToGroup",
    "RemoveUserFromGroup",
    "ListGroupsForUser",
    "ListRoles",
    "GetRole",
    "CreateRole",
    "UpdateRole",
    "DeleteRole",
    "UpdateAssumeRolePolicy",
    "TagRole",
    "UntagRole",
    "ListPolicies",
    "GetPolicy",
    "CreatePolicy",
    "DeletePolicy",
    "GetPolicyVersion",
    "ListPolicyVersions",
    "CreatePolicyVersion",
    "SetDefaultPolicyVersion",
    "DeletePolicyVersion",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "PutUserPolicy",
    "GetUserPolicy",
    "DeleteUserPolicy",
    "ListUserPolicies",
    "ListAttachedUserPolicies",
    "PutGroupPolicy",
    "GetGroupPolicy",
    "DeleteGroupPolicy",
    "ListGroupPolicies",
    "ListAttachedGroupPolicies",
    "PutRolePolicy",
    "GetRolePolicy",
    "DeleteRolePolicy",
    "ListRolePolicies",
    "ListAttachedRolePolicies",
    "PutUserPermissionsBoundary",
    "DeleteUserPermissionsBoundary",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    "ListEntitiesForPolicy",
    "CreateAccessKey",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "ListAccessKeys",
    "GetAccessKeyLastUsed",
    "CreateLoginProfile",
    "UpdateLoginProfile",
    "DeleteLoginProfile",
    "GetLoginProfile",
    "ChangePassword",
    "GetAccountPasswordPolicy",
    "UpdateAccountPasswordPolicy",
    "DeleteAccountPasswordPolicy",
    "CreateVirtualMFADevice",
    "EnableMFADevice",
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
    "ListMFADevices",
    "ListVirtualMFADevices",
    "ResyncMFADevice",
    "GenerateCredentialReport",
    "GetCredentialReport",
    "GetAccountAuthorizationDetails",
    "GetAccountSummary",
    "SimulatePrincipalPolicy",
    "SimulateCustomPolicy",
    "GetContextKeysForPrincipalPolicy",
    "GetContextKeysForCustomPolicy",
    "PassRole",
]


def _actions(prefix: str) -> dict:
    return {action.name: action for action in service(prefix).actions}


def test_iam_has_every_action_the_console_relies_on():
    assert sorted(set(REQUIRED_IAM) - _actions("iam").keys()) == []


@pytest.mark.parametrize(
    ("name", "level", "resource_types"),
    [
        # Spot checks against AWS's Service Authorization Reference.
        ("ListUsers", "List", ()),
        ("ListGroups", "List", ()),
        ("GetGroup", "Read", ("group",)),
        ("AddUserToGroup", "Write", ("group",)),
        ("RemoveUserFromGroup", "Write", ("group",)),
        ("AttachUserPolicy", "Permissions management", ("user",)),
        ("CreatePolicyVersion", "Permissions management", ("policy",)),
        ("SetDefaultPolicyVersion", "Permissions management", ("policy",)),
        ("UpdateAssumeRolePolicy", "Permissions management", ("role",)),
        ("PutUserPermissionsBoundary", "Permissions management", ("user",)),
        ("DeleteAccountPasswordPolicy", "Permissions management", ()),
        ("UpdateAccountPasswordPolicy", "Write", ()),
        ("GetLoginProfile", "List", ("user",)),
        ("GetAccountSummary", "List", ()),
        ("GenerateCredentialReport", "Read", ()),
        ("TagUser", "Tagging", ("user",)),
        ("PassRole", "Write", ("role",)),
        ("CreateVirtualMFADevice", "Write", ("mfa",)),
        ("DeleteVirtualMFADevice", "Write", ("mfa", "sms-mfa")),
        ("SimulatePrincipalPolicy", "Read", ("group", "role", "user")),
    ],
)
def test_iam_levels_and_resource_types_follow_aws(name, level, resource_types):
    action = _actions("iam")[name]
    assert (action.access_level, action.resource_types) == (level, resource_types)


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("CreateUser", {"iam:PermissionsBoundary", "aws:TagKeys", "aws:RequestTag/${TagKey}"}),
        ("CreateRole", {"iam:PermissionsBoundary"}),
        ("PutUserPermissionsBoundary", {"iam:PermissionsBoundary"}),
        ("AttachUserPolicy", {"iam:PolicyARN", "iam:PermissionsBoundary"}),
        ("AttachGroupPolicy", {"iam:PolicyARN"}),
        ("DetachRolePolicy", {"iam:PolicyARN", "iam:PermissionsBoundary"}),
        ("PassRole", {"iam:PassedToService", "iam:AssociatedResourceArn"}),
        ("CreateServiceLinkedRole", {"iam:AWSServiceName"}),
    ],
)
def test_iam_delegation_keys_are_on_their_actions(name, keys):
    assert keys <= set(_actions("iam")[name].condition_keys)


def test_user_and_role_carry_resource_tag_keys():
    types = {rt.name: rt for rt in service("iam").resource_types}
    for name in ("user", "role"):
        assert {"aws:ResourceTag/${TagKey}", "iam:ResourceTag/${TagKey}"} <= set(types[name].condition_keys)
    assert types["user"].arn_pattern == "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"


CONSOLE_ACTIONS = {
    "ListGuardrails": ("List", ()),
    "GetGuardrail": ("Read", ("guardrail",)),
    "CreateGuardrail": ("Permissions management", ("guardrail",)),
    "UpdateGuardrail": ("Permissions management", ("guardrail",)),
    "DeleteGuardrail": ("Permissions management", ("guardrail",)),
    "AttachGuardrail": ("Permissions management", ("guardrail",)),
    "DetachGuardrail": ("Permissions management", ("guardrail",)),
    "ListCatalogServices": ("List", ()),
    "GetCatalogService": ("Read", ("catalog-service",)),
    "PutCatalogService": ("Write", ("catalog-service",)),
    "DeleteCatalogService": ("Write", ("catalog-service",)),
    "ListAuditEvents": ("List", ()),
    "GetAuditEvent": ("Read", ()),
    "ExportAuditEvents": ("Read", ()),
    "ImportAccountAuthorizationDetails": ("Permissions management", ()),
    "ListRoleAssignments": ("List", ("role",)),
    "ListSessions": ("List", ("user",)),
    "RevokeSession": ("Write", ("user",)),
    "GetAssessmentReport": ("Read", ()),
    "AcknowledgeFinding": ("Write", ()),
}
# Issue 17 names them in the console's own service.
EXPECTATION_ACTIONS = {
    "ListAccessExpectations": ("List", ()),
    "PutAccessExpectation": ("Permissions management", ("access-expectation",)),
    "DeleteAccessExpectation": ("Permissions management", ("access-expectation",)),
    "OverrideAccessExpectation": ("Permissions management", ("access-expectation",)),
}


def test_console_actions_are_marked_and_shaped():
    iam = _actions("iam")
    marked = {name for name, action in iam.items() if action.description.startswith(catalogue_data.CONSOLE_PREFIX)}
    assert marked == CONSOLE_ACTIONS.keys()
    assert {name: (iam[name].access_level, iam[name].resource_types) for name in marked} == CONSOLE_ACTIONS
    assert "SwitchRole" not in iam  # switching role is sts:AssumeRole


def test_access_expectation_actions_are_the_console_services_own():
    ours = _actions("iamconsole")
    assert {name: (ours[name].access_level, ours[name].resource_types) for name in EXPECTATION_ACTIONS} == (
        EXPECTATION_ACTIONS
    )
    assert not EXPECTATION_ACTIONS.keys() & _actions("iam").keys()
    types = {rt.name: rt.arn_pattern for rt in service("iamconsole").resource_types}
    assert types["access-expectation"] == "arn:${Partition}:iam::${Account}:access-expectation/${ExpectationName}"


def test_console_resource_types():
    types = {rt.name: rt.arn_pattern for rt in service("iam").resource_types}
    assert types["guardrail"] == "arn:${Partition}:iam::${Account}:guardrail/${GuardrailNameWithPath}"
    assert types["catalog-service"] == "arn:${Partition}:iam::${Account}:catalog-service/${ServicePrefix}"
    assert "access-expectation" not in types


def test_sts_actions_follow_aws():
    sts = _actions("sts")
    expected = {
        "AssumeRole": ("Write", ("role",)),
        "AssumeRoleWithSAML": ("Write", ("role",)),
        "AssumeRoleWithWebIdentity": ("Write", ("role",)),
        "DecodeAuthorizationMessage": ("Write", ()),
        "GetAccessKeyInfo": ("Read", ()),
        "GetCallerIdentity": ("Read", ()),
        "GetFederationToken": ("Read", ("user",)),
        "GetSessionToken": ("Read", ()),
        "SetSourceIdentity": ("Write", ("role", "user")),
        "TagSession": ("Tagging", ("role", "user")),
    }
    assert {name: (sts[name].access_level, sts[name].resource_types) for name in expected} == expected
    assert {"sts:ExternalId", "sts:RoleSessionName", "sts:SourceIdentity", "aws:TagKeys"} <= set(
        sts["AssumeRole"].condition_keys
    )


def test_storage_demo_service():
    storage = service("storage")
    actions = {a.name: (a.access_level, a.resource_types) for a in storage.actions}
    assert actions == {
        "ListBuckets": ("List", ()),
        "ListBucket": ("List", ("bucket",)),
        "GetObject": ("Read", ("object",)),
        "PutObject": ("Write", ("object",)),
        "DeleteObject": ("Write", ("object",)),
        "CreateBucket": ("Write", ("bucket",)),
        "DeleteBucket": ("Write", ("bucket",)),
        "GetBucketPolicy": ("Read", ("bucket",)),
        "PutBucketPolicy": ("Permissions management", ("bucket",)),
        "TagResource": ("Tagging", ("bucket", "object")),
    }
    assert dict(storage.condition_keys) == {"storage:prefix": "String", "aws:ResourceTag/${TagKey}": "String"}
    arns = {rt.name: rt.arn_pattern for rt in storage.resource_types}
    # S3's shape: no region, no account.
    assert arns == {
        "bucket": "arn:${Partition}:storage:::${BucketName}",
        "object": "arn:${Partition}:storage:::${BucketName}/${ObjectName}",
    }


def test_all_actions_is_the_engine_catalogue():
    catalogue = all_actions()
    assert len(catalogue) == sum(len(s.actions) for s in SERVICES)
    assert all(name == name.lower() and name.count(":") == 1 for name in catalogue)
    assert set(catalogue.values()) <= set(ACCESS_LEVELS)
    assert catalogue["iam:addusertogroup"] == "Write"
    assert catalogue["sts:assumerole"] == "Write"
    assert catalogue["storage:getobject"] == "Read"


# --------------------------------------------------------------------------------------------
# Built-in policies
# --------------------------------------------------------------------------------------------

BY_NAME = {policy.name: policy for policy in BUILTIN_POLICIES}


def test_builtin_names_and_arns_are_unique():
    assert len(BY_NAME) == len(BUILTIN_POLICIES)
    assert len({p.arn for p in BUILTIN_POLICIES}) == len(BUILTIN_POLICIES)
    assert set(BY_NAME) == {
        "AdministratorAccess",
        "IAMFullAccess",
        "IAMReadOnlyAccess",
        "ReadOnlyAccess",
        "SelfService",
    }


@pytest.mark.parametrize("policy", BUILTIN_POLICIES, ids=lambda p: p.name)
def test_builtin_arn_is_prefix_path_and_name(policy):
    assert policy.path.startswith("/") and policy.path.endswith("/")
    assert policy.arn == f"{AWS_MANAGED_ARN_PREFIX}{policy.path}{policy.name}"
    assert policy.description


def test_aws_mirrors_keep_aws_names_and_arns():
    mirrors = {p.name: p.arn for p in BUILTIN_POLICIES if p.mirrors_aws}
    assert mirrors == {
        "AdministratorAccess": "arn:aws:iam::aws:policy/AdministratorAccess",
        "IAMFullAccess": "arn:aws:iam::aws:policy/IAMFullAccess",
        "IAMReadOnlyAccess": "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
        "ReadOnlyAccess": "arn:aws:iam::aws:policy/ReadOnlyAccess",
    }
    assert BY_NAME["SelfService"].arn == "arn:aws:iam::aws:policy/iamconsole/SelfService"
    assert BY_NAME["SelfService"].path == "/iamconsole/"
    assert "compact equivalent" in BY_NAME["ReadOnlyAccess"].description


@pytest.mark.parametrize("policy", BUILTIN_POLICIES, ids=lambda p: p.name)
def test_builtin_documents_follow_aws_grammar(policy):
    document = policy.document
    assert json.loads(json.dumps(document)) == document
    assert set(document) == {"Version", "Statement"}
    assert document["Version"] == "2012-10-17"
    sids = []
    for statement in _statements(document):
        assert statement["Effect"] in ("Allow", "Deny")
        assert "Principal" not in statement and "NotPrincipal" not in statement
        assert "Action" in statement and "Resource" in statement
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}
        if "Sid" in statement:
            assert SID.match(statement["Sid"]), statement["Sid"]
            sids.append(statement["Sid"])
    assert len(sids) == len(set(sids))


@pytest.mark.parametrize("policy", BUILTIN_POLICIES, ids=lambda p: p.name)
def test_builtin_actions_are_in_the_catalogue(policy):
    catalogue = all_actions()
    for statement in _statements(policy.document):
        for pattern in _as_list(statement["Action"]):
            if "*" in pattern or "?" in pattern:
                regex = _pattern(pattern)
                assert any(regex.match(name) for name in catalogue), f"{pattern} matches nothing"
            else:
                assert pattern.lower() in catalogue, f"{pattern} is not in the catalogue"


@pytest.mark.parametrize("policy", BUILTIN_POLICIES, ids=lambda p: p.name)
@pytest.mark.parametrize("with_catalogue", [False, True], ids=["plain", "catalogue"])
def test_builtin_documents_pass_the_engine(policy, with_catalogue):
    catalogue = all_actions() if with_catalogue else None
    findings = validate_policy(policy.document, kind=PolicyKind.IDENTITY, catalogue=catalogue)
    assert [f for f in findings if f.level is Level.ERROR] == []
    unknown = {"UNKNOWN_SERVICE", "UNKNOWN_ACTION", "NO_MATCHING_ACTION"}
    assert [f for f in findings if f.code in unknown] == []
    if policy.name not in ("AdministratorAccess", "IAMFullAccess"):
        assert [f for f in findings if f.level is not Level.SUGGESTION] == []


def test_builtin_documents_pass_as_boundaries_too():
    for policy in BUILTIN_POLICIES:
        findings = validate_policy(policy.document, kind=PolicyKind.BOUNDARY)
        assert [f for f in findings if f.level is Level.ERROR] == [], policy.name


def test_read_only_access_grants_every_list_and_read_action_and_nothing_else():
    catalogue = all_actions()
    credential_issuing = {"sts:getsessiontoken", "sts:getfederationtoken", "sts:getservicebearertoken"}
    reading = {name for name, level in catalogue.items() if level in ("List", "Read")}
    assert _allowed_actions(BY_NAME["ReadOnlyAccess"].document) == reading - credential_issuing


def test_iam_read_only_access_grants_only_list_and_read():
    catalogue = all_actions()
    granted = _allowed_actions(BY_NAME["IAMReadOnlyAccess"].document)
    assert granted and {catalogue[name] for name in granted} <= {"List", "Read"}
    assert {"iam:getuser", "iam:listusers", "iam:generatecredentialreport"} <= granted


def test_self_service_covers_the_users_own_credentials():
    document = BY_NAME["SelfService"].document
    granted = _allowed_actions(document)
    expected = {
        f"iam:{name}".lower()
        for name in [
            "GetUser",
            "ListGroupsForUser",
            "ListAttachedUserPolicies",
            "ListUserPolicies",
            "GetUserPolicy",
            "ListUserTags",
            "ListAccessKeys",
            "GetAccessKeyLastUsed",
            "ListMFADevices",
            "GetLoginProfile",
            "SimulatePrincipalPolicy",
            "GetContextKeysForPrincipalPolicy",
            "ChangePassword",
            "GetAccountPasswordPolicy",
            "CreateAccessKey",
            "UpdateAccessKey",
            "DeleteAccessKey",
            "CreateVirtualMFADevice",
            "EnableMFADevice",
            "ResyncMFADevice",
            "DeactivateMFADevice",
            "DeleteVirtualMFADevice",
            "ListVirtualMFADevices",
            "ListSessions",
            "RevokeSession",
        ]
    }
    assert granted == expected
    star_only = {"iam:getaccountpasswordpolicy", "iam:listvirtualmfadevices"}
    for statement in _statements(document):
        resources = _as_list(statement["Resource"])
        actions = {a.lower() for a in _as_list(statement["Action"])}
        if actions <= star_only:
            assert resources == ["*"]
            continue
        assert "*" not in resources
        assert all("${aws:username}" in resource for resource in resources)
        if actions & {"iam:getuser", "iam:changepassword", "iam:createaccesskey", "iam:enablemfadevice"}:
            assert "arn:aws:iam::*:user/${aws:username}" in resources
            assert "arn:aws:iam::*:user/*/${aws:username}" in resources


@pytest.mark.parametrize(
    ("action", "resource", "context", "outcome"),
    [
        ("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/alice", {}, Outcome.ALLOW),
        ("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/staff/alice", {}, Outcome.ALLOW),
        ("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/alice", {}, Outcome.ALLOW),
        ("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/bob", {}, Outcome.IMPLICIT_DENY),
        ("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/staff/bob", {}, Outcome.IMPLICIT_DENY),
        ("iam:ChangePassword", f"arn:aws:iam::{ACCOUNT}:user/bob", {}, Outcome.IMPLICIT_DENY),
        ("iam:AttachUserPolicy", f"arn:aws:iam::{ACCOUNT}:user/alice", {}, Outcome.IMPLICIT_DENY),
        ("iam:CreateVirtualMFADevice", f"arn:aws:iam::{ACCOUNT}:mfa/alice", {}, Outcome.ALLOW),
        ("iam:DeactivateMFADevice", f"arn:aws:iam::{ACCOUNT}:user/alice", {}, Outcome.IMPLICIT_DENY),
        (
            "iam:DeactivateMFADevice",
            f"arn:aws:iam::{ACCOUNT}:user/alice",
            {"aws:MultiFactorAuthPresent": "true"},
            Outcome.ALLOW,
        ),
        ("iam:GetAccountPasswordPolicy", "*", {}, Outcome.ALLOW),
    ],
)
def test_self_service_decisions(action, resource, context, outcome):
    principal = f"arn:aws:iam::{ACCOUNT}:user/alice"
    request = Request(principal, action, resource, {"aws:username": "alice", **context})
    decision = authorize(request, identity=[BY_NAME["SelfService"].document], account_id=ACCOUNT)
    assert not decision.errors, decision.errors
    assert decision.outcome is outcome


@pytest.mark.parametrize("policy", BUILTIN_POLICIES, ids=lambda p: p.name)
def test_builtin_documents_use_condition_keys_their_actions_have(policy):
    findings = validate_policy(policy.document, **catalogue_data.validation_catalogue())
    checks = {"UNKNOWN_CONDITION_KEY", "CONDITION_TYPE_MISMATCH"}
    assert [str(f) for f in findings if f.code in checks] == []


def test_the_validation_catalogue_gives_each_action_its_resource_types_keys():
    action_keys = catalogue_data.validation_catalogue()["action_keys"]
    # AWS's table: AttachUserPolicy has iam:PolicyARN and iam:PermissionsBoundary itself, and its
    # resource type, user, has iam:ResourceTag/${TagKey}.
    assert {"iam:PolicyARN", "iam:PermissionsBoundary", "iam:ResourceTag/${TagKey}"} <= set(
        action_keys["iam:attachuserpolicy"]
    )
    assert "iam:PolicyARN" not in action_keys["iam:createuser"]
    types = catalogue_data.validation_catalogue()["key_types"]
    assert (types["iam:PolicyARN"], types["aws:SourceIp"]) == ("ARN", "IPAddress")
