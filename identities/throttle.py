"""Console sign-in throttles beside django-axes's lockout, so that password spraying is slow.

django-axes locks one user name at one client address. That leaves two attacks
open: one address trying a few passwords on each of many names, and many
addresses trying passwords on one name. So failed sign-ins are also counted per
client address across names and per user name across addresses. Past its limit,
a count makes each further attempt wait after the last failure, from
FIRST_DELAY doubling with each further failure up to a maximum, and refuses it
before its password is checked. The name's maximum is short: slowing a name
must never lock its user (root included) out for long.

Counts live in Django's cache, in fixed windows of the axes cool-off time: they
start over in each window. A successful sign-in resets nothing, so an attacker
cannot clear an address's count by signing in with their own account. Without a
working cache nothing is counted and nothing refused; django-axes still locks.
"""

import hashlib
from contextlib import suppress
from dataclasses import dataclass
from math import ceil

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from identities.context import source_ip

# Seconds to wait after the first failure past a limit; each further failure doubles it.
FIRST_DELAY = 1


@dataclass(frozen=True)
class Throttle:
    scope: str
    failure_limit: int
    max_delay: int
    reason: str

    def delay(self, failures: int) -> int:
        """Seconds to wait after the last of `failures`, once the limit is reached."""
        doublings = min(failures - self.failure_limit, self.max_delay.bit_length())
        return min(self.max_delay, FIRST_DELAY * 2**doublings)


@dataclass(frozen=True)
class Wait:
    """An attempt refused for now: by which count, for how many more seconds, and why."""

    scope: str
    seconds: int
    reason: str


@dataclass(frozen=True)
class _Count:
    throttle: Throttle
    failures_key: str
    last_failure_key: str

    def wait(self, stored: dict, now: float) -> int:
        failures, last_failure = stored.get(self.failures_key, 0), stored.get(self.last_failure_key)
        if failures < self.throttle.failure_limit or last_failure is None:
            return 0
        return max(0, ceil(last_failure + self.throttle.delay(failures) - now))


def _window_length() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def _counts(request, *, user_name: str, now: float) -> list[_Count]:
    by_address = Throttle(
        scope="address",
        failure_limit=settings.IAM_LOGIN_ADDRESS_FAILURE_LIMIT,
        max_delay=settings.IAM_LOGIN_ADDRESS_MAX_DELAY,
        reason="Throttled: too many failures from this address",
    )
    by_name = Throttle(
        scope="name",
        failure_limit=settings.IAM_LOGIN_NAME_FAILURE_LIMIT,
        max_delay=settings.IAM_LOGIN_NAME_MAX_DELAY,
        reason="Throttled: too many failures for this user name",
    )
    window = int(now // _window_length())
    # Requests whose address cannot be read share one count.
    subjects = [(by_address, source_ip(request) or ""), (by_name, user_name)]
    counts = []
    for throttle, subject in subjects:
        # Hashed: a typed name may hold anything, and cache keys may not.
        key = f"sign-in-throttle:{throttle.scope}:{window}:{hashlib.sha256(subject.encode()).hexdigest()}"
        counts.append(_Count(throttle=throttle, failures_key=f"{key}:failures", last_failure_key=f"{key}:last-failure"))
    return counts


def wait_before_attempt(request, *, user_name: str) -> Wait | None:
    """The longest wait still due before this attempt's password may be checked, or None.

    `user_name` as django-axes counts it (identities.signin.lockout_user_name)."""
    now = timezone.now().timestamp()
    counts = _counts(request, user_name=user_name, now=now)
    stored = cache.get_many([key for count in counts for key in (count.failures_key, count.last_failure_key)])
    waits = [
        Wait(scope=count.throttle.scope, seconds=seconds, reason=count.throttle.reason)
        for count in counts
        if (seconds := count.wait(stored, now)) > 0
    ]
    return max(waits, key=lambda wait: wait.seconds, default=None)


def note_failure(request, *, user_name: str) -> None:
    """Count a failed sign-in against its client address and its user name."""
    now = timezone.now().timestamp()
    timeout = _window_length()
    for count in _counts(request, user_name=user_name, now=now):
        # add, then incr: atomic in Redis, so concurrent failures are all counted. ValueError:
        # the count expired between the two calls, at its window's end.
        cache.add(count.failures_key, 0, timeout=timeout)
        with suppress(ValueError):
            cache.incr(count.failures_key)
        cache.set(count.last_failure_key, now, timeout=timeout)
