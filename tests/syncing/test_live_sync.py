"""Live: an order placed in the Shopify sandbox reaches the running app by webhook
and lands in QuickBooks, with no sweep involved."""

import time
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import QuickBooksConnection, Shop
from sandbox.runner import start_sandboxes
from syncing.models import SyncedRecord, WebhookDelivery
from syncing.quickbooks import client as qbo
from tests.syncing.conftest import Store

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_sandboxes(live_server):
    running = start_sandboxes(app_url=live_server.url)
    yield running
    running.stop()


def test_an_order_webhook_is_synced_live(live_sandboxes, settings, monkeypatch):
    info = live_sandboxes.info
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    settings.SHOPIFY_API_KEY = info["app"]["api_key"]
    settings.SHOPIFY_API_SECRET = info["app"]["api_secret"]
    settings.SHOPIFY_ADMIN_BASE = info["shopify"] + "/{shop}"
    settings.QBO_CLIENT_ID = info["qbo_app"]["client_id"]
    settings.QBO_CLIENT_SECRET = info["qbo_app"]["client_secret"]
    settings.QBO_ENVIRONMENT = info["qbo"] + "/.well-known/openid_configuration"
    settings.QBO_API_BASE = info["qbo"] + "/v3"
    shop = Shop.objects.create(
        domain=info["shops"][0]["domain"],
        currency="USD",
        iana_timezone="America/New_York",
        installed_at=timezone.now(),
        access_token=info["shops"][0]["access_token"],
    )
    company = info["qbo_companies"][0]
    QuickBooksConnection.objects.create(
        shop=shop, realm_id=company["realm_id"], access_token=company["access_token"], country="US"
    )

    # The worker is replaced by running each queued task at once, inside the webhook request.
    with mock.patch("django_q.conf.Conf.SYNC", True):
        order = Store(shop).order(lines=[("LIVE-1", 2, "15.00")], tax="2.40")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            record = SyncedRecord.objects.filter(shop=shop, source_id=order["id"], status="synced").first()
            if record is not None:
                break
            time.sleep(0.2)
    assert record is not None, "the order never reached QuickBooks"
    assert WebhookDelivery.objects.filter(shop_domain=shop.domain, topic="orders/create").exists()
    from syncing import engine

    receipt = qbo.read(engine.context_open(shop.pk).qb, "SalesReceipt", record.qbo_id)
    assert Decimal(str(receipt["TotalAmt"])) == Decimal("32.40")
