"""What the merchant sees of the sync inside the app: the last pass, the books so far, open issues."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from accounts.models import Shop
from syncing.issues_explained import ExplainedIssue, issues_explain
from syncing.models import SyncedRecord, SyncIssue, SyncRun

# The overview shows the newest few; the Issues page has them all.
ISSUES_SHOWN = 5


@dataclass
class SyncSummary:
    last_run: SyncRun | None
    running: bool
    documents: dict[str, int]  # status -> count
    booked_total: Decimal
    open_issues: list[ExplainedIssue]
    open_issue_count: int


def shop_summary(shop: Shop) -> SyncSummary:
    runs = SyncRun.objects.filter(shop=shop)
    records = SyncedRecord.objects.filter(shop=shop)
    by_status = dict(records.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    booked = records.filter(status=SyncedRecord.Status.SYNCED).exclude(kind="Payment").aggregate(t=Sum("amount"))
    issues = SyncIssue.objects.filter(shop=shop, resolved_at__isnull=True)
    return SyncSummary(
        last_run=runs.exclude(status=SyncRun.Status.RUNNING).first(),
        running=runs.filter(status=SyncRun.Status.RUNNING).exists(),
        documents=by_status,
        booked_total=Decimal(booked["t"] or 0).quantize(Decimal("0.01")),
        open_issues=issues_explain(shop, issues.order_by("-updated_at", "-pk")[:ISSUES_SHOWN]),
        open_issue_count=issues.count(),
    )
