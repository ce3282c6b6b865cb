from django.urls import path

from access import views

app_name = "access"

urlpatterns = [
    path("access-requests/", views.request_list, name="request-list"),
    path("access-requests/to-decide/", views.decide_list, name="decide-list"),
    path("access-requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("access-requests/<int:pk>/cancel/", views.request_change, {"change": "cancel"}, name="request-cancel"),
    path("access-requests/<int:pk>/end/", views.request_change, {"change": "end"}, name="request-end"),
    path("access-requests/<int:pk>/decide/", views.request_change, {"change": "decide"}, name="request-decide"),
    path("access-requests/<int:pk>/revoke/", views.request_change, {"change": "revoke"}, name="request-revoke"),
]
