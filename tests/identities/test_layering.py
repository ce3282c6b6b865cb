"""identities is layered: models below queries below services, with no circle between its modules."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
APP = ROOT / "identities"


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in APP.rglob("*.py") if "migrations" not in path.parts}


def imported(path: pathlib.Path) -> set[str]:
    """identities' modules that `path` imports, at its top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in MODULES} - {module_name(path)}


GRAPH = {name: imported(path) for name, path in MODULES.items()}


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for name in GRAPH[todo.pop()] - seen:
            seen.add(name)
            todo.append(name)
    return seen


def test_the_graph_sees_the_imports_it_must_follow():
    assert "identities.services.users" in GRAPH["identities.services"]
    assert "identities.models" in GRAPH["identities.services.users"]


def test_the_models_reach_neither_the_services_nor_the_queries():
    above = ("identities.services", "identities.queries")
    assert {name for name in reachable("identities.models") if name.startswith(above)} == set()


def test_no_module_of_identities_imports_itself_back():
    circles = sorted(name for name in GRAPH if name in reachable(name))
    assert circles == []


def test_loading_the_app_in_a_fresh_interpreter_imports_no_services():
    """The app alone, set up as Django sets it up (its models and ready()), with nothing that
    would import the services for another reason (no admin, no urls)."""
    code = """
import sys, django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django_otp",
                    "django_otp.plugins.otp_totp", "identities"],
    AUTH_USER_MODEL="identities.User",
)
django.setup()
import identities.models
assert "identities.models" in sys.modules
loaded = sorted(m for m in sys.modules if m.startswith(("identities.services", "identities.queries", "policies")))
assert not loaded, loaded
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
