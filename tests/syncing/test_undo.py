"""Removing what ShopQB posted for a month, and syncing the month again with another mapping: no
duplicate, nothing ShopQB did not write touched, nothing a person changed touched; an undo
interrupted half-way ends where an uninterrupted one would; the command's dry run and --yes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shopqb_app.integrations.quickbooks import client as qbo
from syncing import undo
from syncing.models import SyncedRecord, UndoEntry, UndoRun
from syncing.orders import order_sync
from syncing.runs import shop_drain
from tests.syncing.qbo_person import (
    another_sales_item,
    balances,
    documents,
    live_for,
    person_creates,
    person_edits,
    place,
    qb_of,
)

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal
MARCH = (D("10.00"), D("20.00"), D("30.00"))
FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)


@pytest.fixture
def books(shop):
    """Three March orders and one in April in the books; in March also a sale a bookkeeper wrote
    by hand and one of ShopQB's a bookkeeper edited."""
    march = [place(shop, price=str(p), day=f"2026-03-{10 + n}") for n, p in enumerate(MARCH)]
    april = place(shop, price="40.00", day="2026-04-02")
    edited = place(shop, price="50.00", day="2026-03-20")
    for gid in [*march, april, edited]:
        assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    theirs_sale = person_creates(
        shop,
        "SalesReceipt",
        {
            "TxnDate": "2026-03-15",
            "DocNumber": "HAND-1",
            "Line": [
                {
                    "Amount": "99.00",
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": _item_of(shop, march[0])}},
                }
            ],
        },
    )
    record = SyncedRecord.objects.get(shop=shop, source_id=edited, kind="SalesReceipt")
    person_edits(shop, "SalesReceipt", record.qbo_id, {"PrivateNote": "Checked by the bookkeeper"})
    return {"march": march, "april": april, "edited": edited, "theirs": theirs_sale}


def _item_of(shop, gid: str) -> str:
    record = SyncedRecord.objects.get(shop=shop, source_id=gid, kind="SalesReceipt")
    return str(
        qbo.read(qb_of(shop), "SalesReceipt", record.qbo_id)["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"]
    )


def _march(shop):
    return undo.undo_plan(shop, qb_of(shop), since=FIRST, until=LAST)


def _start_march(shop) -> UndoRun:
    return undo.undo_start(shop=shop, qb=qb_of(shop), since=FIRST, until=LAST, by="test", enqueue=False)


def _run_march(shop) -> UndoRun:
    run = _start_march(shop)
    undo.undo_continue(run.pk)
    run.refresh_from_db()
    return run


def test_the_plan_lists_only_ours_as_written_with_totals(shop, books):
    plan = _march(shop)
    receipts = [r for r in plan.removals if r.record.kind == "SalesReceipt"]
    assert sorted(r.record.source_id for r in receipts) == sorted(books["march"])
    assert [(t.kind, t.action, t.count, t.amount) for t in plan.totals if t.kind == "SalesReceipt"] == [
        ("SalesReceipt", "void", 3, sum(MARCH))
    ]
    assert [k.record.source_id for k in plan.kept] == [books["edited"]]
    assert all(r.record.source_id != books["april"] for r in plan.removals)


def test_undo_a_month_then_sync_it_again_with_another_mapping(shop, books):
    before = balances(shop)
    run = _run_march(shop)

    assert run.status == "done"
    outcomes = {(e.kind, e.outcome) for e in run.entries.all()}
    assert ("SalesReceipt", "voided") in outcomes
    assert all(e.outcome in ("voided", "deleted") for e in run.entries.all())
    for gid in books["march"]:
        assert live_for(shop, "SalesReceipt", gid) == []
        assert SyncedRecord.objects.get(shop=shop, source_id=gid, kind="SalesReceipt").status == "voided"
    # Nothing else touched: the hand-written sale, the one a bookkeeper edited, April.
    qb = qb_of(shop)
    assert qbo.read(qb, "SalesReceipt", books["theirs"]["Id"])["SyncToken"] == books["theirs"]["SyncToken"]
    edited = SyncedRecord.objects.get(shop=shop, source_id=books["edited"], kind="SalesReceipt")
    assert qbo.read(qb, "SalesReceipt", edited.qbo_id)["PrivateNote"] == "Checked by the bookkeeper"
    assert edited.status == "synced"
    assert len(live_for(shop, "SalesReceipt", books["april"])) == 1
    # The general ledger: March's sales left the income account and the clearing account.
    after = balances(shop)
    assert before["Shopify Sales"] - after["Shopify Sales"] == sum(MARCH)
    assert before["Shopify Payments Clearing"] - after["Shopify Payments Clearing"] == sum(MARCH)
    # The sync alone does not write them again (the merchant may change the mapping first).
    for gid in books["march"]:
        assert order_sync(shop_id=shop.pk, order_gid=gid) == "unchanged"

    account = another_sales_item(shop)
    assert undo.undo_resync(run) == run.entries.count()
    assert undo.undo_resync(run) == 0  # asked twice: nothing more
    shop_drain(shop_id=shop.pk)

    for gid in books["march"]:
        written = live_for(shop, "SalesReceipt", gid)
        assert len(written) == 1, gid  # no duplicate: one live sale per order
        assert written[0]["DocNumber"].endswith("-r1")  # the voided copy keeps the old number
    final = balances(shop)
    assert final[account] == sum(MARCH)
    assert final["Shopify Sales"] == after["Shopify Sales"]
    assert final["Shopify Payments Clearing"] == before["Shopify Payments Clearing"]
    assert len([d for d in documents(shop, "SalesReceipt") if d["Id"] == books["theirs"]["Id"]]) == 1


def test_an_interrupted_undo_resumes_to_the_same_end(shop, books):
    run = _start_march(shop)
    real_void = qbo.void
    calls = []

    def dies_after_the_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            real_void(*args, **kwargs)  # QuickBooks voided it, the worker died before saying so
            raise KeyboardInterrupt
        return real_void(*args, **kwargs)

    with mock.patch.object(qbo, "void", dies_after_the_second), pytest.raises(KeyboardInterrupt):
        undo.undo_continue(run.pk)
    run.refresh_from_db()
    assert run.status == "running"
    assert run.entries.filter(outcome="pending").exists()

    def refused(*_args, **_kwargs):
        raise qbo.QBOUnavailable("QuickBooks answered HTTP 503", 503)

    with mock.patch.object(qbo, "void", refused):
        undo.undo_continue(run.pk)
    run.refresh_from_db()
    assert run.status == "stopped" and "503" in run.error

    undo.undo_continue(run.pk)
    run.refresh_from_db()
    assert run.status == "done"
    assert sorted(run.entries.values_list("outcome", flat=True)) == ["voided"] * run.entries.count()
    for gid in books["march"]:
        assert live_for(shop, "SalesReceipt", gid) == []
        assert len([d for d in documents(shop, "SalesReceipt") if gid in str(d.get("PrivateNote"))]) == 1
    # Run again: already done, nothing more happens.
    assert undo.undo_continue(run.pk) == {"voided": run.entries.count()}


def test_a_document_changed_after_the_confirmation_is_kept(shop, books):
    run = _start_march(shop)
    entry = run.entries.filter(kind="SalesReceipt").order_by("position").first()
    person_edits(shop, "SalesReceipt", entry.qbo_id, {"PrivateNote": "Edited while the undo waited"})
    undo.undo_continue(run.pk)
    entry.refresh_from_db()
    assert entry.outcome == UndoEntry.Outcome.KEPT_CHANGED
    assert qbo.read(qb_of(shop), "SalesReceipt", entry.qbo_id)["PrivateNote"] == "Edited while the undo waited"


def test_the_command_dry_run_changes_nothing_and_yes_removes(shop, books):
    out = StringIO()
    call_command("shopqb", "undo", "--shop", shop.domain, "--since", "2026-03-01", "--until", "2026-03-31", stdout=out)
    text = out.getvalue()
    assert "Dry run" in text and "void   SalesReceipt" in text and "keep" in text
    assert not UndoRun.objects.exists()
    assert all(len(live_for(shop, "SalesReceipt", gid)) == 1 for gid in books["march"])

    out = StringIO()
    call_command(
        "shopqb", "undo", "--shop", shop.domain, "--since", "2026-03-01", "--until", "2026-03-31", "--yes", stdout=out
    )
    assert "Done: undo" in out.getvalue()
    assert all(live_for(shop, "SalesReceipt", gid) == [] for gid in books["march"])
    with pytest.raises(CommandError, match="--until is before --since"):
        call_command("shopqb", "undo", "--shop", shop.domain, "--since", "2026-03-02", "--until", "2026-03-01")


def test_a_removal_whose_worker_was_killed_waits_for_its_claim_then_ends_the_same(shop, books):
    from datetime import timedelta

    from django.utils import timezone

    run = _start_march(shop)
    first = run.entries.order_by("position").first()
    # A worker claimed it, had QuickBooks void it, and was killed before recording anything.
    record = SyncedRecord.objects.get(pk=first.record_id)
    assert record.claim(lease=timedelta(minutes=5))
    UndoEntry.objects.filter(pk=first.pk).update(started_at=timezone.now())
    qbo.void(qb_of(shop), record.kind, qbo_id=record.qbo_id, sync_token=record.qbo_sync_token, request_id="killed-1")

    undo.undo_continue(run.pk)
    run.refresh_from_db()
    assert run.status == "stopped" and "being written" in run.error  # the claim still holds
    SyncedRecord.objects.filter(pk=record.pk).update(claimed_at=timezone.now() - timedelta(days=1))
    undo.undo_continue(run.pk)
    run.refresh_from_db()
    assert run.status == "done"
    first.refresh_from_db()
    assert first.outcome == "voided" and "lost" in first.detail
    assert sorted(set(run.entries.values_list("outcome", flat=True))) == ["voided"]


def test_payments_and_refunds_go_first_and_come_back_linked(shop):
    """An invoiced order with a payment, and a refunded sale: the payment is voided before its
    invoice, the refund receipt (QuickBooks cannot void one) deleted; synced again, the new payment
    pays the new invoice and the receivable is where it was."""
    from tests.sandboxes import Store
    from tests.syncing.test_engine import refund
    from tests.syncing.test_money_flows_sync import create

    invoiced = create(shop, price="90.00", transactions=[("paypal", "30.00")], status="PARTIALLY_PAID")
    sold = place(shop, price="40.00", day="2026-11-20")
    for gid in (invoiced, sold):
        assert order_sync(shop_id=shop.pk, order_gid=gid) == "written"
    refund(Store(shop).client, {"id": sold}, quantity=1, amount="40.00")
    assert order_sync(shop_id=shop.pk, order_gid=sold) == "written"
    booked = balances(shop)

    run = undo.undo_start(shop=shop, qb=qb_of(shop), since=None, until=None, by="test", enqueue=False)
    kinds = list(run.entries.order_by("position").values_list("kind", flat=True))
    assert kinds.index("Payment") < kinds.index("Invoice") and kinds.index("RefundReceipt") < kinds.index(
        "SalesReceipt"
    )
    undo.undo_continue(run.pk)
    run.refresh_from_db()
    assert run.status == "done"
    actions = dict(run.entries.values_list("kind", "outcome"))
    assert actions["Payment"] == actions["Invoice"] == actions["SalesReceipt"] == "voided"
    assert actions["RefundReceipt"] == "deleted"
    emptied = balances(shop)
    assert emptied["Accounts Receivable (A/R)"] == booked["Accounts Receivable (A/R)"] - D("60.00")

    undo.undo_resync(run)
    shop_drain(shop_id=shop.pk)
    [invoice] = live_for(shop, "Invoice", invoiced)
    [payment] = [
        p for p in documents(shop, "Payment") if invoiced in str(p.get("PrivateNote")) and not undo.is_voided(p)
    ]
    assert payment["Line"][0]["LinkedTxn"][0]["TxnId"] == invoice["Id"] and invoice["DocNumber"].endswith("-r1")
    assert D(str(invoice["Balance"])) == D("60.00")
    [refunded] = live_for(shop, "RefundReceipt", SyncedRecord.objects.get(shop=shop, kind="RefundReceipt").source_id)
    assert not refunded["DocNumber"].endswith("-r1")  # deleted, so its number was free again
    assert balances(shop) == booked
