"""Summary posting: many orders' documents as a few, the way A2X posts a settlement.

The input is exactly what per-order posting would write (``sales``, ``refunds``, ``tenders``):
SalesReceipts, RefundReceipts and the journal entries that move split tenders. The output is one
document per kind of document and per set of header fields that a line cannot carry on its own
(where the money was deposited, the currency, tax-inclusive prices, the Class, the Department);
its lines are the input lines added up per item, tax code and role. Nothing is recomputed: every
account receives exactly what the per-order documents would have put there, so the general ledger
ends the same in both modes and the payout's Deposit still clears the Shopify Payments account to
the cent.

Invoices, payments and edit documents are not summarised (an invoice is a receivable someone
chases, per customer): a caller keeps such orders in per-order posting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from syncing.ledger.model import DocLine, Document, LedgerError, Ref, TaxCode
from syncing.ledger.money import UNIT_PRICE, ZERO, cents

SUMMARY = "summary"
# What a summary can hold, in the order its documents are written.
ENTITIES = ("SalesReceipt", "RefundReceipt", "JournalEntry")
LINE_LABELS = {
    "product": "Sales",
    "shipping": "Shipping",
    "discount": "Discounts",
    "tip": "Tips",
    "gift_card": "Gift cards sold",
    "rounding": "Rounding",
    "duties": "Duties",
    "refund_adjustment": "Refund adjustments",
}


@dataclass(frozen=True)
class SummaryHeader:
    """What the summary documents say about themselves: ``key`` names the summary once and for all
    (``payout:<Shopify payout id>`` or ``day:<YYYY-MM-DD>``), ``number`` is the short form put in
    DocNumbers (a payout's number, a day as YYYYMMDD), ``label`` is said in words."""

    key: str
    number: str
    label: str
    txn_date: date
    customer: Ref


# (entity, deposit_to, currency, tax_inclusive, Class, Department): what one summary document
# shares over all its lines.
_Group = tuple[str, Ref, str, bool, Ref | None, Ref | None]
# (role, item or account, tax code, taxable, sign for journal lines)
_LineKey = tuple[str, Ref, TaxCode | None, bool, int]


def _group_of(document: Document) -> _Group:
    if document.entity not in ENTITIES:
        raise LedgerError(
            "summary_unsupported",
            f"{document.entity} {document.doc_number} cannot be part of a summary; the order is posted on its own.",
        )
    # A journal entry's postings name their accounts: one entry takes them all.
    deposit_to = Ref("") if document.entity == "JournalEntry" else document.deposit_to
    return (
        document.entity,
        deposit_to,
        document.currency,
        document.tax_inclusive,
        document.class_ref,
        document.department,
    )


def group_source_id(key: str, group: _Group) -> str:
    """The summary document's source id: the summary's key and a short, stable digest of its group
    (one summary may need a SalesReceipt per clearing account, Class...)."""
    entity, deposit_to, currency, inclusive, class_ref, department = group
    text = "|".join(
        [
            entity,
            deposit_to.value,
            currency,
            str(inclusive),
            class_ref.value if class_ref else "",
            department.value if department else "",
        ]
    )
    return f"{key}|{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def summary_documents(documents: Sequence[Document], header: SummaryHeader) -> list[Document]:
    """The summary documents for ``documents`` (each a per-order document), SalesReceipts first.

    Their totals add up to the input's, per group, to the cent; a document of a kind a summary
    cannot hold refuses the whole summary (LedgerError)."""
    groups: dict[_Group, list[Document]] = {}
    for document in documents:
        groups.setdefault(_group_of(document), []).append(document)
    ordered = sorted(groups, key=lambda g: (ENTITIES.index(g[0]), group_source_id(header.key, g)))
    out = []
    counters: dict[str, int] = {}
    for group in ordered:
        entity = group[0]
        counters[entity] = counters.get(entity, 0) + 1
        out.append(_summary_document(groups[group], group, header, counters[entity]))
    total_in = sum((d.total for d in documents if d.entity != "JournalEntry"), ZERO)
    total_out = sum((d.total for d in out if d.entity != "JournalEntry"), ZERO)
    if total_in != total_out:  # a bug, never a rounding: every amount is added as it is
        raise LedgerError("summary_mismatch", f"{header.label}: the summary totals {total_out}, not {total_in}.")
    return out


_PREFIX = {"SalesReceipt": "S", "RefundReceipt": "R", "JournalEntry": "J"}


def _summary_document(documents: list[Document], group: _Group, header: SummaryHeader, n: int) -> Document:
    entity, deposit_to, currency, inclusive, class_ref, department = group
    journal = entity == "JournalEntry"
    lines = _journal_lines(documents) if journal else _sales_lines(documents)
    source_id = group_source_id(header.key, group)
    total = sum((line.amount for line in lines if line.amount > 0), ZERO) if journal else _sum_total(documents)
    count = len({d.order_id or d.source_id for d in documents})
    return Document(
        entity=entity,
        source_type=SUMMARY,
        source_id=source_id,
        source_name=header.label[:64],
        # "SP" + payout number or "SD" + day, a letter for the kind and the group's number: 21 at most.
        doc_number=f"S{header.number}{_PREFIX[entity]}{n}"[-21:],
        txn_date=header.txn_date,
        currency=currency,
        customer=header.customer,
        deposit_to=documents[0].deposit_to if journal else deposit_to,
        lines=tuple(lines),
        total_tax=sum((d.total_tax for d in documents), ZERO),
        total=total,
        private_note=(
            f"ShopQB summary of {count} Shopify order{'s' if count != 1 else ''} ({header.label}); "
            f"the orders are listed in the attached CSV. {source_id}. Written by ShopQB."
        ),
        rounding=sum((d.rounding for d in documents), ZERO),
        class_ref=class_ref,
        department=department,
        tax_inclusive=inclusive,
    )


def _sum_total(documents: Iterable[Document]) -> Decimal:
    return sum((d.total for d in documents), ZERO)


def _sales_lines(documents: Iterable[Document]) -> list[DocLine]:
    """Lines added up per (role, item, tax code, taxable): the amounts, the tax per rate, the gross
    and (for products) the quantities."""
    sums: dict[_LineKey, list[DocLine]] = {}
    for document in documents:
        for line in document.lines:
            sums.setdefault((line.role, line.item, line.tax_code, line.taxable, 0), []).append(line)
    return [_merged(key, sums[key]) for key in sorted(sums, key=_line_order)]


def _line_order(key: _LineKey) -> tuple[str, str, str, bool, int]:
    """One order of lines whatever order the documents came in: the same summary, the same body."""
    role, item, tax_code, taxable, sign = key
    return (role, item.value, tax_code.ref.value if tax_code else "", taxable, sign)


def _merged(key: _LineKey, parts: list[DocLine]) -> DocLine:
    role, item, tax_code, taxable, _ = key
    amount = sum((p.amount for p in parts), ZERO)
    taxes: dict[str, Decimal] = {}
    for part in parts:
        for rate_id, tax in part.taxes:
            taxes[rate_id] = taxes.get(rate_id, ZERO) + tax
    grosses = [p.gross for p in parts if p.gross is not None]
    gross = sum(grosses, ZERO) if grosses else None
    qty, unit_price = _quantity(role, parts, amount)
    label = LINE_LABELS.get(role, role.replace("_", " ").capitalize())
    return DocLine(
        role=role,
        item=item,
        description=f"{label}: {item.name}" if item.name else label,
        qty=qty,
        unit_price=unit_price,
        amount=amount,
        taxable=taxable,
        tax_code=tax_code,
        taxes=tuple(sorted(taxes.items())),
        gross=gross,
    )


def _quantity(role: str, parts: list[DocLine], amount: Decimal) -> tuple[Decimal, Decimal]:
    """Products keep their quantity (an inventory item's stock moves by it) with the average price,
    when Qty x UnitPrice still comes to the amount at QBO's precision; anything else is 1 x amount."""
    qty = sum((p.qty for p in parts), Decimal(0))
    if role == "product" and qty != 0:
        price = (amount / qty).quantize(UNIT_PRICE, rounding=ROUND_HALF_UP)
        if cents(qty * price) == amount:
            return qty, price
    return Decimal(1), amount


def _journal_lines(documents: Iterable[Document]) -> list[DocLine]:
    """Journal postings added up per (account, role), debits and credits apart: an account both
    debited and credited keeps both, as the per-order entries had them."""
    sums: dict[_LineKey, Decimal] = {}
    for document in documents:
        for line in document.lines:
            key: _LineKey = (line.role, line.item, None, False, 1 if line.amount > 0 else -1)
            sums[key] = sums.get(key, ZERO) + line.amount
    lines = []
    for key in sorted(sums, key=_line_order):
        amount = sums[key]
        if not amount:
            continue
        role, item, _, _, sign = key
        what = "moved in" if sign > 0 else "moved out"
        lines.append(DocLine(role, item, f"{item.name or role}: {what}", Decimal(1), amount, amount, False))
    debits = sum((line.amount for line in lines if line.amount > 0), ZERO)
    credits = sum((line.amount for line in lines if line.amount < 0), ZERO)
    if debits + credits != 0:
        raise LedgerError("summary_mismatch", f"The summary journal entry does not balance ({debits} vs {credits}).")
    return lines
