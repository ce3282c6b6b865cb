"""The routes a principal takes with its own credentials: change its policies, groups,
boundary, keys and passwords of others, the trust of roles, Denies and guardrails."""

from policies.engine import may_allow
from policies.escalation.world import (
    STRONGEST_POLICY_ARN,
    TARGETS_SHOWN,
    EscalationPath,
    _allowed,
    _Principal,
    _targets,
    _World,
)

# An action no catalogue lists: only an allow-all guardrail allows it.
_UNNAMED_ACTION = "xyzzy1:Plugh1"


def policy_paths(world: _World, principal: _Principal):
    """A customer managed policy attached to the principal (or its groups) that it may change."""
    for policy_id in principal.policy_ids:
        policy = world.policies[policy_id]
        if policy.read_only:
            continue
        # As in AWS, CreatePolicyVersion alone may make the new version the default.
        if _allowed(principal, "iam:CreatePolicyVersion", policy.arn):
            yield EscalationPath(
                "modify-policy",
                f"Write a new default version of {policy.policy_name}, which applies to it.",
                (f"iam:CreatePolicyVersion on {policy.arn} (with SetAsDefault)",),
            )
        set_default = _allowed(principal, "iam:SetDefaultPolicyVersion", policy.arn)
        if set_default and policy.version_count > 1:
            yield EscalationPath(
                "older-version",
                f"Make another of the {policy.version_count} versions of {policy.policy_name} the default.",
                (f"iam:SetDefaultPolicyVersion on {policy.arn}",),
            )


def _self_paths(world: _World, principal: _Principal):
    """Attach or put a policy on itself or on a group it is in; loosen its own boundary."""
    kind = principal.kind.title()
    owners = [(kind, principal.arn, "itself")]
    if any(may_allow(principal.layers.identity, f"iam:{verb}GroupPolicy") for verb in ("Attach", "Put")):
        owners += [
            ("Group", world.groups[gid].arn, f"its group {world.groups[gid].group_name}") for gid in principal.groups
        ]
    for owner_kind, arn, label in owners:
        if _allowed(principal, f"iam:Attach{owner_kind}Policy", arn, {"iam:PolicyARN": STRONGEST_POLICY_ARN}):
            yield EscalationPath(
                "attach-policy",
                f"Attach any managed policy, AdministratorAccess included, to {label}.",
                (f"iam:Attach{owner_kind}Policy on {arn}",),
            )
        if _allowed(principal, f"iam:Put{owner_kind}Policy", arn):
            yield EscalationPath(
                "put-policy",
                f"Write an inline policy granting anything on {label}.",
                (f"iam:Put{owner_kind}Policy on {arn}",),
            )
    if principal.bounded and _allowed(principal, f"iam:Delete{kind}PermissionsBoundary", principal.arn):
        yield EscalationPath(
            "remove-boundary",
            "Remove its own permission boundary.",
            (f"iam:Delete{kind}PermissionsBoundary on {principal.arn}",),
        )
    strongest = {"iam:PermissionsBoundary": STRONGEST_POLICY_ARN}
    if principal.bounded and _allowed(principal, f"iam:Put{kind}PermissionsBoundary", principal.arn, strongest):
        yield EscalationPath(
            "remove-boundary",
            "Replace its own permission boundary with AdministratorAccess, which bounds nothing.",
            (f"iam:Put{kind}PermissionsBoundary on {principal.arn}",),
        )


def group_paths(world: _World, principal: _Principal):
    """Join a group whose policies it does not have yet."""
    if principal.kind != "user":
        return
    for group in _targets(principal, "iam:AddUserToGroup", world.groups_by_name, world.groups.values()):
        if group.pk in principal.groups:
            continue
        gained = world.group_labels[group.pk] - principal.labels
        if gained and _allowed(principal, "iam:AddUserToGroup", group.arn):
            yield EscalationPath(
                "join-group",
                f"Add itself to {group.group_name} and gain {', '.join(sorted(_short(label) for label in gained))}.",
                (f"iam:AddUserToGroup on {group.arn}",),
            )


def _short(label: str) -> str:
    """A source label as a reader names the policy: its name, or its name marked inline."""
    arn, _, rest = label.partition(" ")
    if rest.startswith("inline "):
        return f"{rest.removeprefix('inline ')} (inline)"
    return arn.rsplit("/", 1)[-1]


def role_paths(world: _World, principal: _Principal):
    """Rewrite a role's trust policy to name itself, then assume the role: one path listing
    every role it may do that to (a broad principal reaches hundreds)."""
    roles = [
        role
        for role in world.roles
        if role.arn != principal.arn and _allowed(principal, "iam:UpdateAssumeRolePolicy", role.arn)
    ]
    if len(roles) == 1:
        (role,) = roles
        yield EscalationPath(
            "trust-and-assume",
            f"Trust itself in {role.role_name}'s trust policy, then act as {role.role_name}.",
            (f"iam:UpdateAssumeRolePolicy on {role.arn}", f"sts:AssumeRole on {role.arn}"),
        )
    elif roles:
        yield EscalationPath(
            "trust-and-assume",
            f"Trust itself in the trust policy of any of {len(roles)} roles, then act as that role.",
            ("iam:UpdateAssumeRolePolicy on the role", "sts:AssumeRole on the role"),
            tuple(role.arn for role in roles),
        )


def key_paths(world: _World, principal: _Principal):
    """Create an access key for another user, and act as that user."""
    others = []
    for user in _targets(principal, "iam:CreateAccessKey", world.users_by_name, world.users):
        if user.arn != principal.arn and _allowed(principal, "iam:CreateAccessKey", user.arn):
            others.append(user.username)
            if len(others) > TARGETS_SHOWN:
                break
    if others:
        shown = ", ".join(others[:TARGETS_SHOWN]) + (" and others" if len(others) > TARGETS_SHOWN else "")
        first = next(user.arn for user in world.users if user.username == others[0])
        yield EscalationPath(
            "create-keys",
            f"Create an access key for another user ({shown}), then act as that user.",
            (f"iam:CreateAccessKey on {first}", "sign requests with that key"),
        )


def login_paths(world: _World, principal: _Principal):
    """Give another user a password, or replace theirs, then sign in to the console as them."""
    for action, has_password in (("iam:CreateLoginProfile", False), ("iam:UpdateLoginProfile", True)):
        others = []
        for user in _targets(principal, action, world.users_by_name, world.users):
            if user.arn == principal.arn or (user.pk in world.with_password) is not has_password:
                continue
            if _allowed(principal, action, user.arn):
                others.append(user)
                if len(others) > TARGETS_SHOWN:
                    break
        if others:
            shown = ", ".join(user.username for user in others[:TARGETS_SHOWN])
            shown += " and others" if len(others) > TARGETS_SHOWN else ""
            verb = "Replace the password of" if has_password else "Give a password to"
            yield EscalationPath(
                "login-profile",
                f"{verb} another user ({shown}), then sign in to the console as that user.",
                (f"{action} on {others[0].arn}", "sign in with that password"),
            )


# The console's own action (the federation app's): whoever holds the identity at the provider
# that a user is bound to signs in as that user. Root is never bound.
BIND = "iamconsole:BindFederatedIdentity"


def federation_paths(world: _World, principal: _Principal):
    """Bind another user to an identity at the identity provider, then sign in as that user."""
    others = []
    for user in _targets(principal, BIND, world.users_by_name, world.users):
        if user.arn != principal.arn and not user.is_superuser and _allowed(principal, BIND, user.arn):
            others.append(user)
            if len(others) > TARGETS_SHOWN:
                break
    if others:
        shown = ", ".join(user.username for user in others[:TARGETS_SHOWN])
        shown += " and others" if len(others) > TARGETS_SHOWN else ""
        yield EscalationPath(
            "bind-identity",
            f"Bind another user ({shown}) to an identity at the identity provider, then sign in as that user.",
            (f"{BIND} on {others[0].arn}", "sign in through the identity provider with that identity"),
        )


def _denies(document) -> bool:
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    statements = [statements] if isinstance(statements, dict) else statements
    return any(isinstance(item, dict) and item.get("Effect") == "Deny" for item in statements)


def deny_paths(world: _World, principal: _Principal):
    """Detach, or delete, a policy with a Deny that applies to it: its own or a group's."""
    owners = [(principal.owner, principal.kind.title(), principal.arn, "itself")]
    owners += [
        (("group", gid), "Group", world.groups[gid].arn, world.groups[gid].group_name) for gid in principal.groups
    ]
    documents, identity = world.account.documents, principal.layers.identity
    for owner, kind, arn, label in owners:
        detach = may_allow(identity, f"iam:Detach{kind}Policy")
        for policy_id in documents.attached.get(owner, []) if detach else ():
            policy = world.policies[policy_id]
            if not _denies(documents.versions[policy_id][1]):
                continue
            if _allowed(principal, f"iam:Detach{kind}Policy", arn, {"iam:PolicyARN": policy.arn}):
                yield EscalationPath(
                    "remove-deny",
                    f"Detach {policy.policy_name}, whose Deny applies to it, from {label}.",
                    (f"iam:Detach{kind}Policy on {arn}",),
                )
        delete = may_allow(identity, f"iam:Delete{kind}Policy")
        for source, document in documents.inline.get(owner, []) if delete else ():
            if _denies(document) and _allowed(principal, f"iam:Delete{kind}Policy", arn):
                yield EscalationPath(
                    "remove-deny",
                    f"Delete {source.rpartition(' inline ')[2]}, an inline policy of {label} whose Deny applies to it.",
                    (f"iam:Delete{kind}Policy on {arn}",),
                )


def guardrail_paths(world: _World, principal: _Principal):
    """Change or delete a guardrail that denies something; or add an Allow to a level that
    lacks one for some action (guardrails grant nothing, so only those widen anything)."""
    levels = world.account.documents.guardrails
    for sources in levels:
        for arn, document in sources:
            if not _denies(document):
                continue
            for action in ("iam:UpdateGuardrail", "iam:DeleteGuardrail"):
                if _allowed(principal, action, arn):
                    yield EscalationPath(
                        "edit-guardrail",
                        f"Change or delete the guardrail {arn.rsplit('/', 1)[-1]}, whose Deny binds everyone.",
                        (f"{action} on {arn}",),
                    )
                    break
    narrow = [level for level in world.account.guardrails or () if not may_allow(level, _UNNAMED_ACTION)]
    if narrow and _allowed(principal, "iam:CreateGuardrail", "*"):
        yield EscalationPath(
            "edit-guardrail",
            "Create a guardrail that allows what a level of guardrails allows no one.",
            ("iam:CreateGuardrail",),
        )


def pass_role_paths(principal: _Principal):
    if _allowed(principal, "iam:PassRole", "*"):
        yield EscalationPath(
            "pass-role",
            "Pass any role to a service, which then acts with that role's permissions.",
            ("iam:PassRole on *",),
        )


# The console's own action (iamconsole:ApproveAccessRequest, the access app's): approving a request
# makes the change it asks for. No one approves their own request, so this route needs a second
# person: someone else who asks, or a user whose credentials the principal may use.
APPROVE = "iamconsole:ApproveAccessRequest"


def approval_paths(world: _World, principal: _Principal):
    """Approve access requests for groups whose policies it lacks, for roles, or for
    iam:PutUserPolicy on every user (which grants anything)."""
    if not may_allow(principal.layers.identity, APPROVE):
        return
    groups = [
        group
        for group in _targets(principal, APPROVE, world.groups_by_name, world.groups.values())
        if world.group_labels[group.pk] - principal.labels
        and _allowed(principal, APPROVE, group.arn, {"iamconsole:RequestedGroup": group.arn})
    ]
    roles = [
        role for role in world.roles if _allowed(principal, APPROVE, role.arn, {"iamconsole:RequestedRole": role.arn})
    ]
    steps = (f"{APPROVE} on the requested group or role", "another user asks, or one whose credentials it holds")
    targets = tuple(item.arn for item in (*groups, *roles))
    if targets:
        names = ", ".join(item.name for item in (*groups, *roles)[:TARGETS_SHOWN])
        more = f" and {len(targets) - TARGETS_SHOWN} more" if len(targets) > TARGETS_SHOWN else ""
        yield EscalationPath(
            "approve-request",
            f"Approve requests for {names}{more}, never its own: with another person, or as a user it may act as.",
            steps,
            targets if len(targets) > 1 else (),
        )
    account = principal.arn.split(":")[4]
    everyone = f"arn:aws:iam::{account}:user/*"
    if _allowed(principal, APPROVE, everyone, {"iamconsole:RequestedAction": "iam:PutUserPolicy"}):
        yield EscalationPath(
            "approve-request",
            "Approve a request for iam:PutUserPolicy on every user, which grants anything, never its own.",
            (f"{APPROVE} on {everyone} (iamconsole:RequestedAction iam:PutUserPolicy)",),
        )
