"""Last-accessed data, as AWS's Access Advisor keeps it: when each principal's real requests
were last allowed each action, on which resources, and with which credential.

Recorded, only when allowed:

- the decision API's `authorize` answers, for the principal asked about (with the caller's
  own credential when it asks about itself, the session's name for a role session);
- `assume-role`: the caller's `sts:AssumeRole` on the role;
- the API's checks of its caller's own permissions (`sts:GetCallerIdentity`,
  `iam:SimulatePrincipalPolicy` to ask about another principal, the Access Advisor's actions);
- the console's checks of a real request, through IAM_ALLOWED_REQUEST_HOOKS: every check of a
  change the rule table allows and is about to make (`identities.rules.perform`), the check
  that opens an object page (`identities.console.readable`) and a role switch's
  `sts:AssumeRole`.

Never recorded: the policy check, what-can, who-can, the reports and previews, which decide
about a principal without it acting, nor a page's probing of which links and forms to offer
(`rules.allows`, `mark_openable`, `has_perm` alone). The root user is beyond IAM policies and
has no Access Advisor; its requests are not recorded. A role's sessions count for the role.

Uses wait in memory and are written in batches (`recording`); the pages and the API read them
back through `advisor`, and `drafting` turns them into a least-privilege policy.
"""

from datetime import UTC, datetime

from identities.context import Target, context_of
from policies.lastaccess.recording import EVERY_RESOURCE, Use, flush, recorder

__all__ = ["EVERY_RESOURCE", "flush", "may_open_advisor", "note_caller", "note_console_checks", "note_decision"]

GENERATE = "iam:GenerateServiceLastAccessedDetails"
GET = "iam:GetServiceLastAccessedDetails"


def may_open_advisor(actor, entity) -> bool:
    """Whether to link the entity's Access Advisor (both of AWS's actions for its tab)."""
    if getattr(entity, "is_superuser", False):
        return False
    return actor.has_perm(GENERATE, entity) and actor.has_perm(GET, Target("*"))


def note_decision(layers, action: str, resource: str, *, credential: str = "") -> None:
    """An allowed request of the principal of `layers` (the decision API, assume-role)."""
    keys = layers.keys
    kind, user_id = keys.get("aws:PrincipalType"), keys.get("aws:userid", "")
    if kind == "User":
        principal_id = user_id
    elif kind == "AssumedRole":
        principal_id, _, session_name = user_id.partition(":")
        credential = credential or (f"session {session_name}" if session_name else "")
    else:
        return  # the root user
    use = Use(layers.principal_arn, action, credential, datetime.now(UTC))
    recorder.add(principal_id, resource, use)


def note_caller(caller, action: str, resource: str) -> None:
    """An API caller's own permission check that allowed its request (identities.credentials.Caller)."""
    if caller.session is not None:
        principal_id, credential = caller.session.role.iam_id, caller.session.key_id
    elif caller.user.is_superuser:
        return
    else:
        principal_id, credential = caller.user.iam_id, caller.access_key.key_id
    recorder.add(principal_id, resource, Use(caller.arn, action, credential, datetime.now(UTC)))


def note_console_checks(*, actor, checks) -> None:
    """The checks a console request was allowed for what it does (identities.rules.note_allowed)."""
    context = context_of(actor)
    if context is None or actor.is_superuser:
        return  # outside a request (a command, a test's service call) nothing is a request's
    session = context.role_session
    if session is not None:
        principal_id, arn, credential = session.role.iam_id, session.arn, session.key_id
    else:
        principal_id, arn, credential = actor.iam_id, actor.arn, "console"
    moment = datetime.now(UTC)
    for check in checks:
        resource = getattr(check.target, "arn", EVERY_RESOURCE) or EVERY_RESOURCE
        recorder.add(principal_id, resource, Use(arn, check.action, credential, moment))
