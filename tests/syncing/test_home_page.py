"""The sync, as the merchant sees it inside the app: last pass, books so far, open issues, retry."""

from decimal import Decimal
from unittest import mock

import pytest

from syncing.models import SyncedRecord, SyncIssue, SyncRun
from tests.accounts.factories import make_connection
from tests.factories import session_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("app_settings")]


@pytest.fixture
def books(shop_a, shop_b):
    make_connection(shop_a, company_name="Alpha Books Ltd")
    make_connection(shop_b, company_name="Bravo Books Inc")
    SyncRun.objects.create(shop=shop_a, status="succeeded", orders_seen=3, documents_written=2, skipped=1)
    for n, (status, amount) in enumerate([("synced", "10.00"), ("synced", "5.50"), ("skipped", None)]):
        SyncedRecord.objects.create(
            shop=shop_a,
            source_type="order",
            source_id=f"gid://shopify/Order/{n}",
            kind="SalesReceipt",
            status=status,
            request_id=f"r-{n}",
            amount=Decimal(amount) if amount else None,
        )
    mine = SyncIssue.objects.create(
        shop=shop_a, source_type="order", source_id="gid://shopify/Order/7", code="qbo_rejected", message="Item deleted"
    )
    theirs = SyncIssue.objects.create(
        shop=shop_b, source_type="order", source_id="gid://shopify/Order/8", code="qbo_rejected", message="Bravo secret"
    )
    return mine, theirs


def home(client, shop):
    return client.get(f"/?id_token={session_token(shop.domain)}").content.decode()


def test_the_home_page_shows_this_shops_sync_and_issues_only(client, shop_a, books):
    page = home(client, shop_a)
    assert "3 orders checked, 2 written to QuickBooks" in page
    assert "2 written" in page.split('data-testid="synced-count"')[1]
    assert "15.50" in page.split('data-testid="figure-sales"')[1].split("</tr>")[0]
    assert "Item deleted" in page
    assert "Bravo secret" not in page


def test_no_issues_says_so(client, shop_a, books):
    SyncIssue.objects.filter(shop=shop_a).update(resolved_at="2026-01-01T00:00:00Z")
    assert "Nothing needs your attention" in home(client, shop_a)


def test_sync_now_queues_a_pass_for_this_shop(client, shop_a, books):
    with mock.patch("syncing.pending.enqueue_sweep", return_value="t1") as enqueue:
        response = client.post("/sync/run", HTTP_AUTHORIZATION="Bearer " + session_token(shop_a.domain))
    assert response.status_code == 200
    enqueue.assert_called_once_with(shop_id=shop_a.pk)


def test_sync_now_refuses_while_paused(client, shop_a, books):
    shop_a.pause("merchant asked")
    response = client.post("/sync/run", HTTP_AUTHORIZATION="Bearer " + session_token(shop_a.domain))
    assert response.status_code == 409 and "merchant asked" in response.json()["error"]


def test_retry_works_on_this_shops_issues_and_never_on_another_shops(client, shop_a, books):
    mine, theirs = books
    auth = {"HTTP_AUTHORIZATION": "Bearer " + session_token(shop_a.domain)}
    with mock.patch("syncing.pending.enqueue_order_sync") as enqueue:
        assert client.post(f"/sync/issues/{theirs.pk}/retry", **auth).status_code == 404
        enqueue.assert_not_called()
        assert client.post(f"/sync/issues/{mine.pk}/retry", **auth).json() == {"queued": True}
    enqueue.assert_called_once_with(shop_id=shop_a.pk, order_gid="gid://shopify/Order/7")
