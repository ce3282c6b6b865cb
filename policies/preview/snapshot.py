"""The account as the engine sees it, read at one moment: every user's and role's layers
and every role's effective trust, all in memory, so a preview can read the state before a
change and after it (inside a savepoint that is then rolled back) and decide both later."""

import json
from dataclasses import dataclass, field

from identities.models import Role, RoleAssignment
from policies import authorization
from policies.authorization.loader import Layers
from policies.engine import PolicyKind, PolicySet, compile_policies


@dataclass(frozen=True)
class Principal:
    """One user or role: its ARN and a fingerprint of what decides for it (equal before and
    after a change: equal decisions, so nothing to try). A user keeps its group of users
    with the same documents (authorization.Sharing), whose layers it takes only when asked."""

    arn: str
    kind: str  # "user" or "role"
    fingerprint: str
    sharing: authorization.Sharing | None = None
    user: authorization.UserRow | None = None
    role_layers: Layers | None = None

    @property
    def layers(self) -> Layers:
        return self.role_layers if self.sharing is None else self.sharing.layers_of(self.user)

    def used_keys(self) -> frozenset[str]:
        """The condition and variable keys (lower case) its documents read."""
        return self.sharing.used if self.sharing is not None else frozenset()


@dataclass
class Snapshot:
    principals: dict[str, Principal] = field(default_factory=dict)
    # Each role's compiled effective trust (None: it trusts no one) and its document's text.
    trusts: dict[str, tuple[PolicySet | None, str]] = field(default_factory=dict)

    @classmethod
    def read(cls) -> "Snapshot":
        """Everything, eagerly: nothing may be left to read after the savepoint is gone."""
        account = authorization.Account(policy_groups_only=True)
        snapshot = cls()
        for sharing in account.sharing(account.active_users()):
            # A user's own keys cannot change in a previewed change: the group's documents decide.
            fingerprint = _fingerprint(sharing.layers)
            for user in sharing.users:
                snapshot.principals[user.arn] = Principal(user.arn, "user", fingerprint, sharing, user)
        roles = list(Role.objects.order_by("role_name"))
        for role in roles:
            layers = account.role_layers(role)
            fingerprint = _fingerprint(layers) + json.dumps(layers.keys, sort_keys=True, default=str)
            snapshot.principals[role.arn] = Principal(role.arn, "role", fingerprint, role_layers=layers)
        snapshot.trusts = _trusts(roles, account)
        return snapshot


def _trusts(roles: list[Role], account: authorization.Account) -> dict[str, tuple[PolicySet | None, str]]:
    arns = account.trusted_arns(roles)
    live: dict[int, list[RoleAssignment]] = {}
    for assignment in RoleAssignment.objects.select_related("user"):
        live.setdefault(assignment.role_id, []).append(assignment)
    found = {}
    for role in roles:
        document, _ = authorization.effective_trust(role, arns=arns, assignments=live.get(role.pk, []))
        compiled = None
        if document["Statement"]:
            compiled = compile_policies([(f"{role.arn} trust policy", document)], kind=PolicyKind.TRUST)
        found[role.arn] = (compiled, json.dumps(document, sort_keys=True))
    return found


def _fingerprint(layers: Layers) -> str:
    """The labels and documents of every layer: an inline policy keeps its label when its
    document changes, so the documents are part of it."""
    labels = [
        [label for label, _ in policy_set.policies]
        for policy_set in (layers.identity, layers.boundary, *(layers.guardrails or ()))
        if policy_set is not None
    ]
    documents = {label: layers.documents.get(label) for group in labels for label in group}
    return json.dumps([labels, documents], sort_keys=True, default=str)
