"""An order edited after its sale was booked: the sale stays as it is in QuickBooks and the change
is booked on its own (``ledger.edit_document`` says how), unless the merchant chose to rewrite
sales and the sale's date is after QuickBooks' closing date.

The booked side is read back from QuickBooks (the sale and every edit written for the order), so
the difference is what the books really hold. Payments after an edit pay the edit's invoice.
"""

from __future__ import annotations

import dataclasses
import logging
from decimal import Decimal

from mappings.catalog import catalog_read
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.parse import Order
from syncing import ledger
from syncing.context import SyncContext
from syncing.models import SourceType, SyncedRecord
from syncing.writing import stable_request_id

log = logging.getLogger(__name__)

SALE_ENTITIES = ("SalesReceipt", "Invoice")


def with_edits(ctx: SyncContext, order: Order, documents: list[ledger.Document]) -> list[ledger.Document]:
    """``documents`` as the sync should write them, given what is booked: a booked sale whose order
    changed since is replaced by the documents of the change."""
    sale = next((d for d in documents if d.source_type == SourceType.ORDER and d.entity in SALE_ENTITIES), None)
    if sale is None:
        return documents
    record = _synced(ctx, SourceType.ORDER, order.id, sale.entity)
    if record is None:  # not booked yet: it will be booked as the order stands now
        return _overpayments_left_out(ctx, order, documents, sale)
    if record.drift_holds:  # changed or deleted in QuickBooks by a person: left as it is (syncing/cdc.py)
        return documents
    # One query more per order already booked (the sync's usual case is a new order: none).
    edits = sorted(
        SyncedRecord.objects.filter(
            shop=ctx.shop, source_type=SourceType.EDIT, order_gid=order.id, status=SyncedRecord.Status.SYNCED
        ).exclude(qbo_id=""),
        key=lambda r: int(r.source_id.rsplit("#", 1)[-1]),
    )
    if record.content_hash == sale.content_hash(ctx.mapping) and not edits:
        # The sale is (or will be) booked as the order stands now, edits included.
        return _overpayments_left_out(ctx, order, documents, sale)
    if ctx.rules.rewrite_edited_sales and _after_closing(ctx, sale):
        return documents
    booked = [(r.kind, qbo.read(ctx.qb, r.kind, r.qbo_id)) for r in (record, *edits)]
    day = ledger.local_date(order.updated_at, ctx.mapping.timezone)
    edit = ledger.edit_document(sale, booked, ctx.mapping, number=len(edits) + 1, day=day)
    if edit is None and not edits:
        # The books already hold the order's total (a new form of document, a new mapping): the
        # sale stays as written and is not read back again.
        SyncedRecord.objects.filter(pk=record.pk).update(content_hash=sale.content_hash(ctx.mapping))
    # The sale's own payments are planned again below: they pay the sale's invoice and the edits'.
    # Its tender entry stays as it was booked with the sale (or not at all): money taken after the
    # edit is a Payment of the edit, into its own gateway's clearing account.
    kept = [
        d
        for d in documents
        if d is not sale
        and not (d.entity == "Payment" or _payment_entry(d))
        and not (d.entity == "JournalEntry" and d.source_type == SourceType.ORDER)
    ]
    invoices = [(r.source_id, r.amount or Decimal(0)) for r in edits if r.kind == "Invoice"]
    if edit is not None:
        kept.append(edit)
        if edit.entity == "Invoice":
            invoices.append((edit.source_id, edit.total))
    booked_total = Decimal(str(booked[0][1].get("TotalAmt", 0)))
    if sale.entity == "Invoice":
        payments = ledger.invoice_payments(order, ctx.mapping, [("", booked_total), *invoices])
    else:
        payments = ledger.invoice_payments(order, ctx.mapping, invoices, prepaid=booked_total)
    credit = sum((r.amount or Decimal(0) for r in edits if r.kind == "CreditMemo"), Decimal(0))
    if edit is not None and edit.entity == "CreditMemo":
        credit += edit.total
    return _credits_paid_back(ctx, order, kept, credit) + payments


def _credits_paid_back(
    ctx: SyncContext, order: Order, documents: list[ledger.Document], credit: Decimal
) -> list[ledger.Document]:
    """Money paid back for items an edit removed: the edit's credit memo already took the sale back,
    so the refund only moves money (the customer's credit, out of the clearing account) instead of
    taking the revenue back a second time. Refunds of money alone (no items, no shipping, one
    tender) are matched to the credit in the order they happened, while it lasts."""
    if not credit:
        return documents
    out = []
    receivable: ledger.Ref | None = None
    for document in documents:
        money_only = document.entity == "RefundReceipt" and all(
            line.role == "refund_adjustment" for line in document.lines
        )
        split = any(d.entity == "JournalEntry" and d.source_id == document.source_id for d in documents)
        if not money_only or split or document.total > credit:
            out.append(document)
            continue
        receivable = receivable or _receivable(ctx, order.currency)
        credit -= document.total
        lines = (
            ledger.DocLine(
                "receivable",
                receivable,
                "Credit for items removed, paid back",
                Decimal(1),
                document.total,
                document.total,
                False,
            ),
            ledger.DocLine(
                "refund", document.deposit_to, "Paid back", Decimal(1), -document.total, -document.total, False
            ),
        )
        out.append(
            dataclasses.replace(
                document,
                entity="JournalEntry",
                lines=lines,
                total_tax=Decimal(0),
                rounding=Decimal(0),
                ship_to=None,
                private_note=f"{document.private_note} Pays back the credit of an order edit.",
            )
        )
    return out


def _receivable(ctx: SyncContext, currency: str) -> ledger.Ref:
    """The company's Accounts Receivable account for ``currency`` (one per currency with multicurrency)."""
    accounts = catalog_read(shop=ctx.shop, qb=ctx.qb).accounts_of(("Accounts Receivable",))
    home = ctx.mapping.home_currency or currency
    for account in accounts:
        if (account.currency or home) == currency:
            return ledger.Ref(account.id, account.name)
    raise ledger.LedgerError(
        "money_account_unmapped",
        f"QuickBooks has no Accounts Receivable account in {currency} for the credit of an order edit.",
    )


def _overpayments_left_out(
    ctx: SyncContext, order: Order, documents: list[ledger.Document], sale: ledger.Document
) -> list[ledger.Document]:
    """A sale booked at the order's total after an edit removed items already leaves out what the
    customer paid for them: a refund that only gives that money back takes no revenue back and
    moves no money the books hold. It is recorded as skipped, with the reason."""
    overpaid = ledger.overpayment_refunds(order, sale.total)
    if not overpaid:
        return documents
    for document in documents:
        if document.source_type == SourceType.REFUND and document.source_id in overpaid:
            SyncedRecord.objects.get_or_create(
                shop=ctx.shop,
                source_type=SourceType.REFUND,
                source_id=document.source_id,
                kind=document.entity,
                defaults={
                    "source_name": document.source_name,
                    "order_gid": order.id,
                    "status": SyncedRecord.Status.SKIPPED,
                    "last_error": "gives back what the customer paid for items an edit removed before the sale "
                    "was booked; the sale already leaves them out",
                    "request_id": stable_request_id(ctx.shop, document.source_id, document.entity),
                },
            )
    return [d for d in documents if not (d.source_type == SourceType.REFUND and d.source_id in overpaid)]


def _payment_entry(document: ledger.Document) -> bool:
    """A tender entry of an invoice payment (it is planned again with its payment)."""
    return document.entity == "JournalEntry" and document.source_type == SourceType.TRANSACTION


def _synced(ctx: SyncContext, source_type: str, source_id: str, kind: str) -> SyncedRecord | None:
    return (
        SyncedRecord.objects.filter(
            shop=ctx.shop, source_type=source_type, source_id=source_id, kind=kind, status=SyncedRecord.Status.SYNCED
        )
        .exclude(qbo_id="")
        .first()
    )


def _after_closing(ctx: SyncContext, sale: ledger.Document) -> bool:
    """Whether the sale is dated after the date QuickBooks' books are closed through."""
    closed = qbo.closing_date(ctx.qb)
    return closed is None or sale.txn_date > closed
