"""The one door to every decision.

Three questions, and nothing else in the project reaches the engine's
`authorize`, `authorize_assume_role` or `compile_policies` to answer them, or
loads a principal's layers another way:

- "May the caller do A on R?": Django's `request.user.has_perm(action, obj)`,
  answered by `backend.PolicyBackend` with the acting principal (the user, or
  the role session they act in) and this request's context.
- "What would P get?": `decide(layers_of(principal), action, resource,
  context=...)` for the policy check, what-can, who-can, the reports, change
  previews and the decision API; `assume_role(caller, role)` beside it for
  sts:AssumeRole (and `assume_role_with_web_identity` for a verified ID token);
  `Account` reads everyone at once for the reports (the same
  loader in its bulk mode).
- "What could this document give?": `grants_power(document)`, the actions
  among `*`, `iam:*` and the escalation report's routes that a document would
  grant, which the console asks to confirm before it attaches or sets one.

The root user is beyond every IAM policy but the guardrails, and only root
manages root: no policy grants a write on the root user to anyone else.

Every cache a decision goes through:

| cache | where | key | lifetime | invalidated by |
| --- | --- | --- | --- | --- |
| decisions of one request | `RequestContext.decisions` | action, resource, request keys | one request | any write the request makes (`identities.middleware`); a generation that moved |
| the generation of one request | `RequestContext.generation` | (none: one value) | one request | any write the request makes; entering or leaving a transaction |
| compiled layers, per process | `caches._compiled` (LRU, `IAM_POLICY_CACHE_SIZE`) | principal kind, pk and ARN (or an ARN for the decision API; "guardrails"; a role's effective trust), generation | until evicted, or the entry's `valid_until` (the earliest expiry of a role assignment or group membership it holds) | a new generation makes every key unreachable |
| plain decisions of one set of layers | `Layers.answers` (`decisions.evaluate`, at most `decisions.ANSWERS_MAX`) | action, resource, account, every request key in order (the time keys included) | the layers' own (so never past their `valid_until`) | a new generation brings new layers; explained decisions and resource policies are never kept |
| plain documents, shared | Django's cache (Redis in production) | `policies:documents:<kind>:<pk>:<generation>` | `caches.DOCUMENT_CACHE_SECONDS`, and never past the documents' `valid_until` (the earliest expiry of a membership they read) | a new generation makes the key unreachable |
| dashboard figures | Django's cache (`identities.queries`) | generation and the newest user, group and role | `DASHBOARD_CACHE_SECONDS` | a new generation or a new row |
| engine memos | `policies/engine` (`functools.lru_cache`) | pattern and value text | until evicted | nothing: pure functions of their text |
| SQL statements | `identities.rows` (`lru_cache`) | model, related fields, connection | the process | nothing: only SQL text, never data |

The generation is renewed by database triggers (`identities.generation`) on
every table a decision is built from, in the writing transaction, so no
service has to remember it; a change that rolls back takes its renewal with it.
Role sessions are looked up on every decision (they end without a change of
generation); access keys on every request. Memberships and role assignments
that expire also end without one: the loader reads only live ones, and each
cache above that holds them is not used past the earliest expiry among them,
so no job has to run for an expiry to take effect.
"""

from policies.authorization.bulk import Account, Sharing, UserRow
from policies.authorization.caches import clear as clear_caches
from policies.authorization.decisions import (
    assume_role,
    assume_role_with_web_identity,
    assume_with,
    decide,
    resource_account,
    root_decision,
    time_keys,
)
from policies.authorization.loader import Keys, Layers
from policies.authorization.power import EVERY_ACTION, EVERY_IAM_ACTION, ROUTE_ACTIONS, grants_power
from policies.authorization.principals import (
    AmbiguousPrincipal,
    UnknownPrincipal,
    acting_layers,
    custom_layers,
    effective_trust,
    federated_layers,
    guardrail_levels,
    layers_at,
    layers_of,
    path_and_name,
    principal_at,
    role_keys,
    split_iam_arn,
    user_keys,
    with_boundary,
)

__all__ = [
    "EVERY_ACTION",
    "EVERY_IAM_ACTION",
    "ROUTE_ACTIONS",
    "Account",
    "Sharing",
    "UserRow",
    "AmbiguousPrincipal",
    "Keys",
    "Layers",
    "UnknownPrincipal",
    "acting_layers",
    "assume_role",
    "assume_role_with_web_identity",
    "assume_with",
    "clear_caches",
    "custom_layers",
    "decide",
    "effective_trust",
    "federated_layers",
    "grants_power",
    "guardrail_levels",
    "layers_at",
    "layers_of",
    "path_and_name",
    "principal_at",
    "resource_account",
    "role_keys",
    "root_decision",
    "split_iam_arn",
    "time_keys",
    "user_keys",
    "with_boundary",
]
