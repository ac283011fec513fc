"""Passes over a shop: the sweep and the drain of the orders webhooks queued.

The sweep (a SyncRun, one per shop at a time) takes every order updated since the
last watermark (a backfill: every order since the merchant's start date), recovers
writes left behind by failures and dead workers, drains the queue, refreshes the
products changed in Shopify and books the payouts. The drain works off the queue of
orders webhooks asked for (syncing/pending.py), most urgent first, fetching each
order once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Shop
from mappings import tasks as mapping_tasks
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.errors import ShopifyError
from shopqb_app.integrations.shopify.fetch import all_orders, changed_order_ids, fetch_order
from shopqb_app.integrations.shopify.parse import parse_datetime
from syncing import pending
from syncing.context import ShopNotReady, SyncContext, claim_lease, context_open
from syncing.models import UNKNOWN_VERSION, Outcome, PendingSync, SyncedRecord, SyncIssue, SyncRun
from syncing.orders import order_is_current, order_not_found, order_process
from syncing.payouts import payouts_sync
from syncing.writing import MAX_ATTEMPTS

log = logging.getLogger(__name__)

SWEEP_OVERLAP = timedelta(minutes=5)
DRAIN_RETRY_SECONDS = 30
WRITTEN = (Outcome.WRITTEN, Outcome.UPDATED, Outcome.RECOVERED, Outcome.VOIDED)
# How often a running pass writes its counters for the overview's live progress: one small
# UPDATE every so many orders, or every few seconds when orders come slowly.
PROGRESS_EVERY_ORDERS = 10
PROGRESS_EVERY_SECONDS = 2.0


class SweepBusy(ShopNotReady):
    """Another pass over this shop is running."""


@dataclass
class SweepResult:
    run: SyncRun
    outcomes: dict[str, int]


def shop_sweep(*, shop_id: int, full: bool = False) -> SweepResult:
    """Every order updated since the last sweep (the first time, and in a full sweep: every order
    since the start date), then retries, the queue, the products changed and the payouts."""
    ctx = context_open(shop_id)
    run = run_start(ctx.shop, kind="full" if full else "sweep")
    outcomes: dict[str, int] = {}
    watermark = None
    since = None if full else _last_watermark(ctx.shop)
    search = f"updated_at:>'{(since - SWEEP_OVERLAP).isoformat()}'" if since else _history_search(ctx)
    progress = _Progress(run)
    try:
        for gid, updated_at, raw in _changed_orders(ctx, search=search, backfill=full or since is None):
            updated = parse_datetime(updated_at)
            watermark = max(watermark, updated) if watermark else updated
            if not full and order_is_current(ctx.shop, gid, updated):
                # Seen at this version already (the sweep window overlaps): no need to fetch it.
                _tally(outcomes, Outcome.UNCHANGED)
                progress.tick(outcomes)
                continue
            raw = raw or fetch_order(ctx.shopify, gid)
            if raw is None:
                continue  # deleted between the listing and the fetch
            _tally(outcomes, order_process(ctx, raw))
            progress.tick(outcomes)
        for outcome in _recover(ctx, before=run.started_at):
            _tally(outcomes, outcome)
        progress.write(outcomes)
        for key, count in _drain(ctx, deadline=_task_deadline()).items():
            _tally(outcomes, key, count)
        progress.write(outcomes)
        _products_refresh(ctx.shop)
        for outcome in payouts_sync(ctx):
            _tally(outcomes, f"payout {outcome}")
    except (ShopifyError, qbo.QBOError) as exc:
        _run_finish(run, outcomes, watermark or since, SyncRun.Status.FAILED, str(exc))
        SyncIssue.objects.raise_for(shop=ctx.shop, code="sweep_failed", message=f"Sync stopped: {exc}", retryable=True)
        raise
    _run_finish(run, outcomes, watermark or since, SyncRun.Status.SUCCEEDED, "")
    SyncIssue.objects.filter(shop=ctx.shop, code="sweep_failed").resolve()
    return SweepResult(run=run, outcomes=outcomes)


def run_start(shop: Shop, *, kind: str) -> SyncRun:
    """Start a pass, unless one is running; a pass silent for longer than a task may
    live (its worker died) is closed as abandoned first."""
    stale_before = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"] * 2)
    SyncRun.objects.filter(shop=shop, status=SyncRun.Status.RUNNING, started_at__lt=stale_before).update(
        status=SyncRun.Status.FAILED, finished_at=timezone.now(), error="abandoned: the worker stopped"
    )
    try:
        with transaction.atomic():
            return SyncRun.objects.create(shop=shop, kind=kind)
    except IntegrityError as exc:
        raise SweepBusy(f"another sync of {shop.domain} is running") from exc


def _history_search(ctx: SyncContext) -> str | None:
    """Where a backfill starts: the first moment of the merchant's start date in the shop's time
    zone (the day the skip rule counts in), so older orders are not read at all. None: from the
    beginning of the store."""
    start_date = ctx.rules.start_date
    if start_date is None:
        return None
    start = datetime.combine(start_date, datetime.min.time(), tzinfo=ZoneInfo(ctx.mapping.timezone)).astimezone(UTC)
    # Reference: https://shopify.dev/docs/api/usage/search-syntax (a date value is quoted)
    return f"processed_at:>='{start.isoformat()}'"


def _products_refresh(shop: Shop) -> None:
    """The variants added or changed in Shopify since the last pass, so that the Products step
    shows them without a full reload (mappings/tasks.py). A failure never fails the pass: the
    next one tries again, and an issue says so until one succeeds."""
    try:
        result = mapping_tasks.products_refresh(shop.pk)
    except Exception as exc:
        # A bug or a database error in the refresh must not stop the books being kept.
        log.exception("refreshing the products of %s failed", shop.domain)
        result = {"error": f"{type(exc).__name__}: {exc}"}
    if "error" not in result:
        SyncIssue.objects.filter(shop=shop, code="products_refresh_failed").resolve()
        return
    log.warning("products of %s not refreshed, the next pass tries again: %s", shop.domain, result["error"])
    SyncIssue.objects.raise_for(
        shop=shop,
        code="products_refresh_failed",
        message=f"Products added or changed in Shopify could not be read: {result['error']}",
        retryable=False,
    )


def _changed_orders(
    ctx: SyncContext, *, search: str | None, backfill: bool
) -> Iterator[tuple[str, str, dict[str, Any] | None]]:
    """(gid, updatedAt, the order if already fetched). A backfill reads everything in
    one bulk operation; an incremental sweep lists ids and fetches what changed."""
    if backfill:
        for raw in all_orders(ctx.shopify, search=search):
            yield str(raw["id"]), str(raw["updatedAt"]), raw
    else:
        for gid, updated_at in changed_order_ids(ctx.shopify, search=search):
            yield gid, updated_at, None


def _recover(ctx: SyncContext, *, before: datetime) -> list[Outcome]:
    """Orders left behind: a write that failed before this run (up to MAX_ATTEMPTS tries),
    or a write whose worker died mid-way (its claim expired). Each is fetched again and
    processed; the claim, the stable requestid and the DocNumber lookup keep it exactly once."""
    failed = Q(status=SyncedRecord.Status.FAILED, attempts__lt=MAX_ATTEMPTS, updated_at__lt=before)
    abandoned = Q(status=SyncedRecord.Status.WRITING, claimed_at__lt=timezone.now() - claim_lease())
    order_gids = (
        SyncedRecord.objects.filter(failed | abandoned, shop=ctx.shop)
        .exclude(order_gid="")
        .values_list("order_gid", flat=True)
        .distinct()
    )
    outcomes = []
    for gid in list(order_gids):
        raw = fetch_order(ctx.shopify, gid)
        if raw is not None:
            outcomes.append(order_process(ctx, raw))
    return outcomes


def _last_watermark(shop: Shop) -> datetime | None:
    run = (
        SyncRun.objects.filter(shop=shop, status=SyncRun.Status.SUCCEEDED, watermark__isnull=False)
        .order_by("-watermark")
        .first()
    )
    return run.watermark if run else None


def _run_finish(run: SyncRun, outcomes: dict[str, int], watermark: datetime | None, status: str, error: str) -> None:
    run.status = status
    run.error = error[:2000]
    run.finished_at = timezone.now()
    run.watermark = watermark
    for field, value in _run_counts(outcomes).items():
        setattr(run, field, value)
    run.save()


def _run_counts(outcomes: dict[str, int]) -> dict[str, int]:
    return {
        "orders_seen": sum(n for k, n in outcomes.items() if not k.startswith("payout ")),
        "documents_written": sum(outcomes.get(k, 0) + outcomes.get(f"payout {k}", 0) for k in WRITTEN),
        "skipped": outcomes.get(Outcome.SKIPPED, 0),
        "failed": outcomes.get(Outcome.FAILED, 0) + outcomes.get(f"payout {Outcome.FAILED}", 0),
    }


class _Progress:
    """A running pass's counters, written as it goes so the overview shows real progress."""

    def __init__(self, run: SyncRun) -> None:
        self.run = run
        self.since_write = 0
        self.written_at = time.monotonic()

    def tick(self, outcomes: dict[str, int]) -> None:
        self.since_write += 1
        if self.since_write >= PROGRESS_EVERY_ORDERS or time.monotonic() - self.written_at >= PROGRESS_EVERY_SECONDS:
            self.write(outcomes)

    def write(self, outcomes: dict[str, int]) -> None:
        # Only while it runs: a pass closed meanwhile (abandoned by run_start) keeps its end.
        SyncRun.objects.filter(pk=self.run.pk, status=SyncRun.Status.RUNNING).update(**_run_counts(outcomes))
        self.since_write = 0
        self.written_at = time.monotonic()


def _tally(outcomes: dict[str, int], outcome: str, count: int = 1) -> None:
    # Plain string keys: the counts end up in task results and logs, where an enum's repr would leak.
    key = str(outcome)
    outcomes[key] = outcomes.get(key, 0) + count


# --- the queue of orders asked for by webhooks (syncing/pending.py) ------------------------


def shop_drain(*, shop_id: int) -> dict[str, int]:
    """Sync the shop's queued orders, most urgent first, until the queue is empty."""
    try:
        ctx = context_open(shop_id)
    except ShopNotReady as exc:
        # The rows stay queued; the shop's sweep drains them once it is ready again.
        log.info("queued orders of shop %s wait: %s", shop_id, exc)
        return {str(Outcome.NOT_READY): pending.waiting(shop_id=shop_id)}
    return _drain(ctx, deadline=_task_deadline())


def _task_deadline() -> float:
    """When a drain inside a task stops taking new orders: well before django-q2 kills the
    task, so it never dies mid-write for lack of time; a follow-up drain continues."""
    return time.monotonic() + float(settings.Q_CLUSTER["timeout"]) / 2


def _drain(ctx: SyncContext, *, deadline: float) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    while True:
        if time.monotonic() > deadline:
            if pending.waiting(shop_id=ctx.shop.pk):
                pending.enqueue_drain(shop_id=ctx.shop.pk)
            break
        rows = pending.claim(shop_id=ctx.shop.pk, limit=1, lease=claim_lease())
        if not rows:
            break
        for n, row in enumerate(rows):
            try:
                outcome = _drain_one(ctx, row)
            except (ShopifyError, qbo.QBOError) as exc:
                # Shopify or the company is unreachable or throttling: give the rows back
                # and come back later instead of hammering it order by order.
                pending.release(rows[n:], until=pending.retry_at(DRAIN_RETRY_SECONDS))
                pending.drain_later(shop_id=ctx.shop.pk, at=pending.retry_at(DRAIN_RETRY_SECONDS))
                log.warning("drain of %s stopped, will retry: %s", ctx.shop.domain, exc)
                _tally(outcomes, Outcome.DEFERRED, len(rows) - n)
                return outcomes
            _tally(outcomes, outcome)
    return outcomes


def _drain_one(ctx: SyncContext, row: PendingSync) -> Outcome:
    if row.announced != UNKNOWN_VERSION and order_is_current(ctx.shop, row.order_gid, row.announced):
        # Every request so far announced a version already booked (a busy day's late
        # repeats): nothing to fetch.
        pending.finish(row, fetched=row.announced)
        return Outcome.UNCHANGED
    if _order_claim_expires(ctx.shop, row.order_gid) is None:
        raw = fetch_order(ctx.shopify, row.order_gid)
        if raw is None:
            order_not_found(ctx.shop, row.order_gid)
            outcome = Outcome.FAILED
        else:
            outcome = order_process(ctx, raw)
        if outcome != Outcome.BUSY:
            pending.finish(row, fetched=parse_datetime(raw["updatedAt"]) if raw else None)
            return outcome
    # Another worker is writing this order's documents, or died doing so and its claim
    # has not expired: come back when it has at the latest; never drop the request.
    expires = _order_claim_expires(ctx.shop, row.order_gid) or timezone.now()
    when = min(expires + timedelta(seconds=1), pending.retry_at(DRAIN_RETRY_SECONDS))
    pending.release([row], until=when)
    pending.drain_later(shop_id=ctx.shop.pk, at=when)
    return Outcome.BUSY


def _order_claim_expires(shop: Shop, order_gid: str) -> datetime | None:
    """When the newest live claim on one of the order's documents expires, or None."""
    live = SyncedRecord.objects.filter(
        shop=shop,
        order_gid=order_gid,
        status=SyncedRecord.Status.WRITING,
        claimed_at__gte=timezone.now() - claim_lease(),
    )
    newest = live.order_by("-claimed_at").values_list("claimed_at", flat=True).first()
    return newest + claim_lease() if newest else None
