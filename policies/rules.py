"""Which IAM actions each change of policies needs (identities.rules explains the table).

As in AWS: CreatePolicyVersion alone may make the new version the default (a known
escalation route, which the escalation report flags); switching the default among
existing versions is SetDefaultPolicyVersion. Attaching, detaching and setting a
boundary carry the policy's ARN as iam:PolicyARN or iam:PermissionsBoundary.
"""

from identities.context import Target
from identities.models import Group, Role, User
from identities.rules import Check, new_target, rule, subject
from policies import services
from policies.aws_import import apply_import
from policies.models import ManagedPolicy


def _kind(identity) -> str:
    for model, kind in ((User, "User"), (Group, "Group"), (Role, "Role")):
        if isinstance(identity, model):
            return kind
    raise TypeError(f"{identity!r} is not a user, group or role.")


def _with(identity, key: str, policy) -> Target:
    """The identity as the resource, with the policy's ARN as a request key (once chosen)."""
    if policy is None:
        return Target(identity.arn, keys_known=False)
    return Target(identity.arn, {key: policy.arn})


# Managed policies and versions


@rule(services.create_policy)
def _create_policy(*, policy_name=None, path="/", **_):
    yield Check("iam:CreatePolicy", new_target("policy", path, policy_name))


@rule(services.create_policy_version)
def _create_policy_version(*, policy=None, **_):
    yield Check("iam:CreatePolicyVersion", subject(policy))


@rule(services.set_default_version)
def _set_default_version(*, version=None, policy=None, **_):
    yield Check("iam:SetDefaultPolicyVersion", subject(policy) if version is None else version.policy)


@rule(services.delete_policy_version)
def _delete_policy_version(*, version=None, policy=None, **_):
    yield Check("iam:DeletePolicyVersion", subject(policy) if version is None else version.policy)


@rule(services.update_policy)
def _update_policy(*, policy=None, **_):
    # AWS has no action for a policy's description; the console files it under CreatePolicyVersion.
    yield Check("iam:CreatePolicyVersion", subject(policy))


@rule(services.delete_policy)
def _delete_policy(*, policy: ManagedPolicy | None = None, detach_everywhere=False, **_):
    yield Check("iam:DeletePolicy", subject(policy))
    if policy is None or not detach_everywhere:
        return
    for attachment in policy.attachments.select_related("user", "group", "role"):
        yield Check(f"iam:Detach{_kind(attachment.owner)}Policy", _with(attachment.owner, "iam:PolicyARN", policy))
    for boundary in policy.boundaries.select_related("user", "role"):
        owner = boundary.user or boundary.role
        yield Check(f"iam:Delete{_kind(owner)}PermissionsBoundary", owner)


# Attachments, inline policies and boundaries


@rule(services.attach_policy)
def _attach_policy(*, identity, policy=None, **_):
    yield Check(f"iam:Attach{_kind(identity)}Policy", _with(identity, "iam:PolicyARN", policy))


@rule(services.detach_policy)
def _detach_policy(*, identity, policy=None, **_):
    yield Check(f"iam:Detach{_kind(identity)}Policy", _with(identity, "iam:PolicyARN", policy))


@rule(services.replace_policies)
def _replace_policies(*, identity, policy_name=None, path="/", replaced=(), **_):
    yield from _create_policy(policy_name=policy_name, path=path)
    # The policy to attach does not exist yet: its ARN is the one it will have.
    created = ManagedPolicy(policy_name=policy_name, path=path) if policy_name else None
    yield from _attach_policy(identity=identity, policy=created)
    for old in replaced:
        yield from _detach_policy(identity=identity, policy=old)


@rule(services.put_inline_policy)
def _put_inline_policy(*, identity, **_):
    yield Check(f"iam:Put{_kind(identity)}Policy", identity)


@rule(services.delete_inline_policy)
def _delete_inline_policy(*, inline=None, identity=None, **_):
    owner = identity if inline is None else inline.owner
    yield Check(f"iam:Delete{_kind(owner)}Policy", owner)


@rule(services.set_permissions_boundary)
def _set_permissions_boundary(*, identity, policy=None, **_):
    yield Check(f"iam:Put{_kind(identity)}PermissionsBoundary", _with(identity, "iam:PermissionsBoundary", policy))


@rule(services.delete_permissions_boundary)
def _delete_permissions_boundary(*, identity, **_):
    yield Check(f"iam:Delete{_kind(identity)}PermissionsBoundary", identity)


# Guardrails and the catalogue


@rule(services.save_guardrail)
def _save_guardrail(*, guardrail_name=None, guardrail=None, **_):
    if guardrail is None:
        yield Check("iam:CreateGuardrail", new_target("guardrail", "/", guardrail_name))
        return
    yield Check("iam:UpdateGuardrail", guardrail)
    if guardrail_name and guardrail_name != getattr(guardrail, "guardrail_name", guardrail_name):
        yield Check("iam:UpdateGuardrail", new_target("guardrail", "/", guardrail_name))


@rule(services.delete_guardrail)
def _delete_guardrail(*, guardrail=None, **_):
    yield Check("iam:DeleteGuardrail", subject(guardrail))


@rule(services.save_catalog_service)
def _save_catalog_service(*, prefix=None, service=None, **_):
    yield Check("iam:PutCatalogService", service if service is not None else new_target("catalog-service", "/", prefix))


@rule(services.save_catalog_action, services.delete_catalog_action)
def _change_catalog_action(*, action, **_):
    yield Check("iam:PutCatalogService", action.service)


@rule(services.delete_catalog_service)
def _delete_catalog_service(*, service=None, **_):
    yield Check("iam:DeleteCatalogService", subject(service))


@rule(apply_import)
def _apply_import(**_):
    # The console's own action: an import is one change of many identities, in one transaction.
    yield Check("iam:ImportAccountAuthorizationDetails", Target("*"))


# The assessment


@rule(services.acknowledge_finding)
def _acknowledge_finding(*, target_arn=None, **_):
    # The console's own action, on the entity the finding is about ("*" for the account's own,
    # such as its guardrails), so a root user's finding is root's alone to accept.
    if target_arn is None:
        yield Check("iam:AcknowledgeFinding", subject(None))
        return
    yield Check("iam:AcknowledgeFinding", Target(target_arn or "*"))


# Access expectations


@rule(services.put_access_expectation)
def _put_access_expectation(*, definition=None, **_):
    name = definition.get("name") if isinstance(definition, dict) else getattr(definition, "name", None)
    yield Check(
        "iamconsole:PutAccessExpectation",
        new_target("access-expectation", "/", name if isinstance(name, str) else None),
    )


@rule(services.record_expectation_checks)
def _record_expectation_checks(**_):
    # Checking changes no expectation and no access: whoever may list them may check them now.
    yield Check("iamconsole:ListAccessExpectations", Target("*"))


@rule(services.delete_access_expectation)
def _delete_access_expectation(*, expectation=None, **_):
    yield Check("iamconsole:DeleteAccessExpectation", subject(expectation))
