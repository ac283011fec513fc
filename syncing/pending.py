"""The queue of orders waiting for a sync: one row per order, however many webhooks.

A busy day sends many webhooks per order (created, updated, paid, edited...).
Each one only records that the order wants a sync (``request``); a drain task
takes rows in priority order (new orders first), fetches each order once as it
is then, and ``finish`` deletes the row unless a request announcing a newer (or
an unknown) version of the order arrived while it worked. Every step is a single conditional UPDATE or DELETE, so requests, drains
and crashed drains can interleave in any order without losing or doubling work.

The django-q2 tasks that work the queue off are queued here too (by name: the
entry points in syncing/tasks.py call the passes in syncing/runs.py, which call this module).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest, Least
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from accounts.models import Shop
from syncing.models import UNKNOWN_VERSION, PendingSync, WebhookDelivery

Priority = PendingSync.Priority


def enqueue_order_sync(*, shop_id: int, order_gid: str, new: bool = False, announced: datetime | None = None) -> None:
    """Ask for one order's sync. Call inside the transaction that recorded why (ORM broker: outbox).

    However many times an order is asked for, it waits in the queue once; a drain
    task is queued only when it was not waiting already. ``new``: a just-created
    order, synced before changes to older ones. ``announced``: the order's updatedAt
    the request carries, if it says (a webhook).
    """
    priority = Priority.NEW if new else Priority.CHANGED
    if request(shop_id=shop_id, order_gid=order_gid, priority=priority, announced=announced):
        enqueue_drain(shop_id=shop_id)


def enqueue_drain(*, shop_id: int) -> None:
    async_task("syncing.tasks.drain_shop", shop_id, group=f"shop-{shop_id}")


def enqueue_sweep(*, shop_id: int, full: bool = False) -> str:
    """A pass over the shop's changed orders; it also drains what waits here for a shop
    that was paused or unreachable."""
    return str(async_task("syncing.tasks.sweep_shop", shop_id, full, group=f"shop-{shop_id}"))


def request(
    *, shop_id: int, order_gid: str, priority: int = Priority.CHANGED, announced: datetime | None = None
) -> bool:
    """Record that the order wants a sync (``announced``: the order version the request
    carries, if it says). True when no request was waiting for it (the caller queues a
    drain); False when the waiting one absorbed this one.

    On the webhook's hot path: one INSERT ... ON CONFLICT DO UPDATE statement (an
    upsert, atomic under concurrent requests for the same order)."""
    version = announced or UNKNOWN_VERSION
    if not _upsert_returning():
        return _request_orm(shop_id, order_gid, priority, version)
    table, greatest, least = PendingSync._meta.db_table, *_max_min()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (shop_id, order_gid, priority, generation, announced, requested_at, claim) "  # noqa: S608
            "VALUES (%s, %s, %s, 1, %s, %s, '') ON CONFLICT (shop_id, order_gid) DO UPDATE SET "
            f"generation = {table}.generation + 1, priority = {least}({table}.priority, excluded.priority), "
            f"announced = {greatest}({table}.announced, excluded.announced) RETURNING generation",
            [shop_id, order_gid, priority, _db_time(version), _db_time(timezone.now())],
        )
        (generation,) = cursor.fetchone()
    return bool(generation == 1)


def _upsert_returning() -> bool:
    """PostgreSQL, or SQLite 3.35+ (RETURNING); older SQLite takes the ORM way."""
    return connection.vendor == "postgresql" or (
        connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 35)
    )


def _max_min() -> tuple[str, str]:
    return ("GREATEST", "LEAST") if connection.vendor == "postgresql" else ("MAX", "MIN")


def _db_time(value: datetime) -> Any:
    # Raw SQL: store datetimes exactly as the ORM does (SQLite keeps naive UTC text).
    return connection.ops.adapt_datetimefield_value(value)


def _request_orm(shop_id: int, order_gid: str, priority: int, version: datetime) -> bool:
    if _bump(shop_id, order_gid, priority, version):
        return False
    try:
        with transaction.atomic():
            PendingSync.objects.create(shop_id=shop_id, order_gid=order_gid, priority=priority, announced=version)
    except IntegrityError:
        # Another request for the same order inserted it a moment ago.
        _bump(shop_id, order_gid, priority, version)
        return False
    return True


def request_with_delivery(
    *, delivery: dict[str, Any], order_gid: str, priority: int, announced: datetime | None
) -> tuple[bool, int | None]:
    """PostgreSQL, one statement for an order webhook: record the delivery (once per
    webhook id) and, when it is new and its shop installed, queue the order.

    Returns (the delivery was new, the shop's id when the order was not waiting yet,
    i.e. when the caller must queue a drain). The webhook is only a trigger (the sync
    fetches the order itself, and the sweep lists every order changed since its last
    pass), so its transaction commits without waiting for the WAL flush
    (synchronous_commit off, for this transaction only): a database crash in the next
    fraction of a second costs a little latency, never a booking.
    """
    table, deliveries, shops = PendingSync._meta.db_table, WebhookDelivery._meta.db_table, Shop._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH delivery AS (
                INSERT INTO {deliveries} (shop_domain, webhook_id, event_id, topic, api_version, triggered_at,
                                          payload, received_at, processed_at)
                VALUES (%(domain)s, %(webhook_id)s, %(event_id)s, %(topic)s, %(api_version)s, %(triggered_at)s,
                        %(payload)s::jsonb, %(now)s, %(now)s)
                ON CONFLICT (webhook_id) DO NOTHING
                RETURNING id
            ), queued AS (
                INSERT INTO {table} (shop_id, order_gid, priority, generation, announced, requested_at, claim)
                SELECT shop.id, %(gid)s, %(priority)s, 1, %(announced)s, %(now)s, '' FROM {shops} shop
                WHERE shop.domain = %(domain)s AND shop.installed_at IS NOT NULL AND shop.uninstalled_at IS NULL
                  AND EXISTS (SELECT 1 FROM delivery)
                ON CONFLICT (shop_id, order_gid) DO UPDATE
                SET generation = {table}.generation + 1, priority = LEAST({table}.priority, excluded.priority),
                    announced = GREATEST({table}.announced, excluded.announced)
                RETURNING shop_id, generation
            )
            SELECT EXISTS (SELECT 1 FROM delivery), (SELECT shop_id FROM queued WHERE generation = 1),
                   set_config('synchronous_commit', 'off', true)
            """,  # noqa: S608 (table names from the models; every value is a parameter)
            {**delivery, "payload": json.dumps(delivery["payload"]), "now": timezone.now()}
            | {"gid": order_gid, "priority": priority, "announced": announced or UNKNOWN_VERSION},
        )
        new_delivery, shop_id, _ = cursor.fetchone()
    return bool(new_delivery), shop_id


def _bump(shop_id: int, order_gid: str, priority: int, version: datetime) -> int:
    return PendingSync.objects.filter(shop_id=shop_id, order_gid=order_gid).update(
        generation=F("generation") + 1,
        priority=Least(F("priority"), Value(priority)),
        announced=Greatest(F("announced"), Value(version)),
    )


def claim(*, shop_id: int, limit: int, lease: timedelta) -> list[PendingSync]:
    """Take up to ``limit`` waiting rows, most urgent first; rows whose taker died
    (claim older than ``lease``) are taken again."""
    for _ in range(5):
        now = timezone.now()
        available = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease)
        due = Q(not_before__isnull=True) | Q(not_before__lte=now)
        waiting = PendingSync.objects.filter(available, due, shop_id=shop_id)
        ids = list(waiting.order_by("priority", "requested_at", "pk").values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        token = uuid.uuid4().hex
        PendingSync.objects.filter(available, pk__in=ids).update(claimed_at=now, claim=token)
        taken = list(PendingSync.objects.filter(claim=token).order_by("priority", "requested_at", "pk"))
        if taken:
            return taken
        # Another drain took exactly these rows between our SELECT and UPDATE: look again.
    return []


def finish(row: PendingSync, *, fetched: datetime | None = None) -> bool:
    """Done with the order as fetched (``fetched``: its updatedAt): delete the row,
    unless the order was asked for again meanwhile with a version newer than what was
    fetched (or an unknown one), in which case the row goes back to the queue."""
    current = Q(generation=row.generation)
    if fetched is not None:
        current |= Q(announced__lte=fetched)
    deleted, _ = PendingSync.objects.filter(current, pk=row.pk, claim=row.claim).delete()
    if not deleted:
        release([row])
    return bool(deleted)


def release(rows: list[PendingSync], *, until: datetime | None = None) -> None:
    """Give rows back untouched (``until``: not before then)."""
    for row in rows:
        PendingSync.objects.filter(pk=row.pk, claim=row.claim).update(claimed_at=None, claim="", not_before=until)


def waiting(*, shop_id: int) -> int:
    return PendingSync.objects.filter(shop_id=shop_id).count()


def drain_later(*, shop_id: int, at: datetime) -> None:
    """Make sure a drain of the shop runs at ``at`` (one django-q2 schedule per shop)."""
    name = f"shop-{shop_id}-drain"  # shop_stop_work drops schedules named shop-<id>...
    if Schedule.objects.filter(name=name).exists():
        Schedule.objects.filter(name=name, next_run__gt=at).update(next_run=at)
        return
    Schedule.objects.create(
        name=name,
        func="syncing.tasks.drain_shop",
        args=repr((shop_id,)),
        schedule_type=Schedule.ONCE,
        repeats=-1,
        next_run=at,
    )


def retry_at(seconds: float) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)
