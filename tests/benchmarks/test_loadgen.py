"""The load generator: bounded runs on loopback, and servers that run the product with the API's limits off."""

import http.server
import json
import pathlib
import subprocess
import sys
import threading

import pytest

from benchmarks.loadgen import Server, drive, free_port

ROOT = pathlib.Path(__file__).resolve().parents[2]


class _Answer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        status = 404 if self.path == "/missing" else 200
        body = self.path.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_drive_sends_exactly_the_total_cycling_through_the_requests(loopback):
    requests = [("GET", "/found", None, {}), ("GET", "/missing", None, {})]
    seen = []
    figures = drive(
        loopback, requests, clients=3, total=10, seconds=30, on_response=lambda *answer: seen.append(answer)
    )
    assert figures.statuses == {200: 5, 404: 5}
    assert (len(figures.latencies), figures.errors) == (10, 0)
    assert sorted(seen) == sorted([(0, 200, b"/found")] * 5 + [(1, 404, b"/missing")] * 5)
    assert "[200:5 404:5]" in figures.line("mixed")


def test_a_port_nobody_listens_on_counts_errors_and_no_answers():
    figures = drive(free_port(), [("GET", "/", None, {})], clients=1, total=3, seconds=30)
    assert (figures.latencies, figures.errors) == ([], 3)
    assert figures.line("nobody") == f"{'nobody':<34} no answers (3 errors)"


def test_a_benchmark_server_runs_the_products_settings_with_the_api_limits_off():
    code = (
        "import json, django; django.setup(); from django.conf import settings;"
        "print(json.dumps([settings.IAM_API_RATE_PER_ADDRESS, settings.IAM_API_RATE_PER_KEY,"
        " settings.PLAIN_HTTP, 'benchmarks.apps.BenchmarksConfig' in settings.INSTALLED_APPS]))"
    )
    environment = Server(free_port()).environment
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [0, 0, True, False]
