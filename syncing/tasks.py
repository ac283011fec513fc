"""django-q2 entry points: small, take ids, call the engine. They may run twice."""

from django_q.tasks import async_task


def enqueue_order_sync(*, shop_id: int, order_gid: str) -> None:
    """Queue one order's sync. Call inside the transaction that recorded why (ORM broker: outbox)."""
    async_task("syncing.tasks.sync_order", shop_id, order_gid, group=f"shop-{shop_id}")


def sync_order(shop_id: int, order_gid: str) -> None:
    from syncing import engine

    engine.order_sync(shop_id=shop_id, order_gid=order_gid)
