"""The banner on every embedded page: the shop's open alerts with the link that fixes them, never
another shop's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import PauseCode
from operations.models import AlertKind
from operations.watch import watch_run
from syncing.models import SyncIssue, SyncRun
from tests.factories import session_token

pytestmark = pytest.mark.django_db


def page(client, shop, path="/"):
    response = client.get(path, {"id_token": session_token(shop.domain)})
    assert response.status_code == 200
    return response.content.decode()


def banner(html: str) -> str:
    if 'data-testid="alerts"' not in html:
        return ""
    return html.split('<section class="alerts"')[1].split("</section>")[0]


@pytest.fixture(autouse=True)
def sweeping(live_shop):
    """The sync itself runs on time: only the alerts a test makes are there."""
    now = timezone.now()
    SyncRun.objects.create(shop=live_shop, kind="sweep", status="succeeded", started_at=now, finished_at=now)


@pytest.fixture
def old_issue(live_shop):
    issue = SyncIssue.objects.raise_for(shop=live_shop, code="qbo_rejected", message="Rejected", source_id="1")
    SyncIssue.objects.filter(pk=issue.pk).update(created_at=timezone.now() - timedelta(days=2))
    return issue


def test_the_shops_alert_shows_on_its_pages_with_the_fix_and_not_on_another_shops(client, live_shop, shop_b, old_issue):
    watch_run(now=timezone.now())

    shown = banner(page(client, live_shop, "/orders"))
    assert 'data-alert-kind="issues_stale"' in shown
    assert "Open issues need your attention." in shown
    assert "1 issue has been open for more than a day" in shown
    assert '<a href="/issues" data-nav>Open the Issues page</a>' in shown
    assert banner(page(client, live_shop, "/")) == shown  # every page, the overview too
    # On the page that fixes it, the words without a link to itself.
    on_issues = banner(page(client, live_shop, "/issues"))
    assert "1 issue has been open for more than a day" in on_issues and "<a href" not in on_issues

    assert banner(page(client, shop_b, "/")) == ""
    assert banner(page(client, shop_b, "/orders")) == ""


def test_a_cleared_alert_leaves_the_pages(client, live_shop, old_issue):
    watch_run(now=timezone.now())
    assert banner(page(client, live_shop, "/orders"))
    SyncIssue.objects.filter(pk=old_issue.pk).resolve()
    watch_run(now=timezone.now())
    assert banner(page(client, live_shop, "/orders")) == ""


def test_the_overview_explains_a_pause_itself_the_other_pages_show_the_alert(client, live_shop):
    live_shop.pause("QuickBooks refused the refresh token.", code=PauseCode.QBO_RECONNECT)
    watch_run(now=timezone.now())
    home = page(client, live_shop, "/")
    assert banner(home) == "" and "Syncing is paused." in home
    orders = banner(page(client, live_shop, "/orders"))
    assert f'data-alert-kind="{AlertKind.SHOP_PAUSED}"' in orders and 'role="alert"' in orders
    assert '<a href="/" data-nav>Reconnect QuickBooks</a>' in orders
