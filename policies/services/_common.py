"""What the policy services share: the engine's validation and the identity helpers.

The modules of policies.services import these; nothing outside the package does.
"""

import json

from django.conf import settings
from django.core.exceptions import ValidationError

from identities.models import Group, Role, User
from policies import catalogue_data, catalogue_version
from policies.engine import CatalogueIndex, DocumentKind, Finding, Level, PolicyKind, validate_policy
from policies.models import (
    CatalogAction,
    CatalogConditionKey,
    CatalogResourceType,
    ManagedPolicy,
)

Identity = User | Group | Role


def validation_catalogue() -> dict:
    """What validation reads from the catalogue, as `validate_policy`'s keywords: the actions,
    each action's condition keys (its resource types' included, as in AWS's tables) and the
    keys' types. Empty when there are no actions. Kept per process under the catalogue's
    version (policies.catalogue_version): callers must not change it."""
    return catalogue_version.remembered("validation", _read_validation_catalogue)["keywords"]


def catalogue_index() -> CatalogueIndex | None:
    """The catalogue indexed for the engine once per catalogue version, as `validate_policy`'s
    `catalogue`; None when there are no actions."""
    return catalogue_version.remembered("validation", _read_validation_catalogue)["index"]


def _read_validation_catalogue() -> dict:
    keywords = _validation_keywords()
    return {"keywords": keywords, "index": CatalogueIndex(**keywords) if keywords else None}


def _validation_keywords() -> dict:
    rows = CatalogAction.objects.values_list(
        "service_id", "service__prefix", "name", "resource_types", "condition_keys"
    )
    type_keys = {
        (service, name): _names(keys)
        for service, name, keys in CatalogResourceType.objects.values_list("service_id", "name", "condition_keys")
    }
    action_keys = {}
    for service, prefix, name, resource_types, keys in rows:
        from_types = [key for kind in _names(resource_types) for key in type_keys.get((service, kind), ())]
        action_keys[f"{prefix}:{name}".lower()] = [*_names(keys), *from_types, *catalogue_data.SERVER_KEYS]
    if not action_keys:
        return {}
    key_types = dict(CatalogConditionKey.objects.values_list("key", "value_type"))
    return {"catalogue": action_keys, "action_keys": action_keys, "key_types": key_types}


def _names(value: object) -> list[str]:
    """The names of a catalogue row's JSON list, as an administrator may have typed it in the admin."""
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def document_findings(
    source: str | dict, *, kind: DocumentKind | PolicyKind, size_limit: int | None = None
) -> list[Finding]:
    """Every finding of a document against the catalogue (the engine names actions as the
    document writes them)."""
    return validate_policy(source, kind=kind, size_limit=size_limit, catalogue=catalogue_index())


def finding_in_words(finding: Finding) -> str:
    """A finding as a sentence with its place (line and column for text, then its JSON path)."""
    return _in_words(finding)


def check_document(
    source: str | dict, *, kind: DocumentKind | PolicyKind, size_limit: int | None = None
) -> tuple[dict, list[Finding]]:
    """Parse and validate; refuse on any ERROR with every problem, in words, and its place. `kind`
    sets the grammar and the size quota (`size_limit`, from settings, overrides AWS's)."""
    findings = document_findings(source, kind=kind, size_limit=size_limit)
    errors = [finding for finding in findings if finding.level is Level.ERROR]
    if errors:
        raise ValidationError([_in_words(finding) for finding in errors], code="policy_document")
    document = json.loads(source) if isinstance(source, (str, bytes)) else source
    return document, findings


def check_trust_policy(document: str | dict) -> None:
    """A role's trust policy as the engine reads it (as typed or decoded): ValidationError
    with every ERROR finding, each in words with its place (line and column for text)."""
    findings = document_findings(document, kind=DocumentKind.TRUST, size_limit=settings.IAM_TRUST_POLICY_MAX_SIZE)
    errors = [finding for finding in findings if finding.level is Level.ERROR]
    if errors:
        raise ValidationError([_in_words(finding) for finding in errors], code="policy_document")


def _in_words(finding: Finding) -> str:
    place = f"line {finding.line}, column {finding.column}" if finding.line is not None else ""
    where = ", ".join(part for part in (place, finding.path) if part)
    return f"{finding.message[:1].upper()}{finding.message[1:]}{f' ({where})' if where else ''}."


def identity_kind(identity: Identity) -> str:
    return {User: "User", Group: "Group", Role: "Role"}[type(identity)]


def owner_filter(identity: Identity) -> dict[str, Identity]:
    return {identity_kind(identity).lower(): identity}


def refuse_root(identity: Identity, what: str) -> None:
    if isinstance(identity, User) and identity.is_superuser:
        raise ValidationError(f"The account root user cannot have {what}: IAM policies do not apply to it.")


def refuse_read_only(policy: ManagedPolicy) -> None:
    if policy.read_only:
        raise ValidationError(f"{policy.policy_name} is a built-in or AWS managed policy and cannot be changed.")
