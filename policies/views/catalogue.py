"""The action catalogue as JSON, for the statement builder beside the policy editors.

Read-only reference data for any signed-in user, as the editors' live check already reads it.
Each answer carries the catalogue's version as its ETag, and the browser asks again with it
(no-cache): an unchanged catalogue answers 304 after one query."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_GET

from policies import catalogue_version, queries


def _version(request, prefix: str | None = None) -> str | None:
    version = catalogue_version.current()
    return None if version is None else f"{version}-{prefix or 'index'}"


@login_required
@require_GET
@cache_control(private=True, no_cache=True)
@condition(etag_func=_version)
def catalogue_index(request):
    """The services, the global condition keys and the condition operators."""
    return JsonResponse(queries.catalogue_index())


@login_required
@require_GET
@cache_control(private=True, no_cache=True)
@condition(etag_func=_version)
def catalogue_service(request, prefix: str):
    """One service's actions (with their access levels), resource types and condition keys."""
    service = queries.catalogue_service(prefix)
    if service is None:
        raise Http404("No such service in the catalogue.")
    return JsonResponse(service)
