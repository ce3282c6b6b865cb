"""Django's permission API answered by IAM policies: the backend behind `has_perm`.

`user.has_perm("iam:AddUserToGroup", group)` evaluates the acting principal's
policies with the group's ARN as the resource (`*` without an object), with
the request's context when the request is the user's own. An explicit deny
raises PermissionDenied, which the user model's has_perm turns into False, so
one deny never breaks a whole admin page. This backend authenticates nobody.
"""

from django.core.exceptions import PermissionDenied

from identities import generation, naming
from identities.context import context_of
from identities.models import Role, User
from policies import catalogue_data
from policies.authorization import decisions, principals
from policies.engine import Outcome

# Reading any of these admits a user to the admin's app index.
MODULE_READ_ACTIONS = {
    "identities": (
        "iam:ListUsers",
        "iam:ListGroups",
        "iam:ListRoles",
        "iam:ListOpenIDConnectProviders",
        "iam:ListAuditEvents",
    ),
    "policies": ("iam:ListPolicies", "iam:ListGuardrails", "iam:ListCatalogServices"),
}
_READ_LEVELS = {catalogue_data.LIST, catalogue_data.READ}
_LEVELS = catalogue_data.all_actions()


def is_read(action: str) -> bool:
    """Whether the catalogue lists `action` as a List or Read action (anything else is a write)."""
    return _LEVELS.get(action.lower()) in _READ_LEVELS


def targets_root(obj) -> bool:
    """The root user, or something of the root user's (its keys), or its ARN in a target."""
    if isinstance(obj, User):
        return obj.is_superuser
    owner = getattr(obj, "user", None)
    if isinstance(owner, User):
        return owner.is_superuser
    return getattr(obj, "arn", None) == naming.root_arn()


def resource_and_keys(obj) -> tuple[str, dict]:
    """The resource ARN, and the request keys the object brings (its tags as resource tags)."""
    if obj is None:
        return "*", {}
    keys = dict(getattr(obj, "keys", None) or {})
    tags = getattr(obj, "tags", None)
    if isinstance(tags, dict):
        for tag, value in tags.items():
            keys[f"aws:ResourceTag/{tag}"] = value
            keys[f"iam:ResourceTag/{tag}"] = value
    return getattr(obj, "arn", "*") or "*", keys


class PolicyBackend:
    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        if not getattr(user_obj, "is_active", False) or not user_obj.is_authenticated or ":" not in perm:
            return False
        # Only root manages root: no IAM policy reaches a write on the root user.
        if targets_root(obj) and not user_obj.is_superuser and not is_read(perm):
            return False
        resource, keys = resource_and_keys(obj)
        outcome = self._outcome(user_obj, perm, resource, keys, getattr(obj, "keys_known", True), obj)
        if outcome is Outcome.EXPLICIT_DENY:
            raise PermissionDenied(f"{perm} on {resource} is explicitly denied.")
        return outcome is Outcome.ALLOW

    def _outcome(self, user_obj, perm: str, resource: str, keys: dict, keys_known: bool, obj=None) -> Outcome:
        context = context_of(user_obj)
        memo_key = (perm, resource, keys_known, tuple(sorted((k, str(v)) for k, v in keys.items())))
        if context is not None:
            generation.current()  # a generation that moved empties the memo
            if memo_key in context.decisions:
                return context.decisions[memo_key]
        decision = self._decide(user_obj, perm, resource, keys, obj, context)
        outcome = decision.outcome
        if not keys_known and outcome is Outcome.IMPLICIT_DENY and self._possible(user_obj, perm, resource, decision):
            outcome = Outcome.ALLOW
        if context is not None:
            context.decisions[memo_key] = outcome
        return outcome

    @staticmethod
    def _possible(user_obj, perm: str, resource: str, decision) -> bool:
        """Whether a decision asked before the request is known (whether to offer a form)
        could still allow: it only lacks request keys, or, asked about any resource, every
        layer has an Allow naming the action for some resource. The save decides exactly."""
        if decision.missing_context_keys:
            return True
        return resource == "*" and principals.acting_layers(user_obj).may_allow(perm)

    @staticmethod
    def _decide(user_obj, perm: str, resource: str, keys: dict, obj, context):
        values = context.condition_keys() if context is not None else {}
        caller = principals.acting_layers(user_obj)
        if perm.lower() == "sts:assumerole" and isinstance(obj, Role):
            return decisions.assume_role(caller, obj, context=values)
        return decisions.evaluate(caller, perm, resource, {**values, **keys})

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return any(self._allows(user_obj, action) for action in MODULE_READ_ACTIONS.get(app_label, ()))

    def _allows(self, user_obj, action: str) -> bool:
        try:
            return self.has_perm(user_obj, action)
        except PermissionDenied:
            return False
