"""Database rows to engine inputs: the one loader.

`read(scope)` reads the policy documents of some owners (a principal and its
groups: a handful of queries whatever their number) or of the whole account
(the bulk mode reports use: the same queries without a filter). `assemble`
compiles what was read into a principal's `Layers`. Both modes go through the
same two functions, so a report and a console check build a principal alike.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from identities import naming
from identities.models import Membership
from policies.engine import Policy, PolicyKind, PolicySet, compile_policies, may_allow, parse_policy
from policies.models import Guardrail, InlinePolicy, PermissionBoundary, PolicyAttachment, PolicyVersion

Keys = dict[str, str | list[str]]
Source = tuple[str, dict]  # (label, document)
Owner = tuple[str, int]  # ("user" | "group" | "role", pk)


@dataclass(frozen=True)
class Layers:
    """A principal as the engine sees it: its compiled layers and its keys."""

    principal_arn: str
    identity: PolicySet
    boundary: PolicySet | None
    guardrails: tuple[PolicySet, ...] | None
    session: PolicySet | None
    keys: Keys
    # Every document by its source label, so a page can show a deciding statement in its policy.
    documents: dict[str, dict] = field(default_factory=dict, compare=False)
    # Cached layers are used until then at most (the earliest expiry among what they hold).
    valid_until: datetime | None = field(default=None, compare=False)
    # Plain decisions of these layers by their inputs (decisions.evaluate): layers are cached
    # under the permissions generation, so a new generation brings new layers and no answers.
    # Not an argument: layers made from these (dataclasses.replace with another principal,
    # other keys or another boundary) start with answers of their own.
    answers: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def may_allow(self, action: str) -> bool:
        """Whether some resource could be allowed `action`: every layer that applies has an
        Allow naming it (exact in the negative: without one, nothing allows it)."""
        layers = [self.identity, self.boundary, self.session, *(self.guardrails or ())]
        return all(may_allow(layer, action) for layer in layers if layer is not None)


@dataclass(frozen=True)
class Scope:
    """Whose documents to read: owners by kind, or everyone (`everyone=True`)."""

    users: tuple[int, ...] = ()
    groups: tuple[int, ...] = ()
    roles: tuple[int, ...] = ()
    everyone: bool = False
    # With everyone: read only the memberships of groups that hold a policy, which are all a
    # principal's layers need (who-can at 100,000 users reads 1,000,000 memberships otherwise).
    policy_groups_only: bool = False

    def filter(self) -> Q:
        owned = Q(pk__in=[])
        for kind, pks in (("user", self.users), ("group", self.groups), ("role", self.roles)):
            if pks:
                owned |= Q(**{f"{kind}_id__in": pks})
        return owned


@dataclass
class Documents:
    """Plain documents as read for a scope (plain data: the shared cache keeps them)."""

    inline: dict[Owner, list[Source]] = field(default_factory=dict)
    attached: dict[Owner, list[int]] = field(default_factory=dict)
    versions: dict[int, Source] = field(default_factory=dict)
    boundaries: dict[Owner, int] = field(default_factory=dict)
    guardrails: list[list[Source]] = field(default_factory=list)
    memberships: dict[int, list[int]] = field(default_factory=dict)
    # The earliest expiry among the memberships read (only live ones are): past it, these
    # documents hold a group the user is no longer in, so no cache serves them then.
    valid_until: datetime | None = None

    def owned(self, owner: Owner) -> list[Source]:
        return self.inline.get(owner, []) + [self.versions[p] for p in self.attached.get(owner, [])]

    def sources(self, owners) -> list[Source]:
        return [source for owner in owners for source in self.owned(owner)]

    def boundary(self, owner: Owner) -> Source | None:
        policy_id = self.boundaries.get(owner)
        return self.versions[policy_id] if policy_id is not None else None


def read(scope: Scope) -> Documents:
    """Every document of the scope's owners (and, for users, of their groups), the
    default versions they use and the guardrails: six queries in either mode. Only
    live memberships count, and `valid_until` is the earliest of their expiries."""
    documents = Documents()
    live = Membership.objects.live(timezone.now()).order_by()
    if scope.everyone:
        _read_inline(documents, Q())
        _read_attached(documents, Q())
        rows = live
        if scope.policy_groups_only:
            rows = rows.filter(
                Q(group_id__in=InlinePolicy.objects.filter(group__isnull=False).values("group_id"))
                | Q(group_id__in=PolicyAttachment.objects.filter(group__isnull=False).values("group_id"))
            )
        _read_memberships(documents, rows)
    else:
        if scope.users:
            _read_memberships(documents, live.filter(user_id__in=scope.users))
            group_ids = {group_id for groups in documents.memberships.values() for group_id in groups}
            scope = Scope(scope.users, tuple(sorted(set(scope.groups) | group_ids)), scope.roles)
        _read_inline(documents, scope.filter())
        _read_attached(documents, scope.filter())
    _read_boundaries(documents, Q() if scope.everyone else Q(user_id__in=scope.users) | Q(role_id__in=scope.roles))
    _read_versions(documents)
    documents.guardrails = guardrail_sources()
    return documents


def _read_memberships(documents: Documents, rows) -> None:
    memberships, expiries = defaultdict(list), []
    for user_id, group_id, expires_at in rows.values_list("user_id", "group_id", "expires_at"):
        memberships[user_id].append(group_id)
        if expires_at is not None:
            expiries.append(expires_at)
    documents.memberships, documents.valid_until = dict(memberships), min(expiries, default=None)


def _owner_of(user_id, group_id, role_id) -> Owner:
    return ("user", user_id) if user_id else ("group", group_id) if group_id else ("role", role_id)


_INLINE_COLUMNS = (
    "user_id",
    "group_id",
    "role_id",
    "policy_name",
    "document",
    *("user__path", "user__username", "group__path", "group__group_name", "role__path", "role__role_name"),
)


def _read_inline(documents: Documents, owned: Q) -> None:
    """Inline policies as rows, labelled as InlinePolicy.label does (model instances for
    the whole account's were most of the bulk read)."""
    inline = defaultdict(list)
    account = settings.IAM_ACCOUNT_ID
    rows = InlinePolicy.objects.filter(owned).order_by("policy_name", "pk").values_list(*_INLINE_COLUMNS)
    for user_id, group_id, role_id, name, document, *names in rows:
        owner = _owner_of(user_id, group_id, role_id)
        path, owner_name = names[{"user": 0, "group": 2, "role": 4}[owner[0]] :][:2]
        arn = naming.build_arn(owner[0], path, owner_name, account_id=account)
        inline[owner].append((f"{arn} inline {name}", document))
    documents.inline = dict(inline)


def _read_attached(documents: Documents, owned: Q) -> None:
    attached = defaultdict(list)
    rows = PolicyAttachment.objects.filter(owned).order_by("pk")
    for user_id, group_id, role_id, policy_id in rows.values_list("user_id", "group_id", "role_id", "policy_id"):
        attached[_owner_of(user_id, group_id, role_id)].append(policy_id)
    documents.attached = dict(attached)


def _read_boundaries(documents: Documents, owned: Q) -> None:
    rows = PermissionBoundary.objects.filter(owned).values_list("user_id", "role_id", "policy_id")
    documents.boundaries = {_owner_of(user_id, None, role_id): policy_id for user_id, role_id, policy_id in rows}


def _read_versions(documents: Documents) -> None:
    wanted = {p for policies in documents.attached.values() for p in policies} | set(documents.boundaries.values())
    if not wanted:
        return
    versions = PolicyVersion.objects.filter(policy_id__in=wanted, is_default=True).select_related("policy")
    documents.versions = {version.policy_id: (version.label, version.document) for version in versions}


def guardrail_sources() -> list[list[Source]]:
    """The guardrails' documents by level, lowest level first."""
    levels: dict[int, list[Source]] = {}
    for guardrail in Guardrail.objects.order_by("level", "guardrail_name"):
        levels.setdefault(guardrail.level, []).append((guardrail.label, guardrail.document))
    return [sources for _, sources in sorted(levels.items())]


def compile_guardrails(levels: list[list[Source]]) -> tuple[PolicySet, ...] | None:
    """One compiled set per level, lowest first; None when the account has no guardrails."""
    if not levels:
        return None
    return tuple(compile_policies(sources, kind=PolicyKind.GUARDRAIL) for sources in levels)


class Compiler:
    """Compiles each distinct list of sources once (reports build many principals
    that share their groups' policies)."""

    def __init__(self):
        self._sets: dict = {}
        self._parsed: dict = {}  # each document parsed once: a group's policy is in many sets

    def __call__(self, sources: list[Source], kind: PolicyKind) -> PolicySet:
        key = (kind, tuple(label for label, _ in sources))
        if key not in self._sets:
            self._sets[key] = compile_policies(
                [(label, self._parse(label, document, kind)) for label, document in sources]
            )
        return self._sets[key]

    def _parse(self, label: str, document: dict, kind: PolicyKind) -> Policy:
        if (kind, label) not in self._parsed:
            self._parsed[kind, label] = parse_policy(document, kind=kind)
        return self._parsed[kind, label]


def assemble(
    arn: str,
    *,
    sources: list[Source],
    boundary: Source | None,
    guardrails: tuple[PolicySet, ...] | None,
    guardrail_sources: list[list[Source]],
    keys: Keys,
    session: Source | None = None,
    compiler: Compiler | None = None,
    valid_until: datetime | None = None,
) -> Layers:
    """Compile a principal's layers, keeping each document under its label."""
    compile_one = compiler or (lambda sources, kind: compile_policies(sources, kind=kind))
    documents = dict(sources)
    for extra in (boundary, session):
        if extra is not None:
            documents.setdefault(*extra)
    documents.update({label: document for level in guardrail_sources for label, document in level})
    return Layers(
        principal_arn=arn,
        identity=compile_one(sources, PolicyKind.IDENTITY),
        boundary=compile_one([boundary], PolicyKind.BOUNDARY) if boundary is not None else None,
        guardrails=guardrails,
        session=compile_one([session], PolicyKind.SESSION) if session is not None else None,
        keys=keys,
        documents=documents,
        valid_until=valid_until,
    )


def account_keys() -> Keys:
    return {"aws:PrincipalAccount": settings.IAM_ACCOUNT_ID}
