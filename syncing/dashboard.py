"""What the merchant sees of the sync inside the app: the last pass, the books so far, open issues,
and a running pass's progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django_q.models import Schedule

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
    open_issues: list[ExplainedIssue]
    open_issue_count: int


def shop_summary(shop: Shop) -> SyncSummary:
    runs = SyncRun.objects.filter(shop=shop)
    records = SyncedRecord.objects.filter(shop=shop)
    by_status = dict(records.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    issues = SyncIssue.objects.filter(shop=shop, resolved_at__isnull=True)
    return SyncSummary(
        last_run=runs.exclude(status=SyncRun.Status.RUNNING).first(),
        running=runs.filter(status=SyncRun.Status.RUNNING).exists(),
        documents=by_status,
        open_issues=issues_explain(shop, issues.order_by("-updated_at", "-pk")[:ISSUES_SHOWN]),
        open_issue_count=issues.count(),
    )


# The figures the overview sets side by side, each with its QuickBooks documents: a sale is a
# SalesReceipt (paid) or an Invoice (to be paid), a refund a RefundReceipt, a payout a Deposit.
# Never added together: a refund is not a sale, a payout moves money already booked as sales.
FIGURE_KINDS = (
    ("sales", "Sales", ("SalesReceipt", "Invoice")),
    ("refunds", "Refunds", ("RefundReceipt",)),
    ("payouts", "Payouts", ("Deposit",)),
)
# What Shopify asks to be in the books: written, being written or waiting for a retry; not what
# the merchant's rules keep out, nor a cancelled order's voided or deleted documents.
BOOKABLE = (
    SyncedRecord.Status.PENDING,
    SyncedRecord.Status.WRITING,
    SyncedRecord.Status.SYNCED,
    SyncedRecord.Status.FAILED,
)
# The schedule that sweeps every connected shop (syncing/migrations/0002_sweep_schedule.py).
SWEEP_SCHEDULE = "sweep all shops"


@dataclass
class Figure:
    key: str
    label: str
    currency: str
    count: int  # documents Shopify asks for
    synced: int  # of which in QuickBooks
    shopify_amount: Decimal
    quickbooks_amount: Decimal

    @property
    def matches(self) -> bool:
        return self.count == self.synced and self.shopify_amount == self.quickbooks_amount


@dataclass
class Glance:
    orders_today: int
    orders_this_week: int
    figures: list[Figure]
    next_pass: datetime | None
    next_pass_due: bool = False  # the schedule's time has come: a worker takes it within seconds


def shop_glance(shop: Shop, *, now: datetime | None = None) -> Glance:
    """The overview's figures: orders booked today and this week (days and weeks as the shop
    counts them: its own time zone, weeks from Monday), sales, refunds and payouts each in
    Shopify and in QuickBooks, and when the next pass is due."""
    zone = _shop_zone(shop)
    local_now = (now or timezone.now()).astimezone(zone)
    today = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=today.weekday())
    sales = SyncedRecord.objects.filter(
        shop=shop, kind__in=FIGURE_KINDS[0][2], status=SyncedRecord.Status.SYNCED, synced_at__gte=week
    ).exclude(order_gid="")
    counted = sales.aggregate(
        week=Count("order_gid", distinct=True),
        today=Count("order_gid", distinct=True, filter=Q(synced_at__gte=today)),
    )
    next_pass = _next_pass(shop)
    return Glance(
        orders_today=counted["today"],
        orders_this_week=counted["week"],
        figures=_figures(shop),
        next_pass=next_pass,
        next_pass_due=next_pass is not None and next_pass <= local_now,
    )


def _figures(shop: Shop) -> list[Figure]:
    rows = (
        SyncedRecord.objects.filter(shop=shop, status__in=BOOKABLE)
        .values("kind", "currency")
        .annotate(
            n=Count("pk"),
            synced=Count("pk", filter=Q(status=SyncedRecord.Status.SYNCED)),
            shopify=Sum("amount"),
            quickbooks=Sum("amount", filter=Q(status=SyncedRecord.Status.SYNCED)),
        )
    )
    totals: dict[tuple[str, str], Figure] = {}
    for row in rows:
        for key, label, kinds in FIGURE_KINDS:
            if row["kind"] not in kinds:
                continue
            currency = row["currency"] or shop.currency
            figure = totals.setdefault(
                (key, currency), Figure(key, label, currency, 0, 0, Decimal("0.00"), Decimal("0.00"))
            )
            figure.count += row["n"]
            figure.synced += row["synced"]
            figure.shopify_amount += Decimal(row["shopify"] or 0)
            figure.quickbooks_amount += Decimal(row["quickbooks"] or 0)
    figures = []
    for key, label, _kinds in FIGURE_KINDS:
        # The shop's own currency first, then any other the documents were booked in.
        found = sorted(
            (f for (k, _c), f in totals.items() if k == key), key=lambda f: (f.currency != shop.currency, f.currency)
        )
        figures.extend(found or [Figure(key, label, shop.currency, 0, 0, Decimal("0.00"), Decimal("0.00"))])
    return figures


def _next_pass(shop: Shop) -> datetime | None:
    """When the schedule next sweeps the shop: only a shop it sweeps (syncing/tasks.py
    sweep_all_shops) has a next pass."""
    if shop.sync_paused or shop.uninstalled_at is not None:
        return None
    next_run: datetime | None = Schedule.objects.filter(name=SWEEP_SCHEDULE).values_list("next_run", flat=True).first()
    return next_run


def _shop_zone(shop: Shop) -> ZoneInfo:
    try:
        return ZoneInfo(shop.iana_timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def run_progress(shop: Shop) -> dict[str, Any]:
    """The shop's running pass, or else its last one, as the overview polls it while a pass runs.
    A history import (the full sweep after go-live) says so: Shopify gives no count of the orders
    to come, so the page shows the orders read so far and no estimate of the time left."""
    run = SyncRun.objects.filter(shop=shop).order_by("-started_at", "-pk").first()
    if run is None:
        return {"running": False, "run": None}
    running = run.status == SyncRun.Status.RUNNING
    return {
        "running": running,
        "run": {
            "id": run.pk,
            "status": run.status,
            "status_display": run.get_status_display(),
            "history_import": run.kind == "full",
            "started_at": run.started_at.isoformat(),
            "started_display": date_format(timezone.localtime(run.started_at), "DATETIME_FORMAT"),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "orders_seen": run.orders_seen,
            "documents_written": run.documents_written,
            "skipped": run.skipped,
            "failed": run.failed,
            "error": run.error,
        },
    }
