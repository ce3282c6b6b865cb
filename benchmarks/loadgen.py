"""A small, bounded HTTP load generator for benchmarks against servers on loopback.

Requests go only to 127.0.0.1; every run stops after a number of requests or
seconds, whichever comes first.
"""

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0

    def line(self, label: str) -> str:
        count = len(self.latencies)
        if not count:
            return f"{label:<34} no answers ({self.errors} errors)"
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[min(count - 1, int(count * 0.99))] * 1000
        statuses = " ".join(f"{status}:{n}" for status, n in sorted(self.statuses.items()))
        return (
            f"{label:<34} {count / self.seconds:8.0f} req/s   p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   "
            f"errors {self.errors}   [{statuses}]"
        )


def drive(
    port: int,
    requests: list[tuple[str, str, bytes | None, dict]],
    *,
    clients: int,
    total: int,
    seconds: float,
    on_response=None,
) -> Figures:
    """Send `total` requests (cycling through `requests`) from `clients` keep-alive connections;
    `on_response(index, status, body)` sees every answer, to check them afterwards."""
    figures, lock = Figures(), threading.Lock()
    counter = iter(range(total))
    deadline = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for index in counter:
            if time.monotonic() > deadline:
                break
            method, path, body, headers = requests[index % len(requests)]
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException):
                with lock:
                    figures.errors += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            elapsed = time.perf_counter() - started
            with lock:
                figures.latencies.append(elapsed)
                figures.statuses[response.status] = figures.statuses.get(response.status, 0) + 1
                if on_response is not None:
                    on_response(index % len(requests), response.status, payload)
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures.seconds = time.perf_counter() - started
    return figures


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving this project on a loopback port, started and stopped by the caller:
    the product's settings, plain HTTP, no access log and the API's rate limits off, unless
    `environment` says otherwise."""

    def __init__(self, port: int, *, workers: int = 2, environment: dict | None = None, app: str = "iamconsole.wsgi"):
        self.port, self.app = port, app
        self.environment = {
            **os.environ,
            # The product as deployed: the benchmarks' settings add nothing a server serves.
            "DJANGO_SETTINGS_MODULE": "iamconsole.settings",
            "IAM_PLAIN_HTTP": "true",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_ACCESS_LOG": "",
            # One address and one key drive every request: with the API's limits on, a run would
            # measure 429s (a rate of 0 turns a limit off).
            "IAM_API_RATE_PER_ADDRESS": "0",
            "IAM_API_RATE_PER_KEY": "0",
            **(environment or {}),
        }
        self.environment.setdefault("SECRET_KEY", "benchmark-only-secret-key-" + "x" * 40)
        self.environment.setdefault("IAM_CREDENTIAL_KEYS", "benchmark:" + "A" * 43 + "=")
        self.process: subprocess.Popen | None = None

    def start(self) -> "Server":
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", self.app]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.environment, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                connection.request("GET", "/ready/")
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not become ready on port {self.port}")

    def worker_pids(self) -> list[int]:
        """The gunicorn workers' process ids (children of the master)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
