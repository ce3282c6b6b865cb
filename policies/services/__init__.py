"""Every write to policies: validated by the engine, atomic, audited.

A document with an ERROR finding is refused before anything is stored, with
each problem and its place; warnings are returned to show. Every change that
can alter a decision bumps the permissions generation in its transaction.
"""

from policies.services._common import (
    check_document,
    check_trust_policy,
    document_findings,
    finding_in_words,
    validation_catalogue,
)
from policies.services.action_catalogue import (
    delete_catalog_action,
    delete_catalog_service,
    load_aws_catalogue,
    save_catalog_action,
    save_catalog_service,
)
from policies.services.attachments import (
    SELF_SERVICE_ARN,
    attach_new_user_policies,
    attach_policy,
    current_inline_policy,
    delete_inline_policy,
    delete_permissions_boundary,
    detach_policy,
    inline_policy_token,
    put_inline_policy,
    remove_identity_policies,
    replace_policies,
    set_permissions_boundary,
)
from policies.services.expectations import (
    delete_access_expectation,
    put_access_expectation,
    record_expectation_checks,
)
from policies.services.findings import acknowledge_finding
from policies.services.guardrails import (
    GUARDRAIL_MANAGEMENT_ACTIONS,
    delete_guardrail,
    guardrail_token,
    highest_guardrail_level,
    refuse_stale_guardrail,
    save_guardrail,
)
from policies.services.imports import (
    import_managed_policy,
    import_policy_versions,
)
from policies.services.managed import (
    create_policy,
    create_policy_version,
    default_version_number,
    delete_policy,
    delete_policy_version,
    refuse_if_default_changed,
    set_default_version,
    update_policy,
)

__all__ = [
    "GUARDRAIL_MANAGEMENT_ACTIONS",
    "SELF_SERVICE_ARN",
    "acknowledge_finding",
    "attach_new_user_policies",
    "attach_policy",
    "validation_catalogue",
    "check_document",
    "check_trust_policy",
    "document_findings",
    "finding_in_words",
    "create_policy",
    "create_policy_version",
    "current_inline_policy",
    "default_version_number",
    "delete_access_expectation",
    "delete_catalog_action",
    "delete_catalog_service",
    "delete_guardrail",
    "delete_inline_policy",
    "delete_permissions_boundary",
    "delete_policy",
    "delete_policy_version",
    "detach_policy",
    "guardrail_token",
    "highest_guardrail_level",
    "import_managed_policy",
    "import_policy_versions",
    "inline_policy_token",
    "load_aws_catalogue",
    "put_access_expectation",
    "put_inline_policy",
    "record_expectation_checks",
    "refuse_if_default_changed",
    "refuse_stale_guardrail",
    "remove_identity_policies",
    "replace_policies",
    "save_catalog_action",
    "save_catalog_service",
    "save_guardrail",
    "set_default_version",
    "set_permissions_boundary",
    "update_policy",
]
