"""The assessment's checks: each one's severity, title and why it matters, and a finding's shape."""

from dataclasses import dataclass, field
from enum import StrEnum

from policies.models import FindingAcknowledgement

ROOT_RECENT_DAYS = 30
KEY_ROTATION_DAYS = 90
UNUSED_DAYS = 90


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


SEVERITIES = (Severity.HIGH, Severity.MEDIUM, Severity.LOW)


@dataclass(frozen=True)
class Check:
    code: str
    severity: Severity
    title: str
    why: str


CHECKS = {
    check.code: check
    for check in (
        Check(
            "root-access-keys",
            Severity.HIGH,
            "The root user has access keys",
            "Keys of the root user act beyond every IAM policy; AWS advises the root user to have none.",
        ),
        Check(
            "root-no-mfa",
            Severity.HIGH,
            "The root user has no MFA",
            "Whoever learns the root user's password holds the whole account; a second factor stops them.",
        ),
        Check(
            "root-used-recently",
            Severity.MEDIUM,
            "The root user was used recently",
            "Daily work as root escapes every IAM policy and its mistakes cannot be fenced; use an administrator.",
        ),
        Check(
            "user-no-mfa",
            Severity.MEDIUM,
            "Console user without MFA",
            "A password alone is phished or guessed; MFA keeps a stolen password from opening the console.",
        ),
        Check(
            "password-too-old",
            Severity.MEDIUM,
            "Password older than the password policy allows",
            "An old password has had the longest time to leak; the account's policy asks for a newer one.",
        ),
        Check(
            "access-key-old",
            Severity.MEDIUM,
            f"Access key older than {KEY_ROTATION_DAYS} days",
            "A long-lived key has had the longest time to leak; rotating keys limits what a leaked one is worth.",
        ),
        Check(
            "access-key-unused",
            Severity.LOW,
            "Active access key never used",
            "A key nobody uses is a credential to leak for nothing; deactivate or delete it.",
        ),
        Check(
            "user-in-no-group",
            Severity.LOW,
            "User in no group",
            "Permissions given to groups are managed for teams; a user in no group is managed one person at a time.",
        ),
        Check(
            "user-direct-policies",
            Severity.LOW,
            "User with policies of their own",
            "Policies attached to one user are easy to forget when their job changes; give them through groups.",
        ),
        Check(
            "inline-would-be-managed",
            Severity.LOW,
            "Inline policy a managed policy would do",
            "The same grant kept inline in several places must be changed in each; one managed policy is one place.",
        ),
        Check(
            "policy-full-access",
            Severity.HIGH,
            "Policy granting full access",
            "Its holders may do everything it covers, granting themselves more among it; least privilege is lost.",
        ),
        Check(
            "policy-passrole-any",
            Severity.HIGH,
            'Policy allowing iam:PassRole on "*"',
            "Passing any role to a service lets the holder act with that role's permissions, whatever they are.",
        ),
        Check(
            "policy-write-any-resource",
            Severity.MEDIUM,
            'Policy allowing writes on Resource "*"',
            "A write on every resource reaches resources nobody thought of when writing it; name the resources.",
        ),
        Check(
            "trust-anyone",
            Severity.HIGH,
            'Role trusting "*"',
            "Any principal, of any account, may ask to assume the role.",
        ),
        Check(
            "trust-other-account",
            Severity.HIGH,
            "Role trusting another account without a condition",
            "Without sts:ExternalId or another condition anyone in that account who is allowed sts:AssumeRole "
            "may assume it (the confused deputy).",
        ),
        Check(
            "trust-federated-no-sub",
            Severity.HIGH,
            "Role trusting a federated provider without a condition on :sub",
            "Without a condition on the token's subject every identity of the provider may assume the role.",
        ),
        Check(
            "role-unused",
            Severity.LOW,
            f"Role unused for {UNUSED_DAYS} days",
            "A role nobody assumes is access kept for nothing; delete it or find out who still needs it.",
        ),
        Check(
            "expectation-failing",
            Severity.HIGH,
            "Access expectation failing",
            "An expectation says who must, or must not, have some access; one that fails means the account "
            "grants or withholds what its administrators decided it must not.",
        ),
        Check(
            "no-guardrail",
            Severity.MEDIUM,
            "No guardrail beyond the allow-all one",
            "Guardrails bind everyone, root included; without a deny guardrail one mistaken policy has no fence.",
        ),
    )
}


@dataclass(slots=True)
class Finding:
    """One finding: `entity` names it as people read it, `arn` for links; `fix`: where it is fixed,
    as (kind, pk) with kind one of user, role, policy, guardrails, expectations."""

    code: str
    entity: str
    arn: str
    detail: str
    fix: tuple[str, int | None]
    part: str = ""  # what within the entity, when it has several findings of one check (a key ID)
    acknowledgement: FindingAcknowledgement | None = field(default=None, compare=False)

    @property
    def check(self) -> Check:
        return CHECKS[self.code]

    @property
    def severity(self) -> Severity:
        return self.check.severity

    @property
    def key(self) -> str:
        return ":".join(part for part in (self.code, self.arn or "account", self.part) if part)

    @property
    def acknowledged(self) -> bool:
        return self.acknowledgement is not None
