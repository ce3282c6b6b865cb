"""Import and export of an AWS account's authorization details.

The format is what `aws iam get-account-authorization-details` prints. Reading is pure (no
database); planning compares with the database; applying writes through the services in one
transaction, with one ImportAccountAuthorizationDetails audit event besides each change's own:

    details = read_authorization_details(uploaded_bytes)   # raises ImportRefused
    plan = plan_import(details)                            # raises ImportRefused

With `skip_invalid=True` given to both, entities with a problem are skipped instead, with every
identity they could restrict (`plan.skipped`, each with its reasons); several pages of one answer
are read as one account when given as a list.
    plan.lines(), plan.summary, plan.is_empty              # the dry run
    apply_import(plan, actor=request.user, source_name="account.json")

`ImportRefused` is a ValidationError: `.messages` lists every problem with its place.
"""

from policies.aws_import.export import export_authorization_details
from policies.aws_import.plan import CREATE, UNCHANGED, UPDATE, Change, ImportPlan, apply_import, plan_import
from policies.aws_import.reader import AccountDetails, ImportRefused, Skipped, read_authorization_details
from policies.aws_import.steps import Step, find_policy

__all__ = [
    "CREATE",
    "UNCHANGED",
    "UPDATE",
    "AccountDetails",
    "Change",
    "ImportPlan",
    "ImportRefused",
    "Skipped",
    "Step",
    "apply_import",
    "export_authorization_details",
    "find_policy",
    "plan_import",
    "read_authorization_details",
]
