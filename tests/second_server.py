"""A second app server for the tests: gunicorn in a process of its own (its own per-process
caches), on the database the test process uses and the shared cache it is given, with a
clock the test moves (tests/second_server_wsgi.py).

On PostgreSQL it opens the test database itself, so it sees every commit of the test. An
in-memory SQLite test database belongs to this process alone, so on SQLite the server gets a
file copy of it, made when the server starts: it then decides from the same rows, but sees
nothing written after that (start it once the state to decide from is committed)."""

import json
import sqlite3
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from benchmarks.loadgen import Server, free_port


def database_url(folder: Path) -> str:
    """A URL of the test database for another process: the same one on PostgreSQL, a copy on SQLite."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user, password = quote(settings["USER"] or "", safe=""), quote(settings["PASSWORD"] or "", safe="")
        return f"postgres://{user}:{password}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"
    copy = folder / "second-server.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(copy) as target:
        connection.connection.backup(target)
    return f"sqlite:///{copy}"


class SecondServer:
    def __init__(self, folder: Path, *, redis_url: str):
        self.clock_file = folder / "second-server-clock"
        environment = {
            "DATABASE_URL": database_url(folder),
            "REDIS_URL": redis_url,
            "IAM_TEST_CLOCK_FILE": str(self.clock_file),
        }
        self.server = Server(free_port(), workers=1, environment=environment, app="tests.second_server_wsgi")
        self.url = f"http://127.0.0.1:{self.server.port}"

    def __enter__(self) -> "SecondServer":
        self.server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.stop()

    def set_clock(self, moment: datetime) -> None:
        self.clock_file.write_text(moment.isoformat())

    def post(self, path: str, body: dict, *, authorization: str) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": authorization, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)
