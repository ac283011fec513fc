"""US sales tax when a document is written: the company's tax code named next to Shopify's tax
(QuickBooks' override of its own sales tax), and the plain reason when QuickBooks booked its own
tax all the same (a company on the classic sales tax setup, or one that does not let apps
override it).

The code is read from the company once an hour (one query), never guessed: QuickBooks refuses a
TxnTaxCodeRef it does not have.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.cache import cache

from shopqb_app.integrations.quickbooks import client as qbo
from syncing import ledger
from syncing.context import SyncContext
from syncing.ledger import taxes as ledger_taxes

CODE_CACHE_SECONDS = 3600
# The documents QuickBooks puts sales tax on (TxnTaxDetail).
TAXED_ENTITIES = ("SalesReceipt", "Invoice", "RefundReceipt", "CreditMemo")


def override_code(ctx: SyncContext) -> ledger.Ref | None:
    """The tax code the company's documents name next to Shopify's tax (None: it has none)."""
    key = f"shopqb:us-tax-code:v1:{ctx.connection.realm_id}"
    cached = cache.get(key)
    if cached is None:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/taxcode
        rows = qbo.query_all(ctx.qb, "select * from TaxCode", "TaxCode")
        ref = ledger_taxes.us_override_code(rows)
        cached = [ref.value, ref.name] if ref is not None else []
        cache.set(key, cached, CODE_CACHE_SECONDS)
    return ledger.Ref(cached[0], cached[1]) if cached else None


def with_override(ctx: SyncContext, body: dict[str, Any]) -> dict[str, Any]:
    """A US document's body with the company's tax code next to its TotalTax, so that QuickBooks
    takes Shopify's tax instead of working out its own; any other body as it is."""
    tax = body.get("TxnTaxDetail")
    if ctx.mapping.outside_us or not isinstance(tax, dict) or "TotalTax" not in tax:
        return body
    code = override_code(ctx)
    return body if code is None else ledger_taxes.us_tax_override(body, code)


def tax_not_taken(ctx: SyncContext, document: ledger.Document, written: qbo.Written) -> str | None:
    """Why a US document QuickBooks answered with another total than Shopify's differs, when the
    difference is its sales tax: QuickBooks put its own tax on it instead of the amount sent.
    None when the tax is Shopify's (the difference is something else) or cannot be read."""
    if ctx.mapping.outside_us or document.entity not in TAXED_ENTITIES:
        return None
    try:
        found = qbo.read(ctx.qb, document.entity, written.id)
    except qbo.QBOError:
        return None
    stated = (found.get("TxnTaxDetail") or {}).get("TotalTax")
    theirs = Decimal(str(stated if stated is not None else 0))
    if theirs == document.total_tax:
        return None
    return (
        f"{document.entity} {document.doc_number} for {document.source_name}: QuickBooks put {theirs} of sales tax "
        f"on it, not the {document.total_tax} the customer paid in Shopify, so it totals {written.total} instead of "
        f"{document.total}. This QuickBooks company works out sales tax itself and did not take the amount "
        "ShopQB sent."
    )
