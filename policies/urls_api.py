from django.urls import path

from policies import api, api_expectations, api_web_identity

app_name = "api"

urlpatterns = [
    path("caller-identity", api.caller_identity, name="caller-identity"),
    path("assume-role", api.assume_role, name="assume-role"),
    path(
        "assume-role-with-web-identity",
        api_web_identity.assume_role_with_web_identity,
        name="assume-role-with-web-identity",
    ),
    path("authorize", api.authorize, name="authorize"),
    path("access-expectations", api_expectations.access_expectations, name="access-expectations"),
    path("access-expectations/<str:name>", api_expectations.access_expectation, name="access-expectation"),
    path("last-accessed", api.last_accessed, name="last-accessed"),
    path("preview-change", api.preview_change, name="preview-change"),
    path("openapi.json", api.openapi, name="openapi"),
]
