"""What the merchant sees of the sync inside the app: the last pass, the books so far, open issues,
and a running pass's progress."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django_q.models import Schedule

from accounts import tokens
from accounts.clients import shopify_client
from accounts.models import QuickBooksConnection, Shop
from shopqb_app import text
from shopqb_app.integrations.shopify.bulk import orders_listed
from shopqb_app.integrations.shopify.errors import ShopifyError
from syncing.issues_explained import ExplainedIssue, issues_explain
from syncing.models import SyncedRecord, SyncIssue, SyncRun

log = logging.getLogger(__name__)

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
    next_pass_none: str = ""  # why no pass is coming, in the merchant's words, when none is


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
    why_none = _no_next_pass(shop)
    next_pass = None if why_none else _scheduled_sweep()
    if next_pass is None and not why_none:
        why_none = "none: passes are not scheduled (ShopQB support can restore the schedule)"
    return Glance(
        orders_today=counted["today"],
        orders_this_week=counted["week"],
        figures=_figures(shop),
        next_pass=next_pass,
        next_pass_due=next_pass is not None and next_pass <= local_now,
        next_pass_none=why_none,
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


def _no_next_pass(shop: Shop) -> str:
    """Why the schedule does not sweep this shop (syncing/tasks.py sweep_all_shops: installed,
    not paused, QuickBooks connected), or '' when it does. A failed pass changes none of it:
    the schedule sweeps the shop again at its next time."""
    if shop.uninstalled_at is not None:
        return "none: ShopQB is uninstalled from this store"
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    if connection is not None and connection.status == QuickBooksConnection.Status.RECONNECT_NEEDED:
        return "none until you reconnect QuickBooks"
    if connection is not None and connection.status == QuickBooksConnection.Status.CONFIRM_SHARED:
        return "none until you confirm the QuickBooks company"
    if connection is None or connection.status != QuickBooksConnection.Status.CONNECTED:
        return "none until QuickBooks is connected"
    if shop.sync_paused:
        return "none while syncing is paused" + (f": {shop.paused_reason}" if shop.paused_reason else "")
    return ""


def _scheduled_sweep() -> datetime | None:
    """When the schedule that sweeps every connected shop runs next."""
    next_run: datetime | None = Schedule.objects.filter(name=SWEEP_SCHEDULE).values_list("next_run", flat=True).first()
    return next_run


def _shop_zone(shop: Shop) -> ZoneInfo:
    try:
        return ZoneInfo(shop.iana_timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def run_progress(shop: Shop, *, now: datetime | None = None) -> dict[str, Any]:
    """The shop's running pass, or else its last one, as the overview polls it while a pass runs.
    A running history import (the full sweep after go-live) also says how many orders it has to
    book, once Shopify has listed them, and about how long it has left (``time_left``, '' until
    there is enough to go on)."""
    run = SyncRun.objects.filter(shop=shop).order_by("-started_at", "-pk").first()
    if run is None:
        return {"running": False, "run": None}
    running = run.status == SyncRun.Status.RUNNING
    history_import = run.kind == "full"
    size = import_size(shop, run) if running and history_import else None
    left = None
    if size is not None:
        elapsed = ((now or timezone.now()) - size.ready_at).total_seconds()
        left = import_time_left(done=run.orders_seen, total=size.orders, elapsed=elapsed)
    return {
        "running": running,
        "run": {
            "id": run.pk,
            "status": run.status,
            "status_display": run.get_status_display(),
            "history_import": history_import,
            "started_at": run.started_at.isoformat(),
            "started_display": date_format(timezone.localtime(run.started_at), "DATETIME_FORMAT"),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "orders_seen": run.orders_seen,
            "orders_total": size.orders if size else None,
            "time_left": time_left_words(left) if left is not None else "",
            "documents_written": run.documents_written,
            "skipped": run.skipped,
            "failed": run.failed,
            "error": run.error,
        },
    }


# --- the history import's estimate of the time left ------------------------------------------
# An estimate only once the import has booked this many orders for at least this long: the
# first orders (a cold start, the refunds fetched again) say little about the rate.
ESTIMATE_AFTER_ORDERS = 20
ESTIMATE_AFTER_SECONDS = 15.0
# How long the web process keeps Shopify's count of a running import's orders, and how soon it
# asks again while Shopify is still listing them.
IMPORT_SIZE_KEEP_SECONDS = 6 * 3600
IMPORT_SIZE_ASK_AGAIN_SECONDS = 15
# Shopify's clock and ours: an operation finished before the import started is not its own.
CLOCK_SKEW = timedelta(minutes=2)


@dataclass(frozen=True)
class ImportSize:
    orders: int  # what the import has to book
    ready_at: datetime  # when Shopify had listed them: the import books from then on


def import_time_left(*, done: int, total: int, elapsed: float) -> float | None:
    """Seconds left at the rate of the orders booked so far in this import (``done`` of
    ``total`` in ``elapsed`` seconds), or None until there is enough to estimate honestly."""
    if done < ESTIMATE_AFTER_ORDERS or elapsed < ESTIMATE_AFTER_SECONDS or done >= total:
        return None
    return (total - done) * elapsed / done


def time_left_words(seconds: float) -> str:
    """The estimate in words, as in "about 3 minutes left": whole minutes rounded up, whole hours
    past an hour and a half."""
    if seconds < 60:
        return "less than a minute left"
    if seconds < 90 * 60:
        minutes = math.ceil(seconds / 60)
        return f"about {text.counted(minutes, 'minute')} left"
    return f"about {round(seconds / 3600)} hours left"


def import_size(shop: Shop, run: SyncRun) -> ImportSize | None:
    """How many orders the running history import ``run`` has to book, from Shopify's bulk
    operation; None while Shopify is still listing them (or cannot be asked). Kept per run, so
    the overview's polls ask Shopify once per import, not every two seconds."""
    key = f"shopqb:import-size:{run.pk}"
    known = cache.get(key)
    if known is not None:
        return known or None  # False: asked a moment ago, not known yet
    size = _import_size_ask(shop, run)
    cache.set(key, size or False, IMPORT_SIZE_KEEP_SECONDS if size else IMPORT_SIZE_ASK_AGAIN_SECONDS)
    return size


def _import_size_ask(shop: Shop, run: SyncRun) -> ImportSize | None:
    try:
        listed = orders_listed(shopify_client(shop))
    except (ShopifyError, tokens.TokenRevoked, tokens.TokenRefreshFailed) as exc:
        log.info("no estimate for the history import of %s: %s", shop.domain, exc)
        return None
    if listed is None or listed.completed_at < run.started_at - CLOCK_SKEW:
        return None  # still listing, or an earlier operation: this import's is not listed yet
    return ImportSize(orders=listed.orders, ready_at=listed.completed_at)
