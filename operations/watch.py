"""The watch: every few minutes (a django-q2 schedule, operations/migrations/0002), find what
needs a person and keep the alerts in step (operations/alerts.py).

Conditions, each a shop's unless said:
- syncing paused because access was lost: QuickBooks' grant refused (``invalid_grant``: reconnect)
  or Shopify's token revoked;
- no sync pass completed for ALERT_SWEEP_STALE_MINUTES although the shop is live and connected;
- orders waiting in the shop's queue for longer than ALERT_BACKLOG_MINUTES;
- issues open for longer than ALERT_ISSUE_AGE_HOURS;
- the last daily reconciliation found a difference (``reconcile_run``, at most once a day per shop:
  it reads Shopify's orders and QuickBooks' documents);
- the operators': the task queue holds ALERT_QUEUE_DEPTH tasks or more and more than it held
  ALERT_QUEUE_WINDOW_MINUTES ago.

Every function takes ``now``, so tests move the clock by passing it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Count, Max, Min, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_q.brokers import get_broker

from accounts.models import PauseCode, QuickBooksConnection, Shop
from operations.alerts import Condition, alerts_update
from operations.models import Alert, AlertKind, QueueSample, ReconcileCheck
from shopqb_app.integrations.quickbooks.errors import QBOError
from shopqb_app.integrations.shopify.errors import ShopifyError
from shopqb_app.text import counted
from syncing.context import ShopNotReady
from syncing.models import PendingSync, SyncIssue, SyncRun
from syncing.reconcile import Reconciliation, reconcile_shop

log = logging.getLogger(__name__)

RECONCILE_EVERY = timedelta(days=1)
SWEEP_KINDS = ("sweep", "full")


@dataclass
class WatchResult:
    alerts: int
    resolved: int
    queue_depth: int | None
    reconcile_due: list[int]


def watch_run(*, now: datetime | None = None) -> WatchResult:
    """One round of the watch: the alerts brought up to date, and the shops whose daily
    reconciliation is due claimed (the caller queues them: ``operations.tasks``)."""
    now = now or timezone.now()
    depth = queue_sample(now=now)
    conditions = conditions_find(now=now, queue_depth=depth)
    alerts, resolved = alerts_update(conditions, now=now)
    return WatchResult(alerts=len(alerts), resolved=resolved, queue_depth=depth, reconcile_due=reconcile_claim(now=now))


def conditions_find(*, now: datetime, queue_depth: int | None = None) -> list[Condition]:
    found: list[Condition] = []
    shops = Shop.objects.filter(installed_at__isnull=False, uninstalled_at__isnull=True).select_related(
        "qbo", "sync_settings", "reconcile_check"
    )
    backlog = _backlogs(now)
    old_issues = _old_issues(now)
    for shop in shops:
        waiting = backlog.get(shop.pk)
        issues = old_issues.get(shop.pk)
        candidates = (
            _paused(shop),
            _sweep_stale(shop, now),
            _backlog(shop, *waiting) if waiting else None,
            _issues(shop, issues) if issues else None,
            _reconcile(shop),
        )
        found.extend(c for c in candidates if c is not None)
    queue = _queue_growing(now, queue_depth)
    if queue:
        found.append(queue)
    return found


def sweepable_shops() -> QuerySet[Shop]:
    """Shops the sync should be working for now: installed, not paused, connected, live."""
    return Shop.objects.filter(
        installed_at__isnull=False,
        uninstalled_at__isnull=True,
        sync_paused=False,
        qbo__status=QuickBooksConnection.Status.CONNECTED,
        sync_settings__live_at__isnull=False,
    )


def _paused(shop: Shop) -> Condition | None:
    connection = _connection(shop)
    reconnect = connection is not None and connection.status == QuickBooksConnection.Status.RECONNECT_NEEDED
    if reconnect or (shop.sync_paused and shop.paused_code == PauseCode.QBO_RECONNECT):
        reason = (connection.status_reason if connection else "") or shop.paused_reason
        return Condition(
            kind=AlertKind.SHOP_PAUSED,
            key=PauseCode.QBO_RECONNECT,
            shop=shop,
            title="QuickBooks needs reconnecting",
            message="QuickBooks no longer accepts ShopQB's access"
            + (f" ({reason.rstrip('.')})" if reason else "")
            + ". Nothing is written to QuickBooks until you reconnect; orders wait and are written after.",
            fix_url_name="home",
            fix_label="Reconnect QuickBooks",
        )
    if shop.sync_paused and shop.paused_code == PauseCode.SHOPIFY_REVOKED:
        return Condition(
            kind=AlertKind.SHOP_PAUSED,
            key=PauseCode.SHOPIFY_REVOKED,
            shop=shop,
            title="ShopQB lost its access to your store",
            message="Shopify no longer accepts ShopQB's access to the store"
            + (f" ({shop.paused_reason.rstrip('.')})" if shop.paused_reason else "")
            + ". Nothing is synced until ShopQB is opened in the Shopify admin again, which renews it.",
            fix_url_name="home",
            fix_label="Open ShopQB",
        )
    return None


def _sweep_stale(shop: Shop, now: datetime) -> Condition | None:
    settings_row = getattr(shop, "sync_settings", None)
    connection = _connection(shop)
    live_at = settings_row.live_at if settings_row else None
    if shop.sync_paused or live_at is None or connection is None or not connection.is_connected:
        return None
    limit = timedelta(minutes=settings.ALERT_SWEEP_STALE_MINUTES)
    runs = SyncRun.objects.filter(shop=shop, kind__in=SWEEP_KINDS)
    last_done = (
        runs.filter(status=SyncRun.Status.SUCCEEDED, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    # Late counts from the last pass, the go-live, the (re)connection or the end of a pause for lost
    # access (its alert open now: it ends with this check), whichever came last.
    pause_ended = (
        Alert.objects.filter(shop=shop, kind=AlertKind.SHOP_PAUSED)
        .annotate(ended=Coalesce("resolved_at", Value(now)))
        .aggregate(last=Max("ended"))["last"]
    )
    since = max(t for t in (last_done, live_at, connection.connected_at, pause_ended) if t is not None)
    if since > now - limit:
        return None
    failed = runs.filter(status=SyncRun.Status.FAILED, started_at__gt=since).order_by("-started_at").first()
    why = f" The last pass stopped: {failed.error.removeprefix('Stopped: ')}" if failed and failed.error else ""
    when = _local(shop, since)
    return Condition(
        kind=AlertKind.SWEEP_STALE,
        shop=shop,
        title="The sync has not completed a pass recently",
        message=(
            f"No sync pass has completed since {when} ({_minutes(now - since)}); "
            f"a pass normally runs every few minutes.{why.rstrip('.') + '.' if why else ''} "
            "Orders are not reaching QuickBooks until a pass completes."
        ),
        fix_url_name="issues" if failed else "home",
        fix_label="See what stopped it" if failed else "See the sync",
    )


def _backlogs(now: datetime) -> dict[int, tuple[int, datetime]]:
    """Per shop: orders queued longer than ALERT_BACKLOG_MINUTES, and the oldest request."""
    before = now - timedelta(minutes=settings.ALERT_BACKLOG_MINUTES)
    rows = (
        PendingSync.objects.filter(requested_at__lt=before, shop__sync_paused=False)
        .values("shop_id")
        .annotate(count=Count("pk"), oldest=Min("requested_at"))
    )
    return {row["shop_id"]: (row["count"], row["oldest"]) for row in rows}


def _backlog(shop: Shop, count: int, oldest: datetime) -> Condition:
    return Condition(
        kind=AlertKind.QUEUE_BACKLOG,
        shop=shop,
        title="Orders are waiting to be synced",
        message=(
            f"{counted(count, 'order has', 'orders have')} waited more than "
            f"{settings.ALERT_BACKLOG_MINUTES} minutes to be written to QuickBooks "
            f"(the oldest since {_local(shop, oldest)})."
        ),
        fix_url_name="home",
        fix_label="See the sync",
    )


def _old_issues(now: datetime) -> dict[int, int]:
    before = now - timedelta(hours=settings.ALERT_ISSUE_AGE_HOURS)
    rows = SyncIssue.objects.open().filter(created_at__lt=before).values("shop_id").annotate(count=Count("pk"))
    return {row["shop_id"]: row["count"] for row in rows}


def _issues(shop: Shop, count: int) -> Condition:
    age = settings.ALERT_ISSUE_AGE_HOURS
    return Condition(
        kind=AlertKind.ISSUES_STALE,
        shop=shop,
        title="Open issues need your attention",
        message=(
            f"{counted(count, 'issue has', 'issues have')} been open for more than "
            f"{'a day' if age == 24 else f'{age} hours'}; what {'it holds' if count == 1 else 'they hold'} back "
            "stays out of QuickBooks until fixed."
        ),
        fix_url_name="issues",
        fix_label="Open the Issues page",
    )


def _reconcile(shop: Shop) -> Condition | None:
    check = getattr(shop, "reconcile_check", None)
    if check is None or check.matched is not False:
        return None
    return Condition(
        kind=AlertKind.RECONCILE_DIFFERENCE,
        shop=shop,
        title="Shopify and QuickBooks differ",
        message=f"The daily reconciliation found differences: {check.summary}",
        fix_url_name="reconcile",
        fix_label="Open the reconciliation",
    )


def queue_sample(*, now: datetime) -> int | None:
    """The task queue's depth now, kept for a day to tell whether it grows; None if unknown."""
    try:
        depth = int(get_broker().queue_size() or 0)
    except Exception as exc:  # the broker is down: /readyz says so
        log.warning("the task queue's depth could not be read: %s", exc)
        return None
    QueueSample.objects.create(taken_at=now, depth=depth)
    QueueSample.objects.filter(taken_at__lt=now - timedelta(days=1)).delete()
    return depth


def _queue_growing(now: datetime, depth: int | None) -> Condition | None:
    if depth is None or depth < settings.ALERT_QUEUE_DEPTH:
        return None
    window = timedelta(minutes=settings.ALERT_QUEUE_WINDOW_MINUTES)
    earlier = QueueSample.objects.filter(taken_at__lte=now - window).order_by("-taken_at").first()
    if earlier is None or earlier.depth >= depth:
        return None
    return Condition(
        kind=AlertKind.QUEUE_BACKLOG,
        key="task_queue",
        title="The task queue is growing",
        message=(
            f"{depth:,} tasks wait in the queue, {depth - earlier.depth:,} more than "
            f"{_minutes(now - earlier.taken_at)} ago: the workers do not keep up (or have stopped). "
            "Add workers (Q_WORKERS, or another cluster) or look at the failed tasks in the admin."
        ),
        fix_url_name="admin:django_q_ormq_changelist",
        fix_label="See the queue",
    )


def reconcile_claim(*, now: datetime) -> list[int]:
    """The shops whose daily reconciliation is due, each claimed with one conditional UPDATE (a
    second watch at the same time claims none of them). Only shops whose sync is caught up: a
    reconciliation while orders wait would report them as differences."""
    shops = sweepable_shops().exclude(pending_syncs__isnull=False)
    due: list[int] = []
    for shop_id in shops.values_list("pk", flat=True):
        check, _ = ReconcileCheck.objects.get_or_create(shop_id=shop_id)
        if check.started_at is not None and check.started_at > now - RECONCILE_EVERY:
            continue
        if ReconcileCheck.objects.filter(pk=check.pk, started_at=check.started_at).update(started_at=now):
            due.append(shop_id)
    return due


def reconcile_run(*, shop_id: int, now: datetime | None = None) -> ReconcileCheck:
    """Run the shop's reconciliation (it reads Shopify and QuickBooks) and keep its verdict. When it
    cannot run, the verdict before stands and the reason is kept: an outage does not clear an alert."""
    check, _ = ReconcileCheck.objects.get_or_create(shop_id=shop_id)
    try:
        report = reconcile_shop(shop_id=shop_id)
    except (ShopNotReady, QBOError, ShopifyError) as exc:
        log.info("reconciliation of shop %s did not run: %s", shop_id, exc)
        ReconcileCheck.objects.filter(pk=check.pk).update(finished_at=now or timezone.now(), error=str(exc)[:2000])
    else:
        ReconcileCheck.objects.filter(pk=check.pk).update(
            finished_at=now or timezone.now(), matched=report.matched, summary=reconcile_summary(report), error=""
        )
    check.refresh_from_db()
    return check


def reconcile_summary(report: Reconciliation) -> str:
    """The differences in a sentence, in the shop's currency."""
    if report.matched:
        return "Shopify and QuickBooks match."
    cur = report.currency
    parts = []
    if report.shopify_total != report.qbo_total:
        parts.append(f"sales {report.shopify_total:,.2f} in Shopify, {report.qbo_total:,.2f} in QuickBooks")
    if report.refunds_shopify != report.refunds_qbo:
        parts.append(f"refunds {report.refunds_shopify:,.2f} in Shopify, {report.refunds_qbo:,.2f} in QuickBooks")
    if report.payouts_shopify != report.payouts_qbo:
        parts.append(f"payouts {report.payouts_shopify:,.2f} in Shopify, {report.payouts_qbo:,.2f} in QuickBooks")
    unexplained = [check.label for check in report.accounts if check.unexplained]
    if unexplained:
        parts.append("unexplained balances in " + ", ".join(unexplained))
    documents = counted(len(report.differences), "document or order differs", "documents or orders differ")
    return f"{documents}" + (f"; {'; '.join(parts)} ({cur})" if parts else "") + "."


def _connection(shop: Shop) -> QuickBooksConnection | None:
    try:
        return shop.qbo
    except QuickBooksConnection.DoesNotExist:
        return None


def _local(shop: Shop, moment: datetime) -> str:
    try:
        zone = ZoneInfo(shop.iana_timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return timezone.localtime(moment, zone).strftime("%d %b %Y %H:%M %Z")


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 120:
        return counted(minutes, "minute")
    hours = minutes // 60
    return counted(hours, "hour") if hours < 48 else counted(hours // 24, "day")
