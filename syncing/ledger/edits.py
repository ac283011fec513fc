"""Order edits after the sale was booked: what changed, as a document of its own.

A booked sale is never rewritten because the order changed later: the month it was sold keeps its
revenue and the tax already filed stays as filed. What an edit changed is the difference between
the sale as it would be booked now and what is in the books for it (the sale and any earlier
edits), booked on the day the change was seen: items added are an Invoice (a receivable, until the
customer pays the difference), items removed are a CreditMemo (the customer's credit, until the
money goes back). The difference is taken line by line on the QuickBooks bodies themselves, so it
is exact whatever the books hold, and per tax rate outside the US.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from syncing.ledger.lines import priced_line
from syncing.ledger.model import DocLine, Document, Mapping, Ref, TaxCode
from syncing.ledger.money import ZERO

# One line of a sales body, as far as an edit can change it: item, tax code, unit price, description.
LineKey = tuple[str, str, str, str]


@dataclasses.dataclass
class _Sums:
    qty: Decimal = ZERO
    amount: Decimal = ZERO
    gross: Decimal = ZERO
    item: dict[str, Any] = dataclasses.field(default_factory=dict)


def _dec(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0))


def _key(line: dict[str, Any]) -> LineKey | None:
    detail = line.get("SalesItemLineDetail")
    if line.get("DetailType") != "SalesItemLineDetail" or not isinstance(detail, dict):
        return None
    return (
        str((detail.get("ItemRef") or {}).get("value", "")),
        str((detail.get("TaxCodeRef") or {}).get("value", "")),
        str(_dec(detail.get("UnitPrice")).normalize()),
        str(line.get("Description") or ""),
    )


def _line_sums(bodies: Iterable[tuple[dict[str, Any], Decimal]]) -> dict[LineKey, _Sums]:
    sums: dict[LineKey, _Sums] = {}
    for body, sign in bodies:
        for line in body.get("Line") or []:
            key = _key(line)
            if key is None:
                continue
            detail = line["SalesItemLineDetail"]
            entry = sums.setdefault(key, _Sums(item=dict(detail.get("ItemRef") or {})))
            entry.qty += sign * _dec(detail.get("Qty", 1))
            entry.amount += sign * _dec(line.get("Amount"))
            entry.gross += sign * _dec(detail.get("TaxInclusiveAmt", line.get("Amount")))
    return sums


def _tax_sums(bodies: Iterable[tuple[dict[str, Any], Decimal]]) -> dict[str, Decimal]:
    """Tax per QuickBooks rate id ("" for a US document's one total)."""
    out: dict[str, Decimal] = {}
    for body, sign in bodies:
        detail = body.get("TxnTaxDetail") or {}
        rates = detail.get("TaxLine") or []
        if not rates:
            out[""] = out.get("", ZERO) + sign * _dec(detail.get("TotalTax"))
        for tax in rates:
            rate_id = str(((tax.get("TaxLineDetail") or {}).get("TaxRateRef") or {}).get("value", ""))
            out[rate_id] = out.get(rate_id, ZERO) + sign * _dec(tax.get("Amount"))
    return out


def _booked(entity: str) -> Decimal:
    """How a booked document counts toward the sale: a credit memo takes away."""
    return Decimal(-1) if entity == "CreditMemo" else Decimal(1)


def edit_document(
    planned: Document,
    booked: list[tuple[str, dict[str, Any]]],
    mapping: Mapping,
    *,
    number: int,
    day: date,
) -> Document | None:
    """The document that brings what is booked for a sale (``booked``: (entity, QuickBooks body) of
    the sale and of each earlier edit) to ``planned``, the sale as it would be booked now; None when
    the order's total did not change (a new mapping or a change of form is never an edit)."""
    booked_total = sum((_booked(entity) * _dec(body.get("TotalAmt")) for entity, body in booked), ZERO)
    change = planned.total - booked_total
    if not change:
        return None
    now = planned.as_qbo(mapping)
    before = [(body, _booked(entity)) for entity, body in booked]
    lines_now, lines_before = _line_sums([(now, Decimal(1))]), _line_sums(before)
    taxes_now, taxes_before = _tax_sums([(now, Decimal(1))]), _tax_sums(before)
    sign = Decimal(1) if change > 0 else Decimal(-1)  # a credit memo's lines are the credit, positive
    codes = _codes(mapping)
    lines = []
    for key in sorted(set(lines_now) | set(lines_before)):
        new, old = lines_now.get(key, _Sums()), lines_before.get(key, _Sums())
        amount = sign * (new.amount - old.amount)
        if not amount:
            continue
        item_ref, tax_code, _price, description = key
        item = new.item or old.item
        qty = abs(new.qty - old.qty) or Decimal(1)
        code = codes.get(tax_code)
        line = priced_line(
            "edit",
            Ref(str(item.get("value", item_ref)), str(item.get("name", ""))),
            description,
            int(qty) if qty == qty.to_integral_value() else 1,
            amount,
            tax_code == mapping.taxable_code,
        )
        gross = sign * (new.gross - old.gross) if planned.tax_inclusive else None
        lines.append(dataclasses.replace(line, tax_code=code, gross=gross))
    tax_change = {rate: sign * (taxes_now.get(rate, ZERO) - taxes_before.get(rate, ZERO)) for rate in taxes_now}
    for rate in taxes_before:
        tax_change.setdefault(rate, -sign * taxes_before[rate])
    lines = _with_rate_taxes(lines, tax_change)
    total_tax = sum(tax_change.values(), ZERO)
    entity = "Invoice" if change > 0 else "CreditMemo"
    what = "items added" if change > 0 else "items removed"
    return dataclasses.replace(
        planned,
        entity=entity,
        source_type="edit",
        source_id=f"{planned.order_id}#{number}",
        source_name=f"{planned.source_name} edit {number}",
        doc_number=f"{planned.doc_number}-E{number}"[-21:],
        txn_date=day,
        lines=tuple(lines),
        total_tax=total_tax,
        total=abs(change),
        private_note=f"Shopify order {planned.source_name} ({planned.order_id}) edited: {what}, "
        f"{abs(change)} {planned.currency}. Edit {number}. Written by ShopQB.",
        rounding=ZERO,
        links_to="",
    )


def _codes(mapping: Mapping) -> dict[str, TaxCode]:
    codes = {code.ref.value: code for code in mapping.tax_codes.values()}
    if mapping.untaxed_code is not None:
        codes[mapping.untaxed_code.ref.value] = mapping.untaxed_code
    return codes


def _with_rate_taxes(lines: list[DocLine], tax_change: dict[str, Decimal]) -> list[DocLine]:
    """Outside the US each rate's change of tax rides on the first changed line of a code with
    that rate (QuickBooks states tax per rate for the whole document: the total per rate is exact)."""
    placed: set[str] = set()
    out = []
    for line in lines:
        if line.tax_code is None:
            out.append(line)
            continue
        taxes = []
        for rate_id, _percent in line.tax_code.rates:
            if rate_id in tax_change and rate_id not in placed:
                taxes.append((rate_id, tax_change[rate_id]))
                placed.add(rate_id)
        out.append(dataclasses.replace(line, taxes=tuple(taxes)))
    return out
