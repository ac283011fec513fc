"""The emulators for tests: settings pointing at them, a shop connected and (as a merchant
accepting every proposal would) taken through setup, and orders placed through the public API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.clients import qbo_client
from accounts.models import QuickBooksConnection, Shop
from mappings import proposals
from mappings import services as mapping_services
from mappings.catalog import catalog_read
from mappings.go_live import setup_go_live
from mappings.models import SetupStep


def use_sandboxes(settings, monkeypatch, info) -> None:
    """Point the app's settings at running sandboxes (``info`` is their contract line)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    settings.SHOPIFY_API_KEY = info["app"]["api_key"]
    settings.SHOPIFY_API_SECRET = info["app"]["api_secret"]
    settings.SHOPIFY_ADMIN_BASE = info["shopify"] + "/{shop}"
    settings.QBO_CLIENT_ID = info["qbo_app"]["client_id"]
    settings.QBO_CLIENT_SECRET = info["qbo_app"]["client_secret"]
    settings.QBO_ENVIRONMENT = info["qbo"] + "/.well-known/openid_configuration"
    settings.QBO_API_BASE = info["qbo"] + "/v3"
    settings.QBO_HTTP_TIMEOUT = 10


def connect_shop(info, *, live: bool = True) -> Shop:
    """The sandbox's first shop, installed and connected to its first QuickBooks company, and
    (``live``) through the setup as a merchant accepting every proposal would go."""
    shop = shop_connected(info["shops"][0], info["qbo_companies"][0], name="Demo", iana_timezone="America/New_York")
    if live:
        go_live(shop)
    return shop


def shop_connected(
    shop_info: dict[str, Any],
    company: dict[str, Any],
    *,
    name: str,
    iana_timezone: str = "UTC",
    domain: str = "",
    currency: str = "",
) -> Shop:
    """A shop of the Shopify sandbox (``domain``: another name only the app knows), installed and
    connected to one of the QuickBooks sandbox's companies, with the facts connecting reads: its
    country and home currency (a US company on automated sales tax)."""
    shop = Shop.objects.create(
        domain=domain or shop_info["domain"],
        name=name,
        currency=currency or company.get("currency") or "USD",
        iana_timezone=iana_timezone,
        installed_at=timezone.now(),
        access_token=shop_info["access_token"],
    )
    country = company.get("country") or "US"
    QuickBooksConnection.objects.create(
        shop=shop,
        realm_id=company["realm_id"],
        access_token=company["access_token"],
        refresh_token=company["refresh_token"],
        country=country,
        home_currency=company.get("currency", "") if country != "US" else "",
        automated_sales_tax=country == "US",
    )
    return shop


def go_live(shop: Shop, *, start_date: date = date(2000, 1, 1)) -> None:
    """The setup's services, as the forms call them: every proposal accepted, one order previewed
    (marked here; tests/syncing/test_preview.py looks at real previews), then go-live."""
    qb = qbo_client(QuickBooksConnection.objects.get(shop=shop))
    catalog = catalog_read(shop=shop, qb=qb, fresh=True)
    proposals.setup_accept_proposals(shop=shop, catalog=catalog, by="test", start_date=start_date)
    mapping_services.step_done(shop=shop, step=SetupStep.PREVIEW)
    setup_go_live(shop=shop, qb=qb, by="test")


class Store:
    """Creates orders in the Shopify sandbox through the public orderCreate mutation."""

    MUTATION = """
    mutation Create($order: OrderCreateOrderInput!) {
      orderCreate(order: $order) { order { id name } userErrors { field message } }
    }
    """

    def __init__(self, shop: Shop):
        from accounts.clients import shopify_client

        self.client = shopify_client(shop)

    def order(
        self,
        *,
        lines: list[tuple[str, int, str]] = (("MUG-1", 2, "12.50"),),
        tax: str = "0.00",
        shipping: str = "0.00",
        gateway: str = "shopify_payments",
        test: bool = False,
        financial_status: str = "PAID",
    ) -> dict[str, Any]:
        def money(amount: Decimal | str) -> dict[str, Any]:
            return {"shopMoney": {"amount": str(amount), "currencyCode": "USD"}}

        total = sum((Decimal(p) * q for _, q, p in lines), Decimal(0)) + Decimal(tax) + Decimal(shipping)
        order: dict[str, Any] = {
            "currency": "USD",
            "financialStatus": financial_status,
            "test": test,
            "lineItems": [
                {"title": f"Item {sku}", "sku": sku, "quantity": qty, "priceSet": money(price)}
                for sku, qty, price in lines
            ],
            "transactions": [
                {"kind": "SALE", "status": "SUCCESS", "gateway": gateway, "amountSet": money(total), "test": test}
            ]
            if financial_status == "PAID"
            else [],
        }
        if Decimal(tax):
            order["taxLines"] = [{"title": "State tax", "rate": "0.05", "priceSet": money(tax)}]
        if Decimal(shipping):
            order["shippingLines"] = [{"title": "Standard", "priceSet": money(shipping)}]
        data = self.client.execute(self.MUTATION, {"order": order})["orderCreate"]
        assert not data["userErrors"], data["userErrors"]
        return data["order"]
