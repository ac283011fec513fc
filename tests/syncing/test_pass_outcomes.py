"""What one pass leaves behind: each order attempted at most once (the listing, the recovery
and the webhook queue may all name it), and a QuickBooks refusal recorded as a stopped pass
with one "Reconnect QuickBooks" issue."""

from datetime import timedelta
from unittest import mock

import pytest
import requests
from django.utils import timezone

from accounts.models import QuickBooksConnection
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.fetch import fetch_order
from shopqb_app.integrations.shopify.parse import parse_datetime
from syncing import pending, runs
from syncing.context import ShopNotReady, context_open
from syncing.models import UNKNOWN_VERSION, PendingSync, SyncedRecord, SyncIssue, SyncRun
from syncing.runs import shop_drain, shop_sweep
from tests.sandboxes import Store

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = qbo.QBORejected("Business Validation Error: the account is of the wrong type", "6000")


def announced(shop, order):
    """The order's updatedAt, as its webhook announces it."""
    raw = fetch_order(context_open(shop.pk).shopify, order["id"])
    return parse_datetime(raw["updatedAt"])


def test_an_order_queued_by_its_webhook_and_listed_by_the_pass_is_attempted_once(shop):
    order = Store(shop).order(lines=[("MUG-1", 1, "12.50")])
    # Its orders/create webhook queued it before the pass started.
    pending.request(shop_id=shop.pk, order_gid=order["id"], announced=announced(shop, order))
    with mock.patch.object(qbo, "create", side_effect=REFUSED) as create:
        result = shop_sweep(shop_id=shop.pk)
    assert create.call_count == 1
    assert SyncedRecord.objects.get(shop=shop, source_id=order["id"]).attempts == 1
    issue = SyncIssue.objects.get(shop=shop, code="qbo_rejected")
    assert issue.occurrences == 1, "the issue says '2 times' after a single pass"
    assert result.run.orders_seen == 1 and result.run.failed == 1
    # The request asked for the version the pass read: it is done.
    assert not PendingSync.objects.filter(shop=shop).exists()


def test_a_failed_order_is_recovered_once_even_when_also_queued(shop):
    order = Store(shop).order(lines=[("MUG-1", 1, "12.50")])
    with mock.patch.object(qbo, "create", side_effect=REFUSED):
        shop_sweep(shop_id=shop.pk)
    # Later: a retry asks for it again (no version), and the pass's window no longer lists it.
    SyncedRecord.objects.filter(shop=shop).update(updated_at=timezone.now() - timedelta(minutes=1))
    pending.request(shop_id=shop.pk, order_gid=order["id"])
    with (
        mock.patch.object(qbo, "create", side_effect=REFUSED) as create,
        mock.patch.object(runs, "_changed_orders", return_value=iter([])),
    ):
        result = shop_sweep(shop_id=shop.pk)
    assert create.call_count == 1
    assert SyncIssue.objects.get(shop=shop, code="qbo_rejected").occurrences == 2  # one per pass
    assert result.run.orders_seen == 1
    # The request may have come after the pass read the order: it waits for the next drain, not dropped.
    row = PendingSync.objects.get(shop=shop, order_gid=order["id"])
    assert row.announced == UNKNOWN_VERSION and row.not_before is not None and not row.claim


def test_an_order_booked_by_the_pass_and_asked_for_by_its_webhook_is_counted_once(shop):
    orders = [Store(shop).order(lines=[("MUG-1", n, "12.50")]) for n in (1, 2)]
    for order in orders:
        pending.request(shop_id=shop.pk, order_gid=order["id"], announced=announced(shop, order))
    result = shop_sweep(shop_id=shop.pk)
    assert result.outcomes == {"written": 2}
    assert (result.run.orders_seen, result.run.documents_written) == (2, 2)  # not "4 orders checked"
    assert not PendingSync.objects.filter(shop=shop).exists()


def test_a_drain_outside_a_pass_still_takes_a_newer_request_at_once(shop):
    order = Store(shop).order(lines=[("MUG-1", 1, "12.50")])
    pending.request(shop_id=shop.pk, order_gid=order["id"])
    assert shop_drain(shop_id=shop.pk) == {"written": 1}
    assert not PendingSync.objects.filter(shop=shop).exists()


def revoke(shop, sandbox_settings):
    """The merchant disconnected ShopQB inside QuickBooks: every token it holds is refused."""
    realm = QuickBooksConnection.objects.get(shop=shop).realm_id
    requests.post(f"{sandbox_settings['qbo']}/_sandbox/qbo/{realm}/revoke", json={}, timeout=5).raise_for_status()


def auth_issues(shop):
    return SyncIssue.objects.open().filter(shop=shop, code="qbo_auth")


def test_a_grant_revoked_before_the_pass_leaves_a_stopped_pass_and_one_reconnect_issue(shop, sandbox_settings):
    Store(shop).order(lines=[("MUG-1", 1, "12.50")])
    revoke(shop, sandbox_settings)
    with pytest.raises(ShopNotReady, match="reconnect QuickBooks"):
        shop_sweep(shop_id=shop.pk)
    run = SyncRun.objects.get(shop=shop)
    assert run.status == SyncRun.Status.FAILED and run.finished_at is not None
    assert run.error.startswith("Stopped:") and "reconnect QuickBooks" in run.error
    issue = auth_issues(shop).get()
    assert issue.source_type == "" and not issue.retryable
    assert not SyncIssue.objects.filter(shop=shop, code="sweep_failed").exists()

    # Later passes are refused before they start (the shop waits for a reconnect): no new trace.
    with pytest.raises(ShopNotReady):
        shop_sweep(shop_id=shop.pk)
    assert SyncRun.objects.filter(shop=shop).count() == 1
    assert auth_issues(shop).get().occurrences == 1


def test_a_grant_revoked_in_the_middle_of_a_pass_gives_one_reconnect_issue(shop, sandbox_settings):
    Store(shop).order(lines=[("MUG-1", 1, "12.50")])
    Store(shop).order(lines=[("MUG-1", 2, "12.50")])
    real_create = qbo.create

    def revoked_after_the_first(*args, **kwargs):
        revoke(shop, sandbox_settings)
        return real_create(*args, **kwargs)

    with mock.patch.object(qbo, "create", side_effect=revoked_after_the_first), pytest.raises(qbo.QBOAuthError):
        shop_sweep(shop_id=shop.pk)
    run = SyncRun.objects.get(shop=shop)
    assert run.status == SyncRun.Status.FAILED and run.error.startswith("Stopped:")
    issue = auth_issues(shop).get()
    assert issue.source_type == ""  # the shop's, not one per order
    assert not SyncIssue.objects.filter(shop=shop, code="sweep_failed").exists()
    assert QuickBooksConnection.objects.get(shop=shop).status == "reconnect_needed"


def test_a_drain_that_meets_the_refusal_raises_the_reconnect_issue(shop, sandbox_settings):
    order = Store(shop).order(lines=[("MUG-1", 1, "12.50")])
    pending.request(shop_id=shop.pk, order_gid=order["id"])
    revoke(shop, sandbox_settings)
    shop_drain(shop_id=shop.pk)
    assert auth_issues(shop).count() == 1
    assert PendingSync.objects.filter(shop=shop).exists(), "the order waits for the reconnect"
