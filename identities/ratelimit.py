"""Token buckets per subject (a client network, an access key), shared approximately between
processes through Django's cache.

Each process decides alone, from its own buckets, so a request costs no cache round trip. At
most once a second a limiter reconciles: for each subject it admitted requests of since the
last time, it adds that number to the subject's counter in the cache and takes off the
subject's bucket what the counter grew by beyond it, which the other processes admitted
meanwhile. So several app servers together admit about one limit: its burst, then its rate,
plus at most what each admits between two reconciliations. With the cache down each process
limits alone, and a failing cache never refuses a request.
"""

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import ip_network

from django.conf import settings
from django.core.cache import cache as default_cache

logger = logging.getLogger(__name__)

# Shared counters outlive their last use by this many seconds (an expired one starts again).
SHARED_TIMEOUT = 120
# After the cache failed, try it again only this many seconds later.
FAILURE_BACKOFF = 10.0
# The most subjects one reconciliation reports (the busiest first; the rest wait for the next).
RECONCILE_MAX_SUBJECTS = 100
UNKNOWN_NETWORK = "unknown"


@lru_cache(maxsize=4096)  # a pure function of the text, asked on every machine request
def network_of(address: str | None) -> str:
    """The network a client address is limited and counted by: an IPv4 address alone (/32), an
    IPv6 address by its /64 (what one site is usually given); "unknown" when unreadable."""
    if not address:
        return UNKNOWN_NETWORK
    try:
        network = ip_network(address)
    except ValueError:
        return UNKNOWN_NETWORK
    if network.version == 6 and network.network_address.ipv4_mapped is not None:
        return f"{network.network_address.ipv4_mapped}/32"  # an IPv4 client of a dual-stack socket
    if network.version == 6:
        network = network.supernet(new_prefix=64)
    return network.with_prefixlen


@dataclass
class _Bucket:
    tokens: float
    updated: float
    admitted: int = 0  # since the last reconciliation
    shared_total: int | None = None  # the shared counter as last read


class Limiter:
    """`rate` requests a second per subject after a `burst`; `wait(subject)` admits or says how long."""

    def __init__(
        self,
        *,
        name: str,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        cache=None,
        reconcile_every: float = 1.0,
    ):
        self.name, self.rate, self.burst, self.clock = name, rate, burst, clock
        self.cache = cache if cache is not None else default_cache
        self.reconcile_every = reconcile_every
        self.buckets: dict[str, _Bucket] = {}
        self.lock = threading.Lock()
        self.next_reconcile = clock() + reconcile_every
        self.reconciling = False

    def wait(self, subject: str) -> int:
        """0 when the request is admitted (it takes a token), else the whole seconds until one is due."""
        now = self.clock()
        with self.lock:
            due = not self.reconciling and now >= self.next_reconcile
            self.reconciling = self.reconciling or due
        if due:
            self._reconcile(now)
        with self.lock:
            bucket = self._refilled(subject, now)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                bucket.admitted += 1
                return 0
            return max(1, math.ceil((1 - bucket.tokens) / self.rate))

    def _refilled(self, subject: str, now: float) -> _Bucket:
        bucket = self.buckets.get(subject)
        if bucket is None:
            bucket = self.buckets[subject] = _Bucket(tokens=self.burst, updated=now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        return bucket

    def _reconcile(self, now: float) -> None:
        """Report, then deduct; the cache is called outside the lock, so other threads go on deciding."""
        totals, failed = {}, True
        try:
            with self.lock:
                reports = self._take_reports(now)
            for subject, admitted in reports.items():
                total = self._add_to_shared(subject, admitted)
                if total is None:
                    break  # the rest goes unreported: the other processes miss at most a second of it
                totals[subject] = total
            else:
                failed = False
            with self.lock:
                for subject, total in totals.items():
                    self._deduct_others(subject, reports[subject], total)
        finally:
            with self.lock:
                self.next_reconcile = now + (FAILURE_BACKOFF if failed else self.reconcile_every)
                self.reconciling = False

    def _take_reports(self, now: float) -> dict[str, int]:
        """What to report, busiest first; buckets full again and with nothing to report are forgotten."""
        busy = [(bucket.admitted, subject) for subject, bucket in self.buckets.items() if bucket.admitted]
        reports = {subject: admitted for admitted, subject in sorted(busy, reverse=True)[:RECONCILE_MAX_SUBJECTS]}
        for subject in reports:
            self.buckets[subject].admitted = 0
        for subject in [s for s, bucket in self.buckets.items() if self._idle(bucket, now) and s not in reports]:
            del self.buckets[subject]
        return reports

    def _idle(self, bucket: _Bucket, now: float) -> bool:
        return not bucket.admitted and bucket.tokens + (now - bucket.updated) * self.rate >= self.burst

    def _deduct_others(self, subject: str, admitted: int, total: int) -> None:
        bucket = self.buckets.get(subject)
        if bucket is None:
            return
        previous = bucket.shared_total
        if previous is not None:
            # A counter smaller than before expired and started again: all of it beyond ours is theirs.
            others = total - admitted - (previous if total >= previous + admitted else 0)
            if others > 0:
                bucket.tokens = max(-self.burst, bucket.tokens - others)
        bucket.shared_total = total

    def _add_to_shared(self, subject: str, admitted: int) -> int | None:
        """The subject's shared counter after adding `admitted`, or None when the cache failed."""
        key = f"ratelimit:{self.name}:{subject}"
        try:
            try:
                return self.cache.incr(key, admitted)
            except ValueError:  # no counter yet (or it just expired)
                if self.cache.add(key, admitted, timeout=SHARED_TIMEOUT):
                    return admitted
                return self.cache.incr(key, admitted)
        except Exception:  # noqa: BLE001 - whatever the cache does, the limit stays per process
            logger.warning("rate limit %s could not be reconciled through the cache", self.name, exc_info=True)
            return None


class Limits:
    """Limiters by name, each built from its two settings (requests a second, burst) when first
    used and again when those change; a rate of 0 turns the limit off."""

    def __init__(self, settings_names: dict[str, tuple[str, str]]):
        self.settings_names = settings_names
        self.clock: Callable[[], float] = time.monotonic
        self.limiters: dict[str, Limiter] = {}
        self.lock = threading.Lock()

    def wait(self, name: str, subject: str) -> int:
        """0 when admitted, else the seconds to wait (see Limiter.wait)."""
        rate_name, burst_name = self.settings_names[name]
        rate, burst = getattr(settings, rate_name), getattr(settings, burst_name)
        if not rate:
            return 0
        limiter = self.limiters.get(name)
        if limiter is None or (limiter.rate, limiter.burst, limiter.clock) != (rate, burst, self.clock):
            with self.lock:
                limiter = self.limiters[name] = Limiter(name=name, rate=rate, burst=burst, clock=self.clock)
        return limiter.wait(subject)

    def clear(self) -> None:
        """Forget every bucket (tests)."""
        with self.lock:
            self.limiters.clear()
