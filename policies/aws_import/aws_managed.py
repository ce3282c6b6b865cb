"""AWS's own managed policies, shipped compressed with iamconsole (data/README.md names the
source and date), for accounts that attach them without listing them: AWS's
get-account-authorization-details lists only the AWS managed policies in use, and a file cut
by hand or by page may leave them out."""

from __future__ import annotations

import functools
import gzip
import json
import re
from pathlib import Path

from identities.models import User
from policies import services
from policies.models import ManagedPolicy

SHIPPED = Path(__file__).parent / "data" / "aws-managed-policies.json.gz"
_AWS_POLICY_ARN = re.compile(r"arn:aws:iam::aws:policy(?P<path>/(?:.*/)?)(?P<name>[^/]+)")


@functools.cache
def _shipped() -> dict:
    with gzip.open(SHIPPED, "rt", encoding="utf-8") as file:
        return json.load(file)


def shipped_source() -> str:
    return _shipped()["source"]


def shipped_document(arn: str) -> dict | None:
    """AWS's document of the AWS managed policy at `arn`, if iamconsole ships it."""
    match = _AWS_POLICY_ARN.fullmatch(arn)
    return _shipped()["policies"].get(match["name"]) if match else None


def load_aws_managed_policy(*, arn: str, actor: User | None) -> ManagedPolicy:
    """Store the shipped document of `arn` as that AWS managed policy (read-only, as AWS's are)."""
    document = shipped_document(arn)
    if document is None:
        raise LookupError(f"iamconsole does not ship {arn}.")
    match = _AWS_POLICY_ARN.fullmatch(arn)
    return services.import_managed_policy(
        policy_name=match["name"],
        path=match["path"],
        versions=[(1, document)],
        default_number=1,
        description=f"AWS managed policy; document from {shipped_source()}.",
        aws_managed=True,
        actor=actor,
    )
