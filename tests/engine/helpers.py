"""Requests and decisions for the engine's tables of cases (documents come from tests.documents)."""

from __future__ import annotations

from policies.engine import Outcome, Request, authorize, compile_policies
from tests.documents import document, statement

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB_ELSEWHERE = f"arn:aws:iam::{OTHER_ACCOUNT}:user/bob"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app/reader"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/alice-session"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
BUCKET = "arn:aws:s3:::example-bucket"
OBJECT = "arn:aws:s3:::example-bucket/report.csv"

ALLOW = Outcome.ALLOW
DENY = Outcome.EXPLICIT_DENY
IMPLICIT = Outcome.IMPLICIT_DENY


def request(action="s3:GetObject", resource=OBJECT, principal=ALICE, context=None, **extra) -> Request:
    return Request(principal, action, resource, context or {}, **extra)


def decide(identity=(), *, action="s3:GetObject", resource=OBJECT, principal=ALICE, context=None, **layers) -> Outcome:
    """The outcome of one request; `identity` is a list of documents."""
    wrapped = {name: value for name, value in layers.items() if name != "resource_account"}
    asked = request(action, resource, principal, context, resource_account=layers.get("resource_account"))
    decision = authorize(asked, identity=list(identity), **wrapped)
    assert not decision.errors, decision.errors
    # a compiled set may take the identity-only shortcut: it must agree
    compiled = authorize(asked, identity=compile_policies(list(identity)), **wrapped)
    assert (compiled.outcome, compiled.blocking_layers) == (decision.outcome, decision.blocking_layers)
    assert compiled.deciding == decision.deciding
    return decision.outcome


def condition_holds(block: dict, context: dict, *, version="2012-10-17") -> bool:
    """Whether an Allow guarded only by `block` applies to a request with `context`."""
    outcome = decide([document(statement("Allow", Condition=block), version=version)], context=context)
    return outcome is ALLOW
