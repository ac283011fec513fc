"""Security headers for an app that lives inside the Shopify admin's iframe."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class EmbeddedFrameMiddleware:
    """Only the requesting shop's admin may frame our pages.

    Views that know the shop set ``request.shop``; everything else may be framed by
    nobody (``frame-ancestors 'none'``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" in response:
            return response
        shop = getattr(request, "shop", None)
        if shop is not None:
            ancestors = f"https://{shop.domain} https://admin.shopify.com"
            response["Content-Security-Policy"] = f"frame-ancestors {ancestors};"
            if "X-Frame-Options" in response:
                del response["X-Frame-Options"]
        elif response.get("Content-Type", "").startswith("text/html"):
            response["Content-Security-Policy"] = "frame-ancestors 'none';"
        return response
