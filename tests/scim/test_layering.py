"""Dependencies point one way: scim may import identities and ask policies' authorization
package; identities never imports scim."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _imports(app: str) -> set[str]:
    names = set()
    for path in (ROOT / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
    return names


def test_identities_never_imports_scim():
    assert {name for name in _imports("identities") if name.split(".")[0] == "scim"} == set()


def test_scim_reaches_policies_only_through_its_authorization_package():
    policies = {name for name in _imports("scim") if name.split(".")[0] == "policies"}
    assert {name for name in policies if not name.startswith("policies.authorization")} == set()


def test_the_walk_sees_imports():
    assert "scim2_models" in _imports("scim")
    assert "identities.models" in _imports("identities")
