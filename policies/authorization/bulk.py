"""The whole account at once, for reports: the loader in its bulk mode.

`Account()` reads every document in the same six queries the loader uses for
one principal, then builds any user's or role's layers from memory, compiling
each distinct set of policies once (most users share their groups' policies).
Decisions still go through `decide` and `assume_with`.
"""

from collections import defaultdict
from functools import cached_property

from django.db.models import Q
from django.utils import timezone

from identities import trust
from identities.models import Group, Role, RoleAssignment, User
from policies.authorization import principals
from policies.authorization.loader import Compiler, Layers, Owner, Scope, Source, assemble, compile_guardrails, read
from policies.engine import PolicyKind, PolicySet


class Account:
    def __init__(self):
        self.documents = read(Scope(everyone=True))
        self.guardrails = compile_guardrails(self.documents.guardrails)
        self._compile = Compiler()

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
        )

    def user_layers(self, user: User) -> Layers:
        owners = [("user", user.pk), *(("group", group_id) for group_id in self.groups_of(user))]
        return self._layers(user.arn, owners, ("user", user.pk), principals.user_keys(user))

    def role_layers(self, role: Role) -> Layers:
        return self._layers(role.arn, [("role", role.pk)], ("role", role.pk), principals.role_keys(role))

    @cached_property
    def policy_by_label(self) -> dict[str, int]:
        return {label: policy_id for policy_id, (label, _) in self.documents.versions.items()}

    @cached_property
    def group_names(self) -> dict[int, str]:
        return dict(Group.objects.values_list("pk", "group_name"))

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
