"""One way from an order to its documents (orders.order_plan): the sync, the preview and the test
sync write and show the same documents, under the merchant's "sync refunds" rule."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from unittest import mock

import pytest

from accounts.clients import qbo_client
from accounts.models import QuickBooksConnection
from mappings import proposals
from mappings.catalog import catalog_read
from mappings.models import SyncSettings
from shopqb_app.integrations.shopify.fetch import fetch_order
from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger, preview, trial_sync
from syncing.models import Outcome, SyncedRecord, SyncIssue
from syncing.orders import order_plan, order_sync
from tests.accounts.factories import make_shop
from tests.sandboxes import Store, connect_shop
from tests.syncing import factories

pytestmark = [pytest.mark.django_db]

REFUND = """
mutation($input: RefundInput!) { refundCreate(input: $input) { refund { id } userErrors { message } } }
"""


def refunded_order(store: Store) -> str:
    """Two mugs paid, one refunded (10.00)."""
    gid = str(store.order(lines=[("MUG-1", 2, "10.00")])["id"])
    line = fetch_order(store.client, gid)["lineItems"]["nodes"][0]
    refund = {
        "orderId": gid,
        "refundLineItems": [{"lineItemId": line["id"], "quantity": 1, "restockType": "NO_RESTOCK"}],
        "transactions": [{"orderId": gid, "kind": "REFUND", "gateway": "shopify_payments", "amount": "10.00"}],
    }
    result = store.client.execute(REFUND, {"input": refund})["refundCreate"]
    assert result["userErrors"] == [], result
    return gid


def sync_refunds(shop, on: bool) -> None:
    SyncSettings.objects.filter(shop=shop).update(sync_refunds=on)


@pytest.mark.parametrize("refunds", [True, False], ids=["refunds synced", "refunds not synced"])
def test_the_preview_shows_what_the_sync_then_writes(shop, refunds):
    sync_refunds(shop, refunds)
    gid = refunded_order(Store(shop))

    shown = preview.order_preview(shop=shop, order_gid=gid)
    assert order_sync(shop_id=shop.pk, order_gid=gid) == Outcome.WRITTEN

    written = SyncedRecord.objects.filter(shop=shop, order_gid=gid, status=SyncedRecord.Status.SYNCED)
    assert sorted(d.entity for d in shown.documents) == sorted(written.values_list("kind", flat=True))
    assert [d.entity for d in shown.documents] == (["SalesReceipt", "RefundReceipt"] if refunds else ["SalesReceipt"])
    # Not synced, the refund is no difference between the books and Shopify: it is said in a note.
    assert shown.matches
    assert any("refunds are not synced" in note for note in shown.notes) is not refunds


def test_a_test_sync_with_refunds_not_synced_checks_only_what_it_writes(db, sandbox_settings):
    shop = connect_shop(sandbox_settings, live=False)
    qb = qbo_client(QuickBooksConnection.objects.get(shop=shop))
    catalog = catalog_read(shop=shop, qb=qb, fresh=True)
    proposals.setup_accept_proposals(shop=shop, catalog=catalog, by="test", start_date=date(2020, 1, 1))
    sync_refunds(shop, False)
    gid = refunded_order(Store(shop))

    result = trial_sync.order_test_sync(shop=shop, order_gid=gid)

    assert [d.entity for d in result.documents] == ["SalesReceipt"] and result.ok, result


def test_the_plan_is_the_sale_then_the_refunds_and_a_refused_refund_keeps_the_sale(db):
    shop = make_shop("plan-test.myshopify.com")
    order = parse_order(factories.order_node())
    mapping = factories.mapping()
    refund = SimpleNamespace(entity="RefundReceipt")  # all the plan looks at
    rules = SyncSettings(shop=shop, sync_refunds=True)
    with mock.patch.object(ledger, "refund_receipts", return_value=[refund]):
        plan = order_plan(order, shop=shop, mapping=mapping, rules=rules)
    assert [d.entity for d in plan.documents] == ["SalesReceipt", "RefundReceipt"] and plan.refunds_refused is None

    refused = ledger.LedgerError("unsupported_refund", "this refund cannot be booked")
    with mock.patch.object(ledger, "refund_receipts", side_effect=refused):
        plan = order_plan(order, shop=shop, mapping=mapping, rules=rules)
    assert [d.entity for d in plan.documents] == ["SalesReceipt"] and plan.refunds_refused is refused

    with mock.patch.object(ledger, "refund_receipts", side_effect=AssertionError("not asked")):
        plan = order_plan(order, shop=shop, mapping=mapping, rules=SyncSettings(shop=shop, sync_refunds=False))
    assert [d.entity for d in plan.documents] == ["SalesReceipt"]
    assert not SyncIssue.objects.exists()
