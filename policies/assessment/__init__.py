"""The best-practice assessment: what in the account's current state goes against IAM's advice.

Every check reads rows the account already keeps, all of them in a constant number of
queries, and decides what a document grants with the engine (`grants_power`,
`may_allow`, `allow_resources`), never from a policy's name. Each finding names its
entity, says what is the case and why it matters; `key` identifies it across runs, so
an acknowledgement (FindingAcknowledgement) stays with it until it expires.

Rules worth stating, since they are choices:
- Only active users are assessed: a disabled user signs in with nothing.
- A console user is one with a usable password; MFA is a confirmed virtual device.
- "Used recently" for the root user: signed in within ROOT_RECENT_DAYS.
- An inline policy is one a managed policy would do when its document (as parsed JSON)
  is also inline on another identity, or is the default version of a managed policy:
  the same grant kept in several places is changed in several places.
- Policies are assessed where they grant something: managed policies attached to an
  identity, and inline policies. A finding that implies another on the same policy
  (full access implies iam:PassRole and writes on "*") is not repeated.
- A role's last use is its newest role session; a role with none is "no use recorded"
  once it is older than UNUSED_DAYS, never a guessed date.
- An access expectation (policies.expectations) is checked on the account now, not
  taken from its stored state.
"""

from collections import Counter
from datetime import datetime

from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from identities import generation
from policies.assessment.checks import (
    CHECKS,
    KEY_ROTATION_DAYS,
    ROOT_RECENT_DAYS,
    SEVERITIES,
    UNUSED_DAYS,
    Check,
    Finding,
    Severity,
)
from policies.assessment.credentials import user_findings
from policies.assessment.expectations import expectation_findings
from policies.assessment.grants import guardrail_findings, policy_findings, role_findings
from policies.models import FindingAcknowledgement

__all__ = [
    "CHECKS",
    "KEY_ROTATION_DAYS",
    "ROOT_RECENT_DAYS",
    "SEVERITIES",
    "TILE_CACHE_SECONDS",
    "UNUSED_DAYS",
    "Check",
    "Finding",
    "Severity",
    "assess",
    "cached_counts",
    "counts",
]


def assess(at: datetime | None = None) -> list[Finding]:
    """Every finding on the account now, by severity then entity, each with its live acknowledgement."""
    at = at or timezone.now()
    found = [*user_findings(at), *policy_findings(), *role_findings(at), *guardrail_findings()]
    found += expectation_findings()
    live = {ack.finding_key: ack for ack in FindingAcknowledgement.objects.filter(expires_at__gt=at)}
    if live:
        for finding in found:
            finding.acknowledgement = live.get(finding.key)
    order = {severity: index for index, severity in enumerate(SEVERITIES)}
    return sorted(found, key=lambda finding: (order[finding.severity], finding.code, finding.entity, finding.part))


def counts(findings: list[Finding]) -> dict[str, int]:
    """Open (not acknowledged) findings by severity, every severity listed."""
    tally = Counter(finding.severity for finding in findings if not finding.acknowledged)
    return {severity.value: tally[severity] for severity in SEVERITIES}


# The dashboard's tile runs the whole assessment (a second or two at 100,000 users), so its
# counts are kept for a few minutes: MFA devices, keys and sign-ins change no generation, so the
# tile says when it counted. A new generation or acknowledgement counts again at once.
TILE_CACHE_SECONDS = 300


def cached_counts() -> tuple[dict[str, int], datetime]:
    """`counts` of the current findings and when they were counted, from the cache when fresh."""
    newest = FindingAcknowledgement.objects.aggregate(newest=Max("acknowledged_at"))["newest"]
    key = f"policies:assessment-counts:{generation.current()}:{newest.isoformat() if newest else '-'}"
    return cache.get_or_set(key, lambda: (counts(assess()), timezone.now()), TILE_CACHE_SECONDS)
