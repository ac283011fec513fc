"""``/readyz``: can this deployment do its work? The database, the task broker, and a worker
that runs scheduled tasks. ``/healthz`` (syncing/views.py) only says the web process answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.status import Stat

from operations.models import WorkerHeartbeat


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def readiness(*, now: datetime | None = None) -> list[Check]:
    now = now or timezone.now()
    return [_run("database", database_check), _run("broker", broker_check), _run("worker", lambda: worker_check(now))]


def _run(name: str, check: Callable[[], tuple[bool, str]]) -> Check:
    try:
        ok, detail = check()
    except Exception as exc:  # whatever broke is the answer
        return Check(name, False, f"{type(exc).__name__}: {exc}"[:500])
    return Check(name, bool(ok), str(detail))


def database_check() -> tuple[bool, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True, "answers"


def broker_check() -> tuple[bool, str]:
    """The ORM broker: its table can be read. Redis: it answers a PING."""
    broker = get_broker()
    if Conf.ORM:
        return True, f"ORM broker, {broker.queue_size()} queued"
    if not broker.ping():
        return False, "no answer to PING"
    return True, f"{broker.info()}, {broker.queue_size()} queued"


def worker_check(now: datetime) -> tuple[bool, str]:
    """A worker ran the heartbeat task lately (proof the scheduler and a worker both run), or
    django-q2 reports a live cluster (seen only with a cache every process shares: CACHE_URL)."""
    max_age = timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS)
    beat = WorkerHeartbeat.objects.order_by("-beat_at").first()
    if beat is not None and now - beat.beat_at <= max_age:
        return True, f"heartbeat from {beat.host} {int((now - beat.beat_at).total_seconds())} s ago"
    clusters = [s for s in Stat.get_all() if str(s.status) != str(Conf.STOPPED)]
    if clusters:
        return True, f"{len(clusters)} cluster(s) running"
    if beat is None:
        return False, "no worker has ever written a heartbeat (is `manage.py qcluster` running?)"
    return False, f"last heartbeat from {beat.host} {int((now - beat.beat_at).total_seconds())} s ago"
