"""Against both emulators, over HTTP: the daily reconciliation's difference becomes an alert (emailed
to the owner's address the app reads from Shopify), clears when the next day's reconciliation
matches, and QuickBooks' requests and throttles are counted per company."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.core import mail
from django.utils import timezone

from accounts.clients import qbo_client
from accounts.models import QuickBooksConnection, Shop
from operations.alerts import fix_path
from operations.counting import counts_flush
from operations.models import Alert, AlertKind, QuickBooksRequestCount, ReconcileCheck
from operations.watch import reconcile_claim, reconcile_run, watch_run
from shopqb_app.integrations.quickbooks import client as qbo
from syncing.orders import order_sync
from tests.sandboxes import Store

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


@pytest.fixture
def mailboxes(settings):
    settings.ADMINS = [("Ops", "ops@shopqb.example")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.APP_URL = "https://app.example.test"
    settings.SHOPIFY_ADMIN_APP_URL = "https://{shop}/admin/apps/{api_key}"


def test_a_reconciliation_difference_is_an_alert_until_a_later_day_matches(shop, mailboxes, sandbox_settings):
    store = Store(shop)
    booked = store.order(lines=[("MUG-1", 2, "12.50")])
    waiting = store.order(lines=[("MUG-2", 1, "30.00")])
    assert order_sync(shop_id=shop.pk, order_gid=booked["id"]) == "written"
    now = timezone.now()

    assert reconcile_claim(now=now) == [shop.pk]
    assert reconcile_claim(now=now) == []  # claimed: a second watch at the same time runs none
    check = reconcile_run(shop_id=shop.pk)
    assert check.matched is False
    assert check.summary.startswith("1 document or order differs; sales 55.00 in Shopify, 25.00 in QuickBooks")

    assert shop.email == ""
    watch_run(now=now)
    [alert] = Alert.objects.filter(kind=AlertKind.RECONCILE_DIFFERENCE, resolved_at__isnull=True)
    assert alert.shop == shop and alert.fix_url_name == "reconcile"
    # No address known yet: the app read the owner's from Shopify (Shop.email) and kept it.
    owner = Shop.objects.get(pk=shop.pk).email
    assert owner == f"owner@{shop.domain}"
    [merchant] = [m for m in mail.outbox if m.to == [owner]]
    link = f"https://{shop.domain}/admin/apps/{sandbox_settings['app']['api_key']}{fix_path('reconcile')}"
    assert f"Open the reconciliation: {link}\n" in merchant.body
    assert "sales 55.00 in Shopify, 25.00 in QuickBooks" in merchant.body

    # QuickBooks is read at most once a day per shop; an outage keeps the verdict it had.
    assert reconcile_claim(now=now + timedelta(hours=23)) == []
    shop.pause("Moving books", code="merchant")
    check = reconcile_run(shop_id=shop.pk)
    assert check.matched is False and "paused" in check.error
    shop.resume()

    # The order is written; the next day's reconciliation matches and the alert clears itself.
    assert order_sync(shop_id=shop.pk, order_gid=waiting["id"]) == "written"
    assert reconcile_claim(now=now + DAY + timedelta(minutes=1)) == [shop.pk]
    check = reconcile_run(shop_id=shop.pk)
    assert (check.matched, check.error) == (True, "")
    watch_run(now=now + DAY + timedelta(minutes=2))
    alert.refresh_from_db()
    assert alert.resolved_at == now + DAY + timedelta(minutes=2)
    assert ReconcileCheck.objects.get(shop=shop).summary == "Shopify and QuickBooks match."


def test_quickbooks_requests_and_throttles_are_counted_per_company(
    shop, sandbox_settings, django_capture_on_commit_callbacks
):
    connection = QuickBooksConnection.objects.get(shop=shop)
    qb = qbo_client(connection)
    counts_flush()  # the setup's requests, held by this process until its transaction ends
    QuickBooksRequestCount.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        qbo.query_all(qb, "select * from Account", "Account")
    [row] = QuickBooksRequestCount.objects.all()
    assert (row.realm_id, row.requests, row.throttled) == (connection.realm_id, 1, 0)

    # QuickBooks throttles the next request (403 ThrottleExceeded, as its gateway also answers).
    control = f"{sandbox_settings['qbo']}/_sandbox/qbo/{connection.realm_id}/throttle"
    requests.post(control, json={"requests": 1, "status": 403}, timeout=10).raise_for_status()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(qbo.QBOUnavailable):
        qbo.query_all(qb, "select * from Account", "Account")
    row.refresh_from_db()
    assert (row.requests, row.throttled) == (2, 1)
    assert row.day == timezone.now().date()
