"""The admin for policies, and policy inlines added to the identity pages.

Every permission hook maps to an IAM action on the object's ARN, every save
and delete calls a service, and checks that depend on submitted data (the
policy attached, the boundary set) are made again when the form is saved.

One module per area: `managed` (managed policies and their versions),
`identity_pages` (policies on the pages of users, groups and roles, whose admins
it registers in place of identities' own), `guardrails` and `catalogue`; `base`
holds what they share beside identities.admin.base.
"""

from policies.admin import catalogue, guardrails, identity_pages, managed

__all__ = ["catalogue", "guardrails", "identity_pages", "managed"]
