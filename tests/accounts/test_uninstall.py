"""``app/uninstalled`` and the time Shopify says it happened.

X-Shopify-Triggered-At normally carries an offset; one without is Shopify's UTC,
never the server's own TIME_ZONE. The time decides whether the event is older than
a reinstall (and so changes nothing) or is the uninstall that came after it.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts import uninstall
from accounts.models import PauseCode, Shop
from tests.factories import webhook_headers
from tests.worker import run_queued

pytestmark = pytest.mark.django_db


def naive_utc(when: datetime) -> str:
    return when.astimezone(UTC).replace(tzinfo=None).isoformat()


def post_uninstalled(client, shop: Shop, triggered_at: str):
    body = json.dumps({"id": 548380009, "name": shop.name, "myshopify_domain": shop.domain}).encode()
    headers = webhook_headers(body, "app/uninstalled", shop.domain)  # signed with the test app's secret
    headers["HTTP_X_SHOPIFY_TRIGGERED_AT"] = triggered_at
    return client.post("/webhooks", data=body, content_type="application/json", **headers)


def test_a_naive_event_time_is_read_as_utc():
    assert uninstall._event_time("2026-03-01T12:00:00") == datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert uninstall._event_time("2026-03-01T12:00:00-05:00") == datetime(2026, 3, 1, 17, tzinfo=UTC)
    assert uninstall._event_time("") is None
    assert uninstall._event_time("2026-02-30T12:00:00") is None  # looks like a date, is not one


def test_a_naive_uninstall_after_a_reinstall_uninstalls(client, shop_a, settings, monkeypatch):
    # Fourteen hours ahead of UTC: read as local time, this event would predate the reinstall.
    settings.TIME_ZONE = "Pacific/Kiritimati"
    Shop.objects.filter(pk=shop_a.pk).update(installed_at=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr(uninstall, "shop_access_works", lambda *, shop: False)  # Shopify revoked the token

    assert post_uninstalled(client, shop_a, naive_utc(timezone.now())).status_code == 200
    assert run_queued() == ["uninstalled"]

    shop = Shop.objects.get(pk=shop_a.pk)
    assert not shop.is_installed and shop.access_token == "" and shop.paused_code == PauseCode.UNINSTALLED


def test_a_naive_uninstall_from_before_a_reinstall_changes_nothing(client, shop_a, settings, monkeypatch):
    # Twelve hours behind UTC: read as local time, this event would come after the reinstall.
    settings.TIME_ZONE = "Etc/GMT+12"
    reinstalled = timezone.now() - timedelta(hours=1)
    Shop.objects.filter(pk=shop_a.pk).update(installed_at=reinstalled)
    monkeypatch.setattr(uninstall, "shop_access_works", lambda *, shop: pytest.fail("a stale event asked Shopify"))

    assert post_uninstalled(client, shop_a, naive_utc(reinstalled - timedelta(hours=2))).status_code == 200
    assert run_queued() == ["nothing to do"]

    shop = Shop.objects.get(pk=shop_a.pk)
    assert shop.is_installed and shop.access_token and not shop.sync_paused
