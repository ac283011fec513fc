"""One order in the books: fetched fresh, checked against the merchant's rules,
turned into documents by the ledger (``order_plan``, which the preview shows too)
and written (syncing/writing.py). A cancelled order keeps its sale; what it paid back is a refund.

Every function here may run twice, concurrently or after a crash: the writes
they make are exactly-once on their own.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Shop
from mappings.models import SyncSettings
from shopqb_app.integrations.shopify.fetch import fetch_order
from shopqb_app.integrations.shopify.parse import Order, parse_order
from syncing import ledger, pending
from syncing.context import ExchangeRates, ShopNotReady, SyncContext, context_open, with_exchange_rates
from syncing.customers import CustomerBusy, CustomerRefused, planned_customer, with_order_customer
from syncing.edits import with_edits
from syncing.models import Outcome, SourceType, SyncedRecord, SyncIssue
from syncing.summary import order_summarised
from syncing.writing import document_write, stable_request_id

log = logging.getLogger(__name__)

# What an order's documents came to, most urgent first: one failed document fails the order.
WORST_FIRST = (
    Outcome.FAILED,
    Outcome.BUSY,
    Outcome.WRITTEN,
    Outcome.UPDATED,
    Outcome.RECOVERED,
    Outcome.VOIDED,
)


def skip_reason(order: Order, rules: SyncSettings, mapping: ledger.Mapping) -> str:
    """Why the merchant's rules keep this order out of the books, or '' (mappings.models.SyncSettings)."""
    if not rules.sync_orders:
        return "orders are not synced (What to sync)"
    return rules.skip_reason(
        test=order.test,
        booked_on=ledger.txn_date(order, mapping.timezone),
        total=ledger.cents(order.total_price.shop.amount),
        location_id=order.location_id,
        channel=order.source_name or "web",
        tags=order.tags,
    )


@dataclass(frozen=True)
class OrderPlan:
    """The documents the sync would write for an order now: its sale documents, then its refund
    receipts where the merchant syncs refunds."""

    documents: list[ledger.Document]
    # The ledger refused the refunds: the sale documents are written without them.
    refunds_refused: ledger.LedgerError | None = None


def order_plan(
    order: Order, *, shop: Shop, mapping: ledger.Mapping, rules: SyncSettings, rates: ExchangeRates | None = None
) -> OrderPlan:
    """What the sync writes for the order (the preview shows the same). Raises
    ledger.LedgerError when the sale cannot be booked; no documents: no money moved.
    ``rates``: the company's exchange rate for a currency on a day, for documents in a
    currency other than its home currency (without it QuickBooks applies its own). The documents
    name the order's customer (syncing/customers.py: ``planned_customer``)."""
    customer = planned_customer(shop, order, mapping, rules)
    if customer != mapping.customer:
        mapping = dataclasses.replace(mapping, customer=customer)
    documents = ledger.order_documents(order, mapping, order_booked(shop, order))
    if documents and rules.sync_refunds:
        try:
            refunds = ledger.refund_receipts(order, mapping) + ledger.refund_tender_entries(order, mapping)
        except ledger.LedgerError as exc:
            return OrderPlan(with_exchange_rates(documents, mapping, rates), refunds_refused=exc)
        documents += refunds
    return OrderPlan(with_exchange_rates(documents, mapping, rates))


def earlier_refunds_plan(
    order: Order, *, mapping: ledger.Mapping, rules: SyncSettings, rates: ExchangeRates | None = None
) -> OrderPlan:
    """An order sold before the sync start date is not in ShopQB's books, but a refund of it made
    on or after that date is money going back now: it is booked on its own date (against the
    default customer, labelled as a refund of an earlier sale), so revenue is never overstated."""
    if not rules.sync_refunds or rules.start_date is None:
        return OrderPlan([])
    refunds = ledger.refund_receipts(order, mapping) + ledger.refund_tender_entries(order, mapping)
    kept = [
        dataclasses.replace(doc, private_note=f"Refund of a sale from before the sync start date. {doc.private_note}")
        for doc in refunds
        if doc.txn_date >= rules.start_date
    ]
    return OrderPlan(with_exchange_rates(kept, mapping, rates))


def order_booked(shop: Shop, order: Order) -> frozenset[str]:
    """The kinds of the order's own documents in QuickBooks (an invoiced order stays invoiced)."""
    return frozenset(
        SyncedRecord.objects.filter(
            shop=shop, source_type=SourceType.ORDER, source_id=order.id, status=SyncedRecord.Status.SYNCED
        )
        .exclude(qbo_id="")
        .values_list("kind", flat=True)
    )


def order_sync(*, shop_id: int, order_gid: str) -> Outcome:
    """One order, fetched fresh by GraphQL (never booked from a webhook body)."""
    try:
        ctx = context_open(shop_id)
    except ShopNotReady as exc:
        log.info("order %s not synced: %s", order_gid, exc)
        return Outcome.NOT_READY
    raw = fetch_order(ctx.shopify, order_gid)
    if raw is None:
        order_not_found(ctx.shop, order_gid)
        return Outcome.FAILED
    return order_process(ctx, raw)


def order_process(ctx: SyncContext, raw: dict[str, Any]) -> Outcome:
    """Bring one order's documents in QBO in line with the order as Shopify has it now."""
    order = parse_order(raw)
    outcome = _order_process(ctx, order)
    order_settled(ctx.shop, order, outcome)
    return outcome


def order_settled(shop: Shop, order: Order, outcome: Outcome) -> None:
    """Remember the version of the order its records now reflect (not after a failure)."""
    if outcome not in (Outcome.FAILED, Outcome.BUSY):
        _order_records(shop, order).exclude(status=SyncedRecord.Status.FAILED).update(
            source_updated_at=order.updated_at
        )


def order_is_current(shop: Shop, gid: str, updated_at: datetime) -> bool:
    """Whether everything booked for the order already reflects this version of it."""
    records = list(SyncedRecord.objects.filter(shop=shop, source_type=SourceType.ORDER, source_id=gid))
    settled = {SyncedRecord.Status.SYNCED, SyncedRecord.Status.SKIPPED, SyncedRecord.Status.VOIDED}
    return bool(records) and all(
        r.status in settled and r.source_updated_at is not None and r.source_updated_at >= updated_at for r in records
    )


def order_not_found(shop: Shop, order_gid: str) -> None:
    SyncIssue.objects.raise_for(
        shop=shop,
        code="order_not_found",
        message=f"Shopify has no order {order_gid} (deleted?)",
        source_type=SourceType.ORDER,
        source_id=order_gid,
        retryable=False,
    )


def _order_process(ctx: SyncContext, order: Order) -> Outcome:
    prepared = order_prepare(ctx, order)
    if isinstance(prepared, Outcome):
        return prepared
    return worst([document_write(prepared.ctx, document) for document in prepared.documents])


@dataclass(frozen=True)
class OrderWrite:
    """An order's documents to write, with the context they were planned in (its customer)."""

    ctx: SyncContext
    documents: list[ledger.Document]


def order_prepare(ctx: SyncContext, order: Order) -> OrderWrite | Outcome:
    """The order's documents to write now, or the Outcome that leaves nothing to write (skipped,
    refused by the ledger, summarised, busy). syncing/batches.py writes many orders' at once."""
    # A cancelled order keeps its sale: the money it returned is a refund on the day it went back,
    # and money the merchant kept stays booked (voiding would change a closed month's revenue).
    reason = skip_reason(order, ctx.rules, ctx.mapping)
    if reason and not sold_before_start(order, ctx):
        _order_skipped(ctx.shop, order, reason)
        return Outcome.SKIPPED
    try:
        if reason:
            _order_skipped(ctx.shop, order, reason)  # the sale is not ShopQB's to book
            ctx = with_order_customer(ctx, order, decide=False)
            plan = earlier_refunds_plan(order, mapping=ctx.mapping, rules=ctx.rules, rates=ctx.exchange_rate)
            if not plan.documents:
                return Outcome.SKIPPED
        else:
            plan = order_plan(order, shop=ctx.shop, mapping=ctx.mapping, rules=ctx.rules, rates=ctx.exchange_rate)
            # The order's customer (syncing/customers.py), decided once it has something to book:
            # planned again once decided, so the documents name exactly that customer.
            if plan.documents:
                ctx = with_order_customer(ctx, order)
                if any(doc.customer != ctx.mapping.customer for doc in plan.documents):
                    plan = order_plan(
                        order, shop=ctx.shop, mapping=ctx.mapping, rules=ctx.rules, rates=ctx.exchange_rate
                    )
        documents = with_edits(ctx, order, plan.documents)
    except ledger.LedgerError as exc:
        SyncIssue.objects.refused(shop=ctx.shop, refusal=exc, source_type=SourceType.ORDER, source_id=order.id)
        return Outcome.FAILED
    except CustomerBusy:
        # No record of the order's own holds it yet: the queue asks again, so that a sweep
        # that moves past the order does not drop it.
        pending.enqueue_order_sync(shop_id=ctx.shop.pk, order_gid=order.id)
        return Outcome.BUSY
    except CustomerRefused as exc:
        SyncIssue.objects.raise_for(
            shop=ctx.shop, code="customer_refused", message=str(exc), source_type=SourceType.ORDER, source_id=order.id
        )
        return Outcome.FAILED
    if not plan.documents:
        _order_skipped(ctx.shop, order, f"payment {order.financial_status.lower()}: no money moved")
        return Outcome.SKIPPED
    if (refused := plan.refunds_refused) is not None:
        SyncIssue.objects.raise_for(
            shop=ctx.shop, code=refused.code, message=str(refused), source_type=SourceType.ORDER, source_id=order.id
        )
    if not reason and order_summarised(ctx, order, documents):
        return Outcome.SUMMARISED  # posting mode "summary": its payout's or day's summary books it
    return OrderWrite(ctx, documents)


def _order_records(shop: Shop, order: Order) -> QuerySet[SyncedRecord]:
    """Every record of the order: its sale documents, its payments, its edits and its refunds."""
    refund_ids = [refund.id for refund in order.refunds]
    return SyncedRecord.objects.filter(
        Q(source_type=SourceType.ORDER, source_id=order.id)
        | Q(source_type=SourceType.REFUND, source_id__in=refund_ids)
        | Q(source_type__in=(SourceType.TRANSACTION, SourceType.EDIT), order_gid=order.id),
        shop=shop,
    )


def sold_before_start(order: Order, ctx: SyncContext) -> bool:
    """Whether the merchant's rules keep the order out only because it was sold before the start date."""
    return kept_out_by_start_date(order, rules=ctx.rules, mapping=ctx.mapping)


def kept_out_by_start_date(order: Order, *, rules: SyncSettings, mapping: ledger.Mapping) -> bool:
    """``sold_before_start`` for a caller without a sync context (the preview)."""
    start = rules.start_date
    if start is None or ledger.txn_date(order, mapping.timezone) >= start:
        return False
    without_start = copy.copy(rules)
    without_start.start_date = None
    return not skip_reason(order, without_start, mapping)


def _order_skipped(shop: Shop, order: Order, reason: str) -> None:
    """Remember why an order is not in the books; never over a document we already wrote."""
    record, created = SyncedRecord.objects.get_or_create(
        shop=shop,
        source_type=SourceType.ORDER,
        source_id=order.id,
        kind="SalesReceipt",
        defaults={
            "source_name": order.name,
            "order_gid": order.id,
            "status": SyncedRecord.Status.SKIPPED,
            "last_error": reason,
            "request_id": stable_request_id(shop, order.id, "SalesReceipt"),
        },
    )
    if not created:
        record.mark_skipped(reason=reason)


def worst(outcomes: list[Outcome]) -> Outcome:
    """What an order's documents came to, said as one outcome (syncing/batches.py too)."""
    for outcome in WORST_FIRST:
        if outcome in outcomes:
            return outcome
    return Outcome.UNCHANGED
