"""What an import reads from a file of `get-account-authorization-details`: plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class IdentityPolicies:
    """What users, groups and roles share: inline policies, attachments and a boundary."""

    inline: dict[str, dict] = field(default_factory=dict)
    attached: tuple[str, ...] = ()
    boundary: str | None = None


@dataclass(frozen=True)
class UserDetail:
    name: str
    path: str
    iam_id: str
    arn: str
    groups: tuple[str, ...]
    policies: IdentityPolicies
    tags: dict[str, str]
    create_date: datetime | None = None  # None: the file says nothing


@dataclass(frozen=True)
class GroupDetail:
    name: str
    path: str
    iam_id: str
    arn: str
    policies: IdentityPolicies
    create_date: datetime | None = None


@dataclass(frozen=True)
class RoleDetail:
    name: str
    path: str
    iam_id: str
    arn: str
    trust_policy: dict
    policies: IdentityPolicies
    tags: dict[str, str]
    description: str | None = None  # None: not in the file (AWS's RoleDetail has no Description)
    max_session_duration: int | None = None
    instance_profiles: tuple[str, ...] = ()
    create_date: datetime | None = None
    # RoleLastUsed: None and "" when the file records no use.
    last_used_at: datetime | None = None
    last_used_region: str = ""


@dataclass(frozen=True)
class PolicyDetail:
    name: str
    path: str
    iam_id: str
    arn: str
    aws_managed: bool
    description: str
    versions: tuple[tuple[int, dict], ...]
    default_number: int
    # As the file says; None where it says nothing. Versions' by number.
    create_date: datetime | None = None
    update_date: datetime | None = None
    version_dates: tuple[tuple[int, datetime | None], ...] = ()


@dataclass(frozen=True)
class AssignmentDetail:
    role_name: str
    user_name: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class MembershipDetail:
    """A membership GroupList cannot say: one that ends, or that another writer made."""

    group_name: str
    user_name: str
    expires_at: datetime | None = None
    source: str = "manual"


@dataclass(frozen=True)
class GuardrailDetail:
    name: str
    level: int
    document: dict
    description: str = ""


@dataclass(frozen=True)
class Extension:
    """This console's own data, which AWS's format has no place for (EXTENSION in the file)."""

    assignments: tuple[AssignmentDetail, ...] = ()
    guardrails: tuple[GuardrailDetail, ...] = ()
    memberships: tuple[MembershipDetail, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """An entity of the file that is not imported, and why; `restricts`: for a policy, whether it
    may narrow the permissions of those it is attached to (it has a Deny, or cannot be read)."""

    kind: str
    arn: str
    reasons: tuple[str, ...]
    name: str = ""
    restricts: bool = True

    def line(self) -> str:
        return f"skip {self.kind} {self.arn}: {'; '.join(self.reasons)}"


@dataclass(frozen=True)
class AccountDetails:
    account_id: str | None
    users: tuple[UserDetail, ...] = ()
    groups: tuple[GroupDetail, ...] = ()
    roles: tuple[RoleDetail, ...] = ()
    policies: tuple[PolicyDetail, ...] = ()
    skipped: tuple[Skipped, ...] = ()  # only when read with skip_invalid
    notes: tuple[str, ...] = ()
    extension: Extension | None = None  # None: the file has no EXTENSION section (AWS's own files)

    @property
    def item_count(self) -> int:
        return len(self.users) + len(self.groups) + len(self.roles) + len(self.policies)
