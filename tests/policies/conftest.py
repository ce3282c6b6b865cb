import pytest

from policies.builtins import load_builtins


@pytest.fixture
def builtins(db):
    """The built-in policies, catalogue and default guardrail (again after a flush)."""
    load_builtins()
