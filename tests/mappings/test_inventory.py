"""Inventory items and the quantity check, against the Shopify and QuickBooks emulators over HTTP.

An inventory item starts with Shopify's quantity at the synced locations, its start date and its
unit cost; the check finds a difference and changes nothing; the merchant's click (a POST with the
session token) writes one InventoryAdjustment, and a second click writes none; another shop's
token reaches nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.clients import shopify_client
from mappings import inventory, product_discovery, product_items, products
from mappings.models import InventoryCheck, ProductMapping, SyncSettings
from mappings.product_items import InventoryChoice
from sandbox.runner import start_sandboxes
from shopqb_app.integrations import budget
from shopqb_app.integrations.shopify import inventory as shopify_inventory
from tests.factories import session_token
from tests.mappings.test_products import add_product
from tests.sandboxes import connect_shop, shop_connected, use_sandboxes

pytestmark = pytest.mark.django_db

ADJUST = """
mutation($input: InventoryAdjustQuantitiesInput!) {
  inventoryAdjustQuantities(input: $input) { userErrors { message } }
}"""
ITEM = """query($id: ID!) { node(id: $id) { ... on ProductVariant { inventoryItem { id } } } }"""
LOCATIONS = "{ locations(first: 1) { nodes { id } } }"


@pytest.fixture
def emulators(settings, monkeypatch):
    running = start_sandboxes()
    use_sandboxes(settings, monkeypatch, running.info)
    # Unbudgeted: the database request budget's slot rows do not outlive a test's rollback, while
    # its store remembers having made them (the budget has its own tests).
    monkeypatch.setattr(budget, "_budget", None)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    yield running
    running.stop()


@pytest.fixture
def stocked(emulators):
    """A live shop whose poster (12 on hand, cost 3.10) became a QuickBooks inventory item."""
    shop = connect_shop(emulators.info, live=True)
    stock_poster(shop)
    return shop


def stock_poster(shop, *, quantity: int = 12, cost: str = "3.10"):
    """Add a poster (``quantity`` on hand in Shopify at ``cost``) to the shop and make it a QuickBooks
    Inventory item through the products step; returns its (Inventory Asset, Cost of Goods Sold)."""
    client = shopify_client(shop)
    add_product(client, "Trail Map Poster", [{"sku": "POSTER-01", "quantity": quantity, "cost": cost}])
    product_discovery.products_discover(shop=shop, shopify=client)
    catalog = products.products_catalog(shop=shop, fresh=True)
    asset = catalog.account_named("Inventory Asset", ("Other Current Asset",))
    cogs = catalog.account_named("Cost of Goods Sold", ("Cost of Goods Sold",))
    assert asset is not None and cogs is not None
    made = product_items.products_create_missing(
        shop=shop,
        catalog=catalog,
        by="test",
        kind="Inventory",
        inventory=InventoryChoice(asset, cogs, date(2025, 1, 31)),
        shopify=client,
        qb=products.quickbooks_for(shop=shop),
        pks=list(ProductMapping.objects.filter(shop=shop, sku="POSTER-01").values_list("pk", flat=True)),
    )
    assert made == 1
    return asset, cogs


def _poster(shop) -> ProductMapping:
    return ProductMapping.objects.get(shop=shop, sku="POSTER-01")


def _item(shop) -> dict:
    qb = products.quickbooks_for(shop=shop)
    return qb.query(f"select * from Item where Id = '{_poster(shop).qbo_item_id}'")["QueryResponse"]["Item"][0]


def _adjustments(shop) -> int:
    qb = products.quickbooks_for(shop=shop)
    return int(qb.query("select count(*) from InventoryAdjustment")["QueryResponse"]["totalCount"])


def _sell_in_shopify(shop, delta: int) -> None:
    client = shopify_client(shop)
    item = client.execute(ITEM, {"id": _poster(shop).variant_gid})["node"]["inventoryItem"]["id"]
    location = client.execute(LOCATIONS)["locations"]["nodes"][0]["id"]
    change = {"delta": delta, "inventoryItemId": item, "locationId": location}
    result = client.execute(ADJUST, {"input": {"name": "available", "reason": "correction", "changes": [change]}})
    assert not result["inventoryAdjustQuantities"]["userErrors"], result


def _post(client, info, shop, name, **kwargs):
    token = session_token(shop.domain, secret=info["app"]["api_secret"], aud=info["app"]["api_key"])
    return client.post(reverse(name, kwargs=kwargs), HTTP_AUTHORIZATION="Bearer " + token)


def test_an_inventory_item_starts_with_shopifys_quantity_start_date_and_unit_cost(stocked):
    item = _item(stocked)

    assert item["Type"] == "Inventory" and item["TrackQtyOnHand"] is True
    assert Decimal(str(item["QtyOnHand"])) == 12
    assert item["InvStartDate"].startswith("2025-01-31")
    assert Decimal(str(item["PurchaseCost"])) == Decimal("3.10")
    assert _poster(stocked).qbo_item_type == "Inventory"  # the ledger's refunds know it is stock


def test_the_opening_quantity_counts_only_the_synced_locations(emulators):
    shop = connect_shop(emulators.info, live=True)
    client = shopify_client(shop)
    add_product(client, "Enamel Pin", [{"sku": "PIN-01", "quantity": 7, "cost": "1.00"}])
    product_discovery.products_discover(shop=shop, shopify=client)
    gid = ProductMapping.objects.get(shop=shop, sku="PIN-01").variant_gid
    location = client.execute(LOCATIONS)["locations"]["nodes"][0]["id"]

    assert shopify_inventory.variant_levels(client, [gid])[gid].quantity == 7
    assert shopify_inventory.variant_levels(client, [gid], locations=[location])[gid].quantity == 7
    other = "gid://shopify/Location/999999"
    assert shopify_inventory.variant_levels(client, [gid], locations=[other])[gid].quantity == 0


def test_the_check_finds_a_difference_and_changes_nothing(stocked):
    _sell_in_shopify(stocked, -2)  # e.g. two units found damaged at a stock count

    check = inventory.inventory_check(
        shop=stocked, qb=products.quickbooks_for(shop=stocked), shopify=shopify_client(stocked)
    )

    assert check.items_checked == 1
    [difference] = check.differences
    assert difference["item_id"] == _poster(stocked).qbo_item_id
    assert (difference["shopify_qty"], difference["qbo_qty"], difference["change"]) == ("10", "12", "-2")
    assert Decimal(str(_item(stocked)["QtyOnHand"])) == 12
    assert _adjustments(stocked) == 0


def test_the_daily_task_checks_live_shops_and_adjusts_nothing(stocked):
    from mappings import tasks

    _sell_in_shopify(stocked, -3)

    result = tasks.inventory_check_shop(stocked.pk)

    assert result == {"checked": 1, "differences": 1}
    assert Decimal(str(_item(stocked)["QtyOnHand"])) == 12
    assert _adjustments(stocked) == 0


def test_the_merchants_click_adjusts_once(client, stocked, emulators):
    _sell_in_shopify(stocked, -2)
    inventory.inventory_check(shop=stocked, qb=products.quickbooks_for(shop=stocked), shopify=shopify_client(stocked))
    page = client.get(reverse("mappings:inventory"), {"id_token": _token(emulators.info, stocked)})
    assert page.status_code == 200
    assert b'data-testid="inventory-adjust"' in page.content
    item_id = _poster(stocked).qbo_item_id

    response = _post(client, emulators.info, stocked, "mappings:inventory_adjust", item_id=item_id)

    assert response.status_code == 200, response.content
    assert "now counts 10" in response.json()["message"]
    assert Decimal(str(_item(stocked)["QtyOnHand"])) == 10
    assert _adjustments(stocked) == 1
    check = InventoryCheck.objects.get(shop=stocked)
    assert check.differences == []
    assert check.adjusted[-1]["new_qty"] == "10" and check.adjusted[-1]["from_qty"] == "12"

    again = _post(client, emulators.info, stocked, "mappings:inventory_adjust", item_id=item_id)

    assert again.status_code == 409
    assert _adjustments(stocked) == 1


def test_another_shop_reaches_nothing(client, stocked, emulators):
    _sell_in_shopify(stocked, -2)
    inventory.inventory_check(shop=stocked, qb=products.quickbooks_for(shop=stocked), shopify=shopify_client(stocked))
    info = emulators.info
    other = shop_connected(info["shops"][0], info["qbo_companies"][0], name="Other", domain="other-shop.myshopify.com")
    SyncSettings.objects.get_or_create(shop=other)

    response = _post(client, info, other, "mappings:inventory_adjust", item_id=_poster(stocked).qbo_item_id)

    assert response.status_code == 409
    assert _adjustments(stocked) == 0
    page = client.get(reverse("mappings:inventory"), {"id_token": _token(info, other)})
    assert b'data-testid="difference"' not in page.content


def _token(info, shop) -> str:
    return session_token(shop.domain, secret=info["app"]["api_secret"], aud=info["app"]["api_key"])


def test_the_daily_schedule_queues_one_check_per_live_shop_with_inventory_items(stocked, monkeypatch):
    from mappings import tasks

    queued = []
    monkeypatch.setattr(tasks, "async_task", lambda func, *args, **kw: queued.append((func, args)))
    company = {"realm_id": "1", "access_token": "x", "refresh_token": "y"}
    idle = shop_connected({"domain": "idle.myshopify.com", "access_token": "x"}, company, name="Idle")
    ProductMapping.objects.create(shop=idle, variant_gid="gid://shopify/ProductVariant/1", title="Pin")

    assert tasks.inventory_check_all() == 1

    assert queued == [("mappings.tasks.inventory_check_shop", (stocked.pk,))]
