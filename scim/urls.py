from django.urls import path, re_path

from scim import views

app_name = "scim"

urlpatterns = [
    path(".search", views.search, name="search"),
    path("ServiceProviderConfig", views.service_provider_config, name="service-provider-config"),
    path("ResourceTypes", views.resource_types, name="resource-types"),
    path("ResourceTypes/<str:name>", views.resource_type, name="resource-type"),
    path("Schemas", views.schemas, name="schemas"),
    path("Schemas/<str:urn>", views.schema, name="schema"),
    path("Users", views.users, name="users"),
    path("Users/.search", views.users_search, name="users-search"),
    path("Users/<str:scim_id>", views.user, name="user"),
    path("Groups", views.groups, name="groups"),
    path("Groups/.search", views.groups_search, name="groups-search"),
    path("Groups/<str:scim_id>", views.group, name="group"),
    # Anything else under /scim/v2/ answers SCIM's own 404, not the console's page.
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
