"""The URLs the API's short chain resolves (iamconsole.handlers): the API's, and nothing else."""

from django.http import JsonResponse
from django.urls import include, path

urlpatterns = [path("api/v1/", include("policies.urls_api")), path("api/v1/", include("access.urls_api"))]


def not_found(request, exception=None):
    return JsonResponse({"error": {"code": "NotFound", "message": "No API endpoint has this path."}}, status=404)


def server_error(request):
    return JsonResponse({"error": {"code": "InternalError", "message": "The server failed; try again."}}, status=500)


handler404 = "iamconsole.urls_api.not_found"
handler500 = "iamconsole.urls_api.server_error"
