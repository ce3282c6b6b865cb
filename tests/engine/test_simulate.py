"""The simulate driver, case by case: docs/policy-evaluation.md, "Simulation cases"."""

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


ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/admin"
MAY_ASSUME = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}}


def _trusting(principal: str, **elements) -> dict:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole", **elements}
    return {"Version": "2012-10-17", "Statement": statement}


def _assume(**fields) -> dict:
    request = {"principal": ALICE, "action": "sts:AssumeRole", "resource": ROLE_ARN}
    return _answer({"identity_policies": [MAY_ASSUME], "request": request, **fields})


def test_a_trust_policy_that_names_someone_else_denies_even_when_identity_policies_allow():
    # AWS's AssumeRole: the role's trust policy must allow the caller, also in the same account
    assert _assume(trust_policy=_trusting(BOB))["decision"] == "ImplicitDeny"
    assert _assume(trust_policy=_trusting(ALICE))["decision"] == "Allow"


def test_a_trust_policy_is_never_guessed_from_a_resource_policy_without_resource():
    answered = _assume(resource_policy=_trusting(BOB))
    assert answered["decision"] is None
    assert "resource_policy" in answered["error"] and "Resource" in answered["error"]


def test_a_trust_policy_with_a_resource_element_is_refused():
    answered = _assume(trust_policy=_trusting(BOB, Resource=ROLE_ARN))
    assert answered["decision"] is None
    assert answered["error"].startswith("trust_policy")


def test_a_case_gives_a_resource_policy_or_a_trust_policy_not_both():
    both = _assume(trust_policy=_trusting(ALICE), resource_policy=_trusting(ALICE, Resource="*"))
    assert both["decision"] is None
    assert "resource_policy and trust_policy" in both["error"]


def test_a_trust_policy_decides_only_sts_actions():
    answered = _answer(_case(trust_policy=_trusting(ALICE)))
    assert answered["decision"] is None and answered["error"].startswith("trust_policy")


DENY_ALL = {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}
EVERYTHING = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}


def test_annotation_fields_are_ignored_at_the_top_and_in_the_request():
    request = {**_case()["request"], "_why": "annotation", "note": "a note"}
    case = _case(identity_policies=[EVERYTHING], request=request, id="a", category="c", note="n", _source="x")
    assert _answer(case) == {"id": "a", "decision": "Allow", "error": None}


def test_a_misspelt_layer_is_an_error_with_the_field_it_meant():
    # each would otherwise drop a Deny and answer Allow
    answers = [
        _answer(_case(identity_policies=[EVERYTHING], **{name: value}))
        for name, value in (("scps", [[DENY_ALL]]), ("permission_boundry", DENY_ALL), ("session_polcy", DENY_ALL))
    ]
    assert [(found["decision"], found["error"]) for found in answers] == [
        (None, "unknown field 'scps' (did you mean 'guardrails'?)"),
        (None, "unknown field 'permission_boundry' (did you mean 'permission_boundary'?)"),
        (None, "unknown field 'session_polcy' (did you mean 'session_policy'?)"),
    ]


def test_an_unknown_request_field_is_an_error_naming_it():
    request = {**_case()["request"], "contxt": {"aws:SourceIp": "10.0.0.1"}, "flavour": "x"}
    found = _answer(_case(identity_policies=[EVERYTHING], request=request))
    assert (found["decision"], found["error"]) == (
        None,
        "unknown field 'request.contxt' (did you mean 'request.context'?); unknown field 'request.flavour'",
    )


def test_get_caller_identity_is_allowed_under_an_explicit_deny():
    request = {"principal": ALICE, "action": "sts:GetCallerIdentity", "resource": "*"}
    found = _answer(_case(identity_policies=[DENY_ALL], guardrails=[[DENY_ALL]], request=request))
    assert (found["decision"], found["error"]) == ("Allow", None)
