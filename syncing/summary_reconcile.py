"""The reconciliation of summarised orders (posting mode "summary", syncing/summary.py).

A summarised order has no document of its own: its sale and refunds are checked through the summary
that holds them, whose documents read back from QuickBooks must come to exactly what the same
orders' per-order documents would (the ledger computes them as for any order). A sale or refund
still waiting for its payout's or day's summary is not in QuickBooks yet, by design: it leaves both
sides of the comparison and is said as such (its money in transit explains the clearing account).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from syncing import ledger
from syncing.context import SyncContext
from syncing.models import SourceType, SyncedRecord
from syncing.reconcile_explained import ZERO, Seen, read_back
from syncing.summary_models import Summary, SummaryEntry

WAITING = "waiting for the summary of its payout or day (summary posting)"


@dataclass
class SummaryTotals:
    key: str
    label: str
    shopify: Decimal = ZERO
    qbo: Decimal = ZERO
    sales: list[ledger.Document] = field(default_factory=list)
    refunds: list[ledger.Document] = field(default_factory=list)


def summaries_reconcile(
    ctx: SyncContext,
    report: Any,
    expected: dict[str, ledger.Document],
    expected_refunds: dict[str, ledger.Document],
    seen: Seen,
    difference: Callable[..., Any],
) -> None:
    """Take the summarised sales and refunds out of ``expected``/``expected_refunds`` (compared per
    document) and compare them per summary instead; those not in a written summary yet leave the
    report's Shopify side too. ``report`` is a reconcile.Reconciliation, ``difference`` its
    Difference class."""
    entries = {(e.unit, e.source_id): e for e in SummaryEntry.objects.filter(shop=ctx.shop)}
    if not entries:
        return
    written = {s.key: s for s in Summary.objects.filter(shop=ctx.shop, written_at__isnull=False)}
    by_summary: dict[str, SummaryTotals] = {}
    for unit, documents in ((SummaryEntry.Unit.SALE, expected), (SummaryEntry.Unit.REFUND, expected_refunds)):
        for source_id in list(documents):
            entry = entries.get((unit, source_id))
            if entry is None:
                continue
            document = documents.pop(source_id)
            summary = written.get(entry.summary_key)
            if summary is None:
                _waiting(report, seen, entry, document, unit)
                continue
            totals = by_summary.setdefault(summary.key, SummaryTotals(summary.key, summary.label))
            if unit == SummaryEntry.Unit.SALE:
                totals.sales.append(document)
                totals.shopify += document.total
            else:
                totals.refunds.append(document)
                totals.shopify -= document.total
    qbo = _summaries_in_quickbooks(ctx, list(by_summary))
    for key, totals in by_summary.items():
        report.refunds_expected += len(totals.refunds)
        totals.qbo = qbo.get(key, ZERO)
        if totals.qbo != totals.shopify:
            report.differences.append(
                difference(
                    key,
                    f"summary of {totals.label}",
                    totals.shopify,
                    totals.qbo if key in qbo else None,
                    "summary amounts differ" if key in qbo else "summary not in QuickBooks",
                    SourceType.SUMMARY,
                )
            )
            continue
        # The summary holds exactly these orders: each counts as found, on its own day.
        seen.summarised.update((d.source_type, d.source_id) for d in (*totals.sales, *totals.refunds))
        for document in totals.sales:
            day = report.day(document.txn_date)
            day.qbo += document.total
            day.qbo_home += document.total
            report.found_documents += 1
        report.refunds_found += len(totals.refunds)
        report.refunds_qbo += sum((d.total for d in totals.refunds), ZERO)
        report.refunds_qbo_home += sum((d.total for d in totals.refunds), ZERO)


def _waiting(report: Any, seen: Seen, entry: SummaryEntry, document: ledger.Document, unit: str) -> None:
    """Not in QuickBooks yet, by design: out of both sides, and named for the accounts part."""
    if unit == SummaryEntry.Unit.SALE:
        day = report.day(document.txn_date)
        day.orders -= 1
        day.shopify -= document.total
        report.expected_documents -= 1
        seen.booked.pop(entry.order_gid, None)
        seen.not_booked[entry.order_gid] = (entry.order_name, WAITING, True)
        seen.documents[:] = [d for d in seen.documents if d.order_id != entry.order_gid]
    else:
        report.refunds_shopify -= document.total
        # Its documents stay planned (not written yet: a liability they move is explained by them),
        # and its money in transit is explained as an order's not booked yet (the sale may be).
        seen.not_booked.setdefault(entry.order_gid, (entry.order_name, WAITING, True))


def _summaries_in_quickbooks(ctx: SyncContext, keys: list[str]) -> dict[str, Decimal]:
    """Per summary: its sales receipts less its refund receipts, as QuickBooks holds them."""
    records = [
        r
        for r in SyncedRecord.objects.filter(shop=ctx.shop, source_type=SourceType.SUMMARY).exclude(qbo_id="")
        if r.source_id.split("|", 1)[0] in keys and r.kind in ("SalesReceipt", "RefundReceipt")
    ]
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for entity in ("SalesReceipt", "RefundReceipt"):
        rows = read_back(ctx.qb, entity, [r.qbo_id for r in records if r.kind == entity])
        sign = 1 if entity == "SalesReceipt" else -1
        for record in records:
            row = rows.get(record.qbo_id) if record.kind == entity else None
            if row is not None:
                totals[record.source_id.split("|", 1)[0]] += sign * Decimal(str(row.get("TotalAmt", "0")))
    return dict(totals)
