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
    # A user's access keys.
    path("users/<str:username>/access-keys/", views.access_keys, name="access-keys"),
    path("users/<str:username>/access-keys/<str:key_id>/status/", views.access_key_status, name="access-key-status"),
    path("users/<str:username>/access-keys/<str:key_id>/delete/", views.access_key_delete, name="access-key-delete"),
]
