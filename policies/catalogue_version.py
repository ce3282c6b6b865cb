"""The catalogue version, and the catalogue as validation reads it, kept per process under it.

With AWS's reference loaded the catalogue holds about 20,000 actions: reading them and
indexing them for the engine costs far more than validating a document. Every change of
the catalogue's rows (the catalogue services, load_aws_catalogue, the built-ins loader
and so every data migration that runs it) renews one value in its own transaction, and
each process keeps what it read under that value: a validation then reads one row.

A random value rather than value + 1, as the permissions generation: a change that rolls
back takes its value with it, and a counter would hand the next change a number under
which the rolled-back catalogue may already be kept.
"""

import secrets
import threading
from collections.abc import Callable
from typing import TypeVar

from django.apps import apps as global_apps

Kept = TypeVar("Kept")

_lock = threading.Lock()
_kept: dict[str, tuple[str, object]] = {}


def renew(apps=global_apps) -> str:
    """Give the catalogue a new version, inside the caller's transaction. `apps` is a data
    migration's historical apps (the model's table must exist there)."""
    model = apps.get_model("policies", "CatalogueVersion")
    value = secrets.token_hex(16)
    model.objects.update_or_create(pk=1, defaults={"value": value})
    return value


def current() -> str | None:
    """The version, read where the catalogue's rows are read (a lagging replica gives both
    as they were); None before any."""
    model = global_apps.get_model("policies", "CatalogueVersion")
    return model.objects.filter(pk=1).values_list("value", flat=True).first()


def remembered(name: str, build: Callable[[], Kept]) -> Kept:
    """What `build` returns, kept in this process under `name` and the current version.
    The version is read before `build` reads the catalogue: a change committed between the
    two is then kept under the older version, which no later read asks for."""
    version = current()
    if version is None:
        return build()
    with _lock:
        kept = _kept.get(name)
    if kept is not None and kept[0] == version:
        return kept[1]
    value = build()
    with _lock:
        _kept[name] = (version, value)
    return value


def forget() -> None:
    """Drop what this process keeps (benchmarks time the first validation with it)."""
    with _lock:
        _kept.clear()
