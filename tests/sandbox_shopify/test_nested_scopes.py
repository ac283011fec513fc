"""Access scopes below the root: a nested field the token may not read answers ACCESS_DENIED there."""

import pytest

from .helpers import make_product, paid_order

ORDER_CUSTOMER = "query($id: ID!) { order(id: $id) { name customer { id displayName } } }"
ORDERS_CUSTOMER = "{ orders(first: 5) { nodes { name customer { id } } } }"
LINE_STOCK = """query($id: ID!) { order(id: $id) { name
  lineItems(first: 5) { nodes { sku variant { id inventoryItem { id tracked } } } } } }"""


def _token(emulator, shop, scopes):
    emu, _base_url = emulator
    with emu.store.lock:
        return emu.issue_offline(emu.store.shops[shop.domain], scopes, expiring=False)["access_token"]


@pytest.fixture
def placed(shop):
    _pid, variant, _locations = make_product(shop)
    return paid_order(shop, variant["id"], email="ada@example.com")


def test_an_orders_customer_needs_read_customers(emulator, shop, placed):
    body = shop.post(ORDER_CUSTOMER, {"id": placed["id"]}, token=_token(emulator, shop, "read_orders")).json()
    assert body["data"] == {"order": {"name": placed["name"], "customer": None}}
    [error] = body["errors"]
    assert error["message"] == "Access denied for customer field. Required access: `read_customers` access scope."
    assert error["path"] == ["order", "customer"]
    assert error["locations"] == [{"line": 1, "column": 41}]
    assert error["extensions"] == {
        "code": "ACCESS_DENIED",
        "documentation": "https://shopify.dev/api/usage/access-scopes",
        "requiredAccess": "`read_customers` access scope.",
    }


def test_every_listed_order_reports_its_own_denied_customer(emulator, shop, placed):
    _pid, variant, _locations = make_product(shop, title="Cup", sku="CUP-1")
    second = paid_order(shop, variant["id"], email="bo@example.com")
    body = shop.post(ORDERS_CUSTOMER, token=_token(emulator, shop, "read_orders")).json()
    assert [n["name"] for n in body["data"]["orders"]["nodes"]] == [placed["name"], second["name"]]
    assert [n["customer"] for n in body["data"]["orders"]["nodes"]] == [None, None]
    assert [e["path"] for e in body["errors"]] == [
        ["orders", "nodes", 0, "customer"],
        ["orders", "nodes", 1, "customer"],
    ]


def test_write_customers_grants_the_customer(emulator, shop, placed):
    token = _token(emulator, shop, "read_orders,write_customers")
    body = shop.post(ORDER_CUSTOMER, {"id": placed["id"]}, token=token).json()
    assert "errors" not in body
    assert body["data"]["order"]["customer"]["displayName"]


def test_a_render_made_for_one_token_is_not_served_to_a_narrower_one(emulator, shop, placed):
    narrow = _token(emulator, shop, "read_orders")
    shown = shop.data(ORDER_CUSTOMER, {"id": placed["id"]})["order"]  # all scopes: rendered and cached
    assert shown["customer"]["id"]
    denied = shop.post(ORDER_CUSTOMER, {"id": placed["id"]}, token=narrow).json()
    assert denied["data"]["order"]["customer"] is None
    assert denied["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert shop.data(ORDER_CUSTOMER, {"id": placed["id"]})["order"] == shown


def test_a_line_items_inventory_item_needs_read_inventory_or_read_products(emulator, shop, placed):
    body = shop.post(LINE_STOCK, {"id": placed["id"]}, token=_token(emulator, shop, "read_orders")).json()
    [error] = body["errors"]
    assert error["message"] == (
        "Access denied for inventoryItem field. Required access: "
        "`read_inventory` access scope or `read_products` access scope."
    )
    assert error["path"] == ["order", "lineItems", "nodes", 0, "variant", "inventoryItem"]
    # inventoryItem is non-null: the null goes up to the nullable variant, the rest of the order stays
    assert body["data"]["order"]["lineItems"]["nodes"] == [{"sku": "MUG-1", "variant": None}]
    assert body["data"]["order"]["name"] == placed["name"]


@pytest.mark.parametrize("scopes", ["read_orders,read_inventory", "read_orders,read_products"])
def test_either_scope_grants_the_inventory_item(emulator, shop, placed, scopes):
    body = shop.post(LINE_STOCK, {"id": placed["id"]}, token=_token(emulator, shop, scopes)).json()
    assert "errors" not in body
    [line] = body["data"]["order"]["lineItems"]["nodes"]
    assert line["variant"]["inventoryItem"]["tracked"] is True


def test_an_inventory_item_is_read_with_products_scopes_too(emulator, shop):
    """Since January 2025 read_products grants InventoryItem as read_inventory does, root field included."""
    _pid, variant, _locations = make_product(shop)
    item = shop.data("query($id: ID!) { productVariant(id: $id) { inventoryItem { id } } }", {"id": variant["id"]})
    query = "query($id: ID!) { inventoryItem(id: $id) { id tracked } }"
    item_id = item["productVariant"]["inventoryItem"]["id"]
    read = shop.post(query, {"id": item_id}, token=_token(emulator, shop, "read_products")).json()
    assert read["data"]["inventoryItem"]["id"] == item_id and "errors" not in read
    denied = shop.post(query, {"id": item_id}, token=_token(emulator, shop, "read_orders")).json()
    assert denied["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
