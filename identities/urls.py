from django.urls import path

from identities import views

app_name = "identities"

urlpatterns = [
    path("", views.account_detail, name="account"),
    path("password/", views.password_change, name="password-change"),
    path("mfa/", views.mfa_enrol, name="mfa-enrol"),
    path("mfa/new/", views.mfa_create, name="mfa-create"),
    path("mfa/remove/", views.mfa_remove, name="mfa-remove"),
    path("sign-in/code/", views.mfa_verify, name="mfa-verify"),
]
