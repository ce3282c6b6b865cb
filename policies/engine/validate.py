"""Findings about a document, like IAM Access Analyzer's policy checks.

Never raises for a user's mistake: a document that does not parse gives
its parse findings; one that parses gives findings about what it means.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping

from . import jsontext
from .catalogue import Catalogue, CatalogueIndex, KeyCheck, UnknownServices, glob, key_types_table
from .document import VERSION_2012, Policy, PolicyKind, Statement
from .errors import Finding, Level, PolicyError
from .parse import Problems, Source, load_source, parse_policy, sid_is_plain
from .values import WITH_VARIABLES, value_problem


class DocumentKind(enum.Enum):
    """What a document is, beyond where it attaches: it sets AWS's size quota."""

    CUSTOMER_MANAGED = "customer-managed"
    AWS_MANAGED = "aws-managed"
    INLINE_USER = "inline-user"
    INLINE_GROUP = "inline-group"
    INLINE_ROLE = "inline-role"
    BOUNDARY = "boundary"
    TRUST = "trust"
    GUARDRAIL = "guardrail"
    SESSION = "session"
    RESOURCE = "resource"


# Each kind's grammar and AWS's default quota, in characters without white space (IAM and
# STS quotas; Organizations' for a service control policy). AWS's own managed policies are
# bound by none of the customer quotas, and a resource policy's quota is its service's.
DOCUMENT_KINDS: dict[DocumentKind, tuple[PolicyKind, int | None]] = {
    DocumentKind.CUSTOMER_MANAGED: (PolicyKind.IDENTITY, 6144),
    DocumentKind.AWS_MANAGED: (PolicyKind.IDENTITY, None),
    DocumentKind.INLINE_USER: (PolicyKind.IDENTITY, 2048),
    DocumentKind.INLINE_GROUP: (PolicyKind.IDENTITY, 5120),
    DocumentKind.INLINE_ROLE: (PolicyKind.IDENTITY, 10240),
    DocumentKind.BOUNDARY: (PolicyKind.BOUNDARY, 6144),
    DocumentKind.TRUST: (PolicyKind.TRUST, 2048),
    DocumentKind.GUARDRAIL: (PolicyKind.GUARDRAIL, 5120),
    DocumentKind.SESSION: (PolicyKind.SESSION, 2048),
    DocumentKind.RESOURCE: (PolicyKind.RESOURCE, None),
}
# A bare grammar kind stands for the document it most often is.
_DEFAULT_KINDS = {PolicyKind.IDENTITY: DocumentKind.CUSTOMER_MANAGED} | {
    kind: DocumentKind(kind.value) for kind in PolicyKind if kind is not PolicyKind.IDENTITY
}


def document_kind(kind: DocumentKind | PolicyKind | str) -> DocumentKind:
    """The document kind named by a DocumentKind, a PolicyKind or either's value."""
    if isinstance(kind, DocumentKind):
        return kind
    if isinstance(kind, PolicyKind):
        return _DEFAULT_KINDS[kind]
    try:
        return DocumentKind(kind)
    except ValueError:
        return _DEFAULT_KINDS[PolicyKind(kind)]


MULTI_VALUED_KEYS = frozenset(
    ["aws:tagkeys", "aws:principalservicenameslist", "aws:calledvia", "aws:principalorgpaths"]
)
SINGLE_VALUED_PREFIXES = ("aws:sourceip", "aws:principaltag/", "aws:resourcetag/", "aws:username")
_ACCOUNT_ID = re.compile(r"\d{12}\Z")
# A user's or role's unique ID, which AWS shows in a trust policy once the principal it
# named is gone (and which matches no caller then).
_UNIQUE_ID = re.compile(r"A(?:IDA|ROA)[A-Z0-9]{12,28}\Z")
_WHITESPACE = re.compile(r"\s+")
# What a role's trust policy can allow: AWS refuses any other action in one.
TRUST_ACTIONS = (
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:SetContext",
    "sts:SetSourceIdentity",
    "sts:TagSession",
)


def policy_size(source: Source) -> int:
    """Characters in the document without white space, as AWS counts them."""
    if isinstance(source, dict):
        try:
            text = json.dumps(source, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError):
            text = str(source)  # not JSON at all: parsing refuses it anyway
    elif isinstance(source, (bytes, bytearray)):
        text = bytes(source).decode("utf-8", errors="replace")
    else:
        text = str(source)
    return len(_WHITESPACE.sub("", text))


def validate_policy(
    source: Source,
    *,
    kind: DocumentKind | PolicyKind | str = DocumentKind.CUSTOMER_MANAGED,
    catalogue: Catalogue | CatalogueIndex | None = None,
    size_limit: int | None = None,
    action_keys: Mapping[str, Iterable[str]] | None = None,
    key_types: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Every finding about one document, most serious first.

    `kind` is a DocumentKind (or its value), which sets the grammar and AWS's size
    quota; a PolicyKind stands for its usual document (IDENTITY: customer managed).
    `catalogue` is plain data: a mapping whose keys are action names
    (`"iam:CreateUser"`, any case) or any iterable of action names. Actions
    of services it knows nothing of are reported as unknown services.
    `size_limit` overrides the kind's quota (a deployment's own, from its settings).
    `action_keys` maps catalogued actions to their condition keys (their resource
    types' included; `aws:ResourceTag/${TagKey}` stands for every tag) and
    `key_types` service keys to AWS's types (`"ARN"`, `"ArrayOfString"`, ...): with
    them, a service key that none of a statement's actions has is reported, and an
    operator that does not suit a key's type; global keys need neither. A caller that
    validates many documents against one catalogue builds its `CatalogueIndex` once and
    passes it as `catalogue` (then `action_keys` and `key_types` are the index's).
    """
    document = document_kind(kind)
    kind, default_limit = DOCUMENT_KINDS[document]
    size_limit = default_limit if size_limit is None else size_limit
    try:
        policy = parse_policy(source, kind=kind)
    except PolicyError as error:
        return list(error.findings)
    problems: dict[Level, Problems] = {level: Problems() for level in Level}
    _check_document(source, policy, kind, size_limit, problems)
    if catalogue is not None and not isinstance(catalogue, CatalogueIndex):
        catalogue = CatalogueIndex(catalogue, action_keys, key_types)
    # A trust policy's actions are STS's few, checked exactly: the catalogue would only repeat it.
    index = catalogue if kind is not PolicyKind.TRUST else None
    types = catalogue.key_types if catalogue is not None else key_types_table(key_types)
    key_check = KeyCheck(index, types)
    unknown = UnknownServices()
    for statement in policy.statements:
        _check_statement(statement, policy, kind, index, unknown, problems)
        key_check.check(statement, problems)
    unknown.report(problems)
    _check_duplicate_sids(policy, problems)
    _check_redundant(policy, problems)
    places = _places(source) if any(p.items for p in problems.values()) else None
    return [finding for level in Level for finding in problems[level].findings(places, level)]


def _places(source: Source) -> jsontext.Places | None:
    try:
        _, text = load_source(source)
        return jsontext.Places(text) if text is not None else None
    except (PolicyError, RecursionError):
        return None


def _check_document(source, policy: Policy, kind, limit, problems) -> None:
    size = policy_size(source) if limit is not None else 0
    if limit is not None and size > limit:
        problems[Level.ERROR].add("SIZE_LIMIT", f"{size} characters without white space; the limit is {limit}", "")
    for path in _duplicate_keys(source):
        problems[Level.WARNING].add("DUPLICATE_KEY", "the same name appears twice; the last one wins", path, key=True)
    if policy.version is None:
        problems[Level.SUGGESTION].add(
            "MISSING_VERSION", f'add "Version": "{VERSION_2012}"; without it policy variables are plain text', ""
        )


def _duplicate_keys(source: Source) -> list[str]:
    if isinstance(source, dict):
        return []
    duplicates: list[str] = []

    def hook(pairs):
        names = [name for name, _ in pairs]
        for name in {name for name in names if names.count(name) > 1}:
            duplicates.append(name)
        return dict(pairs)

    try:
        json.loads(jsontext.decode_text(source), object_pairs_hook=hook)
    except (ValueError, RecursionError):
        return []
    return duplicates


def _check_statement(statement: Statement, policy: Policy, kind, index, unknown, problems) -> None:
    _check_sid(statement, kind, problems)
    _check_grants(statement, problems)
    _check_actions(statement, index, unknown, problems)
    if kind is PolicyKind.TRUST:
        _check_trust_actions(statement, problems)
        _check_web_identity_conditions(statement, problems)
    _check_resources(statement, policy, problems)
    _check_principals(statement, problems)
    if kind is PolicyKind.TRUST and statement.not_principal is not None:
        # AWS's NotPrincipal page: not in a role's trust policy, whatever the effect.
        problems[Level.ERROR].add(
            "NOT_PRINCIPAL_IN_TRUST",
            "a role's trust policy cannot use NotPrincipal; name the principals it trusts in Principal",
            jsontext.member_path(statement.path, "NotPrincipal"),
        )
    _check_conditions(statement, policy, problems)


def _check_sid(statement: Statement, kind, problems) -> None:
    if statement.sid and not sid_is_plain(statement.sid):
        level = Level.ERROR if kind not in (PolicyKind.RESOURCE, PolicyKind.TRUST) else Level.SUGGESTION
        problems[level].add("BAD_SID", "a Sid is letters and digits only", jsontext.member_path(statement.path, "Sid"))


def _allows_everything(patterns: tuple[str, ...] | None) -> bool:
    return bool(patterns) and any(pattern in ("*", "*:*") for pattern in patterns)


def _check_grants(statement: Statement, problems) -> None:
    if statement.effect.value != "Allow":
        return
    warn = problems[Level.SECURITY_WARNING]
    path = statement.path
    if statement.not_actions is not None:
        warn.add("ALLOW_WITH_NOT_ACTION", "Allow with NotAction grants every other action", path)
    if statement.not_resources is not None:
        warn.add("ALLOW_WITH_NOT_RESOURCE", "Allow with NotResource grants every other resource", path)
    everything = statement.resources == ("*",) or statement.resources is None
    if _allows_everything(statement.actions) and everything and not statement.conditions:
        warn.add("FULL_ADMIN", "this statement grants every action on every resource", path)
    if _grants_pass_role(statement) and everything:
        warn.add("PASS_ROLE_ANY_RESOURCE", "iam:PassRole on every resource lets roles be handed to any service", path)
    if statement.not_principal is not None:
        problems[Level.ERROR].add(
            "ALLOW_WITH_NOT_PRINCIPAL",
            "AWS supports NotPrincipal only with Deny; this grants every other principal",
            path,
        )
    if statement.principal is not None and _public(statement) and not statement.conditions:
        warn.add("PUBLIC_ACCESS", 'Principal "*" without a condition grants anyone', path)


def _public(statement: Statement) -> bool:
    principal = statement.principal
    return principal.wildcard or ("AWS", "*") in principal.entries


def _grants_pass_role(statement: Statement) -> bool:
    if statement.actions is not None:
        return any(_names_pass_role(pattern) for pattern in statement.actions)
    return not any(_names_pass_role(pattern) for pattern in statement.not_actions or ())


def _names_pass_role(pattern: str) -> bool:
    # Only a pattern starting with i, * or ? can match iam:PassRole: most are passed over unmatched.
    return pattern[:1] in ("i", "I", "*", "?") and glob(pattern.lower(), "iam:passrole")


def _check_actions(statement: Statement, index: CatalogueIndex | None, unknown: UnknownServices, problems) -> None:
    element = "Action" if statement.actions is not None else "NotAction"
    patterns = statement.actions or statement.not_actions or ()
    for position, pattern in enumerate(patterns):
        path = _entry_path(statement, element, position, len(patterns))
        if pattern != "*" and (":" not in pattern or pattern.startswith(":")):
            problems[Level.ERROR].add("BAD_ACTION", f"{pattern!r} is not service:Action or *", path)
        elif "${" in pattern:
            problems[Level.WARNING].add("VARIABLE_IN_ACTION", "policy variables do not work in actions", path)
        elif index is not None and pattern != "*":
            _check_known_action(pattern, index, unknown, path, problems)


def _check_known_action(written: str, index: CatalogueIndex, unknown: UnknownServices, path: str, problems) -> None:
    pattern = written.lower()
    service = pattern.split(":", 1)[0]
    if "*" not in service and "?" not in service and service not in index.by_service:
        unknown.note(written, path)
    elif "*" in pattern or "?" in pattern:
        if not index.matching(pattern):
            problems[Level.WARNING].add("NO_MATCHING_ACTION", f"{written!r} matches no catalogued action", path)
    elif pattern not in index.names:
        problems[Level.WARNING].add("UNKNOWN_ACTION", f"{written!r} is not in the catalogue", path)


def _check_trust_actions(statement: Statement, problems) -> None:
    """A misspelt action in a trust policy would leave a principal that looks trusted but never is."""
    patterns = statement.actions or ()
    for index, pattern in enumerate(patterns):
        if pattern == "*" or ":" not in pattern or "${" in pattern:
            continue
        if not any(glob(pattern.lower(), action.lower()) for action in TRUST_ACTIONS):
            problems[Level.ERROR].add(
                "TRUST_ACTION",
                f"{pattern!r} is not an action a trust policy can allow ({', '.join(TRUST_ACTIONS)})",
                _entry_path(statement, "Action", index, len(patterns)),
            )


def _check_web_identity_conditions(statement: Statement, problems) -> None:
    """Trusting an OpenID Connect provider without a condition on the token's subject trusts
    everyone it issues tokens to; without one on the audience, tokens meant for other clients.
    The keys are the provider's name (its ARN after oidc-provider/) and :sub or :aud."""
    if statement.effect.value != "Allow" or statement.principal is None:
        return
    keys = {condition.key.lower() for condition in statement.conditions}
    path = jsontext.member_path(statement.path, "Principal")
    for principal_type, value in statement.principal.entries:
        if principal_type != "Federated" or ":oidc-provider/" not in value:
            continue
        provider = value.split(":oidc-provider/", 1)[1]
        if f"{provider}:sub".lower() not in keys:
            problems[Level.SECURITY_WARNING].add(
                "WEB_IDENTITY_WITHOUT_SUB",
                f"trusting {provider} with no condition on {provider}:sub lets every token it issues assume the role",
                path,
            )
        if f"{provider}:aud".lower() not in keys:
            problems[Level.WARNING].add(
                "WEB_IDENTITY_WITHOUT_AUD",
                f"add a condition on {provider}:aud, so only tokens issued for your client IDs are trusted",
                path,
            )


def _entry_path(statement: Statement, element: str, index: int, count: int) -> str:
    path = jsontext.member_path(statement.path, element)
    return jsontext.item_path(path, index) if count > 1 else path


def _check_resources(statement: Statement, policy: Policy, problems) -> None:
    element = "Resource" if statement.resources is not None else "NotResource"
    patterns = statement.resources or statement.not_resources or ()
    for index, pattern in enumerate(patterns):
        path = _entry_path(statement, element, index, len(patterns))
        _check_arn(pattern, path, problems)
        if "${" in pattern and not policy.has_variables:
            problems[Level.WARNING].add(
                "VARIABLE_WITHOUT_VERSION", f'without Version "{VERSION_2012}" this ${{...}} is plain text', path
            )
        elif "${" in ":".join(pattern.split(":", 5)[:5]):
            problems[Level.WARNING].add(
                "VARIABLE_OUTSIDE_RESOURCE_PART", "policy variables work only in the resource part of an ARN", path
            )


def _check_arn(pattern: str, path: str, problems) -> None:
    if pattern == "*":
        return
    if not pattern.startswith("arn:"):
        problems[Level.ERROR].add("BAD_ARN", f"{pattern!r} is neither an ARN nor *", path)
        return
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        problems[Level.WARNING].add("SHORT_ARN", f"{pattern!r} has fewer than six colon-separated parts", path)
    elif "*" in parts[2] or "?" in parts[2]:
        problems[Level.ERROR].add("WILDCARD_IN_SERVICE", "wildcards do not work in an ARN's service part", path)


def _check_principals(statement: Statement, problems) -> None:
    principal = statement.principal or statement.not_principal
    if principal is None:
        return
    element = "Principal" if statement.principal is not None else "NotPrincipal"
    path = jsontext.member_path(statement.path, element)
    for principal_type, value in principal.entries:
        entry_path = jsontext.member_path(path, principal_type)
        if value != "*" and ("*" in value or "?" in value):
            problems[Level.ERROR].add(
                "PRINCIPAL_WILDCARD", f"{value!r}: principals take no partial wildcards", entry_path
            )
        elif principal_type == "AWS" and value != "*" and not _aws_principal(value):
            problems[Level.ERROR].add(
                "BAD_PRINCIPAL", f"{value!r} is neither an account ID, an ARN nor a unique ID", entry_path
            )
        elif principal_type == "AWS" and ":group/" in value:
            problems[Level.ERROR].add("GROUP_PRINCIPAL", "a group is never a principal", entry_path)


def _aws_principal(value: str) -> bool:
    return bool(_ACCOUNT_ID.match(value) or value.startswith("arn:") or _UNIQUE_ID.match(value))


def _check_conditions(statement: Statement, policy: Policy, problems) -> None:
    for condition in statement.conditions:
        operator = condition.operator
        for text in condition.values:
            problem = value_problem(operator.family, text)
            if problem:
                problems[Level.ERROR].add("BAD_CONDITION_VALUE", f"{operator.name}: {problem}", condition.path)
            if "${" in text and operator.family not in WITH_VARIABLES:
                problems[Level.WARNING].add(
                    "VARIABLE_NOT_SUPPORTED", f"policy variables do not work with {operator.name}", condition.path
                )
        _check_set_operator(statement, condition, problems)


def _check_set_operator(statement: Statement, condition, problems) -> None:
    key = condition.key.lower()
    qualifier = condition.operator.qualifier
    if qualifier is None and key in MULTI_VALUED_KEYS and condition.operator.name != "Null":
        problems[Level.WARNING].add(
            "MULTI_VALUED_KEY_PLAIN_OPERATOR",
            f"{condition.key} has several values; use ForAnyValue: or ForAllValues:",
            condition.path,
        )
    elif qualifier is not None and key.startswith(SINGLE_VALUED_PREFIXES):
        problems[Level.WARNING].add(
            "SET_OPERATOR_ON_SINGLE_VALUED_KEY", f"{condition.key} has one value; drop {qualifier}:", condition.path
        )
    if (
        qualifier == "ForAllValues"
        and statement.effect.value == "Allow"
        and not condition.operator.negated
        and not _requires_key(statement, key)
    ):
        problems[Level.SECURITY_WARNING].add(
            "FOR_ALL_VALUES_WITH_ALLOW",
            f"ForAllValues is also true when {condition.key} is absent; require it with "
            f'"Null": {{"{condition.key}": "false"}}',
            condition.path,
        )


def _requires_key(statement: Statement, key: str) -> bool:
    """Whether a `"Null": {...: "false"}` of the statement keeps it from matching without the key:
    one on the key itself, or, for aws:TagKeys, on a tag of the request (a request with a tag
    has that tag's key in aws:TagKeys)."""
    return any(
        other.operator.name == "Null"
        and _implies_present(other.key.lower(), key)
        and bool(other.values)
        and all(value.lower() == "false" for value in other.values)
        for other in statement.conditions
    )


def _implies_present(present: str, key: str) -> bool:
    return present == key or (key == "aws:tagkeys" and present.startswith("aws:requesttag/"))


def _check_duplicate_sids(policy: Policy, problems) -> None:
    seen: dict[str, Statement] = {}
    for statement in policy.statements:
        if not statement.sid:
            continue
        if statement.sid in seen:
            problems[Level.ERROR].add(
                "DUPLICATE_SID", f"Sid {statement.sid!r} is already used", jsontext.member_path(statement.path, "Sid")
            )
        seen.setdefault(statement.sid, statement)


class _Patterns:
    """One element's patterns, read once for every pair of statements compared: written-out
    names are looked up, and only the wildcard patterns are matched one by one."""

    __slots__ = ("exact", "names", "wildcards")

    def __init__(self, values: tuple[str, ...], fold: bool) -> None:
        self.names = tuple(value.lower() for value in values) if fold else values
        self.exact = {name for name in self.names if "*" not in name and "?" not in name}
        self.wildcards = [name for name in self.names if name not in self.exact]

    def covers(self, other: _Patterns) -> bool:
        return all(name in self.exact or any(glob(w, name) for w in self.wildcards) for name in other.names)


def _comparable(statement: Statement) -> bool:
    return statement.not_actions is None and statement.not_resources is None and statement.actions is not None


def _covering(wide: _Patterns | None, narrow: _Patterns | None) -> bool:
    """A trust policy's statements have no Resource: they cover one another only alike."""
    if wide is None or narrow is None:
        return wide is None and narrow is None
    return wide.covers(narrow)


def _check_redundant(policy: Policy, problems) -> None:
    statements = [statement for statement in policy.statements if _comparable(statement)]
    patterns = {
        statement.index: (
            _Patterns(statement.actions, fold=True),
            None if statement.resources is None else _Patterns(statement.resources, fold=False),
        )
        for statement in statements
    }

    def redundant(narrow: Statement, wide: Statement) -> bool:
        return (
            narrow.effect is wide.effect
            and narrow.principal == wide.principal
            and narrow.not_principal == wide.not_principal
            and not wide.conditions
            and patterns[wide.index][0].covers(patterns[narrow.index][0])
            and _covering(patterns[wide.index][1], patterns[narrow.index][1])
        )

    for narrow in statements:
        for wide in statements:
            if wide is narrow or not redundant(narrow, wide):
                continue
            if redundant(wide, narrow) and wide.index > narrow.index:
                continue  # of two equal statements, report only the later one
            problems[Level.SUGGESTION].add(
                "REDUNDANT_STATEMENT", f"statement {wide.index} already covers this statement", narrow.path
            )
            break


def validate_guardrail_levels(levels: Iterable[Iterable[Policy]]) -> list[Finding]:
    """A warning for each guardrail level with no Allow: it would deny everything."""
    findings = []
    for index, level in enumerate(levels):
        if not any(s.effect.value == "Allow" for policy in level for s in policy.statements):
            findings.append(
                Finding(
                    Level.WARNING,
                    "GUARDRAIL_LEVEL_WITHOUT_ALLOW",
                    "this level has no Allow, so it denies every request (attach an allow-all beside its denies)",
                    f"guardrails[{index}]",
                )
            )
    return findings
