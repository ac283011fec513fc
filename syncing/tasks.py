"""django-q2 entry points: small, take ids, call the engine. They may run twice."""

from __future__ import annotations

import logging
from datetime import datetime

from django_q.tasks import async_task

log = logging.getLogger(__name__)


def enqueue_order_sync(*, shop_id: int, order_gid: str, new: bool = False, announced: datetime | None = None) -> None:
    """Ask for one order's sync. Call inside the transaction that recorded why (ORM broker: outbox).

    However many times an order is asked for, it waits in the queue once
    (syncing/pending.py); a drain task is queued only when it was not waiting
    already. ``new``: a just-created order, synced before changes to older ones.
    ``announced``: the order's updatedAt the request carries, if it says (a webhook).
    """
    from syncing import pending

    priority = pending.Priority.NEW if new else pending.Priority.CHANGED
    if pending.request(shop_id=shop_id, order_gid=order_gid, priority=priority, announced=announced):
        enqueue_drain(shop_id=shop_id)


def enqueue_drain(*, shop_id: int) -> None:
    async_task("syncing.tasks.drain_shop", shop_id, group=f"shop-{shop_id}")


def enqueue_sweep(*, shop_id: int, full: bool = False) -> str:
    return str(async_task("syncing.tasks.sweep_shop", shop_id, full, group=f"shop-{shop_id}"))


def drain_shop(shop_id: int) -> dict[str, int]:
    from syncing import engine

    return engine.shop_drain(shop_id=shop_id)


def sync_order(shop_id: int, order_gid: str) -> str:
    """Tasks queued before the per-order queue existed: queue the order and drain."""
    from syncing import engine, pending

    pending.request(shop_id=shop_id, order_gid=order_gid)
    return str(engine.shop_drain(shop_id=shop_id))


def sweep_shop(shop_id: int, full: bool = False) -> dict[str, object]:
    from syncing import engine

    try:
        result = engine.shop_sweep(shop_id=shop_id, full=full)
    except engine.ShopNotReady as exc:
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
    from accounts.models import Shop

    shops = Shop.objects.filter(uninstalled_at__isnull=True, sync_paused=False, qbo__status="connected")
    count = 0
    for shop_id in shops.values_list("pk", flat=True):
        enqueue_sweep(shop_id=shop_id)
        count += 1
    return count
