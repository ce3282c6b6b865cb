"""Reads of policies that pages render."""

from typing import NamedTuple

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse

from identities import naming
from identities.context import Target, context_of
from identities.models import Group, OpenIDConnectProvider, Role, User
from identities.queries import Obstacle
from policies import authorization, reports
from policies.engine import Effect, PolicyError, PolicyKind, condition_keys, condition_operators, parse_policy
from policies.models import (
    CatalogAction,
    CatalogConditionKey,
    CatalogResourceType,
    CatalogService,
    Guardrail,
    InlinePolicy,
    ManagedPolicy,
    PermissionBoundary,
    PolicyAttachment,
    PolicyVersion,
)


def assumable_roles(user: User) -> list[Role]:
    """The roles this user may switch into now, as sts:AssumeRole decides (one decision per role).

    Decided for the user, not for a role session they may be in: switching role
    in the console always starts from the user, with this request's context when
    the request is theirs."""
    if user.is_superuser:
        return []
    context = context_of(user)
    values = context.condition_keys() if context is not None else {}
    layers = authorization.layers_of(user)
    roles = Role.objects.order_by("role_name")
    return [role for role in roles if authorization.assume_role(layers, role, context=values).allowed]


def trusted_principals(role: Role) -> tuple[list[tuple[User | Role, bool]], list[str]]:
    """Who may assume `role`: the users and roles of this account the engine lets in now
    (reports.assumers), and the principals its Allow statements name outside this account,
    whose own side decides too."""
    return reports.assumers(role), _trusted_elsewhere(role)


def _trusted_elsewhere(role: Role) -> list[str]:
    """The principals outside this account that the trust policy's Allow statements name
    (from the engine's parsed document)."""
    try:
        policy = parse_policy(authorization.effective_trust(role, assignments=[])[0], kind=PolicyKind.TRUST)
    except PolicyError:
        return []
    ours = (
        settings.IAM_ACCOUNT_ID,
        f"arn:aws:iam::{settings.IAM_ACCOUNT_ID}:",
        f"arn:aws:sts::{settings.IAM_ACCOUNT_ID}:",
    )
    named = []
    for statement in policy.statements:
        if statement.effect is not Effect.ALLOW or statement.principal is None:
            continue
        if statement.principal.wildcard:
            named.append("* (anyone, in any account)")
        for kind, value in statement.principal.entries:
            if kind == "AWS" and value == "*":
                named.append("* (anyone, in any account)")
            elif kind == "Federated" and value.startswith(f"{ours[1]}oidc-provider/"):
                named.append(f"Federated: {value} (tokens of this account's OpenID Connect provider)")
            elif kind != "AWS" or not value.startswith(ours):
                named.append(f"{kind}: {value}")
    return list(dict.fromkeys(named))


UnknownPrincipal = authorization.UnknownPrincipal


class CheckTarget(NamedTuple):
    """Whom a policy check is about: the object, its ARN, its layers."""

    subject: object
    arn: str
    layers: authorization.Layers


def check_arn(kind: str, principal: str) -> str | None:
    """The ARN the page's principal names, before anything is looked up: an ARN as
    typed, or for a user, group or role a name with its path (`mia`, `/division/mia`)."""
    text = principal.strip()
    if text.startswith("arn:"):
        return text
    if kind == "oidc-provider" and text:
        return naming.oidc_provider_arn(naming.issuer_name(text))
    if kind not in ("user", "group", "role") or not text:
        return None
    path, _, name = text.rpartition("/")
    path = f"/{path.strip('/')}/" if path.strip("/") else "/"
    return naming.build_arn(kind, path, name)


def check_target(kind: str, arn: str) -> CheckTarget:
    """The principal an ARN names, with its layers (a name without regard to case, its
    path exactly); UnknownPrincipal if none, AmbiguousPrincipal for a session ARN that
    several live sessions share."""
    parsed = authorization.split_iam_arn(arn)
    if parsed is not None and parsed[:3] == ("iam", settings.IAM_ACCOUNT_ID, "oidc-provider"):
        provider = _provider_named(parsed[3])
        return CheckTarget(provider, provider.arn, authorization.federated_layers(provider.arn))
    model = {"user": User, "group": Group, "role": Role}.get(parsed[2] if parsed else "")
    if parsed is None or parsed[1] != settings.IAM_ACCOUNT_ID or parsed[0] != "iam" or model is None:
        subject, layers = authorization.principal_at(arn)
        return CheckTarget(subject, subject.arn, layers)
    if kind == "group" and model is not Group:
        raise UnknownPrincipal(arn)
    path, name = authorization.path_and_name(parsed[3])
    subject = _by_name(model, name, path)
    if subject is None or not name:
        raise UnknownPrincipal(arn)
    return CheckTarget(subject, subject.arn, authorization.layers_of(subject))


def _by_name(model, name: str, path: str | None = None):
    field = {User: "username", Group: "group_name", Role: "role_name"}[model]
    queryset = model.objects.filter(**{f"{field}__lower": name.lower()})
    if path is not None:
        queryset = queryset.filter(path=path)
    if model is User:
        queryset = queryset.filter(is_superuser=False)
    return queryset.first()


def used_condition_keys(layers: authorization.Layers) -> list[str]:
    """The condition keys the principal's policies use, but those the server derives itself."""
    sets = [layers.identity, layers.boundary, layers.session, *(layers.guardrails or ())]
    keys = condition_keys([policy_set for policy_set in sets if policy_set is not None])
    derived = {key.lower() for key in layers.keys} | {"aws:currenttime", "aws:epochtime"}
    return sorted(key for key in keys if key.lower() not in derived and not key.lower().startswith("aws:principaltag/"))


class CheckRow(NamedTuple):
    action: str
    resource: str
    decision: object
    statements: list[dict]


def policy_check(target: CheckTarget, actions, resources, context, *, resource_policy=None) -> list[CheckRow]:
    """Every action on every resource, decided as the decision API decides it, with the
    near misses of each implicit deny (a person reads these reasons). For an identity
    provider, sts:AssumeRoleWithWebIdentity on a role is decided by that role's trust policy,
    as the web-identity endpoint decides it, with the token's keys given as context."""
    rows = []
    for action in actions:
        for resource in resources:
            role = _trusting_role(target, action, resource)
            if role is not None:
                decision = authorization.assume_role_with_web_identity(target.arn, role, context=context)
            else:
                decision = authorization.decide(
                    target.layers, action, resource, context=context, resource_policy=resource_policy, explain=True
                )
            rows.append(CheckRow(action, resource, decision, deciding_statements(target.layers, decision)))
    return rows


def _trusting_role(target: CheckTarget, action: str, resource: str) -> Role | None:
    if not isinstance(target.subject, OpenIDConnectProvider) or action.lower() != "sts:assumerolewithwebidentity":
        return None
    parsed = authorization.split_iam_arn(resource)
    if parsed is None or parsed[:3] != ("iam", settings.IAM_ACCOUNT_ID, "role"):
        return None
    path, name = authorization.path_and_name(parsed[3])
    return _by_name(Role, name, path)


def _provider_named(name: str) -> OpenIDConnectProvider:
    provider = next((row for row in OpenIDConnectProvider.objects.filter(url__endswith=name) if row.name == name), None)
    if provider is None:
        raise UnknownPrincipal(name)
    return provider


LAYER_ORDER = ("identity", "resource", "boundary", "session")


def deciding_statements(layers: authorization.Layers, decision) -> list[dict]:
    """Each deciding statement with the whole policy it sits in, for highlighting;
    the principal's own layers first, guardrails last."""
    found = []
    refs = sorted(decision.deciding, key=lambda ref: (_layer_rank(ref.layer), ref.source, ref.statement_index))
    for ref in refs:
        document = layers.documents.get(ref.source)
        statements = (document or {}).get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        found.append({"ref": ref, "statements": statements, "label": ref.source, "url": source_url(ref.source)})
    return found


def _layer_rank(layer: str) -> int:
    return LAYER_ORDER.index(layer) if layer in LAYER_ORDER else len(LAYER_ORDER)


def source_url(label: str) -> str | None:
    """The admin page of the policy (and so its versions) a source label names, if any."""
    arn, _, version = label.partition(" v")
    parsed = authorization.split_iam_arn(arn)
    if parsed is None or parsed[2] not in ("policy", "guardrail") or not version.isdigit():
        parsed = authorization.split_iam_arn(label.split(" ", 1)[0]) if " inline " in label else None
        return _owner_url(parsed) if parsed else _guardrail_url(label)
    path, name = authorization.path_and_name(parsed[3])
    policy = ManagedPolicy.objects.filter(policy_name=name, path=path, aws_managed=parsed[1] == "aws").first()
    return reverse("admin:policies_managedpolicy_change", args=[policy.pk]) if policy else None


def _owner_url(parsed) -> str | None:
    _, _, kind, rest = parsed
    model = {"user": User, "group": Group, "role": Role}.get(kind)
    owner = _by_name(model, authorization.path_and_name(rest)[1]) if model else None
    return reverse(f"admin:identities_{kind}_change", args=[owner.pk]) if owner else None


def _guardrail_url(label: str) -> str | None:
    parsed = authorization.split_iam_arn(label)
    if parsed is None or parsed[2] != "guardrail":
        return None
    guardrail = Guardrail.objects.filter(guardrail_name=parsed[3].rsplit("/", 1)[-1]).first()
    return reverse("admin:policies_guardrail_change", args=[guardrail.pk]) if guardrail else None


# The policies pages and the identity fragment

POLICY_KINDS = {"customer": "Customer managed", "aws": "AWS managed", "builtin": "Built-in"}


def _attachment_count(model, **filters):
    rows = model.objects.filter(policy=OuterRef("pk"), **filters).order_by().values("policy")
    return Coalesce(Subquery(rows.annotate(count=Count("pk")).values("count")), 0)


def boundary_policies() -> QuerySet[ManagedPolicy]:
    """The managed policies the console's create-user form offers as the new user's boundary
    (settings.IAM_BOUNDARY_POLICIES), by name."""
    return ManagedPolicy.objects.order_by("policy_name")


def managed_policies(search: str = "", kind: str = "", attached: str = "") -> QuerySet[ManagedPolicy]:
    """Managed policies with where each is attached, counted in the same query."""
    policies = ManagedPolicy.objects.annotate(
        user_count=_attachment_count(PolicyAttachment, user__isnull=False),
        group_count=_attachment_count(PolicyAttachment, group__isnull=False),
        role_count=_attachment_count(PolicyAttachment, role__isnull=False),
        boundary_count=_attachment_count(PermissionBoundary),
        default_number=Subquery(
            PolicyVersion.objects.filter(policy=OuterRef("pk"), is_default=True).values("number")[:1]
        ),
    ).order_by("policy_name", "pk")
    if search:
        policies = policies.filter(Q(policy_name__icontains=search) | Q(description__icontains=search))
    if kind == "customer":
        policies = policies.filter(aws_managed=False, builtin=False)
    elif kind == "aws":
        policies = policies.filter(aws_managed=True, builtin=False)
    elif kind == "builtin":
        policies = policies.filter(builtin=True)
    used = Exists(PolicyAttachment.objects.filter(policy=OuterRef("pk"))) | Exists(
        PermissionBoundary.objects.filter(policy=OuterRef("pk"))
    )
    if attached == "yes":
        policies = policies.filter(used)
    elif attached == "no":
        policies = policies.exclude(used)
    return policies


class PolicyPlaces(NamedTuple):
    attachments: list[PolicyAttachment]
    boundaries: list[PermissionBoundary]

    def __bool__(self) -> bool:
        return bool(self.attachments or self.boundaries)


def policy_places(policy: ManagedPolicy) -> PolicyPlaces:
    """Every identity a policy is attached to or bounds (2 queries)."""
    attachments = list(policy.attachments.select_related("user", "group", "role", "attached_by"))
    boundaries = list(policy.boundaries.select_related("user", "role"))
    return PolicyPlaces(attachments, boundaries)


def policy_versions(policy: ManagedPolicy) -> list[PolicyVersion]:
    return list(policy.versions.select_related("created_by").order_by("-number"))


class IdentityPolicies(NamedTuple):
    attachments: list[PolicyAttachment]
    inline: list[InlinePolicy]
    boundary: PermissionBoundary | None
    attachable: list[ManagedPolicy]
    all_policies: list[ManagedPolicy]


def default_document(policy: ManagedPolicy) -> dict | None:
    """The document of a managed policy's default version, or None if it has none."""
    return PolicyVersion.objects.filter(policy=policy, is_default=True).values_list("document", flat=True).first()


def identity_policies(identity) -> IdentityPolicies:
    """An identity's attached, inline and boundary policies, and the policies to choose from (4 queries)."""
    owner = {type(identity).__name__.lower(): identity}
    attachments = list(
        PolicyAttachment.objects.filter(**owner).select_related("policy").order_by("policy__policy_name")
    )
    inline = list(InlinePolicy.objects.filter(**owner).order_by("policy_name"))
    boundary = None
    if not isinstance(identity, Group):
        boundary = PermissionBoundary.objects.filter(**owner).select_related("policy").first()
    attached_ids = {attachment.policy_id for attachment in attachments}
    all_policies = list(ManagedPolicy.objects.order_by("policy_name", "pk"))
    attachable = [policy for policy in all_policies if policy.pk not in attached_ids]
    return IdentityPolicies(attachments, inline, boundary, attachable, all_policies)


class SessionAccess(NamedTuple):
    """What a role session carries: its role's policies, not its user's."""

    session: object
    attachments: list[PolicyAttachment]
    inline: list[str]
    boundary: PermissionBoundary | None


def session_access(session) -> SessionAccess:
    """A role session's role and its attached, inline and boundary policies (3 queries)."""
    role = session.role
    attachments = list(
        PolicyAttachment.objects.filter(role=role).select_related("policy").order_by("policy__policy_name")
    )
    inline = list(InlinePolicy.objects.filter(role=role).order_by("policy_name").values_list("policy_name", flat=True))
    boundary = PermissionBoundary.objects.filter(role=role).select_related("policy").first()
    return SessionAccess(session, attachments, inline, boundary)


def identity_policy_obstacles(*, identity) -> list[Obstacle]:
    """What policies attach to a user, group or role about to be deleted, each with the action
    that removes it (settings.IAM_DELETION_OBSTACLE_HOOKS). As in AWS, attached and inline
    policies block DeleteUser, DeleteGroup and DeleteRole; a permission boundary does not."""
    kind = type(identity).__name__
    owner = {kind.lower(): identity}
    attachments = PolicyAttachment.objects.filter(**owner).select_related("policy").order_by("policy__policy_name")
    obstacles = [
        Obstacle(
            f"managed policy {attachment.policy.policy_name}",
            f"iam:Detach{kind}Policy",
            Target(identity.arn, {"iam:PolicyARN": attachment.policy.arn}),
        )
        for attachment in attachments
    ]
    names = InlinePolicy.objects.filter(**owner).order_by("policy_name").values_list("policy_name", flat=True)
    obstacles += [Obstacle(f"inline policy {name}", f"iam:Delete{kind}Policy", identity) for name in names]
    if kind != "Group":
        boundary = PermissionBoundary.objects.filter(**owner).select_related("policy").first()
        if boundary is not None:
            action = f"iam:Delete{kind}PermissionsBoundary"
            description = f"permission boundary {boundary.policy.policy_name}"
            obstacles.append(Obstacle(description, action, identity, blocks=False))
    return obstacles


class ServiceSummary(NamedTuple):
    service: str
    levels: list[tuple[str, int, int]]  # access level, actions allowed, of which conditional
    total: int


def permission_summary(layers: authorization.Layers) -> list[ServiceSummary]:
    """Per service, how many catalogue actions of each access level are allowed, and how many only conditionally."""
    summary = []
    for service, levels in reports.grouped(reports.what_can(layers)).items():
        counts = [(level, len(grants), sum(grant.conditional for grant in grants)) for level, grants in levels.items()]
        summary.append(ServiceSummary(service, counts, sum(count for _, count, _ in counts)))
    return summary


# Guardrails


class DeniedStatement(NamedTuple):
    """One Deny statement of a guardrail in words: what it denies, on what, and when."""

    sid: str
    actions: str
    resources: str
    conditions: tuple[str, ...]


class GuardrailReading(NamedTuple):
    """A guardrail as the engine reads it: its Deny statements, and whether it allows anything."""

    guardrail: Guardrail
    denies: tuple[DeniedStatement, ...]
    allows: bool
    problem: str = ""


def _listed(patterns: tuple[str, ...] | None, negated: tuple[str, ...] | None, every: str) -> str:
    if patterns is not None:
        return every if patterns == ("*",) else ", ".join(patterns)
    return f"{every} except {', '.join(negated or ())}"


def _condition_text(condition) -> str:
    return f"{condition.key} {condition.operator.text} {' or '.join(condition.values)}"


def read_guardrail(guardrail: Guardrail) -> GuardrailReading:
    """The guardrail's document parsed by the engine (never by looking at its text)."""
    try:
        policy = parse_policy(guardrail.document, kind=PolicyKind.GUARDRAIL)
    except PolicyError as error:
        return GuardrailReading(guardrail, (), False, "; ".join(str(finding) for finding in error.findings))
    denies = tuple(
        DeniedStatement(
            statement.sid or "",
            _listed(statement.actions, statement.not_actions, "every action"),
            _listed(statement.resources, statement.not_resources, "every resource"),
            tuple(_condition_text(condition) for condition in statement.conditions),
        )
        for statement in policy.statements
        if statement.effect is Effect.DENY
    )
    allows = any(statement.effect is Effect.ALLOW for statement in policy.statements)
    return GuardrailReading(guardrail, denies, allows)


class GuardrailLevel(NamedTuple):
    number: int
    guardrails: list[GuardrailReading]

    @property
    def allows(self) -> bool:
        """A level without an Allow denies every request (docs/policy-evaluation.md, "Guardrails")."""
        return any(reading.allows for reading in self.guardrails)


def guardrail_levels(guardrails) -> list[GuardrailLevel]:
    """The guardrails (already ordered by level) read and grouped by level."""
    levels: dict[int, list[GuardrailReading]] = {}
    for guardrail in guardrails:
        levels.setdefault(guardrail.level, []).append(read_guardrail(guardrail))
    return [GuardrailLevel(number, readings) for number, readings in levels.items()]


def guardrail_urls(arns) -> dict[str, str]:
    """The console page of each guardrail these ARNs name, by ARN (one query); the caller
    still decides with iam:GetGuardrail whether the viewer may open it."""
    wanted = {arn for arn in arns if ":guardrail/" in arn}
    names = {arn.rpartition(":guardrail/")[2]: arn for arn in wanted}
    found = Guardrail.objects.filter(guardrail_name__in=names).only("pk", "guardrail_name")
    return {names[g.guardrail_name]: reverse("policies:guardrail-detail", args=[g.pk]) for g in found}


def _keys_with_families(pairs) -> list[dict]:
    pairs = list(pairs)
    families = condition_operators(pairs)["key_families"]
    return [{"key": key, "type": key_type, "families": families[key]} for key, key_type in pairs]


def catalogue_index() -> dict:
    """The catalogue's services and global condition keys, with the condition operators, as the
    statement builder reads them first (two queries, whatever the catalogue's size)."""
    global_keys = CatalogConditionKey.objects.filter(service=None).values_list("key", "value_type")
    operators = condition_operators(())
    return {
        "services": list(CatalogService.objects.order_by("prefix").values("prefix", "name")),
        "global_keys": _keys_with_families(global_keys),
        "operators": operators["by_family"],
        "qualifiers": operators["qualifiers"],
        "access_levels": list(CatalogAction.AccessLevel.values),
        "placeholders": {"Partition": "aws", "Account": settings.IAM_ACCOUNT_ID},
    }


def catalogue_service(prefix: str) -> dict | None:
    """One service's actions, resource types and condition keys (its own, and those its actions
    and resource types name that another service owns; the global ones are in the index),
    in five queries whatever their number; None if there is no such service."""
    service = CatalogService.objects.filter(prefix=prefix).values("pk", "prefix", "name").first()
    if service is None:
        return None
    actions = list(
        CatalogAction.objects.filter(service=service["pk"])
        .order_by("name")
        .values("name", "access_level", "resource_types", "condition_keys", "description")
    )
    kinds = list(
        CatalogResourceType.objects.filter(service=service["pk"])
        .order_by("name")
        .values("name", "arn_pattern", "condition_keys")
    )
    own = list(CatalogConditionKey.objects.filter(service=service["pk"]).values_list("key", "value_type"))
    named = {key.lower() for row in (*actions, *kinds) for key in row["condition_keys"]}
    named -= {key.lower() for key, _ in own}
    others = (
        CatalogConditionKey.objects.exclude(service=None)
        .exclude(service=service["pk"])
        .annotate(lowered=Lower("key"))
        .filter(lowered__in=sorted(named))
        .values_list("key", "value_type")
    )
    return {
        "prefix": service["prefix"],
        "name": service["name"],
        "actions": actions,
        "resource_types": kinds,
        "condition_keys": _keys_with_families([*own, *others]),
    }
