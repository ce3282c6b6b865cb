"""The package's caches (the table of every cache is in the package's docstring)."""

import math
import threading
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.utils import timezone

from identities import generation

# Documents stay in the shared cache this long; a new generation makes them unreachable sooner.
DOCUMENT_CACHE_SECONDS = 3600


class _LRU:
    """Per-process, bounded by IAM_POLICY_CACHE_SIZE, safe across threads."""

    def __init__(self):
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > settings.IAM_POLICY_CACHE_SIZE:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_compiled = _LRU()


def clear() -> None:
    """Forget every compiled set kept by this process (tests; a new generation does it otherwise)."""
    _compiled.clear()


def remembered(key: tuple, load):
    """What `load` returns, kept in this process under `key` and the current
    permissions generation, until the value's own `valid_until` (if it has one)."""
    full_key = (*key, generation.current())
    value = _compiled.get(full_key)
    if value is not None and _still_valid(value):
        return value
    value = load()
    _compiled.put(full_key, value)
    return value


def _still_valid(value) -> bool:
    valid_until = getattr(value, "valid_until", None)
    return valid_until is None or timezone.now() < valid_until


def shared(kind: str, owner, read):
    """Plain documents from the shared cache (Redis, or per process without it), under
    the generation they were read at, so a stale set is never served, nor one past its
    own `valid_until` (a membership it holds expired: no write marks that); else `read()`."""
    key = f"policies:documents:{kind}:{owner}:{generation.current()}"
    data = shared_cache.get(key)
    if data is None or not _still_valid(data):
        data = read()
        shared_cache.set(key, data, _seconds_to_keep(data))
    return data


def _seconds_to_keep(data) -> int:
    valid_until = getattr(data, "valid_until", None)
    if valid_until is None:
        return DOCUMENT_CACHE_SECONDS
    left = math.ceil((valid_until - timezone.now()).total_seconds())
    return max(1, min(DOCUMENT_CACHE_SECONDS, left))
