"""One order written to QuickBooks for real to prove the setup (the setup's test sync), and
taken back again before go-live if the merchant wants.

The test sync writes the order through the sync itself (``orders.order_process``, which writes
through ``writing.document_write``), after creating what the merchant confirmed
(``mapping_materialize``), then reads each document back from QuickBooks and compares it line
by line and total by total. A kept document is an ordinary SyncedRecord: the sync never writes
it twice. A removed one is deleted from QuickBooks (``writing.document_delete``) and its record
starts over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from accounts.clients import qbo_client, shopify_client
from accounts.models import QuickBooksConnection, Shop
from mappings import roles
from mappings import services as mapping_services
from mappings.go_live import currency_missing, mapping_materialize
from mappings.models import AccountRole, AccountRoleMapping, GatewayMapping, ProductMapping
from mappings.snapshot import MappingIncomplete, mapping_snapshot
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.parse import Order, parse_order
from shopqb_app.text import counted
from syncing import ledger
from syncing.context import SyncContext
from syncing.models import SyncedRecord, SyncIssue
from syncing.orders import order_plan, order_process
from syncing.preview import VENDOR_ERRORS, PreviewUnavailable, connection_for, order_fetch, preview_build
from syncing.preview_data import ENTITY_LABELS, SALE_ENTITIES, ZERO, TotalsCheck
from syncing.writing import document_delete

# Deleted before the sale document: a payment applies to its invoice, a refund to its sale.
DELETE_FIRST = ("Payment", "RefundReceipt")


class TestSyncRefused(Exception):
    """The test sync cannot run (or be undone) now; ``reasons`` say what to do first."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


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
        names.append(f"{counted(count, 'item')} for your products (Products)")
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
    # A shop selling in another currency than the company's: multicurrency on, and the customer
    # and clearing accounts in the shop's currency (said plainly rather than left to QuickBooks).
    blockers.extend(currency_missing(shop=shop, connection=connection))
    return blockers


def order_test_sync(*, shop: Shop, order_gid: str) -> TestSyncResult:
    """Write one order to QuickBooks through the sync, read its documents back and compare them
    with what the ledger meant to write and with Shopify's totals.

    Creates what the merchant confirmed first (mapping_materialize, idempotent). Refused, with
    the reasons, while a proposal is unconfirmed or when the preview says the order is not booked."""
    blockers = order_test_sync_blockers(shop=shop)
    if blockers:
        raise TestSyncRefused(blockers)
    connection = connection_for(shop)
    raw = order_fetch(shop, order_gid)
    order = parse_order(raw)
    try:
        qb = qbo_client(connection)
        preview = preview_build(shop, connection, order, qb)
        if preview.cannot_book or preview.skip_reason:
            reason = preview.cannot_book or f"Your rules keep {order.name} out of the books: {preview.skip_reason}."
            raise TestSyncRefused([reason, "Pick another order."])
        created = mapping_materialize(shop=shop, qb=qb)
        ctx = _sync_context(
            shop,
            connection,
            qb,
            mapping=mapping_snapshot(shop=shop, connection=connection),
            refuses_duplicate_numbers=qbo.refuses_duplicate_doc_numbers(qb),
        )
        plan = order_plan(order, shop=shop, mapping=ctx.mapping, rules=ctx.rules, rates=ctx.exchange_rate)
        if plan.refunds_refused is not None:
            raise TestSyncRefused([f"Its refunds cannot be booked: {plan.refunds_refused}", "Pick another order."])
        outcome = order_process(ctx, raw)
        documents = tuple(_read_back(ctx, order, document) for document in plan.documents)
    except (MappingIncomplete, ledger.LedgerError) as exc:
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


def _sync_context(
    shop: Shop,
    connection: QuickBooksConnection,
    qb: qbo.QuickBooks,
    *,
    mapping: ledger.Mapping,
    refuses_duplicate_numbers: bool = False,
) -> SyncContext:
    """The context the sync works in, opened before go-live (context_open refuses until then)."""
    return SyncContext(
        shop=shop,
        connection=connection,
        shopify=shopify_client(shop),
        qb=qb,
        mapping=mapping,
        rules=mapping_services.settings_for(shop=shop),
        refuses_duplicate_numbers=refuses_duplicate_numbers,
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
    again and take it for the order's booking."""
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
        connection = connection_for(shop)
        # Not live: the mapping as the preview has it, objects still to be created by name.
        mapping = mapping_snapshot(shop=shop, connection=connection, planned=True)
        ctx = _sync_context(shop, connection, qbo_client(connection), mapping=mapping)
        for record in records:
            if not document_delete(ctx, record):
                raise TestSyncRefused([f"{record.kind} {record.doc_number} is being written right now: try again."])
    except MappingIncomplete as exc:
        raise TestSyncRefused([str(exc)]) from exc
    except VENDOR_ERRORS as exc:
        raise PreviewUnavailable(f"QuickBooks did not remove it: {exc}") from exc
    SyncIssue.objects.filter(shop=shop, source_id__in={r.source_id for r in records}).resolve()
    return len(records)
