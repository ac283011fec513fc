"""Ledger documents as JSON and back, exactly: what a summary entry keeps of its order's documents
(syncing/summary.py), so that its summary is built without reading the order again.

Every field of ``ledger.Document`` and of what it holds (Ref, DocLine, TaxCode, Address) is
written; amounts as strings (``str(Decimal)`` keeps every digit and the exponent, so ``"1.50"``
comes back as ``Decimal("1.50")``), dates in ISO form, tuples as lists. ``document_from_json``
gives back the same frozen dataclasses, equal to the ones written; data it cannot read (a missing
key, a wrong type) raises ``ValueError``.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from shopqb_app.integrations.shopify.parse import Address
from syncing.ledger.model import DocLine, Document, Ref, TaxCode

JSON = dict[str, Any]


# ---- to JSON ------------------------------------------------------------------------------------


def document_to_json(document: Document) -> JSON:
    """The document as JSON-ready values (str, bool, None, lists and dicts of them)."""
    return {
        "entity": document.entity,
        "source_type": document.source_type,
        "source_id": document.source_id,
        "source_name": document.source_name,
        "doc_number": document.doc_number,
        "txn_date": document.txn_date.isoformat(),
        "currency": document.currency,
        "customer": _ref_out(document.customer),
        "deposit_to": _ref_out(document.deposit_to),
        "lines": [_line_out(line) for line in document.lines],
        "total_tax": str(document.total_tax),
        "total": str(document.total),
        "private_note": document.private_note,
        "rounding": str(document.rounding),
        "links_to": document.links_to,
        "links_to_source": list(document.links_to_source) if document.links_to_source is not None else None,
        "order_id": document.order_id,
        "class_ref": _ref_out(document.class_ref) if document.class_ref is not None else None,
        "department": _ref_out(document.department) if document.department is not None else None,
        "tax_inclusive": document.tax_inclusive,
        "exchange_rate": str(document.exchange_rate) if document.exchange_rate is not None else None,
        "ship_to": _address_out(document.ship_to) if document.ship_to is not None else None,
    }


def _ref_out(ref: Ref) -> JSON:
    return {"value": ref.value, "name": ref.name}


def _tax_code_out(code: TaxCode) -> JSON:
    return {"ref": _ref_out(code.ref), "rates": [[rate_id, str(percent)] for rate_id, percent in code.rates]}


def _line_out(line: DocLine) -> JSON:
    return {
        "role": line.role,
        "item": _ref_out(line.item),
        "description": line.description,
        "qty": str(line.qty),
        "unit_price": str(line.unit_price),
        "amount": str(line.amount),
        "taxable": line.taxable,
        "tax_code": _tax_code_out(line.tax_code) if line.tax_code is not None else None,
        "taxes": [[rate_id, str(amount)] for rate_id, amount in line.taxes],
        "gross": str(line.gross) if line.gross is not None else None,
    }


def _address_out(address: Address) -> JSON:
    return {field.name: getattr(address, field.name) for field in fields(Address)}


# ---- from JSON ----------------------------------------------------------------------------------


def document_from_json(data: Any) -> Document:
    """The document ``document_to_json`` wrote; ValueError when ``data`` is not one."""
    try:
        return _document_in(data)
    except (KeyError, TypeError, AttributeError, InvalidOperation) as exc:
        raise ValueError(f"not a stored ledger document: {exc!r}") from exc


def _document_in(data: JSON) -> Document:
    links_to_source = data["links_to_source"]
    return Document(
        entity=_text(data["entity"]),
        source_type=_text(data["source_type"]),
        source_id=_text(data["source_id"]),
        source_name=_text(data["source_name"]),
        doc_number=_text(data["doc_number"]),
        txn_date=date.fromisoformat(_text(data["txn_date"])),
        currency=_text(data["currency"]),
        customer=_ref_in(data["customer"]),
        deposit_to=_ref_in(data["deposit_to"]),
        lines=tuple(_line_in(line) for line in _list(data["lines"])),
        total_tax=_decimal(data["total_tax"]),
        total=_decimal(data["total"]),
        private_note=_text(data["private_note"]),
        rounding=_decimal(data["rounding"]),
        links_to=_text(data["links_to"]),
        links_to_source=_pair(links_to_source) if links_to_source is not None else None,
        order_id=_text(data["order_id"]),
        class_ref=_ref_in(data["class_ref"]) if data["class_ref"] is not None else None,
        department=_ref_in(data["department"]) if data["department"] is not None else None,
        tax_inclusive=_bool(data["tax_inclusive"]),
        exchange_rate=_decimal(data["exchange_rate"]) if data["exchange_rate"] is not None else None,
        ship_to=_address_in(data["ship_to"]) if data["ship_to"] is not None else None,
    )


def _ref_in(data: JSON) -> Ref:
    return Ref(value=_text(data["value"]), name=_text(data["name"]))


def _tax_code_in(data: JSON) -> TaxCode:
    return TaxCode(ref=_ref_in(data["ref"]), rates=tuple(_amount_pair(p) for p in _list(data["rates"])))


def _line_in(data: JSON) -> DocLine:
    return DocLine(
        role=_text(data["role"]),
        item=_ref_in(data["item"]),
        description=_text(data["description"]),
        qty=_decimal(data["qty"]),
        unit_price=_decimal(data["unit_price"]),
        amount=_decimal(data["amount"]),
        taxable=_bool(data["taxable"]),
        tax_code=_tax_code_in(data["tax_code"]) if data["tax_code"] is not None else None,
        taxes=tuple(_amount_pair(p) for p in _list(data["taxes"])),
        gross=_decimal(data["gross"]) if data["gross"] is not None else None,
    )


def _address_in(data: JSON) -> Address:
    return Address(**{field.name: _text(data[field.name]) for field in fields(Address)})


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _decimal(value: Any) -> Decimal:
    """An amount written as a string (never a float: a float is not exact)."""
    return Decimal(_text(value))


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {value!r}")
    return value


def _pair(value: Any) -> tuple[str, str]:
    first, second = _list(value)
    return _text(first), _text(second)


def _amount_pair(value: Any) -> tuple[str, Decimal]:
    first, second = _list(value)
    return _text(first), _decimal(second)
