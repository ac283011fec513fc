"""Trying again, when the merchant or support asks: the work behind an issue or a failed record."""

from __future__ import annotations

from syncing import pending
from syncing.models import SourceType, SyncedRecord, SyncIssue


def issue_retry(*, issue: SyncIssue) -> bool:
    """Queue the work behind an issue again; False when there is nothing to redo."""
    if issue.source_type == SourceType.ORDER and issue.source_id:
        record = SyncedRecord.objects.filter(
            shop=issue.shop, source_id=issue.source_id, status=SyncedRecord.Status.FAILED
        ).first()
        if record is not None:
            record_retry(record=record)
        else:
            pending.enqueue_order_sync(shop_id=issue.shop_id, order_gid=issue.source_id)
        return True
    if issue.code == "sweep_failed":
        pending.enqueue_sweep(shop_id=issue.shop_id)
        return True
    return False


def record_retry(*, record: SyncedRecord) -> None:
    """Support / merchant retry: give a failed record its attempts back and queue it."""
    record.reset_attempts()
    pending.enqueue_order_sync(shop_id=record.shop_id, order_gid=record.source_id)
