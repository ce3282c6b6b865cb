"""The console's URLs and one page that breaks the Content-Security-Policy, served only to
the test proving that the browser tests' guard catches a violation."""

from django.http import HttpResponse
from django.urls import include, path


def inline_script_and_style(request):
    return HttpResponse(
        '<!doctype html><title>Refused</title><p style="color: red">An inline style.</p>'
        '<script>document.title = "Ran";</script>'
    )


urlpatterns = [path("csp-violation/", inline_script_and_style), path("", include("iamconsole.urls"))]
