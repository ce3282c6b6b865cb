"""Token buckets per subject, one set per process, reconciled through a real Redis at most
once a second; a cache that fails leaves each process limiting alone, never refusing for it."""

import math

import pytest
import redis

from iamconsole.cache import ResilientRedisCache
from identities.ratelimit import Limiter, network_of
from tests.ratelimit_helpers import FakeClock
from tests.redis_server import free_port, private_redis

OPTIONS = {"OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}}


@pytest.fixture(scope="module")
def redis_url():
    with private_redis() as (url, _):
        yield url


@pytest.fixture
def shared_cache(redis_url):
    cache = ResilientRedisCache(redis_url, OPTIONS)
    cache.clear()
    return cache


@pytest.fixture
def closed_port_cache():
    return ResilientRedisCache(f"redis://127.0.0.1:{free_port()}/0", OPTIONS)


@pytest.fixture
def clock():
    return FakeClock()


def limiter(clock, cache, *, rate=10, burst=10) -> Limiter:
    return Limiter(name="test", rate=rate, burst=burst, clock=clock, cache=cache)


def admitted(limit: Limiter, subject: str, tries: int) -> int:
    return sum(1 for _ in range(tries) if limit.wait(subject) == 0)


def test_a_burst_is_admitted_then_each_request_is_told_how_long_to_wait(clock, shared_cache):
    limit = limiter(clock, shared_cache, rate=2, burst=5)
    assert [limit.wait("key") for _ in range(7)] == [0, 0, 0, 0, 0, 1, 1]
    clock.advance(0.5)
    assert [limit.wait("key") for _ in range(2)] == [0, 1]


def test_another_subject_is_unaffected(clock, shared_cache):
    limit = limiter(clock, shared_cache, rate=1, burst=3)
    assert admitted(limit, "203.0.113.7/32", 10) == 3
    assert admitted(limit, "203.0.113.8/32", 10) == 3


def test_after_time_passes_requests_pass_again_at_the_rate(clock, shared_cache):
    limit = limiter(clock, shared_cache, rate=4, burst=4)
    assert admitted(limit, "key", 10) == 4
    clock.advance(0.5)
    assert admitted(limit, "key", 10) == 2
    clock.advance(60)
    assert admitted(limit, "key", 10) == 4  # refilled to the burst, not beyond


DATA_COMMANDS = ("get", "mget", "set", "exists", "incr", "incrby", "expire")


def commands(url: str) -> int:
    """Data commands the server has run (not the client's own hand-shake and INFO calls)."""
    stats = redis.Redis.from_url(url).info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in DATA_COMMANDS)


def test_requests_cost_no_cache_round_trip_until_a_second_has_passed(clock, shared_cache, redis_url):
    limit = limiter(clock, shared_cache, rate=1000, burst=1000)
    before = commands(redis_url)
    for index in range(300):
        limit.wait(f"key{index % 3}")
        clock.advance(0.003)
    assert commands(redis_url) == before
    clock.advance(0.2)
    limit.wait("key0")
    assert commands(redis_url) > before  # reconciled once the second was over


STEP = 1 / 16  # exact in binary: the clock never drifts from the steps


def run_together(limits: list[Limiter], clock: FakeClock, *, seconds: int) -> list[int]:
    """Each step a sixteenth of a second, each limiter offered five requests, far past the
    limit: what each admitted."""
    counts = [0] * len(limits)
    for _ in range(round(seconds / STEP)):
        clock.advance(STEP)
        for index, limit in enumerate(limits):
            counts[index] += admitted(limit, "key", 5)
    return counts


# What one limiter (rate 10, burst 10) admits in 20 such seconds: its burst at the first step,
# then ten a second for the rest.
ALONE = 10 + math.floor(10 * (20 - STEP))


def test_two_processes_sharing_redis_are_held_near_one_limit(clock, shared_cache, redis_url):
    first, second = limiter(clock, shared_cache), limiter(clock, ResilientRedisCache(redis_url, OPTIONS))
    counts = run_together([first, second], clock, seconds=20)
    assert min(counts) > 0
    # Together about what one admits alone: at most a burst and a second's rate more for each.
    assert ALONE <= sum(counts) <= ALONE + 2 * (10 + 10)


def test_with_the_cache_on_a_closed_port_each_process_limits_alone(clock, closed_port_cache):
    first, second = limiter(clock, closed_port_cache), limiter(clock, closed_port_cache)
    assert run_together([first, second], clock, seconds=20) == [ALONE, ALONE]


def test_a_redis_that_stops_leaves_each_process_limiting_alone(clock):
    with private_redis() as (url, server):
        first, second = (
            limiter(clock, ResilientRedisCache(url, OPTIONS)),
            limiter(clock, ResilientRedisCache(url, OPTIONS)),
        )
        run_together([first, second], clock, seconds=3)
        server.terminate()
        server.wait(timeout=10)
        clock.advance(60)  # both buckets full again
        assert run_together([first, second], clock, seconds=20) == [ALONE, ALONE]


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.7", "203.0.113.7/32"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7/32"),  # an IPv4 client of a dual-stack socket
        (None, "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_addresses_are_limited_and_counted_by_their_network(address, network):
    assert network_of(address) == network
