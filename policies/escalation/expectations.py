"""The route through an access expectation: deleting or overriding one that says the principal
may not do something lets through the change it would refuse (policies.expectations)."""

from typing import NamedTuple

from policies.escalation.world import EscalationPath, _allowed, _Principal, _World
from policies.expectations import Definition, definition_of
from policies.models import AccessExpectation

LIFTING_ACTIONS = ("iamconsole:DeleteAccessExpectation", "iamconsole:OverrideAccessExpectation")


class Fence(NamedTuple):
    arn: str
    definition: Definition


def read_fences() -> tuple[Fence, ...]:
    """The stored "may not" expectations (one query)."""
    rows = AccessExpectation.objects.all()
    return tuple(Fence(row.arn, definition) for row in rows if not (definition := definition_of(row)).may)


def _fences_principal(world: _World, principal: _Principal, definition: Definition) -> bool:
    """Whether the expectation is about this principal, by name, group or "anyone"."""
    kinds = "users" if principal.kind == "user" else "roles"
    groups = {world.groups[pk].group_name.lower() for pk in principal.groups if pk in world.groups}

    def names(principals) -> bool:
        return principal.name.lower() in {name.lower() for name in getattr(principals, kinds)} or bool(
            groups & {name.lower() for name in principals.groups}
        )

    return (definition.anyone or names(definition.principals)) and not names(definition.excluded)


def expectation_paths(world: _World, principal: _Principal):
    for fence in world.fences:
        if not _fences_principal(world, principal, fence.definition):
            continue
        for action in LIFTING_ACTIONS:
            if _allowed(principal, action, fence.arn):
                yield EscalationPath(
                    "lift-expectation",
                    f"Delete or override the access expectation {fence.definition.name} "
                    f'("{fence.definition.in_words()}"), which refuses the changes that would allow it.',
                    (f"{action} on {fence.arn}",),
                )
                break
