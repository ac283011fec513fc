"""Split tenders and payments through the whole sync, over HTTP against both sandboxes, proven by the
balances QuickBooks reports for its accounts afterwards (Account.CurrentBalance)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shopqb_app.integrations.quickbooks import client as qbo
from syncing.context import context_open
from syncing.models import SyncedRecord
from syncing.orders import order_sync
from syncing.reconcile import reconcile_shop
from tests.sandboxes import Store

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


def money(amount: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": "USD"}}


def create(shop, *, price: str, transactions: list[tuple[str, str]], status: str = "PAID") -> str:
    order = {
        "currency": "USD",
        "financialStatus": status,
        "lineItems": [{"title": "Item A", "sku": "A", "quantity": 1, "priceSet": money(price)}],
        "transactions": [
            {"kind": "SALE", "status": "SUCCESS", "gateway": gateway, "amountSet": money(amount)}
            for gateway, amount in transactions
        ],
    }
    data = Store(shop).client.execute(Store.MUTATION, {"order": order})["orderCreate"]
    assert not data["userErrors"], data["userErrors"]
    return str(data["order"]["id"])


def balances(shop) -> dict[str, Decimal]:
    """Every account's balance as QuickBooks reports it."""
    accounts = qbo.query_all(context_open(shop.pk).qb, "select * from Account", "Account")
    return {a["Name"]: D(str(a.get("CurrentBalance", 0))) for a in accounts}


def test_a_sale_paid_by_card_and_paypal_leaves_each_share_in_its_own_clearing_account(shop):
    before = balances(shop)
    gid = create(shop, price="100.00", transactions=[("shopify_payments", "70.00"), ("paypal", "30.00")])
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"

    kinds = sorted(SyncedRecord.objects.filter(shop=shop, order_gid=gid).values_list("kind", flat=True))
    assert kinds == ["JournalEntry", "SalesReceipt"]
    after = balances(shop)
    moved = {name: after[name] - before.get(name, D(0)) for name in after if after[name] != before.get(name, D(0))}
    assert moved["Shopify Payments Clearing"] == D("70.00")
    assert moved["PayPal Clearing"] == D("30.00")
    # Run again: nothing changes.
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "unchanged"
    assert balances(shop) == after
    assert reconcile_shop(shop_id=shop.pk).matched


def test_an_order_paid_in_two_payments_is_an_invoice_with_a_payment_per_gateway(shop):
    gid = create(shop, price="90.00", transactions=[("paypal", "30.00")], status="PARTIALLY_PAID")
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    payments = SyncedRecord.objects.filter(shop=shop, order_gid=gid, kind="Payment")
    assert [(p.source_type, p.amount) for p in payments] == [("transaction", D("30.00"))]

    ctx = context_open(shop.pk)
    invoice = SyncedRecord.objects.get(shop=shop, order_gid=gid, kind="Invoice")
    assert D(str(qbo.read(ctx.qb, "Invoice", invoice.qbo_id)["Balance"])) == D("60.00")
    assert reconcile_shop(shop_id=shop.pk).matched
