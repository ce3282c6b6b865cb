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
    """What one load changed; `kept` counts AWS's actions that the catalogue's own entries won over."""

    services_added: int
    actions_added: int
    actions_updated: int
    kept: int
    resource_types_added: int
    condition_keys_added: int

    @property
    def changed(self) -> bool:
        return any(value for name, value in self._asdict().items() if name != "kept")


@transaction.atomic
def load_aws_catalogue(
    *, services: Sequence[catalogue_data.Service], source: str, actor: User | None
) -> AwsCatalogueLoad:
    """Add AWS's services, actions, resource types and condition keys that the catalogue lacks,
    marked as AWS's, and bring AWS's earlier actions up to date. The catalogue's own entries
    (iamconsole's and administrators') are never changed: they win. Running it again with the
    same data changes nothing and records nothing."""
    rows, services_added = _aws_service_rows(services)
    actions_added, actions_updated, kept = _load_aws_actions(services, rows)
    resource_types_added = _load_aws_resource_types(services, rows)
    condition_keys_added = _load_aws_condition_keys(services, rows)
    load = AwsCatalogueLoad(
        services_added, actions_added, actions_updated, kept, resource_types_added, condition_keys_added
    )
    if load.changed:
        catalogue_version.renew()
        after = {"source": source, "services": len(services), **load._asdict()}
        record("LoadAwsCatalogue", actor=actor, target_arn="", after=after)
    return load


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


def _load_aws_resource_types(services, rows) -> int:
    known = set(
        CatalogResourceType.objects.filter(service__in=[row.pk for row in rows.values()]).values_list(
            "service_id", "name"
        )
    )
    fresh = [
        CatalogResourceType(
            service=rows[svc.prefix],
            name=kind.name,
            arn_pattern=kind.arn_pattern,
            condition_keys=list(kind.condition_keys),
            origin=CatalogOrigin.AWS,
        )
        for svc in services
        for kind in svc.resource_types
        if (rows[svc.prefix].pk, kind.name) not in known
    ]
    CatalogResourceType.objects.bulk_create(fresh, batch_size=500)
    return len(fresh)


def _load_aws_condition_keys(services, rows) -> int:
    """A key is stored once, under the first service that names it; the global keys and the
    catalogue's own are there already."""
    known = {key.lower() for key in CatalogConditionKey.objects.values_list("key", flat=True)}
    fresh: dict[str, CatalogConditionKey] = {}
    for svc in services:
        for key, value_type in svc.condition_keys:
            if key.lower() not in known:
                fresh.setdefault(
                    key.lower(),
                    CatalogConditionKey(
                        service=rows[svc.prefix], key=key, value_type=value_type, origin=CatalogOrigin.AWS
                    ),
                )
    CatalogConditionKey.objects.bulk_create(fresh.values(), batch_size=500)
    return len(fresh)
