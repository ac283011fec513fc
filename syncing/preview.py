"""An order as it would be in the books (the preview), and one order written for real to prove
it (the test sync).

The preview runs the ledger exactly as the sync does (``ledger.order_documents``, then
``ledger.refund_receipts``, given what is already booked) with the merchant's mapping; before
go-live, objects still to be created appear by name with an empty id. It reads Shopify and
QuickBooks and writes nothing, anywhere.

The test sync writes one order through the sync itself (``orders.order_process``, which writes
through ``writing.document_write``), after creating what the merchant confirmed
(``mapping_materialize``), then reads each document back from QuickBooks and compares it line
by line and total by total. A kept document is an ordinary SyncedRecord: the sync never writes
it twice. A removed one is deleted from QuickBooks before go-live, and its record starts over.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import requests

from accounts import tokens
from accounts.clients import qbo_client, shopify_client
from accounts.models import QuickBooksConnection, Shop
from mappings import roles
from mappings import services as mapping_services
from mappings.models import AccountRole, AccountRoleMapping, GatewayMapping, ProductMapping
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.errors import ShopifyError
from shopqb_app.integrations.shopify.fetch import changed_order_ids, fetch_order
from shopqb_app.integrations.shopify.parse import Order, parse_order
from syncing import ledger
from syncing.context import SyncContext, claim_lease
from syncing.models import SourceType, SyncedRecord, SyncIssue
from syncing.orders import order_process, skip_reason

ZERO = Decimal("0.00")
GID = re.compile(r"^gid://shopify/Order/\d+$")
ORDER_NUMBER = re.compile(r"^#?[A-Za-z0-9][A-Za-z0-9_-]{0,40}$")
# What reading or writing Shopify and QuickBooks may raise. Building a client reads Intuit's
# discovery document with plain requests, and a stored token may be refused: not QBOErrors.
VENDOR_ERRORS = (qbo.QBOError, ShopifyError, tokens.TokenRevoked, tokens.TokenRefreshFailed, requests.RequestException)
SALE_ENTITIES = frozenset({"SalesReceipt", "Invoice"})
# Deleted before the sale document: a payment applies to its invoice, a refund to its sale.
DELETE_FIRST = ("Payment", "RefundReceipt")
US_TAX_CODES = {"TAX": "Taxable", "NON": "Not taxable"}
ENTITY_LABELS = {
    "SalesReceipt": "Sales receipt",
    "Invoice": "Invoice",
    "Payment": "Payment",
    "RefundReceipt": "Refund receipt",
}


class PreviewUnavailable(Exception):
    """No preview can be made: the shop is not connected, the order does not exist, or
    Shopify or QuickBooks cannot be reached. The message says which, in plain words."""


class TestSyncRefused(Exception):
    """The test sync cannot run (or be undone) now; ``reasons`` say what to do first."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


# --- what the preview shows ---------------------------------------------------------------------


@dataclass(frozen=True)
class ShopifyLine:
    name: str
    sku: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class ShopifyOrder:
    """The order as Shopify has it, in the shop's currency."""

    id: str
    name: str
    processed_on: date
    currency: str
    presentment_currency: str
    financial_status: str
    test: bool
    cancelled: bool
    taxes_included: bool
    gateways: tuple[str, ...]
    lines: tuple[ShopifyLine, ...]
    shipping: Decimal
    discounts: Decimal
    tip: Decimal
    tax: Decimal
    total: Decimal
    refunded: Decimal

    @property
    def payment(self) -> str:
        """The status and gateways as the merchant says them: “Partially refunded via Shopify Payments”."""
        status = self.financial_status.replace("_", " ").lower().capitalize()
        gateways = ", ".join(roles.gateway_label(gateway) for gateway in self.gateways)
        return f"{status} via {gateways}" if gateways else status


@dataclass(frozen=True)
class PreviewLine:
    kind: str  # product, shipping, discount, tip, gift_card, rounding, refund_adjustment
    item: ledger.Ref
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_code: str
    tax_code_name: str
    account: ledger.Ref | None  # the item's income account, where known


@dataclass(frozen=True)
class PreviewDocument:
    entity: str
    doc_number: str
    txn_date: date
    currency: str
    customer: ledger.Ref
    deposit_to: ledger.Ref | None  # None for an invoice: it is owed, not deposited
    class_ref: ledger.Ref | None
    department: ledger.Ref | None
    lines: tuple[PreviewLine, ...]
    total_tax: Decimal
    total: Decimal
    rounding: Decimal
    state: str  # what the sync would do with it now, in plain words
    links_to: str = ""

    @property
    def label(self) -> str:
        return ENTITY_LABELS.get(self.entity, self.entity)

    @property
    def flagged(self) -> bool:
        return self.rounding != ZERO

    @property
    def adds_up(self) -> bool:
        """Lines plus tax come to the total (a payment has no lines: nothing to add up)."""
        return not self.lines or sum((line.amount for line in self.lines), ZERO) + self.total_tax == self.total


@dataclass(frozen=True)
class TotalsCheck:
    label: str
    shopify: Decimal
    quickbooks: Decimal | None  # None: QuickBooks has no such figure (nothing was read back)

    @property
    def ok(self) -> bool:
        return self.quickbooks is not None and ledger.cents(self.shopify) == ledger.cents(self.quickbooks)


@dataclass(frozen=True)
class Preview:
    shop: str
    order: ShopifyOrder
    documents: tuple[PreviewDocument, ...] = ()
    checks: tuple[TotalsCheck, ...] = ()
    skip_reason: str = ""  # the merchant's rules keep it out of the books
    cannot_book: str = ""  # the ledger refuses it: why, for the merchant
    notes: tuple[str, ...] = ()
    planned: bool = False  # objects still to be created at go-live appear by name
    mapping_version: int = 0

    @property
    def matches(self) -> bool:
        """Every document adds up and every total equals Shopify's, to the cent."""
        return (
            bool(self.documents)
            and not self.cannot_book
            and all(document.adds_up for document in self.documents)
            and all(check.ok for check in self.checks)
        )


def _connection(shop: Shop) -> QuickBooksConnection:
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


def _fetch(shop: Shop, order_gid: str) -> dict[str, Any]:
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
    connection = _connection(shop)
    order = parse_order(_fetch(shop, order_gid))
    try:
        return _preview(shop, connection, order, qbo_client(connection))
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


def _booked(shop: Shop, order: Order) -> frozenset[str]:
    """The order's documents already in QuickBooks, as the sync counts them."""
    return frozenset(
        SyncedRecord.objects.filter(
            shop=shop, source_type=SourceType.ORDER, source_id=order.id, status=SyncedRecord.Status.SYNCED
        )
        .exclude(qbo_id="")
        .values_list("kind", flat=True)
    )


def _incomplete(exc: mapping_services.MappingIncomplete) -> str:
    """MappingIncomplete names roles by their code; the merchant knows them by their label."""
    names = str(exc).rpartition(": ")[2].split(", ")
    labels = [str(AccountRole(name).label) if name in AccountRole.values else name for name in names]
    return "Nothing can be booked yet: choose " + ", ".join(f"“{label}”" for label in labels) + " (Accounts)."


def _preview(shop: Shop, connection: QuickBooksConnection, order: Order, qb: qbo.QuickBooks) -> Preview:
    rules = mapping_services.settings_for(shop=shop)
    side = _shopify_side(order)
    try:
        mapping = mapping_services.mapping_snapshot(shop=shop, connection=connection, planned=not rules.is_live)
    except mapping_services.MappingIncomplete as exc:
        return Preview(shop=shop.domain, order=side, cannot_book=_incomplete(exc), planned=not rules.is_live)
    base = Preview(shop=shop.domain, order=side, planned=not rules.is_live, mapping_version=mapping.version)
    if order.cancelled_at is not None:
        return replace(base, skip_reason=_cancelled(shop, order))
    skip = skip_reason(order, rules, mapping)
    try:
        documents = ledger.order_documents(order, mapping, _booked(shop, order))
    except ledger.LedgerError as exc:
        return replace(base, skip_reason=skip, cannot_book=str(exc))
    if not documents:
        return replace(base, skip_reason=skip or f"payment {order.financial_status.lower()}: no money moved")
    notes: list[str] = []
    try:
        documents += ledger.refund_receipts(order, mapping)
    except ledger.LedgerError as exc:
        notes.append(f"Its refunds cannot be booked: {exc}")
    shown = _documents(shop, qb, mapping, documents)
    notes.extend(_notes(documents))
    return replace(base, documents=shown, checks=_checks(order, shown), skip_reason=skip, notes=tuple(notes))


def _cancelled(shop: Shop, order: Order) -> str:
    """What the sync does with a cancelled order: voids what it wrote, or writes nothing."""
    records = SyncedRecord.objects.filter(shop=shop, order_gid=order.id).exclude(qbo_id="")
    to_void = records.filter(status=SyncedRecord.Status.SYNCED).count()
    if to_void:
        return f"cancelled: the {to_void} document(s) ShopQB wrote for it would be voided"
    if records.exists():
        return "cancelled: its documents in QuickBooks are voided already"
    return "cancelled before it was synced: nothing is written"


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
            code = mapping.taxable_code if line.taxable else mapping.exempt_code
            lines.append(
                PreviewLine(
                    kind=line.role,
                    item=line.item,
                    description=line.description,
                    quantity=line.qty,
                    unit_price=line.unit_price,
                    amount=line.amount,
                    tax_code=code,
                    tax_code_name=tax_names.get(code, code),
                    account=accounts.get(_item_key(line.item)),
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


def _checks(order: Order, documents: tuple[PreviewDocument, ...]) -> tuple[TotalsCheck, ...]:
    """Shopify's figures against the documents', to the cent."""
    sale = next((d for d in documents if d.entity in SALE_ENTITIES), None)
    checks = []
    if sale is not None:
        checks.append(TotalsCheck("Order total", ledger.cents(order.total_price.shop.amount), sale.total))
        checks.append(TotalsCheck("Tax", ledger.cents(order.total_tax.shop.amount), sale.total_tax))
    payments = [d for d in documents if d.entity == "Payment"]
    if payments:
        received, _ = ledger.received(order)
        checks.append(TotalsCheck("Payment received", received, sum((d.total for d in payments), ZERO)))
    refunds = [d for d in documents if d.entity == "RefundReceipt"]
    refunded = ledger.cents(order.total_refunded.shop.amount)
    if refunds or refunded:
        checks.append(TotalsCheck("Refunded", refunded, sum((d.total for d in refunds), ZERO)))
    return tuple(checks)


# --- as JSON, for scripts and support staff -------------------------------------------------------


def _money(value: Decimal) -> str:
    return f"{ledger.cents(value):.2f}"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _price(value: Decimal) -> str:
    """A unit price as exact as QuickBooks keeps it (7 decimals), at least to the cent."""
    return _money(value) if value == ledger.cents(value) else f"{value.normalize():f}"


def _ref(ref: ledger.Ref | None) -> dict[str, str] | None:
    return None if ref is None else {"id": ref.value, "name": ref.name}


def preview_as_json(preview: Preview) -> dict[str, Any]:
    """The preview with money as strings ("100.95"), never floats."""
    order = preview.order
    return {
        "shop": preview.shop,
        "order": {
            "id": order.id,
            "name": order.name,
            "processed_on": order.processed_on.isoformat(),
            "currency": order.currency,
            "presentment_currency": order.presentment_currency,
            "financial_status": order.financial_status,
            "test": order.test,
            "cancelled": order.cancelled,
            "taxes_included": order.taxes_included,
            "gateways": list(order.gateways),
            "lines": [
                {
                    "name": line.name,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "unit_price": _price(line.unit_price),
                    "amount": _money(line.amount),
                }
                for line in order.lines
            ],
            "shipping": _money(order.shipping),
            "discounts": _money(order.discounts),
            "tip": _money(order.tip),
            "tax": _money(order.tax),
            "total": _money(order.total),
            "refunded": _money(order.refunded),
        },
        "mapping": {"planned": preview.planned, "version": preview.mapping_version},
        "skip_reason": preview.skip_reason,
        "cannot_book": preview.cannot_book,
        "notes": list(preview.notes),
        "documents": [
            {
                "entity": document.entity,
                "doc_number": document.doc_number,
                "txn_date": document.txn_date.isoformat(),
                "currency": document.currency,
                "state": document.state,
                "customer": _ref(document.customer),
                "deposit_to": _ref(document.deposit_to),
                "class": _ref(document.class_ref),
                "department": _ref(document.department),
                "links_to": document.links_to,
                "lines": [
                    {
                        "kind": line.kind,
                        "item": _ref(line.item),
                        "description": line.description,
                        "quantity": _quantity(line.quantity),
                        "unit_price": _price(line.unit_price),
                        "amount": _money(line.amount),
                        "tax_code": line.tax_code,
                        "account": _ref(line.account),
                    }
                    for line in document.lines
                ],
                "total_tax": _money(document.total_tax),
                "total": _money(document.total),
                "rounding": _money(document.rounding),
                "flagged": document.flagged,
                "adds_up": document.adds_up,
            }
            for document in preview.documents
        ],
        "totals": {
            "matches": preview.matches,
            "checks": [
                {
                    "label": check.label,
                    "shopify": _money(check.shopify),
                    "quickbooks": None if check.quickbooks is None else _money(check.quickbooks),
                    "ok": check.ok,
                }
                for check in preview.checks
            ],
        },
    }


# --- the test sync ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineCheck:
    description: str
    expected: Decimal
    found: Decimal | None
    differences: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.found is not None and not self.differences


@dataclass(frozen=True)
class WrittenDocument:
    """One document of the order as QuickBooks has it after the write, against what was meant."""

    entity: str
    doc_number: str
    qbo_id: str
    lines: tuple[LineCheck, ...] = ()
    totals: tuple[TotalsCheck, ...] = ()
    error: str = ""

    @property
    def label(self) -> str:
        return ENTITY_LABELS.get(self.entity, self.entity)

    @property
    def ok(self) -> bool:
        return not self.error and all(c.ok for c in self.lines) and all(c.ok for c in self.totals)


OUTCOMES = {
    "written": "Written to QuickBooks.",
    "updated": "It was in QuickBooks already and was brought up to date.",
    "recovered": "An earlier attempt had written it already: found again, not written twice.",
    "unchanged": "It was in QuickBooks already, unchanged.",
    "failed": "QuickBooks did not take all of it.",
    "busy": "It is being written right now by the sync: look again in a moment.",
}


@dataclass(frozen=True)
class TestSyncResult:
    __test__ = False  # a result, not a test case for pytest to collect

    order_gid: str
    order_name: str
    outcome: str
    created: tuple[str, ...] = ()  # what was created in QuickBooks first
    documents: tuple[WrittenDocument, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return bool(self.documents) and all(document.ok for document in self.documents)

    @property
    def outcome_text(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)


def materialize_plan(*, shop: Shop) -> list[str]:
    """What the test sync (or go-live) creates in QuickBooks first, by name: the accounts and the
    customer the merchant confirmed as "create it for me", the items the ledger books with, and
    the products' items the merchant asked for."""
    names = [
        str(row.create_spec.get("Name") or row.create_spec.get("DisplayName") or "")
        for model in (AccountRoleMapping, GatewayMapping)
        for row in model.objects.filter(shop=shop, qbo_id="").exclude(create_spec={}).order_by("pk")
    ]
    with_item = set(AccountRoleMapping.objects.filter(shop=shop).exclude(qbo_id="").values_list("role", flat=True))
    names.extend(f"{spec.name} (item)" for spec in roles.ITEM_ROLES if spec.role not in with_item)
    products = ProductMapping.objects.filter(shop=shop, qbo_item_id="", matched_by=ProductMapping.MatchedBy.CREATED)
    if count := products.count():
        names.append(f"{count} item(s) for your products (Products)")
    return names


def order_test_sync_blockers(*, shop: Shop) -> list[str]:
    """What stops a test sync: it creates what was proposed, so every proposal must be confirmed."""
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    if connection is None or connection.status != QuickBooksConnection.Status.CONNECTED:
        return ["Connect your QuickBooks Online company."]
    blockers = [
        f"Confirm the account proposed for “{AccountRole(row.role).label}” (Accounts)."
        for row in AccountRoleMapping.objects.filter(shop=shop, confirmed=False).order_by("pk")
    ]
    blockers.extend(
        f"Confirm where payments through “{roles.gateway_label(row.gateway)}” go (Payment gateways)."
        for row in GatewayMapping.objects.filter(shop=shop, confirmed=False)
    )
    return blockers


def order_test_sync(*, shop: Shop, order_gid: str) -> TestSyncResult:
    """Write one order to QuickBooks through the sync, read its documents back and compare them
    with what the ledger meant to write and with Shopify's totals.

    Creates what the merchant confirmed first (mapping_materialize, idempotent). Refused, with
    the reasons, while a proposal is unconfirmed or when the preview says the order is not booked."""
    blockers = order_test_sync_blockers(shop=shop)
    if blockers:
        raise TestSyncRefused(blockers)
    connection = _connection(shop)
    raw = _fetch(shop, order_gid)
    order = parse_order(raw)
    try:
        qb = qbo_client(connection)
        preview = _preview(shop, connection, order, qb)
        if preview.cannot_book or preview.skip_reason:
            reason = preview.cannot_book or f"Your rules keep {order.name} out of the books: {preview.skip_reason}."
            raise TestSyncRefused([reason, "Pick another order."])
        created = mapping_services.mapping_materialize(shop=shop, qb=qb)
        mapping = mapping_services.mapping_snapshot(shop=shop, connection=connection)
        meant = ledger.order_documents(order, mapping, _booked(shop, order))
        meant += ledger.refund_receipts(order, mapping)
        ctx = SyncContext(
            shop=shop,
            connection=connection,
            shopify=shopify_client(shop),
            qb=qb,
            mapping=mapping,
            rules=mapping_services.settings_for(shop=shop),
            refuses_duplicate_numbers=qbo.refuses_duplicate_doc_numbers(qb),
        )
        outcome = order_process(ctx, raw)
        documents = tuple(_read_back(ctx, order, document) for document in meant)
    except (mapping_services.MappingIncomplete, ledger.LedgerError) as exc:
        raise TestSyncRefused([str(exc)]) from exc
    except VENDOR_ERRORS as exc:
        raise PreviewUnavailable(f"The test sync stopped: {exc}") from exc
    return TestSyncResult(
        order_gid=order.id,
        order_name=order.name,
        outcome=str(outcome),
        created=tuple(f"{c.name} ({c.entity})" for c in created),
        documents=documents,
    )


def _read_back(ctx: SyncContext, order: Order, document: ledger.Document) -> WrittenDocument:
    record = SyncedRecord.objects.filter(
        shop=ctx.shop, source_type=document.source_type, source_id=document.source_id, kind=document.entity
    ).first()
    if record is None or record.status != SyncedRecord.Status.SYNCED or not record.qbo_id:
        error = (record.last_error if record else "") or "it was not written"
        return WrittenDocument(document.entity, document.doc_number, "", error=error)
    found = qbo.read(ctx.qb, document.entity, record.qbo_id)
    total = _decimal(found.get("TotalAmt"))
    totals = [TotalsCheck("Total", document.total, total)]
    if document.entity in SALE_ENTITIES:
        tax = (found.get("TxnTaxDetail") or {}).get("TotalTax")
        totals.append(TotalsCheck("Tax", document.total_tax, _decimal(tax)))
        totals.append(TotalsCheck("Shopify's order total", ledger.cents(order.total_price.shop.amount), total))
    return WrittenDocument(
        entity=document.entity,
        doc_number=document.doc_number,
        qbo_id=record.qbo_id,
        lines=_compare_lines(ctx.mapping, document, found),
        totals=tuple(totals),
    )


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _line_differences(mapping: ledger.Mapping, line: ledger.DocLine, theirs: dict[str, Any]) -> list[str]:
    detail = theirs.get("SalesItemLineDetail") or {}
    item = detail.get("ItemRef") or {}
    tax_code = str((detail.get("TaxCodeRef") or {}).get("value") or "")
    meant_code = mapping.taxable_code if line.taxable else mapping.exempt_code
    differences = []
    if _decimal(theirs.get("Amount")) != line.amount:
        differences.append(f"amount {theirs.get('Amount')} instead of {line.amount}")
    if _decimal(detail.get("Qty")) != line.qty:
        differences.append(f"quantity {detail.get('Qty')} instead of {line.qty}")
    if _decimal(detail.get("UnitPrice")) != line.unit_price:
        differences.append(f"unit price {detail.get('UnitPrice')} instead of {line.unit_price}")
    if str(item.get("value") or "") != line.item.value:
        differences.append(f"item {item.get('name') or item.get('value')} instead of {line.item.name}")
    if tax_code and tax_code != meant_code:
        differences.append(f"tax code {tax_code} instead of {meant_code}")
    return differences


def _compare_lines(mapping: ledger.Mapping, document: ledger.Document, found: dict[str, Any]) -> tuple[LineCheck, ...]:
    theirs = sorted(
        (line for line in found.get("Line") or [] if line.get("DetailType") == "SalesItemLineDetail"),
        key=lambda line: int(line.get("LineNum") or 0),
    )
    checks = [
        LineCheck(line.description, line.amount, None, ("missing in QuickBooks",))
        if n >= len(theirs)
        else LineCheck(
            line.description,
            line.amount,
            _decimal(theirs[n].get("Amount")),
            tuple(_line_differences(mapping, line, theirs[n])),
        )
        for n, line in enumerate(document.lines)
    ]
    checks.extend(
        LineCheck(str(extra.get("Description") or "?"), ZERO, _decimal(extra.get("Amount")), ("not written by ShopQB",))
        for extra in theirs[len(document.lines) :]
    )
    return tuple(checks)


def order_test_sync_undo(*, shop: Shop, order_gid: str) -> int:
    """Undo a test sync before go-live: delete the order's documents from QuickBooks and let
    their records start over, so that the import after go-live writes the order like any other.
    Returns how many documents were deleted.

    Deleted, not voided: a voided document keeps its number and note, and the sync would find it
    again and take it for the order's booking. Each record is claimed first, as for every write."""
    if mapping_services.settings_for(shop=shop).is_live:
        raise TestSyncRefused(["You are live: this order's documents are part of your books now."])
    records = sorted(
        SyncedRecord.objects.filter(shop=shop, order_gid=order_gid, status=SyncedRecord.Status.SYNCED).exclude(
            qbo_id=""
        ),
        key=lambda r: (r.kind not in DELETE_FIRST, r.pk),
    )
    if not records:
        return 0
    try:
        qb = qbo_client(_connection(shop))
        for record in records:
            if not record.claim(lease=claim_lease()):
                raise TestSyncRefused([f"{record.kind} {record.doc_number} is being written right now: try again."])
            try:
                # Applying or deleting a payment moves its invoice's SyncToken on: delete what is there now.
                current = qbo.read(qb, record.kind, record.qbo_id)
                # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/salesreceipt#delete-a-salesreceipt
                qbo.delete(
                    qb,
                    record.kind,
                    qbo_id=record.qbo_id,
                    sync_token=str(current.get("SyncToken") or record.qbo_sync_token),
                    request_id=f"{record.request_id[:36]}-delete",
                )
            except qbo.QBOError:
                record.release()
                raise
            _start_over(record)
    except VENDOR_ERRORS as exc:
        raise PreviewUnavailable(f"QuickBooks did not remove it: {exc}") from exc
    SyncIssue.objects.filter(shop=shop, source_id__in={r.source_id for r in records}).resolve()
    return len(records)


def _start_over(record: SyncedRecord) -> None:
    """The record as if never written. A new request id: QuickBooks may replay the old one's
    answer (the deleted document) for a while."""
    SyncedRecord.objects.filter(pk=record.pk).update(
        status=SyncedRecord.Status.PENDING,
        request_id=str(uuid.uuid4()),
        qbo_id="",
        qbo_sync_token="",
        content_hash="",
        attempts=0,
        claimed_at=None,
        synced_at=None,
        source_updated_at=None,
        last_error="",
    )
