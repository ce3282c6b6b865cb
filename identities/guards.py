"""Checks of the state after a change, before it commits: the rule table's hook registry.

`rules.perform` runs every change inside one transaction and, around it, each guard
registered here. A guard is a function `guard(actor, change, arguments)` (the change's keyword
arguments, without the actor) that returns a context
manager (or None when it has nothing to do for this change): entered before the change,
left after it on the state the change made, still inside the transaction. A guard that
refuses raises `ChangeRefused` (a ValidationError, which every entry point already shows
as a problem of the input), and the transaction rolls the change back with its audit record.

A change preview (policies.preview), which makes the change inside a savepoint it always
rolls back, asks with `kept()` to see what a guard would refuse beside what the change does:
there a guard hands its refusal to `keep` and lets the change stand, to be read and undone.

identities cannot import policies; policies registers its guards (access expectations)
in its AppConfig.ready.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from contextvars import ContextVar

from django.core.exceptions import ValidationError

Guard = Callable[[object, Callable, dict], AbstractContextManager | None]

_GUARDS: list[Guard] = []
# Inside `kept()`: the refusals guards found, instead of raising them.
_kept: ContextVar[list | None] = ContextVar("kept_refusals", default=None)


class ChangeRefused(ValidationError):
    """A change that a guard refused on the state it would have made; `details` is what the
    guard found (plain data, for a page or an API answer to show)."""

    def __init__(self, messages: list[str], details: list | None = None):
        super().__init__(messages)
        self.details = details or []


def register(guard: Guard) -> Guard:
    if guard not in _GUARDS:
        _GUARDS.append(guard)
    return guard


def unregister(guard: Guard) -> None:
    if guard in _GUARDS:
        _GUARDS.remove(guard)


def unguarded(change: Callable) -> Callable:
    """Mark a change that alters no decision and only records what guards would check (the
    access expectations' "Check now"): no guard runs around it."""
    change.unguarded = True
    return change


def around(actor, change: Callable, arguments: dict | None = None) -> ExitStack:
    """Every registered guard's context for this change, entered in registration order."""
    stack = ExitStack()
    if getattr(change, "unguarded", False):
        return stack
    for guard in _GUARDS:
        context = guard(actor, change, arguments or {})
        if context is not None:
            stack.enter_context(context)
    return stack


@contextmanager
def kept() -> Iterator[list[ChangeRefused]]:
    """Inside, guards keep what they would refuse (or would let an override through) in the
    list yielded, and the change stands. Only for a change inside a savepoint that is then
    rolled back, whatever happens: nothing it does may be committed."""
    token = _kept.set([])
    try:
        yield _kept.get()
    finally:
        _kept.reset(token)


def keep(refusal: ChangeRefused) -> bool:
    """Inside `kept()`: keep the refusal and answer True, so the guard lets the change stand;
    outside it, False."""
    found = _kept.get()
    if found is None:
        return False
    found.append(refusal)
    return True
