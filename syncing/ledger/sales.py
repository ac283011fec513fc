"""Which documents an order is in the books: a SalesReceipt when paid, else an Invoice and the
Payment that follows it once money comes in."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from shopqb_app.integrations.shopify.parse import Order
from syncing.ledger.dates import local_date, txn_date
from syncing.ledger.gateways import primary_gateway, received
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
    what = f"paid via {gateways}" if entity == "SalesReceipt" else f"payment {order.financial_status.lower()}"
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


def payment(order: Order, mapping: Mapping, amount: Decimal, when: datetime | None) -> Document:
    """Money received on an invoiced order: a Payment linked to its Invoice, into the clearing account."""
    check_currency(order.currency, mapping, order.name)
    gateway = primary_gateway(order)
    day = local_date(when or order.processed_at, mapping.timezone)
    return Document(
        entity="Payment",
        source_type="order",
        source_id=order.id,
        order_id=order.id,
        source_name=order.name,
        doc_number=doc_number(mapping.doc_number_prefix, order.name),
        txn_date=day,
        currency=order.currency,
        customer=mapping.customer,
        deposit_to=mapping.clearing_for(gateway),
        lines=(),
        total_tax=ZERO,
        total=amount,
        private_note=_note(order, f"payment received via {gateway}"),
        links_to="Invoice",
    )


def order_documents(order: Order, mapping: Mapping, booked: frozenset[str] = frozenset()) -> list[Document]:
    """What an order should be in the books, given its state now and what was booked before.

    Paid when first seen: a SalesReceipt. Not yet paid: an Invoice, and a Payment
    against it once money comes in (an invoiced order stays on that path). A voided
    or expired authorization moved no money: nothing to book.
    """
    status = order.financial_status
    if "Invoice" in booked or ("SalesReceipt" not in booked and status in UNPAID_STATUSES):
        documents = [invoice(order, mapping)]
        amount, when = received(order)
        if amount:
            documents.append(payment(order, mapping, min(amount, documents[0].total), when))
        return documents
    if "SalesReceipt" in booked or status in PAID_STATUSES:
        return [sales_receipt(order, mapping)]
    if status in NOTHING_TO_BOOK:
        return []
    raise LedgerError(
        "unsupported_financial_status",
        f"{order.name} has the payment status {status or '(none)'}, which ShopQB does not book; it was not written.",
    )
