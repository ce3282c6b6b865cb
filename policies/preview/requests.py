"""A change described as plain data (the API's body, a console form's fields) to the
service and arguments a preview makes it with. Every ARN must name something that exists;
anything else is a ChangeError with a message for the caller, before anything is tried."""

from collections.abc import Callable

from django.conf import settings

from identities import jsoninput
from identities import services as identity_services
from identities.models import Group, Role, User
from policies import services
from policies.authorization import path_and_name, split_iam_arn
from policies.models import Guardrail, InlinePolicy, ManagedPolicy


class ChangeError(ValueError):
    """The description names no change, or something that does not exist."""


def _identity(value, field: str, kinds=("user", "group", "role")):
    parsed = split_iam_arn(value) if isinstance(value, str) else None
    if parsed is None or parsed[0] != "iam" or parsed[2] not in kinds or parsed[1] != settings.IAM_ACCOUNT_ID:
        raise ChangeError(f"{field} is the ARN of a {' or '.join(kinds)} of this account.")
    path, name = path_and_name(parsed[3])
    model, name_field = {"user": (User, "username"), "group": (Group, "group_name"), "role": (Role, "role_name")}[
        parsed[2]
    ]
    found = model.objects.filter(**{name_field: name, "path": path}).first()
    if found is None or getattr(found, "is_superuser", False):
        raise ChangeError(f"{field}: no {parsed[2]} is {value}.")
    return found


def _policy(value, field: str = "policy") -> ManagedPolicy:
    if not isinstance(value, str) or not value:
        raise ChangeError(f"{field} is the ARN of a managed policy.")
    name = value.rsplit("/", 1)[-1]
    found = next((policy for policy in ManagedPolicy.objects.filter(policy_name=name) if policy.arn == value), None)
    if found is None:
        raise ChangeError(f"{field}: no managed policy is {value}.")
    return found


def _text(data: dict, field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value:
        raise ChangeError(f"{field} is required.")
    return value


def _document(data: dict, field: str = "document"):
    value = data.get(field)
    if not isinstance(value, (dict, str)) or not value:
        raise ChangeError(f"{field} is a policy document (a JSON object, or its text).")
    return value


def _trust_policy(data: dict) -> dict:
    """A trust policy as a JSON object (its text is read here: the service takes an object)."""
    value = _document(data, "trust_policy")
    if isinstance(value, str):
        try:
            value = jsoninput.loads(value)
        except ValueError as error:
            raise ChangeError(f"trust_policy is not JSON: {error}.") from None
    if not isinstance(value, dict):
        raise ChangeError("trust_policy is a JSON object.")
    return value


def _users(data: dict) -> list[User]:
    values = data.get("users")
    if not isinstance(values, list) or not values:
        raise ChangeError("users is a non-empty list of user ARNs.")
    return [_identity(value, f"users[{index}]", ("user",)) for index, value in enumerate(values)]


def _inline(data: dict) -> InlinePolicy:
    identity = _identity(data.get("identity"), "identity")
    name = _text(data, "policy_name")
    kind = identity._meta.model_name
    found = InlinePolicy.objects.filter(**{kind: identity, "policy_name": name}).first()
    if found is None:
        raise ChangeError(f"{identity.arn} has no inline policy {name}.")
    return found


def _policies(data: dict, field: str) -> list[ManagedPolicy]:
    values = data.get(field, [])
    if not isinstance(values, list):
        raise ChangeError(f"{field} is a list of managed policy ARNs.")
    return [_policy(value, f"{field}[{index}]") for index, value in enumerate(values)]


def _version(data: dict):
    policy = _policy(data.get("policy"))
    number = data.get("version")
    whole = isinstance(number, int) and not isinstance(number, bool) and 0 < number < 2**31
    found = policy.versions.filter(number=number).first() if whole else None
    if found is None:
        raise ChangeError(f"version is the number of one of {policy.arn}'s versions.")
    return found


def _guardrail(data: dict) -> dict:
    name = _text(data, "guardrail_name")
    level = data.get("level", 1)
    if not isinstance(level, int) or isinstance(level, bool) or not 0 < level < 2**31:
        raise ChangeError("level is a positive whole number.")
    # `existing`: the name of the guardrail being changed, when the change renames it.
    existing = Guardrail.objects.filter(guardrail_name=data.get("existing") or name).first()
    based_on = services.guardrail_token(existing) if existing is not None else None
    return {
        "guardrail_name": name,
        "document": _document(data),
        "level": level,
        "guardrail": existing,
        "based_on": based_on,
    }


def _stored_guardrail(data: dict) -> Guardrail:
    name = _text(data, "guardrail_name")
    found = Guardrail.objects.filter(guardrail_name=name).first()
    if found is None:
        raise ChangeError(f"guardrail_name: no guardrail is named {name}.")
    return found


# Each kind: the service, and its arguments from the description.
KINDS: dict[str, tuple[Callable, Callable[[dict], dict]]] = {
    "attach-policy": (
        services.attach_policy,
        lambda d: {"identity": _identity(d.get("identity"), "identity"), "policy": _policy(d.get("policy"))},
    ),
    "detach-policy": (
        services.detach_policy,
        lambda d: {"identity": _identity(d.get("identity"), "identity"), "policy": _policy(d.get("policy"))},
    ),
    "add-members": (
        identity_services.add_members,
        lambda d: {"group": _identity(d.get("group"), "group", ("group",)), "users": _users(d)},
    ),
    "remove-members": (
        identity_services.remove_members,
        lambda d: {"group": _identity(d.get("group"), "group", ("group",)), "users": _users(d)},
    ),
    "create-policy-version": (
        services.create_policy_version,
        lambda d: {
            "policy": _policy(d.get("policy")),
            "document": _document(d),
            "set_as_default": d.get("set_as_default", True) is not False,
        },
    ),
    "set-default-version": (services.set_default_version, lambda d: {"version": _version(d)}),
    "put-inline-policy": (
        services.put_inline_policy,
        lambda d: {
            "identity": _identity(d.get("identity"), "identity"),
            "policy_name": _text(d, "policy_name"),
            "document": _document(d),
        },
    ),
    "delete-inline-policy": (services.delete_inline_policy, lambda d: {"inline": _inline(d)}),
    "replace-policies": (
        services.replace_policies,
        lambda d: {
            "identity": _identity(d.get("identity"), "identity"),
            "policy_name": _text(d, "policy_name"),
            "document": _document(d),
            "replaced": _policies(d, "replaced"),
        },
    ),
    "set-permissions-boundary": (
        services.set_permissions_boundary,
        lambda d: {
            "identity": _identity(d.get("identity"), "identity", ("user", "role")),
            "policy": _policy(d.get("policy")),
        },
    ),
    "delete-permissions-boundary": (
        services.delete_permissions_boundary,
        lambda d: {"identity": _identity(d.get("identity"), "identity", ("user", "role"))},
    ),
    "save-guardrail": (services.save_guardrail, _guardrail),
    "delete-guardrail": (services.delete_guardrail, lambda d: {"guardrail": _stored_guardrail(d)}),
    "delete-policy": (
        services.delete_policy,
        lambda d: {"policy": _policy(d.get("policy")), "detach_everywhere": d.get("detach_everywhere") is True},
    ),
    "assign-role": (
        identity_services.assign_role,
        lambda d: {
            "role": _identity(d.get("role"), "role", ("role",)),
            "user": _identity(d.get("user"), "user", ("user",)),
        },
    ),
    "assign-role-to-users": (
        identity_services.assign_role_to_users,
        lambda d: {"role": _identity(d.get("role"), "role", ("role",)), "users": _users(d)},
    ),
    "unassign-role": (
        identity_services.unassign_role,
        lambda d: {
            "role": _identity(d.get("role"), "role", ("role",)),
            "user": _identity(d.get("user"), "user", ("user",)),
        },
    ),
    "update-trust-policy": (
        identity_services.update_trust_policy,
        lambda d: {"role": _identity(d.get("role"), "role", ("role",)), "trust_policy": _trust_policy(d)},
    ),
    "delete-user": (
        identity_services.delete_user,
        lambda d: {
            "user": _identity(d.get("user"), "user", ("user",)),
            "with_credentials_and_memberships": True,
            "with_policies": True,
        },
    ),
    "delete-group": (
        identity_services.delete_group,
        lambda d: {
            "group": _identity(d.get("group"), "group", ("group",)),
            "with_members": True,
            "with_policies": True,
        },
    ),
    "delete-role": (
        identity_services.delete_role,
        lambda d: {"role": _identity(d.get("role"), "role", ("role",)), "with_policies": True},
    ),
}


def change_from(data: dict) -> tuple[Callable, dict]:
    """(service, arguments) of the change `data` describes (its "change" names the kind)."""
    kind = data.get("change")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ChangeError(f"change is one of: {', '.join(KINDS)}.")
    service, arguments = KINDS[kind]
    return service, arguments(data)


def typed_resources(values) -> list[str]:
    """Resources the caller asks about beside those the policies name."""
    if not isinstance(values, list) or not all(isinstance(value, str) and value for value in values):
        raise ChangeError("resources is a list of resource ARNs.")
    if len(values) > 20:
        raise ChangeError("resources holds at most 20 ARNs.")
    return values
