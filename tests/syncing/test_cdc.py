"""Documents ShopQB wrote that a person then changed or deleted in QuickBooks: found through the QBO
sandbox's change data capture, left alone by every sync pass, and dealt with as the merchant chooses
(post ShopQB's version again, keep QuickBooks' version, ignore), each choice safe to send twice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopqb_app.integrations.quickbooks import client as qbo
from syncing import cdc, drift
from syncing.models import QboChangeCheck, SyncedRecord, SyncIssue
from syncing.orders import order_sync
from syncing.runs import shop_sweep
from tests.sandboxes import Store
from tests.syncing.qbo_person import (
    another_sales_item,
    custom_transaction_numbers,
    live_for,
    person_creates,
    person_deletes,
    person_edits,
    place,
    qb_of,
)
from tests.syncing.test_engine import refund

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


def receipt(shop, gid: str) -> SyncedRecord:
    return SyncedRecord.objects.get(shop=shop, source_id=gid, kind="SalesReceipt")


@pytest.fixture
def three(shop):
    """Three orders in the books: one a bookkeeper edits, one they delete, one they leave."""
    gids = [place(shop, price=price, day="2026-11-20") for price in ("10.00", "20.00", "30.00")]
    for gid in gids:
        assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    cdc.drift_check(shop, qb_of(shop))  # the first check: nothing changed yet
    return gids


def test_a_change_and_a_deletion_are_found_once(shop, three):
    edited, deleted, untouched = (receipt(shop, gid) for gid in three)
    person_edits(shop, "SalesReceipt", edited.qbo_id, {"PrivateNote": "Corrected by the bookkeeper"})
    person_deletes(shop, "SalesReceipt", deleted.qbo_id)

    found = cdc.drift_check(shop, qb_of(shop))
    assert [r.pk for r in found.changed] == [edited.pk]
    assert [r.pk for r in found.deleted] == [deleted.pk]
    edited.refresh_from_db(), deleted.refresh_from_db(), untouched.refresh_from_db()
    assert (edited.qbo_drift, deleted.qbo_drift, untouched.qbo_drift) == ("changed", "deleted", "")
    assert edited.drift_holds and deleted.drift_holds and edited.qbo_drift_resolution == ""
    issues = SyncIssue.objects.open().filter(shop=shop, code=cdc.DRIFT_CODE)
    assert sorted(issues.values_list("source_id", flat=True)) == sorted([edited.source_id, deleted.source_id])
    # The windows overlap: the same news is not marked again.
    again = cdc.drift_check(shop, qb_of(shop))
    assert again.changed == [] and again.deleted == []
    assert QboChangeCheck.objects.get(shop=shop).changed == 1


def refunded(shop, gids: list[str]) -> list[SyncedRecord]:
    """Each order refunded by half: its RefundReceipt in the books."""
    client = Store(shop).client
    records = []
    for gid in gids:
        made = refund(client, {"id": gid}, quantity=1, amount=str(receipt(shop, gid).amount / 2))
        assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
        records.append(SyncedRecord.objects.get(shop=shop, source_id=made["id"], kind="RefundReceipt"))
    return records


def item_of(doc: dict) -> str:
    return str(doc["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"])


def test_our_own_writes_are_not_a_person_s_change(shop, three):
    """An update ShopQB makes stores the new SyncToken: the next check finds nothing."""
    refunds = refunded(shop, three)
    cdc.drift_check(shop, qb_of(shop))
    another_sales_item(shop)
    shop_sweep(shop_id=shop.pk, full=True)  # every refund receipt updated by ShopQB to the new item
    assert all(SyncedRecord.objects.get(pk=r.pk).qbo_sync_token != r.qbo_sync_token for r in refunds)
    found = cdc.drift_check(shop, qb_of(shop))
    assert found.changed == [] and found.deleted == []


def test_the_sweep_never_overwrites_or_recreates_what_a_person_changed(shop, three):
    edited, deleted, untouched = refunded(shop, three)
    person_edits(shop, "RefundReceipt", edited.qbo_id, {"PrivateNote": "Corrected by the bookkeeper"})
    person_deletes(shop, "RefundReceipt", deleted.qbo_id)
    sale_deleted = receipt(shop, three[1])
    person_deletes(shop, "SalesReceipt", sale_deleted.qbo_id)
    # A new mapping: the sync would now write every document differently.
    another_sales_item(shop)
    old_item = item_of(qbo.read(qb_of(shop), "RefundReceipt", untouched.qbo_id))

    for _ in range(2):  # the pass checks QuickBooks first; the second finds the records held already
        result = shop_sweep(shop_id=shop.pk, full=True)
        assert result.run.status == "succeeded"
        qb = qb_of(shop)
        assert qbo.read(qb, "RefundReceipt", edited.qbo_id)["PrivateNote"] == "Corrected by the bookkeeper"
        assert live_for(shop, "RefundReceipt", deleted.source_id) == []
        assert live_for(shop, "SalesReceipt", sale_deleted.source_id) == []
        assert item_of(qbo.read(qb, "RefundReceipt", untouched.qbo_id)) != old_item  # the rest moved on
    held = SyncedRecord.objects.filter(pk__in=[edited.pk, deleted.pk, sale_deleted.pk])
    assert sorted(held.values_list("qbo_drift", flat=True)) == ["changed", "deleted", "deleted"]


def test_repost_replaces_their_change_and_recreates_a_deletion_once(shop, three):
    edited, deleted, _ = (receipt(shop, gid) for gid in three)
    ours_note = qbo.read(qb_of(shop), "SalesReceipt", edited.qbo_id)["PrivateNote"]
    person_edits(shop, "SalesReceipt", edited.qbo_id, {"PrivateNote": "Corrected by the bookkeeper"})
    person_deletes(shop, "SalesReceipt", deleted.qbo_id)
    cdc.drift_check(shop, qb_of(shop))

    for _ in range(2):  # a double click
        drift.drift_resolve(shop=shop, record=edited, choice="repost")
        drift.drift_resolve(shop=shop, record=deleted, choice="repost")

    qb = qb_of(shop)
    back = qbo.read(qb, "SalesReceipt", edited.qbo_id)
    assert back["PrivateNote"] == ours_note
    edited.refresh_from_db(), deleted.refresh_from_db()
    assert edited.qbo_sync_token == str(back["SyncToken"]) and edited.qbo_drift_resolution == "reposted"
    assert not edited.drift_holds
    recreated = live_for(shop, "SalesReceipt", deleted.source_id)
    assert [d["Id"] for d in recreated] == [deleted.qbo_id] and D(str(recreated[0]["TotalAmt"])) == D("20.00")
    assert not SyncIssue.objects.open().filter(shop=shop, code=cdc.DRIFT_CODE).exists()
    # Our re-post is our own write: the next check finds nothing new.
    found = cdc.drift_check(shop, qb_of(shop))
    assert found.changed == [] and found.deleted == []


def test_repost_of_a_deleted_document_whose_number_someone_took_gets_a_new_number(shop, three):
    custom_transaction_numbers(shop, on=True)
    deleted = receipt(shop, three[1])
    person_deletes(shop, "SalesReceipt", deleted.qbo_id)
    # The bookkeeper re-entered the sale by hand, with the same number.
    customer = qbo.read(qb_of(shop), "SalesReceipt", receipt(shop, three[0]).qbo_id)["CustomerRef"]
    item = qbo.query_all(qb_of(shop), "select * from Item where Type = 'Service'", "Item")[0]
    line = {
        "Amount": "20.00",
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}},
    }
    theirs = person_creates(
        shop, "SalesReceipt", {"DocNumber": deleted.doc_number, "CustomerRef": customer, "Line": [line]}
    )
    cdc.drift_check(shop, qb_of(shop))

    drift.drift_resolve(shop=shop, record=deleted, choice="repost")

    deleted.refresh_from_db()
    assert deleted.doc_number == f"{theirs['DocNumber']}-r1" and deleted.doc_number_suffix == "-r1"
    assert [d["DocNumber"] for d in live_for(shop, "SalesReceipt", deleted.source_id)] == [deleted.doc_number]
    assert qbo.read(qb_of(shop), "SalesReceipt", theirs["Id"])["SyncToken"] == theirs["SyncToken"]  # theirs untouched


def test_accept_keeps_their_version_and_a_later_change_is_news_again(shop, three):
    edited = receipt(shop, three[0])
    theirs = person_edits(shop, "SalesReceipt", edited.qbo_id, {"PrivateNote": "Corrected by the bookkeeper"})
    cdc.drift_check(shop, qb_of(shop))

    for _ in range(2):
        drift.drift_resolve(shop=shop, record=edited, choice="accept")
    edited.refresh_from_db()
    assert edited.qbo_drift_resolution == "accepted" and edited.qbo_sync_token == str(theirs["SyncToken"])
    assert edited.drift_holds  # kept: the sync does not write over it
    another_sales_item(shop)
    shop_sweep(shop_id=shop.pk, full=True)
    assert qbo.read(qb_of(shop), "SalesReceipt", edited.qbo_id)["PrivateNote"] == "Corrected by the bookkeeper"

    person_edits(shop, "SalesReceipt", edited.qbo_id, {"PrivateNote": "Corrected twice"})
    found = cdc.drift_check(shop, qb_of(shop))
    assert [r.pk for r in found.changed] == [edited.pk]
    edited.refresh_from_db()
    assert edited.qbo_drift_resolution == ""


def test_ignore_writes_nothing_and_is_idempotent(shop, three):
    edited = receipt(shop, three[0])
    theirs = person_edits(shop, "SalesReceipt", edited.qbo_id, {"PrivateNote": "Corrected by the bookkeeper"})
    cdc.drift_check(shop, qb_of(shop))
    for _ in range(2):
        drift.drift_resolve(shop=shop, record=edited, choice="ignore")
    edited.refresh_from_db()
    assert edited.qbo_drift_resolution == "ignored" and edited.drift_holds
    assert qbo.read(qb_of(shop), "SalesReceipt", edited.qbo_id)["SyncToken"] == theirs["SyncToken"]
    # Ignored, then changed their mind: ShopQB's version goes back.
    drift.drift_resolve(shop=shop, record=edited, choice="repost")
    assert qbo.read(qb_of(shop), "SalesReceipt", edited.qbo_id)["PrivateNote"] != "Corrected by the bookkeeper"


def test_an_invoice_whose_payment_moved_its_sync_token_is_not_a_change(shop):
    from tests.syncing.test_money_flows_sync import create

    gid = create(shop, price="90.00", transactions=[("paypal", "30.00")], status="PARTIALLY_PAID")
    assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    invoice = SyncedRecord.objects.get(shop=shop, order_gid=gid, kind="Invoice")
    cdc.drift_check(shop, qb_of(shop))
    # A bookkeeper records the rest of the money against ShopQB's invoice: its SyncToken moves.
    doc = qbo.read(qb_of(shop), "Invoice", invoice.qbo_id)
    person_creates(
        shop,
        "Payment",
        {
            "CustomerRef": doc["CustomerRef"],
            "TotalAmt": "60.00",
            "Line": [{"Amount": "60.00", "LinkedTxn": [{"TxnId": invoice.qbo_id, "TxnType": "Invoice"}]}],
        },
    )
    assert str(qbo.read(qb_of(shop), "Invoice", invoice.qbo_id)["SyncToken"]) != invoice.qbo_sync_token
    found = cdc.drift_check(shop, qb_of(shop))
    assert found.changed == [] and found.deleted == []
    # Changing what ShopQB wrote on it is a change.
    person_edits(shop, "Invoice", invoice.qbo_id, {"TxnDate": "2026-01-02"})
    assert [r.pk for r in cdc.drift_check(shop, qb_of(shop)).changed] == [invoice.pk]
