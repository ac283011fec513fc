"""One drain task per burst: the shop's drain marker (syncing.models.QueuedDrain, syncing/pending.py).

A burst of new orders must queue one django-q2 task, not one per order, and still no
order may be left waiting with no drain coming for it: the request that comes in while
the drain stops is either seen by the drain's last look or queues the next drain.
"""

import json
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from shopqb_app.integrations.quickbooks import client as qbo
from syncing import pending, runs, tasks
from syncing.context import claim_lease
from syncing.models import PendingSync, QueuedDrain, SyncedRecord, WebhookDelivery
from tests.factories import webhook_headers
from tests.sandboxes import Store
from tests.worker import run_queued

pytestmark = pytest.mark.django_db(transaction=True)

postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="SQLite takes one writer at a time: no interleaving to test"
)


def drain_tasks():
    return [q.task for q in OrmQ.objects.all() if q.task["func"] == "syncing.tasks.drain_shop"]


def order_body(order_id):
    return {"id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}", "name": f"#{order_id}"}


def post(client, shop, topic, payload, **headers):
    body = json.dumps(payload).encode()
    return client.post(
        "/webhooks", data=body, content_type="application/json", **webhook_headers(body, topic, shop.domain, **headers)
    )


@pytest.mark.usefixtures("app_settings")
def test_a_burst_of_new_order_webhooks_queues_one_drain_task(client, shop_a):
    for n in range(12):
        assert post(client, shop_a, "orders/create", order_body(1000 + n)).status_code == 200
    assert WebhookDelivery.objects.filter(shop_domain=shop_a.domain).count() == 12
    assert PendingSync.objects.filter(shop=shop_a).count() == 12
    [task] = drain_tasks()
    assert task["args"] == (shop_a.pk, QueuedDrain.objects.get(shop=shop_a).token)


def test_the_drain_lets_go_when_the_queue_is_empty_and_the_next_order_queues_a_new_one(shop):
    store = Store(shop)
    first = [store.order(lines=[(f"A-{n}", 1, "10.00")]) for n in range(3)]
    for order in first:
        pending.enqueue_order_sync(shop_id=shop.pk, order_gid=order["id"], new=True)
    assert len(drain_tasks()) == 1

    assert run_queued("syncing.tasks.drain_shop") == [{"written": 3}]
    assert not PendingSync.objects.exists() and not QueuedDrain.objects.exists() and not drain_tasks()

    later = store.order(lines=[("B", 1, "12.00")])
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid=later["id"], new=True)
    assert len(drain_tasks()) == 1
    assert run_queued("syncing.tasks.drain_shop") == [{"written": 1}]
    assert SyncedRecord.objects.filter(shop=shop, status="synced").count() == 4


def test_an_order_queued_while_the_drain_stops_gets_a_successor(shop):
    store = Store(shop)
    first, second = store.order(lines=[("A", 1, "10.00")]), store.order(lines=[("B", 1, "11.00")])
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid=first["id"], new=True)
    real_drain = runs.shop_drain

    def drain_then_a_webhook(*, shop_id):
        outcomes = real_drain(shop_id=shop_id)
        # The queue was empty a moment ago; this order's request finds the marker held and
        # queues no task of its own.
        pending.enqueue_order_sync(shop_id=shop_id, order_gid=second["id"], new=True)
        return outcomes

    OrmQ.objects.all().delete()
    token = QueuedDrain.objects.get(shop=shop).token
    with mock.patch.object(runs, "shop_drain", side_effect=drain_then_a_webhook):
        assert tasks.drain_shop(shop.pk, token) == {"written": 1}
    assert [t["args"][0] for t in drain_tasks()] == [shop.pk], "the drain must queue its successor"
    assert QueuedDrain.objects.filter(shop=shop).exists()
    assert run_queued("syncing.tasks.drain_shop") == [{"written": 1}]
    assert not QueuedDrain.objects.exists() and not PendingSync.objects.exists()


def test_a_drain_that_handed_over_leaves_the_marker_to_its_successor(shop):
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid="gid://shopify/Order/1", new=True)
    [first] = drain_tasks()
    token = first["args"][1]
    pending.drain_started(shop_id=shop.pk, token=token)
    pending.enqueue_drain(shop_id=shop.pk)  # out of time: a successor takes over
    assert pending.drain_stopped(shop_id=shop.pk, token=token) is False
    successor = drain_tasks()[1]["args"][1]
    assert successor != token and QueuedDrain.objects.get(shop=shop).token == successor


def test_drains_that_own_no_marker_leave_it_alone(shop):
    """The scheduled retry and tasks queued before the marker existed carry no token."""
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid="gid://shopify/Order/1", new=True)
    PendingSync.objects.all().delete()
    assert tasks.drain_shop(shop.pk) == {}
    assert QueuedDrain.objects.filter(shop=shop).exists()  # its owner is still on the way


def test_a_marker_older_than_the_claim_lease_is_a_dead_drain_and_is_replaced(shop):
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid="gid://shopify/Order/1", new=True)
    OrmQ.objects.all().delete()  # the task was lost with its worker
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid="gid://shopify/Order/2", new=True)
    assert drain_tasks() == []  # a fresh marker: its drain is on the way

    QueuedDrain.objects.update(queued_at=timezone.now() - claim_lease() - timedelta(seconds=1))
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid="gid://shopify/Order/3", new=True)
    assert len(drain_tasks()) == 1
    assert QueuedDrain.objects.get().queued_at > timezone.now() - timedelta(minutes=1)


def test_a_shop_that_cannot_sync_now_lets_go_of_the_marker_without_a_successor(shop):
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid="gid://shopify/Order/1", new=True)
    type(shop).objects.filter(pk=shop.pk).update(sync_paused=True)
    token = QueuedDrain.objects.get(shop=shop).token
    OrmQ.objects.all().delete()
    assert tasks.drain_shop(shop.pk, token) == {"not_ready": 1}
    # The row waits for the sweep; no drain task chases it in a loop.
    assert PendingSync.objects.count() == 1 and not QueuedDrain.objects.exists() and drain_tasks() == []


def test_a_drain_that_fails_lets_go_of_the_marker(shop):
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid="gid://shopify/Order/1", new=True)
    token = QueuedDrain.objects.get(shop=shop).token
    OrmQ.objects.all().delete()
    with mock.patch.object(runs, "shop_drain", side_effect=RuntimeError("bug")), pytest.raises(RuntimeError):
        tasks.drain_shop(shop.pk, token)
    assert not QueuedDrain.objects.exists() and drain_tasks() == []
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid="gid://shopify/Order/2", new=True)
    assert len(drain_tasks()) == 1  # the next order is not held up by the failed drain


def test_a_drain_stopped_by_an_unreachable_company_leaves_the_rest_to_its_retry(shop):
    """The drain gives its order back and schedules a retry: the orders still waiting must not
    each get a drain of their own, one after another, against a company that does not answer."""
    for n in range(3):
        pending.enqueue_order_sync(shop_id=shop.pk, order_gid=f"gid://shopify/Order/{n + 1}", new=True)
    token = QueuedDrain.objects.get(shop=shop).token
    OrmQ.objects.all().delete()
    with (
        mock.patch.object(runs, "context_open", return_value=mock.Mock(shop=shop)),
        mock.patch.object(runs, "_drain_one", side_effect=qbo.QBOUnavailable("throttled", "3001")),
    ):
        assert tasks.drain_shop(shop.pk, token) == {"deferred": 1}
    assert PendingSync.objects.count() == 3 and not QueuedDrain.objects.exists() and drain_tasks() == []
    assert Schedule.objects.filter(name=f"shop-{shop.pk}-drain").exists()  # the retry takes them all


def test_without_returning_support_the_marker_takes_the_orm_way(shop):
    with mock.patch.object(pending, "_upsert_returning", return_value=False):
        first = pending.drain_claim(shop_id=shop.pk)
        assert first and QueuedDrain.objects.get().token == first
        assert pending.drain_claim(shop_id=shop.pk) is None
        QueuedDrain.objects.update(queued_at=timezone.now() - claim_lease() * 2)
        second = pending.drain_claim(shop_id=shop.pk)
        assert second and second != first and QueuedDrain.objects.get().token == second
        assert pending.drain_claim(shop_id=shop.pk) is None


def test_the_upsert_claims_like_the_orm_way(shop):
    first = pending.drain_claim(shop_id=shop.pk)
    assert first and QueuedDrain.objects.get().token == first
    assert pending.drain_claim(shop_id=shop.pk) is None
    QueuedDrain.objects.update(queued_at=timezone.now() - claim_lease() * 2)
    second = pending.drain_claim(shop_id=shop.pk)
    assert second and second != first and QueuedDrain.objects.get().token == second


# --- Interleavings on PostgreSQL: two connections, one waiting for the other's lock ------


def _in_thread(target):
    errors = []

    def run():
        try:
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@postgresql_only
def test_a_request_holding_the_marker_makes_the_stopping_drain_wait_and_see_its_order(shop):
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid="gid://shopify/Order/1", new=True)
    PendingSync.objects.all().delete()  # drained; the drain is about to stop
    OrmQ.objects.all().delete()
    token = QueuedDrain.objects.get(shop=shop).token
    locked, release = threading.Event(), threading.Event()

    def request():
        with transaction.atomic():
            pending.enqueue_order_sync(shop_id=shop.pk, order_gid="gid://shopify/Order/2", new=True)
            locked.set()
            release.wait(10)

    thread, errors = _in_thread(request)
    assert locked.wait(10)
    threading.Timer(0.5, release.set).start()
    begun = time.monotonic()
    assert pending.drain_stopped(shop_id=shop.pk, token=token) is True, "the drain must see the order"
    assert time.monotonic() - begun >= 0.4, "the drain must have waited for the request's transaction"
    thread.join(10)
    assert not errors
    assert QueuedDrain.objects.filter(shop=shop).exists() and len(drain_tasks()) == 1


@postgresql_only
def test_a_request_arriving_as_the_drain_gives_up_the_marker_queues_the_next_drain(shop):
    pending.enqueue_order_sync(shop_id=shop.pk, order_gid="gid://shopify/Order/1", new=True)
    PendingSync.objects.all().delete()
    OrmQ.objects.all().delete()
    token = QueuedDrain.objects.get(shop=shop).token
    deleted, go = threading.Event(), threading.Event()
    real_takeable = pending._takeable

    def takeable_after_a_request(shop_id, *args):
        # The drain has deleted the marker (uncommitted) and looks for work; a request
        # inserts its order meanwhile and waits on the marker.
        deleted.set()
        go.wait(10)
        time.sleep(0.3)
        return real_takeable(shop_id, *args)

    def request():
        assert deleted.wait(10)
        go.set()
        with transaction.atomic():
            pending.enqueue_order_sync(shop_id=shop.pk, order_gid="gid://shopify/Order/2", new=True)

    thread, errors = _in_thread(request)
    with mock.patch.object(pending, "_takeable", side_effect=takeable_after_a_request):
        assert pending.drain_stopped(shop_id=shop.pk, token=token) is False  # it saw nothing...
    thread.join(10)
    assert not errors
    # ...so the request, once the drain committed, claimed a new marker and queued a drain.
    assert QueuedDrain.objects.filter(shop=shop).exists() and len(drain_tasks()) == 1
    assert PendingSync.objects.filter(order_gid="gid://shopify/Order/2").exists()


@postgresql_only
@pytest.mark.usefixtures("app_settings")
def test_concurrent_webhooks_store_each_delivery_once_and_queue_one_drain(shop_a):
    """Eight connections at once: the same delivery eight times, and forty new orders."""
    barrier = threading.Barrier(8)
    statuses: list[int] = []
    lock = threading.Lock()

    def sender(n):
        def send():
            client = Client()
            barrier.wait(10)
            codes = [post(client, shop_a, "orders/create", order_body(42), webhook_id="wh-same").status_code]
            for k in range(5):
                codes.append(post(client, shop_a, "orders/create", order_body(5000 + n * 10 + k)).status_code)
            with lock:
                statuses.extend(codes)

        return send

    threads = [_in_thread(sender(n)) for n in range(8)]
    for thread, errors in threads:
        thread.join(30)
        assert not errors
    assert statuses == [200] * 48
    assert WebhookDelivery.objects.filter(webhook_id="wh-same").count() == 1
    assert WebhookDelivery.objects.filter(shop_domain=shop_a.domain).count() == 41
    assert PendingSync.objects.filter(shop=shop_a).count() == 41
    assert PendingSync.objects.get(order_gid="gid://shopify/Order/42").generation == 1
    assert len(drain_tasks()) == 1


@pytest.mark.usefixtures("app_settings")
def test_the_order_path_leaves_no_transaction_open(client, shop_a):
    """On PostgreSQL an order webhook is one statement in autocommit: nothing may stay open."""
    assert post(client, shop_a, "orders/create", order_body(77)).status_code == 200
    assert post(client, shop_a, "orders/updated", order_body(77)).status_code == 200
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert PendingSync.objects.get(shop=shop_a).generation == 2
