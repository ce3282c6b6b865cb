import pytest

from policies.builtins import load_builtins

ACCOUNT = "123456789012"


def statement(effect: str, actions, resources="*", condition=None) -> dict:
    body = {"Effect": effect, "Action": actions, "Resource": resources}
    if condition:
        body["Condition"] = condition
    return body


def document(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions, resources="*", condition=None) -> dict:
    return document(statement("Allow", actions, resources, condition))


def deny(actions, resources="*", condition=None) -> dict:
    return document(statement("Deny", actions, resources, condition))


@pytest.fixture
def builtins(db):
    """The built-in policies, catalogue and default guardrail (again after a flush)."""
    load_builtins()
