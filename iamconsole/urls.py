from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from iamconsole import views
from identities import views as identity_views

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", identity_views.sign_in, name="login"),
    path("account/", include("identities.urls")),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("users/<str:username>/access-keys/", identity_views.access_keys, name="access-keys"),
    path(
        "users/<str:username>/access-keys/<str:key_id>/status/",
        identity_views.access_key_status,
        name="access-key-status",
    ),
    path(
        "users/<str:username>/access-keys/<str:key_id>/delete/",
        identity_views.access_key_delete,
        name="access-key-delete",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("policies.urls_api")),
    path("", include("policies.urls")),
]
