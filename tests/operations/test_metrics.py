"""/metrics: Prometheus' text format (checked line by line against the format's grammar), behind a
bearer token, with the sync's figures counted from the database."""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from operations.models import QuickBooksRequestCount
from operations.tasks import heartbeat
from syncing.models import PendingSync, SyncedRecord, SyncIssue, SyncRun

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-0123456789"

# The text format, version 0.0.4: https://prometheus.io/docs/instrumenting/exposition_formats/
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
VALUE = r"(?:[+-]?(?:\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|Inf)|NaN)"
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?\}})? ({VALUE})$")
HELP = re.compile(rf"^# HELP ({NAME}) (.*)$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")


def parse(text: str) -> dict[str, dict]:
    """Families by name: their type and samples ({labels} -> value). Fails on any line the format does not allow."""
    assert text.endswith("\n")
    families: dict[str, dict] = {}
    current = None
    for line in text.splitlines():
        if m := HELP.match(line):
            assert m[1] not in families, f"{m[1]} twice"
            current = families[m[1]] = {"help": m[2], "type": None, "samples": {}}
        elif m := TYPE.match(line):
            assert current is families[m[1]] and not current["samples"], line
            current["type"] = m[2]
        elif m := SAMPLE.match(line):
            assert current is families.get(m[1]), f"sample outside its family: {line}"
            labels = tuple(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m[2] or ""))
            assert labels not in current["samples"], f"duplicate sample: {line}"
            current["samples"][labels] = float(m[3].replace("Inf", "inf"))
        else:
            raise AssertionError(f"not Prometheus text format: {line!r}")
    return families


def scrape(client) -> dict[str, dict]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.content.decode())


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN


def test_metrics_are_off_without_a_token_and_refused_without_the_right_one(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 401  # not a bearer token
    refused = client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}")
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == 'Bearer realm="metrics"'


def record(shop, n, kind, status="synced", qbo_id="1"):
    return SyncedRecord.objects.create(
        shop=shop,
        source_type="order",
        source_id=f"gid://shopify/Order/{n}",
        kind=kind,
        status=status,
        request_id=f"req-{n}-{kind}",
        qbo_id=qbo_id,
        amount=Decimal("10.00"),
    )


def test_metrics_count_documents_failures_issues_the_queue_and_quickbooks_requests(client, token, shop_a, shop_b):
    empty = scrape(client)
    assert empty["shopqb_documents_written_total"]["samples"] == {}
    assert empty["shopqb_worker_heartbeat_age_seconds"]["samples"][()] == math.inf

    record(shop_a, 1, "SalesReceipt")
    record(shop_a, 2, "SalesReceipt", status="voided")
    record(shop_b, 3, "RefundReceipt")
    record(shop_b, 4, "Invoice", status="failed", qbo_id="")
    SyncRun.objects.create(shop=shop_a, status="succeeded", failed=2, finished_at=timezone.now())
    SyncRun.objects.create(shop=shop_b, status="failed", failed=1, finished_at=timezone.now())
    SyncIssue.objects.raise_for(shop=shop_a, code="qbo_rejected", message='Say "no"\\', source_id="1")
    SyncIssue.objects.raise_for(shop=shop_b, code="qbo_rejected", message="no", source_id="2")
    SyncIssue.objects.raise_for(shop=shop_b, code="ledger_refused", message="no", source_id="3")
    SyncIssue.objects.filter(source_id="3").resolve()  # resolved: not counted
    PendingSync.objects.create(shop=shop_a, order_gid="gid://shopify/Order/7")
    QuickBooksRequestCount.objects.create(realm_id="9130001", day=date(2026, 1, 1), requests=10, throttled=1)
    QuickBooksRequestCount.objects.create(realm_id="9130001", day=date(2026, 1, 2), requests=5, throttled=0)
    QuickBooksRequestCount.objects.create(realm_id='odd"realm\\', day=date(2026, 1, 2), requests=1, throttled=1)
    heartbeat()

    metrics = scrape(client)
    assert metrics["shopqb_documents_written_total"]["type"] == "counter"
    assert metrics["shopqb_documents_written_total"]["samples"] == {
        (("kind", "RefundReceipt"),): 1,
        (("kind", "SalesReceipt"),): 2,
    }
    assert metrics["shopqb_documents_failed"]["samples"] == {(("kind", "Invoice"),): 1}
    assert metrics["shopqb_sync_failures_total"]["samples"] == {(): 3}
    assert metrics["shopqb_sync_runs_total"]["samples"] == {(("status", "failed"),): 1, (("status", "succeeded"),): 1}
    assert metrics["shopqb_open_issues"]["samples"] == {(("code", "qbo_rejected"),): 2}
    assert metrics["shopqb_orders_queued"]["samples"] == {(): 1}
    assert metrics["shopqb_queue_depth"]["samples"] == {(("queue", "waiting"),): 0, (("queue", "taken"),): 0}
    # This test's realms only: no earlier test's counts are left waiting in the process (conftest.py).
    assert metrics["shopqb_quickbooks_requests_total"]["samples"] == {
        (("realm", "9130001"),): 15,
        (("realm", 'odd\\"realm\\\\'),): 1,  # escaped as the format asks
    }
    assert metrics["shopqb_quickbooks_throttled_total"]["samples"][(("realm", "9130001"),)] == 1
    assert metrics["shopqb_shops"]["samples"] == {(("state", "installed"),): 2, (("state", "paused"),): 0}
    assert 0 <= metrics["shopqb_worker_heartbeat_age_seconds"]["samples"][()] < 60
    assert metrics["shopqb_tasks_failed_total"]["samples"] == {(): 0}
