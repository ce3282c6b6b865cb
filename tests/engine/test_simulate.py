"""The simulate driver, case by case: ../shared/simulation-format.md's rules for a case."""

from __future__ import annotations

import json

from policies.engine.simulate import answer

from .helpers import ACCOUNT, ALICE

BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"


def _case(**fields) -> dict:
    case = {"identity_policies": [], "request": {"principal": ALICE, "action": "s3:GetObject", "resource": "*"}}
    case.update(fields)
    return case


def _answer(case: dict) -> dict:
    return answer(json.dumps(case))


def test_an_allow_with_not_principal_grants_everyone_but_the_principal_it_names():
    everyone_but_alice = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "NotPrincipal": {"AWS": ALICE}, "Action": "s3:GetObject", "Resource": "*"},
    }
    alice = _answer(_case(resource_policy=everyone_but_alice))
    bob = _answer(_case(resource_policy=everyone_but_alice, request={**_case()["request"], "principal": BOB}))
    assert (alice["decision"], bob["decision"]) == ("ImplicitDeny", "Allow")
