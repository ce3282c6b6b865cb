from django.contrib import admin
from django.urls import include, path

from iamconsole import health, views
from identities import console
from identities import views as identity_views
from policies.aws import views as aws_views

handler403 = console.forbidden
handler404 = console.not_found

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", health.health, name="health"),
    path("ready/", health.ready, name="ready"),
    path("credential-report.csv", views.credential_report, name="credential-report"),
    path("sign-in/", identity_views.sign_in, name="login"),
    path("sign-out/", identity_views.sign_out, name="logout"),
    path("", include("federation.urls")),
    path("", include("identities.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("policies.urls_api")),
    path("api/v1/", include("access.urls_api")),
    path("scim/v2/", include("scim.urls")),
    path("aws/", aws_views.endpoint, name="aws"),
    path("", include("policies.urls")),
    path("", include("access.urls")),
]
