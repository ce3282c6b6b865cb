"""The Federated principal of an OpenID Connect provider: sts:AssumeRoleWithWebIdentity decided
on the trust policy alone, the provider-scoped keys, and the validator's warnings."""

from __future__ import annotations

import pytest

from policies.engine import DocumentKind, Level, Outcome, authorize_assume_role, validate_policy

PROVIDER = "token.actions.example.org"
PROVIDER_ARN = f"arn:aws:iam::123456789012:oidc-provider/{PROVIDER}"
ROLE = "arn:aws:iam::123456789012:role/Deployer"
MAIN = "repo:acme/shop:ref:refs/heads/main"


def trust(principal: dict | None = None, action="sts:AssumeRoleWithWebIdentity", condition=None) -> dict:
    statement = {"Effect": "Allow", "Principal": principal or {"Federated": PROVIDER_ARN}, "Action": action}
    if condition is not None:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


LIMITED = {"StringEquals": {f"{PROVIDER}:aud": "deploy", f"{PROVIDER}:sub": MAIN}}


def token_keys(sub=MAIN, aud="deploy", **more) -> dict:
    return {f"{PROVIDER}:sub": sub, f"{PROVIDER}:aud": aud, "aws:FederatedProvider": PROVIDER_ARN, **more}


def decide(document, principal=PROVIDER_ARN, action="sts:AssumeRoleWithWebIdentity", **keys):
    return authorize_assume_role(principal, ROLE, trust_policy=[document], context=keys, action=action).outcome


@pytest.mark.parametrize(
    ("document", "keys", "expected"),
    [
        (trust(condition=LIMITED), token_keys(), Outcome.ALLOW),
        (trust(condition=LIMITED), token_keys(sub="repo:acme/shop:pull_request"), Outcome.IMPLICIT_DENY),
        (trust(condition=LIMITED), token_keys(aud="other-client"), Outcome.IMPLICIT_DENY),
        (trust(condition=LIMITED), {}, Outcome.IMPLICIT_DENY),
        # a trust that allows only sts:AssumeRole does not allow the web-identity action
        (trust(action="sts:AssumeRole", condition=LIMITED), token_keys(), Outcome.IMPLICIT_DENY),
        # another provider's ARN names someone else
        (
            trust({"Federated": "arn:aws:iam::123456789012:oidc-provider/other.example"}),
            token_keys(),
            Outcome.IMPLICIT_DENY,
        ),
        # the account alone is no grant: a federated caller has no identity policies to agree
        (trust({"AWS": "123456789012"}), token_keys(), Outcome.IMPLICIT_DENY),
        (trust(condition={"StringLike": {f"{PROVIDER}:sub": "repo:acme/shop:*"}}), token_keys(), Outcome.ALLOW),
        (
            trust(condition={"ForAnyValue:StringEquals": {f"{PROVIDER}:amr": "mfa"}}),
            token_keys(**{f"{PROVIDER}:amr": ["pwd", "mfa"]}),
            Outcome.ALLOW,
        ),
        (
            trust(condition={"ForAnyValue:StringEquals": {f"{PROVIDER}:amr": "mfa"}}),
            token_keys(**{f"{PROVIDER}:amr": ["pwd"]}),
            Outcome.IMPLICIT_DENY,
        ),
        (trust(condition={"StringEquals": {"aws:FederatedProvider": PROVIDER_ARN}}), token_keys(), Outcome.ALLOW),
    ],
)
def test_the_trust_policy_alone_decides_a_web_identity(document, keys, expected):
    assert decide(document, **keys) is expected


def test_a_deny_on_the_subject_wins():
    document = trust(condition=LIMITED)
    document["Statement"].append(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{PROVIDER}:sub": MAIN}},
        }
    )
    assert decide(document, **token_keys()) is Outcome.EXPLICIT_DENY


def test_a_user_is_not_let_in_by_a_trust_that_names_only_the_provider():
    user = "arn:aws:iam::123456789012:user/mia"
    assert decide(trust(), principal=user, action="sts:AssumeRole") is Outcome.IMPLICIT_DENY


def findings(document) -> set[tuple[Level, str]]:
    return {(finding.level, finding.code) for finding in validate_policy(document, kind=DocumentKind.TRUST)}


WEB_IDENTITY = {"WEB_IDENTITY_WITHOUT_SUB", "WEB_IDENTITY_WITHOUT_AUD"}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (None, {(Level.SECURITY_WARNING, "WEB_IDENTITY_WITHOUT_SUB"), (Level.WARNING, "WEB_IDENTITY_WITHOUT_AUD")}),
        ({"StringEquals": {f"{PROVIDER}:aud": "deploy"}}, {(Level.SECURITY_WARNING, "WEB_IDENTITY_WITHOUT_SUB")}),
        ({"StringLike": {f"{PROVIDER}:sub": "repo:acme/*"}}, {(Level.WARNING, "WEB_IDENTITY_WITHOUT_AUD")}),
        (LIMITED, set()),
        # condition keys are compared without regard to case, as AWS compares them
        ({"StringEquals": {f"{PROVIDER.upper()}:AUD": "d", f"{PROVIDER.upper()}:Sub": "s"}}, set()),
    ],
)
def test_the_validator_warns_of_a_provider_trusted_without_sub_or_aud(condition, expected):
    found = findings(trust(condition=condition))
    assert {finding for finding in found if finding[1] in WEB_IDENTITY} == expected


def test_provider_scoped_keys_are_not_reported_as_unknown():
    found = findings(trust(condition=LIMITED | {"ForAnyValue:StringEquals": {f"{PROVIDER}:amr": ["mfa"]}}))
    assert found == set()


def test_a_deny_or_another_principal_type_draws_no_web_identity_warning():
    deny = trust()
    deny["Statement"][0]["Effect"] = "Deny"
    service = trust({"Service": "ec2.amazonaws.com"}, action="sts:AssumeRole")
    saml = trust({"Federated": "arn:aws:iam::123456789012:saml-provider/corp"}, action="sts:AssumeRoleWithSAML")
    for document in (deny, service, saml):
        assert {finding for finding in findings(document) if finding[1] in WEB_IDENTITY} == set()
