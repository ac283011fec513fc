"""Summary posting without the sandboxes: the ledger's summaries against the same orders posted one
by one (every account of the QuickBooks sandbox's general ledger ends the same), the Summaries page
(one shop's only), and the setup form that now accepts summary posting from a date."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.forms import WhatToSyncForm
from mappings.models import SyncSettings
from shopqb_app.integrations.shopify.parse import Address, parse_order
from syncing import ledger
from syncing import summary as summary_module
from syncing.ledger.summary import SummaryHeader, summary_documents
from syncing.ledger_json import document_from_json, document_to_json
from syncing.models import SourceType, SyncedRecord
from syncing.summary import CSV_HEADER, summary_csv, summary_ledger_documents
from syncing.summary_models import Summary, SummaryEntry
from tests.factories import session_token
from tests.syncing.books import ACCOUNTS, Books
from tests.syncing.factories import order_node
from tests.syncing.test_ledger_vat import uk, vat_order
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
    """Stands for the pass's Shopify client."""


def _summary_ctx(books: Books) -> SimpleNamespace:
    return SimpleNamespace(shopify=_Client(), mapping=books.mapping, rules=SimpleNamespace(sync_refunds=True))


def test_a_summary_takes_the_documents_its_entries_keep_unless_they_no_longer_come_to_the_entry(monkeypatch):
    books = Books()
    sold = parse_order(order_node(lines=[("SKU-1", 2, "10.00", "0")], order_id=3101))
    edited = order_node(lines=[("SKU-1", 3, "10.00", "0")], order_id=3101)
    ctx = _summary_ctx(books)
    planned = ledger.order_documents(sold, books.mapping)
    [entry] = summary_module._entries(sold, planned, books.mapping)
    reads: list[str] = []

    def fetch_order(client, gid):
        reads.append(gid)
        return edited

    monkeypatch.setattr(summary_module, "fetch_order", fetch_order)

    # Kept with the entry (a pass that never read the order): not read again, the same documents.
    documents = summary_ledger_documents(ctx, [entry])  # type: ignore[arg-type]
    assert reads == []
    assert documents == planned
    assert sum(d.total for d in documents) == entry.amount == D("20.00")

    # Another worker recorded the edited order's amount without its documents: read as Shopify has it.
    entry.amount = D("30.00")
    documents = summary_ledger_documents(ctx, [entry])  # type: ignore[arg-type]
    assert reads == [sold.id]
    assert sum(d.total for d in documents) == D("30.00")

    # Recorded before entries kept their documents: read, once per order.
    reads.clear()
    legacy = [SummaryEntry(**{**_fields(e), "documents": []}) for e in (entry, entry)]
    summary_ledger_documents(ctx, legacy)  # type: ignore[arg-type]
    assert reads == [sold.id]

    # Kept documents that cannot be read (another version's): read too, never a failed summary.
    reads.clear()
    broken = SummaryEntry(**{**_fields(entry), "documents": [{"entity": "SalesReceipt"}]})
    assert sum(d.total for d in summary_ledger_documents(ctx, [broken])) == D("30.00")  # type: ignore[arg-type]
    assert reads == [sold.id]


def _fields(entry: SummaryEntry) -> dict:
    names = ("unit", "source_id", "order_gid", "order_name", "txn_date", "amount", "currency", "payment_ids")
    return {name: getattr(entry, name) for name in names}


def test_an_entry_keeps_nothing_of_the_buyer_and_its_summary_names_the_mappings_customer(monkeypatch):
    books = Books()
    node = order_node(lines=[("SKU-1", 2, "10.00", "0")], order_id=3103)
    refund(node, [("shopify_payments", "10.00")], line=0, when="2026-03-03T15:00:00Z")
    order = parse_order(node)
    buyer = ledger.Ref("501", "Ada Lovelace")
    address = Address("1 Main St", "", "Springfield", "IL", "62701", "US")
    per_customer = replace(books.mapping, customer=buyer)
    planned = [
        replace(d, ship_to=address, exchange_rate=D("1.25"))
        for d in ledger.order_documents(order, per_customer) + ledger.refund_receipts(order, per_customer)
    ]
    entries = summary_module._entries(order, planned, books.mapping)
    assert [e.unit for e in entries] == ["sale", "refund"] and entries[1].amount == D("-10.00")
    stored = json.dumps([e.documents for e in entries])
    assert "Ada" not in stored and "501" not in stored and "Springfield" not in stored and "62701" not in stored
    assert all(
        d["customer"] == {"value": "", "name": ""} and d["ship_to"] is None for e in entries for d in e.documents
    )

    monkeypatch.setattr(summary_module, "fetch_order", lambda client, gid: pytest.fail("read again"))
    documents = summary_ledger_documents(_summary_ctx(books), entries)  # type: ignore[arg-type]
    assert documents == [replace(d, customer=books.mapping.customer, ship_to=None, exchange_rate=None) for d in planned]


@pytest.mark.django_db
def test_an_edit_recorded_before_its_summary_is_written_replaces_the_documents_the_entry_keeps(shop_a, monkeypatch):
    books = Books()
    ctx = SimpleNamespace(shop=shop_a, **vars(_summary_ctx(books)))
    monkeypatch.setattr(summary_module, "fetch_order", lambda client, gid: pytest.fail("read again"))
    for quantity in (2, 3):  # sold, then edited before any summary took it
        order = parse_order(order_node(lines=[("SKU-1", quantity, "10.00", "0")], order_id=3104))
        planned = ledger.order_documents(order, books.mapping)
        for entry in summary_module._entries(order, planned, books.mapping):
            summary_module._entry_record(ctx, entry)  # type: ignore[arg-type]
    saved = SummaryEntry.objects.get(shop=shop_a, source_id=order.id)
    assert saved.amount == D("30.00")
    assert summary_ledger_documents(ctx, [saved]) == planned  # type: ignore[arg-type]


def test_a_summarised_sale_whose_refunds_the_ledger_refuses_does_not_refuse_its_summary(monkeypatch):
    books = Books()
    node = order_node(lines=[("SKU-1", 2, "10.00", "0")], order_id=3102)
    sold = parse_order(node)
    ctx = _summary_ctx(books)
    [entry] = summary_module._entries(sold, ledger.order_documents(sold, books.mapping), books.mapping)
    entry.documents = []  # recorded before entries kept their documents: the order is read again
    monkeypatch.setattr(summary_module, "fetch_order", lambda client, gid: node)

    def refused(order, mapping):
        raise ledger.LedgerError("refund_refused", "refused")

    monkeypatch.setattr(ledger, "refund_receipts", refused)
    documents = summary_ledger_documents(ctx, [entry])  # type: ignore[arg-type]
    assert [d.source_type for d in documents] == ["order"] and documents[0].total == D("20.00")


# ---- what an entry keeps: ledger documents as JSON and back -------------------------------------------


def _round_trip(document: ledger.Document) -> ledger.Document:
    # Through the text the database stores (a JSONField's value), not only the Python values.
    return document_from_json(json.loads(json.dumps(document_to_json(document))))


def _vat_documents() -> list[ledger.Document]:
    """Documents outside the US: tax codes with their rates, tax per rate, gross amounts."""
    order = vat_order(
        [
            ("MUG", 2, "12.00", "0", [("GB VAT", "0.2", "4.00")]),
            ("SEAT", 1, "105.00", "0", [("GB VAT", "0.05", "5.00")]),
            ("BOOK", 1, "9.99", "0", [("GB VAT", "0", "0.00")]),
        ],
        shipping=("4.80", [("GB VAT", "0.2", "0.80")]),
        taxes_included=True,
    )
    return ledger.order_documents(order, uk())


def test_every_ledger_document_comes_back_from_json_exactly():
    documents = _documents(Books()) + _vat_documents()
    assert any(line.tax_code and line.taxes and line.gross is not None for d in documents for line in d.lines)
    assert any(d.entity == "JournalEntry" for d in documents) and any(d.tax_inclusive for d in documents)
    every_field = replace(
        documents[0],
        ship_to=Address("1 Main St", "Unit 2", "Springfield", "IL", "62701", "US"),
        exchange_rate=D("1.234567"),
        class_ref=ledger.Ref("7", "Retail"),
        department=ledger.Ref("8", ""),
        links_to="Invoice",
        links_to_source=("edit", "gid://shopify/OrderEdit/1"),
        rounding=D("-0.01"),
    )
    for document in [*documents, every_field]:
        back = _round_trip(document)
        assert back == document
        # Exactly: every amount with the digits it had (1.50 stays 1.50, not 1.5).
        assert document_to_json(back) == document_to_json(document)
        assert [str(line.amount) for line in back.lines] == [str(line.amount) for line in document.lines]
    # Every field is written: a field added to Document (or to what it holds) is not lost silently.
    written = document_to_json(every_field)
    assert set(written) == {f.name for f in fields(ledger.Document)}
    assert set(written["lines"][0]) == {f.name for f in fields(ledger.DocLine)}
    assert set(written["ship_to"]) == {f.name for f in fields(Address)}


def test_data_that_is_not_a_stored_document_is_refused():
    good = document_to_json(_documents(Books())[0])
    for bad in (
        {},
        {**good, "total": 12.5},  # a float is never an exact amount
        {**good, "total": "twelve"},
        {**good, "txn_date": "yesterday"},
        {**good, "lines": [{**good["lines"][0], "taxes": [["1"]]}]},
        {**good, "tax_inclusive": "no"},
        [good],
    ):
        with pytest.raises(ValueError):
            document_from_json(bad)


_text = st.text(max_size=12)
_amount = st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9)
_exact = st.decimals(allow_nan=False, allow_infinity=False)  # any exponent, any digits
_ref = st.builds(ledger.Ref, _text, _text)
_tax_code = st.builds(ledger.TaxCode, _ref, st.tuples(st.tuples(_text, _exact)) | st.just(()))
_line = st.builds(
    ledger.DocLine,
    role=_text,
    item=_ref,
    description=_text,
    qty=_exact,
    unit_price=_exact,
    amount=_amount,
    taxable=st.booleans(),
    tax_code=st.none() | _tax_code,
    taxes=st.lists(st.tuples(_text, _amount), max_size=3).map(tuple),
    gross=st.none() | _amount,
)
_address = st.builds(Address, _text, _text, _text, _text, _text, _text)
_document = st.builds(
    ledger.Document,
    entity=st.sampled_from(["SalesReceipt", "RefundReceipt", "JournalEntry"]),
    source_type=_text,
    source_id=_text,
    source_name=_text,
    doc_number=_text,
    txn_date=st.dates(),
    currency=_text,
    customer=_ref,
    deposit_to=_ref,
    lines=st.lists(_line, max_size=4).map(tuple),
    total_tax=_amount,
    total=_amount,
    private_note=_text,
    rounding=_amount,
    links_to=_text,
    links_to_source=st.none() | st.tuples(_text, _text),
    order_id=_text,
    class_ref=st.none() | _ref,
    department=st.none() | _ref,
    tax_inclusive=st.booleans(),
    exchange_rate=st.none() | _exact,
    ship_to=st.none() | _address,
)


@settings(max_examples=200, deadline=None)
@given(_document)
def test_any_document_comes_back_from_json_equal_and_with_the_same_digits(document):
    back = _round_trip(document)
    assert back == document
    assert document_to_json(back) == document_to_json(document)
