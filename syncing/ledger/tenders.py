"""Split tenders: money one document's single deposit account cannot show.

A QuickBooks SalesReceipt, RefundReceipt or Payment has one deposit account. A sale paid partly by
card and partly by PayPal, a gift card or store credit is deposited whole to the clearing account of
its main tender (``gateways.primary_of``); one journal entry on the same day then moves each other
tender's share to where that money really is: another gateway's clearing account, or the gift card
or store credit liability, which a redemption reduces (it is not new money). A refund split over
tenders is moved back the same way (a refund to a gift card credits the liability again). A tender
that is itself a liability (an order paid wholly by gift card) is deposited to its clearing account
and moved out of it at once, so that account always nets to zero.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from shopqb_app.integrations.shopify.parse import Order, Refund, Transaction
from syncing.ledger.dates import local_date, txn_date
from syncing.ledger.gateways import SALE_KINDS, liability_role, primary_gateway, primary_of, tender_totals
from syncing.ledger.model import DocLine, Document, Mapping, Ref, doc_number
from syncing.ledger.money import ZERO

REFUND_KINDS = frozenset({"REFUND"})
TENDER_WORDS = {"gift_card_liability": "gift card", "store_credit_liability": "store credit"}


def tender_moves(
    totals: dict[str, Decimal], primary: str, mapping: Mapping, what: str, *, refund: bool = False
) -> list[DocLine]:
    """Postings that move each tender's money out of the primary tender's clearing account: a debit
    where the money is (another clearing account, or the liability a gift card or store credit
    reduces) and the matching credit to the primary clearing account. Empty when nothing moves.
    ``refund``: described as money paid back (the caller reverses the postings)."""
    source = mapping.clearing_for(primary)
    amounts: dict[str, Decimal] = {}
    refs: dict[str, Ref] = {source.value: source}
    labels: dict[str, str] = {}
    for gateway, amount in sorted(totals.items()):
        role = liability_role(gateway)
        if role:
            target = mapping.account_for(role, what)
            words = TENDER_WORDS[role].capitalize()
            labels[target.value] = f"{words} refunded to the customer" if refund else f"{words} spent"
        elif gateway == primary:
            continue
        else:
            target = mapping.clearing_for(gateway)
            labels.setdefault(target.value, f"Paid back via {gateway}" if refund else f"Paid via {gateway}")
        if target.value == source.value:
            continue
        refs.setdefault(target.value, target)
        amounts[target.value] = amounts.get(target.value, ZERO) + amount
        amounts[source.value] = amounts.get(source.value, ZERO) - amount
    where = source.name or primary
    labels[source.value] = (
        f"The other tenders' share, back into {where}" if refund else f"The other tenders' share, out of {where}"
    )
    return [
        DocLine("tender", refs[account], labels[account], Decimal(1), amount, amount, False)
        for account, amount in sorted(amounts.items(), key=lambda kv: (kv[1] < 0, kv[0]))
        if amount
    ]


def _entry(
    mapping: Mapping,
    *,
    source: tuple[str, str],
    order: Order,
    name: str,
    number: str,
    day: date,
    lines: list[DocLine],
    note: str,
) -> Document | None:
    if not lines:
        return None
    class_ref, department = mapping.dimensions_for(order)
    return Document(
        entity="JournalEntry",
        source_type=source[0],
        source_id=source[1],
        order_id=order.id,
        source_name=name,
        doc_number=number,
        txn_date=day,
        currency=order.currency,
        customer=mapping.customer,
        deposit_to=lines[-1].item,
        lines=tuple(lines),
        total_tax=ZERO,
        total=sum((line.amount for line in lines if line.amount > 0), ZERO),
        private_note=f"{note} Written by ShopQB.",
        class_ref=class_ref,
        department=department,
    )


def sale_tender_entry(order: Order, mapping: Mapping) -> Document | None:
    """The journal entry that puts a paid order's other tenders where they belong, or None."""
    primary = primary_gateway(order)
    totals = tender_totals(order.transactions, SALE_KINDS)
    lines = tender_moves(totals, primary, mapping, f"{order.name} (paid by {', '.join(sorted(totals))})")
    return _entry(
        mapping,
        source=("order", order.id),
        order=order,
        name=f"{order.name} tenders",
        number=doc_number(mapping.doc_number_prefix, f"{order.name}-T"),
        day=txn_date(order, mapping.timezone),
        lines=lines,
        note=f"Shopify order {order.name} ({order.id}): split over {', '.join(sorted(totals))}; "
        f"the sales receipt went to the {primary} clearing account.",
    )


def payment_tender_entry(
    order: Order, transaction: Transaction, number: int, mapping: Mapping, amount: Decimal, invoice: str = ""
) -> Document | None:
    """For a payment on an invoiced order made with a gift card or store credit (``amount`` of it, to
    the invoice ``invoice`` as ``sales.invoice_payments`` names it): the entry that takes it out of
    that tender's clearing account and off its liability, or None."""
    gateway = transaction.gateway
    if not liability_role(gateway):
        return None
    what = f"{order.name} payment {number}"
    return _entry(
        mapping,
        source=("transaction", transaction.id + (f"@{invoice}" if invoice else "")),
        order=order,
        name=f"{what} ({gateway})",
        number=doc_number(mapping.doc_number_prefix, f"{order.name}-P{number}T"),
        day=local_date(transaction.processed_at or order.processed_at, mapping.timezone),
        lines=tender_moves({gateway: amount}, gateway, mapping, what),
        note=f"Shopify transaction {transaction.id} of order {order.name} ({order.id}): paid by {gateway}.",
    )


def refund_tender_entry(order: Order, refund: Refund, number: int, mapping: Mapping) -> Document | None:
    """The journal entry that takes a refund split over tenders back from each of them (a refund to
    a gift card or store credit credits that liability again), or None."""
    totals = tender_totals(refund.transactions, REFUND_KINDS)
    primary = primary_of(totals)
    what = f"{order.name} refund {number}"
    # A refund moves money the other way: each posting of a sale's move, reversed.
    lines = [
        DocLine(line.role, line.item, line.description, line.qty, -line.unit_price, -line.amount, False)
        for line in reversed(tender_moves(totals, primary, mapping, what, refund=True))
    ]
    return _entry(
        mapping,
        source=("refund", refund.id),
        order=order,
        name=f"{what} tenders",
        number=doc_number("R", f"{order.name}-{number}T"),
        day=local_date(refund.created_at or order.processed_at, mapping.timezone),
        lines=lines,
        note=f"Shopify refund {refund.id} of order {order.name} ({order.id}): split over {', '.join(sorted(totals))}; "
        f"the refund receipt came from the {primary} clearing account.",
    )


def numbered_refunds(order: Order) -> list[tuple[int, Refund]]:
    """The order's refunds in the order they happened, numbered from 1 as their documents are."""
    ordered = sorted(order.refunds, key=lambda r: (r.created_at is None, r.created_at, r.id))
    return list(enumerate(ordered, 1))


def refund_tender_entries(order: Order, mapping: Mapping) -> list[Document]:
    """The tender entries of every refund of the order that was split over tenders."""
    entries = (refund_tender_entry(order, refund, number, mapping) for number, refund in numbered_refunds(order))
    return [entry for entry in entries if entry is not None]
