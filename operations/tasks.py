"""django-q2 entry points of the operations watch (scheduled in operations/migrations/0002).
Small, and safe to run twice."""

from __future__ import annotations

import os
import socket

from django.utils import timezone
from django_q.tasks import async_task

from operations.models import WorkerHeartbeat
from operations.watch import reconcile_run, watch_run


def watch() -> dict[str, object]:
    """Every five minutes: alerts up to date; each shop's daily reconciliation queued when due."""
    result = watch_run()
    for shop_id in result.reconcile_due:
        async_task("operations.tasks.reconcile_check", shop_id, group=f"shop-{shop_id}")
    return {
        "alerts": result.alerts,
        "resolved": result.resolved,
        "queue_depth": result.queue_depth,
        "reconciliations": len(result.reconcile_due),
    }


def reconcile_check(shop_id: int) -> str:
    """One shop's daily reconciliation; the next watch raises or clears its alert."""
    check = reconcile_run(shop_id=shop_id)
    return check.error or check.summary


def heartbeat() -> str:
    """Every minute: this worker's host is alive and its cluster runs scheduled work (``/readyz``)."""
    host = socket.gethostname()[:255]
    WorkerHeartbeat.objects.update_or_create(host=host, defaults={"beat_at": timezone.now(), "pid": os.getpid()})
    return host
