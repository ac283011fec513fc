"""Fair across shops and within one: a backfill never delays live orders (syncing/fairness.py)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule

from accounts.clients import qbo_client
from accounts.models import QuickBooksConnection
from operations.budget_store import DatabaseStore
from shopqb_app.integrations import budget
from shopqb_app.integrations.quickbooks import client as qbo
from syncing import fairness, pending, tasks
from syncing.models import SyncedRecord, SyncRun
from tests.sandboxes import Store

pytestmark = pytest.mark.django_db(transaction=True)


def queued() -> list[tuple[str, str]]:
    return sorted((row.key, row.task["func"]) for row in OrmQ.objects.all())


def test_with_a_bulk_queue_sweeps_go_there_and_live_drains_keep_the_main_queue(settings, shop_a, shop_b):
    settings.SYNC_BULK_CLUSTER = "bulk"
    pending.enqueue_sweep(shop_id=shop_b.pk, full=True)
    pending.enqueue_order_sync(shop_id=shop_a.pk, order_gid="gid://shopify/Order/1", new=True)
    assert queued() == [("bulk", "syncing.tasks.sweep_shop"), (Conf.CLUSTER_NAME, "syncing.tasks.drain_shop")]


def test_without_one_both_share_the_main_queue(settings, shop_a, shop_b):
    settings.SYNC_BULK_CLUSTER = ""
    pending.enqueue_sweep(shop_id=shop_b.pk)
    pending.enqueue_order_sync(shop_id=shop_a.pk, order_gid="gid://shopify/Order/1")
    assert {key for key, _ in queued()} == {Conf.CLUSTER_NAME}


@pytest.fixture
def database_budget():
    """A shared budget in the database (the suite runs unbudgeted: tests/conftest.py)."""
    budget.configure(budget.Budget(DatabaseStore()))
    yield
    budget.configure(None)


@pytest.mark.usefixtures("database_budget")
def test_a_sweep_finding_every_bulk_slot_busy_comes_back_later_instead_of_taking_the_last_worker(settings, shop_b):
    settings.SYNC_BULK_CLUSTER = ""
    settings.SYNC_BULK_TASKS = 1
    with fairness.bulk_slot() as held:  # another shop's backfill runs on this host
        assert held
        assert tasks.sweep_shop(shop_b.pk, True) == {
            "deferred": "every bulk slot is busy: the sweep runs again shortly"
        }
        assert tasks.sweep_shop(shop_b.pk, True)["deferred"]  # asked again: still one schedule
    assert not SyncRun.objects.filter(shop=shop_b).exists()
    later = Schedule.objects.get(name=f"shop-{shop_b.pk}-sweep-full-later")
    assert (later.func, later.args) == ("syncing.tasks.sweep_shop", repr((shop_b.pk, True)))
    # The backfill ended: the sweep runs (this shop has no QuickBooks yet, so it stops there).
    assert "skipped" in tasks.sweep_shop(shop_b.pk, True)


def test_a_live_order_is_written_while_a_backfill_holds_the_bulk_slot_and_its_budget_share(shop, settings):
    """The worst case for the live order: the backfill is the same company's, on the same host,
    and sends requests as fast as its share of the budget lets it the whole time."""
    settings.SYNC_BULK_TASKS = 1
    # A small company budget (120 a minute), so the backfill's share binds within seconds.
    shared = budget.Budget(
        DatabaseStore(), quickbooks=budget.QuickBooksLimits(per_minute=120, per_second=0, bulk_share=0.5, max_wait=20)
    )
    before = budget.current()
    budget.configure(shared)
    stop = threading.Event()
    backfill_requests: list[float] = []
    errors: list[BaseException] = []
    connection = QuickBooksConnection.objects.get(shop=shop)
    order = Store(shop).order()

    def backfill() -> None:
        try:
            qb = qbo_client(connection)
            with fairness.bulk_slot() as held, budget.bulk_work():
                assert held
                while not stop.is_set():
                    qbo.read(qb, "Account", "1")
                    backfill_requests.append(time.monotonic())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own connection: the test database can be dropped

    thread = threading.Thread(target=backfill)
    try:
        thread.start()
        time.sleep(3)  # the backfill has spent its burst and runs at its share now
        started = time.monotonic()
        pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"], new=True)
        outcomes = tasks.drain_shop(shop.pk)
        live_seconds = time.monotonic() - started
    finally:
        stop.set()
        thread.join(timeout=30)
        budget.configure(before)
    assert errors == []
    assert outcomes == {"written": 1}
    assert SyncedRecord.objects.get(shop=shop, order_gid=order["id"]).status == SyncedRecord.Status.SYNCED
    # Meanwhile the backfill went on, at no more than its share (about 1 a second) plus its burst.
    during = [t for t in backfill_requests if started <= t <= started + live_seconds]
    assert len(during) <= live_seconds * 1.0 + 2
    assert live_seconds < 20
