"""``/readyz`` for deploys and monitors, ``/metrics`` for Prometheus (behind METRICS_TOKEN)."""

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from operations.metrics import CONTENT_TYPE, metrics_families, metrics_text
from operations.readiness import readiness


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:  # noqa: ARG001
    """200 when the database, the broker and a worker are all there; 503 naming what is not."""
    checks = readiness()
    ready = all(check.ok for check in checks)
    response = JsonResponse(
        {
            "ok": ready,
            "failed": [check.name for check in checks if not check.ok],
            "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
        },
        status=200 if ready else 503,
    )
    add_never_cache_headers(response)
    return response


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape, with ``Authorization: Bearer <METRICS_TOKEN>``; off (404) without a token set."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("metrics are off")
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        response = HttpResponse("a bearer token is needed\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(metrics_text(metrics_families()), content_type=CONTENT_TYPE)
    add_never_cache_headers(response)
    return response
