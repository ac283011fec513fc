from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def favicon(request: HttpRequest) -> HttpResponse:  # noqa: ARG001
    """No icon: 204 rather than a 404 in every page load's log."""
    return HttpResponse(status=204)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon, name="favicon"),
    path("", include("syncing.urls")),
    path("", include("accounts.urls")),
    path("", include("mappings.urls")),
    path("", include("operations.urls")),
]
