"""django-q2 entry points: small, take ids, call the engine. They may run twice."""

from __future__ import annotations

import logging

from django_q.tasks import async_task

log = logging.getLogger(__name__)


def enqueue_order_sync(*, shop_id: int, order_gid: str) -> None:
    """Queue one order's sync. Call inside the transaction that recorded why (ORM broker: outbox)."""
    async_task("syncing.tasks.sync_order", shop_id, order_gid, group=f"shop-{shop_id}")


def enqueue_sweep(*, shop_id: int, full: bool = False) -> str:
    return str(async_task("syncing.tasks.sweep_shop", shop_id, full, group=f"shop-{shop_id}"))


def sync_order(shop_id: int, order_gid: str) -> str:
    from syncing import engine

    return engine.order_sync(shop_id=shop_id, order_gid=order_gid)


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
