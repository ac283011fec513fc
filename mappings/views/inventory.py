"""The quantity check page: Shopify's on-hand quantity against QuickBooks' per inventory item, and
the merchant's one-click adjustment for each difference (mappings/inventory.py). Every change is a
POST with the session token; nothing is adjusted without a click."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import ShopRequest, shop_required
from accounts.clients import shopify_client
from accounts.models import QuickBooksConnection
from accounts.tokens import TokenRefreshFailed, TokenRevoked
from mappings import inventory, products
from mappings.models import InventoryCheck
from shopqb_app.integrations.quickbooks.errors import QBOError
from shopqb_app.integrations.shopify.errors import ShopifyError

UPSTREAM_ERRORS = (
    inventory.InventoryError,
    products.ProductsError,
    ShopifyError,
    QBOError,
    TokenRevoked,
    TokenRefreshFailed,
)


def _who(request: ShopRequest) -> str:
    claims = request.session_claims
    return f"Shopify staff {claims.user_id}" if claims.user_id else "Shopify staff"


@require_GET
@shop_required
def inventory_page(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    context = {
        "shop": shop,
        "check": InventoryCheck.objects.filter(shop=shop).first(),
        "can_adjust": inventory.can_adjust(connection),
    }
    return render(request, "mappings/inventory.html", context)


@require_POST
@shop_required
def inventory_check_now(request: ShopRequest) -> JsonResponse:
    shop = request.shop
    try:
        check = inventory.inventory_check(
            shop=shop, qb=products.quickbooks_for(shop=shop), shopify=shopify_client(shop)
        )
    except UPSTREAM_ERRORS as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    found = len(check.differences)
    return JsonResponse(
        {"message": f"{check.items_checked} items compared, {found} difference{'s' if found != 1 else ''}."}
    )


@require_POST
@shop_required
def inventory_adjust(request: ShopRequest, item_id: str) -> JsonResponse:
    shop = request.shop
    if not inventory.can_adjust(QuickBooksConnection.objects.filter(shop=shop).first()):
        return JsonResponse(
            {"error": "QuickBooks adjusts quantities through its API for US companies only."}, status=409
        )
    try:
        done = inventory.inventory_adjust(
            shop=shop,
            qb=products.quickbooks_for(shop=shop),
            shopify=shopify_client(shop),
            item_id=item_id,
            by=_who(request),
        )
    except UPSTREAM_ERRORS as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    if "adjustment_id" not in done:
        return JsonResponse({"message": f"{done['item_name']} already agrees with Shopify ({done['new_qty']})."})
    return JsonResponse({"message": f"{done['item_name']}: QuickBooks now counts {done['new_qty']}, as Shopify."})
