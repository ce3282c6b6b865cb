"""two_servers runs as `python -m benchmarks.two_servers`, says what it shows, and refuses a database
the servers cannot share."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_without_postgresql_it_says_so_and_starts_nothing(tmp_path):
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'alone.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.two_servers"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Set DATABASE_URL to a PostgreSQL database" in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_help_says_what_it_shows():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.two_servers", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m benchmarks.two_servers [-h]")
    assert "two app servers" in result.stdout
