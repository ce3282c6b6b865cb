"""Change previews: who gains and who loses which actions on which resources, before a
change is saved.

`preview(actor, change, resources=..., **arguments)` makes the change through the rule
table (`rules.perform`, so it is refused exactly as the change would be) inside a
savepoint, reads the account as the engine sees it before and after
(`authorization.Account`, its users grouped by `Sharing`), rolls back, and decides every
principal whose documents moved over the catalogue's actions and the resources the
policies name (plus those typed). Nothing persists and nothing is audited.

A principal is shown only to a viewer allowed iam:SimulatePrincipalPolicy on it; the rest
are counted. Every preview carries the permissions generation it saw (`Preview.generation`),
which the save compares under the generation's row lock (`identities.console.refuse_stale_preview`).
"""

from policies.preview.run import NOT_COVERED, Change, Effect, Preview, differences, preview
from policies.preview.snapshot import Snapshot

__all__ = ["NOT_COVERED", "Change", "Effect", "Preview", "Snapshot", "differences", "preview"]
