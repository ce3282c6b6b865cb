"""The decision API against the HTTP floor, in one run: a trivial WSGI app (benchmarks.floor)
and the project under the same gunicorn settings, driven in interleaved rounds.

    python -m benchmarks bench_api_floor [--rounds 3] [--requests 1000]

As deployed: the project's WSGI entry (the API's short chain), the API's rate limits on (with
limits no run reaches, so the limiter runs but never refuses), a private redis-server as the
cache, and the documented connection health checks (DATABASE_CONN_HEALTH_CHECKS=true).
SQLite by default, PostgreSQL when DATABASE_URL says so. Prints each round's warm p50s and
their ratio, then the median ratio.
"""

import shutil
import statistics

from django.core.management.base import BaseCommand, CommandError

from benchmarks.loadgen import Server, drive, free_port
from benchmarks.management.commands.bench_api import Command as BenchAPI
from benchmarks.management.commands.loadtest import _PrivateRedis

HIGH_RATE = "1000000"


class Command(BaseCommand):
    help = "Warm p50 of POST /api/v1/authorize against a trivial WSGI app's, interleaved rounds."

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=3)
        parser.add_argument("--requests", type=int, default=1000, help="requests per server per round")
        parser.add_argument("--seconds", type=float, default=30.0, help="seconds per server per round at most")
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, **options):
        if options["rounds"] < 3:
            raise CommandError("At least 3 rounds: the ratio is their median.")
        if shutil.which("redis-server") is None:
            raise CommandError("redis-server is needed (apt-get install redis-server).")
        authorization, principals = BenchAPI._fixtures(BenchAPI(), 1)
        request = (
            "POST",
            "/api/v1/authorize",
            BenchAPI._body(principals[0]),
            {"Authorization": authorization, "Content-Type": "application/json"},
        )
        with _PrivateRedis() as redis_url:
            environment = {
                "REDIS_URL": redis_url,
                "IAM_API_RATE_PER_ADDRESS": HIGH_RATE,
                "IAM_API_BURST_PER_ADDRESS": HIGH_RATE,
                "IAM_API_RATE_PER_KEY": HIGH_RATE,
                "IAM_API_BURST_PER_KEY": HIGH_RATE,
                "DATABASE_CONN_HEALTH_CHECKS": "true",
            }
            servers = {
                "floor": Server(
                    free_port(), workers=options["workers"], environment=environment, app="benchmarks.floor"
                ),
                "api": Server(free_port(), workers=options["workers"], environment=environment),
            }
            with servers["floor"] as floor, servers["api"] as api:
                ratios = [self._round(number, floor, api, request, options) for number in range(options["rounds"])]
        self.stdout.write(f"median ratio over {len(ratios)} rounds: {statistics.median(ratios):.2f}x the floor")

    def _round(self, number: int, floor: Server, api: Server, request, options) -> float:
        p50 = {}
        for name, server in (("floor", floor), ("api", api)):
            drive(server.port, [request], clients=1, total=50, seconds=10)  # warm
            figures = drive(server.port, [request], clients=1, total=options["requests"], seconds=options["seconds"])
            if set(figures.statuses) != {200}:
                raise CommandError(f"{name} answered {figures.statuses}, not only 200s")
            p50[name] = statistics.median(figures.latencies) * 1000
        ratio = p50["api"] / p50["floor"]
        self.stdout.write(
            f"round {number + 1}: floor p50 {p50['floor']:.2f} ms, api p50 {p50['api']:.2f} ms, ratio {ratio:.2f}"
        )
        return ratio
