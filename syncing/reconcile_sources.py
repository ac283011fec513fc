"""What both reconciliations read the same way: the daily one (syncing/reconcile.py) and the
reconciliation centre's page (syncing/reconcile_centre.py). What each order was booked as, the
refunds booked for an order sold before the start date, and the edit documents that change a sale
as QuickBooks holds it."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from shopqb_app.integrations.shopify.parse import Order
from syncing import ledger
from syncing.context import SyncContext
from syncing.models import SourceType, SyncedRecord
from syncing.orders import earlier_refunds_plan, sold_before_start


def booked_kinds(ctx: SyncContext) -> dict[str, frozenset[str]]:
    """What each order was booked as (a sale stays a SalesReceipt, an invoice an Invoice), by order
    id: one query for the shop instead of one per order."""
    kinds: dict[str, set[str]] = defaultdict(set)
    synced = SyncedRecord.objects.filter(shop=ctx.shop, source_type=SourceType.ORDER, status=SyncedRecord.Status.SYNCED)
    for source_id, kind in synced.values_list("source_id", "kind"):
        kinds[source_id].add(kind)
    return {source_id: frozenset(found) for source_id, found in kinds.items()}


def earlier_refunds(order: Order, ctx: SyncContext) -> list[ledger.Document]:
    """The refunds the sync books for an order sold before the start date (none for other skips)."""
    if not sold_before_start(order, ctx):
        return []
    try:
        plan = earlier_refunds_plan(order, mapping=ctx.mapping, rules=ctx.rules)
    except ledger.LedgerError:
        return []
    return [d for d in plan.documents if d.entity == "RefundReceipt"]


def edits_written(ctx: SyncContext) -> dict[str, list[SyncedRecord]]:
    """The edit documents written per order: QuickBooks holds a sale edited later as the sale plus its edits."""
    edits: dict[str, list[SyncedRecord]] = defaultdict(list)
    synced = SyncedRecord.objects.filter(
        shop=ctx.shop, source_type=SourceType.EDIT, status=SyncedRecord.Status.SYNCED
    ).exclude(qbo_id="")
    for record in synced:
        edits[record.order_gid].append(record)
    return edits


def with_edit_totals(
    row: dict[str, Any], edit_rows: list[dict[str, Any]], records: list[SyncedRecord]
) -> dict[str, Any]:
    """A sale's row with its edits' totals added (credit memos taken off), home total too."""
    total = Decimal(str(row.get("TotalAmt", "0")))
    home = row.get("HomeTotalAmt")
    for edit, record in zip(edit_rows, records, strict=True):
        sign = -1 if record.kind == "CreditMemo" else 1
        total += sign * Decimal(str(edit.get("TotalAmt", "0")))
        if home not in (None, "") and edit.get("HomeTotalAmt") not in (None, ""):
            home = Decimal(str(home)) + sign * Decimal(str(edit["HomeTotalAmt"]))
    return {**row, "TotalAmt": total, "HomeTotalAmt": home}
