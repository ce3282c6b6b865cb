"""Recording allowed requests: in memory on the hot path, written in batches.

A use is kept per principal (by unique ID), action and resource, with the latest time and the
credential that made it. Like the decision counts (identities.audit), uses wait in memory and
are written at most every IAM_LAST_ACCESSED_FLUSH_SECONDS by whichever request finds them due,
and at exit: a crash loses at most that many seconds of them. Each write is one upsert
(`bulk_create` with `update_conflicts`), so processes writing the same rows never collide; of
two processes writing the same row in one interval, the later write wins.
"""

import atexit
import logging
import threading
import time
from collections import defaultdict
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DatabaseError, transaction
from django.dispatch import receiver

from policies.models import CatalogAction, LastAccessed

logger = logging.getLogger(__name__)

EVERY_RESOURCE = "*"
_RESOURCE_MAX = LastAccessed._meta.get_field("resource").max_length
_ACTION_MAX = LastAccessed._meta.get_field("action").max_length
_CREDENTIAL_MAX = LastAccessed._meta.get_field("credential").max_length
_PER_READ = 500


class Use(NamedTuple):
    principal_arn: str
    action: str
    credential: str
    at: datetime


def kept_resource(resource: str) -> str:
    """A resource as it is stored: one too long for the column becomes a prefix pattern that
    still matches it, so a policy generated from it allows what was used."""
    return resource if len(resource) <= _RESOURCE_MAX else resource[: _RESOURCE_MAX - 1] + "*"


class _Pending:
    """Uses waiting to be written, by (principal ID, lowercased action, resource); at most
    IAM_LAST_ACCESSED_RESOURCES_PER_ACTION resources per principal and action, the rest "*"."""

    def __init__(self):
        self.uses: dict[tuple[str, str, str], Use] = {}
        self.resources: defaultdict[tuple[str, str], set[str]] = defaultdict(set)

    def __bool__(self) -> bool:
        return bool(self.uses)

    def add(self, principal_id: str, resource: str, use: Use) -> None:
        action = use.action.lower()
        seen = self.resources[(principal_id, action)]
        if resource not in seen:  # the settings are read only here, off the common path
            if len(seen) >= settings.IAM_LAST_ACCESSED_RESOURCES_PER_ACTION:
                resource = EVERY_RESOURCE
            seen.add(resource)
        key = (principal_id, action, resource)
        earlier = self.uses.get(key)
        if earlier is None or earlier.at <= use.at:
            self.uses[key] = use


class _Recorder:
    """The hot path takes a lock, sets a dictionary entry and compares the clock with when the
    next write is due (worked out at each write, and again when the setting changes)."""

    def __init__(self):
        self.pending = _Pending()
        self.lock = threading.Lock()
        self.flushed_at = time.monotonic()
        self.due_at = self.flushed_at + settings.IAM_LAST_ACCESSED_FLUSH_SECONDS

    def add(self, principal_id: str, resource: str, use: Use) -> None:
        if not principal_id or len(use.action) > _ACTION_MAX:
            return  # no action of any catalogue is that long; nothing could be granted from it
        if len(resource) > _RESOURCE_MAX:
            resource = kept_resource(resource)
        with self.lock:
            self.pending.add(principal_id, resource, use)
        if time.monotonic() >= self.due_at:
            try:
                self.flush()
            except DatabaseError:
                seconds = settings.IAM_LAST_ACCESSED_FLUSH_SECONDS
                logger.warning("last-accessed data could not be written; up to %s seconds are lost", seconds)

    def flush(self) -> None:
        with self.lock:
            pending, self.pending = self.pending, _Pending()
            self.flushed_at = time.monotonic()
            self.due_at = self.flushed_at + settings.IAM_LAST_ACCESSED_FLUSH_SECONDS
        if pending:
            _write(pending)

    def reread(self) -> None:
        self.due_at = self.flushed_at + settings.IAM_LAST_ACCESSED_FLUSH_SECONDS

    def clear(self) -> None:
        with self.lock:
            self.pending = _Pending()


recorder = _Recorder()


@receiver(setting_changed)
def _setting_changed(*, setting: str, **_) -> None:
    if setting == "IAM_LAST_ACCESSED_FLUSH_SECONDS":  # tests and benchmarks override it
        recorder.reread()


def flush() -> None:
    """Write what waits now (the recorder does it itself when due, and at exit)."""
    recorder.flush()


def _flush_quietly() -> None:
    try:
        recorder.flush()
    except Exception:  # noqa: BLE001 - at exit the database may already be gone
        logger.warning("last-accessed data could not be written at exit", exc_info=True)


atexit.register(_flush_quietly)


def _write(pending: _Pending) -> None:
    spellings = _catalogue_spellings({action.split(":")[0] for _, action, _ in pending.uses})
    rows: dict[tuple[str, str, str], LastAccessed] = {}
    with transaction.atomic():
        known = _known_resources(pending, spellings)
        for (principal_id, lowered, resource), use in sorted(pending.uses.items()):
            action = spellings.get(lowered, use.action)
            taken = known[(principal_id, action)]
            if resource not in taken and len(taken) >= settings.IAM_LAST_ACCESSED_RESOURCES_PER_ACTION:
                resource = EVERY_RESOURCE  # processes writing at once may each take the last places
            taken.add(resource)
            earlier = rows.get((principal_id, action, resource))
            if earlier is None or earlier.last_allowed_at <= use.at:
                rows[(principal_id, action, resource)] = LastAccessed(
                    principal_id=principal_id,
                    principal_arn=use.principal_arn,
                    service=action.split(":")[0].lower(),
                    action=action,
                    resource=resource,
                    credential=use.credential[:_CREDENTIAL_MAX],
                    last_allowed_at=use.at,
                )
        LastAccessed.objects.bulk_create(
            [rows[key] for key in sorted(rows)],
            update_conflicts=True,
            unique_fields=["principal_id", "action", "resource"],
            update_fields=["principal_arn", "service", "credential", "last_allowed_at"],
        )


def _catalogue_spellings(prefixes: set[str]) -> dict[str, str]:
    """Lowercased action to the catalogue's spelling, so `storage:getobject` and
    `storage:GetObject` are one row (AWS matches actions without regard to case)."""
    spellings = {}
    for names in _slices(sorted({prefix.lower() for prefix in prefixes})):
        rows = CatalogAction.objects.filter(service__prefix__in=names).select_related("service")
        spellings.update({row.full_name.lower(): row.full_name for row in rows})
    return spellings


def _known_resources(pending: _Pending, spellings: dict[str, str]) -> defaultdict[tuple[str, str], set[str]]:
    """The resources already stored for the principals and actions about to be written."""
    principal_ids = sorted({principal_id for principal_id, _, _ in pending.uses})
    actions = sorted({spellings.get(lowered, use.action) for (_, lowered, _), use in pending.uses.items()})
    known: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    # In slices, within SQLite's limit on a statement's parameters however busy the interval.
    for ids in _slices(principal_ids):
        for names in _slices(actions):
            stored = LastAccessed.objects.filter(principal_id__in=ids, action__in=names)
            for principal_id, action, resource in stored.values_list("principal_id", "action", "resource"):
                known[(principal_id, action)].add(resource)
    return known


def _slices(values: list[str]) -> list[list[str]]:
    return [values[start : start + _PER_READ] for start in range(0, len(values), _PER_READ)]
