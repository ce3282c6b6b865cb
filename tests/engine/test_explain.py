"""Explanations: the near misses of an implicit deny, recorded only when asked for."""

from __future__ import annotations

from policies.engine import (
    ConditionMiss,
    Outcome,
    authorize,
    authorize_explained,
    compile_policies,
    explain,
    explanation,
)
from tests.documents import allow, document, grant, statement
from tests.engine.helpers import ACCOUNT, BUCKET, OBJECT, ROLE, request

OTHER_OBJECT = "arn:aws:s3:::other-bucket/report.csv"
ON_OFFICE_NETWORK = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
WITH_MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def identity_of(*documents) -> list:
    return [(f"policy {index}", body) for index, body in enumerate(documents)]


def test_a_statement_for_another_resource_is_a_near_miss_on_the_resource():
    policies = identity_of(allow("s3:GetObject", BUCKET + "/*", Sid="ReadExample"))
    decision = authorize_explained(request("s3:GetObject", OTHER_OBJECT), identity=policies)
    assert decision.outcome is Outcome.IMPLICIT_DENY
    [miss] = decision.near_misses
    assert (miss.ref.source, miss.ref.statement_index, miss.ref.sid, miss.ref.layer) == (
        "policy 0",
        0,
        "ReadExample",
        "identity",
    )
    assert miss.resources == ("arn:aws:s3:::example-bucket/*",)
    assert miss.missed == ("resource",)
    assert miss.conditions == ()


def test_a_failed_condition_is_named_by_its_key_with_the_request_value():
    policies = identity_of(allow("s3:GetObject", OBJECT, ON_OFFICE_NETWORK))
    decision = authorize_explained(request(context={"aws:SourceIp": "192.0.2.7"}), identity=policies)
    [miss] = decision.near_misses
    assert miss.resources == ()
    assert miss.conditions == (ConditionMiss("IpAddress", "aws:SourceIp", ("10.0.0.0/8",), ("192.0.2.7",)),)
    assert miss.missed == ("aws:SourceIp",)


def test_an_absent_key_misses_with_no_given_value_and_only_failing_conditions_are_listed():
    both = {**ON_OFFICE_NETWORK, **WITH_MFA}
    policies = identity_of(allow("s3:GetObject", OBJECT, both))
    decision = authorize_explained(request(context={"aws:SourceIp": "10.1.2.3"}), identity=policies)
    [miss] = decision.near_misses
    assert miss.conditions == (ConditionMiss("Bool", "aws:MultiFactorAuthPresent", ("true",), ()),)


def test_resource_and_condition_both_missed_are_both_reported():
    policies = identity_of(allow("s3:GetObject", BUCKET + "/*", WITH_MFA))
    decision = authorize_explained(request("s3:GetObject", OTHER_OBJECT), identity=policies)
    [miss] = decision.near_misses
    assert miss.missed == ("resource", "aws:MultiFactorAuthPresent")


def test_statements_for_other_actions_and_denies_are_not_near_misses():
    policies = identity_of(
        document(
            statement("Allow", "s3:PutObject", OBJECT),
            statement("Deny", "s3:GetObject", OTHER_OBJECT),
            statement("Allow", "s3:Get*", BUCKET, Sid="Bucket"),
        )
    )
    decision = authorize_explained(request(), identity=policies)
    assert [(miss.ref.statement_index, miss.ref.sid) for miss in decision.near_misses] == [(2, "Bucket")]


def test_near_misses_come_only_from_the_layers_that_blocked():
    identity = identity_of(allow("s3:GetObject", OBJECT), allow("s3:GetObject", OTHER_OBJECT))
    boundary = [("boundary policy", allow("s3:GetObject", OTHER_OBJECT, Sid="Elsewhere"))]
    decision = authorize_explained(request(), identity=identity, boundary=boundary)
    assert decision.blocking_layers == ("boundary",)
    assert [(miss.ref.layer, miss.ref.source, miss.ref.sid) for miss in decision.near_misses] == [
        ("boundary", "boundary policy", "Elsewhere")
    ]


def test_a_guardrail_level_that_blocked_names_its_own_near_misses():
    levels = [[("guardrail", allow("s3:*", OTHER_OBJECT))]]
    decision = authorize_explained(request(), identity=identity_of(allow()), guardrails=levels)
    assert decision.blocking_layers == ("guardrails[0]",)
    [miss] = decision.near_misses
    assert (miss.ref.layer, miss.missed) == ("guardrails[0]", ("resource",))


def test_a_resource_policy_naming_someone_else_misses_on_the_principal():
    other = f"arn:aws:iam::{ACCOUNT}:user/bob"
    resource_policy = [("bucket policy", document(grant(other, "s3:GetObject", OBJECT)))]
    decision = authorize_explained(request(), resource_policy=resource_policy)
    misses = [miss for miss in decision.near_misses if miss.ref.layer == "resource"]
    assert [(miss.principal, miss.resources) for miss in misses] == [(True, ())]


def test_not_resource_that_excludes_the_request_is_reported_as_such():
    excluding = {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": OBJECT}
    policies = identity_of(document(excluding))
    decision = authorize_explained(request(), identity=policies)
    [miss] = decision.near_misses
    assert (miss.resources, miss.not_resource) == ((OBJECT,), True)


def test_an_allow_or_an_explicit_deny_has_no_near_misses():
    policies = identity_of(allow("s3:GetObject", OBJECT), allow("s3:GetObject", OTHER_OBJECT))
    assert authorize_explained(request(), identity=policies).near_misses == ()
    denied = identity_of(allow("s3:GetObject", OTHER_OBJECT), document(statement("Deny", "s3:*", OBJECT)))
    decision = authorize_explained(request(), identity=denied)
    assert (decision.outcome, decision.near_misses) == (Outcome.EXPLICIT_DENY, ())


def test_the_plain_decision_never_records_near_misses():
    policies = identity_of(allow("s3:GetObject", BUCKET + "/*", WITH_MFA))
    for identity in (policies, compile_policies(policies)):
        plain = authorize(request("s3:GetObject", OTHER_OBJECT), identity=identity)
        assert plain.outcome is Outcome.IMPLICIT_DENY
        assert plain.near_misses == ()
    explained = authorize_explained(request("s3:GetObject", OTHER_OBJECT), identity=compile_policies(policies))
    assert len(explained.near_misses) == 1


def test_explanation_data_and_text_carry_the_near_misses():
    policies = identity_of(allow("s3:GetObject", OBJECT, ON_OFFICE_NETWORK, Sid="Office"))
    decision = authorize_explained(request(principal=ROLE), identity=policies)
    data = explanation(decision)
    assert data["near_misses"] == [
        {
            "layer": "identity",
            "source": "policy 0",
            "policy_index": 0,
            "statement_index": 0,
            "sid": "Office",
            "effect": "Allow",
            "missed": ["aws:SourceIp"],
            "resources": [],
            "not_resource": False,
            "principal": False,
            "conditions": [{"operator": "IpAddress", "key": "aws:SourceIp", "values": ["10.0.0.0/8"], "given": []}],
        }
    ]
    assert "near miss: identity: Allow statement 0 (Office) of policy 0 missed aws:SourceIp" in explain(decision)
