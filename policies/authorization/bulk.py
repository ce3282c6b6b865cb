"""The whole account at once, for reports: the loader in its bulk mode.

`Account()` reads every document in the same six queries the loader uses for
one principal, then builds any user's or role's layers from memory, compiling
each distinct set of policies once (most users share their groups' policies).
Decisions still go through `decide` and `assume_with`.
"""

import dataclasses
from collections import defaultdict
from functools import cached_property
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from identities import naming, trust
from identities.models import Group, Role, RoleAssignment, User
from policies.authorization import principals
from policies.authorization.loader import (
    Compiler,
    Layers,
    Owner,
    Scope,
    Source,
    account_keys,
    assemble,
    compile_guardrails,
    read,
)
from policies.engine import PolicyKind, PolicySet, condition_keys
from policies.models import InlinePolicy, PolicyAttachment


class UserRow(NamedTuple):
    """A user as a report reads it: what its layers and keys need, without a model instance
    (building 100,000 of those was a third of who-can's time)."""

    pk: int
    username: str
    path: str
    tags: dict
    iam_id: str
    arn: str
    is_superuser: bool = False


class Sharing(NamedTuple):
    """Users whose layers hold the same documents: they differ only in their own keys.

    `layers` are the first user's; `used` the condition and variable keys (lower case)
    that any of those documents reads. Users whose values for those keys are equal get
    the same decision for any request, so a report asks the engine once for them."""

    owners: tuple[Owner, ...]
    layers: Layers
    used: frozenset[str]
    users: list[UserRow]

    def layers_of(self, user: UserRow) -> Layers:
        if user.pk == self.users[0].pk:
            return self.layers
        return dataclasses.replace(self.layers, principal_arn=user.arn, keys=principals.user_keys(user))

    def alike(self) -> list[list[UserRow]]:
        """The users in runs that the engine cannot tell apart: equal values for every used key."""
        if not self.used:
            return [self.users]
        tags = any(key.startswith("aws:principaltag/") for key in self.used)
        runs: dict[tuple, list[UserRow]] = {}
        for user in self.users:
            keys = principals.user_keys(user)
            values = tuple(
                sorted(
                    (key.lower(), repr(value))
                    for key, value in keys.items()
                    if key.lower() in self.used or (tags and key.lower().startswith("aws:principaltag/"))
                )
            )
            runs.setdefault(values, []).append(user)
        return list(runs.values())


class Account:
    def __init__(self, *, policy_groups_only: bool = False):
        """`policy_groups_only`: know only the memberships of groups that hold a policy
        (enough for every principal's layers; not for a report that also joins groups)."""
        self.documents = read(Scope(everyone=True, policy_groups_only=policy_groups_only))
        self.guardrails = compile_guardrails(self.documents.guardrails)
        self._compile = Compiler()
        self._keys_by_label: dict[str, frozenset[str]] = {}

    @property
    def memberships(self) -> dict[int, list[int]]:
        return self.documents.memberships

    def owned(self, owner: Owner) -> list[Source]:
        return self.documents.owned(owner)

    def groups_of(self, user: User) -> list[int]:
        return self.documents.memberships.get(user.pk, [])

    def _layers(self, arn: str, owners: list[Owner], boundary_owner: Owner, keys) -> Layers:
        return assemble(
            arn,
            sources=self.documents.sources(owners),
            boundary=self.documents.boundary(boundary_owner),
            guardrails=self.guardrails,
            guardrail_sources=self.documents.guardrails,
            keys=keys,
            compiler=self._compile,
            valid_until=self.documents.valid_until,
        )

    def user_layers(self, user: User) -> Layers:
        owners = [("user", user.pk), *(("group", group_id) for group_id in self.groups_of(user))]
        return self._layers(user.arn, owners, ("user", user.pk), principals.user_keys(user))

    def active_users(self) -> list[UserRow]:
        """Every active user but root, in the model's order, as plain rows (two queries)."""
        account = settings.IAM_ACCOUNT_ID
        active = User.objects.filter(is_active=True, is_superuser=False)
        tags = dict(active.exclude(tags={}).order_by().values_list("pk", "tags"))  # decode only those that have some
        rows = active.values_list("pk", "username", "path", "iam_id")
        return [
            UserRow(pk, name, path, tags.get(pk, {}), iam_id, naming.build_arn("user", path, name, account_id=account))
            for pk, name, path, iam_id in rows
        ]

    def sharing(self, users: list[UserRow]) -> list[Sharing]:
        """The users grouped by the documents of their layers, compiled once per group: most
        users hold only their groups' policies, and many groups hold none."""
        holders = {*self.documents.inline, *self.documents.attached}
        memberships, boundaries = self.memberships, self.documents.boundaries
        grouped: dict[tuple, list[UserRow]] = {}
        for user in users:
            own = ("user", user.pk)
            holding = (own,) if own in holders else ()
            groups = memberships.get(user.pk)
            if groups:
                holding += tuple(owner for owner in (("group", pk) for pk in groups) if owner in holders)
            grouped.setdefault((holding, boundaries.get(own)), []).append(user)
        found = []
        for (holding, _), members in grouped.items():
            first = members[0]
            layers = self._layers(first.arn, list(holding), ("user", first.pk), principals.user_keys(first))
            read = [layers.identity, layers.boundary, *(layers.guardrails or ())]
            used = frozenset().union(*(self._keys_read(policy_set) for policy_set in read if policy_set is not None))
            found.append(Sharing(holding, layers, used, members))
        return found

    def _keys_read(self, policy_set: PolicySet) -> frozenset[str]:
        """The condition and variable keys (lower case) a set's documents read, each document's
        found once: a group's policy sits in the sets of thousands of users."""
        found = []
        for label, policy in policy_set.policies:
            if label not in self._keys_by_label:
                self._keys_by_label[label] = frozenset(key.lower() for key in condition_keys(policy))
            found.append(self._keys_by_label[label])
        return frozenset().union(*found)

    def role_layers(self, role: Role) -> Layers:
        return self._layers(role.arn, [("role", role.pk)], ("role", role.pk), principals.role_keys(role))

    def group_layers(self, group: Group) -> Layers:
        """A group's policies alone, as principals.group_layers reads them one at a time.
        Needs the account read with every group's memberships or with policy groups only:
        either holds every group's documents."""
        return self._layers(group.arn, [("group", group.pk)], ("group", group.pk), account_keys())

    @cached_property
    def policy_by_label(self) -> dict[str, int]:
        return {label: policy_id for policy_id, (label, _) in self.documents.versions.items()}

    @cached_property
    def group_names(self) -> dict[int, str]:
        """The names of the groups that hold a policy: the only ones a path names."""
        holding = Q(pk__in=InlinePolicy.objects.filter(group__isnull=False).values("group_id")) | Q(
            pk__in=PolicyAttachment.objects.filter(group__isnull=False).values("group_id")
        )
        return dict(Group.objects.filter(holding).values_list("pk", "group_name"))

    def attached(self, owner: Owner) -> list[int]:
        return self.documents.attached.get(owner, [])

    def boundary_of(self, owner: Owner) -> int | None:
        return self.documents.boundaries.get(owner)

    @cached_property
    def _live_assignments(self) -> dict[int, list[RoleAssignment]]:
        now = timezone.now()
        live = defaultdict(list)
        rows = RoleAssignment.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).select_related("user")
        for assignment in rows:
            live[assignment.role_id].append(assignment)
        return dict(live)

    def trust(self, role: Role, arns: dict[str, str]) -> PolicySet | None:
        """The role's compiled effective trust (`arns`: unique IDs to current ARNs, from `trusted_arns`)."""
        document, _ = principals.effective_trust(role, arns=arns, assignments=self._live_assignments.get(role.pk, []))
        if not document["Statement"]:
            return None
        return self._compile([(f"{role.arn} trust policy", document)], PolicyKind.TRUST)

    @staticmethod
    def trusted_arns(roles) -> dict[str, str]:
        """The current ARN of every unique ID the roles' trust policies name (2 queries)."""
        return trust.current_arns(set().union(*(trust.stored_ids(role.trust_policy) for role in roles)))
