from django.urls import path

from access import api

app_name = "access-api"

urlpatterns = [
    path("access-requests", api.access_requests, name="access-requests"),
    path("access-requests/to-decide", api.decidable, name="access-requests-to-decide"),
    path("access-requests/<int:pk>", api.access_request, name="access-request"),
    path("access-requests/<int:pk>/proposals", api.request_proposals, name="access-request-proposals"),
    path("access-requests/<int:pk>/cancel", api.cancel, name="access-request-cancel"),
    path("access-requests/<int:pk>/decision", api.decision, name="access-request-decision"),
    path("access-requests/<int:pk>/end", api.end, name="access-request-end"),
    path("access-requests/<int:pk>/revoke", api.revoke, name="access-request-revoke"),
]
