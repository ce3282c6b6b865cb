"""Writes to the action catalogue: administrators' own services and actions, and AWS's reference."""

from collections.abc import Sequence
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction

from identities.audit import record
from identities.models import User
from policies import catalogue_data, catalogue_version
from policies.models import (
    CatalogAction,
    CatalogConditionKey,
    CatalogOrigin,
    CatalogResourceType,
    CatalogService,
)

# The action catalogue


def _catalog_state(service: CatalogService) -> dict[str, Any]:
    return {"prefix": service.prefix, "name": service.name}


@transaction.atomic
def save_catalog_service(
    *, prefix: str, name: str, actor: User | None, service: CatalogService | None = None
) -> CatalogService:
    """Create an administrator's own service in the catalogue, or rename one."""
    if service is not None and service.builtin:
        raise ValidationError(f"The {service.prefix} service is built in and cannot be changed.")
    before = _catalog_state(service) if service else None
    service = service or CatalogService()
    service.prefix, service.name = prefix, name
    service.full_clean()
    service.save()
    catalogue_version.renew()
    record("PutCatalogService", actor=actor, target=service, before=before, after=_catalog_state(service))
    return service


@transaction.atomic
def save_catalog_action(*, action: CatalogAction, actor: User | None) -> CatalogAction:
    _refuse_reference(action)
    action.full_clean()
    action.save()
    catalogue_version.renew()
    record(
        "PutCatalogAction",
        actor=actor,
        target=action.service,
        after={"action": action.full_name, "access_level": action.access_level},
    )
    return action


@transaction.atomic
def delete_catalog_action(*, action: CatalogAction, actor: User | None) -> None:
    _refuse_reference(action)
    record("DeleteCatalogAction", actor=actor, target=action.service, before={"action": action.full_name})
    action.delete()
    catalogue_version.renew()


@transaction.atomic
def delete_catalog_service(*, service: CatalogService, actor: User | None) -> None:
    if service.builtin:
        raise ValidationError(f"The {service.prefix} service is built in and cannot be deleted.")
    record("DeleteCatalogService", actor=actor, target=service, before=_catalog_state(service))
    service.delete()
    catalogue_version.renew()


def _refuse_reference(action: CatalogAction) -> None:
    if action.service.builtin:
        raise ValidationError(f"The {action.service.prefix} service is built in and cannot be changed.")
    if action.origin == CatalogOrigin.AWS:
        raise ValidationError(
            f"{action.full_name} comes from AWS's service authorization reference and cannot be changed here."
        )


# AWS's service authorization reference


class AwsCatalogueLoad(NamedTuple):
    """What one load changed; `kept` counts AWS's actions that the catalogue's own entries won over,
    `removed` names the AWS entries deleted because AWS's reference no longer has them."""

    services_added: int
    actions_added: int
    actions_updated: int
    kept: int
    resource_types_added: int
    condition_keys_added: int
    resource_types_updated: int = 0
    condition_keys_updated: int = 0
    removed: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return any(value for name, value in self._asdict().items() if name != "kept")


@transaction.atomic
def load_aws_catalogue(
    *,
    services: Sequence[catalogue_data.Service],
    source: str,
    actor: User | None,
    whole_reference: bool = False,
) -> AwsCatalogueLoad:
    """Add AWS's services, actions, resource types and condition keys that the catalogue lacks,
    marked as AWS's, bring AWS's earlier entries up to date, and delete AWS's entries of these
    services that the reference no longer has. With `whole_reference` (a load of every service
    of a file), AWS's services the file lacks go too. The catalogue's own entries (iamconsole's
    and administrators') are never changed or deleted: they win. Running it again with the
    same data changes nothing and records nothing."""
    removed = [*_remove_aws_services(services)] if whole_reference else []
    rows, services_added = _aws_service_rows(services)
    removed += _remove_aws_entries(services, rows)
    actions_added, actions_updated, kept = _load_aws_actions(services, rows)
    resource_types_added, resource_types_updated = _load_aws_resource_types(services, rows)
    condition_keys_added, condition_keys_updated = _load_aws_condition_keys(services, rows)
    load = AwsCatalogueLoad(
        services_added,
        actions_added,
        actions_updated,
        kept,
        resource_types_added,
        condition_keys_added,
        resource_types_updated,
        condition_keys_updated,
        tuple(removed),
    )
    if load.changed:
        catalogue_version.renew()
        after = {"source": source, "services": len(services), **load._asdict(), "removed": list(removed)}
        record("LoadAwsCatalogue", actor=actor, target_arn="", after=after)
    return load


def _remove_aws_services(services: Sequence[catalogue_data.Service]) -> list[str]:
    """AWS's services that the reference no longer has, with their AWS entries. One that holds
    entries of the catalogue's own (none can, today) keeps them, and so stays."""
    prefixes = {svc.prefix for svc in services}
    removed = []
    for row in CatalogService.objects.filter(origin=CatalogOrigin.AWS).exclude(prefix__in=prefixes):
        actions = CatalogAction.objects.filter(service=row, origin=CatalogOrigin.AWS)
        count = actions.count()
        entries = (CatalogAction, CatalogResourceType, CatalogConditionKey)
        for model in entries:
            model.objects.filter(service=row, origin=CatalogOrigin.AWS).delete()
        if not any(model.objects.filter(service=row).exists() for model in entries):
            row.delete()
        removed.append(f"service {row.prefix} ({count} {'action' if count == 1 else 'actions'})")
    return removed


def _remove_aws_entries(services: Sequence[catalogue_data.Service], rows: dict[str, CatalogService]) -> list[str]:
    """AWS's actions and resource types of these services that the reference no longer lists, and
    AWS's condition keys stored under them that none of these services names any more."""
    prefixes = {row.pk: prefix for prefix, row in rows.items()}
    # Actions are one without regard to case (catalog_action_unique), resource types as written.
    listed = {
        (rows[svc.prefix].pk, kind): {_folded(kind, entry.name) for entry in entries}
        for svc in services
        for kind, entries in (("action", svc.actions), ("resource type", svc.resource_types))
    }
    named_keys = {key.lower() for svc in services for key, _ in svc.condition_keys}
    gone: dict[type, list[tuple[int, str]]] = {}
    for model, kind, field in ((CatalogAction, "action", "name"), (CatalogResourceType, "resource type", "name")):
        aws = model.objects.filter(service__in=list(prefixes), origin=CatalogOrigin.AWS).values_list(
            "pk", "service_id", field
        )
        gone[model] = [
            (pk, f"{prefixes[service]}:{name}" if kind == "action" else f"{prefixes[service]} resource type {name}")
            for pk, service, name in aws
            if _folded(kind, name) not in listed[(service, kind)]
        ]
    keys = CatalogConditionKey.objects.filter(service__in=list(prefixes), origin=CatalogOrigin.AWS)
    gone[CatalogConditionKey] = [
        (pk, f"condition key {key}") for pk, key in keys.values_list("pk", "key") if key.lower() not in named_keys
    ]
    for model, entries in gone.items():
        keys = [pk for pk, _ in entries]
        for start in range(0, len(keys), 500):
            model.objects.filter(pk__in=keys[start : start + 500]).delete()
    return [name for entries in gone.values() for _, name in sorted(entries, key=lambda entry: entry[1])]


def _folded(kind: str, name: str) -> str:
    return name.lower() if kind == "action" else name


def _aws_service_rows(services: Sequence[catalogue_data.Service]) -> tuple[dict[str, CatalogService], int]:
    rows = {row.prefix: row for row in CatalogService.objects.filter(prefix__in=[svc.prefix for svc in services])}
    fresh = [
        CatalogService(prefix=svc.prefix, name=svc.name, builtin=True, origin=CatalogOrigin.AWS)
        for svc in services
        if svc.prefix not in rows
    ]
    CatalogService.objects.bulk_create(fresh)
    renamed = []
    for svc in services:
        row = rows.get(svc.prefix)
        if row is not None and row.origin == CatalogOrigin.AWS and row.name != svc.name:
            row.name = svc.name
            renamed.append(row)
    CatalogService.objects.bulk_update(renamed, ["name"])
    rows.update((row.prefix, row) for row in CatalogService.objects.filter(prefix__in=[row.prefix for row in fresh]))
    return rows, len(fresh)


_ACTION_FIELDS = ("access_level", "resource_types", "condition_keys", "description")


def _load_aws_actions(services, rows) -> tuple[int, int, int]:
    existing = {
        (row.service_id, row.name.lower()): row
        for row in CatalogAction.objects.filter(service__in=[row.pk for row in rows.values()])
    }
    fresh, updated, kept = [], [], 0
    for svc in services:
        service = rows[svc.prefix]
        for action in svc.actions:
            values = {
                "access_level": action.access_level,
                "resource_types": list(action.resource_types),
                "condition_keys": list(action.condition_keys),
                "description": action.description,
            }
            row = existing.get((service.pk, action.name.lower()))
            if row is None:
                fresh.append(CatalogAction(service=service, name=action.name, origin=CatalogOrigin.AWS, **values))
            elif row.origin != CatalogOrigin.AWS:
                kept += 1
            elif any(getattr(row, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(row, field, value)
                updated.append(row)
    CatalogAction.objects.bulk_create(fresh, batch_size=500)
    CatalogAction.objects.bulk_update(updated, _ACTION_FIELDS, batch_size=500)
    return len(fresh), len(updated), kept


def _load_aws_resource_types(services, rows) -> tuple[int, int]:
    """AWS's resource types the catalogue lacks, and AWS's earlier ones brought up to date."""
    existing = {
        (row.service_id, row.name): row
        for row in CatalogResourceType.objects.filter(service__in=[row.pk for row in rows.values()])
    }
    fresh, updated = [], []
    for svc in services:
        service = rows[svc.prefix]
        for kind in svc.resource_types:
            values = {"arn_pattern": kind.arn_pattern, "condition_keys": list(kind.condition_keys)}
            row = existing.get((service.pk, kind.name))
            if row is None:
                fresh.append(CatalogResourceType(service=service, name=kind.name, origin=CatalogOrigin.AWS, **values))
            elif row.origin == CatalogOrigin.AWS and any(getattr(row, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(row, name, value)
                updated.append(row)
    CatalogResourceType.objects.bulk_create(fresh, batch_size=500)
    CatalogResourceType.objects.bulk_update(updated, ["arn_pattern", "condition_keys"], batch_size=500)
    return len(fresh), len(updated)


def _load_aws_condition_keys(services, rows) -> tuple[int, int]:
    """A key is stored once, under the first service that names it; the global keys and the
    catalogue's own are there already. AWS's keys take the type the reference gives them now."""
    existing = {row.key.lower(): row for row in CatalogConditionKey.objects.all()}
    fresh: dict[str, CatalogConditionKey] = {}
    updated: dict[str, CatalogConditionKey] = {}
    for svc in services:
        for key, value_type in svc.condition_keys:
            row = existing.get(key.lower())
            if row is None:
                fresh.setdefault(
                    key.lower(),
                    CatalogConditionKey(
                        service=rows[svc.prefix], key=key, value_type=value_type, origin=CatalogOrigin.AWS
                    ),
                )
            elif (
                row.origin == CatalogOrigin.AWS
                and row.service_id == rows[svc.prefix].pk
                and row.value_type != value_type
                and key.lower() not in updated
            ):
                row.value_type = value_type
                updated[key.lower()] = row
    CatalogConditionKey.objects.bulk_create(fresh.values(), batch_size=500)
    CatalogConditionKey.objects.bulk_update(updated.values(), ["value_type"], batch_size=500)
    return len(fresh), len(updated)
