"""Console views of policies, one module per page family; every view is importable from here."""

from policies.views.assessment import assessment_acknowledge, assessment_export, assessment_report
from policies.views.catalogue import catalogue_index, catalogue_service
from policies.views.checks import (
    check_export,
    policy_check,
    role_switch,
    role_switch_back,
    what_can,
    who_can,
)
from policies.views.escalation import escalation_paths
from policies.views.expectations import expectation_check, expectation_delete, expectation_list, expectation_put
from policies.views.fragments import (
    identity_attach,
    identity_boundary_delete,
    identity_boundary_set,
    identity_detach,
    identity_fragment,
    identity_inline_delete,
    identity_inline_put,
)
from policies.views.guardrails import guardrail_detail, guardrail_list
from policies.views.imports import account_import, account_import_confirm
from policies.views.lastaccess import access_advisor, activity_policy, activity_policy_replace
from policies.views.pages import (
    policy_create,
    policy_delete,
    policy_detail,
    policy_list,
    policy_validate,
    policy_version_create,
    policy_version_default,
    policy_version_delete,
)
from policies.views.preview import change_preview, change_preview_job

__all__ = [
    "access_advisor",
    "activity_policy",
    "activity_policy_replace",
    "account_import",
    "account_import_confirm",
    "assessment_acknowledge",
    "assessment_export",
    "assessment_report",
    "catalogue_index",
    "catalogue_service",
    "change_preview",
    "change_preview_job",
    "check_export",
    "escalation_paths",
    "expectation_check",
    "expectation_delete",
    "expectation_list",
    "expectation_put",
    "guardrail_detail",
    "guardrail_list",
    "identity_attach",
    "identity_boundary_delete",
    "identity_boundary_set",
    "identity_detach",
    "identity_fragment",
    "identity_inline_delete",
    "identity_inline_put",
    "policy_check",
    "policy_create",
    "policy_delete",
    "policy_detail",
    "policy_list",
    "policy_validate",
    "policy_version_create",
    "policy_version_default",
    "policy_version_delete",
    "role_switch",
    "role_switch_back",
    "what_can",
    "who_can",
]
