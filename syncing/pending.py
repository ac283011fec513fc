"""The queue of orders waiting for a sync: one row per order, however many webhooks.

A busy day sends many webhooks per order (created, updated, paid, edited...).
Each one only records that the order wants a sync (``request``); a drain task
takes rows in priority order (new orders first), fetches each order once as it
is then, and ``finish`` deletes the row unless a request announcing a newer (or
an unknown) version of the order arrived while it worked. Every step is a single conditional UPDATE or DELETE, so requests, drains
and crashed drains can interleave in any order without losing or doubling work.

The django-q2 tasks that work the queue off are queued here too (by name: the
entry points in syncing/tasks.py call the passes in syncing/runs.py, which call this module).
A shop has at most one drain task queued or running on the requests' behalf: the
request that finds none claims the shop's ``QueuedDrain`` row and queues it; the
others (a burst of new orders) queue nothing. The drain gives the row up only when
it finds nothing left to take (``drain_stopped``), in one transaction with that last
look, and the requests' upsert locks the row, so a request is either seen by that
look or claims the row itself and queues a new drain.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Min, Q, QuerySet, Value
from django.db.models.functions import Greatest, Least
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from accounts.models import Shop
from syncing.context import claim_lease
from syncing.fairness import bulk_cluster
from syncing.models import UNKNOWN_VERSION, PendingSync, QueuedDrain, WebhookDelivery

Priority = PendingSync.Priority


def enqueue_order_sync(*, shop_id: int, order_gid: str, new: bool = False, announced: datetime | None = None) -> None:
    """Ask for one order's sync. Call inside the transaction that recorded why (ORM broker: outbox).

    However many times an order is asked for, it waits in the queue once; a drain
    task is queued only when the shop has none queued or running. ``new``: a
    just-created order, synced before changes to older ones. ``announced``: the
    order's updatedAt the request carries, if it says (a webhook).
    """
    priority = Priority.NEW if new else Priority.CHANGED
    if request(shop_id=shop_id, order_gid=order_gid, priority=priority, announced=announced):
        token = drain_claim(shop_id=shop_id)
        if token:
            drain_task_queue(shop_id=shop_id, token=token)


def enqueue_drain(*, shop_id: int) -> None:
    """Queue a drain and hand it the shop's marker: for a drain that stops before the
    queue is empty (its successor takes over), and for anyone who wants one now."""
    token, now = drain_token(), timezone.now()
    if not QueuedDrain.objects.filter(shop_id=shop_id).update(token=token, queued_at=now):
        try:
            with transaction.atomic():
                QueuedDrain.objects.create(shop_id=shop_id, token=token, queued_at=now)
        except IntegrityError:  # a request claimed it a moment ago
            QueuedDrain.objects.filter(shop_id=shop_id).update(token=token, queued_at=now)
    drain_task_queue(shop_id=shop_id, token=token)


def drain_token() -> str:
    return uuid.uuid4().hex


def drain_task_queue(*, shop_id: int, token: str) -> None:
    """The django-q2 task itself, owner of the marker ``token``. With the ORM broker the
    task commits with the caller's transaction; another broker (Redis) could run it before
    that commit and miss the order, so it is sent once the transaction commits."""

    def send() -> None:
        async_task("syncing.tasks.drain_shop", shop_id, token, group=f"shop-{shop_id}")

    if "orm" in settings.Q_CLUSTER:
        send()
    else:
        transaction.on_commit(send)


def drain_claim(*, shop_id: int) -> str | None:
    """Claim the shop's marker for a new drain: its token when no drain was queued or
    running (or the marker is older than the claim lease: its task died), and the caller
    must queue one (``drain_task_queue``) in the same transaction; None otherwise.

    The upsert locks an existing marker row even when it changes nothing ("all rows will
    be locked when the ON CONFLICT DO UPDATE action is taken"), so a drain deleting the
    marker waits for this transaction and then sees its order.
    Reference: https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT
    Reference: https://www.sqlite.org/lang_upsert.html (SQLite: the database lock serialises)
    """
    token, now = drain_token(), timezone.now()
    stale = now - claim_lease()
    if not _upsert_returning():
        if QueuedDrain.objects.filter(shop_id=shop_id, queued_at__lt=stale).update(token=token, queued_at=now):
            return token
        try:
            with transaction.atomic():
                QueuedDrain.objects.create(shop_id=shop_id, token=token, queued_at=now)
        except IntegrityError:
            return None
        return token
    table = QueuedDrain._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (shop_id, token, queued_at) VALUES (%s, %s, %s) ON CONFLICT (shop_id) "  # noqa: S608
            f"DO UPDATE SET token = excluded.token, queued_at = excluded.queued_at WHERE {table}.queued_at < %s "
            "RETURNING shop_id",
            [shop_id, token, _db_time(now), _db_time(stale)],
        )
        return token if cursor.fetchone() is not None else None


def drain_started(*, shop_id: int, token: str) -> None:
    """A drain task begins: its marker (if it still owns it) dates from now, so it does not
    look abandoned while the task runs."""
    if token:
        QueuedDrain.objects.filter(shop_id=shop_id, token=token).update(queued_at=timezone.now())


def drain_stopped(*, shop_id: int, token: str, look_again: bool = True) -> bool:
    """A drain task that owns the marker ``token`` ends: give the marker up (a successor it
    handed it to, or a drain queued for a stale marker, owns it now: nothing to do). With
    ``look_again``, in the same transaction, look for rows a request queued while the
    drain was stopping; if there are any, keep the marker and queue a successor (True).
    Without it (the drain failed, or the shop cannot be synced now and its rows wait for
    the sweep), only give the marker up. Drains queued without a token (the scheduled
    retry, tasks queued before the marker existed) own nothing."""
    if not token:
        return False
    with transaction.atomic():
        deleted, _ = QueuedDrain.objects.filter(shop_id=shop_id, token=token).delete()
        if not deleted or not look_again or not _takeable(shop_id).exists():
            return False
        transaction.set_rollback(True)  # keep the marker: it passes to the successor
    enqueue_drain(shop_id=shop_id)
    return True


def enqueue_sweep(*, shop_id: int, full: bool = False) -> str:
    """A pass over the shop's changed orders; it also drains what waits here for a shop
    that was paused or unreachable."""
    # Sweeps and backfills go to their own queue when one is configured (syncing/fairness.py).
    return str(async_task("syncing.tasks.sweep_shop", shop_id, full, group=f"shop-{shop_id}", cluster=bulk_cluster()))


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
) -> tuple[bool, tuple[int, str] | None]:
    """PostgreSQL, one statement for an order webhook: record the delivery (once per
    webhook id) and, when it is new and its shop installed, queue the order, and when the
    order was not waiting yet, claim the shop's drain marker (as ``drain_claim``).

    Returns (the delivery was new, (the shop's id, the marker's token) when the marker
    was claimed, i.e. when the caller must queue a drain task: ``drain_task_queue``).
    The webhook is only a trigger (the sync fetches the order itself, and the sweep
    lists every order changed since its last pass), so the statement commits without
    waiting for the WAL flush (synchronous_commit off, for its own transaction only): a
    database crash in the next fraction of a second costs a little latency, never a
    booking. Run it in autocommit (one statement, one round trip) or inside a transaction.
    """
    table, deliveries, shops = PendingSync._meta.db_table, WebhookDelivery._meta.db_table, Shop._meta.db_table
    drains, token, now = QueuedDrain._meta.db_table, drain_token(), timezone.now()
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
            ), drain AS (
                INSERT INTO {drains} (shop_id, token, queued_at)
                SELECT shop_id, %(token)s, %(now)s FROM queued WHERE generation = 1
                ON CONFLICT (shop_id) DO UPDATE SET token = excluded.token, queued_at = excluded.queued_at
                WHERE {drains}.queued_at < %(stale)s
                RETURNING shop_id
            )
            SELECT EXISTS (SELECT 1 FROM delivery), (SELECT shop_id FROM drain),
                   set_config('synchronous_commit', 'off', true)
            """,  # noqa: S608 (table names from the models; every value is a parameter)
            {**delivery, "payload": json.dumps(delivery["payload"]), "now": now, "stale": now - claim_lease()}
            | {"gid": order_gid, "priority": priority, "announced": announced or UNKNOWN_VERSION, "token": token},
        )
        new_delivery, shop_id, _ = cursor.fetchone()
    return bool(new_delivery), None if shop_id is None else (shop_id, token)


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
        available = _available(now, lease)
        waiting = _takeable(shop_id, now, lease)
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


def _available(now: datetime, lease: timedelta) -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease)


def _takeable(shop_id: int, now: datetime | None = None, lease: timedelta | None = None) -> QuerySet[PendingSync]:
    """Rows a drain would take now: not claimed (or claimed by a dead worker) and due."""
    now = now or timezone.now()
    due = Q(not_before__isnull=True) | Q(not_before__lte=now)
    return PendingSync.objects.filter(_available(now, lease or claim_lease()), due, shop_id=shop_id)


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


def drain_when_due(*, shop_id: int) -> datetime | None:
    """Nothing is takeable now, yet rows may wait: claimed by a drain that may have died (its
    claim lapses after the lease) or deferred (``not_before``). Make sure a drain runs when the
    first of them comes due, so no order waits for the next sweep. Returns when (None: the
    queue is empty). A drain that is alive and finishes its rows leaves that one nothing to do."""
    first = PendingSync.objects.filter(shop_id=shop_id).aggregate(claimed=Min("claimed_at"), deferred=Min("not_before"))
    claimed: datetime | None = first["claimed"]
    deferred: datetime | None = first["deferred"]
    due = [at for at in (claimed + claim_lease() if claimed else None, deferred) if at is not None]
    if not due:
        return None
    at: datetime = max(min(due), timezone.now()) + timedelta(seconds=1)
    drain_later(shop_id=shop_id, at=at)
    return at


def retry_at(seconds: float) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)
