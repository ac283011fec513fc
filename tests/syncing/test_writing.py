"""Deleting our documents as QuickBooks has them now: a payment applied to an
invoice moves the invoice's SyncToken on, and QuickBooks refuses a change made from an older one; a cancelled order is never voided."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest

from shopqb_app.integrations.quickbooks import client as qbo
from syncing.context import claim_lease, context_open
from syncing.models import Outcome, SyncedRecord, SyncIssue
from syncing.orders import order_sync
from syncing.writing import document_delete
from tests.sandboxes import Store

pytestmark = [pytest.mark.django_db]

CANCEL = """
mutation($id: ID!) {
  orderCancel(orderId: $id, reason: CUSTOMER, refund: false, restock: false) { orderCancelUserErrors { message } }
}"""


def part_paid_order(store: Store) -> str:
    """40.00 owed, 15.00 of it paid: an Invoice and a Payment applied to it."""
    money = {"shopMoney": {"amount": "15.00", "currencyCode": "USD"}}
    order = {
        "currency": "USD",
        "financialStatus": "PARTIALLY_PAID",
        "lineItems": [
            {
                "title": "Deposit item",
                "sku": "DEP-1",
                "quantity": 1,
                "priceSet": {"shopMoney": {"amount": "40.00", "currencyCode": "USD"}},
            }
        ],
        "transactions": [{"kind": "SALE", "status": "SUCCESS", "gateway": "shopify_payments", "amountSet": money}],
    }
    created = store.client.execute(store.MUTATION, {"order": order})["orderCreate"]
    assert not created["userErrors"], created
    return str(created["order"]["id"])


def records(shop, gid: str) -> dict[str, SyncedRecord]:
    return {r.kind: r for r in SyncedRecord.objects.filter(shop=shop, order_gid=gid)}


@pytest.fixture
def invoiced(shop):
    """A part-paid order in the books: our invoice record still holds the SyncToken the create
    gave it, while QuickBooks moved it on when the payment was applied."""
    gid = part_paid_order(Store(shop))
    assert order_sync(shop_id=shop.pk, order_gid=gid) == Outcome.WRITTEN
    invoice = records(shop, gid)["Invoice"]
    qb = context_open(shop.pk).qb
    assert qbo.read(qb, "Invoice", invoice.qbo_id)["SyncToken"] != invoice.qbo_sync_token
    return gid


def test_a_cancelled_part_paid_invoice_keeps_its_documents_and_asks_the_merchant(shop, invoiced):
    """Nothing is voided (that would change the month it was sold): the unpaid rest cannot be told
    apart line by line, so the merchant is asked to credit it."""
    errors = Store(shop).client.execute(CANCEL, {"id": invoiced})["orderCancel"]["orderCancelUserErrors"]
    assert errors == []

    assert order_sync(shop_id=shop.pk, order_gid=invoiced) == Outcome.FAILED

    written = records(shop, invoiced)
    assert {kind: r.status for kind, r in written.items()} == {"Invoice": "synced", "Payment": "synced"}
    qb = context_open(shop.pk).qb
    invoice = qbo.read(qb, "Invoice", written["Invoice"].qbo_id)
    assert Decimal(str(invoice["TotalAmt"])) == Decimal("40.00") and Decimal(str(invoice["Balance"])) == Decimal(
        "25.00"
    )
    issue = SyncIssue.objects.get(shop=shop, code="cancelled_partly_paid")
    assert "15.00 USD of its 40.00" in issue.message


def test_a_document_is_deleted_from_its_current_sync_token_and_its_record_starts_over(shop, invoiced):
    ctx = context_open(shop.pk)
    before = records(shop, invoiced)
    # The payment first, as the test sync's removal does: that moves the invoice's SyncToken on again.
    assert document_delete(ctx, before["Payment"]) is True
    assert document_delete(ctx, before["Invoice"]) is True

    assert qbo.query_all(ctx.qb, "select * from Invoice", "Invoice") == []
    assert qbo.query_all(ctx.qb, "select * from Payment", "Payment") == []
    for kind, record in records(shop, invoiced).items():
        assert (record.status, record.qbo_id, record.qbo_sync_token, record.attempts) == ("pending", "", "", 0)
        assert record.request_id != before[kind].request_id, "QuickBooks could replay the old create"
    # Written afresh by the next sync, as any other order.
    assert order_sync(shop_id=shop.pk, order_gid=invoiced) == Outcome.WRITTEN
    assert len(qbo.query_all(ctx.qb, "select * from Invoice", "Invoice")) == 1


def test_a_document_already_gone_counts_as_deleted(shop, invoiced):
    """The answer to an earlier delete was lost: the document is no longer there to delete."""
    ctx = context_open(shop.pk)
    payment = records(shop, invoiced)["Payment"]
    current = qbo.read(ctx.qb, "Payment", payment.qbo_id)
    qbo.delete(ctx.qb, "Payment", qbo_id=payment.qbo_id, sync_token=current["SyncToken"], request_id="lost-answer")

    assert document_delete(ctx, payment) is True
    payment.refresh_from_db()
    assert payment.status == SyncedRecord.Status.PENDING and payment.qbo_id == ""


def test_a_removal_tried_again_is_a_new_request(shop, invoiced):
    """QuickBooks may answer a repeated requestid with its first answer: the retry of a refused
    removal must not be taken for it."""
    ctx = context_open(shop.pk)
    payment = records(shop, invoiced)["Payment"]
    real_delete = qbo.delete
    throttled = qbo.QBOUnavailable("QuickBooks throttled the requests (429)", 3001)
    with mock.patch.object(qbo, "delete", side_effect=[throttled, None]) as refused:
        with pytest.raises(qbo.QBOUnavailable):
            document_delete(ctx, payment)
    given_back = SyncedRecord.objects.get(pk=payment.pk)
    assert (given_back.status, given_back.qbo_id, given_back.attempts) == ("synced", payment.qbo_id, payment.attempts)

    with mock.patch.object(qbo, "delete", wraps=real_delete) as retried:
        assert document_delete(ctx, given_back) is True
    first, second = refused.call_args.kwargs["request_id"], retried.call_args.kwargs["request_id"]
    assert first != second and len(second) <= 50
    assert qbo.query_all(ctx.qb, "select * from Payment", "Payment") == []


def test_a_document_another_worker_holds_is_left_alone(shop, invoiced):
    ctx = context_open(shop.pk)
    payment = records(shop, invoiced)["Payment"]
    assert SyncedRecord.objects.get(pk=payment.pk).claim(lease=claim_lease())

    assert document_delete(ctx, payment) is False
    assert len(qbo.query_all(ctx.qb, "select * from Payment", "Payment")) == 1
    assert SyncedRecord.objects.get(pk=payment.pk).qbo_id == payment.qbo_id
