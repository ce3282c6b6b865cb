from django.urls import path

from policies import views

app_name = "policies"

urlpatterns = [
    path("roles/switch/", views.role_switch, name="role-switch"),
    path("roles/switch-back/", views.role_switch_back, name="role-switch-back"),
    path("policy-check/", views.policy_check, name="policy-check"),
    path("what-can/", views.what_can, name="what-can"),
    path("who-can/", views.who_can, name="who-can"),
    path("escalation-paths/", views.escalation_paths, name="escalation-paths"),
    # The best-practice assessment.
    path("assessment/", views.assessment_report, name="assessment"),
    path("assessment/report.csv", views.assessment_export, {"form": "csv"}, name="assessment-csv"),
    path("assessment/report.json", views.assessment_export, {"form": "json"}, name="assessment-json"),
    path("assessment/acknowledge/", views.assessment_acknowledge, name="assessment-acknowledge"),
    # Access expectations.
    path("expectations/", views.expectation_list, name="expectation-list"),
    path("expectations/put/", views.expectation_put, name="expectation-put"),
    path("expectations/check/", views.expectation_check, name="expectation-check"),
    path("expectations/<int:pk>/delete/", views.expectation_delete, name="expectation-delete"),
    # Managed policies.
    path("policies/", views.policy_list, name="policy-list"),
    path("policies/new/", views.policy_create, name="policy-create"),
    path("policies/validate/", views.policy_validate, name="policy-validate"),
    path("policies/validate/trust/", views.policy_validate, {"edited": "trust"}, name="trust-policy-validate"),
    path("policies/<int:pk>/", views.policy_detail, name="policy-detail"),
    path("policies/<int:pk>/delete/", views.policy_delete, name="policy-delete"),
    path("policies/<int:pk>/versions/", views.policy_version_create, name="policy-version-create"),
    path(
        "policies/<int:pk>/versions/<int:number>/default/", views.policy_version_default, name="policy-version-default"
    ),
    path("policies/<int:pk>/versions/<int:number>/delete/", views.policy_version_delete, name="policy-version-delete"),
    # The action catalogue, for the statement builder.
    path("catalogue/", views.catalogue_index, name="catalogue"),
    path("catalogue/<str:prefix>/", views.catalogue_service, name="catalogue-service"),
    # Guardrails (changed in the admin).
    path("guardrails/", views.guardrail_list, name="guardrail-list"),
    path("guardrails/<int:pk>/", views.guardrail_detail, name="guardrail-detail"),
    # The policies of a user, group or role, included in their pages.
    path("policies/fragments/<str:kind>/<int:pk>/", views.identity_fragment, name="identity-fragment"),
    path("policies/fragments/<str:kind>/<int:pk>/attach/", views.identity_attach, name="identity-attach"),
    path("policies/fragments/<str:kind>/<int:pk>/detach/", views.identity_detach, name="identity-detach"),
    path("policies/fragments/<str:kind>/<int:pk>/inline/", views.identity_inline_put, name="identity-inline-put"),
    path(
        "policies/fragments/<str:kind>/<int:pk>/inline/delete/",
        views.identity_inline_delete,
        name="identity-inline-delete",
    ),
    path("policies/fragments/<str:kind>/<int:pk>/boundary/", views.identity_boundary_set, name="identity-boundary-set"),
    path(
        "policies/fragments/<str:kind>/<int:pk>/boundary/delete/",
        views.identity_boundary_delete,
        name="identity-boundary-delete",
    ),
    # The Access Advisor of a user, group, role or managed policy, and a policy from its activity.
    path("access-advisor/<str:kind>/<int:pk>/", views.access_advisor, name="access-advisor"),
    path("access-advisor/<str:kind>/<int:pk>/policy/", views.activity_policy, name="activity-policy"),
    path(
        "access-advisor/<str:kind>/<int:pk>/policy/replace/",
        views.activity_policy_replace,
        name="activity-policy-replace",
    ),
    # Import of an AWS account's authorization details (upload, preview, confirm).
    path("policies/change-preview/", views.change_preview, name="change-preview"),
    path("policies/change-preview/<int:pk>/", views.change_preview_job, name="change-preview-job"),
    path("import/", views.account_import, name="import"),
    path("import/confirm/", views.account_import_confirm, name="import-confirm"),
]
