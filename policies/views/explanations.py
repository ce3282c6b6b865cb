"""The policy check's reasons in a person's words, each policy it names with its page.

The engine reports layers (`identity`, `guardrails[0]`) and source labels
(`arn:...:policy/Name v2`, `arn:...:user/mia inline Name`); a person reads "no
policy of charles allows ..." and follows a link to the policy. Everything is
worked out from the decision and the layers already loaded; the links are
resolved for the whole page in one query per kind.
"""

from __future__ import annotations

from typing import NamedTuple

from django.urls import reverse

from identities.models import Group, Membership, Role, User
from policies import authorization, queries
from policies.catalogue_data import ACCESS_LEVELS as LEVELS
from policies.engine import Outcome
from policies.models import ManagedPolicy, PolicyAttachment

_INLINE = " inline "


class Source(NamedTuple):
    """A policy as the page names it: its label, words for it, and its page if it has one."""

    label: str
    words: str
    url: str | None


class Reason(NamedTuple):
    """A statement the explanation names (one that decided, or a near miss)."""

    ref: object
    source: Source
    statement: dict | None
    miss: object = None


class Blocked(NamedTuple):
    """A layer without an Allow: the sentence that says so and the policies it considered."""

    sentence: str
    considered: tuple[Source, ...]


class Explanation(NamedTuple):
    headline: str
    deciding: tuple[Reason, ...]
    blocked: tuple[Blocked, ...]
    near_misses: tuple[Reason, ...]


def subject_words(target) -> str:
    """Whom the check is about, as a sentence names it."""
    subject = target.subject
    if isinstance(subject, User):
        return "the root user" if subject.is_superuser else subject.username
    if isinstance(subject, Role):
        return f"role {subject.role_name}"
    if isinstance(subject, Group):
        return f"group {subject.group_name}"
    if subject is None:
        return "the pasted policies"
    return str(getattr(subject, "arn", target.arn))


def explain_rows(target, rows) -> list[Explanation]:
    """One explanation per result row, in the rows' order."""
    labels = set(target.layers.documents)
    for row in rows:
        labels |= {ref.source for ref in row.decision.deciding}
        labels |= {miss.ref.source for miss in row.decision.near_misses}
    sources = Sources(labels)
    who = subject_words(target)
    return [_explain(target, row, who, sources) for row in rows]


def _explain(target, row, who: str, sources: Sources) -> Explanation:
    decision = row.decision
    asked = f"{row.action} on {row.resource}"
    reasons = tuple(_reason(target.layers, ref, sources) for ref in decision.deciding)
    if decision.outcome is Outcome.ALLOW:
        conditional = " (only under the conditions of the statements that allow it)" if decision.conditional else ""
        return Explanation(f"{_capital(who)} may perform {asked}{conditional}.", reasons, (), ())
    if decision.outcome is Outcome.EXPLICIT_DENY:
        headline = f"{_capital(who)} may not perform {asked}: a Deny statement refuses it, whatever else allows it."
        return Explanation(headline, reasons, (), ())
    blocked = tuple(_blocked(target.layers, layer, who, asked, sources) for layer in decision.blocking_layers)
    misses = tuple(_reason(target.layers, miss.ref, sources, miss) for miss in decision.near_misses)
    return Explanation(f"{_capital(who)} may not perform {asked}.", (), blocked, misses)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _reason(layers, ref, sources: Sources, miss=None) -> Reason:
    statements = (layers.documents.get(ref.source) or {}).get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    statement = statements[ref.statement_index] if ref.statement_index < len(statements) else None
    return Reason(ref, sources.source(ref.source), statement, miss)


def _blocked(layers, layer: str, who: str, asked: str, sources: Sources) -> Blocked:
    considered = tuple(sources.source(label) for label in _labels(_layer_sets(layers, layer)))
    if layer == "identity":
        sentence = f"No policy of {who} allows {asked}."
        if not considered:
            sentence = f"{_capital(who)} has no policies, so nothing allows {asked}."
    elif layer == "boundary":
        sentence = f"The permission boundary of {who} does not allow {asked}: {who} may do only what both allow."
    elif layer == "session":
        sentence = f"The session policy does not allow {asked}: a session may do only what it allows."
    elif layer.startswith("guardrails["):
        level = int(layer[len("guardrails[") : -1]) + 1
        sentence = f"No guardrail of level {level} allows {asked}; every level must allow a request."
    elif layer in ("resource", "trust"):
        sentence = f"The {'trust' if layer == 'trust' else 'resource'} policy does not allow {asked} for {who}."
    else:
        sentence = "The request could not be evaluated, so it is denied."
    return Blocked(sentence, considered)


def _layer_sets(layers, layer: str) -> list:
    if layer == "identity":
        value = layers.identity
    elif layer == "boundary":
        value = layers.boundary
    elif layer == "session":
        value = layers.session
    elif layer.startswith("guardrails[") and layers.guardrails:
        index = int(layer[len("guardrails[") : -1])
        value = layers.guardrails[index] if index < len(layers.guardrails) else None
    else:
        value = None
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _labels(sets) -> list[str]:
    return list(dict.fromkeys(label for policy_set in sets for label, _ in policy_set.policies))


class Sources:
    """Words and pages for every label a page can name, looked up together."""

    def __init__(self, labels):
        self._policies = self._managed(labels)
        self._owners = self._inline_owners(labels)
        self._cache: dict[str, Source] = {}

    @staticmethod
    def _managed(labels) -> dict[tuple[str, str, bool], int]:
        wanted = []
        for label in labels:
            parsed = authorization.split_iam_arn(label.partition(" v")[0])
            if parsed and parsed[2] == "policy" and _INLINE not in label:
                wanted.append((*authorization.path_and_name(parsed[3]), parsed[1] == "aws"))
        rows = ManagedPolicy.objects.filter(policy_name__in={name for _, name, _ in wanted}).only(
            "pk", "policy_name", "path", "aws_managed"
        )
        return {(row.path, row.policy_name, row.aws_managed): row.pk for row in rows}

    @staticmethod
    def _inline_owners(labels) -> dict[tuple[str, str], str]:
        names: dict[str, set[str]] = {"user": set(), "group": set(), "role": set()}
        for label in labels:
            parsed = authorization.split_iam_arn(label.split(_INLINE, 1)[0]) if _INLINE in label else None
            if parsed and parsed[2] in names:
                names[parsed[2]].add(authorization.path_and_name(parsed[3])[1])
        found = {}
        models = (("user", User, "username"), ("group", Group, "group_name"), ("role", Role, "role_name"))
        for kind, model, field in models:
            if names[kind]:
                for pk, name in model.objects.filter(**{f"{field}__in": names[kind]}).values_list("pk", field):
                    found[(kind, name)] = reverse(f"identities:{kind}-detail", args=[pk])
        return found

    def source(self, label: str) -> Source:
        if label not in self._cache:
            self._cache[label] = self._describe(label)
        return self._cache[label]

    def _describe(self, label: str) -> Source:
        if _INLINE in label:
            owner, _, name = label.partition(_INLINE)
            parsed = authorization.split_iam_arn(owner)
            if parsed and parsed[2] in ("user", "group", "role"):
                owner_name = authorization.path_and_name(parsed[3])[1]
                words = f"inline policy {name} of {parsed[2]} {owner_name}"
                return Source(label, words, self._owners.get((parsed[2], owner_name)))
        arn, _, version = label.partition(" v")
        parsed = authorization.split_iam_arn(arn)
        if parsed and parsed[2] == "policy" and version.isdigit():
            path, name = authorization.path_and_name(parsed[3])
            pk = self._policies.get((path, name, parsed[1] == "aws"))
            url = reverse("policies:policy-detail", args=[pk]) if pk else None
            return Source(label, f"policy {name} (version {version})", url)
        if parsed and parsed[2] == "guardrail":
            return Source(label, f"guardrail {parsed[3].rsplit('/', 1)[-1]}", queries.source_url(label))
        return Source(label, label.replace("_", " "), None)


# What-can: a summary per service and access level


class GrantRow(NamedTuple):
    action: str
    resources: tuple[str, ...]
    conditional: bool
    granted_by: tuple[tuple[Source, str], ...]  # each policy, and the group it comes through ("" if its own)


class LevelSummary(NamedTuple):
    level: str
    allowed: int
    total: int
    grants: tuple[GrantRow, ...]


class ServiceSummary(NamedTuple):
    service: str
    allowed: int
    total: int
    levels: tuple[LevelSummary, ...]


def what_can_summaries(subject, sections, actions, search: str = "") -> list[tuple[object, list[ServiceSummary]]]:
    """Each (role or None, grants) section as services and levels, counted against the
    catalogue's `actions`; `search` keeps the actions whose name contains it."""
    labels = {label for _, grants in sections for grant in grants for label in grant.granted_by}
    sources, groups = Sources(labels), _groups_granting(subject)
    totals: dict[tuple[str, str], int] = {}
    for action, level in actions:
        totals[(action.split(":")[0], level)] = totals.get((action.split(":")[0], level), 0) + 1
    wanted = search.lower()
    return [(role, _summary(grants, totals, sources, groups, wanted)) for role, grants in sections]


def _summary(grants, totals, sources: Sources, groups: dict[str, str], wanted: str) -> list[ServiceSummary]:
    by_key: dict[tuple[str, str], list[GrantRow]] = {}
    for grant in grants:
        if wanted and wanted not in grant.action.lower():
            continue
        by = tuple((sources.source(label), groups.get(label.partition(" v")[0], "")) for label in grant.granted_by)
        row = GrantRow(grant.action, grant.resources, grant.conditional, by)
        by_key.setdefault((grant.action.split(":")[0], grant.access_level), []).append(row)
    services = []
    for service in sorted({service for service, _ in totals}):
        levels = tuple(
            LevelSummary(
                level,
                len(by_key.get((service, level), [])),
                totals[(service, level)],
                tuple(by_key.get((service, level), [])),
            )
            for level in LEVELS
            if (service, level) in totals
        )
        allowed = sum(level.allowed for level in levels)
        if allowed or not wanted:
            services.append(ServiceSummary(service, allowed, sum(level.total for level in levels), levels))
    return services


def _groups_granting(subject) -> dict[str, str]:
    """For a user, each managed policy ARN its groups attach, to the groups' names (one query)."""
    if not isinstance(subject, User):
        return {}
    found: dict[str, list[str]] = {}
    groups = Membership.objects.live().filter(user=subject).values("group_id")
    attachments = PolicyAttachment.objects.filter(group__in=groups).select_related("policy", "group")
    for attachment in attachments:
        found.setdefault(attachment.policy.arn, []).append(attachment.group.group_name)
    return {arn: ", ".join(sorted(names)) for arn, names in found.items()}
