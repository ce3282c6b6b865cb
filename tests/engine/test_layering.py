"""The engine is layered like a compiler: each module imports only earlier ones."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
ENGINE = ROOT / "policies" / "engine"
ORDER = [
    "errors",
    "jsontext",
    "document",
    "wellformed",
    "parse",
    "values",
    "keys",
    "catalogue",
    "validate",
    "match",
    "variables",
    "conditions",
    "compile",
    "reach",
    "evaluate",
    "authorize",
    "explain",
    "simulate",
    "__init__",
    "__main__",
]


def engine_imports(path: pathlib.Path) -> tuple[set[str], set[str]]:
    internal, external = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level and node.module:
                internal.add(node.module.split(".")[0])
            elif node.level:
                internal.update(alias.name for alias in node.names)
            else:
                external.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Import):
            external.update(alias.name.split(".")[0] for alias in node.names)
    return internal, external


def test_every_module_is_in_the_layer_order():
    assert {path.stem for path in ENGINE.glob("*.py")} == set(ORDER)


def test_each_module_imports_only_earlier_modules_and_the_standard_library():
    for path in ENGINE.glob("*.py"):
        internal, external = engine_imports(path)
        position = ORDER.index(path.stem)
        later = [name for name in internal if ORDER.index(name) >= position]
        assert not later, f"{path.stem} imports {later}"
        third_party = [name for name in external if name not in sys.stdlib_module_names and name != "__future__"]
        assert not third_party, f"{path.stem} imports {third_party}"


def test_the_engine_tests_and_the_documents_they_build_load_no_django():
    """The engine's tests take their policy documents from tests.documents, shared with the
    Django tests: neither may bring Django in."""
    modules = sorted(f"tests.engine.{path.stem}" for path in (ROOT / "tests" / "engine").glob("[!_]*.py"))
    code = (
        f"import sys, tests.documents, {', '.join(modules)};"
        "loaded = [m for m in sys.modules if m == 'django' or m.startswith('django.')];"
        "assert not loaded, loaded"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
