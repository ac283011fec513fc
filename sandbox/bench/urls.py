"""The production URLs plus ``/_bench/bare``, a view that does nothing: the webhook
benchmark's yardstick. Mounted only by sandbox.bench.settings, never in production."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:  # noqa: ARG001
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("_bench/bare", bare), path("", include("shopqb_app.urls"))]
