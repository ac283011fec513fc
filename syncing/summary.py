"""Summary posting (posting mode "summary"): orders booked per Shopify Payments payout, and per day
for gateways without payouts, instead of one set of documents per order. A2X's model: a
settlement's sales, refunds and fees as a few documents, each listing the orders it holds.

How it runs, every pass:

1. The order pass (syncing/orders.py) builds each order's documents as in per-order posting. For
   an order sold on or after ``SyncSettings.summary_from`` whose documents a summary can hold
   (sales receipts, refund receipts, tender journal entries: ``ledger.summary``), it writes nothing
   and records a SummaryEntry for its sale and one for each refund instead, with the Shopify
   Payments transactions that carry their money and the documents it would have written
   (``SummaryEntry.documents``, without the buyer: see ``_without_buyer``).
2. ``summaries_sync`` gives each entry to one summary, once (a conditional UPDATE of its key): a
   paid-out payout takes the sales and refunds whose Shopify Payments transactions it paid out;
   a day, once it is over in the shop's time zone, takes the others sold or refunded on or before
   it. A refund made after its order was summarised is an entry of its own: it goes into the
   summary of the payout that carries it (or of its day), as A2X books it.
3. A summary's documents are the same ledger documents added up (``ledger.summary_documents``),
   as its entries keep them (when they still come to what the entries say), so a summary written
   in a later pass reads no order again; an entry recorded before entries kept their documents
   takes them from its order as Shopify has it now. They are written like any other document
   (SyncedRecord, source type "summary", stable request id), with a CSV of its orders attached to
   the first of them. The payout's own Deposit is written by syncing/payouts.py as in per-order
   posting: the clearing account ends at zero the same way.

Reference: https://support.a2xaccounting.com/a2x-for-shopify/missing-payouts-for-shopify (Shopify
Payments payouts match the bank deposits; other gateways are summarised per period; a payout not
closed in Shopify is not imported)
Reference: https://support.a2xaccounting.com/en/articles/4236253-a2x-for-shopify-order-edits (an edit
after its payout is booked as an entry of its own, the original payout still balancing)

What stays per order: orders sold before ``summary_from``, or already in QuickBooks, and their later
refunds; invoiced orders (a receivable per customer), edits booked as their own documents. A
summary is written once; a later edit that changes a summarised sale's amount raises an issue
(its extra money is booked when it is refunded or charged).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from mappings.models import SyncSettings
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.fetch import fetch_order
from shopqb_app.integrations.shopify.fetch import payouts as shopify_payouts
from shopqb_app.integrations.shopify.parse import Order, parse_datetime, parse_order
from syncing import ledger
from syncing.context import SyncContext, with_exchange_rates
from syncing.ledger.summary import ENTITIES, SummaryHeader, summary_documents
from syncing.ledger_json import document_from_json, document_to_json
from syncing.models import Outcome, SourceType, SyncedRecord, SyncIssue
from syncing.payouts import payout_read
from syncing.summary_models import Summary, SummaryEntry
from syncing.writing import REQUEST_ID_NAMESPACE, document_write

log = logging.getLogger(__name__)

SUMMARISABLE_SOURCES = ("order", "refund")
DONE = (Outcome.WRITTEN, Outcome.UPDATED, Outcome.RECOVERED, Outcome.UNCHANGED)
CSV_HEADER = ["order", "order_id", "what", "shopify_id", "date", "amount", "currency"]
# What an entry's documents name instead of the buyer: a summary is booked to the mapping's
# customer (``SummaryHeader.customer``), whoever bought.
NO_CUSTOMER = ledger.Ref("")


# ---- 1. the order pass ----------------------------------------------------------------------------


def summary_applies(order: Order, *, rules: SyncSettings, mapping: ledger.Mapping) -> bool:
    """Whether the merchant's posting mode summarises this order (by the day it was sold)."""
    return (
        rules.posting_mode == SyncSettings.PostingMode.SUMMARY
        and rules.summary_from is not None
        and ledger.txn_date(order, mapping.timezone) >= rules.summary_from
    )


def order_summarised(ctx: SyncContext, order: Order, documents: list[ledger.Document]) -> bool:
    """Record the order's sale and refunds for a summary instead of writing them; False when the
    order is posted on its own (sold before the switch, already in QuickBooks, or with a document
    a summary cannot hold). An order once summarised stays summarised, whatever the mode now."""
    sale = SummaryEntry.objects.filter(shop=ctx.shop, unit=SummaryEntry.Unit.SALE, source_id=order.id).first()
    if sale is None:
        if not summary_applies(order, rules=ctx.rules, mapping=ctx.mapping):
            return False
        if _booked_on_its_own(ctx, order) or not _summarisable(documents):
            return False
    elif not _summarisable(documents):
        # Summarised, then edited into something a summary cannot hold: the merchant decides.
        _changed_after_summary(ctx, sale, documents, "now needs documents a summary cannot hold")
        return True
    for entry in _entries(order, documents, ctx.mapping):
        _entry_record(ctx, entry)
    return True


def _booked_on_its_own(ctx: SyncContext, order: Order) -> bool:
    """A document of the order already in QuickBooks: it stays per order (never re-posted)."""
    return (
        SyncedRecord.objects.filter(shop=ctx.shop, order_gid=order.id)
        .exclude(source_type=SourceType.SUMMARY)
        .exclude(qbo_id="")
        .exists()
    )


def _summarisable(documents: Iterable[ledger.Document]) -> bool:
    return all(d.entity in ENTITIES and d.source_type in SUMMARISABLE_SOURCES for d in documents)


def _payment_ids(transactions: Iterable[Any], kinds: frozenset[str]) -> list[str]:
    """The legacy ids of the Shopify Payments transactions among ``transactions`` (a balance
    transaction's sourceOrderTransactionId names one of them)."""
    return sorted(
        t.id.rsplit("/", 1)[-1]
        for t in transactions
        if ledger.gateway_key(t.gateway) == "shopify_payments" and t.kind in kinds and t.status == "SUCCESS"
    )


def _entries(order: Order, documents: list[ledger.Document], mapping: ledger.Mapping) -> list[SummaryEntry]:
    """The order's sale and each refund with documents, as (unsaved) entries."""
    sales = [d for d in documents if d.source_type == "order"]
    out = []
    if sales:
        out.append(
            SummaryEntry(
                unit=SummaryEntry.Unit.SALE,
                source_id=order.id,
                order_gid=order.id,
                order_name=order.name,
                txn_date=ledger.txn_date(order, mapping.timezone),
                amount=_receipts_total(sales),
                currency=sales[0].currency,
                payment_ids=_payment_ids(order.transactions, ledger.SALE_KINDS),
                documents=[document_to_json(_without_buyer(d)) for d in sales],
            )
        )
    for refund in order.refunds:
        docs = [d for d in documents if d.source_type == "refund" and d.source_id == refund.id]
        if not docs:
            continue
        out.append(
            SummaryEntry(
                unit=SummaryEntry.Unit.REFUND,
                source_id=refund.id,
                order_gid=order.id,
                order_name=order.name,
                txn_date=docs[0].txn_date,
                amount=-_receipts_total(docs),
                currency=docs[0].currency,
                payment_ids=_payment_ids(refund.transactions, ledger.REFUND_KINDS),
                documents=[document_to_json(_without_buyer(d)) for d in docs],
            )
        )
    return out


def _without_buyer(document: ledger.Document) -> ledger.Document:
    """What an entry keeps of a document: all its summary adds up, and nothing of the buyer (a
    summary is booked to the mapping's customer and names no ship-to address; the order's own
    customer may be named here in per-customer mode). The exchange rate is the summary's own, for
    its date (``summary_write``)."""
    return replace(document, customer=NO_CUSTOMER, ship_to=None, exchange_rate=None)


def _receipts_total(documents: Iterable[ledger.Document]) -> Decimal:
    return sum((d.total for d in documents if d.entity != "JournalEntry"), ledger.ZERO)


def _entry_record(ctx: SyncContext, entry: SummaryEntry) -> None:
    """Save the entry once; one already summarised whose amount changed raises an issue."""
    entry.shop = ctx.shop
    try:
        with transaction.atomic():
            entry.save()
        return
    except IntegrityError:
        pass  # staged before (or by another worker just now)
    saved = SummaryEntry.objects.get(shop=ctx.shop, unit=entry.unit, source_id=entry.source_id)
    if not saved.summary_key:
        # Not in a summary yet: what it says now counts (an edit before the summary is written).
        SummaryEntry.objects.filter(pk=saved.pk, summary_key="").update(
            amount=entry.amount, txn_date=entry.txn_date, payment_ids=entry.payment_ids, documents=entry.documents
        )
    elif saved.amount != entry.amount:
        SyncIssue.objects.raise_for(
            shop=ctx.shop,
            code="summarised_order_changed",
            message=(
                f"{saved.order_name} was summarised in {saved.summary_key} at {saved.amount} {saved.currency}; "
                f"it now comes to {entry.amount}. A summary is never rewritten: book the difference by hand "
                "(a refund or a new charge is booked in the summary that carries it)."
            ),
            source_type=SourceType.ORDER,
            source_id=saved.order_gid,
            retryable=False,
        )


def _changed_after_summary(ctx: SyncContext, sale: SummaryEntry, documents: list[ledger.Document], why: str) -> None:
    kinds = ", ".join(sorted({d.entity for d in documents}))
    SyncIssue.objects.raise_for(
        shop=ctx.shop,
        code="summarised_order_changed",
        message=f"{sale.order_name} was summarised but {why} ({kinds}); nothing more was written for it.",
        source_type=SourceType.ORDER,
        source_id=sale.order_gid,
        retryable=False,
    )


# ---- 2. giving entries to summaries -----------------------------------------------------------------


def summaries_sync(ctx: SyncContext) -> list[Outcome]:
    """Every summary that can be written now, each exactly once (see the module's docstring)."""
    shop_entries = SummaryEntry.objects.filter(shop=ctx.shop)
    pending = Summary.objects.filter(shop=ctx.shop, written_at__isnull=True)
    if not shop_entries.filter(summary_key="").exists() and not pending.exists():
        return []
    outcomes: list[Outcome] = []
    tried = set()
    for key, header in _payout_summaries(ctx) + _day_summaries(ctx):
        outcomes.append(summary_write(ctx, key=key, header=header))
        tried.add(key)
    # Summaries refused or interrupted in an earlier pass: tried again with what they hold.
    for summary in Summary.objects.filter(shop=ctx.shop, written_at__isnull=True).exclude(key__in=tried):
        outcomes.append(summary_write(ctx, key=summary.key, header=_header(ctx, summary)))
    return outcomes


def _waiting_for_payout(ctx: SyncContext) -> list[SummaryEntry]:
    """Entries whose money a Shopify Payments payout carries, not in a summary yet; one whose
    payout was summarised already (seen late) is taken by the next day's summary instead."""
    entries = [e for e in SummaryEntry.objects.filter(shop=ctx.shop, summary_key="") if e.payment_ids]
    if not entries:
        return []
    carried: set[str] = set()
    for ids in Summary.objects.filter(shop=ctx.shop, key__startswith="payout:").values_list("payment_ids", flat=True):
        carried.update(ids)
    late = [e.pk for e in entries if set(e.payment_ids) & carried]
    if late:
        SummaryEntry.objects.filter(pk__in=late, summary_key="").update(payment_ids=[])
    return [e for e in entries if e.pk not in late]


def _payout_summaries(ctx: SyncContext) -> list[tuple[str, SummaryHeader]]:
    """The paid-out payouts that carry waiting entries, each with its entries given to it."""
    waiting = _waiting_for_payout(ctx)
    if not waiting:
        return []
    earliest = min(e.txn_date for e in waiting)
    tz = ZoneInfo(ctx.mapping.timezone)
    found = []
    done = set(Summary.objects.filter(shop=ctx.shop, key__startswith="payout:").values_list("key", flat=True))
    # Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/objects/ShopifyPaymentsPayout
    # (status PAID: the money reached the bank; a paid payout never changes)
    for raw in shopify_payouts(ctx.shopify):
        key = f"payout:{raw['id']}"
        if raw.get("status") != "PAID" or key in done:
            continue
        day = parse_datetime(raw["issuedAt"]).astimezone(tz).date()
        if day < earliest:
            continue  # paid out before the first waiting sale: it cannot carry it
        payout = payout_read(ctx.shopify, raw)
        paid = {t.source_order_transaction_id for t in payout.transactions if t.source_order_transaction_id}
        mine = [e.pk for e in waiting if set(e.payment_ids) & paid]
        if not mine:
            continue
        SummaryEntry.objects.filter(pk__in=mine, summary_key="").update(summary_key=key)
        header = SummaryHeader(
            key=key,
            number=f"P{payout.number}",
            label=f"payout {payout.number}",
            txn_date=day,
            customer=ctx.mapping.customer,
        )
        _summary_row(ctx, header, payment_ids=sorted(paid))
        found.append((key, header))
    return found


def _day_summaries(ctx: SyncContext) -> list[tuple[str, SummaryHeader]]:
    """Days over in the shop's time zone, each taking the waiting entries of other gateways sold
    or refunded on or before it (a day already summarised passes its late entries on)."""
    closed = timezone.now().astimezone(ZoneInfo(ctx.mapping.timezone)).date() - timedelta(days=1)
    waiting = SummaryEntry.objects.filter(shop=ctx.shop, summary_key="", txn_date__lte=closed)
    entries = [e for e in waiting if not e.payment_ids]
    if not entries:
        return []
    written = set(Summary.objects.filter(shop=ctx.shop, key__startswith="day:").values_list("key", flat=True))
    targets: dict[str, list[int]] = {}
    for entry in entries:
        day = entry.txn_date if f"day:{entry.txn_date.isoformat()}" not in written else closed
        if f"day:{day.isoformat()}" in written:
            continue  # the last closed day is summarised already: the next one takes it
        targets.setdefault(day.isoformat(), []).append(entry.pk)
    found = []
    for day_text, pks in sorted(targets.items()):
        key = f"day:{day_text}"
        SummaryEntry.objects.filter(pk__in=pks, summary_key="").update(summary_key=key)
        day = date.fromisoformat(day_text)
        header = SummaryHeader(
            key=key,
            number=f"D{day:%Y%m%d}",
            label=f"sales of {day.isoformat()}",
            txn_date=day,
            customer=ctx.mapping.customer,
        )
        _summary_row(ctx, header, payment_ids=[])
        found.append((key, header))
    return found


def _summary_row(ctx: SyncContext, header: SummaryHeader, *, payment_ids: list[str]) -> Summary:
    summary, _ = Summary.objects.get_or_create(
        shop=ctx.shop,
        key=header.key,
        defaults={"label": header.label, "txn_date": header.txn_date, "payment_ids": payment_ids},
    )
    return summary


def _header(ctx: SyncContext, summary: Summary) -> SummaryHeader:
    kind = summary.key.partition(":")[0]
    number = summary.label.rsplit(" ", 1)[-1] if kind == "payout" else f"{summary.txn_date:%Y%m%d}"
    return SummaryHeader(
        key=summary.key,
        number=("P" if kind == "payout" else "D") + number,
        label=summary.label,
        txn_date=summary.txn_date,
        customer=ctx.mapping.customer,
    )


# ---- 3. writing a summary -----------------------------------------------------------------------


def summary_write(ctx: SyncContext, *, key: str, header: SummaryHeader) -> Outcome:
    """Write the summary's documents and attach its CSV; exactly once, safe to run again."""
    summary = Summary.objects.get(shop=ctx.shop, key=key)
    if summary.written_at is not None:
        return Outcome.UNCHANGED
    entries = list(SummaryEntry.objects.filter(shop=ctx.shop, summary_key=key).order_by("txn_date", "order_name"))
    if not entries:
        return Outcome.UNCHANGED
    try:
        documents = summary_ledger_documents(ctx, entries)
        summarised = summary_documents(documents, header)
    except ledger.LedgerError as exc:
        SyncIssue.objects.refused(shop=ctx.shop, refusal=exc, source_type=SourceType.SUMMARY, source_id=key)
        return Outcome.FAILED
    summarised = with_exchange_rates(summarised, ctx.mapping, ctx.exchange_rate)
    outcomes = [document_write(ctx, document) for document in summarised]
    if any(outcome not in DONE for outcome in outcomes):
        return Outcome.FAILED if Outcome.FAILED in outcomes else Outcome.BUSY
    if summarised and not summary.attachable_id:
        # Nothing to attach to when the orders now move no money (all of it refunded before).
        first = SyncedRecord.objects.get(
            shop=ctx.shop, source_type=SourceType.SUMMARY, source_id=summarised[0].source_id, kind=summarised[0].entity
        )
        summary.attachable_id = summary_attach(ctx, summary, first, entries)
    summary.orders = len({e.order_gid for e in entries})
    summary.total = sum((e.amount for e in entries), ledger.ZERO)
    summary.currency = entries[0].currency
    summary.written_at = timezone.now()
    summary.save(update_fields=["attachable_id", "orders", "total", "currency", "written_at"])
    SyncIssue.objects.resolve_for(shop=ctx.shop, source_type=SourceType.SUMMARY, source_id=key)
    return _first_of(outcomes)


def _first_of(outcomes: list[Outcome]) -> Outcome:
    for outcome in (Outcome.WRITTEN, Outcome.RECOVERED, Outcome.UPDATED):
        if outcome in outcomes:
            return outcome
    return Outcome.UNCHANGED


def summary_ledger_documents(ctx: SyncContext, entries: list[SummaryEntry]) -> list[ledger.Document]:
    """The per-order documents of the summary's sales and refunds, booked to the mapping's customer
    (a summary has no single buyer): as each entry keeps them when they still come to exactly what
    it says, else (an entry recorded before entries kept their documents) from the order as
    Shopify has it now, one read per order."""
    documents: list[ledger.Document] = []
    unread: dict[str, dict[tuple[str, str], Decimal]] = {}
    for entry in entries:
        kept = _kept_documents(ctx, entry)
        if kept is None:
            unread.setdefault(entry.order_gid, {})[(entry.unit, entry.source_id)] = entry.amount
        else:
            documents += kept
    for order_gid, wanted in unread.items():
        raw = fetch_order(ctx.shopify, order_gid)
        if raw is None:
            raise ledger.LedgerError("order_not_found", f"Shopify has no order {order_gid} (deleted?).")
        documents += _order_documents(ctx, parse_order(raw), wanted)
    return documents


def _kept_documents(ctx: SyncContext, entry: SummaryEntry) -> list[ledger.Document] | None:
    """The documents the entry keeps, naming the mapping's customer; None when it keeps none, or
    none that come to its amount (another version's, or unreadable)."""
    if not entry.documents:
        return None
    try:
        documents = [document_from_json(data) for data in entry.documents]
    except ValueError:
        log.warning("summary entry %s keeps documents that cannot be read; the order is read again", entry.pk)
        return None
    total = _receipts_total(documents)
    if (total if entry.unit == SummaryEntry.Unit.SALE else -total) != entry.amount:
        return None
    return [replace(d, customer=ctx.mapping.customer) for d in documents]


def _order_documents(ctx: SyncContext, order: Order, wanted: Iterable[tuple[str, str]]) -> list[ledger.Document]:
    """The order's documents of the ``wanted`` (unit, source id) sale and refunds."""
    wanted = set(wanted)
    planned = ledger.order_documents(order, ctx.mapping)
    # Refunds only when one is in the summary: a sale summarised while the ledger refused the
    # order's refunds (an issue of their own) does not refuse the summary holding it.
    if ctx.rules.sync_refunds and any(unit == SummaryEntry.Unit.REFUND for unit, _ in wanted):
        planned += ledger.refund_receipts(order, ctx.mapping) + ledger.refund_tender_entries(order, ctx.mapping)
    found = []
    for document in planned:
        unit = SummaryEntry.Unit.SALE if document.source_type == "order" else SummaryEntry.Unit.REFUND
        source = order.id if unit == SummaryEntry.Unit.SALE else document.source_id
        if (unit, source) in wanted:
            found.append(document)
    return found


def summary_csv(entries: Iterable[SummaryEntry]) -> str:
    """The orders a summary holds, one row per sale or refund: what the auditor drills down with."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for e in entries:
        writer.writerow([e.order_name, e.order_gid, e.unit, e.source_id, e.txn_date.isoformat(), e.amount, e.currency])
    return out.getvalue()


def summary_attach(ctx: SyncContext, summary: Summary, record: SyncedRecord, entries: list[SummaryEntry]) -> str:
    """Upload the CSV of the summary's orders, attached to its first document; the Attachable's id."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/workflows/attach-images-and-notes
    # (POST /upload, multipart: the Attachable's JSON and the file; python-quickbooks' create_object
    # with _file_bytes sends exactly that)
    metadata = {
        "AttachableRef": [{"EntityRef": {"type": record.kind, "value": record.qbo_id}, "IncludeOnSend": False}],
        "FileName": f"shopqb-{summary.key.replace(':', '-')}-orders.csv",
        "ContentType": "text/csv",
        "Note": f"The Shopify orders in ShopQB's summary of {summary.label}",
    }
    request_id = str(uuid.uuid5(REQUEST_ID_NAMESPACE, f"{ctx.shop.domain}|{summary.key}|Attachable"))
    data = summary_csv(entries).encode()
    # The client protocol names only what the rest of the app calls; the connection is
    # python-quickbooks' own client (with our timeouts and retries), which has create_object.
    uploader: Any = ctx.qb
    answer = qbo.call(
        lambda: uploader.create_object("Attachable", json.dumps(metadata), _file_bytes=data, request_id=request_id)
    )
    return str(answer["AttachableResponse"][0]["Attachable"]["Id"])
