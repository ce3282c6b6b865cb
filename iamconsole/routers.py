"""Heavy read-only reports may read from a replica; everything else reads the primary.

Decisions are built from documents and version counters read from the
primary, and the console reads its own writes from the primary, so only
code that opts in (`with reporting():` around who-can, the audit search and
exports) is routed to the `replica` database, when DATABASE_REPLICA_URL
configures one.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings

_reporting: ContextVar[bool] = ContextVar("iam_reporting", default=False)


@contextmanager
def reporting():
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def reads_from_replica(view):
    """Run a report view with its reads on the replica (when there is one)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        with reporting():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reporting.get() and "replica" in settings.DATABASES:
            return "replica"
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"


class _ReplicaIterator:
    """Produces each chunk of a streamed report with its reads routed to the replica."""

    def __init__(self, content):
        self.content = iter(content)

    def __iter__(self):
        return self

    def __next__(self):
        with reporting():
            return next(self.content)


class ReportsOnReplicaMiddleware:
    """Runs the views named in IAM_REPORT_VIEWS (URL names) as reports: their reads, and
    those of the reports they stream, go to the replica when one is configured. The list
    lives in settings so the apps need not know about databases."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        match = request.resolver_match
        if match is None or match.view_name not in settings.IAM_REPORT_VIEWS or "replica" not in settings.DATABASES:
            return None
        with reporting():
            response = view(request, *args, **kwargs)
        if getattr(response, "streaming", False):
            response.streaming_content = _ReplicaIterator(response.streaming_content)
        return response
