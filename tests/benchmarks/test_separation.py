"""The benchmarks live outside the product: its settings know none of their commands,
its apps hold none of their modules and import nothing of them.

The suite runs under the product's (test) settings, so the other tests here call
each command's Command class directly rather than by name.
"""

import ast
import os
import pathlib
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = pathlib.Path(__file__).resolve().parents[2]
PRODUCT = ("iamconsole", "identities", "policies")
COMMANDS = ["bench_api", "bench_audit", "bench_pages", "bench_reports", "explain_queries", "loadtest", "seed_scale"]
# Not `loader` (the authorization package's) nor `explain` (the engine's): those are the product.
TOOL_NAME = re.compile(r"^(bench|loadtest|loadgen|seed_scale|explain_queries|two_servers)")


def product_modules() -> list[pathlib.Path]:
    return [path for package in PRODUCT for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts]


@pytest.mark.parametrize("name", COMMANDS)
def test_the_products_settings_know_no_benchmark_command(name):
    assert "benchmarks.apps.BenchmarksConfig" not in settings.INSTALLED_APPS
    with pytest.raises(CommandError, match=f"Unknown command: '{name}'"):
        call_command(name)


def test_the_products_apps_hold_no_benchmark_load_or_scale_module():
    found = [str(path.relative_to(ROOT)) for path in product_modules() if TOOL_NAME.match(path.stem)]
    assert found == []


def test_no_product_module_imports_the_benchmarks():
    importing = []
    for path in product_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(name.split(".")[0] == "benchmarks" for name in names):
                importing.append(str(path.relative_to(ROOT)))
    assert importing == []


def test_the_benchmarks_settings_are_the_products_plus_their_app():
    from benchmarks import settings as benchmark_settings
    from iamconsole import settings as product_settings

    expected = [*product_settings.INSTALLED_APPS, "benchmarks.apps.BenchmarksConfig"]
    assert expected == benchmark_settings.INSTALLED_APPS
    assert benchmark_settings.DATABASES == product_settings.DATABASES


def test_python_m_benchmarks_runs_the_commands_under_the_benchmarks_settings():
    environment = {**os.environ, "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "localhost", "DJANGO_SETTINGS_MODULE": ""}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "help", "--commands"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    listed = set(result.stdout.split())
    assert set(COMMANDS) <= listed
    assert {"migrate", "seed_demo"} <= listed
