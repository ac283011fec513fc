"""django-q2 entry points: small, take ids, call a sync pass (syncing/runs.py) or a compliance flow.
They may run twice.

They are queued by name (syncing/pending.py, syncing/webhooks.py), and tasks already
in a queue keep their name: rename one only with an alias left at the old path.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from accounts import uninstall
from accounts.models import Shop
from shopqb_app.integrations import budget
from syncing import compliance, fairness, pending, runs
from syncing.context import ShopNotReady
from syncing.models import Outcome, WebhookDelivery

log = logging.getLogger(__name__)


def drain_shop(shop_id: int, token: str = "") -> dict[str, int]:
    """Work the shop's queue off, then give up the drain marker ``token`` (syncing/pending.py;
    empty: a drain that owns none), or queue a successor when orders came in as it stopped."""
    pending.drain_started(shop_id=shop_id, token=token)
    finished = False
    try:
        outcomes = runs.shop_drain(shop_id=shop_id)
        finished = True
    finally:
        # A shop that cannot be synced now keeps its rows for the sweep (runs.shop_drain); a
        # drain stopped by an unreachable company left its retry scheduled (runs._drain); a drain
        # that failed is not repeated in a loop: in each case only let go.
        ready = finished and not any(str(o) in outcomes for o in (Outcome.NOT_READY, Outcome.DEFERRED))
        pending.drain_stopped(shop_id=shop_id, token=token, look_again=ready)
    return outcomes


def sync_order(shop_id: int, order_gid: str) -> str:
    """Tasks queued before the per-order queue existed: queue the order and drain."""
    pending.request(shop_id=shop_id, order_gid=order_gid)
    return str(runs.shop_drain(shop_id=shop_id))


def sweep_shop(shop_id: int, full: bool = False) -> dict[str, object]:
    """A sweep (or backfill) is bulk work: it runs only in a free bulk slot, so live drains always
    find a worker, and its requests use only the bulk share of the budget (syncing/fairness.py)."""
    try:
        with fairness.bulk_slot() as slot:
            if not slot:
                fairness.sweep_later(shop_id=shop_id, full=full)
                return {"deferred": "every bulk slot is busy: the sweep runs again shortly"}
            with budget.bulk_work():
                result = runs.shop_sweep(shop_id=shop_id, full=full)
    except ShopNotReady as exc:
        log.info("sweep skipped: %s", exc)
        return {"skipped": str(exc)}
    run = result.run
    return {
        "run": run.pk,
        "orders_seen": run.orders_seen,
        "documents_written": run.documents_written,
        "skipped": run.skipped,
        "failed": run.failed,
    }


def sweep_all_shops() -> int:
    """Scheduled every few minutes: one sweep task per active shop, so shops never wait on each other."""
    shops = Shop.objects.filter(uninstalled_at__isnull=True, sync_paused=False, qbo__status="connected")
    count = 0
    for shop_id in shops.values_list("pk", flat=True):
        pending.enqueue_sweep(shop_id=shop_id)
        count += 1
    return count


def app_uninstalled(webhook_id: str) -> str:
    """``app/uninstalled`` delivered as ``webhook_id``: act once Shopify confirms it.

    Raises ``UninstallNotConfirmed`` while Shopify still accepts the shop's token, and
    Shopify's own errors when it cannot be asked: the delivery stays unprocessed and
    the failed task shows in the admin for support (re-run it from there).
    """
    delivery = WebhookDelivery.objects.filter(webhook_id=webhook_id, processed_at__isnull=True).first()
    if delivery is None:
        return "already processed"
    shop = Shop.objects.filter(domain=delivery.shop_domain).first()
    acted = shop is not None and uninstall.shop_uninstall_confirm(shop=shop, triggered_at=delivery.triggered_at)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(processed_at=timezone.now())
    return "uninstalled" if acted else "nothing to do"


def shop_redact(webhook_id: str) -> str:
    """``shop/redact`` delivered as ``webhook_id`` (may ask Shopify, may delete a lot of rows)."""
    delivery = WebhookDelivery.objects.filter(webhook_id=webhook_id, processed_at__isnull=True).first()
    if delivery is None:
        return "already processed"
    record = compliance.shop_redact(domain=delivery.shop_domain, webhook_id=webhook_id)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(processed_at=timezone.now())
    return record.summary
