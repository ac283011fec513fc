"""Security headers for an app that lives inside the Shopify admin's iframe."""

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def shop_frame_ancestors(shop_domain: str) -> str:
    """The shop's admin origin(s) allowed to frame the app.

    Production: ``https://{shop} https://admin.shopify.com``. When the Admin API base
    is somewhere else (the sandbox serves every shop under one origin), that origin.
    """
    origins = [f"https://{shop_domain}", "https://admin.shopify.com"]
    base = urlsplit(settings.SHOPIFY_ADMIN_BASE.format(shop=shop_domain))
    if base.scheme and base.netloc:
        admin_origin = f"{base.scheme}://{base.netloc}"
        if admin_origin not in origins:
            origins.append(admin_origin)
    return " ".join(origins)


class EmbeddedFrameMiddleware:
    """Only the requesting shop's admin may frame our pages.

    Views that know the shop set ``request.shop`` (verified by session token);
    pages that hold no data but must render inside the admin (the session-token
    bounce page) set ``request.frame_shop_domain``. Everything else may be framed
    by nobody (``frame-ancestors 'none'``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" in response:
            return response
        shop = getattr(request, "shop", None)
        domain = shop.domain if shop is not None else getattr(request, "frame_shop_domain", None)
        if domain:
            response["Content-Security-Policy"] = f"frame-ancestors {shop_frame_ancestors(domain)};"
            if "X-Frame-Options" in response:
                del response["X-Frame-Options"]
        elif response.get("Content-Type", "").startswith("text/html"):
            response["Content-Security-Policy"] = "frame-ancestors 'none';"
        return response
