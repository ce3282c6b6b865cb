"""A stale form's save is refused, never a silent overwrite of someone else's change.

A form that shows a document people edit (a trust policy, a set of tags, an inline
policy, a guardrail) carries a token of what it showed: `token(value)`, a short
SHA-256 of the value's canonical JSON; a managed policy's editor carries the number
of the default version it showed. The service that saves takes it as `based_on`
and, with the stored row locked in its own transaction, refuses when the stored
value's token is another one by then (`refuse_if_stale`), changing nothing. A caller
that passes no token (an import, a management command) is not checked.

The policies app uses this module too: identities never imports policies.
"""

import hashlib
import json

from django.core.exceptions import ValidationError

TOKEN_LENGTH = 16


def token(value) -> str:
    """The same for equal values whatever their keys' order; another for any change."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:TOKEN_LENGTH]


# The token of a document that does not exist (an inline policy not yet created).
ABSENT = token(None)


def message(what: str, *, current_shown: bool = False) -> str:
    """`what`: a singular noun phrase ("this trust policy"). `current_shown`: the page that
    says it shows the current value again."""
    then = (
        "Here is the current one: apply your change again."
        if current_shown
        else "Open it again to see the current one, and apply your change again."
    )
    changed = f"{what[:1].upper()}{what[1:]} was changed by someone else since you opened it"
    return f"{changed}; your changes were not saved. {then}"


class StaleEdit(ValidationError):
    """The refusal of a save based on what is no longer stored; `what` names it."""

    def __init__(self, what: str):
        self.what = what
        super().__init__(message(what), code="stale")


def refuse_if_stale(based_on, current, *, what: str) -> None:
    """StaleEdit unless `based_on` (the token the form showed; None or "" when the caller
    gave none) is the token of what is stored now (`current`, read under a row lock)."""
    if based_on in (None, ""):
        return
    if based_on != current:
        raise StaleEdit(what)


# A save after a change preview (policies.preview) whose permissions generation moved since
# (identities.console.refuse_stale_preview).
PREVIEW_STALE = "The preview is stale; preview again."
