"""The setup's last pages as the merchant uses them: preview an order, write one for real and keep
or remove it, go live. Another shop's valid session token gets nothing and changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.clients import shopify_client
from mappings import product_items, proposals
from mappings.catalog import catalog_read
from mappings.discovery import setup_scan
from mappings.models import ProductMapping, SetupStep, SyncSettings
from shopqb_app.integrations.quickbooks import client as qbo
from syncing.models import Outcome, SyncedRecord
from syncing.orders import order_sync
from tests.accounts.factories import make_shop
from tests.factories import qbo_books, session_token
from tests.sandboxes import Store, go_live

pytestmark = [pytest.mark.django_db]

QBO_ENTITIES = ("Account", "Item", "Customer", "SalesReceipt", "Invoice", "Payment")


@pytest.fixture(autouse=True)
def _static_files_uncollected(settings):
    # Pages name their CSS and script; the suite never runs collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def shop(shop_in_setup):
    """Connected, not live (tests/syncing/conftest.py: ``qb`` and ``confirmed`` follow it)."""
    return shop_in_setup


@pytest.fixture
def other_shop(db):
    """Installed with this app, not connected: its token is valid, its data is its own."""
    return make_shop("bravo-wares.myshopify.com")


def token(shop) -> str:
    return session_token(shop.domain, secret=settings.SHOPIFY_API_SECRET, aud=settings.SHOPIFY_API_KEY)


def bearer(shop) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token(shop)}"}


def books(qb) -> dict[str, int]:
    return qbo_books(qb, QBO_ENTITIES)


def steps_done(shop) -> list[str]:
    return SyncSettings.objects.get(shop=shop).steps_done


def test_the_preview_page_offers_the_samples_and_shows_an_order_next_to_its_documents(client, confirmed, qb):
    shop = confirmed
    created = Store(shop).order(lines=[("MUG-1", 2, "12.50")], tax="1.25", shipping="4.99")
    setup_scan(shop=shop, shopify=shopify_client(shop), catalog=catalog_read(shop=shop, qb=qb))
    page = client.get(reverse("setup_preview"), {"id_token": token(shop)})
    assert page.status_code == 200
    assert f'<option value="{created["id"]}">A plain paid order</option>' in page.content.decode()
    assert SetupStep.PREVIEW not in steps_done(shop)

    before = books(qb), SyncedRecord.objects.count()
    page = client.get(reverse("setup_preview"), {"id_token": token(shop), "order": created["name"]})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="totals-match"' in html
    assert f"Shopify order {created['name']}" in html and "QuickBooks sales receipt S" in html
    assert "Shopify Sale (created at go-live)" in html and "Shopify Sales (to be created)" in html
    assert '<th scope="row">Order total</th><td data-label="Shopify">31.24 USD</td>' in html
    assert SetupStep.PREVIEW in steps_done(shop)
    assert (books(qb), SyncedRecord.objects.count()) == before, "a preview writes nothing"


def test_the_preview_page_says_plainly_what_it_cannot_show(client, confirmed):
    shop = confirmed
    page = client.get(reverse("setup_preview"), {"id_token": token(shop), "order": "#424242"})
    assert page.status_code == 200 and f"Shopify has no order #424242 in {shop.domain}." in page.content.decode()
    page = client.get(reverse("setup_preview"), {"id_token": token(shop), "order": "", "sample": ""})
    assert page.status_code == 422 and "Pick an order, or type its number." in page.content.decode()
    assert SetupStep.PREVIEW not in steps_done(shop)


def test_a_test_sync_waits_for_the_proposals_to_be_confirmed_and_writes_nothing(client, shop, qb):
    proposals.mapping_propose(shop=shop, catalog=catalog_read(shop=shop, qb=qb, fresh=True))
    gid = Store(shop).order()["id"]
    before = books(qb)
    page = client.get(reverse("setup_test_sync"), {"id_token": token(shop)})
    assert "Confirm the account proposed for “Product sales income” (Accounts)." in page.content.decode()
    response = client.post(reverse("setup_test_sync"), {"order": gid, "action": "write"}, **bearer(shop))
    assert response.status_code == 422 and 'data-testid="refused"' in response.content.decode()
    assert books(qb) == before and not SyncedRecord.objects.exists()


def test_a_test_sync_writes_one_order_reads_it_back_and_a_kept_one_is_never_written_twice(client, confirmed, qb):
    shop = confirmed
    created = Store(shop).order(lines=[("MUG-1", 2, "12.50"), ("TEE-2", 1, "20.00")], tax="2.25", shipping="5.00")
    page = client.get(reverse("setup_test_sync"), {"id_token": token(shop)}).content.decode()
    assert "<li>Shopify Sales</li>" in page and "<li>Shopify Sale (item)</li>" in page  # said before it is done
    before = books(qb)

    response = client.post(reverse("setup_test_sync"), {"order": created["name"], "action": "write"}, **bearer(shop))
    assert response.status_code == 200, response.content
    html = response.content.decode()
    assert "QuickBooks has exactly the order" in html and "Written to QuickBooks." in html
    assert html.count('<span class="badge badge-done">Same</span>') == 3 + 3  # two products and shipping; 3 totals
    after = books(qb)
    assert after["SalesReceipt"] == before["SalesReceipt"] + 1
    assert after["Item"] > before["Item"] and after["Account"] > before["Account"]  # what was confirmed
    record = SyncedRecord.objects.get(shop=shop, order_gid=created["id"])
    assert record.status == SyncedRecord.Status.SYNCED and record.amount == Decimal("52.25")
    assert qbo.read(qb, "SalesReceipt", record.qbo_id)["TotalAmt"] == record.amount
    assert SetupStep.TEST_SYNC in steps_done(shop)
    assert not SyncSettings.objects.get(shop=shop).is_live

    response = client.post(reverse("setup_test_sync"), {"order_gid": created["id"], "action": "keep"}, **bearer(shop))
    assert response.json() == {"next": reverse("mappings:setup") + "?saved=test_sync"}
    # Once live, the sync takes the kept document for the order's booking.
    go_live(shop)
    assert order_sync(shop_id=shop.pk, order_gid=created["id"]) == Outcome.UNCHANGED
    assert books(qb) == after


def test_a_removed_test_sync_is_deleted_and_the_order_is_written_afresh_later(client, confirmed, qb):
    shop = confirmed
    gid = Store(shop).order()["id"]
    client.post(reverse("setup_test_sync"), {"order": gid, "action": "write"}, **bearer(shop))
    written = SyncedRecord.objects.get(shop=shop, order_gid=gid)
    with_test_document = books(qb)

    response = client.post(reverse("setup_test_sync"), {"order_gid": gid, "action": "remove"}, **bearer(shop))
    assert response.json() == {"next": reverse("setup_test_sync") + "?removed=1"}
    assert books(qb)["SalesReceipt"] == with_test_document["SalesReceipt"] - 1
    record = SyncedRecord.objects.get(pk=written.pk)
    assert record.status == SyncedRecord.Status.PENDING and record.qbo_id == ""
    assert record.request_id != written.request_id  # QuickBooks could replay the old create
    page = client.get(reverse("setup_test_sync"), {"id_token": token(shop), "removed": "1"}).content.decode()
    assert "Removed: 1 document deleted from QuickBooks." in page

    # After go-live the sync writes the order as any other: one new document.
    go_live(shop)
    assert order_sync(shop_id=shop.pk, order_gid=gid) == Outcome.WRITTEN
    record.refresh_from_db()
    assert record.status == SyncedRecord.Status.SYNCED and record.qbo_id not in ("", written.qbo_id)
    assert books(qb)["SalesReceipt"] == with_test_document["SalesReceipt"]


def test_an_order_the_rules_skip_is_not_test_synced(client, confirmed, qb):
    shop = confirmed
    gid = Store(shop).order(test=True)["id"]
    response = client.post(reverse("setup_test_sync"), {"order": gid, "action": "write"}, **bearer(shop))
    assert response.status_code == 422
    assert "Your rules keep" in response.content.decode() and "test order" in response.content.decode()
    assert not SyncedRecord.objects.exists()


def test_go_live_is_refused_with_the_list_then_creates_everything_and_queues_the_import(client, shop, qb):
    catalog = catalog_read(shop=shop, qb=qb, fresh=True)
    proposals.mapping_propose(shop=shop, catalog=catalog)
    order = Store(shop).order()
    setup_scan(shop=shop, shopify=shopify_client(shop), catalog=catalog)  # a store with orders
    before = books(qb)
    with mock.patch("syncing.pending.enqueue_sweep", return_value="t1") as enqueue:
        response = client.post(reverse("setup_go_live"), **bearer(shop))
        assert response.status_code == 409
        missing = response.json()["missing"]
        assert "Choose the date to start syncing from (What to sync)." in missing
        assert "Confirm the account proposed for “Product sales income” (Accounts)." in missing
        assert "Look at the preview of at least one order." in missing
        assert response.json()["error"].startswith("Not ready to go live. Choose the date")
        assert books(qb) == before and not SyncSettings.objects.get(shop=shop).is_live

        proposals.setup_accept_proposals(shop=shop, catalog=catalog, by="test", start_date=date(2020, 1, 1))
        variant = ProductMapping.objects.create(
            shop=shop, variant_gid="gid://shopify/ProductVariant/77", title="Enamel Camp Mug", sku="MUG-01"
        )
        product_items.products_create_missing(shop=shop, catalog=catalog, by="test")
        page = client.get(reverse("setup_test_sync"), {"id_token": token(shop)}).content.decode()
        assert "<li>1 item for your products (Products)</li>" in page
        client.get(reverse("setup_preview"), {"id_token": token(shop), "order": order["id"]})

        response = client.post(reverse("setup_go_live"), **bearer(shop))
        assert response.status_code == 200, response.content
        assert response.json() == {"next": reverse("mappings:setup")}
        enqueue.assert_called_once_with(shop_id=shop.pk, full=True)
        assert SyncSettings.objects.get(shop=shop).is_live
        variant.refresh_from_db()
        assert variant.qbo_item_id and qbo.read(qb, "Item", variant.qbo_item_id)["Name"] == "Enamel Camp Mug"
        live = books(qb)

        # Again: nothing created twice, the import is not queued a second time.
        assert client.post(reverse("setup_go_live"), **bearer(shop)).status_code == 200
        assert enqueue.call_count == 1 and books(qb) == live


def test_another_shops_token_gets_nothing_and_changes_nothing(client, confirmed, other_shop, qb):
    shop = confirmed
    gid = Store(shop).order()["id"]
    client.post(reverse("setup_test_sync"), {"order": gid, "action": "write"}, **bearer(shop))
    records = list(SyncedRecord.objects.values_list("pk", "status", "qbo_id", "request_id"))
    mine = books(qb), records, SyncSettings.objects.get(shop=shop).steps_done

    page = client.get(reverse("setup_preview"), {"id_token": token(other_shop), "order": gid}).content.decode()
    assert f"{other_shop.domain} is not connected to QuickBooks" in page and shop.domain not in page
    for action in ("keep", "remove"):
        response = client.post(reverse("setup_test_sync"), {"order_gid": gid, "action": action}, **bearer(other_shop))
        assert response.status_code == 404
    response = client.post(reverse("setup_test_sync"), {"order": gid, "action": "write"}, **bearer(other_shop))
    assert response.status_code == 422 and shop.domain not in response.content.decode()
    with mock.patch("syncing.pending.enqueue_sweep") as enqueue:
        assert client.post(reverse("setup_go_live"), **bearer(other_shop)).status_code == 409
    enqueue.assert_not_called()
    assert (books(qb), list(SyncedRecord.objects.values_list("pk", "status", "qbo_id", "request_id"))) == mine[:2]
    assert SyncSettings.objects.get(shop=shop).steps_done == mine[2]
    assert not SyncSettings.objects.filter(shop=other_shop, live_at__isnull=False).exists()


def test_a_part_paid_order_is_test_synced_as_invoice_and_payment_and_removed_payment_first(client, confirmed, qb):
    shop = confirmed
    store = Store(shop)
    money = {"shopMoney": {"amount": "15.00", "currencyCode": "USD"}}
    order = {
        "currency": "USD",
        "financialStatus": "PARTIALLY_PAID",
        "lineItems": [
            {
                "title": "Deposit item",
                "sku": "DEP-1",
                "quantity": 1,
                "priceSet": {"shopMoney": {"amount": "40.00", "currencyCode": "USD"}},
            }
        ],
        "transactions": [{"kind": "SALE", "status": "SUCCESS", "gateway": "shopify_payments", "amountSet": money}],
    }
    created = store.client.execute(store.MUTATION, {"order": order})["orderCreate"]["order"]
    before = books(qb)

    response = client.post(reverse("setup_test_sync"), {"order": created["id"], "action": "write"}, **bearer(shop))
    html = response.content.decode()
    assert response.status_code == 200 and "QuickBooks has exactly the order" in html
    assert "Invoice S" in html and "Payment S" in html
    kinds = dict(SyncedRecord.objects.filter(shop=shop, order_gid=created["id"]).values_list("kind", "amount"))
    assert kinds == {"Invoice": Decimal("40.00"), "Payment": Decimal("15.00")}
    assert books(qb)["Invoice"] == before["Invoice"] + 1 and books(qb)["Payment"] == before["Payment"] + 1

    response = client.post(reverse("setup_test_sync"), {"order_gid": created["id"], "action": "remove"}, **bearer(shop))
    assert response.json() == {"next": reverse("setup_test_sync") + "?removed=2"}
    after = books(qb)
    assert (after["Invoice"], after["Payment"]) == (before["Invoice"], before["Payment"])
