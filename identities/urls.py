from django.urls import path

from identities import views

app_name = "identities"

urlpatterns = [
    # The signed-in user's own account.
    path("account/", views.account_detail, name="account"),
    path("account/password/", views.password_change, name="password-change"),
    path("account/mfa/", views.mfa_enrol, name="mfa-enrol"),
    path("account/mfa/new/", views.mfa_create, name="mfa-create"),
    path("account/mfa/remove/", views.mfa_remove, name="mfa-remove"),
    path("account/sign-in/code/", views.mfa_verify, name="mfa-verify"),
    # A user's security credentials, access keys and sessions.
    path("users/<str:username>/security-credentials/", views.security_credentials, name="security-credentials"),
    path(
        "users/<str:username>/console-sessions/<int:session_pk>/revoke/",
        views.console_session_revoke,
        name="console-session-revoke",
    ),
    path(
        "users/<str:username>/role-sessions/<int:session_pk>/revoke/",
        views.role_session_revoke,
        name="role-session-revoke",
    ),
    path("users/<str:username>/access-keys/", views.access_keys, name="access-keys"),
    path("users/<str:username>/access-keys/<str:key_id>/status/", views.access_key_status, name="access-key-status"),
    path("users/<str:username>/access-keys/<str:key_id>/delete/", views.access_key_delete, name="access-key-delete"),
    # Console pages of users, groups and roles.
    path("users/", views.user_list, name="user-list"),
    path("users/new/", views.user_create, name="user-create"),
    path("users/<int:pk>/", views.user_detail, name="user-detail"),
    path("users/<int:pk>/edit/", views.user_edit, name="user-edit"),
    path("users/<int:pk>/delete/", views.user_delete, name="user-delete"),
    path("users/<int:pk>/tags/", views.user_tags, name="user-tags"),
    path("users/<int:pk>/password/", views.user_password, name="user-password"),
    path("users/<int:pk>/groups/", views.user_group_add, name="user-group-add"),
    path("users/<int:pk>/groups/candidates/", views.user_group_candidates, name="user-group-candidates"),
    path("users/<int:pk>/groups/<int:group_pk>/remove/", views.user_group_remove, name="user-group-remove"),
    path("users/<int:pk>/roles/", views.user_role_add, name="user-role-add"),
    path("users/<int:pk>/roles/candidates/", views.user_role_candidates, name="user-role-candidates"),
    path("users/<int:pk>/roles/<int:role_pk>/remove/", views.user_role_remove, name="user-role-remove"),
    path("groups/", views.group_list, name="group-list"),
    path("groups/new/", views.group_create, name="group-create"),
    path("groups/<int:pk>/", views.group_detail, name="group-detail"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group-edit"),
    path("groups/<int:pk>/delete/", views.group_delete, name="group-delete"),
    path("groups/<int:pk>/candidates/", views.group_member_candidates, name="group-member-candidates"),
    path("groups/<int:pk>/members/", views.group_members_add, name="group-members-add"),
    path("groups/<int:pk>/members/remove/", views.group_members_remove, name="group-members-remove"),
    path("roles/", views.role_list, name="role-list"),
    path("roles/new/", views.role_create, name="role-create"),
    path("roles/<int:pk>/", views.role_detail, name="role-detail"),
    path("roles/<int:pk>/edit/", views.role_edit, name="role-edit"),
    path("roles/<int:pk>/delete/", views.role_delete, name="role-delete"),
    path("roles/<int:pk>/assignments/", views.role_assign, name="role-assign"),
    path("roles/<int:pk>/assignments/<int:user_pk>/remove/", views.role_unassign, name="role-unassign"),
    # OpenID Connect providers (AssumeRoleWithWebIdentity).
    path("identity-providers/", views.oidc_provider_list, name="oidc-provider-list"),
    path("identity-providers/new/", views.oidc_provider_create, name="oidc-provider-create"),
    path("identity-providers/<int:pk>/", views.oidc_provider_detail, name="oidc-provider-detail"),
    path("identity-providers/<int:pk>/delete/", views.oidc_provider_delete, name="oidc-provider-delete"),
    path(
        "identity-providers/<int:pk>/client-ids/", views.oidc_provider_client_id_add, name="oidc-provider-client-id-add"
    ),
    path(
        "identity-providers/<int:pk>/client-ids/remove/",
        views.oidc_provider_client_id_remove,
        name="oidc-provider-client-id-remove",
    ),
    # The audit trail (search, pages, export).
    path("audit/", views.audit_list, name="audit-list"),
]
