"""Serving concerns: health and readiness, the fail-soft Redis cache, the replica router,
the client address behind proxies, JSON logs and the Content-Security-Policy."""

import json
import logging
import os
import time

import pytest
from django.core.cache import caches
from django.test import RequestFactory

from iamconsole import health
from iamconsole.cache import ResilientRedisCache
from iamconsole.logs import JSONFormatter
from iamconsole.routers import ReplicaRouter, reporting
from identities.context import context_for
from identities.models import User
from policies import authorization
from tests.documents import allow
from tests.redis_server import REDIS_SERVER, free_port, private_redis

needs_redis = pytest.mark.skipif(
    REDIS_SERVER is None and not os.environ.get("CI"),
    reason="redis-server is not installed (apt-get install redis-server)",
)


def redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "iamconsole.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }


@pytest.mark.django_db
def test_health_and_readiness_answer_ok(client):
    response = client.get("/health/")
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "cache": "ok"}},
    )
    assert client.get("/ready/").json() == {"ready": True, "checks": {"database": "ok", "migrations": "ok"}}


@pytest.mark.django_db
def test_without_the_database_both_answer_503(client, monkeypatch):
    monkeypatch.setattr(health, "_database", lambda: "unreachable: OperationalError")
    assert client.get("/health/").status_code == 503
    assert client.get("/ready/").status_code == 503


@pytest.mark.django_db
def test_a_dead_cache_degrades_health_but_not_readiness(client, settings):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}/0")
    body = client.get("/health/").json()
    assert body["status"] == "degraded" and body["checks"]["cache"].startswith("degraded")
    assert client.get("/ready/").status_code == 200


@needs_redis
def test_the_redis_cache_stores_and_reads_on_a_real_server():
    with private_redis() as (url, _):
        shared = ResilientRedisCache(url, {"OPTIONS": {"socket_timeout": 0.5}})
        shared.set("answer", {"documents": [1, 2]}, 30)
        assert shared.get("answer") == {"documents": [1, 2]}


@needs_redis
def test_an_unreachable_redis_answers_misses_quickly_and_never_raises():
    with private_redis() as (url, process):
        shared = ResilientRedisCache(url, {"OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}})
        shared.set("key", "value", 30)
        process.terminate()
        process.wait(timeout=10)
        started = time.monotonic()
        assert shared.get("key", "fallback") == "fallback"
        assert shared.set("key", "other", 30) is None
        assert shared.add("key", "x") is False
        assert time.monotonic() - started < 5


@needs_redis
@pytest.mark.django_db
def test_decisions_come_out_right_with_redis_down(mia, settings):
    from policies import services

    services.put_inline_policy(identity=mia, policy_name="Read", document=allow("storage:GetObject"), actor=None)
    with private_redis() as (url, process):
        settings.CACHES = redis_cache(url)
        assert mia.has_perm("storage:GetObject") is True
        process.terminate()
        process.wait(timeout=10)
        authorization.clear_caches()
        assert (mia.has_perm("storage:GetObject"), mia.has_perm("storage:PutObject")) == (True, False)


@needs_redis
@pytest.mark.django_db
def test_a_redis_outage_signs_nobody_out(client, mia, settings):
    with private_redis() as (url, process):
        settings.CACHES = redis_cache(url)
        client.force_login(mia)
        assert client.get("/").status_code == 200
        process.terminate()
        process.wait(timeout=10)
        caches["default"].close()
        response = client.get("/")
        assert response.status_code == 200
        assert response.wsgi_request.user.username == "mia"


@pytest.mark.django_db
def test_shared_documents_are_keyed_by_generation(mia):
    from policies import services

    services.put_inline_policy(identity=mia, policy_name="Read", document=allow("storage:GetObject"), actor=None)
    assert mia.has_perm("storage:GetObject") is True
    services.put_inline_policy(identity=mia, policy_name="Read", document=allow("storage:ListBuckets"), actor=None)
    authorization.clear_caches()
    assert (mia.has_perm("storage:GetObject"), mia.has_perm("storage:ListBuckets")) == (False, True)


def test_reports_read_from_the_replica_only_when_one_is_configured(monkeypatch):
    from django.conf import settings

    router = ReplicaRouter()
    assert router.db_for_read(User) == "default"
    with reporting():
        assert router.db_for_read(User) == "default"
        monkeypatch.setitem(settings.DATABASES, "replica", settings.DATABASES["default"])
        assert router.db_for_read(User) == "replica"
    assert router.db_for_read(User) == "default"
    assert (router.db_for_write(User), router.allow_migrate("replica", "identities")) == ("default", False)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "10.0.0.2"),
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        (2, "198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (2, "198.51.100.7", "10.0.0.2"),
    ],
)
def test_the_client_address_behind_trusted_proxies(settings, proxies, forwarded, expected):
    settings.IAM_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    request.session = {}
    assert context_for(request).source_ip == expected


def test_json_logs_are_one_object_a_line():
    record = logging.makeLogRecord(
        {
            "name": "iamconsole.test",
            "levelname": "WARNING",
            "msg": "cache %s",
            "args": ("down",),
            "path": "/api/v1/authorize",
        }
    )
    line = JSONFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert (entry["level"], entry["message"], entry["path"]) == ("WARNING", "cache down", "/api/v1/authorize")


def test_report_views_and_their_streams_read_from_the_replica(monkeypatch, rf):
    from django.conf import settings
    from django.http import HttpResponse, StreamingHttpResponse
    from django.urls import ResolverMatch

    from iamconsole.routers import ReportsOnReplicaMiddleware

    router, seen = ReplicaRouter(), []
    monkeypatch.setitem(settings.DATABASES, "replica", settings.DATABASES["default"])

    def report(request):
        seen.append(router.db_for_read(User))
        return StreamingHttpResponse(router.db_for_read(User) for _ in range(2))

    def page(request):
        seen.append(router.db_for_read(User))
        return HttpResponse("ok")

    middleware = ReportsOnReplicaMiddleware(lambda request: None)
    request = rf.get("/who-can/")
    request.resolver_match = ResolverMatch(report, (), {}, url_name="who-can", namespaces=["policies"])
    response = middleware.process_view(request, report, (), {})
    assert [chunk.decode() for chunk in response.streaming_content] == ["replica", "replica"]
    other = rf.get("/")
    other.resolver_match = ResolverMatch(page, (), {}, url_name="home")
    assert middleware.process_view(other, page, (), {}) is None
    assert seen == ["replica"]


CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "who", "status", "template"),
    [
        ("/", "mia", 200, "home.html"),
        ("/sign-in/", None, 200, "registration/login.html"),
        ("/admin/", "root", 200, "admin/index.html"),
        ("/admin/", "mia", 403, "403.html"),
        ("/no-such-page/", "mia", 404, "404.html"),
    ],
)
def test_every_kind_of_page_sends_the_content_security_policy(client, root, mia, path, who, status, template):
    if who:
        client.force_login({"root": root, "mia": mia}[who])
    response = client.get(path)
    assert (response.status_code, template in [used.name for used in response.templates]) == (status, True)
    directives = (part.split() for part in response["Content-Security-Policy"].split(";"))
    assert {name: sources for name, *sources in directives} == CONTENT_SECURITY_POLICY
