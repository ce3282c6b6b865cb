"""EXPLAIN every query the busiest pages and a cold decision run, and flag full scans.

    DATABASE_URL=postgres://… python -m benchmarks explain_queries [--plans] [--slow 5]

Run it after seed_demo and seed_scale. Each page is fetched once to warm the
caches, then once more while its queries are captured; a decision is made
with cold caches, as the first decision after a policy change is. Every
distinct SELECT is then run again under `EXPLAIN (ANALYZE, FORMAT JSON)` on
PostgreSQL (`EXPLAIN QUERY PLAN` on SQLite) and the command prints, for each,
its time and any sequential scan of a table larger than `--large` rows: the
sign of a missing index. Nothing is written; writes the pages make (sessions,
last-used times) are not explained.
"""

import json

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks.pages import collect_static_files, identity_pages, signed_in_client
from benchmarks.scale import USER_PREFIX
from identities.audit import AuditEvent
from identities.context import Target
from identities.models import User
from policies import authorization
from policies.models import ManagedPolicy


class Command(BaseCommand):
    help = "EXPLAIN the queries of the busiest pages and of a cold decision; flag full scans of large tables."

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="username", default="iam-admin", help="Who signs in (default iam-admin).")
        parser.add_argument("--large", type=int, default=5000, help="Rows from which a full scan is flagged.")
        parser.add_argument("--slow", type=float, default=5.0, help="Print the plan of queries slower than this (ms).")
        parser.add_argument("--plans", action="store_true", help="Print the plan of every flagged or slow query.")

    def handle(self, *args, username: str, large: int, slow: float, plans: bool, **options):
        actor = User.objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"No user {username!r}: run seed_demo first, or pass --as.")
        self.sizes = _table_sizes()
        collect_static_files()
        client = signed_in_client(actor)
        self.stdout.write(
            f"{connection.vendor}, {User.objects.count():,} users; full scans flagged from {large:,} rows"
        )
        self.stdout.write(f"{'page':<30} {'query':<34} {'ms':>8}  {'rows':>9}  flagged")
        flagged = 0
        for label, queries in self._captured(client):
            for sql in queries:
                flagged += self._explain(label, sql, large, slow, plans)
        self.stdout.write(f"{flagged} flagged full scan(s)")

    def _captured(self, client):
        for label, url in _pages():
            client.get(url, secure=not settings.DEBUG)
            with CaptureQueriesContext(connection) as captured:
                client.get(url, secure=not settings.DEBUG)
            yield label, _selects(captured)
        user = _sample_user()
        if user is not None:
            authorization.clear_caches()
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                user.has_perm("storage:GetObject", Target("arn:aws:storage:::bucket/key"))
            yield "decision, cold caches", _selects(captured)

    def _explain(self, label: str, sql: str, large: int, slow: float, plans: bool) -> int:
        if connection.vendor == "postgresql":
            plan, milliseconds = _postgresql_plan(sql)
            scans = [
                (node["Relation Name"], node.get("Actual Rows", 0))
                for node in _nodes(plan["Plan"])
                if node["Node Type"] == "Seq Scan"
            ]
            rows = plan["Plan"].get("Actual Rows", 0)
        else:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                details = [row[-1] for row in cursor.fetchall()]
            milliseconds, rows, plan = 0.0, 0, details
            scans = [
                (detail.split()[1], 0) for detail in details if detail.startswith("SCAN ") and " USING " not in detail
            ]
        scans = [(table, actual) for table, actual in scans if self.sizes.get(table, 0) >= large]
        marks = ", ".join(f"seq scan {table} ({self.sizes[table]:,} rows)" for table, _ in scans)
        timing = f"{milliseconds:>8.1f}  {rows:>9,}" if connection.vendor == "postgresql" else f"{'-':>8}  {'-':>9}"
        self.stdout.write(f"{label[:30]:<30} {_summary(sql):<34} {timing}  {marks}")
        if plans and (scans or milliseconds >= slow):
            self.stdout.write("    " + sql[:400])
            self.stdout.write(_indent(json.dumps(plan, indent=1) if isinstance(plan, dict) else "\n".join(plan)))
        return len(scans)


def _pages() -> list[tuple[str, str]]:
    policy = ManagedPolicy.objects.order_by("-pk").first()
    user = _sample_user()
    audit = reverse("identities:audit-list")
    pages = [("home", reverse("home")), *identity_pages()]
    pages += [
        ("policies", reverse("policies:policy-list")),
        ("user's policies fragment", reverse("policies:identity-fragment", args=["user", user.pk])),
        ("audit trail", audit),
        ("audit, by actor", f"{audit}?actor={user.username}"),
        ("audit, denied", f"{audit}?outcome=Denied"),
        ("admin users", reverse("admin:identities_user_changelist")),
        ("admin groups", reverse("admin:identities_group_changelist")),
        ("what-can", f"{reverse('policies:what-can')}?kind=user&principal={user.username}"),
    ]
    if policy is not None:
        pages.append(("policy page", reverse("policies:policy-detail", args=[policy.pk])))
    return pages


def _sample_user() -> User | None:
    """The newest scale user, or any user but root on smaller data."""
    scale = User.objects.filter(username__startswith=USER_PREFIX).order_by("-pk").first()
    return scale or User.objects.filter(is_superuser=False).order_by("pk").first()


def _selects(captured) -> list[str]:
    seen, selects = set(), []
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.lstrip().upper().startswith(("SELECT", "WITH")) and sql not in seen:
            seen.add(sql)
            selects.append(sql)
    return selects


def _summary(sql: str) -> str:
    """`count identities_user`, `select identities_membership`: what a query reads first."""
    kind = "count" if sql.lstrip().upper().startswith("SELECT COUNT(") else "select"
    table = sql.partition(" FROM ")[2].split(None, 1)[0].strip('"`(') if " FROM " in sql else "?"
    return f"{kind} {table}"[:34]


def _postgresql_plan(sql: str) -> tuple[dict, float]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]
    return plan, plan["Planning Time"] + plan["Execution Time"]


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


def _table_sizes() -> dict[str, int]:
    sizes = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table.startswith(("identities_", "policies_")) or table == AuditEvent._meta.db_table:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                sizes[table] = cursor.fetchone()[0]
    return sizes


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
