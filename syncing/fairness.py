"""Fair across shops: one shop's 100,000-order import never delays another shop's live orders.

Three things keep it so:

- Queues: with ``SYNC_BULK_CLUSTER`` set, sweeps and backfills go to that django-q2 queue (its own
  ``qcluster``, started with ``Q_CLUSTER_NAME``), and the drains of live orders keep the main one,
  so no backfill ever sits between a live order and a worker.
  Reference: https://django-q2.readthedocs.io/en/master/configure.html#cluster-name
- Workers: with one queue, at most ``SYNC_BULK_TASKS`` sweeps run at once on a host (a slot of the
  request budget's store, shopqb_app/integrations/budget.py, with an expiry past the task timeout,
  so a killed worker's slot comes back). A sweep that finds none free is queued again a little
  later instead of taking the last worker: a live drain always finds one.
- Requests: a sweep's requests are bulk work (``budget.bulk_work``): they may use only a share of
  a company's or shop's rate, so a live order of the same shop finds budget during its backfill.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from shopqb_app.integrations import budget

log = logging.getLogger(__name__)

# How long a sweep that found every bulk slot taken waits before it is tried again.
SWEEP_RETRY_SECONDS = 30


def bulk_cluster() -> str | None:
    """The django-q2 queue for sweeps and backfills (None: the main queue)."""
    return settings.SYNC_BULK_CLUSTER or None


def _slots_key() -> str:
    return f"sweeps:{socket.gethostname()}"


@contextmanager
def bulk_slot() -> Iterator[bool]:
    """One of the host's ``SYNC_BULK_TASKS`` sweep slots while the sweep runs: True if taken (or
    there is nothing to share: a queue of their own for sweeps, or no budget store), False if
    every slot is busy and the caller should come back later."""
    shared = budget.current()
    if bulk_cluster() or shared is None:
        yield True
        return
    holder, key = uuid.uuid4().hex, _slots_key()
    now = timezone.now().timestamp()
    expires = now + float(settings.Q_CLUSTER["timeout"]) + 30
    try:
        taken = shared.store.slot_take(key, settings.SYNC_BULK_TASKS, holder, expires, now)
    except Exception:  # the store is down: sweeps go as they did without it
        log.warning("sweep slot store failed: the sweep runs without a slot", exc_info=True)
        yield True
        return
    if not taken:
        yield False
        return
    try:
        yield True
    finally:
        shared.store.slot_release(key, holder)


def sweep_later(*, shop_id: int, full: bool) -> None:
    """Queue the sweep again in a little while (one schedule per shop and kind of sweep)."""
    name = f"shop-{shop_id}-sweep{'-full' if full else ''}-later"  # shop_stop_work drops shop-<id>...
    at = timezone.now() + timedelta(seconds=SWEEP_RETRY_SECONDS)
    if Schedule.objects.filter(name=name).exists():
        return
    Schedule.objects.create(
        name=name,
        func="syncing.tasks.sweep_shop",
        args=repr((shop_id, full)),
        schedule_type=Schedule.ONCE,
        repeats=-1,
        next_run=at,
        cluster=bulk_cluster(),
    )
