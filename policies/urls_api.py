from django.urls import path

from policies import api

app_name = "api"

urlpatterns = [
    path("caller-identity", api.caller_identity, name="caller-identity"),
    path("assume-role", api.assume_role, name="assume-role"),
    path("authorize", api.authorize, name="authorize"),
    path("preview-change", api.preview_change, name="preview-change"),
    path("openapi.json", api.openapi, name="openapi"),
]
