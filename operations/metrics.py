"""``/metrics``: the sync's figures in Prometheus' text exposition format (version 0.0.4),
read from the database, so every web process answers the same whatever worker did the work.
Reference: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Task

from accounts.models import Shop
from operations.counting import counts_flush
from operations.models import Alert, QuickBooksRequestCount, WorkerHeartbeat
from syncing.models import PendingSync, SyncedRecord, SyncIssue, SyncRun

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Labels = tuple[tuple[str, str], ...]


@dataclass
class Family:
    name: str
    kind: str  # counter | gauge
    help: str
    samples: list[tuple[Labels, float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> None:
        self.samples.append((tuple(sorted(labels.items())), value))


def metrics_families(*, now: datetime | None = None) -> list[Family]:
    now = now or timezone.now()
    counts_flush()  # this process's QuickBooks requests not written yet
    return [*_documents(), *_work(), *_queue(), *_quickbooks(), *_state(now)]


def _grouped(family: Family, label: str, rows: Iterable[Mapping[str, Any]]) -> Family:
    for row in rows:
        family.add(row["n"], **{label: str(row[label])})
    return family


def _documents() -> list[Family]:
    written = SyncedRecord.objects.exclude(qbo_id="").values("kind").annotate(n=Count("pk")).order_by("kind")
    failed = SyncedRecord.objects.filter(status=SyncedRecord.Status.FAILED)
    return [
        _grouped(
            Family("shopqb_documents_written_total", "counter", "QuickBooks documents ShopQB wrote, by entity."),
            "kind",
            written,
        ),
        _grouped(
            Family("shopqb_documents_failed", "gauge", "Documents whose last attempt failed, by entity."),
            "kind",
            failed.values("kind").annotate(n=Count("pk")).order_by("kind"),
        ),
    ]


def _work() -> list[Family]:
    failures = Family(
        "shopqb_sync_failures_total",
        "counter",
        "Pieces of work (orders, refunds, payouts) that failed, over all passes.",
    )
    failures.add(SyncRun.objects.aggregate(n=Sum("failed"))["n"] or 0)
    tasks_failed = Family("shopqb_tasks_failed_total", "counter", "django-q2 tasks that failed (kept in the admin).")
    tasks_failed.add(Task.objects.filter(success=False).count())
    return [
        failures,
        _grouped(
            Family("shopqb_sync_runs_total", "counter", "Sync passes, by how they ended."),
            "status",
            SyncRun.objects.values("status").annotate(n=Count("pk")).order_by("status"),
        ),
        tasks_failed,
        _grouped(
            Family("shopqb_open_issues", "gauge", "Open sync issues, by code."),
            "code",
            SyncIssue.objects.open().values("code").annotate(n=Count("pk")).order_by("code"),
        ),
    ]


def _queue() -> list[Family]:
    queue = Family("shopqb_queue_depth", "gauge", "Tasks in the django-q2 broker: waiting, and taken by a worker.")
    broker = get_broker()
    queue.add(broker.queue_size() or 0, queue="waiting")
    if Conf.ORM:
        queue.add(broker.lock_size() or 0, queue="taken")
    pending = Family("shopqb_orders_queued", "gauge", "Orders waiting for a sync (one row per order).")
    pending.add(PendingSync.objects.count())
    return [queue, pending]


def _quickbooks() -> list[Family]:
    requests = Family(
        "shopqb_quickbooks_requests_total", "counter", "HTTP requests sent to QuickBooks' API, by company (realm)."
    )
    throttled = Family(
        "shopqb_quickbooks_throttled_total", "counter", "Requests QuickBooks throttled (429 or 403 ThrottleExceeded)."
    )
    totals = QuickBooksRequestCount.objects.values("realm_id").annotate(r=Sum("requests"), t=Sum("throttled"))
    for row in totals.order_by("realm_id"):
        requests.add(row["r"], realm=row["realm_id"])
        throttled.add(row["t"], realm=row["realm_id"])
    return [requests, throttled]


def _state(now: datetime) -> list[Family]:
    open_alerts = Alert.objects.filter(resolved_at__isnull=True).values("kind").annotate(n=Count("pk"))
    shops = Family("shopqb_shops", "gauge", "Installed shops, and those whose sync is paused.")
    installed = Shop.objects.filter(installed_at__isnull=False, uninstalled_at__isnull=True)
    shops.add(installed.count(), state="installed")
    shops.add(installed.filter(sync_paused=True).count(), state="paused")
    heartbeat = Family(
        "shopqb_worker_heartbeat_age_seconds", "gauge", "Seconds since the newest worker heartbeat (+Inf: never)."
    )
    beat = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    heartbeat.add((now - beat).total_seconds() if beat else math.inf)
    return [
        _grouped(Family("shopqb_open_alerts", "gauge", "Open alerts, by kind."), "kind", open_alerts.order_by("kind")),
        shops,
        heartbeat,
    ]


def metrics_text(families: Iterable[Family]) -> str:
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for labels, value in family.samples:
            label_text = ",".join(f'{name}="{_escape_label(str(v))}"' for name, v in labels)
            lines.append(
                f"{family.name}{{{label_text}}} {_number(value)}" if labels else f"{family.name} {_number(value)}"
            )
    return "\n".join(lines) + "\n"


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_label(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return str(int(value)) if float(value).is_integer() else repr(float(value))
