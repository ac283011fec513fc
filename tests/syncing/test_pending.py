"""Busy days and dead workers: one queued sync per order, new orders first, nothing stranded."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core.checks import run_checks
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from shopqb_app.integrations.shopify import fetch
from shopqb_app.integrations.shopify.parse import parse_datetime
from syncing import pending, runs
from syncing.context import claim_lease
from syncing.models import UNKNOWN_VERSION, PendingSync, SyncedRecord, SyncIssue
from syncing.orders import order_sync
from syncing.runs import shop_drain, shop_sweep
from tests.sandboxes import Store

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def queued_drains(shop):
    return [t for t in (q.task for q in OrmQ.objects.all()) if t["func"] == "syncing.tasks.drain_shop"]


def counting_fetches():
    real = fetch.fetch_order
    calls = []

    def fetch_order(client, gid):
        calls.append(gid)
        return real(client, gid)

    return calls, mock.patch.object(runs, "fetch_order", side_effect=fetch_order)


def test_many_requests_for_one_order_queue_one_sync_and_one_drain(shop):
    order = Store(shop).order()
    for _ in range(20):
        with transaction.atomic():
            pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"])
    row = PendingSync.objects.get(shop=shop)
    assert row.generation == 20
    assert len(queued_drains(shop)) == 1

    calls, patch = counting_fetches()
    with patch:
        assert shop_drain(shop_id=shop.pk) == {"written": 1}
    assert calls == [order["id"]]  # one fetch for twenty webhooks
    assert not PendingSync.objects.exists()
    assert SyncedRecord.objects.get(shop=shop).status == SyncedRecord.Status.SYNCED


def test_a_request_arriving_while_the_order_is_synced_is_not_lost(shop):
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"])
    real_process = runs.order_process
    seen = []

    def process_then_webhook(ctx, raw):
        seen.append(raw["updatedAt"])
        if len(seen) == 1:
            # A webhook for the same order lands while the drain works on it.
            pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"])
        return real_process(ctx, raw)

    with mock.patch.object(runs, "order_process", side_effect=process_then_webhook):
        outcomes = shop_drain(shop_id=shop.pk)
    assert len(seen) == 2, "the order must be fetched again for the request that came in meanwhile"
    assert outcomes == {"written": 1, "unchanged": 1}
    assert not PendingSync.objects.exists()


@pytest.mark.parametrize("same_version", [True, False], ids=["same version", "newer version"])
def test_a_request_for_a_version_already_fetched_costs_no_second_fetch(shop, same_version):
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    # orders/create carries the order's version (a day old here: any version before now).
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"], announced=timezone.now() - timedelta(days=1))
    real_process = runs.order_process
    fetched = []

    def process_then_webhook(ctx, raw):
        fetched.append(raw["updatedAt"])
        if len(fetched) == 1:
            # Another webhook lands while the drain works: for the version just fetched
            # (a busy day's repeats), or for a newer one.
            version = parse_datetime(raw["updatedAt"]) + (timedelta(0) if same_version else timedelta(seconds=1))
            pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"], announced=version)
        return real_process(ctx, raw)

    with mock.patch.object(runs, "order_process", side_effect=process_then_webhook):
        shop_drain(shop_id=shop.pk)
    assert len(fetched) == (1 if same_version else 2)
    assert not PendingSync.objects.exists()


def test_late_repeats_of_a_version_already_booked_are_drained_without_a_fetch(shop):
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    order_sync(shop_id=shop.pk, order_gid=order["id"])
    booked = SyncedRecord.objects.get(shop=shop).source_updated_at
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"], announced=booked)
    calls, patch = counting_fetches()
    with patch:
        assert shop_drain(shop_id=shop.pk) == {"unchanged": 1}
    assert calls == [] and not PendingSync.objects.exists()

    # A newer version, or a request that does not say, is fetched.
    for announced in (booked + timedelta(seconds=1), None):
        pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"], announced=announced)
        with patch:
            shop_drain(shop_id=shop.pk)
    assert calls == [order["id"], order["id"]]


def test_without_returning_support_the_queue_takes_the_orm_way(shop):
    """SQLite before 3.35 has no RETURNING: the same outcomes through the ORM."""
    order = Store(shop).order()
    with mock.patch.object(pending, "_upsert_returning", return_value=False):
        assert pending.request(shop_id=shop.pk, order_gid=order["id"]) is True
        assert pending.request(shop_id=shop.pk, order_gid=order["id"], priority=PendingSync.Priority.NEW) is False
        later = timezone.now()
        assert pending.request(shop_id=shop.pk, order_gid=order["id"], announced=later) is False
    row = PendingSync.objects.get()
    assert (row.generation, row.priority) == (3, PendingSync.Priority.NEW)
    assert row.announced == UNKNOWN_VERSION  # the first request said no version: it stays unknown


def test_the_upsert_keeps_the_newest_announced_version(shop):
    gid, first = "gid://shopify/Order/77", timezone.now()
    pending.request(shop_id=shop.pk, order_gid=gid, announced=first)
    pending.request(shop_id=shop.pk, order_gid=gid, announced=first - timedelta(minutes=1))
    assert PendingSync.objects.get().announced == first
    pending.request(shop_id=shop.pk, order_gid=gid, announced=first + timedelta(minutes=1))
    assert PendingSync.objects.get().announced == first + timedelta(minutes=1)


def test_new_orders_are_synced_before_changes_to_older_ones(shop):
    store = Store(shop)
    old = [store.order(lines=[(f"OLD-{n}", 1, "5.00")]) for n in range(3)]
    for order in old:
        pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"])
    new = store.order(lines=[("NEW", 1, "7.00")])
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid=new["id"], new=True)

    calls, patch = counting_fetches()
    with patch:
        shop_drain(shop_id=shop.pk)
    assert calls[0] == new["id"]
    assert calls[1:] == [order["id"] for order in old]  # the rest first come, first served


def test_a_later_change_keeps_a_new_order_urgent(shop):
    order = Store(shop).order()
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"], new=True)
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"])
    assert PendingSync.objects.get().priority == PendingSync.Priority.NEW


def test_an_order_busy_elsewhere_is_deferred_and_drained_later_not_dropped(shop):
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    with mock.patch.object(SyncedRecord, "mark_synced", side_effect=RuntimeError("worker killed")):
        with pytest.raises(RuntimeError):
            order_sync(shop_id=shop.pk, order_gid=order["id"])
    record = SyncedRecord.objects.get(shop=shop)
    assert record.status == SyncedRecord.Status.WRITING

    pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"])
    assert shop_drain(shop_id=shop.pk) == {"busy": 1}
    row = PendingSync.objects.get()
    assert row.claimed_at is None and row.not_before > timezone.now()
    # Not before the dead worker's claim expires, and a drain is scheduled for then.
    assert row.not_before <= record.claimed_at + claim_lease() + timedelta(seconds=1)
    later = Schedule.objects.get(name=f"shop-{shop.pk}-drain")
    assert later.func == "syncing.tasks.drain_shop" and later.next_run == row.not_before

    # The scheduled drain, once the claim has expired, finishes the order exactly once.
    SyncedRecord.objects.filter(pk=record.pk).update(claimed_at=timezone.now() - claim_lease() * 2)
    PendingSync.objects.update(not_before=timezone.now())
    assert shop_drain(shop_id=shop.pk) == {"recovered": 1}
    record.refresh_from_db()
    assert record.status == SyncedRecord.Status.SYNCED
    assert not PendingSync.objects.exists()


def test_a_drain_that_died_leaves_its_rows_to_the_next_one(shop):
    order = Store(shop).order()
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"])
    taken = pending.claim(shop_id=shop.pk, limit=5, lease=claim_lease())
    assert [row.order_gid for row in taken] == [order["id"]]
    # The worker dies here. While its claim holds, nobody else takes the row...
    assert pending.claim(shop_id=shop.pk, limit=5, lease=claim_lease()) == []
    # ...and once it has expired, the redelivered task does.
    PendingSync.objects.update(claimed_at=timezone.now() - claim_lease() * 2)
    assert shop_drain(shop_id=shop.pk) == {"written": 1}


def test_a_drain_finding_only_a_dead_drains_rows_schedules_one_for_when_their_claim_lapses(shop):
    """A drain killed mid-write (or timed out) holds its row until the claim lapses; a drain
    arriving before then finds nothing to take. It must leave a drain scheduled for the
    lapse, or the order waits for the next sweep (tests/syncing/crash_scenario.py found it)."""
    order = Store(shop).order()
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"])
    assert len(pending.claim(shop_id=shop.pk, limit=5, lease=claim_lease())) == 1  # then the drain is killed
    assert not Schedule.objects.exists()

    assert shop_drain(shop_id=shop.pk) == {}  # the row is the dead drain's, for now
    later = Schedule.objects.get(name=f"shop-{shop.pk}-drain")
    lapse = PendingSync.objects.get().claimed_at + claim_lease()
    assert later.func == "syncing.tasks.drain_shop" and lapse < later.next_run <= lapse + timedelta(seconds=2)

    PendingSync.objects.update(claimed_at=timezone.now() - claim_lease() * 2)
    assert shop_drain(shop_id=shop.pk) == {"written": 1}
    assert not PendingSync.objects.exists()
    assert pending.drain_when_due(shop_id=shop.pk) is None  # an empty queue schedules nothing


def test_the_sweep_recovers_writes_whose_worker_died(shop):
    """The watermark has moved past the order and no task will come back: the sweep must."""
    order = Store(shop).order(lines=[("A", 1, "10.00")])
    shop_sweep(shop_id=shop.pk)
    second = Store(shop).order(lines=[("B", 1, "12.00")])
    with mock.patch.object(SyncedRecord, "mark_synced", side_effect=RuntimeError("worker killed")):
        with pytest.raises(RuntimeError):
            order_sync(shop_id=shop.pk, order_gid=second["id"])
    shop_sweep(shop_id=shop.pk)  # passes the order: its claim is still fresh
    stuck = SyncedRecord.objects.get(shop=shop, order_gid=second["id"])
    assert stuck.status == SyncedRecord.Status.WRITING

    SyncedRecord.objects.filter(pk=stuck.pk).update(claimed_at=timezone.now() - claim_lease() * 2)
    result = shop_sweep(shop_id=shop.pk)
    assert result.outcomes.get("recovered") == 1
    assert set(SyncedRecord.objects.filter(shop=shop).values_list("status", flat=True)) == {"synced"}
    assert SyncedRecord.objects.get(order_gid=order["id"]).status == "synced"


def test_a_refund_left_failed_is_retried_through_its_order(shop):
    order = Store(shop).order(lines=[("A", 2, "10.00")])
    order_sync(shop_id=shop.pk, order_gid=order["id"])
    Store(shop).client.execute(
        """mutation R($input: RefundInput!) { refundCreate(input: $input) { refund { id } userErrors { message } } }""",
        {
            "input": {
                "orderId": order["id"],
                "transactions": [
                    {"orderId": order["id"], "kind": "REFUND", "gateway": "shopify_payments", "amount": "10.00"}
                ],
            }
        },
    )
    from shopqb_app.integrations.quickbooks import client as qbo

    with mock.patch.object(qbo, "create", side_effect=qbo.QBORejected("nope", "6000")):
        order_sync(shop_id=shop.pk, order_gid=order["id"])
    refund = SyncedRecord.objects.get(shop=shop, source_type="refund")
    assert refund.status == SyncedRecord.Status.FAILED and refund.order_gid == order["id"]
    SyncedRecord.objects.filter(pk=refund.pk).update(updated_at=timezone.now() - timedelta(minutes=1))
    shop_sweep(shop_id=shop.pk)
    refund.refresh_from_db()
    assert refund.status == SyncedRecord.Status.SYNCED


def test_two_workers_raising_the_same_issue_leave_one_open_issue(shop):
    SyncIssue.objects.raise_for(
        shop=shop, code="qbo_rejected", message="first", source_type="order", source_id="gid://1"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncIssue.objects.create(shop=shop, code="qbo_rejected", message="x", source_type="order", source_id="gid://1")

    # The second worker checked before the first one's row existed, then inserts: it
    # must count its occurrence on the open issue instead of failing or duplicating.
    SyncIssue.objects.all().delete()
    real_first = type(SyncIssue.objects.all()).first
    raced = []

    def first_after_a_rival_inserted(queryset):
        if queryset.model is SyncIssue and not raced:
            raced.append(True)
            SyncIssue.objects.create(
                shop=shop, code="qbo_rejected", message="rival", source_type="order", source_id="gid://1"
            )
            return None
        return real_first(queryset)

    with mock.patch.object(type(SyncIssue.objects.all()), "first", first_after_a_rival_inserted):
        SyncIssue.objects.raise_for(
            shop=shop, code="qbo_rejected", message="mine", source_type="order", source_id="gid://1"
        )
    issue = SyncIssue.objects.get()
    assert issue.occurrences == 2 and issue.message == "mine"


def test_the_claim_lease_must_lie_between_the_task_timeout_and_the_redelivery(settings):
    settings.SYNC_CLAIM_LEASE_SECONDS = 600  # the old 10 minutes, beyond Q_RETRY's 360 s
    assert [e.id for e in run_checks() if e.id.startswith("syncing.")] == ["syncing.E001"]
    settings.SYNC_CLAIM_LEASE_SECONDS = settings.Q_CLUSTER["timeout"] + 30
    assert [e.id for e in run_checks() if e.id.startswith("syncing.")] == []


@pytest.mark.slow
def test_a_worker_killed_at_any_step_of_a_write_heals_with_no_human_action():
    """A real django-q2 cluster whose worker SIGKILLs itself after the claim, after the
    send, after QuickBooks answered and after the commit, twice each: the broker's
    redelivery, expired claims and the sweep must leave every order in QuickBooks
    exactly once and every record synced (tests/syncing/crash_scenario.py)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.syncing.crash_scenario", "--runs", "2", "--orders", "3"],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stderr[-3000:]
    result = json.loads(lines[-1])
    runs = result["runs"]
    assert [r["step"] for r in runs] == [
        s for s in ("after_claim", "after_send", "after_answer", "after_commit") for _ in (1, 2)
    ]
    for run in runs:
        assert run["killed"], run
        assert run["documents_per_order"] == [1, 1, 1], run
        assert run["records"] == {"synced": 3}, run
        assert run["healed_in_s"] is not None, run
    assert result["ok"] and done.returncode == 0


def test_support_sees_the_queued_orders_in_the_admin(shop, client, django_user_model, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid="gid://shopify/Order/424242", new=True)
    admin = django_user_model.objects.create_superuser("support", "support@example.com", "pw-long-enough-1")
    client.force_login(admin)
    page = client.get("/admin/syncing/pendingsync/")
    assert page.status_code == 200
    assert b"gid://shopify/Order/424242" in page.content and b"new order" in page.content
