"""The Shopify install round trip, QuickBooks connect/disconnect and the shop's own data.

The embedded home page, which shows the sync too, is ``syncing/views.py``.
Embedded views take their shop from ``accounts.auth.shop_required`` only. The
OAuth callbacks run top-level (outside the admin's iframe) and are bound to the
browser that started them by a first-party cookie holding the state.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from accounts import quickbooks_connect, ratelimit
from accounts.auth import ShopRequest, shop_required
from accounts.install import InstallError, shop_install_by_code
from accounts.models import ComplianceRequest, OAuthState, QuickBooksConnection
from accounts.oauth_state import OAUTH_STATE_TTL, InvalidState, oauth_state_consume, oauth_state_create
from shopqb_app.integrations.quickbooks import oauth as qbo_oauth
from shopqb_app.integrations.quickbooks.errors import QBOOAuthError
from shopqb_app.integrations.shopify import oauth as shopify_oauth

SHOPIFY_STATE_COOKIE = "shopqb_shopify_state"
QBO_BROWSER_COOKIE = "shopqb_qbo_browser"


def _app_url(name: str) -> str:
    return settings.APP_URL.rstrip("/") + reverse(name)


def _problem(request: HttpRequest, message: str, status: int) -> HttpResponse:
    response = render(request, "accounts/problem.html", {"message": message}, status=status)
    add_never_cache_headers(response)
    return response


def _set_state_cookie(response: HttpResponse, name: str, state: str, path: str) -> None:
    response.set_cookie(
        name,
        state,
        max_age=int(OAUTH_STATE_TTL.total_seconds()),
        path=path,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


@require_GET
@shop_required
def status(request: ShopRequest) -> JsonResponse:
    """The shop and its QuickBooks connection as JSON, for pages that refresh themselves."""
    shop = request.shop
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    return JsonResponse(
        {
            "shop": {
                "domain": shop.domain,
                "name": shop.name,
                "paused": shop.sync_paused,
                "reason": shop.paused_reason,
            },
            "quickbooks": None
            if connection is None
            else {
                "status": connection.status,
                "reason": connection.status_reason,
                "company_name": connection.company_name,
                "country": connection.country,
                "home_currency": connection.home_currency,
                "automated_sales_tax": connection.automated_sales_tax,
                "multicurrency": connection.multicurrency,
            },
        }
    )


# --- Shopify authorization code grant ------------------------------------------------


@require_GET
def install(request: HttpRequest) -> HttpResponse:
    """Start the code grant. Anyone may call this and each call writes a state row: rate-limited."""
    shop = shopify_oauth.valid_shop_domain(request.GET.get("shop"))
    wait = ratelimit.install_rate_limit_hit(client=ratelimit.client_address(request), shop_domain=shop)
    if wait:
        response = _problem(request, "Too many install attempts. Please try again in a few minutes.", 429)
        response["Retry-After"] = str(wait)
        return response
    if shop is None:
        return _problem(request, "Install ShopQB from your Shopify admin or the Shopify App Store.", 400)
    row = oauth_state_create(provider=OAuthState.Provider.SHOPIFY, shop_domain=shop)
    url = shopify_oauth.authorize_url(shop=shop, state=row.state, redirect_uri=_app_url("accounts:install_callback"))
    response = redirect(url)
    _set_state_cookie(response, SHOPIFY_STATE_COOKIE, row.state, reverse("accounts:install_callback"))
    add_never_cache_headers(response)
    return response


@require_GET
def install_callback(request: HttpRequest) -> HttpResponse:
    params = request.GET.dict()
    shop = shopify_oauth.valid_shop_domain(params.get("shop"))
    if shop is None or not shopify_oauth.query_is_signed(params):
        return _problem(request, "This install link is not valid. Install ShopQB again from Shopify.", 400)
    try:
        oauth_state_consume(
            provider=OAuthState.Provider.SHOPIFY,
            state=params.get("state", ""),
            cookie_state=request.COOKIES.get(SHOPIFY_STATE_COOKIE, ""),
            shop_domain=shop,
        )
        shop_install_by_code(domain=shop, code=params.get("code", ""))
    except InvalidState as exc:
        return _problem(request, f"The install could not be completed: {exc}. Please install again.", 400)
    except InstallError as exc:
        return _problem(request, str(exc), 403)
    response = redirect(shopify_oauth.admin_app_url(shop))
    response.delete_cookie(SHOPIFY_STATE_COOKIE, path=reverse("accounts:install_callback"))
    return response


# --- QuickBooks ----------------------------------------------------------------------


@require_POST
@shop_required
def qbo_connect(request: ShopRequest) -> JsonResponse:
    """Step 1 (embedded fetch, session token): a start link for this merchant, to open at once."""
    ticket = quickbooks_connect.qbo_connect_ticket(shop=request.shop)
    return JsonResponse({"url": _app_url("accounts:qbo_start") + "?" + urlencode({"ticket": ticket})})


@require_GET
def qbo_start(request: HttpRequest) -> HttpResponse:
    """Step 2 (top-level, Intuit cannot be framed): spend the ticket, bind this browser, go to Intuit."""
    try:
        row, binding = quickbooks_connect.qbo_connect_start(ticket=request.GET.get("ticket", ""))
        url = qbo_oauth.authorize_url(state=row.state)
    except InvalidState as exc:
        return _problem(
            request,
            f"This QuickBooks link cannot be used: {exc}. A connect link works once, within a minute of "
            "clicking Connect QuickBooks. Open ShopQB in your Shopify admin and click Connect QuickBooks again.",
            400,
        )
    except QBOOAuthError:
        return _problem(request, "QuickBooks cannot be reached right now. Please try again in a moment.", 502)
    response = redirect(url)
    _set_state_cookie(response, QBO_BROWSER_COOKIE, binding, reverse("accounts:qbo_callback"))
    if request.is_secure():
        response.cookies[QBO_BROWSER_COOKIE]["secure"] = True
    add_never_cache_headers(response)
    return response


@require_GET
def qbo_callback(request: HttpRequest) -> HttpResponse:
    """Step 3 (top-level): Intuit sends the merchant back with a code and the realm."""
    try:
        row = quickbooks_connect.qbo_callback_verify(
            state=request.GET.get("state", ""), cookie=request.COOKIES.get(QBO_BROWSER_COOKIE, "")
        )
    except InvalidState as exc:
        # The cookie stays: it may belong to this browser's own sign-in, still under way.
        return _problem(
            request,
            f"QuickBooks was not connected: {exc}. Nothing was changed. "
            "Open ShopQB in your Shopify admin and click Connect QuickBooks.",
            400,
        )
    shop = quickbooks_connect.qbo_connect_complete(
        row=row,
        code=request.GET.get("code", ""),
        realm_id=request.GET.get("realmId", ""),
        error=request.GET.get("error", ""),
    )
    response = redirect(shopify_oauth.admin_app_url(shop.domain))
    response.delete_cookie(QBO_BROWSER_COOKIE, path=reverse("accounts:qbo_callback"))
    return response


@require_POST
@shop_required
def qbo_shared_confirm(request: ShopRequest) -> JsonResponse:
    """The merchant agrees that this store shares its QuickBooks company (``?realm=``, as shown)."""
    shop = request.shop
    if not quickbooks_connect.qbo_shared_confirm(shop=shop, realm_id=request.GET.get("realm", "")):
        return JsonResponse({"error": "The QuickBooks connection has changed: reload the page."}, status=409)
    return JsonResponse({"ok": True})


@require_POST
@shop_required
def qbo_disconnect(request: ShopRequest) -> JsonResponse:
    quickbooks_connect.qbo_disconnect(shop=request.shop)
    return JsonResponse({"ok": True})


# --- Compliance exports ----------------------------------------------------------------


@require_GET
@shop_required
def data_request_export(request: ShopRequest, pk: int) -> HttpResponse:
    shop = request.shop
    record = ComplianceRequest.objects.filter(
        pk=pk, shop_domain=shop.domain, topic=ComplianceRequest.Topic.DATA_REQUEST
    ).first()
    if record is None or not record.export:
        raise Http404("no such export")
    ComplianceRequest.objects.filter(pk=record.pk).update(downloaded_at=timezone.now())
    response = HttpResponse(record.export, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="data-request-{record.pk}.json"'
    return response
