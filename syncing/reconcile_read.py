"""What QuickBooks holds for the documents ShopQB wrote, read back by their Ids, and why a document
is not there as Shopify says it should be: the reconciliation centre's explanations
(syncing/reconcile_centre.py for the days, syncing/reconcile_chain.py for the payouts)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from syncing import ledger
from syncing.context import SyncContext
from syncing.models import SourceType, SyncedRecord, SyncIssue
from syncing.reconcile_days import Explanation
from syncing.reconcile_explained import read_back_records

# A person's choice about a document they changed in QuickBooks that settles it (change detection).
SETTLED = {"accepted": "accept", "ignored": "ignore"}
# ShopQB's own documents it took back out of QuickBooks (syncing/undo.py).
REMOVED: dict[str, str] = {SyncedRecord.Status.VOIDED: "voided", SyncedRecord.Status.DELETED: "deleted"}


def explain(
    links: Links,
    document: ledger.Document,
    record: SyncedRecord | None,
    held: dict[str, Any] | None,
    share: dict[str, Decimal],
) -> Explanation:
    """Why QuickBooks does not hold ``document`` as Shopify says it should be."""
    name = document.source_name
    order_name = name if document.source_type != SourceType.PAYOUT else ""
    order_url = links.order(order_name) if order_name else ""
    issue = links.issue(document.order_id or document.source_id)
    label = f"{document.entity} {document.doc_number}"
    if record is None or record.status != SyncedRecord.Status.SYNCED or not record.qbo_id:
        if record is not None and record.status in REMOVED:
            what = f"{label} for {name}: {REMOVED[record.status]} by ShopQB (Remove what ShopQB posted)"
            return Explanation("removed", what, share, True, order_name, order_url, issue, document=label)
        if record is not None and record.status == SyncedRecord.Status.FAILED:
            what = f"{label} for {name}: failed ({record.last_error or 'see the issue'})"
            return Explanation("failed", what, share, True, order_name, order_url, issue, document=label)
        what = f"{label} for {name}: not written to QuickBooks yet"
        return Explanation("not_written", what, share, True, order_name, order_url, issue, document=label)
    written = f"{record.kind} {record.doc_number or ''} (QuickBooks Id {record.qbo_id})".replace("  ", " ")
    drift, resolution = record.qbo_drift, record.qbo_drift_resolution
    settled = resolution in SETTLED
    decided = f"; you chose to {SETTLED[resolution]} it" if settled else ""
    if held is None or drift == "deleted":
        what = f"{written} for {name}: deleted in QuickBooks by a person{decided}"
        return Explanation(
            "deleted", what, share, settled, order_name, order_url, "", links.drift(), links.drift_label(), written
        )
    currency = row_currency(held, document)
    if currency != document.currency:
        what = f"{written} for {name}: in {currency} in QuickBooks, not in {document.currency} as in Shopify"
    else:
        what = (
            f"{written} for {name}: changed in QuickBooks by a person, it now holds {row_total(held):,.2f} "
            f"where ShopQB wrote {document.total:,.2f}{decided}"
        )
    return Explanation(
        "changed", what, share, settled, order_name, order_url, "", links.drift(), links.drift_label(), written
    )


def documents_written(ctx: SyncContext, documents: list[ledger.Document]) -> dict[tuple[str, str, str], SyncedRecord]:
    """ShopQB's record of each document, by (source type, source id, entity); a refund paying back
    an edit's credit is a journal entry (syncing/edits.py)."""
    records: dict[tuple[str, str, str], SyncedRecord] = {}
    ids = {d.source_id for d in documents}
    for record in SyncedRecord.objects.filter(shop=ctx.shop, source_id__in=ids):
        records[(record.source_type, record.source_id, record.kind)] = record
    for d in documents:
        key = (d.source_type, d.source_id, d.entity)
        journal = (d.source_type, d.source_id, "JournalEntry")
        if key not in records and d.entity == "RefundReceipt" and journal in records:
            records[key] = records[journal]
    return records


def read_rows(ctx: SyncContext, records: list[SyncedRecord]) -> dict[tuple[str, str], dict[str, Any]]:
    """The documents QuickBooks holds for these records, by (entity, Id); a deleted one is absent."""
    return read_back_records(ctx.qb, (r for r in records if r.qbo_id and r.status == SyncedRecord.Status.SYNCED))


def row_total(row: dict[str, Any]) -> Decimal:
    return Decimal(str(row.get("TotalAmt") or "0"))


def row_tax(row: dict[str, Any]) -> Decimal:
    return Decimal(str((row.get("TxnTaxDetail") or {}).get("TotalTax") or "0"))


def row_currency(row: dict[str, Any], document: ledger.Document) -> str:
    ref = row.get("CurrencyRef")
    return str((ref.get("value") if isinstance(ref, dict) else "") or document.currency)


class Links:
    """Where the page sends the merchant for an order, an issue, or a change made in QuickBooks."""

    def __init__(self, ctx: SyncContext) -> None:
        self.orders = reverse("orders")
        self.issues = reverse("issues")
        self.open_issues = set(
            SyncIssue.objects.open().filter(shop=ctx.shop).exclude(source_id="").values_list("source_id", flat=True)
        )
        try:
            self.drift_page = reverse("drift")
        except NoReverseMatch:
            # Change detection's page is not installed: the Issues page lists what it found.
            self.drift_page = ""

    def order(self, name: str) -> str:
        return f"{self.orders}?{urlencode({'q': name})}" if name else ""

    def issue(self, source_id: str) -> str:
        return self.issues if source_id in self.open_issues else ""

    def drift(self) -> str:
        return self.drift_page or self.issues

    def drift_label(self) -> str:
        return "Re-post, accept or ignore" if self.drift_page else "Issues"
