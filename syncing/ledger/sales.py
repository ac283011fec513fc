"""Which documents an order is in the books: a SalesReceipt when paid, else an Invoice and the
Payment that follows it once money comes in."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

from shopqb_app.integrations.shopify.parse import Order, Transaction
from syncing.ledger import tenders
from syncing.ledger.dates import local_date, txn_date
from syncing.ledger.gateways import SALE_KINDS, primary_gateway, received
from syncing.ledger.lines import sale_lines
from syncing.ledger.model import Document, LedgerError, Mapping, check_currency, doc_number
from syncing.ledger.money import ZERO, cents
from syncing.ledger.vat import vat_sale_lines

PAID_STATUSES = frozenset({"PAID", "PARTIALLY_REFUNDED", "REFUNDED"})
UNPAID_STATUSES = frozenset({"PENDING", "AUTHORIZED", "PARTIALLY_PAID"})
NOTHING_TO_BOOK = frozenset({"VOIDED", "EXPIRED"})


def _note(order: Order, what: str) -> str:
    return f"Shopify order {order.name} ({order.id}); {what}. Written by ShopQB."


def _sale_document(order: Order, mapping: Mapping, entity: str) -> Document:
    check_currency(order.currency, mapping, order.name)
    if mapping.outside_us:
        lines, total_tax, residual = vat_sale_lines(order, mapping)
    else:
        lines, total_tax, residual = sale_lines(order, mapping)
    gateway = primary_gateway(order)
    gateways = ", ".join(sorted(set(order.gateways))) or gateway
    deposit_to = mapping.clearing_for(gateway)
    # An invoice's note never says how far it is paid: that changes, the invoice does not.
    what = f"paid via {gateways}" if entity == "SalesReceipt" else "invoiced"
    class_ref, department = mapping.dimensions_for(order)
    return Document(
        class_ref=class_ref,
        department=department,
        entity=entity,
        source_type="order",
        source_id=order.id,
        order_id=order.id,
        source_name=order.name,
        doc_number=doc_number(mapping.doc_number_prefix, order.name),
        txn_date=txn_date(order, mapping.timezone),
        currency=order.currency,
        customer=mapping.customer,
        deposit_to=deposit_to,
        lines=tuple(lines),
        total_tax=total_tax,
        total=cents(order.total_price.shop.amount),
        private_note=_note(order, what),
        rounding=residual,
        tax_inclusive=mapping.outside_us and order.taxes_included,
        ship_to=order.shipping_address,
    )


def sales_receipt(order: Order, mapping: Mapping) -> Document:
    """A paid order as a SalesReceipt into the clearing account of its gateway.

    Lines: each product at its original unit price, shipping at its original price,
    all discounts as one negative line, tips, and Shopify's own tax as the total
    tax (US automated sales tax). The receipt totals ``totalPriceSet``.
    """
    return _sale_document(order, mapping, "SalesReceipt")


def invoice(order: Order, mapping: Mapping) -> Document:
    """An order not (fully) paid when first booked: an Invoice, receivable from the customer."""
    return _sale_document(order, mapping, "Invoice")


def _payment(
    order: Order,
    mapping: Mapping,
    *,
    source: tuple[str, str],
    name: str,
    number: str,
    day: date,
    gateway: str,
    amount: Decimal,
    note: str,
    invoice: str = "",
) -> Document:
    """A Payment linked to the order's Invoice (``invoice`` "") or an edit's (its source id),
    deposited to the clearing account of ``gateway``."""
    check_currency(order.currency, mapping, order.name)
    return Document(
        entity="Payment",
        source_type=source[0],
        source_id=source[1],
        order_id=order.id,
        source_name=name,
        doc_number=doc_number(mapping.doc_number_prefix, number),
        txn_date=day,
        currency=order.currency,
        customer=mapping.customer,
        deposit_to=mapping.clearing_for(gateway),
        lines=(),
        total_tax=ZERO,
        total=amount,
        private_note=note,
        links_to="Invoice",
        links_to_source=("edit", invoice) if invoice else None,
    )


def payment(order: Order, mapping: Mapping, amount: Decimal, when: datetime | None) -> Document:
    """Money received on an invoiced order, as one Payment for all of it: how orders invoiced before
    payments were booked one per transaction keep their Payment (``order_documents``)."""
    gateway = primary_gateway(order)
    return _payment(
        order,
        mapping,
        source=("order", order.id),
        name=order.name,
        number=order.name,
        day=local_date(when or order.processed_at, mapping.timezone),
        gateway=gateway,
        amount=amount,
        note=_note(order, f"payment received via {gateway}"),
    )


def transaction_payment(
    order: Order, transaction: Transaction, number: int, amount: Decimal, mapping: Mapping, invoice: str = ""
) -> Document:
    """One payment on an invoiced order, as Shopify took it: its own date, its own gateway's
    clearing account, linked to the order's Invoice (``invoice`` "") or to an edit's (its source id)."""
    suffix = f"@{invoice}" if invoice else ""
    return _payment(
        order,
        mapping,
        source=("transaction", transaction.id + suffix),
        name=f"{order.name} payment {number}",
        number=f"{order.name}-P{number}",
        day=local_date(transaction.processed_at or order.processed_at, mapping.timezone),
        gateway=transaction.gateway,
        amount=amount,
        note=f"Shopify transaction {transaction.id} of order {order.name} ({order.id}); "
        f"payment {number}, via {transaction.gateway}. Written by ShopQB.",
        invoice=invoice,
    )


def invoice_payments(
    order: Order, mapping: Mapping, invoices: list[tuple[str, Decimal]], prepaid: Decimal = ZERO
) -> list[Document]:
    """One Payment per sale or capture, oldest first, applied to ``invoices`` in turn ((``""`` for the
    order's own Invoice or an edit's source id, what it is for)); the first ``prepaid`` was taken
    by the sales receipt. A payment that settles one invoice and part of the next is one Payment
    per invoice. A gift card or store credit payment also gets the entry taking it off its liability."""
    paid = [t for t in order.transactions if t.kind in SALE_KINDS and t.status == "SUCCESS" and t.amount.shop.amount]
    paid.sort(key=lambda t: (t.processed_at is None, t.processed_at, t.id))
    owed = [(key, amount) for key, amount in invoices if amount > 0]
    documents: list[Document] = []
    skip = prepaid
    number = 0
    for transaction in paid:
        left = cents(transaction.amount.shop.amount)
        covered = min(left, skip)
        left, skip = left - covered, skip - covered
        while left > 0 and owed:
            key, open_amount = owed[0]
            amount = min(left, open_amount)
            number += 1
            documents.append(transaction_payment(order, transaction, number, amount, mapping, key))
            entry = tenders.payment_tender_entry(order, transaction, number, mapping, amount, key)
            if entry is not None:
                documents.append(entry)
            left -= amount
            owed[0] = (key, open_amount - amount)
            if not owed[0][1]:
                owed.pop(0)
    return documents


def cancelled_invoice_credit(order: Order, invoiced: Document, mapping: Mapping) -> Document | None:
    """A cancelled order that was invoiced and never paid: a CreditMemo of the same lines and tax on
    the day it was cancelled, so the month it was sold keeps its revenue and the receivable goes.
    Paid in full: nothing (the refund, if the money went back, is its own document). Money taken
    for part of it: the unpaid rest cannot be told apart line by line, so such an order is refused
    for the merchant to settle by hand."""
    assert order.cancelled_at is not None
    taken, _ = received(order)
    if taken >= invoiced.total:
        return None
    if taken:
        raise LedgerError(
            "cancelled_partly_paid",
            f"{order.name} was cancelled after {taken} {order.currency} of its {invoiced.total} was paid; "
            "ShopQB cannot tell which lines the unpaid part was for. Settle its invoice in QuickBooks by hand "
            "(a credit memo for the unpaid part); nothing more was written.",
        )
    return dataclasses.replace(
        invoiced,
        entity="CreditMemo",
        doc_number=doc_number(mapping.doc_number_prefix, f"{order.name}-C"),
        txn_date=local_date(order.cancelled_at, mapping.timezone),
        private_note=_note(order, "cancelled unpaid: its invoice is credited"),
    )


def order_documents(order: Order, mapping: Mapping, booked: frozenset[str] = frozenset()) -> list[Document]:
    """What an order should be in the books, given its state now and what was booked before.

    Paid when first seen: a SalesReceipt (and, when it was paid by more than one tender or by
    a gift card or store credit, the journal entry that moves those shares). Not yet paid: an
    Invoice, and a Payment against it for each payment Shopify takes (an invoiced order stays on
    that path). A voided or expired authorization moved no money: nothing to book.
    """
    status = order.financial_status
    if "Invoice" in booked or ("SalesReceipt" not in booked and status in UNPAID_STATUSES):
        documents = [invoice(order, mapping)]
        if "Payment" in booked:
            # Invoiced before payments were booked one per transaction: its one Payment stays the one.
            amount, when = received(order)
            if amount:
                documents.append(payment(order, mapping, min(amount, documents[0].total), when))
            return documents
        documents += invoice_payments(order, mapping, [("", documents[0].total)])
        credit = cancelled_invoice_credit(order, documents[0], mapping) if order.cancelled_at else None
        if credit is not None:
            documents.append(credit)
        return documents
    if "SalesReceipt" in booked or status in PAID_STATUSES:
        entry = tenders.sale_tender_entry(order, mapping)
        return [sales_receipt(order, mapping), *([entry] if entry is not None else [])]
    if status in NOTHING_TO_BOOK:
        return []
    raise LedgerError(
        "unsupported_financial_status",
        f"{order.name} has the payment status {status or '(none)'}, which ShopQB does not book; it was not written.",
    )
