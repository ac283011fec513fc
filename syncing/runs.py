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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import QuickBooksConnection, Shop
from mappings import tasks as mapping_tasks
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.errors import ShopifyError
from shopqb_app.integrations.shopify.fetch import all_orders, changed_order_ids, fetch_order
from shopqb_app.integrations.shopify.parse import parse_datetime
from syncing import batches, cdc, pending
from syncing.context import ShopNotReady, SyncContext, claim_lease, context_open
from syncing.models import UNKNOWN_VERSION, Outcome, PendingSync, SyncedRecord, SyncIssue, SyncRun
from syncing.orders import order_is_current, order_not_found, order_process
from syncing.payouts import payouts_sync
from syncing.summary import summaries_sync
from syncing.writing import FAILURE_CODES, MAX_ATTEMPTS

log = logging.getLogger(__name__)

SWEEP_OVERLAP = timedelta(minutes=5)
DRAIN_RETRY_SECONDS = 30
WRITTEN = (Outcome.WRITTEN, Outcome.UPDATED, Outcome.RECOVERED, Outcome.VOIDED)
# How often a running pass writes its counters for the overview's live progress: one small
# UPDATE every so many orders, or every few seconds when orders come slowly.
PROGRESS_EVERY_ORDERS = 10
PROGRESS_EVERY_SECONDS = 2.0
# The issue a refusal of our QuickBooks access raises (the writer raises the same code per document).
AUTH_CODE = FAILURE_CODES[qbo.QBOAuthError]


class SweepBusy(ShopNotReady):
    """Another pass over this shop is running."""


@dataclass
class PassOrders:
    """The orders one pass has dealt with so far. The listing, the recovery and the queue may
    all name the same order: it is counted once, and one that failed is tried once (each try
    counts against its bounded attempts and on its issue, "2 times" after a single pass)."""

    counted: set[str] = field(default_factory=set)
    failed: dict[str, datetime] = field(default_factory=dict)  # gid -> the updatedAt it failed at


@dataclass
class SweepResult:
    run: SyncRun
    outcomes: dict[str, int]


def shop_sweep(*, shop_id: int, full: bool = False) -> SweepResult:
    """Every order updated since the last sweep (the first time, and in a full sweep: every order
    since the start date), then retries, the queue, the products changed and the payouts."""
    kind = "full" if full else "sweep"
    opened_at = timezone.now()
    try:
        ctx = context_open(shop_id)
    except (ShopNotReady, qbo.QBOAuthError) as exc:
        if _quickbooks_refused_since(shop_id, opened_at, exc):
            _refused_pass_record(shop_id, kind=kind, error=exc)
        raise
    run = run_start(ctx.shop, kind=kind)
    outcomes: dict[str, int] = {}
    tried = PassOrders()
    watermark = None
    since = None if full else _last_watermark(ctx.shop)
    search = f"updated_at:>'{(since - SWEEP_OVERLAP).isoformat()}'" if since else _history_search(ctx)
    progress = _Progress(run)
    chunk: dict[str, dict[str, Any]] = {}
    try:
        # Before any write: what a person changed in QuickBooks since the last pass is left alone.
        cdc.drift_check_in_pass(ctx.shop, ctx.qb)
        for gid, updated_at, raw in _changed_orders(ctx, search=search, backfill=full or since is None):
            updated = parse_datetime(updated_at)
            watermark = max(watermark, updated) if watermark else updated
            if gid in tried.failed:
                continue  # listed twice (it changed while the listing paged through)
            if not full and order_is_current(ctx.shop, gid, updated):
                # Seen at this version already (the sweep window overlaps): no need to fetch it.
                _tally(outcomes, Outcome.UNCHANGED)
                tried.counted.add(gid)
                progress.tick(outcomes)
                continue
            raw = raw or fetch_order(ctx.shopify, gid)
            if raw is None:
                continue  # deleted between the listing and the fetch
            # Written a chunk at a time (new documents in QuickBooks batch requests): the listing
            # streams, and no more than a chunk of orders is held at once.
            chunk[gid] = raw  # listed twice within a chunk: the later version
            if len(chunk) >= batches.ORDERS_PER_CHUNK:
                _chunk_try(ctx, chunk, tried, outcomes, progress)
        _chunk_try(ctx, chunk, tried, outcomes, progress)
        for outcome in _recover(ctx, before=run.started_at, tried=tried):
            _tally(outcomes, outcome)
        progress.write(outcomes)
        for key, count in _drain(ctx, deadline=_task_deadline(), tried=tried).items():
            _tally(outcomes, key, count)
        progress.write(outcomes)
        _products_refresh(ctx.shop)
        for outcome in summaries_sync(ctx):  # posting mode "summary": before the payouts' Deposits
            _tally(outcomes, f"summary {outcome}")
        for outcome in payouts_sync(ctx):
            _tally(outcomes, f"payout {outcome}")
    except (ShopifyError, qbo.QBOError) as exc:
        _run_finish(run, outcomes, watermark or since, SyncRun.Status.FAILED, f"Stopped: {exc}")
        if isinstance(exc, qbo.QBOAuthError):
            quickbooks_refused(ctx.shop, exc)
        else:
            SyncIssue.objects.raise_for(
                shop=ctx.shop, code="sweep_failed", message=f"Sync stopped: {exc}", retryable=True
            )
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


def quickbooks_refused(shop: Shop, exc: Exception) -> SyncIssue:
    """QuickBooks refused our access (revoked, expired or signed out): one issue for the shop,
    "Reconnect QuickBooks", whatever order the refusal came with. The orders it stopped stay
    failed or queued and are written after the reconnect (syncing/receivers.py resolves it)."""
    issue = SyncIssue.objects.raise_for(
        shop=shop,
        code=AUTH_CODE,
        message=f"QuickBooks refused ShopQB's access: {exc}",
        retryable=False,
        detail={"qbo_code": str(getattr(exc, "code", "") or "3200")},
    )
    # One cause, one entry: the per-order copies of this refusal fold into the shop's issue.
    SyncIssue.objects.open().filter(shop=shop, code=AUTH_CODE).exclude(pk=issue.pk).resolve()
    return issue


def _quickbooks_refused_since(shop_id: int, since: datetime, exc: Exception) -> bool:
    """Whether opening the pass met QuickBooks' refusal itself: the connection was marked
    "reconnect needed" just now (a refresh refused), or it still refuses a renewed token. A
    shop already waiting for a reconnect, or paused for another reason, is no news."""
    if isinstance(exc, qbo.QBOAuthError):
        return True
    return QuickBooksConnection.objects.filter(
        shop_id=shop_id, status=QuickBooksConnection.Status.RECONNECT_NEEDED, updated_at__gte=since
    ).exists()


def _refused_pass_record(shop_id: int, *, kind: str, error: Exception) -> None:
    """A pass that stopped at its first QuickBooks call leaves its trace: a pass ended as
    stopped with the reason, and the shop's issue that asks to reconnect."""
    shop = Shop.objects.get(pk=shop_id)
    try:
        run = run_start(shop, kind=kind)
    except SweepBusy:
        run = None  # the running pass meets the refusal too and records it
    if run is not None:
        _run_finish(run, {}, None, SyncRun.Status.FAILED, f"Stopped: {error}")
    quickbooks_refused(shop, error)


def _history_search(ctx: SyncContext) -> str | None:
    """Where a backfill starts: orders processed since the first moment of the merchant's start
    date in the shop's time zone (the day the skip rule counts in), and older orders refunded since
    (their refunds are booked: ``orders.earlier_refunds_plan``); other older orders are not read at
    all. None: from the beginning of the store."""
    start_date = ctx.rules.start_date
    if start_date is None:
        return None
    start = datetime.combine(start_date, datetime.min.time(), tzinfo=ZoneInfo(ctx.mapping.timezone)).astimezone(UTC)
    # Reference: https://shopify.dev/docs/api/usage/search-syntax (a date value is quoted)
    since = f"'{start.isoformat()}'"
    # Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/queries/orders (financial_status values)
    refunded = "(financial_status:refunded OR financial_status:partially_refunded)"
    return f"processed_at:>={since} OR (updated_at:>={since} AND {refunded})"


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


def _recover(ctx: SyncContext, *, before: datetime, tried: PassOrders) -> list[Outcome]:
    """Orders left behind: a write that failed before this run (up to MAX_ATTEMPTS tries),
    or a write whose worker died mid-way (its claim expired). Each is fetched again and
    processed, unless it failed in this pass already; the claim, the stable requestid and the
    DocNumber lookup keep it exactly once."""
    failed_before = Q(status=SyncedRecord.Status.FAILED, attempts__lt=MAX_ATTEMPTS, updated_at__lt=before)
    abandoned = Q(status=SyncedRecord.Status.WRITING, claimed_at__lt=timezone.now() - claim_lease())
    order_gids = (
        SyncedRecord.objects.filter(failed_before | abandoned, shop=ctx.shop)
        .exclude(order_gid="")
        .values_list("order_gid", flat=True)
        .distinct()
    )
    outcomes = []
    for gid in list(order_gids):
        if gid in tried.failed:
            continue
        raw = fetch_order(ctx.shopify, gid)
        if raw is not None:
            outcomes.append(_order_try(ctx, raw, tried))
    return outcomes


def _chunk_try(
    ctx: SyncContext, chunk: dict[str, dict[str, Any]], tried: PassOrders, outcomes: dict[str, int], progress: _Progress
) -> None:
    """Process a chunk of orders in a pass (syncing/batches.py), as ``_order_try`` one; empties it."""
    raws = list(chunk.values())
    chunk.clear()
    if not raws:
        return
    for raw, outcome in batches.orders_write(ctx, raws):
        gid = str(raw["id"])
        tried.counted.add(gid)
        if outcome == Outcome.FAILED:
            tried.failed[gid] = parse_datetime(raw["updatedAt"])
        _tally(outcomes, outcome)
        progress.tick(outcomes)


def _order_try(ctx: SyncContext, raw: dict[str, Any], tried: PassOrders) -> Outcome:
    """Process an order in a pass, remembering that it was counted, and whether it failed."""
    outcome = order_process(ctx, raw)
    gid = str(raw["id"])
    tried.counted.add(gid)
    if outcome == Outcome.FAILED:
        tried.failed[gid] = parse_datetime(raw["updatedAt"])
    return outcome


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
    for name, value in _run_counts(outcomes).items():
        setattr(run, name, value)
    run.save()


def _run_counts(outcomes: dict[str, int]) -> dict[str, int]:
    return {
        "orders_seen": sum(n for k, n in outcomes.items() if not k.startswith(("payout ", "summary "))),
        "documents_written": sum(
            outcomes.get(k, 0) + outcomes.get(f"payout {k}", 0) + outcomes.get(f"summary {k}", 0) for k in WRITTEN
        ),
        "skipped": outcomes.get(Outcome.SKIPPED, 0),
        "failed": sum(outcomes.get(f"{p}{Outcome.FAILED}", 0) for p in ("", "payout ", "summary ")),
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
    opened_at = timezone.now()
    try:
        ctx = context_open(shop_id)
    except (ShopNotReady, qbo.QBOAuthError) as exc:
        # The rows stay queued; the shop's sweep drains them once it is ready again.
        log.info("queued orders of shop %s wait: %s", shop_id, exc)
        if _quickbooks_refused_since(shop_id, opened_at, exc):
            quickbooks_refused(Shop.objects.get(pk=shop_id), exc)
        return {str(Outcome.NOT_READY): pending.waiting(shop_id=shop_id)}
    return _drain(ctx, deadline=_task_deadline())


def _task_deadline() -> float:
    """When a drain inside a task stops taking new orders: well before django-q2 kills the
    task, so it never dies mid-write for lack of time; a follow-up drain continues."""
    return time.monotonic() + float(settings.Q_CLUSTER["timeout"]) / 2


def _drain(ctx: SyncContext, *, deadline: float, tried: PassOrders | None = None) -> dict[str, int]:
    """Work the queue off. Inside a pass (``tried``: what it dealt with so far), an order that
    failed in it is not tried again (its request is done if it asked for no newer version, and
    waits for the next drain otherwise), and an order it counted already and found unchanged
    again is not counted twice."""
    outcomes: dict[str, int] = {}
    while True:
        if time.monotonic() > deadline:
            if pending.waiting(shop_id=ctx.shop.pk):
                pending.enqueue_drain(shop_id=ctx.shop.pk)
            break
        rows = pending.claim(shop_id=ctx.shop.pk, limit=1, lease=claim_lease())
        if not rows:
            # What still waits is another drain's (perhaps a killed one's) or deferred.
            pending.drain_when_due(shop_id=ctx.shop.pk)
            break
        for n, row in enumerate(rows):
            try:
                if tried is not None and row.order_gid in tried.failed:
                    _drain_failed(ctx, row, tried.failed[row.order_gid])
                    continue
                counted = tried is not None and row.order_gid in tried.counted
                outcome = _drain_one(ctx, row, tried)
            except (ShopifyError, qbo.QBOError) as exc:
                # Shopify or the company is unreachable or throttling: give the rows back
                # and come back later instead of hammering it order by order.
                pending.release(rows[n:], until=pending.retry_at(DRAIN_RETRY_SECONDS))
                pending.drain_later(shop_id=ctx.shop.pk, at=pending.retry_at(DRAIN_RETRY_SECONDS))
                log.warning("drain of %s stopped, will retry: %s", ctx.shop.domain, exc)
                if isinstance(exc, qbo.QBOAuthError):
                    quickbooks_refused(ctx.shop, exc)
                _tally(outcomes, Outcome.DEFERRED, len(rows) - n)
                return outcomes
            if counted and outcome == Outcome.UNCHANGED:
                continue  # the order's webhook asked for what the pass has just booked
            _tally(outcomes, outcome)
    return outcomes


def _drain_failed(ctx: SyncContext, row: PendingSync, version: datetime) -> None:
    """A queued order that failed in this pass (at ``version``): the request is done when it
    announced nothing newer; otherwise (a newer or an unknown version, which may have come after
    the pass read the order) it waits for a drain after this pass, never dropped."""
    done, _ = PendingSync.objects.filter(pk=row.pk, claim=row.claim, announced__lte=version).delete()
    if done:
        return
    later = pending.retry_at(DRAIN_RETRY_SECONDS)
    pending.release([row], until=later)
    pending.drain_later(shop_id=ctx.shop.pk, at=later)


def _drain_one(ctx: SyncContext, row: PendingSync, tried: PassOrders | None = None) -> Outcome:
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
            outcome = order_process(ctx, raw) if tried is None else _order_try(ctx, raw, tried)
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
