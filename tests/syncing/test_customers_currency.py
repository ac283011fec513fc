"""A EUR shop booked into a USD company (multicurrency on): a buyer's QuickBooks customer must
hold EUR, as the generic customer does; a USD customer with the buyer's email or name is never
used for them (QuickBooks refuses a document in another currency than its customer's)."""

from __future__ import annotations

import pytest

from accounts.clients import shopify_client
from mappings.models import SyncSettings
from shopqb_app.integrations.quickbooks import client as qbo
from syncing.context import context_open
from syncing.models import CustomerLink
from syncing.orders import order_sync
from tests.syncing.test_customers import booked_to
from tests.syncing.test_reconcile_currency import CREATE, euro_sandboxes, euro_shop  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_buyer_of_a_foreign_currency_shop_gets_a_customer_in_the_shops_currency(euro_shop):  # noqa: F811
    qb = context_open(euro_shop.pk).qb
    usd = qbo.call(
        lambda: (
            qbo.entity_class("Customer")
            .from_json({"DisplayName": "Jane Doe", "PrimaryEmailAddr": {"Address": "jane@example.com"}})
            .save(qb=qb)
        )
    )
    SyncSettings.objects.filter(shop=euro_shop).update(customer_mode=SyncSettings.CustomerMode.PER_CUSTOMER)
    money = {"shopMoney": {"amount": "25.00", "currencyCode": "EUR"}}
    order = {
        "currency": "EUR",
        "financialStatus": "PAID",
        "customer": {"toUpsert": {"email": "jane@example.com", "firstName": "Jane", "lastName": "Doe"}},
        "lineItems": [{"title": "Mug", "sku": "MUG", "quantity": 1, "priceSet": money}],
        "transactions": [{"kind": "SALE", "status": "SUCCESS", "gateway": "shopify_payments", "amountSet": money}],
    }
    data = shopify_client(euro_shop).execute(CREATE, {"order": order})["orderCreate"]
    assert not data["userErrors"], data["userErrors"]
    gid = data["order"]["id"]

    assert order_sync(shop_id=euro_shop.pk, order_gid=gid) == "written"
    customer = qbo.read(qb, "Customer", booked_to(euro_shop, gid, "SalesReceipt"))
    assert customer["Id"] != str(usd.Id)
    assert customer["CurrencyRef"]["value"] == "EUR"
    assert customer["DisplayName"].startswith("Jane Doe (Shopify ")
    assert CustomerLink.objects.get(shop=euro_shop).origin == "created"
    assert qbo.read(qb, "Customer", str(usd.Id))["SyncToken"] == str(usd.SyncToken)
