"""AWS's own managed policies (tests/data/aws-managed-policies/) through the validator."""

from __future__ import annotations

import json
import pathlib

import pytest

from policies.engine import DocumentKind, Level, validate_policy

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "aws-managed-policies"
POLICIES = sorted(DATA.glob("*.json"))
# IAM's quota for a customer managed policy, which AWS's own policies are not held to.
CUSTOMER_QUOTA = 6144


def _text(name: str) -> bytes:
    return (DATA / f"{name}.json").read_bytes()


def _statements(path: pathlib.Path) -> list[dict]:
    statements = json.loads(path.read_bytes())["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _listed(value) -> list[str]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _compact_size(path: pathlib.Path) -> int:
    # Written out here rather than taken from the engine: AWS counts characters without white space.
    return len("".join(path.read_text(encoding="utf-8").split()))


def test_the_set_covers_what_it_is_kept_for():
    statements = {path.stem: _statements(path) for path in POLICIES}
    texts = {path.stem: path.read_text(encoding="utf-8") for path in POLICIES}
    assert len(POLICIES) == 20
    assert max(_compact_size(path) for path in POLICIES) == _compact_size(DATA / "AWSSupportServiceRolePolicy.json")
    assert _compact_size(DATA / "AWSSupportServiceRolePolicy.json") > 110_000
    assert any("NotAction" in s for s in statements["PowerUserAccess"])
    assert "${aws:username}" in texts["IAMUserChangePassword"]
    for name in ("AWSMarketplaceManageSubscriptions", "AWSServiceRoleForSMS", "AWSAuditManagerServiceRolePolicy"):
        conditions = [s.get("Condition", {}) for s in statements[name]]
        assert any("Null" in c and any(op.startswith("ForAllValues:") for op in c) for c in conditions), name
    resources = [r for s in statements["AWSCodeBuildAdminAccess"] for r in _listed(s.get("Resource"))]
    assert any(resource.endswith("*/*") for resource in resources)
    assert any(CUSTOMER_QUOTA < _compact_size(path) <= 10240 for path in POLICIES)


@pytest.mark.parametrize("path", POLICIES, ids=[path.stem for path in POLICIES])
def test_every_aws_managed_policy_validates_without_an_error_as_aws_managed(path):
    findings = validate_policy(path.read_bytes(), kind=DocumentKind.AWS_MANAGED)
    assert [str(finding) for finding in findings if finding.level is Level.ERROR] == []


@pytest.mark.parametrize("path", POLICIES, ids=[path.stem for path in POLICIES])
def test_as_a_customer_managed_policy_only_the_quota_would_refuse_it(path):
    findings = validate_policy(path.read_bytes(), kind=DocumentKind.CUSTOMER_MANAGED)
    errors = [finding.code for finding in findings if finding.level is Level.ERROR]
    assert errors == (["SIZE_LIMIT"] if _compact_size(path) > CUSTOMER_QUOTA else [])


@pytest.mark.parametrize(
    "name", ["AWSMarketplaceManageSubscriptions", "AWSServiceRoleForSMS", "AWSAuditManagerServiceRolePolicy"]
)
def test_for_all_values_with_the_null_check_aws_uses_is_not_warned(name):
    codes = {finding.code for finding in validate_policy(_text(name), kind=DocumentKind.AWS_MANAGED)}
    assert "FOR_ALL_VALUES_WITH_ALLOW" not in codes


def test_read_only_access_gives_one_unknown_service_finding_per_service():
    path = DATA / "ReadOnlyAccess.json"
    catalogue = ["iam:GetUser", "sts:GetCallerIdentity"]
    by_service: dict[str, list[str]] = {}
    for statement in _statements(path):
        for action in _listed(statement.get("Action")):
            service = action.split(":", 1)[0].lower()
            if service not in ("iam", "sts"):
                by_service.setdefault(service, []).append(action)
    findings = validate_policy(path.read_bytes(), kind=DocumentKind.AWS_MANAGED, catalogue=catalogue)
    unknown = [finding for finding in findings if finding.code == "UNKNOWN_SERVICE"]
    assert len(by_service) > 250
    assert len(unknown) == len(by_service)
    for finding in unknown:
        service = finding.message.split("'")[1]
        assert finding.message.endswith(f"named here: {', '.join(by_service[service])})")
