from django.urls import path

from federation.views import fragments, sign_in

app_name = "federation"

urlpatterns = [
    path("sign-in/provider/", sign_in.sign_in_start, name="sign-in"),
    path("sign-in/provider/callback/", sign_in.sign_in_callback, name="callback"),
    path("sign-in/provider/bind/", sign_in.sign_in_bind, name="bind"),
    path("sign-in/provider/backchannel-logout/", sign_in.backchannel_logout, name="backchannel-logout"),
]

urlpatterns += [
    path("federation/fragments/group/<int:pk>/", fragments.group_fragment, name="group-fragment"),
    path("federation/groups/<int:pk>/claim-rules/", fragments.group_rule_create, name="group-rule-create"),
    path(
        "federation/groups/<int:pk>/claim-rules/<int:rule_pk>/delete/",
        fragments.group_rule_delete,
        name="group-rule-delete",
    ),
    path("federation/fragments/user/<int:pk>/", fragments.user_fragment, name="user-fragment"),
    path("federation/users/<int:pk>/bind/", fragments.user_bind, name="user-bind"),
    path("federation/users/<int:pk>/unbind/", fragments.user_unbind, name="user-unbind"),
]
