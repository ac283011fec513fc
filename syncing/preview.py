"""An order as it would be in the books: the preview of the setup, of ``manage.py shopqb
preview`` and of the test sync (syncing/trial_sync.py).

The preview turns the order into documents exactly as the sync does (``orders.order_plan``:
the sale documents given what is already booked, then the refund receipts where the merchant
syncs refunds) with the merchant's mapping; before go-live, objects still to be created appear
by name with an empty id. It reads Shopify and QuickBooks and writes nothing, anywhere. What it
shows, and the same as JSON, is in syncing/preview_data.py.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

import requests

from accounts import tokens
from accounts.clients import qbo_client, shopify_client
from accounts.models import QuickBooksConnection, Shop
from mappings import roles
from mappings import services as mapping_services
from mappings.models import AccountRole, AccountRoleMapping
from mappings.snapshot import MappingIncomplete, mapping_snapshot
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.errors import ShopifyError
from shopqb_app.integrations.shopify.fetch import changed_order_ids, fetch_order
from shopqb_app.integrations.shopify.parse import Order, parse_order
from syncing import ledger
from syncing.context import exchange_rates
from syncing.models import SyncedRecord
from syncing.orders import earlier_refunds_plan, kept_out_by_start_date, order_plan, skip_reason
from syncing.preview_data import (
    SALE_ENTITIES,
    ZERO,
    Preview,
    PreviewDocument,
    PreviewLine,
    PreviewTax,
    ShopifyLine,
    ShopifyOrder,
    TotalsCheck,
)

GID = re.compile(r"^gid://shopify/Order/\d+$")
ORDER_NUMBER = re.compile(r"^#?[A-Za-z0-9][A-Za-z0-9_-]{0,40}$")
# What reading or writing Shopify and QuickBooks may raise. Building a client reads Intuit's
# discovery document with plain requests, and a stored token may be refused: not QBOErrors.
VENDOR_ERRORS = (qbo.QBOError, ShopifyError, tokens.TokenRevoked, tokens.TokenRefreshFailed, requests.RequestException)
US_TAX_CODES = {"TAX": "Taxable", "NON": "Not taxable"}


class PreviewUnavailable(Exception):
    """No preview can be made: the shop is not connected, the order does not exist, or
    Shopify or QuickBooks cannot be reached. The message says which, in plain words."""


def connection_for(shop: Shop) -> QuickBooksConnection:
    """The shop's QuickBooks connection, or PreviewUnavailable saying to connect first."""
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    if connection is None or connection.status != QuickBooksConnection.Status.CONNECTED:
        raise PreviewUnavailable(f"{shop.domain} is not connected to QuickBooks: connect a company first.")
    return connection


def order_gid_for(*, shop: Shop, reference: str) -> str:
    """The order's GID from what a person typed: the GID itself, or the order number (#1001)."""
    reference = reference.strip()
    if GID.match(reference):
        return reference
    if not ORDER_NUMBER.match(reference):
        raise PreviewUnavailable(f"“{reference}” is not an order number (like #1001) or a Shopify order ID.")
    name = reference if reference.startswith("#") else f"#{reference}"
    try:
        # Reference: https://shopify.dev/docs/api/usage/search-syntax (name matches with or without "#")
        found = next(changed_order_ids(shopify_client(shop), search=f"name:{name}"), None)
    except VENDOR_ERRORS as exc:
        raise PreviewUnavailable(f"Shopify could not be read: {exc}") from exc
    if found is None:
        raise PreviewUnavailable(f"Shopify has no order {name} in {shop.domain}.")
    return found[0]


def order_fetch(shop: Shop, order_gid: str) -> dict[str, Any]:
    """The order as the sync reads it (fetch.fetch_order), every line item included."""
    if not GID.match(order_gid):
        raise PreviewUnavailable(f"“{order_gid}” is not a Shopify order ID (gid://shopify/Order/…).")
    try:
        raw = fetch_order(shopify_client(shop), order_gid)
    except VENDOR_ERRORS as exc:
        raise PreviewUnavailable(f"Shopify could not be read: {exc}") from exc
    if raw is None:
        raise PreviewUnavailable(f"Shopify has no order {order_gid} in {shop.domain}.")
    return raw


def order_preview(*, shop: Shop, order_gid: str) -> Preview:
    """What the sync would write for the order now, next to the order as Shopify has it.
    Reads Shopify and QuickBooks; writes nothing (no document, no record, no issue)."""
    connection = connection_for(shop)
    order = parse_order(order_fetch(shop, order_gid))
    try:
        return preview_build(shop, connection, order, qbo_client(connection))
    except VENDOR_ERRORS as exc:
        raise PreviewUnavailable(f"QuickBooks could not be read: {exc}") from exc


def _shopify_side(order: Order) -> ShopifyOrder:
    return ShopifyOrder(
        id=order.id,
        name=order.name,
        processed_on=order.processed_at.date(),
        currency=order.currency,
        presentment_currency=order.presentment_currency or order.currency,
        financial_status=order.financial_status,
        test=order.test,
        cancelled=order.cancelled_at is not None,
        taxes_included=order.taxes_included,
        gateways=tuple(sorted(set(order.gateways))),
        lines=tuple(
            ShopifyLine(
                name=li.name,
                sku=li.sku,
                quantity=li.quantity,
                unit_price=_to_the_cent_at_least(li.unit_price.shop.amount),
                amount=ledger.cents(li.unit_price.shop.amount * li.quantity),
            )
            for li in order.line_items
        ),
        shipping=ledger.cents(order.total_shipping.shop.amount),
        discounts=ledger.cents(order.total_discounts.shop.amount),
        tip=ledger.cents(order.total_tip.shop.amount),
        tax=ledger.cents(order.total_tax.shop.amount),
        total=ledger.cents(order.total_price.shop.amount),
        refunded=ledger.cents(order.total_refunded.shop.amount),
    )


def _to_the_cent_at_least(value: Decimal) -> Decimal:
    """24.0 as 24.00; a finer price (3.3333333) as it is."""
    return ledger.cents(value) if value == ledger.cents(value) else value


def _incomplete(exc: MappingIncomplete) -> str:
    """MappingIncomplete names roles by their code; the merchant knows them by their label."""
    names = str(exc).rpartition(": ")[2].split(", ")
    labels = [str(AccountRole(name).label) if name in AccountRole.values else name for name in names]
    return "Nothing can be booked yet: choose " + ", ".join(f"“{label}”" for label in labels) + " (Accounts)."


def preview_build(shop: Shop, connection: QuickBooksConnection, order: Order, qb: qbo.QuickBooks) -> Preview:
    """The preview of an order already fetched; reads QuickBooks (the items' accounts) and the
    records, writes nothing."""
    rules = mapping_services.settings_for(shop=shop)
    side = _shopify_side(order)
    try:
        mapping = mapping_snapshot(shop=shop, connection=connection, planned=not rules.is_live)
    except MappingIncomplete as exc:
        return Preview(shop=shop.domain, order=side, cannot_book=_incomplete(exc), planned=not rules.is_live)
    base = Preview(shop=shop.domain, order=side, planned=not rules.is_live, mapping_version=mapping.version)
    skip = skip_reason(order, rules, mapping)
    try:
        if skip and kept_out_by_start_date(order, rules=rules, mapping=mapping):
            plan = earlier_refunds_plan(order, mapping=mapping, rules=rules, rates=exchange_rates(qb))
        else:
            plan = order_plan(order, shop=shop, mapping=mapping, rules=rules, rates=exchange_rates(qb))
    except ledger.LedgerError as exc:
        return replace(base, skip_reason=skip, cannot_book=str(exc))
    if not plan.documents:
        return replace(base, skip_reason=skip or f"payment {order.financial_status.lower()}: no money moved")
    notes: list[str] = []
    if order.cancelled_at is not None:
        notes.append(
            "Cancelled: the sale stays in the month it was made; money paid back is a refund on the day it went back."
        )
    if plan.refunds_refused is not None:
        notes.append(f"Its refunds cannot be booked: {plan.refunds_refused}")
    refunded = ledger.cents(order.total_refunded.shop.amount)
    if not rules.sync_refunds and refunded:
        notes.append(f"{refunded} was refunded; refunds are not synced (What to sync): no refund receipt is written.")
    shown = _documents(shop, qb, mapping, plan.documents)
    notes.extend(_notes(plan.documents))
    checks = _checks(order, shown, refunds_synced=rules.sync_refunds)
    return replace(base, documents=shown, checks=checks, skip_reason=skip, notes=tuple(notes))


def _notes(documents: list[ledger.Document]) -> list[str]:
    notes = []
    for document in documents:
        if document.flagged:
            notes.append(
                f"{document.entity} {document.doc_number} carries a rounding line of {document.rounding} "
                "to match Shopify's total; it would be flagged for review."
            )
        if any(line.role == "refund_adjustment" for line in document.lines):
            notes.append(
                f"{document.entity} {document.doc_number} refunds money Shopify does not attribute to returned "
                "items: it is booked as a refund adjustment on the discount item."
            )
    return notes


def _documents(
    shop: Shop, qb: qbo.QuickBooks, mapping: ledger.Mapping, documents: list[ledger.Document]
) -> tuple[PreviewDocument, ...]:
    accounts = _item_accounts(shop, qb, mapping, documents)
    tax_names = _tax_code_names(shop)
    records = {
        (r.source_type, r.source_id, r.kind): r
        for r in SyncedRecord.objects.filter(shop=shop, source_id__in={d.source_id for d in documents})
    }
    shown = []
    for document in documents:
        lines = []
        for line in document.lines:
            if line.tax_code is not None:
                code, code_name = line.tax_code.ref.value, line.tax_code.ref.name or line.tax_code.ref.value
            else:
                code = mapping.taxable_code if line.taxable else mapping.exempt_code
                code_name = tax_names.get(code, code)
            lines.append(
                PreviewLine(
                    kind=line.role,
                    item=line.item,
                    description=line.description,
                    quantity=line.qty,
                    unit_price=line.unit_price,
                    amount=line.amount,
                    tax_code=code,
                    tax_code_name=code_name,
                    account=accounts.get(_item_key(line.item)),
                    gross=line.gross,
                )
            )
        record = records.get((document.source_type, document.source_id, document.entity))
        shown.append(
            PreviewDocument(
                entity=document.entity,
                doc_number=document.doc_number,
                txn_date=document.txn_date,
                currency=document.currency,
                customer=document.customer,
                deposit_to=None if document.entity == "Invoice" else document.deposit_to,
                class_ref=document.class_ref,
                department=document.department,
                lines=tuple(lines),
                total_tax=document.total_tax,
                total=document.total,
                rounding=document.rounding,
                state=_state(record, document.content_hash(mapping)),
                links_to=document.links_to,
                taxes=tuple(
                    PreviewTax(
                        rate_id=tax["TaxLineDetail"]["TaxRateRef"]["value"],
                        percent=tax["TaxLineDetail"]["TaxPercent"],
                        amount=tax["Amount"],
                        net=tax["TaxLineDetail"]["NetAmountTaxable"],
                    )
                    for tax in ledger.tax_detail(document.lines)
                ),
                tax_inclusive=document.tax_inclusive,
                exchange_rate=document.exchange_rate,
            )
        )
    return tuple(shown)


def _state(record: SyncedRecord | None, content_hash: str) -> str:
    status = SyncedRecord.Status
    if record is None or record.status in (status.PENDING, status.SKIPPED) or not record.qbo_id:
        return "would be created"
    if record.status == status.VOIDED:
        return "voided in QuickBooks: left as it is"
    if record.status == status.DELETED:
        return "deleted from QuickBooks: left as it is"
    if record.content_hash == content_hash:
        return "in QuickBooks already, unchanged"
    return "in QuickBooks already: would be updated"


def _item_key(item: ledger.Ref) -> str:
    return item.value or f"name:{item.name}"


def _item_accounts(
    shop: Shop, qb: qbo.QuickBooks, mapping: ledger.Mapping, documents: list[ledger.Document]
) -> dict[str, ledger.Ref]:
    """The income account of every item on the documents: QuickBooks' own for items that exist
    (one read), the role's account for the items go-live will create."""
    items = {line.item for document in documents for line in document.lines}
    accounts: dict[str, ledger.Ref] = {}
    ids = sorted({item.value for item in items if item.value})
    if ids:
        quoted = ", ".join("'" + value.replace("'", "") + "'" for value in ids)
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
        for row in qbo.query_all(qb, f"select * from Item where Id in ({quoted})", "Item"):  # noqa: S608 (ids are ours)
            ref = row.get("IncomeAccountRef") or {}
            if ref.get("value"):
                accounts[str(row["Id"])] = ledger.Ref(str(ref["value"]), str(ref.get("name") or ""))
    planned = {item for item in items if not item.value}
    if planned:
        rows = {m.role: m for m in AccountRoleMapping.objects.filter(shop=shop)}
        for spec in roles.ITEM_ROLES:
            item, account = getattr(mapping, spec.role, None), rows.get(spec.income_role)
            if item in planned and account is not None and account.is_set:
                accounts[_item_key(item)] = ledger.Ref(account.qbo_id, account.display)
    return accounts


def _tax_code_names(shop: Shop) -> dict[str, str]:
    names = dict(US_TAX_CODES)
    for row in AccountRoleMapping.objects.filter(
        shop=shop, role__in=[AccountRole.TAX_CODE_DEFAULT, AccountRole.TAX_CODE_EXEMPT]
    ).exclude(qbo_id=""):
        names[row.qbo_id] = row.qbo_name or row.qbo_id
    return names


def _shopify_taxes(order: Order) -> tuple[dict[Decimal, Decimal], Decimal]:
    """The tax Shopify charged on what is still sold, per rate (percent) the shop owes, and the
    tax the sales channel owes."""
    sold = ledger.sold_quantities(order)
    by_percent: dict[Decimal, Decimal] = {}
    channel = ZERO
    lines = [(li.tax_lines, sold[li.id], li.quantity) for li in order.line_items if sold[li.id] > 0]
    lines += [(sl.tax_lines, 1, 1) for sl in order.shipping_lines if sl.original_price.shop.amount]
    for tax_lines, quantity, ordered in lines:
        for tax in tax_lines:
            amount = tax.price.shop.amount
            if quantity != ordered and ordered:
                amount = ledger.cents(amount * quantity / ordered)
            if tax.channel_liable:
                channel += ledger.cents(amount)
            else:
                percent = (tax.rate or ZERO) * 100
                by_percent[percent] = by_percent.get(percent, ZERO) + ledger.cents(amount)
    return by_percent, channel


def _checks(order: Order, documents: tuple[PreviewDocument, ...], *, refunds_synced: bool) -> tuple[TotalsCheck, ...]:
    """Shopify's figures against the documents', to the cent."""
    sale = next((d for d in documents if d.entity in SALE_ENTITIES), None)
    checks = []
    if sale is not None:
        checks.append(TotalsCheck("Order total", ledger.cents(order.total_price.shop.amount), sale.total))
        by_percent, channel = _shopify_taxes(order)
        label = "Tax" if not channel else f"Tax the shop owes ({channel} more the sales channel remits)"
        checks.append(TotalsCheck(label, ledger.cents(order.total_tax.shop.amount) - channel, sale.total_tax))
        if sale.taxes:  # outside the US: rate by rate
            for percent, amount in sorted(by_percent.items()):
                booked = sum((tax.amount for tax in sale.taxes if tax.percent == percent), ZERO)
                checks.append(TotalsCheck(f"Tax at {percent.normalize():f}%", amount, booked))
    payments = [d for d in documents if d.entity == "Payment"]
    if payments:
        received, _ = ledger.received(order)
        checks.append(TotalsCheck("Payment received", received, sum((d.total for d in payments), ZERO)))
    refunds = [d for d in documents if d.entity == "RefundReceipt"]
    refunded = ledger.cents(order.total_refunded.shop.amount)
    if refunds_synced and (refunds or refunded):
        checks.append(TotalsCheck("Refunded", refunded, sum((d.total for d in refunds), ZERO)))
    return tuple(checks)
