"""A least-privilege policy generated from activity, as AWS's IAM Access Analyzer drafts one:
the actions a principal was allowed over a window, on the resources it used them on.

Actions used on the same resources share a statement. While the document is over the managed
policy quota (characters without white space), the two resources of one ARN head (partition,
service, region, account) with the longest common prefix become that prefix followed by `*`,
the least generalisation that shortens it, and so on; a use recorded on `*` (past the resources
kept per action) stays `*`. Each step only widens a pattern, so the draft allows every use.
"""

import os
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from policies.engine import policy_size
from policies.lastaccess.advisor import latest_uses, whose_uses
from policies.lastaccess.recording import EVERY_RESOURCE

VERSION = "2012-10-17"


def used_resources(entity, *, days: int) -> dict[str, set[str]]:
    """Each action the entity's principals were allowed in the last `days` days, and where."""
    since = timezone.now() - timedelta(days=days)
    uses = latest_uses(whose_uses(entity), since=since)
    return {use.action: set(use.resources) for use in uses.values()}


def draft_policy(used: dict[str, set[str]], *, size_limit: int | None = None) -> dict | None:
    """The policy document allowing exactly `used` (action to resources), generalised only as
    far as the quota needs; None when nothing was used."""
    if not used:
        return None
    limit = size_limit or settings.IAM_MANAGED_POLICY_MAX_SIZE
    current = {action: _covering(resources) for action, resources in used.items()}
    document = _document(current)
    while policy_size(document) > limit:
        widened = _widen_once(current)
        if widened is None:
            break  # every resource is already one pattern per ARN head: nothing shorter is exact
        current = widened
        document = _document(current)
    return document


def _covering(resources: set[str]) -> set[str]:
    """`*` alone when any use was recorded on `*`, since it covers the rest."""
    return {EVERY_RESOURCE} if EVERY_RESOURCE in resources else set(resources)


def _document(used: dict[str, set[str]]) -> dict:
    by_resources: defaultdict[tuple[str, ...], list[str]] = defaultdict(list)
    for action, resources in used.items():
        by_resources[tuple(sorted(resources))].append(action)
    statements = []
    for index, (resources, actions) in enumerate(sorted(by_resources.items(), key=lambda item: sorted(item[1]))):
        statements.append(
            {
                "Sid": f"UsedActions{index + 1}",
                "Effect": "Allow",
                "Action": sorted(actions, key=str.lower) if len(actions) > 1 else actions[0],
                "Resource": list(resources) if len(resources) > 1 else resources[0],
            }
        )
    return {"Version": VERSION, "Statement": statements}


def _head(resource: str) -> tuple[str, str] | None:
    """An ARN's head (through its account) and its resource part; None for `*` or a non-ARN."""
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return ":".join(parts[:5]) + ":", parts[5]


def _widen_once(used: dict[str, set[str]]) -> dict[str, set[str]] | None:
    """`used` with the closest two resources of one ARN head replaced by their common prefix and
    `*` wherever they appear; None when no two resources share a head."""
    by_head: defaultdict[str, set[str]] = defaultdict(set)
    for resources in used.values():
        for resource in resources:
            parsed = _head(resource)
            if parsed is not None:
                by_head[parsed[0]].add(parsed[1])
    best = None
    for head, rests in by_head.items():
        ordered = sorted(rests)
        # The longest common prefix of any two strings is that of two neighbours in sorted order.
        for first, second in zip(ordered, ordered[1:], strict=False):
            common = os.path.commonprefix([first.rstrip("*"), second.rstrip("*")])
            if best is None or len(common) > len(best[1]):
                best = (head, common, {head + first, head + second})
    if best is None:
        return None
    head, common, merged = best
    pattern = head + common + "*"
    return {action: _merged(resources, merged, pattern) for action, resources in used.items()}


def _merged(resources: set[str], merged: set[str], pattern: str) -> set[str]:
    """The resources with `merged` (and anything else `pattern` covers) replaced by `pattern`."""
    if not resources & merged:
        return resources
    prefix = pattern[:-1]
    return {pattern} | {resource for resource in resources if not resource.startswith(prefix)}
