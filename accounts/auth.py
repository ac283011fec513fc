"""Session-token authentication for every embedded request.

App Bridge gives the page a short-lived JWT signed with the app secret
(shopqb_app/integrations/shopify/session_token.py checks it). Document loads carry
it as ``?id_token=``, fetches as ``Authorization: Bearer``. The shop is the token's
``dest``; nothing else (no cookie, no query parameter) decides it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt

from accounts.install import InstallError, shop_install_by_token_exchange
from accounts.models import Shop
from shopqb_app.integrations.shopify import oauth as shopify_oauth
from shopqb_app.integrations.shopify.errors import InvalidSessionToken
from shopqb_app.integrations.shopify.session_token import CLOCK_LEEWAY, SessionClaims, session_token_decode

log = logging.getLogger(__name__)

RETRY_HEADER = "X-Shopify-Retry-Invalid-Session-Request"

P = ParamSpec("P")


class ShopRequest(HttpRequest):
    """What a view behind ``shop_required`` receives. Only a type: the request is still
    Django's own, with these two attributes set on it by the decorator."""

    shop: Shop
    session_claims: SessionClaims


def session_token_predates_uninstall(claims: SessionClaims, shop: Shop | None) -> bool:
    """A token minted before the shop uninstalled the app must not install it again.

    The token would still pass every other check for up to a minute after the
    ``app/uninstalled`` webhook; without this it reinstalled the shop by token exchange.
    """
    if shop is None or shop.is_installed or shop.uninstalled_at is None:
        return False
    return claims.issued_at <= shop.uninstalled_at + CLOCK_LEEWAY


def _unauthorized_fetch() -> JsonResponse:
    response = JsonResponse({"error": "invalid session token"}, status=401)
    response[RETRY_HEADER] = "1"
    return response


def shop_required(
    view: Callable[Concatenate[ShopRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """The one gate for embedded views: sets ``request.shop`` or refuses.

    Unsafe methods must come as fetches with a Bearer token (which a cross-site
    form cannot send), so these views need no CSRF cookie.
    """

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        is_document = not header and request.method in ("GET", "HEAD")
        token = request.GET.get("id_token", "") if is_document else header.removeprefix("Bearer ").strip()
        if header and not header.startswith("Bearer "):
            token = ""
        try:
            claims = session_token_decode(token)
            shop = Shop.objects.filter(domain=claims.shop_domain).first()
            if session_token_predates_uninstall(claims, shop):
                raise InvalidSessionToken("issued before the app was uninstalled")
        except InvalidSessionToken as exc:
            if token:
                log.info("refused a session token: %s", exc)
            if not is_document:
                return _unauthorized_fetch()
            return _document_without_session(request)

        if shop is None or not shop.is_installed or not shop.access_token:
            try:
                shop = shop_install_by_token_exchange(domain=claims.shop_domain, session_token=token)
            except InstallError as exc:
                if not is_document:
                    return JsonResponse({"error": str(exc)}, status=403)
                request.frame_shop_domain = claims.shop_domain  # type: ignore[attr-defined] # shown in its admin
                response = render(request, "accounts/problem.html", {"message": str(exc)}, status=403)
                add_never_cache_headers(response)
                return response
        shop_request = cast(ShopRequest, request)
        shop_request.shop = shop
        shop_request.session_claims = claims
        # Every time on the merchant's pages is in the shop's own time zone (Shopify's ianaTimezone).
        with timezone.override(_shop_zone(shop)):
            response = view(shop_request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    wrapper.shop_required = True  # type: ignore[attr-defined] # the tenancy tests find every such view
    return wrapper


def _shop_zone(shop: Shop) -> ZoneInfo:
    try:
        return ZoneInfo(shop.iana_timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _document_without_session(request: HttpRequest) -> HttpResponse:
    """A page load without a valid id_token: get one, install, or explain."""
    params = request.GET.dict()
    shop = shopify_oauth.valid_shop_domain(params.get("shop"))
    if shop and shopify_oauth.query_is_signed(params):
        installed = Shop.objects.filter(domain=shop, installed_at__isnull=False, uninstalled_at__isnull=True)
        if not installed.exclude(access_token="").exists():
            # Non-managed install: authorization code grant, outside the admin's iframe.
            target = settings.APP_URL.rstrip("/") + reverse("accounts:install") + "?" + urlencode({"shop": shop})
            if params.get("embedded") == "1":
                request.frame_shop_domain = shop  # type: ignore[attr-defined]
                return _no_store(render(request, "accounts/exit_iframe.html", {"target": target}))
            return redirect(target)
        if params.get("embedded") != "1":
            return redirect(shopify_oauth.admin_app_url(shop))
    if shop and params.get("embedded") == "1" and not _bounced_recently(params.get("shopqb_bounce", "")):
        # Inside the admin: App Bridge gets a fresh token and the page reloads with it.
        # The page holds no data, so the shop named in the query may frame it.
        request.frame_shop_domain = shop  # type: ignore[attr-defined]
        return _no_store(render(request, "accounts/bounce.html", {"shop": shop}))
    if shop and params.get("embedded") == "1":
        request.frame_shop_domain = shop  # type: ignore[attr-defined] # the message must show in the admin
    response = render(
        request,
        "accounts/problem.html",
        {"message": "Open ShopQB from your Shopify admin (Apps \u2192 ShopQB)."},
        status=401,
    )
    response[RETRY_HEADER] = "1"  # a GET fetch without a token lands here too
    return _no_store(response)


def _bounced_recently(value: str) -> bool:
    """The bounce page already fetched a token seconds ago and it failed: stop, don't loop."""
    try:
        return abs(time.time() * 1000 - int(value)) < 30_000
    except ValueError:
        return False


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response
