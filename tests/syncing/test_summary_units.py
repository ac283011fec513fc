"""Summary posting without the sandboxes: the ledger's summaries against the same orders posted one
by one (every account of the QuickBooks sandbox's general ledger ends the same), the Summaries page
(one shop's only), and the setup form that now accepts summary posting from a date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from mappings.forms import WhatToSyncForm
from mappings.models import SyncSettings
from shopqb_app.integrations.shopify.parse import parse_order
from syncing import ledger
from syncing import summary as summary_module
from syncing.ledger.summary import SummaryHeader, summary_documents
from syncing.models import SourceType, SyncedRecord
from syncing.summary import CSV_HEADER, summary_csv, summary_ledger_documents
from syncing.summary_models import Summary, SummaryEntry
from tests.factories import session_token
from tests.syncing.books import ACCOUNTS, Books
from tests.syncing.factories import order_node
from tests.syncing.test_tender_books import refund, txn

D = Decimal


def _orders() -> list[dict]:
    """A day's mixed orders: taxed with shipping, discounted, split with PayPal, paid by gift card,
    a gift card sold, one refunded in part."""
    nodes = [
        order_node(lines=[("SKU-1", 2, "10.00", "0")], tax="1.60", shipping="5.00", order_id=3001),
        order_node(lines=[("SKU-2", 1, "40.00", "4.00"), ("SKU-1", 3, "10.00", "0")], order_id=3002),
        order_node(
            lines=[("SKU-1", 1, "100.00", "0")],
            transactions=[txn("paypal", "30.00"), txn("shopify_payments", "70.00")],
            order_id=3003,
        ),
        order_node(lines=[("SKU-3", 1, "19.99", "0")], gateway="paypal", order_id=3004),
    ]
    gift = order_node(lines=[("GC", 1, "50.00", "0")], order_id=3005)
    gift["lineItems"]["nodes"][0]["isGiftCard"] = True
    gift["lineItems"]["nodes"][0]["taxable"] = False
    nodes.append(gift)
    refund(nodes[1], [("shopify_payments", "10.00")], line=1, when="2026-03-03T15:00:00Z")
    refund(nodes[2], [("paypal", "30.00"), ("shopify_payments", "70.00")], when="2026-03-04T15:00:00Z")
    return nodes


def _documents(books: Books) -> list[ledger.Document]:
    documents = []
    for node in _orders():
        order = parse_order(node)
        documents += ledger.order_documents(order, books.mapping)
        documents += ledger.refund_receipts(order, books.mapping) + ledger.refund_tender_entries(order, books.mapping)
    return documents


def _header(books: Books) -> SummaryHeader:
    return SummaryHeader("payout:gid://shopify/ShopifyPaymentsPayout/77", "P77", "payout 77", date(2026, 3, 5),
                         books.mapping.customer)  # fmt: skip


def _all_balances(books: Books) -> dict[str, Decimal]:
    return books.balances(*ACCOUNTS)


def test_a_summary_moves_every_account_exactly_as_the_documents_it_adds_up():
    per_order, summarised = Books(), Books()
    documents = _documents(per_order)
    per_order.post(documents)
    summary = summary_documents(documents, _header(summarised))
    summarised.post(summary)

    assert _all_balances(summarised) == _all_balances(per_order)
    assert summarised.balanced() and per_order.balanced()
    assert _all_balances(per_order)["Shopify Sales"] != 0  # the comparison is not of empty books
    # Fewer documents: a sales receipt and a refund receipt per clearing account, one journal entry.
    assert len(documents) == 9
    assert sorted((d.entity, d.deposit_to.name) for d in summary) == [
        ("JournalEntry", "Shopify Payments Clearing"),  # every tender move in one entry
        ("RefundReceipt", "Shopify Payments Clearing"),
        ("SalesReceipt", "PayPal Clearing"),
        ("SalesReceipt", "Shopify Payments Clearing"),
    ]
    receipts = [d for d in documents if d.entity != "JournalEntry"]
    for entity in ("SalesReceipt", "RefundReceipt"):
        assert sum(d.total for d in summary if d.entity == entity) == sum(
            d.total for d in receipts if d.entity == entity
        )
    # Products keep their quantities (an inventory item's stock moves by them) at the average price.
    [sales] = [d for d in summary if d.entity == "SalesReceipt" and d.deposit_to.name.startswith("Shopify")]
    products = [line for line in sales.lines if line.role == "product"]
    sold = [
        line
        for d in documents
        if d.entity == "SalesReceipt" and d.deposit_to == sales.deposit_to
        for line in d.lines
        if line.role == "product"
    ]
    assert len(products) < len(sold)
    assert (
        sum(line.qty for line in products) == sum(line.qty for line in sold) == 2 + 1 + 3 + 1
    )  # the gift card is not a product
    assert sum(line.amount for line in products) == sum(line.amount for line in sold)
    assert all(line.qty * line.unit_price == line.amount or line.qty == 1 for line in products)
    # Each summary document names the summary, found again by its number after a lost answer.
    assert all(d.source_type == "summary" and d.source_id in d.private_note for d in summary)
    assert len({(d.entity, d.doc_number) for d in summary}) == len(summary)
    assert all(len(d.doc_number) <= 21 for d in summary)


def test_a_summary_is_the_same_however_its_documents_come_in():
    books = Books()
    documents = _documents(books)
    once = summary_documents(documents, _header(books))
    again = summary_documents(list(reversed(documents)), _header(books))
    assert [d.content_hash(books.mapping) for d in once] == [d.content_hash(books.mapping) for d in again]


def test_an_invoice_is_never_summarised():
    books = Books()
    node = order_node(lines=[("SKU-1", 1, "10.00", "0")], status="PENDING", order_id=3100)
    documents = ledger.order_documents(parse_order(node), books.mapping)
    assert documents[0].entity == "Invoice"
    with pytest.raises(ledger.LedgerError) as refused:
        summary_documents(documents, _header(books))
    assert refused.value.code == "summary_unsupported"


# ---- the app --------------------------------------------------------------------------------------


def _entries(shop, key: str) -> list[SummaryEntry]:
    made = [
        SummaryEntry.objects.create(
            shop=shop,
            unit="sale",
            source_id=f"gid://shopify/Order/{n}",
            order_gid=f"gid://shopify/Order/{n}",
            order_name=f"#{n}",
            txn_date=date(2026, 3, 2),
            amount=D("12.50"),
            currency="USD",
            payment_ids=[str(n)],
            summary_key=key,
        )
        for n in (1001, 1002)
    ]
    made.append(
        SummaryEntry.objects.create(
            shop=shop,
            unit="refund",
            source_id="gid://shopify/Refund/9",
            order_gid="gid://shopify/Order/1001",
            order_name="#1001",
            txn_date=date(2026, 3, 3),
            amount=D("-2.50"),
            currency="USD",
            summary_key=key,
        )
    )
    return made


def test_the_csv_lists_each_sale_and_refund_once():
    rows = summary_csv(
        [
            SummaryEntry(
                unit="sale",
                source_id="gid://shopify/Order/1",
                order_gid="gid://shopify/Order/1",
                order_name="#1, gift",
                txn_date=date(2026, 3, 2),
                amount=D("10.00"),
                currency="USD",
            )
        ]
    ).splitlines()
    assert rows[0] == ",".join(CSV_HEADER)
    assert rows[1] == '"#1, gift",gid://shopify/Order/1,sale,gid://shopify/Order/1,2026-03-02,10.00,USD'


@pytest.mark.django_db
@pytest.mark.usefixtures("app_settings")
def test_the_summaries_page_lists_each_summary_with_its_orders_for_its_own_shop_only(client, shop_a, shop_b):
    key = "payout:gid://shopify/ShopifyPaymentsPayout/5"
    summary = Summary.objects.create(
        shop=shop_a, key=key, label="payout 5", txn_date=date(2026, 3, 3), written_at=timezone.now()
    )
    _entries(shop_a, key)
    SyncedRecord.objects.create(
        shop=shop_a,
        source_type=SourceType.SUMMARY,
        source_id=f"{key}|abcd1234",
        kind="SalesReceipt",
        status="synced",
        request_id="r-1",
        doc_number="SP5S1",
        qbo_id="77",
        amount=D("25.00"),
        currency="USD",
    )
    # A document of a summary not on the page (its key starts like this one's) is not listed.
    SyncedRecord.objects.create(
        shop=shop_a,
        source_type=SourceType.SUMMARY,
        source_id=f"{key}5|abcd1234",
        kind="SalesReceipt",
        status="synced",
        request_id="r-2",
        doc_number="SP55S1",
        qbo_id="78",
        amount=D("9.00"),
        currency="USD",
    )
    other = Summary.objects.create(
        shop=shop_b, key="day:2026-03-02", label="sales of 2026-03-02", txn_date=date(2026, 3, 2)
    )

    page = client.get(reverse("summaries"), {"id_token": session_token(shop_a.domain)})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Summary of payout 5" in html and "Sales receipt SP5S1" in html and "SP55S1" not in html
    assert html.count('data-testid="summary-order"') == 3 and "#1002" in html
    assert "sales of 2026-03-02" not in html

    csv = client.get(reverse("summary_orders_csv", args=[summary.pk]), {"id_token": session_token(shop_a.domain)})
    assert csv["Content-Type"] == "text/csv"
    assert sorted(line.split(",")[0] for line in csv.content.decode().splitlines()[1:]) == ["#1001", "#1001", "#1002"]
    # Another shop's summary is not found, not shown.
    assert (
        client.get(
            reverse("summary_orders_csv", args=[other.pk]), {"id_token": session_token(shop_a.domain)}
        ).status_code
        == 404
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("app_settings")
def test_the_summaries_page_names_each_day_once_writes_money_as_the_other_pages_and_is_in_the_menu(client, shop_a):
    token = {"id_token": session_token(shop_a.domain)}
    menu_link = '<a href="/summaries">Summaries</a>'
    # Per-order posting, never summarised: no menu entry for an empty page.
    assert menu_link not in client.get(reverse("home"), token).content.decode()

    SyncSettings.objects.update_or_create(
        shop=shop_a,
        defaults={"posting_mode": SyncSettings.PostingMode.SUMMARY, "summary_from": date(2026, 3, 1)},
    )
    day = Summary.objects.create(
        shop=shop_a, key="day:2026-03-02", label="sales of 2026-03-02", txn_date=date(2026, 3, 2)
    )
    payout = Summary.objects.create(
        shop=shop_a, key="payout:gid://shopify/ShopifyPaymentsPayout/7", label="payout 7", txn_date=date(2026, 3, 4)
    )
    SummaryEntry.objects.create(
        shop=shop_a,
        unit="sale",
        source_id="gid://shopify/Order/1",
        order_gid="gid://shopify/Order/1",
        order_name="#1",
        txn_date=date(2026, 3, 2),
        amount=D("1234.5"),
        currency="USD",
        summary_key=day.key,
    )
    SyncedRecord.objects.create(
        shop=shop_a,
        source_type=SourceType.SUMMARY,
        source_id=f"{payout.key}|abcd1234",
        kind="SalesReceipt",
        status="synced",
        request_id="r-7",
        doc_number="P7S1",
        qbo_id="79",
        amount=D("20000"),
        currency="USD",
    )

    html = client.get(reverse("summaries"), token).content.decode()
    assert menu_link in html  # and on every page of the app, from base.html
    assert "Summary of sales of 2 Mar 2026</h2>" in html and "2026-03-02" not in html.split("<table")[0]
    assert "Summary of payout 7 · 4 Mar 2026</h2>" in html
    assert "1,234.50 USD</td>" in html and "1234.5" not in html
    assert (
        'Sales receipt P7S1<span class="visually-hidden"> in QuickBooks (opens a new tab)</span></a> (20,000.00 USD)'
        in html
    )
    # The mode switched back: the summaries written stay reachable.
    SyncSettings.objects.filter(shop=shop_a).update(posting_mode=SyncSettings.PostingMode.PER_ORDER)
    assert menu_link in client.get(reverse("home"), token).content.decode()


@pytest.mark.django_db
def test_the_setup_accepts_summary_posting_and_dates_it(shop_a):
    rules, _ = SyncSettings.objects.get_or_create(shop=shop_a)
    data = {
        "sync_orders": "on",
        "sync_payouts": "on",
        "customer_mode": "generic",
        "posting_mode": "summary",
        "start_date": "2026-01-01",
        "doc_number_prefix": "S",
    }

    def save(values: dict) -> SyncSettings:
        form = WhatToSyncForm(values, instance=SyncSettings.objects.get(pk=rules.pk))
        assert form.is_valid(), form.errors
        return form.save()

    saved = save(data)
    assert saved.posting_mode == "summary" and saved.summary_from == timezone.localdate()
    assert save({**data, "summary_from": "2026-02-01"}).summary_from == date(2026, 2, 1)
    # Saved again without a date: the date stays (what was summarised is still told apart).
    assert save(data).summary_from == date(2026, 2, 1)
    # Back to per order: the date stays too.
    saved = save({**data, "posting_mode": "per_order", "summary_from": "2026-05-01"})
    assert saved.posting_mode == "per_order" and saved.summary_from == date(2026, 2, 1)


class _Client:
    """Stands for the pass's Shopify client (the orders it read are kept per client)."""


def test_a_summary_takes_its_order_as_the_pass_read_it_unless_a_later_version_was_recorded(monkeypatch):
    books = Books()
    sold = parse_order(order_node(lines=[("SKU-1", 2, "10.00", "0")], order_id=3101))
    edited = order_node(lines=[("SKU-1", 3, "10.00", "0")], order_id=3101)
    ctx = SimpleNamespace(shopify=_Client(), mapping=books.mapping, rules=SimpleNamespace(sync_refunds=True))
    [entry] = summary_module._entries(sold, ledger.order_documents(sold, books.mapping), books.mapping)
    summary_module._order_keep(ctx.shopify, sold)
    reads: list[str] = []

    def fetch_order(client, gid):
        reads.append(gid)
        return edited

    monkeypatch.setattr(summary_module, "fetch_order", fetch_order)

    # Read by this pass, and what its entry says: not read again.
    documents = summary_ledger_documents(ctx, [entry])  # type: ignore[arg-type]
    assert reads == []
    assert sum(d.total for d in documents) == entry.amount == D("20.00")

    # Another worker recorded the edited order since: the summary reads it as Shopify has it now.
    entry.amount = D("30.00")
    documents = summary_ledger_documents(ctx, [entry])  # type: ignore[arg-type]
    assert reads == [sold.id]
    assert sum(d.total for d in documents) == D("30.00")

    # A pass that did not read it (another client) reads it too.
    reads.clear()
    summary_ledger_documents(SimpleNamespace(**{**vars(ctx), "shopify": _Client()}), [entry])  # type: ignore[arg-type]
    assert reads == [sold.id]


def test_a_summarised_sale_whose_refunds_the_ledger_refuses_does_not_refuse_its_summary(monkeypatch):
    books = Books()
    sold = parse_order(order_node(lines=[("SKU-1", 2, "10.00", "0")], order_id=3102))
    ctx = SimpleNamespace(shopify=_Client(), mapping=books.mapping, rules=SimpleNamespace(sync_refunds=True))
    [entry] = summary_module._entries(sold, ledger.order_documents(sold, books.mapping), books.mapping)
    summary_module._order_keep(ctx.shopify, sold)

    def refused(order, mapping):
        raise ledger.LedgerError("refund_refused", "refused")

    monkeypatch.setattr(ledger, "refund_receipts", refused)
    documents = summary_ledger_documents(ctx, [entry])  # type: ignore[arg-type]
    assert [d.source_type for d in documents] == ["order"] and documents[0].total == D("20.00")
