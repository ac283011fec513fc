"""Each condition raises one alert, emailed to the shop's owner and the operators at most once a day,
with the link that fixes it; the alert clears itself when the condition ends. The clock moves by
passing ``now``."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from accounts.models import PauseCode, QuickBooksConnection
from operations.models import Alert, AlertKind, QueueSample
from operations.watch import watch_run
from syncing.models import PendingSync, SyncIssue, SyncRun
from tests.operations.conftest import OPERATOR

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def open_alerts(**filters) -> list[Alert]:
    return list(Alert.objects.filter(resolved_at__isnull=True, **filters))


def sweep_done(shop, at):
    SyncRun.objects.create(shop=shop, kind="sweep", status="succeeded", started_at=at, finished_at=at)


def emails_to(address: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if address in m.to]


def test_a_shop_paused_by_a_refused_quickbooks_grant_raises_one_alert_emailed_once_a_day(live_shop, shop_b):
    now = timezone.now()
    sweep_done(live_shop, now - timedelta(minutes=5))
    live_shop.pause("QuickBooks refused the refresh token (invalid_grant).", code=PauseCode.QBO_RECONNECT)
    QuickBooksConnection.objects.filter(shop=live_shop).update(status=QuickBooksConnection.Status.RECONNECT_NEEDED)

    watch_run(now=now)

    [alert] = open_alerts()
    assert (alert.shop, alert.kind, alert.key) == (live_shop, AlertKind.SHOP_PAUSED, PauseCode.QBO_RECONNECT)
    assert alert.title == "QuickBooks needs reconnecting"
    [merchant] = emails_to("owner@alpha-goods.example")
    [operators] = emails_to(OPERATOR)
    assert merchant.subject == "Alpha-Goods: QuickBooks needs reconnecting"
    assert merchant.from_email == "ShopQB <alerts@shopqb.example>"
    # The link opens the app inside the shop's Shopify admin, on the page with the Reconnect button.
    assert "Reconnect QuickBooks: https://alpha-goods.myshopify.com/admin/apps/test-api-key/\n" in merchant.body
    assert OPERATOR not in merchant.to and "owner@" not in ",".join(operators.to)
    assert operators.subject == "[ShopQB] Alpha-Goods: QuickBooks needs reconnecting"
    assert f"https://app.example.test/admin/operations/alert/{alert.pk}/change/" in operators.body
    assert "The shop's owner was emailed at owner@alpha-goods.example." in operators.body

    # Still paused an hour later: the same alert, no second email.
    watch_run(now=now + HOUR)
    assert [a.pk for a in open_alerts()] == [alert.pk]
    assert len(mail.outbox) == 2

    # Reconnected: the alert clears itself.
    QuickBooksConnection.objects.filter(shop=live_shop).update(status=QuickBooksConnection.Status.CONNECTED)
    live_shop.resume_if(PauseCode.QBO_RECONNECT)
    watch_run(now=now + 2 * HOUR)
    assert open_alerts() == []
    assert Alert.objects.get(pk=alert.pk).resolved_at == now + 2 * HOUR

    # Refused again the same day: a new alert, but no new email before a day has passed...
    live_shop.pause("invalid_grant", code=PauseCode.QBO_RECONNECT)
    watch_run(now=now + 3 * HOUR)
    [again] = open_alerts()
    assert again.pk != alert.pk and len(mail.outbox) == 2
    # ...and a reminder once it has, while it lasts.
    watch_run(now=now + 25 * HOUR)
    assert len(mail.outbox) == 4
    watch_run(now=now + 26 * HOUR)
    assert len(mail.outbox) == 4


def test_a_revoked_shopify_token_raises_its_own_alert(live_shop):
    live_shop.pause("Shopify refused the token.", code=PauseCode.SHOPIFY_REVOKED)
    watch_run(now=timezone.now())
    [alert] = open_alerts()
    assert (alert.kind, alert.key, alert.fix_label) == (AlertKind.SHOP_PAUSED, "shopify_revoked", "Open ShopQB")


def test_a_pause_by_the_merchant_or_support_is_no_alert(live_shop):
    live_shop.pause("Moving books", code=PauseCode.MERCHANT)
    watch_run(now=timezone.now())
    assert open_alerts() == [] and mail.outbox == []


def test_no_pass_completed_for_an_hour_raises_an_alert_until_one_completes(live_shop, shop_b, watch_settings):
    watch_settings.ALERT_SWEEP_STALE_MINUTES = 60
    now = timezone.now()
    sweep_done(live_shop, now - 2 * HOUR)
    SyncRun.objects.create(
        shop=live_shop,
        kind="sweep",
        status="failed",
        started_at=now - HOUR,
        finished_at=now - HOUR,
        error="Stopped: Shopify unreachable: HTTP 503",
    )
    watch_run(now=now)

    [alert] = open_alerts()
    assert (alert.shop, alert.kind) == (live_shop, AlertKind.SWEEP_STALE)
    assert "No sync pass has completed since" in alert.message and "(2 hours)" in alert.message
    assert "The last pass stopped: Shopify unreachable: HTTP 503." in alert.message
    assert alert.fix_url_name == "issues"
    assert len(emails_to("owner@alpha-goods.example")) == 1

    sweep_done(live_shop, now + timedelta(minutes=3))
    watch_run(now=now + timedelta(minutes=5))
    assert open_alerts() == []


def test_a_shop_just_gone_live_or_sweeping_on_time_has_no_alert(live_shop, watch_settings):
    now = timezone.now()
    live_shop.sync_settings.live_at = now - timedelta(minutes=10)
    live_shop.sync_settings.save()
    watch_run(now=now)  # live for ten minutes, no pass yet: not late
    sweep_done(live_shop, now)
    watch_run(now=now + timedelta(minutes=30))
    assert Alert.objects.count() == 0


def test_orders_waiting_half_an_hour_raise_a_backlog_alert_that_clears_when_they_are_written(live_shop, shop_b):
    now = timezone.now()
    sweep_done(live_shop, now)
    for n in range(3):
        PendingSync.objects.create(shop=live_shop, order_gid=f"gid://shopify/Order/{n}", requested_at=now - HOUR)
    PendingSync.objects.create(shop=shop_b, order_gid="gid://shopify/Order/9", requested_at=now - timedelta(minutes=5))

    watch_run(now=now)
    [alert] = open_alerts()
    assert (alert.shop, alert.kind, alert.key) == (live_shop, AlertKind.QUEUE_BACKLOG, "")
    assert alert.message.startswith("3 orders have waited more than 30 minutes")

    PendingSync.objects.filter(shop=live_shop).delete()
    watch_run(now=now + timedelta(minutes=5))
    assert open_alerts() == []


def test_a_growing_task_queue_alerts_the_operators_only(live_shop, watch_settings):
    watch_settings.ALERT_QUEUE_DEPTH = 3
    watch_settings.ALERT_QUEUE_WINDOW_MINUTES = 15
    now = timezone.now()
    sweep_done(live_shop, now)
    QueueSample.objects.create(taken_at=now - timedelta(minutes=20), depth=1)
    for _ in range(4):
        OrmQ.objects.create(key=Conf.CLUSTER_NAME, payload="task", lock=now - timedelta(seconds=1))

    result = watch_run(now=now)
    assert result.queue_depth == 4
    [alert] = open_alerts()
    assert (alert.shop, alert.kind, alert.key) == (None, AlertKind.QUEUE_BACKLOG, "task_queue")
    assert alert.message.startswith("4 tasks wait in the queue, 3 more than 20 minutes ago")
    [message] = mail.outbox
    assert message.to == [OPERATOR] and message.subject == "[ShopQB] The task queue is growing"
    assert "/admin/django_q/ormq/" in message.body

    # Drained: the next check clears it.
    OrmQ.objects.all().delete()
    watch_run(now=now + timedelta(minutes=5))
    assert open_alerts() == []


def test_issues_open_for_more_than_a_day_raise_an_alert_linking_to_the_issues_page(live_shop, shop_b):
    now = timezone.now()
    sweep_done(live_shop, now)
    old = SyncIssue.objects.raise_for(shop=live_shop, code="qbo_rejected", message="Rejected", source_id="1")
    SyncIssue.objects.raise_for(shop=live_shop, code="qbo_rejected", message="Rejected", source_id="2")
    SyncIssue.objects.filter(pk=old.pk).update(created_at=now - 25 * HOUR)
    young = SyncIssue.objects.raise_for(shop=shop_b, code="qbo_rejected", message="Rejected", source_id="3")
    assert young.shop == shop_b

    watch_run(now=now)
    [alert] = open_alerts()
    assert (alert.shop, alert.kind) == (live_shop, AlertKind.ISSUES_STALE)
    assert alert.message.startswith("1 issue has been open for more than a day")
    [merchant] = emails_to("owner@alpha-goods.example")
    assert "Open the Issues page: https://alpha-goods.myshopify.com/admin/apps/test-api-key/issues\n" in merchant.body

    SyncIssue.objects.filter(pk=old.pk).resolve()
    watch_run(now=now + timedelta(minutes=5))
    assert open_alerts() == []


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise SMTPException("550 relay refused")


def test_an_email_that_cannot_be_sent_is_tried_again_at_the_next_check(live_shop, watch_settings):
    now = timezone.now()
    live_shop.pause("invalid_grant", code=PauseCode.QBO_RECONNECT)
    watch_settings.EMAIL_BACKEND = "tests.operations.test_alerts.BrokenBackend"
    watch_run(now=now)
    [alert] = open_alerts()
    assert alert.emailed_at is None and alert.emails_sent == 0
    assert "550 relay refused" in alert.email_error

    watch_settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    watch_run(now=now + timedelta(minutes=5))
    alert.refresh_from_db()
    assert alert.emailed_at == now + timedelta(minutes=5) and alert.email_error == ""
    assert len(mail.outbox) == 2


def test_without_an_owner_address_or_operators_the_alert_stays_in_the_app_and_the_admin(live_shop, watch_settings):
    watch_settings.ADMINS = []
    watch_settings.ALERT_EMAIL_MERCHANTS = False
    live_shop.pause("invalid_grant", code=PauseCode.QBO_RECONNECT)
    watch_run(now=timezone.now())
    [alert] = open_alerts()
    assert mail.outbox == []
    assert alert.email_error == "no operators to email (ADMINS is empty)"


def test_a_fix_page_the_app_does_not_have_falls_back_to_the_overview_or_the_admin():
    from operations.alerts import fix_path

    assert fix_path("issues") == "/issues"
    assert fix_path("no-such-page") == "/"
    assert fix_path("admin:no_such_changelist") == "/admin/"
