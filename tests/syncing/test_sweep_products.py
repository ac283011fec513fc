"""The sweep brings the Products step up to date: a product added in Shopify appears without a
full reload; a refresh that fails is logged and shown as an issue, and the orders are booked anyway."""

from __future__ import annotations

import logging
from unittest import mock

import pytest

from mappings import tasks as mapping_tasks
from mappings.models import ProductMapping
from shopqb_app.integrations.shopify import products as shopify_products
from shopqb_app.integrations.shopify.errors import ShopifyUnavailable
from syncing.models import SyncIssue, SyncRun
from syncing.runs import shop_sweep
from tests.sandboxes import Store

pytestmark = [pytest.mark.django_db]

PRODUCT_CREATE = """
mutation($product: ProductCreateInput) { productCreate(product: $product) { product { id } userErrors { message } } }"""
VARIANTS_CREATE = """
mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkCreate(productId: $id, variants: $variants, strategy: REMOVE_STANDALONE_VARIANT) {
    productVariants { id } userErrors { message }
  }
}"""


def add_product(store: Store, title: str, sku: str) -> None:
    created = store.client.execute(PRODUCT_CREATE, {"product": {"title": title}})["productCreate"]
    assert not created["userErrors"], created
    variants = [{"price": "10.00", "inventoryItem": {"sku": sku, "tracked": False}}]
    result = store.client.execute(VARIANTS_CREATE, {"id": created["product"]["id"], "variants": variants})
    assert not result["productVariantsBulkCreate"]["userErrors"], result


def skus(shop) -> set[str]:
    return set(ProductMapping.objects.filter(shop=shop).values_list("sku", flat=True))


def open_issues(shop) -> list[str]:
    return list(SyncIssue.objects.filter(shop=shop).open().values_list("code", flat=True))


@pytest.fixture
def discovered(shop):
    """The merchant looked at the Products step once: every variant has its row."""
    store = Store(shop)
    add_product(store, "Enamel Mug", "MUG-01")
    assert "error" not in mapping_tasks.products_find(shop.pk)
    assert skus(shop) == {"MUG-01"}
    return store


def test_a_product_added_in_shopify_appears_after_the_next_sweep(shop, discovered):
    add_product(discovered, "Linen Apron", "APRON-01")
    discovered.order()

    result = shop_sweep(shop_id=shop.pk)

    assert result.outcomes == {"written": 1} and result.run.status == SyncRun.Status.SUCCEEDED
    assert skus(shop) == {"MUG-01", "APRON-01"}
    assert open_issues(shop) == []


def test_a_failed_refresh_is_logged_and_an_issue_and_the_orders_are_booked(shop, discovered, caplog):
    add_product(discovered, "Linen Apron", "APRON-01")
    discovered.order()
    unreachable = ShopifyUnavailable("Shopify answered 503 three times")
    with mock.patch.object(shopify_products, "variants_page", side_effect=unreachable):
        with caplog.at_level(logging.WARNING, logger="syncing.runs"):
            result = shop_sweep(shop_id=shop.pk)

    assert result.outcomes == {"written": 1} and result.run.status == SyncRun.Status.SUCCEEDED
    assert skus(shop) == {"MUG-01"}
    assert "not refreshed" in caplog.text and "503" in caplog.text
    issue = SyncIssue.objects.get(shop=shop, code="products_refresh_failed")
    assert "503" in issue.message and issue.source_id == ""

    # The next pass tries again; once it succeeds, the issue is closed.
    shop_sweep(shop_id=shop.pk)
    assert skus(shop) == {"MUG-01", "APRON-01"}
    assert open_issues(shop) == []


def test_a_refresh_that_breaks_never_stops_the_sweep(shop, discovered, caplog):
    discovered.order()
    with mock.patch.object(mapping_tasks, "products_refresh", side_effect=RuntimeError("a bug")):
        result = shop_sweep(shop_id=shop.pk)

    assert result.outcomes == {"written": 1} and result.run.status == SyncRun.Status.SUCCEEDED
    assert any(r.exc_info and "products" in r.getMessage() for r in caplog.records)
    assert open_issues(shop) == ["products_refresh_failed"]


def test_a_shop_that_never_looked_at_its_products_gets_no_issue(shop):
    Store(shop).order()
    assert shop_sweep(shop_id=shop.pk).outcomes == {"written": 1}
    assert not ProductMapping.objects.filter(shop=shop).exists() and open_issues(shop) == []
