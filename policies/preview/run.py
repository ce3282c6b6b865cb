"""A change's preview: made inside a savepoint as the actor, through the rule table, read,
and rolled back; the decisions before and after are then compared in memory."""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction

from identities import generation, guards, rules
from identities.context import Target
from policies import authorization, reports
from policies.authorization import principals
from policies.engine import Outcome, may_allow
from policies.preview.access import ALWAYS, access, resources_to_ask
from policies.preview.snapshot import Principal, Snapshot

# What a preview does not decide, said beside every one.
NOT_COVERED = (
    "resource-based policies of the services themselves",
    "session policies of role sessions already started",
    "the root user, whom only guardrails bind",
    "actions outside the catalogue, and resources no policy names unless typed",
)


@dataclass(frozen=True)
class Change:
    """One action on one resource whose access moves: `before` and `after` are None (not
    allowed), () (always) or the conditions in words of which one makes it allowed."""

    action: str
    resource: str
    before: tuple[str, ...] | None
    after: tuple[str, ...] | None

    @property
    def kind(self) -> str:
        return "gains" if self.before is None else "loses" if self.after is None else "changes"


@dataclass(frozen=True)
class Effect:
    """What one principal gains, loses, or keeps under other conditions."""

    arn: str
    kind: str
    changes: tuple[Change, ...]

    def of(self, kind: str) -> list[Change]:
        return [change for change in self.changes if change.kind == kind]


@dataclass
class Preview:
    generation: int
    seconds: float = 0.0
    shown: list[Effect] = field(default_factory=list)
    hidden: int = 0  # principals affected whom the viewer may not simulate
    principals_tried: int = 0
    not_covered: tuple[str, ...] = NOT_COVERED
    # Access expectations the change would break (policies.expectations): the save is refused
    # unless each is `overridable` by the viewer.
    broken: list[dict] = field(default_factory=list)

    def effect_of(self, arn: str) -> Effect | None:
        return next((effect for effect in self.shown if effect.arn == arn), None)

    def as_data(self) -> dict:
        """As the API answers it and a queued job keeps it: an access is null (not allowed),
        [] (always) or its conditions, any one of which allows it."""
        return {
            "generation": self.generation,
            "seconds": round(self.seconds, 6),
            "principals": [
                {
                    "arn": effect.arn,
                    "kind": effect.kind,
                    **{kind: [_change_data(change) for change in effect.of(kind)] for kind in KINDS},
                }
                for effect in self.shown
            ],
            "hidden_principals": self.hidden,
            "principals_tried": self.principals_tried,
            "not_covered": list(self.not_covered),
            "broken_expectations": self.broken,
        }

    @classmethod
    def from_data(cls, data: dict) -> "Preview":
        shown = [
            Effect(
                principal["arn"],
                principal["kind"],
                tuple(
                    Change(change["action"], change["resource"], _access(change["before"]), _access(change["after"]))
                    for kind in KINDS
                    for change in principal[kind]
                ),
            )
            for principal in data["principals"]
        ]
        return cls(
            data["generation"],
            data["seconds"],
            shown,
            data["hidden_principals"],
            data["principals_tried"],
            tuple(data["not_covered"]),
            data.get("broken_expectations", []),  # none in the answers of jobs queued before they were kept
        )


KINDS = ("gains", "loses", "changes")


def _change_data(change: Change) -> dict:
    return {
        "action": change.action,
        "resource": change.resource,
        "before": None if change.before is None else list(change.before),
        "after": None if change.after is None else list(change.after),
    }


def _access(value) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def preview(actor, change: Callable, *, resources: Iterable[str] = (), **arguments) -> Preview:
    """Who gains and who loses what if `actor` made `change(**arguments)`. Refused (as the
    change itself would be) when the rule table refuses the actor; a ValidationError for a
    change the service refuses. Nothing persists and nothing is audited."""
    started = time.perf_counter()
    with transaction.atomic():
        seen = generation.current()
        before = Snapshot.read()
        actions = reports.catalogue_actions()
        with transaction.atomic(), rules.unnoted(), guards.kept() as refusals:
            rules.perform(actor, change, **arguments)
            after = Snapshot.read()
            transaction.set_rollback(True)
    effects, tried = differences(before, after, [name for name, _ in actions], list(resources))
    found = Preview(generation=seen, principals_tried=tried)
    for effect in effects:
        if _may_see(actor, effect.arn):
            found.shown.append(effect)
        else:
            found.hidden += 1
    found.broken = [_as_shown(actor, broken) for refusal in refusals for broken in refusal.details]
    found.seconds = time.perf_counter() - started
    return found


def _may_see(actor, arn: str) -> bool:
    return actor.has_perm("iam:SimulatePrincipalPolicy", Target(arn))


# Failures listed per expectation a change would break; the rest are counted.
FAILURES_SHOWN = 5


def _as_shown(actor, broken: dict) -> dict:
    """An access expectation the change would break, with the first of its failures about
    principals the viewer may simulate; `other_failures` counts the rest."""
    shown = [failure for failure in broken["failures"] if _may_see(actor, failure["principal"])][:FAILURES_SHOWN]
    fields = ("name", "arn", "expectation", "overridable")
    others = broken["failure_count"] - len(shown)
    return {field: broken[field] for field in fields} | {"failures": shown, "other_failures": others}


def differences(before: Snapshot, after: Snapshot, actions: list[str], typed: list[str]) -> tuple[list[Effect], int]:
    """Every principal whose access moves, users first and by ARN, each decided once per run of
    principals the engine cannot tell apart; and how many principals were tried."""
    runs: dict[tuple, list[str]] = {}
    for arn in [*before.principals, *(arn for arn in after.principals if arn not in before.principals)]:
        old, new = before.principals.get(arn), after.principals.get(arn)
        if old is not None and new is not None and old.fingerprint == new.fingerprint:
            continue
        runs.setdefault(_run_key(old, new), []).append(arn)
    effects: dict[str, Effect] = {}
    for arns in runs.values():
        old, new = before.principals.get(arns[0]), after.principals.get(arns[0])
        changes = _compare(old, new, actions, typed)
        for arn in arns:
            if changes:
                effects[arn] = Effect(arn, (old or new).kind, changes)
    for arn, changes in _trust_changes(before, after).items():
        kind = (before.principals.get(arn) or after.principals[arn]).kind
        found = effects.get(arn)
        effects[arn] = Effect(arn, kind, (found.changes if found else ()) + tuple(changes))
    ordered = sorted(effects.values(), key=lambda effect: (effect.kind != "user", effect.arn.lower()))
    return ordered, sum(len(arns) for arns in runs.values())


def _run_key(old: Principal | None, new: Principal | None) -> tuple:
    """Users with the same documents before and after, and equal values of every key those
    documents read, get equal decisions (authorization.Sharing's rule, on both sides)."""
    first = old or new
    if first.kind != "user":
        return (first.arn,)
    used = (old.used_keys() if old else frozenset()) | (new.used_keys() if new else frozenset())
    tags = any(key.startswith("aws:principaltag/") for key in used)
    keys = principals.user_keys(first.user)
    values = tuple(
        sorted(
            (key.lower(), repr(value))
            for key, value in keys.items()
            if key.lower() in used or (tags and key.lower().startswith("aws:principaltag/"))
        )
    )
    return (old.fingerprint if old else None, new.fingerprint if new else None, values)


def _compare(old: Principal | None, new: Principal | None, actions: list[str], typed: list[str]) -> tuple[Change, ...]:
    sides = [side.layers if side is not None else None for side in (old, new)]
    present = [layers for layers in sides if layers is not None]
    changes = []
    for action in actions:
        possible = [layers is not None and layers.may_allow(action) for layers in sides]
        if not any(possible):
            continue  # exact: nothing allows it on either side
        for resource in resources_to_ask(present, action, typed):
            was, now = (
                access(layers, action, resource) if allowed else None
                for layers, allowed in zip(sides, possible, strict=True)
            )
            if was != now:
                changes.append(Change(action, resource, was, now))
    return tuple(changes)


def _trust_changes(before: Snapshot, after: Snapshot) -> dict[str, list[Change]]:
    """sts:AssumeRole on each role whose effective trust moved, for every user and role."""
    found: dict[str, list[Change]] = {}
    for role_arn in {*before.trusts, *after.trusts}:
        old, new = before.trusts.get(role_arn), after.trusts.get(role_arn)
        if old is not None and new is not None and old[1] == new[1]:
            continue
        for arn in dict.fromkeys([*before.principals, *after.principals]):
            was = _may_assume(before, arn, role_arn)
            now = _may_assume(after, arn, role_arn)
            if was != now:
                found.setdefault(arn, []).append(Change("sts:AssumeRole", role_arn, was, now))
    return found


def _may_assume(snapshot: Snapshot, arn: str, role_arn: str) -> tuple[str, ...] | None:
    principal, trust = snapshot.principals.get(arn), snapshot.trusts.get(role_arn)
    if principal is None or trust is None or trust[0] is None or arn == role_arn:
        return None
    if not may_allow(trust[0], "sts:AssumeRole"):
        return None
    decision = authorization.assume_with(principal.layers, role_arn, trust[0])
    if decision.outcome is Outcome.ALLOW:
        return ALWAYS
    if decision.missing_context_keys:
        return (" and ".join(f"{key} is given" for key in decision.missing_context_keys),)
    return None
