"""Builders of policy documents, so tables of cases stay readable.

Plain dicts in AWS's grammar and nothing else: the engine's tests use them too,
and they must run without Django.
"""

from __future__ import annotations

VERSION = "2012-10-17"


def statement(effect: str, actions="*", resources="*", condition=None, **elements) -> dict:
    """One statement; `elements` adds any other (Sid, Principal, NotResource, ...)."""
    body = {"Effect": effect, "Action": actions, "Resource": resources, **elements}
    if condition:
        body["Condition"] = condition
    return body


def document(*statements: dict, version: str | None = VERSION) -> dict:
    """A policy of these statements; `version=None` leaves the Version element out."""
    body: dict = {} if version is None else {"Version": version}
    body["Statement"] = list(statements)
    return body


def allow(actions="*", resources="*", condition=None, **elements) -> dict:
    """A policy of one Allow statement."""
    return document(statement("Allow", actions, resources, condition, **elements))


def deny(actions="*", resources="*", condition=None, **elements) -> dict:
    """A policy of one Deny statement."""
    return document(statement("Deny", actions, resources, condition, **elements))


def grant(principal, actions="*", resources="*", effect="Allow", **elements) -> dict:
    """A statement of a resource or trust policy naming `principal` (`"*"` for anyone)."""
    named = principal if principal == "*" else {"AWS": principal}
    return {"Effect": effect, "Principal": named, "Action": actions, "Resource": resources, **elements}
