"""Writes to the action catalogue: administrators' own services and actions."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from identities.audit import record
from identities.models import User
from policies.models import (
    CatalogAction,
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
    record("PutCatalogService", actor=actor, target=service, before=before, after=_catalog_state(service))
    return service


@transaction.atomic
def save_catalog_action(*, action: CatalogAction, actor: User | None) -> CatalogAction:
    if action.service.builtin:
        raise ValidationError(f"The {action.service.prefix} service is built in and cannot be changed.")
    action.full_clean()
    action.save()
    record(
        "PutCatalogAction",
        actor=actor,
        target=action.service,
        after={"action": action.full_name, "access_level": action.access_level},
    )
    return action


@transaction.atomic
def delete_catalog_action(*, action: CatalogAction, actor: User | None) -> None:
    if action.service.builtin:
        raise ValidationError(f"The {action.service.prefix} service is built in and cannot be changed.")
    record("DeleteCatalogAction", actor=actor, target=action.service, before={"action": action.full_name})
    action.delete()


@transaction.atomic
def delete_catalog_service(*, service: CatalogService, actor: User | None) -> None:
    if service.builtin:
        raise ValidationError(f"The {service.prefix} service is built in and cannot be deleted.")
    record("DeleteCatalogService", actor=actor, target=service, before=_catalog_state(service))
    service.delete()
