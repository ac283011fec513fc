"""Live: an order placed in the Shopify sandbox reaches the running app by webhook
and lands in QuickBooks, with no sweep involved."""

import time
from decimal import Decimal
from unittest import mock

import pytest

from sandbox.runner import start_sandboxes
from shopqb_app.integrations.quickbooks import client as qbo
from syncing.models import SyncedRecord, WebhookDelivery
from tests.sandboxes import Store, connect_shop, use_sandboxes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_sandboxes(live_server):
    running = start_sandboxes(app_url=live_server.url)
    yield running
    # Let deliveries in flight finish before the sandboxes go: a webhook still being
    # handled by the app would otherwise outlive the test.
    running.shopify.dispatcher.wait_idle(timeout=20)
    running.stop()


def test_an_order_webhook_is_synced_live(live_sandboxes, settings, monkeypatch):
    use_sandboxes(settings, monkeypatch, live_sandboxes.info)
    shop = connect_shop(live_sandboxes.info)

    # The worker is replaced by running each queued task at once, inside the webhook request.
    with mock.patch("django_q.conf.Conf.SYNC", True):
        order = Store(shop).order(lines=[("LIVE-1", 2, "15.00")], tax="2.40")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            record = SyncedRecord.objects.filter(shop=shop, source_id=order["id"], status="synced").first()
            if record is not None:
                break
            time.sleep(0.2)
        # Later deliveries for the order (orders/paid...) run their sync inline too:
        # let them finish before reading the shared in-memory database.
        live_sandboxes.shopify.dispatcher.wait_idle(timeout=20)
    assert record is not None, "the order never reached QuickBooks"
    assert WebhookDelivery.objects.filter(shop_domain=shop.domain, topic="orders/create").exists()
    from syncing.context import context_open

    receipt = qbo.read(context_open(shop.pk).qb, "SalesReceipt", record.qbo_id)
    assert Decimal(str(receipt["TotalAmt"])) == Decimal("32.40")
