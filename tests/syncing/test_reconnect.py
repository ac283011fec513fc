"""After QuickBooks is reconnected the stale authentication issues resolve and a live shop's
sync starts by itself: the merchant does not have to find "Sync now"."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from accounts.models import PauseCode, Shop
from mappings.models import SyncSettings
from syncing.models import SyncIssue
from tests.accounts.factories import make_connection
from tests.accounts.test_qbo_connect import connect, intuit  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("app_settings")]


def queued_sweeps(shop: Shop) -> int:
    return sum(
        1 for q in OrmQ.objects.all() if q.task["func"] == "syncing.tasks.sweep_shop" and q.task["args"][0] == shop.pk
    )


def refused(shop: Shop) -> SyncIssue:
    return SyncIssue.objects.create(
        shop=shop, code="qbo_auth", message="QuickBooks refused the token", source_type="order", source_id="gid://1"
    )


def test_a_reconnect_resolves_auth_issues_and_starts_a_pass(
    client,
    shop_a,
    intuit,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    make_connection(shop_a, realm_id="4620816365", status="reconnect_needed", access_token="", refresh_token="")
    shop_a.pause("QuickBooks refused our access", code=PauseCode.QBO_RECONNECT)
    SyncSettings.objects.create(shop=shop_a, live_at=timezone.now())
    stale = refused(shop_a)
    other = SyncIssue.objects.create(shop=shop_a, code="qbo_rejected", message="6000", source_id="gid://2")
    with django_capture_on_commit_callbacks(execute=True):
        connect(client, shop_a, code="c9")
    stale.refresh_from_db()
    other.refresh_from_db()
    assert stale.resolved_at is not None
    assert other.resolved_at is None, "only authentication issues are made stale by a reconnect"
    assert queued_sweeps(shop_a) == 1


def test_a_shop_not_live_yet_gets_no_pass(client, shop_a, intuit, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        connect(client, shop_a)
    assert queued_sweeps(shop_a) == 0
