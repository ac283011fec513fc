"""The import of the store's history (the first sweep, and the full one go-live queues) reads only
the orders processed from the merchant's start date on, as the shop's own calendar counts them;
an earlier order a webhook announces is still skipped with the reason."""

from __future__ import annotations

from datetime import date

import pytest

from mappings.models import SyncSettings
from syncing.models import Outcome, SyncedRecord
from syncing.orders import order_sync
from syncing.runs import shop_sweep
from tests.sandboxes import Store

pytestmark = [pytest.mark.django_db]

START = date(2024, 2, 1)


def order_processed_at(store: Store, when: str, price: str) -> str:
    money = {"shopMoney": {"amount": price, "currencyCode": "USD"}}
    order = {
        "currency": "USD",
        "financialStatus": "PAID",
        "processedAt": when,
        "lineItems": [{"title": "Mug", "sku": "MUG-1", "quantity": 1, "priceSet": money}],
        "transactions": [{"kind": "SALE", "status": "SUCCESS", "gateway": "shopify_payments", "amountSet": money}],
    }
    created = store.client.execute(store.MUTATION, {"order": order})["orderCreate"]
    assert not created["userErrors"], created
    return str(created["order"]["id"])


@pytest.fixture
def history(shop) -> dict[str, str]:
    """Orders on both sides of the start date; the shop keeps New York time (UTC-5 in February)."""
    SyncSettings.objects.filter(shop=shop).update(start_date=START)
    store = Store(shop)
    return {
        "january": order_processed_at(store, "2024-01-15T12:00:00Z", "11.00"),
        "last evening before": order_processed_at(store, "2024-02-01T04:30:00Z", "12.00"),  # 23:30 on 31 January
        "first hour of the start date": order_processed_at(store, "2024-02-01T05:30:00Z", "13.00"),
        "today": str(store.order()["id"]),
    }


@pytest.mark.parametrize("full", [True, False], ids=["full sweep at go-live", "first sweep"])
def test_the_import_reads_only_orders_from_the_start_date(shop, history, full):
    result = shop_sweep(shop_id=shop.pk, full=full)

    assert result.outcomes == {"written": 2}
    booked = set(SyncedRecord.objects.filter(shop=shop).values_list("source_id", flat=True))
    assert booked == {history["first hour of the start date"], history["today"]}
    assert result.run.orders_seen == 2 and result.run.skipped == 0


def test_an_earlier_order_a_webhook_announces_is_skipped_with_the_reason(shop, history):
    shop_sweep(shop_id=shop.pk, full=True)
    for earlier in ("january", "last evening before"):
        assert order_sync(shop_id=shop.pk, order_gid=history[earlier]) == Outcome.SKIPPED
        record = SyncedRecord.objects.get(shop=shop, source_id=history[earlier])
        assert record.status == SyncedRecord.Status.SKIPPED and record.qbo_id == ""
        assert record.last_error == "processed before the sync start date 2024-02-01"


REFUND = """
mutation($input: RefundInput!) { refundCreate(input: $input) { refund { id } userErrors { message } } }
"""


def test_a_refund_of_an_order_sold_before_the_start_date_is_booked_on_its_own(shop, history):
    """Revenue is never overstated: the sale is not ShopQB's, the money going back now is."""
    store = Store(shop)
    january = history["january"]
    made = store.client.execute(
        REFUND,
        {
            "input": {
                "orderId": january,
                "transactions": [
                    {"orderId": january, "kind": "REFUND", "gateway": "shopify_payments", "amount": "11.00"}
                ],
            }
        },
    )["refundCreate"]
    assert made["userErrors"] == [], made

    result = shop_sweep(shop_id=shop.pk, full=True)

    assert result.outcomes.get("written") == 3
    records = SyncedRecord.objects.filter(shop=shop, order_gid=january)
    assert sorted((r.source_type, r.kind, r.status) for r in records) == [
        ("order", "SalesReceipt", "skipped"),
        ("refund", "RefundReceipt", "synced"),
    ]
    refund = records.get(kind="RefundReceipt")
    assert refund.amount == 11 and refund.txn_date >= START
