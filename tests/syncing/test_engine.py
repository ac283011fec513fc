"""The engine against both emulators over HTTP: exactly once, exact totals, no silent failure."""

import json
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
import requests
from django.utils import timezone

from mappings.models import SyncSettings
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.fetch import fetch_order
from syncing import ledger, pending, runs, tasks, writing
from syncing.context import claim_lease, context_open
from syncing.models import SyncedRecord, SyncIssue, SyncRun
from syncing.orders import order_process, order_sync
from syncing.reconcile import reconcile_shop
from syncing.runs import SweepBusy, run_start, shop_sweep
from tests.sandboxes import Store

pytestmark = pytest.mark.django_db(transaction=True)


def qbo_receipts(shop):
    ctx = context_open(shop.pk)
    return qbo.query_all(ctx.qb, "select * from SalesReceipt", "SalesReceipt")


def test_sweep_books_each_paid_order_once_and_a_second_sweep_writes_nothing(shop):
    store = Store(shop)
    store.order(lines=[("MUG-1", 2, "12.50"), ("TEE-2", 1, "20.00")], tax="2.25", shipping="4.99")
    store.order(lines=[("CAP-3", 3, "9.99")], gateway="paypal")
    store.order(test=True)

    first = shop_sweep(shop_id=shop.pk)
    assert first.outcomes == {"written": 2, "skipped": 1}
    receipts = qbo_receipts(shop)
    assert sorted(Decimal(str(r["TotalAmt"])) for r in receipts) == [Decimal("29.97"), Decimal("52.24")]

    second = shop_sweep(shop_id=shop.pk, full=True)
    assert second.outcomes == {"unchanged": 2, "skipped": 1}
    assert len(qbo_receipts(shop)) == 2
    assert SyncRun.objects.filter(shop=shop, status="succeeded").count() == 2

    report = reconcile_shop(shop_id=shop.pk)
    assert report.matched
    assert report.shopify_total == report.qbo_total == Decimal("82.21")


def test_the_sweep_runs_through_django_q(shop):
    Store(shop).order()
    with mock.patch("django_q.conf.Conf.SYNC", True):
        pending.enqueue_sweep(shop_id=shop.pk)
    assert SyncedRecord.objects.get(shop=shop).status == SyncedRecord.Status.SYNCED


def test_duplicate_and_reordered_order_syncs_write_one_document(shop):
    a = Store(shop).order(lines=[("A", 1, "10.00")])
    b = Store(shop).order(lines=[("B", 1, "11.00")])
    for gid in (b["id"], a["id"], b["id"], a["id"], a["id"]):
        order_sync(shop_id=shop.pk, order_gid=gid)
    assert len(qbo_receipts(shop)) == 2
    assert SyncedRecord.objects.filter(shop=shop, status="synced").count() == 2


def test_a_crash_after_the_qbo_write_is_recovered_without_a_duplicate(shop):
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    with mock.patch.object(SyncedRecord, "mark_synced", side_effect=RuntimeError("worker killed")):
        with pytest.raises(RuntimeError):
            order_sync(shop_id=shop.pk, order_gid=order["id"])
    record = SyncedRecord.objects.get(shop=shop)
    assert record.status == SyncedRecord.Status.WRITING and not record.qbo_id

    # While the claim is fresh, another worker keeps its hands off.
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "busy"
    # After the lease, the record is taken over and the document found again.
    SyncedRecord.objects.filter(pk=record.pk).update(claimed_at=timezone.now() - claim_lease() * 2)
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "recovered"
    assert len(qbo_receipts(shop)) == 1
    record.refresh_from_db()
    assert record.status == SyncedRecord.Status.SYNCED and record.qbo_id


def test_a_lost_response_is_replayed_by_request_id(shop):
    """QBO wrote the document but our side never heard back: the same requestid replays it."""
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    real_create = qbo.create
    calls = []

    def create_then_lose_answer(*args, **kwargs):
        calls.append(kwargs["request_id"])
        real_create(*args, **kwargs)
        raise qbo.QBOUnavailable("connection reset after write")

    with mock.patch.object(qbo, "create", side_effect=create_then_lose_answer):
        with pytest.raises(qbo.QBOUnavailable):
            order_sync(shop_id=shop.pk, order_gid=order["id"])
    assert SyncedRecord.objects.get(shop=shop).status == SyncedRecord.Status.FAILED
    assert SyncIssue.objects.filter(shop=shop, code="qbo_unavailable", resolved_at__isnull=True).exists()
    written = real_create(
        context_open(shop.pk).qb,
        "SalesReceipt",
        {"Line": []},  # ignored by QBO: the requestid replays the first answer
        request_id=calls[0],
    )
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "recovered"
    receipts = qbo_receipts(shop)
    assert [r["Id"] for r in receipts] == [written.id]
    assert not SyncIssue.objects.filter(shop=shop, resolved_at__isnull=True).exists()


def test_a_document_number_already_in_the_books_is_never_touched(shop):
    ctx = context_open(shop.pk)
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    name = fetch_order(ctx.shopify, order["id"])["name"]
    number = ledger.doc_number(ctx.mapping.doc_number_prefix, name)
    theirs = qbo.create(
        ctx.qb,
        "SalesReceipt",
        {
            "DocNumber": number,
            "PrivateNote": "keyed in by the bookkeeper",
            "CustomerRef": ctx.mapping.customer.as_qbo(),
            "Line": [
                {
                    "Amount": "99.00",
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": ctx.mapping.sales_item.as_qbo(), "Qty": 1, "UnitPrice": "99.00"},
                }
            ],
        },
        request_id="bookkeeper-1",
    )
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "failed"
    issue = SyncIssue.objects.get(shop=shop, code="doc_number_taken")
    assert number in issue.message
    after = qbo.read(ctx.qb, "SalesReceipt", theirs.id)
    assert after["SyncToken"] == theirs.sync_token
    assert Decimal(str(after["TotalAmt"])) == Decimal("99.00")


def test_a_qbo_rejection_is_an_issue_with_the_reason_and_a_retry_fixes_it(shop):
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    rejected = qbo.QBORejected("Invalid Reference Id: Item assigned to this transaction has been deleted", "610")
    with mock.patch.object(qbo, "create", side_effect=rejected):
        assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "failed"
    record = SyncedRecord.objects.get(shop=shop)
    assert record.status == SyncedRecord.Status.FAILED
    issue = SyncIssue.objects.get(shop=shop, code="qbo_rejected")
    assert "Item assigned" in issue.message and issue.retryable

    result = shop_sweep(shop_id=shop.pk)  # retries failed records
    assert result.outcomes.get("written") == 1
    assert len(qbo_receipts(shop)) == 1
    issue.refresh_from_db()
    assert issue.resolved_at is not None


def test_poison_work_stops_after_bounded_attempts(shop):
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    with mock.patch.object(qbo, "create", side_effect=qbo.QBORejected("Business Validation Error", "6000")):
        for _ in range(writing.MAX_ATTEMPTS + 3):
            shop_sweep(shop_id=shop.pk, full=False)
    record = SyncedRecord.objects.get(shop=shop, source_id=order["id"])
    assert record.attempts == writing.MAX_ATTEMPTS
    assert SyncIssue.objects.get(shop=shop, code="qbo_rejected").occurrences == writing.MAX_ATTEMPTS


def test_a_sale_before_an_inventory_items_start_date_says_what_to_fix(shop):
    """QuickBooks refuses it (6270): the merchant is told to move the item's "as of" date."""
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    refused = qbo.QBORejected("Transaction date is prior to start date for inventory item", "6270")
    with mock.patch.object(qbo, "create", side_effect=refused):
        assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "failed"
    issue = SyncIssue.objects.get(shop=shop)
    assert issue.code == "inventory_start_date" and issue.detail == {"qbo_code": "6270"}


def test_an_unpaid_order_becomes_an_invoice(shop):
    Store(shop).order(lines=[("A", 2, "10.00")], financial_status="PENDING")
    result = shop_sweep(shop_id=shop.pk)
    assert result.outcomes == {"written": 1}
    record = SyncedRecord.objects.get(shop=shop)
    assert record.kind == "Invoice" and record.status == SyncedRecord.Status.SYNCED
    ctx = context_open(shop.pk)
    invoice = qbo.read(ctx.qb, "Invoice", record.qbo_id)
    assert Decimal(str(invoice["TotalAmt"])) == Decimal("20.00")
    assert Decimal(str(invoice["Balance"])) == Decimal("20.00")
    assert reconcile_shop(shop_id=shop.pk).matched


def test_a_cancelled_order_keeps_its_sale_and_books_its_refund(shop):
    """Voiding would change the month it was sold: the sale stays, the money returned is a refund."""
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    order_sync(shop_id=shop.pk, order_gid=order["id"])
    cancel = """
    mutation($id: ID!) {
      orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: true) {
        orderCancelUserErrors { message }
      }
    }
    """
    errors = Store(shop).client.execute(cancel, {"id": order["id"]})["orderCancel"]["orderCancelUserErrors"]
    assert errors == []
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "written"
    records = {r.kind: r for r in SyncedRecord.objects.filter(shop=shop)}
    assert {kind: r.status for kind, r in records.items()} == {"SalesReceipt": "synced", "RefundReceipt": "synced"}
    qb = context_open(shop.pk).qb
    assert Decimal(str(qbo.read(qb, "SalesReceipt", records["SalesReceipt"].qbo_id)["TotalAmt"])) == Decimal("10.00")
    assert Decimal(str(qbo.read(qb, "RefundReceipt", records["RefundReceipt"].qbo_id)["TotalAmt"])) == Decimal("10.00")
    # Cancelled again (a duplicate webhook): nothing more happens.
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "unchanged"
    assert reconcile_shop(shop_id=shop.pk).matched


def test_an_unknown_payment_status_is_an_issue_not_silence(shop):
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    raw = fetch_order(context_open(shop.pk).shopify, order["id"])
    raw["displayFinancialStatus"] = "SOMETHING_NEW"
    assert order_process(context_open(shop.pk), raw) == "failed"
    issue = SyncIssue.objects.get(shop=shop)
    assert issue.code == "unsupported_financial_status" and "SOMETHING_NEW" in issue.message


def test_paused_shops_are_not_synced(shop):
    Store(shop).order()
    shop.pause("merchant asked")
    assert tasks.sweep_shop(shop.pk) == {"skipped": f"{shop.domain} is paused: merchant asked"}
    assert not SyncedRecord.objects.exists()


def test_a_throttled_company_stops_the_sweep_and_the_next_one_catches_up(shop):
    Store(shop).order(lines=[("A", 1, "10.00")])
    Store(shop).order(lines=[("B", 1, "12.00")])
    throttled = qbo.QBOUnavailable("QuickBooks throttled the requests (429)", 3001)
    with mock.patch.object(qbo, "create", side_effect=throttled) as create:
        with pytest.raises(qbo.QBOUnavailable):
            shop_sweep(shop_id=shop.pk)
    assert create.call_count == 1  # stopped at the first refusal
    run = SyncRun.objects.get(shop=shop)
    assert run.status == SyncRun.Status.FAILED and "throttled" in run.error
    assert SyncIssue.objects.filter(shop=shop, code="sweep_failed").exists()

    result = shop_sweep(shop_id=shop.pk)
    assert result.outcomes.get("written") == 2
    assert len(qbo_receipts(shop)) == 2
    assert not SyncIssue.objects.filter(shop=shop, resolved_at__isnull=True).exists()


def test_a_throttle_answered_as_a_403_xml_fault_is_temporary(shop, sandboxes):
    """QBO sometimes throttles with 403 and an XML ThrottleExceeded fault even when JSON
    was asked for: that is a reason to stop and come back, not a rejected document."""
    ctx = context_open(shop.pk)
    storm = requests.post(
        sandboxes.info["qbo"] + "/_sandbox/qbo/faults", json={"storm": 3, "storm_status": 403}, timeout=10
    )
    storm.raise_for_status()
    with pytest.raises(qbo.QBOUnavailable) as refused:
        qbo.create(ctx.qb, "SalesReceipt", {"Line": []}, request_id="throttled-403")
    assert refused.value.code == "3001" and not refused.value.permanent


def edit_quantity(shop, sandboxes, order, quantity):
    line = fetch_order(context_open(shop.pk).shopify, order["id"])["lineItems"]["nodes"][0]
    response = requests.post(
        sandboxes.info["shopify"] + "/_sandbox/orders/edit",
        json={
            "shop": shop.domain,
            "order_id": order["id"],
            "set_quantity": [{"lineItemId": line["id"], "quantity": quantity}],
        },
        timeout=5,
    )
    assert response.status_code == 200, response.text


def close_books(shop, through: str) -> None:
    """Set the company's closing date (Preferences.AccountingInfoPrefs.BookCloseDate)."""
    qb = context_open(shop.pk).qb
    url = f"{qb.api_url}/company/{qb.company_id}/preferences"
    prefs = qb.get(url)["Preferences"]
    body = {"SyncToken": prefs["SyncToken"], "sparse": True, "AccountingInfoPrefs": {"BookCloseDate": through}}
    qb.post(url, json.dumps(body))


def test_an_edited_order_keeps_its_sale_and_books_the_change_on_its_own(shop, sandboxes):
    order = Store(shop).order(lines=[("A", 2, "10.00"), ("B", 1, "5.00")])
    order_sync(shop_id=shop.pk, order_gid=order["id"])
    record = SyncedRecord.objects.get(shop=shop)
    assert record.amount == Decimal("25.00") and record.qbo_sync_token == "0"

    edit_quantity(shop, sandboxes, order, 1)
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "written"
    record.refresh_from_db()
    assert record.amount == Decimal("25.00") and record.qbo_sync_token == "0", "the booked sale was rewritten"
    edit = SyncedRecord.objects.get(shop=shop, source_type="edit")
    assert (edit.kind, edit.amount, edit.source_id) == ("CreditMemo", Decimal("10.00"), f"{order['id']}#1")
    ctx = context_open(shop.pk)
    credit = qbo.read(ctx.qb, "CreditMemo", edit.qbo_id)
    assert Decimal(str(credit["TotalAmt"])) == Decimal("10.00")
    # The same edit seen again (orders/edited and orders/updated both arrive): nothing to do.
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "unchanged"
    assert SyncedRecord.objects.filter(shop=shop, source_type="edit").count() == 1
    # Reconciliation reads the sale and its edit back: Shopify's 15.00 against 25.00 - 10.00.
    assert reconcile_shop(shop_id=shop.pk).matched


def test_a_merchant_may_have_edited_sales_rewritten_but_never_in_a_closed_period(shop, sandboxes):
    SyncSettings.objects.filter(shop=shop).update(rewrite_edited_sales=True)
    first = Store(shop).order(lines=[("A", 2, "10.00")])
    second = Store(shop).order(lines=[("B", 2, "10.00")])
    order_sync(shop_id=shop.pk, order_gid=first["id"])
    order_sync(shop_id=shop.pk, order_gid=second["id"])

    edit_quantity(shop, sandboxes, first, 1)
    assert order_sync(shop_id=shop.pk, order_gid=first["id"]) == "updated"

    sold_on = SyncedRecord.objects.get(shop=shop, order_gid=second["id"]).txn_date
    close_books(shop, sold_on.isoformat())
    edit_quantity(shop, sandboxes, second, 1)
    assert order_sync(shop_id=shop.pk, order_gid=second["id"]) == "written"
    kinds = sorted(SyncedRecord.objects.filter(shop=shop, order_gid=second["id"]).values_list("kind", flat=True))
    assert kinds == ["CreditMemo", "SalesReceipt"]


REFUND = """
mutation($input: RefundInput!) { refundCreate(input: $input) { refund { id } userErrors { message } } }
"""


def refund(client, order, *, quantity, amount, shipping=None):
    line = fetch_order(client, order["id"])["lineItems"]["nodes"][0]
    refund_input = {
        "orderId": order["id"],
        "refundLineItems": [{"lineItemId": line["id"], "quantity": quantity, "restockType": "NO_RESTOCK"}],
        "transactions": [{"orderId": order["id"], "kind": "REFUND", "gateway": "shopify_payments", "amount": amount}],
    }
    if shipping:
        refund_input["shipping"] = {"amount": shipping}
    result = client.execute(REFUND, {"input": refund_input})["refundCreate"]
    assert result["userErrors"] == [], result
    return result["refund"]


def test_a_refund_becomes_a_refund_receipt_and_leaves_the_sale_alone(shop):
    order = Store(shop).order(lines=[("A", 2, "10.00")], tax="1.60")
    order_sync(shop_id=shop.pk, order_gid=order["id"])
    made = refund(Store(shop).client, order, quantity=1, amount="10.80")
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "written"
    assert Decimal(str(qbo_receipts(shop)[0]["TotalAmt"])) == Decimal("21.60")  # the sale is unchanged
    record = SyncedRecord.objects.get(shop=shop, source_type="refund", source_id=made["id"])
    assert record.kind == "RefundReceipt" and record.amount == Decimal("10.80")
    receipt = qbo.read(context_open(shop.pk).qb, "RefundReceipt", record.qbo_id)
    assert Decimal(str(receipt["TotalAmt"])) == Decimal("10.80")
    assert (
        receipt["DepositToAccountRef"]["value"]
        == context_open(shop.pk).mapping.clearing_accounts["shopify_payments"].value
    )
    # Seen again (refunds/create and orders/updated both arrive): nothing more is written.
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "unchanged"
    report = reconcile_shop(shop_id=shop.pk)
    assert report.matched and report.refunds_shopify == report.refunds_qbo == Decimal("10.80")


def test_a_cancelled_order_after_a_refund_books_the_rest_as_a_second_refund(shop):
    order = Store(shop).order(lines=[("A", 2, "10.00")])
    order_sync(shop_id=shop.pk, order_gid=order["id"])
    refund(Store(shop).client, order, quantity=1, amount="10.00")
    order_sync(shop_id=shop.pk, order_gid=order["id"])
    cancel = """mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: false) {
        orderCancelUserErrors { message } } }"""
    Store(shop).client.execute(cancel, {"id": order["id"]})
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "written"
    statuses = sorted(SyncedRecord.objects.filter(shop=shop).values_list("kind", "status"))
    assert statuses == [("RefundReceipt", "synced"), ("RefundReceipt", "synced"), ("SalesReceipt", "synced")]
    ctx = context_open(shop.pk)
    refunds = qbo.query_all(ctx.qb, "select * from RefundReceipt", "RefundReceipt")
    assert sorted(Decimal(str(r["TotalAmt"])) for r in refunds) == [Decimal("10.00"), Decimal("10.00")]


def test_one_pass_per_shop_at_a_time(shop):
    Store(shop).order()
    running = run_start(shop, kind="sweep")
    with pytest.raises(SweepBusy):
        shop_sweep(shop_id=shop.pk)
    assert tasks.sweep_shop(shop.pk) == {"skipped": f"another sync of {shop.domain} is running"}

    # A pass whose worker died is closed as abandoned and the next one proceeds.
    SyncRun.objects.filter(pk=running.pk).update(started_at=timezone.now() - timedelta(hours=2))
    assert shop_sweep(shop_id=shop.pk).outcomes == {"written": 1}
    running.refresh_from_db()
    assert running.status == SyncRun.Status.FAILED and "abandoned" in running.error


def test_a_sweep_does_not_fetch_orders_it_already_booked_at_that_version(shop):
    Store(shop).order(lines=[("A", 1, "10.00")])
    Store(shop).order(lines=[("B", 1, "11.00")], test=True)
    shop_sweep(shop_id=shop.pk)
    with mock.patch.object(runs, "fetch_order", wraps=runs.fetch_order) as fetch:
        again = shop_sweep(shop_id=shop.pk)
    assert fetch.call_count == 0
    assert again.outcomes == {"unchanged": 2}
    # A full pass looks at every order again (after the merchant changed a rule, say),
    # reading them all in one bulk operation.
    with mock.patch.object(runs, "all_orders", wraps=runs.all_orders) as bulk:
        full = shop_sweep(shop_id=shop.pk, full=True)
    assert bulk.call_count == 1
    assert full.outcomes == {"unchanged": 1, "skipped": 1}


def test_our_document_is_recognised_even_after_our_records_were_lost(shop):
    """A database restored from an old backup must not book the order twice."""
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "written"
    SyncedRecord.objects.all().delete()
    # The stable requestid makes QBO replay its first answer: the same document.
    order_sync(shop_id=shop.pk, order_gid=order["id"])
    assert len(qbo_receipts(shop)) == 1
    assert SyncedRecord.objects.get(shop=shop).qbo_id == qbo_receipts(shop)[0]["Id"]
    # Even when QBO no longer remembers the requestid, the lookup by DocNumber (a new
    # company accepts duplicate numbers) finds the document, whose PrivateNote shows it is ours.
    SyncedRecord.objects.all().delete()
    with mock.patch.object(writing, "stable_request_id", return_value="a-request-id-qbo-never-saw"):
        assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "recovered"
    assert len(qbo_receipts(shop)) == 1
    assert SyncedRecord.objects.get(shop=shop).qbo_id == qbo_receipts(shop)[0]["Id"]


def custom_transaction_numbers(shop, *, on: bool) -> None:
    """The company's preference that makes QBO refuse a duplicate DocNumber (6140)."""
    qb = context_open(shop.pk).qb
    url = f"{qb.api_url}/company/{qb.company_id}/preferences"
    token = qb.get(url)["Preferences"]["SyncToken"]
    qb.post(url, json.dumps({"SyncToken": token, "SalesFormsPrefs": {"CustomTxnNumbers": on}}))


@pytest.mark.parametrize("refuses", [False, True], ids=["duplicates accepted", "duplicates refused"])
def test_exactly_once_whether_or_not_the_company_refuses_duplicate_numbers(shop, refuses):
    """A new company accepts a second document with the same number: then every create
    looks first. Where QBO refuses duplicates, a first attempt saves that query and the
    6140 refusal leads to our document instead."""
    custom_transaction_numbers(shop, on=refuses)
    assert context_open(shop.pk).refuses_duplicate_numbers is refuses
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    lookups = []
    real_find = qbo.find_owned_document

    def find(*args, **kwargs):
        lookups.append(args[2])
        return real_find(*args, **kwargs)

    with mock.patch.object(qbo, "find_owned_document", side_effect=find):
        assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "written"
        assert len(lookups) == (0 if refuses else 1)
        # Records lost and the requestid forgotten: still one document.
        SyncedRecord.objects.all().delete()
        with mock.patch.object(writing, "stable_request_id", return_value="a-request-id-qbo-never-saw"):
            assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "recovered"
    assert len(qbo_receipts(shop)) == 1


@pytest.mark.parametrize("refuses", [False, True], ids=["duplicates accepted", "duplicates refused"])
def test_exactly_once_when_qbo_forgets_request_ids(shop, sandboxes, refuses):
    """QBO processes a repeated requestid again (the sandbox's ignore_request_ids): the
    engine's own claim and DocNumber lookup must carry exactly-once after a lost answer."""
    custom_transaction_numbers(shop, on=refuses)
    forget = requests.post(
        sandboxes.info["qbo"] + "/_sandbox/qbo/faults", json={"ignore_request_ids": True}, timeout=10
    )
    forget.raise_for_status()
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    real_create = qbo.create

    def create_then_lose_answer(*args, **kwargs):
        real_create(*args, **kwargs)
        raise qbo.QBOUnavailable("connection reset after write")

    with mock.patch.object(qbo, "create", side_effect=create_then_lose_answer):
        with pytest.raises(qbo.QBOUnavailable):
            order_sync(shop_id=shop.pk, order_gid=order["id"])
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "recovered"
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "unchanged"
    assert len(qbo_receipts(shop)) == 1


def test_a_payout_becomes_one_deposit_into_the_bank_equal_to_the_payout(shop, sandboxes):
    Store(shop).order(lines=[("A", 2, "10.00")], tax="1.60")
    Store(shop).order(lines=[("B", 1, "30.00")])
    run = requests.post(
        sandboxes.info["shopify"] + "/_sandbox/payouts/run",
        json={"shop": shop.domain, "through": "2099-12-31"},
        timeout=5,
    )
    [paid] = run.json()["payouts"]
    first = shop_sweep(shop_id=shop.pk)
    assert first.outcomes.get("payout written") == 1
    record = SyncedRecord.objects.get(shop=shop, source_type="payout")
    assert record.kind == "Deposit" and record.amount == Decimal(paid["net"]["amount"])
    ctx = context_open(shop.pk)
    deposit = qbo.read(ctx.qb, "Deposit", record.qbo_id)
    assert Decimal(str(deposit["TotalAmt"])) == Decimal(paid["net"]["amount"])
    assert deposit["DepositToAccountRef"]["value"] == ctx.mapping.bank_account.value
    assert shop_sweep(shop_id=shop.pk).outcomes.get("payout unchanged") == 1
    report = reconcile_shop(shop_id=shop.pk)
    assert report.matched and report.payouts_found == 1
    assert report.payouts_qbo == Decimal(paid["net"]["amount"])


def test_money_paid_back_for_an_item_removed_by_an_edit_is_taken_back_once(shop, sandboxes):
    """The edit's credit memo took the sale back; the refund of the money only pays that credit out."""
    order = Store(shop).order(lines=[("A", 2, "10.00")])
    order_sync(shop_id=shop.pk, order_gid=order["id"])
    edit_quantity(shop, sandboxes, order, 1)
    client = Store(shop).client
    paid_back = {
        "orderId": order["id"],
        "transactions": [{"orderId": order["id"], "kind": "REFUND", "gateway": "shopify_payments", "amount": "10.00"}],
    }
    made = client.execute(REFUND, {"input": paid_back})["refundCreate"]
    assert made["userErrors"] == [], made
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "written"

    kinds = sorted(SyncedRecord.objects.filter(shop=shop).values_list("source_type", "kind"))
    assert kinds == [("edit", "CreditMemo"), ("order", "SalesReceipt"), ("refund", "JournalEntry")]
    ctx = context_open(shop.pk)
    entry = qbo.query_all(ctx.qb, "select * from JournalEntry", "JournalEntry")[0]
    postings = {
        (line["JournalEntryLineDetail"]["PostingType"], line["JournalEntryLineDetail"]["AccountRef"].get("name", ""))
        for line in entry["Line"]
    }
    assert ("Debit", "Accounts Receivable (A/R)") in postings
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "unchanged"
    assert reconcile_shop(shop_id=shop.pk).matched


MANUAL_PAYMENT = """mutation($id: ID!, $method: String) {
  orderCreateManualPayment(id: $id, paymentMethodName: $method) { userErrors { field message } } }"""


def test_an_item_added_to_a_paid_order_is_a_receivable_until_its_payment_comes(shop, sandboxes):
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    order_sync(shop_id=shop.pk, order_gid=order["id"])
    added = requests.post(
        sandboxes.info["shopify"] + "/_sandbox/orders/edit",
        json={"shop": shop.domain, "order_id": order["id"], "add": [{"title": "Gift wrap", "price": "3.00"}]},
        timeout=5,
    )
    assert added.status_code == 200, added.text
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "written"
    edit = SyncedRecord.objects.get(shop=shop, source_type="edit")
    assert (edit.kind, edit.amount) == ("Invoice", Decimal("3.00"))

    paid = Store(shop).client.execute(MANUAL_PAYMENT, {"id": order["id"], "method": "Cash"})
    assert paid["orderCreateManualPayment"]["userErrors"] == []
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "written"
    payment = SyncedRecord.objects.get(shop=shop, kind="Payment")
    assert payment.amount == Decimal("3.00") and payment.source_id.endswith(f"@{edit.source_id}")
    ctx = context_open(shop.pk)
    invoice = qbo.read(ctx.qb, "Invoice", edit.qbo_id)
    assert Decimal(str(invoice["Balance"])) == 0, "the edit's invoice is paid"
    receipt = SyncedRecord.objects.get(shop=shop, kind="SalesReceipt")
    assert receipt.amount == Decimal("10.00") and receipt.qbo_sync_token == "0"
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "unchanged"
    assert reconcile_shop(shop_id=shop.pk).matched


def test_an_order_is_read_with_no_more_than_the_scopes_the_app_asks_for(shop, sandboxes):
    """The sandbox checks scopes on nested fields too (the order's customer needs read_customers):
    a token of exactly the app's scopes reads and books a whole order."""
    from django.conf import settings

    order = Store(shop).order(lines=[("A", 1, "10.00")])
    emulator = sandboxes.shopify
    with emulator.store.lock:
        granted = emulator.issue_offline(
            emulator.store.shops[shop.domain], ",".join(settings.SHOPIFY_SCOPES), expiring=False
        )
    shop.access_token = granted["access_token"]
    shop.save()
    assert order_sync(shop_id=shop.pk, order_gid=order["id"]) == "written"
    # A full pass reads every order in one bulk operation, run with the same scopes.
    assert shop_sweep(shop_id=shop.pk, full=True).outcomes == {"unchanged": 1}
