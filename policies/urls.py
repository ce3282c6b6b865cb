from django.urls import path

from policies import views

app_name = "policies"

urlpatterns = [
    path("roles/switch/", views.role_switch, name="role-switch"),
    path("roles/switch-back/", views.role_switch_back, name="role-switch-back"),
    path("policy-check/", views.policy_check, name="policy-check"),
    path("what-can/", views.what_can, name="what-can"),
    path("who-can/", views.who_can, name="who-can"),
]
