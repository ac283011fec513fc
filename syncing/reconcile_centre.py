"""The reconciliation centre: per day of a date range, Shopify's sales, refunds, tax, fees and
payouts next to what QuickBooks holds (each document read back from QuickBooks by its Id, never
taken from ShopQB's own records), the difference, and for every difference the orders and
documents that explain it. Per Shopify Payments payout, the chain orders -> documents -> payout ->
Deposit -> the bank account's balance (syncing/reconcile_chain.py).

Shopify's side is what Shopify's orders and payouts say should be in the books: the documents the
ledger makes of them (syncing/ledger), and the orders kept out by the merchant's rules or refused,
at their own amounts. Like is compared with like: each document's TotalAmt in its own currency.

What explains a difference (``Explanation``): an order a rule keeps out, an order ShopQB cannot
book or a document not written yet (waiting on an issue), and a document a person changed or
deleted in QuickBooks. The last is named but counts as explained only once the merchant chose to
accept or ignore the change (``SyncedRecord.qbo_drift_resolution``, where change detection is
installed); until then it is a difference the merchant must decide on.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from shopqb_app.integrations.shopify.fetch import all_orders
from shopqb_app.integrations.shopify.fetch import payouts as shopify_payouts
from shopqb_app.integrations.shopify.parse import Order, parse_datetime, parse_order
from syncing import ledger
from syncing.context import SyncContext, context_open
from syncing.models import SyncedRecord
from syncing.orders import skip_reason
from syncing.payouts import payout_read
from syncing.reconcile_chain import payout_chains
from syncing.reconcile_days import Centre, Explanation
from syncing.reconcile_explained import ZERO
from syncing.reconcile_read import Links, documents_written, explain, read_rows, row_currency, row_tax, row_total
from syncing.reconcile_sources import booked_kinds, earlier_refunds, edits_written, with_edit_totals

# Figures read from QuickBooks are kept per shop and range (Django's cache, CACHE_URL) until the
# merchant reads them again; the page says when they were read.
CACHE_SECONDS = 7 * 24 * 3600
CACHE_VERSION = 1  # bumped when Centre changes shape: an older pickled copy is never read back


def _cache_key(shop_id: int, start: date | None, end: date) -> str:
    return f"shopqb:reconcile:{CACHE_VERSION}:{shop_id}:{start.isoformat() if start else 'all'}:{end.isoformat()}"


def centre_cached(*, shop_id: int, start: date | None, end: date) -> Centre | None:
    """The figures last read for this shop and range, or None: nothing is read here."""
    found = cache.get(_cache_key(shop_id, start, end))
    return found if isinstance(found, Centre) else None


def centre_refresh(*, shop_id: int, start: date | None, end: date) -> Centre:
    """Read the range from Shopify and QuickBooks now, and keep the figures for the page."""
    centre = centre_compute(shop_id=shop_id, start=start, end=end)
    cache.set(_cache_key(shop_id, start, end), centre, CACHE_SECONDS)
    return centre


def centre_compute(*, shop_id: int, start: date | None, end: date) -> Centre:
    """The reconciliation of ``start``..``end`` (the shop's days; ``start`` None: from the first
    order). Reads Shopify and QuickBooks, writes nothing."""
    ctx = context_open(shop_id)
    centre = Centre(ctx.shop.domain, ctx.shop.currency, start, end, timezone.now())
    links = Links(ctx)
    expected: list[tuple[ledger.Document, str]] = []  # (document, figure: sales or refunds)
    booked = booked_kinds(ctx)
    edited = edits_written(ctx)
    # An order with a sale or a refund in the range was updated since the range began; a day
    # earlier leaves no doubt about the time zone Shopify's search reads the date in.
    # Reference: https://shopify.dev/docs/api/usage/search-syntax
    search = f"updated_at:>='{(start - timedelta(days=1)).isoformat()}'" if start else None
    for raw in all_orders(ctx.shopify, search=search):
        order = parse_order(raw)
        expected.extend(_order_expected(ctx, centre, links, order, booked, edited))
    expected = [(d, f) for d, f in expected if centre.in_range(d.txn_date)]
    _compare(ctx, centre, links, expected, edited)
    payouts: list[tuple[Any, ledger.Document | None, str]] = []
    for raw in shopify_payouts(ctx.shopify):
        # Each payout's balance transactions cost a query: only those of the range are read.
        issued = ledger.local_date(parse_datetime(raw["issuedAt"]), ctx.mapping.timezone)
        if raw.get("status") != "PAID" or not centre.in_range(issued):
            continue
        payout = payout_read(ctx.shopify, raw)
        try:
            document: ledger.Document | None = ledger.payout_deposit(payout, ctx.mapping)
            refusal = ""
        except ledger.LedgerError as exc:
            document, refusal = None, str(exc)
        day = document.txn_date if document else ledger.local_date(payout.issued_at, ctx.mapping.timezone)
        if centre.in_range(day) and not (ctx.rules.start_date and day < ctx.rules.start_date):
            payouts.append((payout, document, refusal))
    centre.payouts = payout_chains(ctx, centre, links, payouts)
    return centre


def _order_expected(
    ctx: SyncContext,
    centre: Centre,
    links: Links,
    order: Order,
    booked: dict[str, frozenset[str]],
    edited: dict[str, list[SyncedRecord]],
) -> list[tuple[ledger.Document, str]]:
    """The documents an order should be in QuickBooks as; an order kept out or refused is counted
    on Shopify's side of its day with what explains it."""
    day = ledger.txn_date(order, ctx.mapping.timezone)
    reason = skip_reason(order, ctx.rules, ctx.mapping)
    if reason:
        _kept_out(centre, links, order, day, "filtered", f"{order.name}: kept out by a rule ({reason})")
        return [(r, "refunds") for r in earlier_refunds(order, ctx)]
    try:
        documents = ledger.order_documents(order, ctx.mapping, booked.get(order.id, frozenset()))
    except ledger.LedgerError as exc:
        _kept_out(centre, links, order, day, "refused", f"{order.name}: ShopQB cannot book it ({exc})")
        return []
    if not documents:
        return []
    sale = documents[0]
    out = [(sale, "sales")]
    try:
        refunds = ledger.refund_receipts(order, ctx.mapping)
        if not edited.get(order.id):
            overpaid = ledger.overpayment_refunds(order, sale.total)
            refunds = [r for r in refunds if r.source_id not in overpaid]
    except ledger.LedgerError as exc:
        if centre.in_range(day):
            amount = order.total_refunded.shop.amount
            row = centre.day(day)
            row.shopify["refunds"] += amount
            row.explanations.append(
                Explanation(
                    "refused",
                    f"{order.name}: ShopQB cannot book its refunds ({exc})",
                    {"refunds": -amount},
                    True,
                    order.name,
                    links.order(order.name),
                    links.issue(order.id),
                )
            )
        return out
    return out + [(r, "refunds") for r in refunds]


def _kept_out(centre: Centre, links: Links, order: Order, day: date, cause: str, what: str) -> None:
    if not centre.in_range(day):
        return
    total, tax = order.total_price.shop.amount, order.total_tax.shop.amount
    if not total and not tax:
        return
    row = centre.day(day)
    row.shopify["sales"] += total
    row.shopify["tax"] += tax
    issue = links.issue(order.id) if cause == "refused" else ""
    row.explanations.append(
        Explanation(cause, what, {"sales": -total, "tax": -tax}, True, order.name, links.order(order.name), issue)
    )


def _compare(
    ctx: SyncContext,
    centre: Centre,
    links: Links,
    expected: list[tuple[ledger.Document, str]],
    edited: dict[str, list[SyncedRecord]],
) -> None:
    """Each expected document against the one QuickBooks holds, read back by its Id."""
    records = documents_written(ctx, [d for d, _figure in expected])
    wanted = [*records.values(), *(r for d, _f in expected for r in edited.get(d.source_id, ()))]
    rows = read_rows(ctx, wanted)
    for document, figure in expected:
        row = centre.day(document.txn_date)
        row.shopify[figure] += document.total
        row.shopify["tax"] += _signed_tax(document, figure)
        record = records.get((document.source_type, document.source_id, document.entity))
        held = rows.get((record.kind, record.qbo_id)) if record and record.qbo_id else None
        if held is not None and figure == "sales" and edited.get(document.source_id):
            edits = edited[document.source_id]
            held = with_edit_totals(held, [rows.get((r.kind, r.qbo_id), {}) for r in edits], edits)
        # A document in another currency than Shopify's amount is not counted: like with like.
        alike = held is not None and row_currency(held, document) == document.currency
        amount, tax = (row_total(held), row_tax(held)) if held is not None and alike else (ZERO, ZERO)
        if figure == "refunds":
            tax = -tax
        row.qbo[figure] += amount
        row.qbo["tax"] += tax
        share = {figure: amount - document.total, "tax": tax - _signed_tax(document, figure)}
        if alike and not any(share.values()):
            continue
        row.explanations.append(explain(links, document, record, held, share))


def _signed_tax(document: ledger.Document, figure: str) -> Decimal:
    return document.total_tax if figure == "sales" else -document.total_tax
