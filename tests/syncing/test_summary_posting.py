"""Summary posting per payout, proved on the QuickBooks sandbox's general ledger.

The same ten days of orders are sold twice in one store: first posted per order, then (the
merchant switches to summary posting from the eleventh day) summarised per Shopify Payments
payout and, for PayPal, per day. Each account must move by exactly the same amount in both
halves; every payout's Deposit equals the payout; each summary's CSV lists exactly its orders;
nothing from the first half is re-posted; a second sweep writes nothing; a refund made after its
order was summarised goes into the summary of the payout that carries it.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from mappings.models import SyncSettings
from sandbox.shopify import payouts as sandbox_payouts
from sandbox.shopify.seeder import seed_shop
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.fetch import all_orders
from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger, runs
from syncing import summary as summary_module
from syncing.context import context_open
from syncing.ledger_json import document_from_json, document_to_json
from syncing.models import SyncedRecord, SyncIssue
from syncing.reconcile import reconcile_shop
from syncing.runs import shop_sweep
from syncing.summary import CSV_HEADER, summary_csv, summary_ledger_documents
from syncing.summary_models import Summary, SummaryEntry
from tests.sandboxes import Store
from tests.syncing.test_engine import refund
from tests.syncing.test_payout_flows import balances, emulated, moved

D = Decimal
FIRST = date(2026, 9, 1)  # well before today: every day and payout of the test is over
DAYS = 10


def _at(store, data, day: date, hour: int) -> None:
    with store.lock:
        store.set_clock(datetime.combine(day, time(hour), tzinfo=ZoneInfo(data.config.timezone)))


def _sell_days(shop, sandboxes, first: date, days: int = DAYS) -> list[dict]:
    """Ten days of orders: two Shopify Payments orders a day (one with shipping and tax), a PayPal
    order every third day, a partial refund every fourth day; each day paid out the next."""
    store, data = emulated(sandboxes, shop)
    api = Store(shop)
    placed = []
    for n in range(days):
        day = first + timedelta(days=n)
        _at(store, data, day, 10)
        first_of_day = len(placed)
        placed.append(api.order(lines=[("MUG-1", 2, f"{12 + n}.50")], tax="1.25", shipping="4.99"))
        placed.append(api.order(lines=[("TEE-1", 1, "30.00"), ("MUG-1", 1, "12.50")]))
        if n % 3 == 0:
            placed.append(api.order(lines=[("CAP-1", 1, "19.00")], gateway="paypal"))
        if n % 4 == 1:
            _at(store, data, day, 15)
            refund(api.client, placed[first_of_day], quantity=1, amount="13.00")
        with store.lock:
            sandbox_payouts.run_payouts(store, data, through=day)
    return placed


def _issues(shop) -> set[str]:
    return set(SyncIssue.objects.filter(shop=shop, resolved_at__isnull=True).values_list("code", flat=True))


def _summary_mode(shop, since: date) -> None:
    SyncSettings.objects.filter(shop=shop).update(posting_mode=SyncSettings.PostingMode.SUMMARY, summary_from=since)


def _key(document) -> tuple[str, str, str]:
    return (document.entity, document.source_id, document.doc_number)


def _counted_fetches(monkeypatch) -> list[str]:
    """Every order a summary reads from Shopify again."""
    read_again: list[str] = []
    fetch = summary_module.fetch_order

    def counted_fetch(client, gid):
        read_again.append(gid)
        return fetch(client, gid)

    monkeypatch.setattr(summary_module, "fetch_order", counted_fetch)
    return read_again


@pytest.mark.slow
def test_a_month_in_summary_mode_books_per_payout_like_per_order_mode(shop, sandboxes, monkeypatch):
    qb = context_open(shop.pk).qb
    read_again = _counted_fetches(monkeypatch)

    # Days 1-10, posted per order.
    start = balances(shop)
    per_order_placed = _sell_days(shop, sandboxes, FIRST)
    first_sweep = shop_sweep(shop_id=shop.pk)
    assert first_sweep.outcomes.get("failed", 0) == 0, first_sweep.outcomes
    per_order = moved(start, balances(shop))
    assert len(per_order) >= 6  # bank, clearing (both gateways), sales, shipping, fees...
    per_order_documents = SyncedRecord.objects.filter(shop=shop, status="synced").exclude(source_type="payout").count()
    per_order_records = set(SyncedRecord.objects.filter(shop=shop).values_list("pk", "qbo_id", "content_hash"))
    assert not SyncedRecord.objects.filter(shop=shop, source_type="summary").exists()

    # The merchant switches to summary posting from day 11; the same ten days are sold again.
    switch = FIRST + timedelta(days=DAYS)
    _summary_mode(shop, switch)
    before = balances(shop)
    summary_placed = _sell_days(shop, sandboxes, switch)
    sweep = shop_sweep(shop_id=shop.pk)
    assert sweep.outcomes.get("summarised") == len(summary_placed), sweep.outcomes
    assert "written" not in sweep.outcomes  # no order of its own
    assert read_again == []  # the summaries took the orders as the same pass had read them
    summarised = moved(before, balances(shop))

    # Every account moved by what per-order posting moved it by, to the cent.
    assert summarised == per_order
    ctx = context_open(shop.pk)
    clearing = ctx.mapping.clearing_for("shopify_payments").value
    assert balances(shop)[clearing] == D("0.00")
    assert _issues(shop) <= {"refund_adjustment"}  # refunds of more than the items (as per order)

    # Nothing of the first ten days was touched or posted again.
    assert per_order_records <= set(SyncedRecord.objects.filter(shop=shop).values_list("pk", "qbo_id", "content_hash"))
    assert not SummaryEntry.objects.filter(shop=shop, order_gid__in=[o["id"] for o in per_order_placed]).exists()

    # Ten payouts (one a day) and four PayPal days: one summary each, every order in exactly one.
    summaries = Summary.objects.filter(shop=shop)
    assert summaries.filter(key__startswith="payout:").count() == DAYS
    assert summaries.filter(key__startswith="day:").count() == 4
    assert all(s.written_at and s.attachable_id for s in summaries)
    summary_documents = SyncedRecord.objects.filter(shop=shop, source_type="summary", status="synced").count()
    # A sales receipt per payout and per PayPal day, a refund receipt for the three payouts with a
    # refund; per order it took a document per sale and per refund.
    assert (summary_documents, per_order_documents) == (DAYS + 3 + 4, 2 * DAYS + 4 + 3)
    entries = SummaryEntry.objects.filter(shop=shop)
    assert {e.order_gid for e in entries.filter(unit="sale")} == {o["id"] for o in summary_placed}
    assert not entries.filter(summary_key="").exists()

    # Each payout's Deposit equals the payout, and its summary's sales are the payout's charges.
    store, data = emulated(sandboxes, shop)
    for payout_record in SyncedRecord.objects.filter(shop=shop, source_type="payout", txn_date__gt=switch):
        deposit = qbo.read(qb, "Deposit", payout_record.qbo_id)
        paid = data.tables["Payout"][int(payout_record.source_id.rsplit("/", 1)[-1])]
        assert D(str(deposit["TotalAmt"])) == paid.net == payout_record.amount

    # The CSV attached to a summary lists exactly its orders.
    for summary in summaries:
        attachable = qbo.read(qb, "Attachable", summary.attachable_id)
        mine = list(entries.filter(summary_key=summary.key).order_by("txn_date", "order_name"))
        text = summary_csv(mine)
        assert attachable["ContentType"] == "text/csv" and int(attachable["Size"]) == len(text.encode())
        [ref] = attachable["AttachableRef"]
        first_doc = SyncedRecord.objects.get(shop=shop, source_type="summary", qbo_id=ref["EntityRef"]["value"])
        assert first_doc.source_id.startswith(summary.key + "|")
        rows = text.splitlines()
        assert rows[0].split(",") == CSV_HEADER
        assert sorted(r.split(",")[0] for r in rows[1:]) == sorted(e.order_name for e in mine)

    # In a later pass (a new context), a summary takes the documents its entries keep: no order is
    # read again, and they are exactly the documents its orders give as Shopify has them (what an
    # entry recorded before entries kept their documents reads).
    for some in summaries.filter(key__startswith="payout:"):
        mine = list(entries.filter(summary_key=some.key))
        documents = summary_ledger_documents(context_open(shop.pk), mine)
        assert read_again == []
        for entry in mine:
            entry.documents = []
        from_shopify = summary_ledger_documents(context_open(shop.pk), mine)
        assert sorted(read_again) == sorted({e.order_gid for e in mine})
        assert sorted(documents, key=_key) == sorted(from_shopify, key=_key)
        receipts = sum((d.total for d in documents if d.entity == "SalesReceipt"), D(0))
        refunds = sum((d.total for d in documents if d.entity == "RefundReceipt"), D(0))
        assert receipts - refunds == sum((e.amount for e in mine), D(0))
        read_again.clear()

    # The reconciliation checks the summarised orders through their summaries: MATCH.
    report = reconcile_shop(shop_id=shop.pk)
    assert report.matched, (report.differences, [c for c in report.accounts if c.unexplained])
    assert report.found_documents == report.expected_documents

    # Run again: nothing is written, nothing moves.
    settled = balances(shop)
    again = shop_sweep(shop_id=shop.pk)
    assert not any("written" in k or "updated" in k for k in again.outcomes), again.outcomes
    assert balances(shop) == settled

    # Refunds after summarising: one of a day-11 order (summarised: into the payout that carries
    # the refund), one of a day-1 order (posted per order: its own RefundReceipt).
    late_day = switch + timedelta(days=DAYS)
    _at(store, data, late_day, 11)
    summarised_refund = refund(Store(shop).client, summary_placed[0], quantity=1, amount="5.00")
    own_refund = refund(Store(shop).client, per_order_placed[0], quantity=1, amount="6.00")
    with store.lock:
        [late_payout] = sandbox_payouts.run_payouts(store, data, through=late_day)
    shop_sweep(shop_id=shop.pk)
    late = SummaryEntry.objects.get(shop=shop, unit="refund", source_id=summarised_refund["id"])
    assert late.summary_key == f"payout:gid://shopify/ShopifyPaymentsPayout/{late_payout.id}"
    assert late.amount == D("-5.00")
    assert SyncedRecord.objects.get(shop=shop, source_type="refund", source_id=own_refund["id"]).kind == "RefundReceipt"
    assert not SyncedRecord.objects.filter(shop=shop, source_type="refund", source_id=summarised_refund["id"]).exists()
    assert balances(shop)[clearing] == D("0.00")
    assert _issues(shop) <= {"refund_adjustment"}
    assert reconcile_shop(shop_id=shop.pk).matched


@pytest.mark.slow
def test_summaries_written_by_a_later_sweep_read_no_order_again_and_book_as_per_order(shop, sandboxes, monkeypatch):
    """Steady state: webhook drains summarise the orders, a later sweep (a new context, nothing of
    the first pass in memory) writes their summaries from what the entries keep."""
    days = 5
    read_again = _counted_fetches(monkeypatch)
    start = balances(shop)
    _sell_days(shop, sandboxes, FIRST, days)
    assert shop_sweep(shop_id=shop.pk).outcomes.get("failed", 0) == 0
    per_order = moved(start, balances(shop))
    assert len(per_order) >= 6

    switch = FIRST + timedelta(days=days)
    _summary_mode(shop, switch)
    before = balances(shop)
    placed = _sell_days(shop, sandboxes, switch, days)
    # The first pass only records the entries (as a drain of order webhooks does): no summary yet.
    with monkeypatch.context() as first_pass:
        first_pass.setattr(runs, "summaries_sync", lambda ctx: [])
        recorded = shop_sweep(shop_id=shop.pk)
    assert recorded.outcomes.get("summarised") == len(placed), recorded.outcomes
    assert not Summary.objects.filter(shop=shop).exists()
    assert not SyncedRecord.objects.filter(shop=shop, source_type="summary").exists()  # (the Deposits are)
    entries = SummaryEntry.objects.filter(shop=shop)
    assert all(e.documents for e in entries) and not entries.exclude(summary_key="").exists()

    later = shop_sweep(shop_id=shop.pk)
    assert later.outcomes.get("failed", 0) == 0, later.outcomes
    assert read_again == []  # not one order read from Shopify again
    assert not entries.filter(summary_key="").exists()
    summaries = Summary.objects.filter(shop=shop)
    assert summaries.filter(key__startswith="payout:").count() == days
    assert all(s.written_at for s in summaries)
    assert moved(before, balances(shop)) == per_order  # every account, to the cent
    ctx = context_open(shop.pk)
    assert balances(shop)[ctx.mapping.clearing_for("shopify_payments").value] == D("0.00")
    assert reconcile_shop(shop_id=shop.pk).matched


SEED, SEEDED_ORDERS = 29, 41  # the fewest orders in which the seeder makes one of every kind


def test_the_seeded_orders_documents_come_back_from_json_exactly(shop, sandbox_settings):
    token = sandbox_settings["shops"][0]["access_token"]
    seed_shop(base_url=sandbox_settings["shopify"], shop=shop.domain, token=token, orders=SEEDED_ORDERS, seed=SEED)
    ctx = context_open(shop.pk)
    documents = []
    for raw in all_orders(ctx.shopify, search=f"tag:shopqb-seed-{SEED}"):
        order = parse_order(raw)
        try:
            documents += ledger.order_documents(order, ctx.mapping)
            documents += ledger.refund_receipts(order, ctx.mapping) + ledger.refund_tender_entries(order, ctx.mapping)
        except ledger.LedgerError:
            continue  # refused orders have no documents to keep
    assert {"SalesReceipt", "RefundReceipt", "JournalEntry"} <= {d.entity for d in documents}
    assert len(documents) > SEEDED_ORDERS
    for document in documents:
        back = document_from_json(json.loads(json.dumps(document_to_json(document))))
        assert back == document
        assert document_to_json(back) == document_to_json(document)
