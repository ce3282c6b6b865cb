"""Liveness and readiness for load balancers and orchestrators.

/health/ answers 200 while the process can serve (database reachable,
migrations applied, cache reachable or degraded); /ready/ answers 200 only
when it should receive traffic: database reachable and every migration
applied. A Redis outage makes the console slower, not unavailable, so it
degrades health without failing readiness.
"""

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        return f"unreachable: {type(error).__name__}"


def _migrations() -> str:
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:  # noqa: BLE001
        return f"unknown: {type(error).__name__}"
    return "ok" if not pending else f"{len(pending)} pending"


def _cache() -> str:
    try:
        cache.set("iamconsole:health", "ok", 10)
        return "ok" if cache.get("iamconsole:health") == "ok" else "degraded: not stored"
    except Exception as error:  # noqa: BLE001
        return f"degraded: {type(error).__name__}"


@never_cache
@require_GET
def health(request):
    checks = {"database": _database(), "migrations": _migrations(), "cache": _cache()}
    healthy = checks["database"] == "ok" and checks["migrations"] == "ok"
    status = "ok" if healthy and checks["cache"] == "ok" else "degraded" if healthy else "failing"
    return JsonResponse({"status": status, "checks": checks}, status=200 if healthy else 503)


@never_cache
@require_GET
def ready(request):
    checks = {"database": _database(), "migrations": _migrations()}
    ready_now = all(value == "ok" for value in checks.values())
    return JsonResponse({"ready": ready_now, "checks": checks}, status=200 if ready_now else 503)
