"""The Products step: every Shopify variant mapped to a QuickBooks item.

Discovery and the bulk actions run against the Shopify and QuickBooks emulators over real HTTP;
matching and the page's listing are checked on rows made here. Nothing reaches QuickBooks before
go-live, the items created at go-live are created once, and another shop reaches none of it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from mappings import product_discovery, product_items, product_listing, product_matching, products
from mappings.catalog import Catalog, QBOObject, catalog_forget
from mappings.models import AccountRole, AccountRoleMapping, MappingChange, ProductMapping, SyncSettings
from sandbox.runner import start_sandboxes
from shopqb_app.integrations.shopify import products as shopify_products
from tests.factories import session_token
from tests.sandboxes import connect_shop, use_sandboxes

pytestmark = pytest.mark.django_db
MatchedBy = ProductMapping.MatchedBy


@pytest.fixture
def emulators(settings, monkeypatch):
    running = start_sandboxes()
    use_sandboxes(settings, monkeypatch, running.info)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    yield running
    running.stop()


@pytest.fixture
def connected(db, emulators):
    """The Shopify emulator's first shop, connected to the QuickBooks emulator's first company,
    not live yet."""
    return connect_shop(emulators.info, live=False)


PRODUCT_CREATE = """
mutation($product: ProductCreateInput) { productCreate(product: $product) { product { id } userErrors { message } } }"""
VARIANTS_CREATE = """
mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkCreate(productId: $id, variants: $variants, strategy: REMOVE_STANDALONE_VARIANT) {
    productVariants { id } userErrors { message }
  }
}"""
LOCATIONS = "{ locations(first: 1) { nodes { id } } }"


def add_product(client, title: str, variants: list[dict]) -> str:
    """A product with these variants (sku, price, quantity, cost) in the Shopify emulator."""
    created = client.execute(PRODUCT_CREATE, {"product": {"title": title}})["productCreate"]
    assert not created["userErrors"], created
    location = client.execute(LOCATIONS)["locations"]["nodes"][0]["id"]
    body = []
    for v in variants:
        item = {"sku": v["sku"], "tracked": v.get("tracked", True)}
        if "cost" in v:
            item["cost"] = v["cost"]
        variant = {"price": v.get("price", "10.00"), "inventoryItem": item}
        if v.get("quantity") is not None:
            variant["inventoryQuantities"] = [{"locationId": location, "availableQuantity": v["quantity"]}]
        body.append(variant)
    result = client.execute(VARIANTS_CREATE, {"id": created["product"]["id"], "variants": body})
    assert not result["productVariantsBulkCreate"]["userErrors"], result
    return created["product"]["id"]


def shopify_for(shop):
    from accounts.clients import shopify_client

    return shopify_client(shop)


def qbo_count(shop, entity: str = "Item") -> int:
    qb = products.quickbooks_for(shop=shop)
    return int(qb.query(f"select count(*) from {entity}")["QueryResponse"]["totalCount"])


def map_sales_income(shop) -> QBOObject:
    catalog = products.products_catalog(shop=shop)
    income = catalog.account_named("Sales of Product Income", ("Income",))
    assert income is not None
    AccountRoleMapping.objects.create(
        shop=shop, role=AccountRole.SALES_INCOME, qbo_id=income.id, qbo_name=income.name, confirmed=True
    )
    return income


def app_token(info, domain: str) -> str:
    return session_token(domain, secret=info["app"]["api_secret"], aud=info["app"]["api_key"])


def row(shop, title: str, sku: str = "", **fields) -> ProductMapping:
    n = ProductMapping.objects.filter(shop=shop).count() + 1
    return ProductMapping.objects.create(
        shop=shop, variant_gid=f"gid://shopify/ProductVariant/{shop.pk}{n:05d}", title=title, sku=sku, **fields
    )


# --- discovery, over HTTP -------------------------------------------------------------------------


def test_discovery_reads_every_variant_page_by_page_and_keeps_what_was_mapped(connected, emulators, monkeypatch):
    shop = connected
    client = shopify_for(shop)
    add_product(client, "Merino Beanie", [{"sku": "BEANIE-RED"}, {"sku": "BEANIE-BLUE"}])
    add_product(client, "Canvas Tote", [{"sku": "TOTE-1"}])
    add_product(client, "Poster", [{"sku": ""}])
    monkeypatch.setattr(shopify_products, "PAGE_SIZE", 2)  # three pages for four variants

    first = product_discovery.products_discover(shop=shop, shopify=client)

    assert (first.seen, first.new) == (4, 4)
    titles = sorted(ProductMapping.objects.filter(shop=shop).values_list("title", "sku"))
    assert titles == [
        ("Canvas Tote", "TOTE-1"),
        ("Merino Beanie - BEANIE-BLUE", "BEANIE-BLUE"),
        ("Merino Beanie - BEANIE-RED", "BEANIE-RED"),
        ("Poster", ""),
    ]
    tote = ProductMapping.objects.get(shop=shop, sku="TOTE-1")
    assert tote.variant_gid.startswith("gid://shopify/ProductVariant/") and tote.product_gid
    product_matching.product_map(shop=shop, pk=tote.pk, item=QBOObject("7", "Tote bags"), by="tester")

    again = product_discovery.products_discover(shop=shop, shopify=client)

    assert (again.seen, again.new) == (4, 0)
    tote.refresh_from_db()
    assert (tote.qbo_item_id, tote.qbo_item_name, tote.matched_by) == ("7", "Tote bags", MatchedBy.MERCHANT)


def test_refresh_fetches_only_what_changed_and_matches_the_new_variant(connected, emulators):
    shop = connected
    client = shopify_for(shop)
    emulator = emulators.shopify
    add_product(client, "Enamel Mug", [{"sku": "MUG-01"}])
    add_product(client, "Wool Socks", [{"sku": "SOCKS-3"}])
    discovered_at = emulator.store.now()
    product_discovery.products_discover(shop=shop, shopify=client)
    emulator.store.advance_clock(3600)  # an hour later, well past the refresh's overlap
    add_product(client, "Linen Apron", [{"sku": "APRON-01"}])
    with emulator.store.lock:  # the merchant renames the mug in Shopify: its variant stays as it was
        data = emulator.store.shops[shop.domain]
        mug = next(p for p in data.tables["Product"].values() if p.title == "Enamel Mug")
        mug.title, mug.updated_at = "Camp Mug", emulator.store.now()
        emulator.store.put(mug)
    catalog = Catalog(items=(QBOObject("31", "Aprons", "NonInventory", sku="APRON-01"),))

    found = product_discovery.products_refresh(
        shop=shop, shopify=client, since=discovered_at + timedelta(minutes=30), catalog=catalog
    )

    assert (found.seen, found.new) == (2, 1)  # the renamed mug and the new apron; not the socks
    rows = {r.sku: r for r in ProductMapping.objects.filter(shop=shop)}
    assert rows["MUG-01"].title == "Camp Mug" and rows["MUG-01"].shopify_updated_at > discovered_at
    assert (rows["APRON-01"].qbo_item_id, rows["APRON-01"].matched_by) == ("31", MatchedBy.SKU)
    # Without a moment given, the refresh starts from the newest change already seen.
    assert product_discovery.products_refresh(shop=shop, shopify=client, since=None).new == 0
    later = emulator.store.now() + timedelta(hours=1)
    assert product_discovery.products_refresh(shop=shop, shopify=client, since=later).seen == 0


def test_the_refresh_task_skips_a_shop_that_never_looked_at_its_products(shop_a):
    from mappings.tasks import products_refresh

    assert products_refresh(shop_a.pk) == {"skipped": "no products discovered yet"}


# --- auto-match -------------------------------------------------------------------------------------


def test_auto_match_goes_by_sku_then_by_name_and_leaves_the_rest(shop_a):
    catalog = Catalog(
        items=(
            QBOObject("1", "Beanie (any colour)", "Inventory", sku="beanie-red"),
            QBOObject("2", "Canvas Tote", "NonInventory"),
            QBOObject("3", "Shared A", "NonInventory", sku="DUP-1"),
            QBOObject("4", "Shared B", "NonInventory", sku="DUP-1"),
            QBOObject("5", "Clothing:Wool Socks", "NonInventory"),
            QBOObject("6", "Posters", "Category"),
            QBOObject("7", "Gift Card", "Service", sku="TOTE-1"),
        )
    )
    beanie = row(shop_a, "Merino Beanie - Red", "BEANIE-RED")  # SKU, case aside
    tote = row(shop_a, "  canvas TOTE ", "TOTE-1")  # SKU wins over name
    dup = row(shop_a, "Shared", "DUP-1")  # two items share the SKU: ambiguous
    socks = row(shop_a, "Wool Socks", "")  # the sub-item's own name
    poster = row(shop_a, "Posters", "")  # a category carries no sales line
    chosen = row(shop_a, "Canvas Tote", "", qbo_item_id="9", qbo_item_name="Mine", matched_by=MatchedBy.MERCHANT)
    by_name = row(shop_a, "canvas tote", "")
    other = row(_other_shop(), "Canvas Tote", "")

    matched = product_matching.products_auto_match(shop=shop_a, catalog=catalog)

    assert (matched.by_sku, matched.by_name, matched.unmatched) == (2, 2, 2)
    got = {r.pk: (r.qbo_item_id, r.matched_by) for r in ProductMapping.objects.all()}
    assert got[beanie.pk] == ("1", MatchedBy.SKU)
    assert got[tote.pk] == ("7", MatchedBy.SKU)
    assert got[dup.pk] == ("", MatchedBy.NONE)
    assert got[socks.pk] == ("5", MatchedBy.NAME)
    assert got[poster.pk] == ("", MatchedBy.NONE)
    assert got[chosen.pk] == ("9", MatchedBy.MERCHANT)
    assert got[by_name.pk] == ("2", MatchedBy.NAME)
    assert got[other.pk] == ("", MatchedBy.NONE)
    change = MappingChange.objects.get(shop=shop_a)
    assert change.section == "products" and change.changed_by == product_matching.BY_AUTO_MATCH
    assert change.before == {"unmatched": 6}
    assert change.after["unmatched"] == 2 and change.after["matched_by_sku"] == 2
    assert sorted(change.after["variants"]) == sorted(
        [beanie.variant_gid, tote.variant_gid, socks.variant_gid, by_name.variant_gid]
    )
    again = product_matching.products_auto_match(shop=shop_a, catalog=catalog)
    assert again.total == 0 and MappingChange.objects.filter(shop=shop_a).count() == 1


def _other_shop():
    from tests.accounts.factories import make_shop

    return make_shop("other-goods.myshopify.com")


def test_a_big_auto_match_records_counts_and_the_first_variants_only(shop_a):
    items = tuple(QBOObject(str(i), f"Item {i}", "NonInventory", sku=f"SKU-{i}") for i in range(300))
    ProductMapping.objects.bulk_create(
        ProductMapping(shop=shop_a, variant_gid=f"gid://shopify/ProductVariant/{i}", title=f"V {i}", sku=f"SKU-{i}")
        for i in range(300)
    )

    matched = product_matching.products_auto_match(shop=shop_a, catalog=Catalog(items=items))

    assert matched.by_sku == 300
    change = MappingChange.objects.get(shop=shop_a)
    assert len(change.after["variants"]) == products.VARIANTS_RECORDED
    assert change.after["variants_not_listed"] == 300 - products.VARIANTS_RECORDED
    assert dict(
        ProductMapping.objects.filter(shop=shop_a, sku="SKU-123").values_list("qbo_item_id", "qbo_item_name")
    ) == {"123": "Item 123"}


def test_auto_match_against_the_quickbooks_emulator_reads_item_skus(connected, emulators):
    shop = connected
    client = shopify_for(shop)
    add_product(client, "Classic Tee", [{"sku": "TSHIRT-CLASSIC"}])
    add_product(client, "coffee mug", [{"sku": "MUG-OTHER"}])
    product_discovery.products_discover(shop=shop, shopify=client)

    matched = product_matching.products_auto_match(shop=shop, catalog=products.products_catalog(shop=shop, fresh=True))

    assert (matched.by_sku, matched.by_name) == (1, 1)
    got = dict(ProductMapping.objects.filter(shop=shop).values_list("sku", "qbo_item_name"))
    assert got == {"TSHIRT-CLASSIC": "Classic T-Shirt", "MUG-OTHER": "Coffee Mug"}


# --- the page -----------------------------------------------------------------------------------------


@pytest.fixture
def listed(app_settings, shop_a):
    """125 variants: 60 mapped, 65 unmatched, a few with telling names."""
    rows = []
    for i in range(125):
        mapped = i % 2 == 0 and i < 120
        rows.append(
            ProductMapping(
                shop=shop_a,
                variant_gid=f"gid://shopify/ProductVariant/{i}",
                title=f"Product {i:03d}" if i not in (7, 8) else ("Blue Wool Hat" if i == 7 else "Red Wool Scarf"),
                sku=f"SKU-{i:03d}",
                qbo_item_id=str(i) if mapped else "",
                qbo_item_name=f"Item {i}" if mapped else "",
                matched_by=MatchedBy.SKU if mapped else MatchedBy.NONE,
            )
        )
    ProductMapping.objects.bulk_create(rows)
    return shop_a


def page(client, shop, **params):
    return client.get(reverse("mappings:products"), {"id_token": session_token(shop.domain), **params})


def test_the_page_shows_unmatched_first_fifty_a_page(client, listed):
    response = page(client, listed)

    assert response.status_code == 200
    rows = response.context["listing"].rows
    assert len(rows) == product_listing.PAGE_SIZE
    assert all(r.status == MatchedBy.NONE for r in rows)
    assert [r.title for r in rows[:3]] == ["Blue Wool Hat", "Product 001", "Product 003"]
    counts = response.context["counts"]
    assert (counts.total, counts.unmatched, counts.mapped) == (125, 65, 60)
    assert b"Page 1 of 3" in response.content

    last = page(client, listed, page="3")
    assert [r.status for r in last.context["listing"].rows] == [MatchedBy.SKU] * 25
    assert page(client, listed, page="99").context["listing"].page.number == 3  # out of range: the last


def test_search_and_filter_narrow_the_list(client, listed):
    wool = page(client, listed, q="wool")
    assert [r.title for r in wool.context["listing"].rows] == ["Blue Wool Hat", "Red Wool Scarf"]
    by_sku = page(client, listed, q="sku-010")
    assert [r.sku for r in by_sku.context["listing"].rows] == ["SKU-010"]
    mapped = page(client, listed, show="mapped")
    assert mapped.context["listing"].page.paginator.count == 60
    unmatched = page(client, listed, show="unmatched", q="product 1")
    assert {r.status for r in unmatched.context["listing"].rows} == {MatchedBy.NONE}
    assert b'value="product 1"' in unmatched.content
    nothing = page(client, listed, q="no such thing")
    assert b"No product matches" in nothing.content


def test_the_list_query_stays_small(client, listed, django_assert_max_num_queries):
    # 9: the page's own 8, and the shop's open alerts for the banner every embedded page shows.
    with django_assert_max_num_queries(9):
        page(client, listed, q="product", show="all", page="2")


# --- bulk actions and one variant, against both emulators ----------------------------------------------


@pytest.fixture
def discovered(connected, emulators):
    shop = connected
    client = shopify_for(shop)
    add_product(client, "Trail Map Poster", [{"sku": "POSTER-01", "quantity": 12, "cost": "3.10"}])
    add_product(client, "Fountain Pen", [{"sku": "PEN-01", "quantity": -2}])
    add_product(client, "E-book", [{"sku": "", "tracked": False}])
    add_product(client, "Classic Tee", [{"sku": "TSHIRT-CLASSIC"}])
    product_discovery.products_discover(shop=shop, shopify=client)
    product_matching.products_auto_match(shop=shop, catalog=products.products_catalog(shop=shop, fresh=True))
    assert product_listing.products_counts(shop=shop).unmatched == 3
    return shop


def post(client, info, shop, name, data, **kwargs):
    return client.post(reverse(name, kwargs=kwargs), data, HTTP_AUTHORIZATION="Bearer " + app_token(info, shop.domain))


def test_creating_the_missing_items_before_go_live_writes_nothing_to_quickbooks(client, discovered, emulators):
    shop = discovered
    income = map_sales_income(shop)
    items_before = qbo_count(shop)

    response = post(
        client, emulators.info, shop, "mappings:products_bulk", {"action": "create", "kind": "NonInventory"}
    )

    assert response.status_code == 200, response.content
    assert response.json()["next"].startswith(reverse("mappings:products") + "?saved=create")
    assert qbo_count(shop) == items_before
    specs = {r.sku: r.create_spec for r in ProductMapping.objects.filter(shop=shop, matched_by=MatchedBy.CREATED)}
    assert set(specs) == {"POSTER-01", "PEN-01", ""}
    assert specs["POSTER-01"] == {
        "Name": "Trail Map Poster",
        "Type": "NonInventory",
        "Sku": "POSTER-01",
        "IncomeAccountRef": {"value": income.id, "name": income.name},
    }
    assert product_listing.products_counts(shop=shop).unmatched == 0
    listing = page(client, shop, id_token=app_token(emulators.info, shop.domain))
    assert b"To create at go-live" in listing.content

    made = product_items.products_materialize(shop=shop, qb=products.quickbooks_for(shop=shop))

    assert made == 3 and qbo_count(shop) == items_before + 3
    poster = ProductMapping.objects.get(shop=shop, sku="POSTER-01")
    assert poster.create_spec == {} and poster.qbo_item_name == "Trail Map Poster" and poster.qbo_item_id
    assert product_items.products_materialize(shop=shop, qb=products.quickbooks_for(shop=shop)) == 0
    # A run that created the item but died before saving: the item is found by name, not made twice.
    ProductMapping.objects.filter(pk=poster.pk).update(qbo_item_id="", create_spec={"Name": "Trail Map Poster"})
    assert product_items.products_materialize(shop=shop, qb=products.quickbooks_for(shop=shop)) == 1
    assert qbo_count(shop) == items_before + 3
    poster.refresh_from_db()
    assert poster.qbo_item_id and poster.create_spec == {}


def test_inventory_items_start_with_shopifys_quantity_cost_and_the_chosen_accounts(client, discovered, emulators):
    shop = discovered
    map_sales_income(shop)
    catalog = products.products_catalog(shop=shop)
    asset = catalog.account_named("Inventory Asset", ("Other Current Asset",))
    cogs = catalog.account_named("Cost of Goods Sold", ("Cost of Goods Sold",))
    data = {
        "action": "create",
        "kind": "Inventory",
        "asset_account": asset.id,
        "cogs_account": cogs.id,
        "start_date": "2025-01-31",
    }

    response = post(client, emulators.info, shop, "mappings:products_bulk", data)

    assert response.status_code == 200, response.content
    specs = {r.sku: r.create_spec for r in ProductMapping.objects.filter(shop=shop, matched_by=MatchedBy.CREATED)}
    assert specs["POSTER-01"] | {"IncomeAccountRef": None} == {
        "Name": "Trail Map Poster",
        "Sku": "POSTER-01",
        "Type": "Inventory",
        "TrackQtyOnHand": True,
        "QtyOnHand": "12",
        "InvStartDate": "2025-01-31",
        "AssetAccountRef": {"value": asset.id, "name": asset.name},
        "ExpenseAccountRef": {"value": cogs.id, "name": cogs.name},
        "PurchaseCost": "3.1",
        "IncomeAccountRef": None,
    }
    assert specs["PEN-01"]["QtyOnHand"] == "0"  # oversold in Shopify: opens at zero
    assert specs[""]["Type"] == "NonInventory"  # Shopify does not track the e-book's stock

    product_items.products_materialize(shop=shop, qb=products.quickbooks_for(shop=shop))

    poster = ProductMapping.objects.get(shop=shop, sku="POSTER-01")
    item = products.quickbooks_for(shop=shop).query(f"select * from Item where Id = '{poster.qbo_item_id}'")
    made = item["QueryResponse"]["Item"][0]
    assert made["Type"] == "Inventory" and Decimal(str(made["QtyOnHand"])) == Decimal("12")


def test_inventory_without_its_accounts_is_refused_field_by_field(client, discovered, emulators):
    shop = discovered
    map_sales_income(shop)

    response = post(
        client,
        emulators.info,
        shop,
        "mappings:products_bulk",
        {"action": "create", "kind": "Inventory", "start_date": "31/01/2025"},
    )

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors["asset_account"] == ["Choose the account that holds the value of your stock."]
    assert errors["cogs_account"] == ["Choose the account the cost of what you sell goes to."]
    assert errors["start_date"] == ["Enter a valid date."]
    assert ProductMapping.objects.filter(shop=shop, matched_by=MatchedBy.CREATED).count() == 0


def test_creating_items_needs_the_sales_income_account_first(client, discovered, emulators):
    response = post(
        client, emulators.info, discovered, "mappings:products_bulk", {"action": "create", "kind": "NonInventory"}
    )

    assert response.status_code == 422
    assert "Choose the account for “Product sales income” first" in response.content.decode()


def test_after_go_live_the_missing_items_are_created_at_once(client, discovered, emulators):
    shop = discovered
    map_sales_income(shop)
    SyncSettings.objects.update_or_create(shop=shop, defaults={"live_at": timezone.now()})
    items_before = qbo_count(shop)

    response = post(
        client, emulators.info, shop, "mappings:products_bulk", {"action": "create", "kind": "NonInventory"}
    )

    assert response.status_code == 200, response.content
    assert qbo_count(shop) == items_before + 3
    assert not ProductMapping.objects.filter(shop=shop, qbo_item_id="").exists()


def test_map_all_unmatched_to_one_item(client, discovered, emulators):
    shop = discovered
    catalog = products.products_catalog(shop=shop)
    sales = next(i for i in catalog.items if i.name == "Sales")
    search = client.get(
        reverse("mappings:products_bulk"),
        {"action": "map_all", "q": "sal", "id_token": app_token(emulators.info, shop.domain)},
    )
    assert [i.name for i in search.context["items"]] == ["Sales"]

    refused = post(client, emulators.info, shop, "mappings:products_bulk", {"action": "map_all"})
    assert refused.status_code == 422 and "Choose one of the QuickBooks items listed" in refused.content.decode()
    response = post(
        client,
        emulators.info,
        shop,
        "mappings:products_bulk",
        {"action": "map_all", "item": sales.id, "back": "q=pen&id_token=x"},
    )

    assert response.json()["next"] == reverse("mappings:products") + "?saved=map_all&q=pen"
    rows = ProductMapping.objects.filter(shop=shop)
    assert dict(rows.values_list("sku", "matched_by")) == {
        "POSTER-01": MatchedBy.FALLBACK,
        "PEN-01": MatchedBy.FALLBACK,
        "": MatchedBy.FALLBACK,
        "TSHIRT-CLASSIC": MatchedBy.SKU,
    }
    change = MappingChange.objects.filter(shop=shop).first()
    assert (
        change.after["mapped_to_one_item"] == {"id": sales.id, "name": "Sales"} and len(change.after["variants"]) == 3
    )


def test_one_variant_is_mapped_unmapped_or_given_its_own_item(client, discovered, emulators):
    shop = discovered
    map_sales_income(shop)
    pen = ProductMapping.objects.get(shop=shop, sku="PEN-01")
    catalog = products.products_catalog(shop=shop)
    mug = next(i for i in catalog.items if i.name == "Coffee Mug")
    url = reverse("mappings:product_map", kwargs={"pk": pen.pk})
    shown = client.get(url, {"q": "mug", "id_token": app_token(emulators.info, shop.domain)})
    assert shown.status_code == 200 and [i.name for i in shown.context["items"]] == ["Coffee Mug"]

    post(client, emulators.info, shop, "mappings:product_map", {"action": "map", "item": mug.id}, pk=pen.pk)
    pen.refresh_from_db()
    assert (pen.qbo_item_id, pen.qbo_item_name, pen.matched_by) == (mug.id, "Coffee Mug", MatchedBy.MERCHANT)
    change = MappingChange.objects.filter(shop=shop).first()
    assert change.before == {pen.variant_gid: {"qbo_item_id": "", "qbo_item_name": "", "create_spec": {}}}

    post(client, emulators.info, shop, "mappings:product_map", {"action": "create"}, pk=pen.pk)
    pen.refresh_from_db()
    assert pen.qbo_item_id == "" and pen.create_spec["Name"] == "Fountain Pen" and pen.matched_by == MatchedBy.CREATED

    post(client, emulators.info, shop, "mappings:product_map", {"action": "unmap"}, pk=pen.pk)
    pen.refresh_from_db()
    assert (pen.qbo_item_id, pen.create_spec, pen.matched_by) == ("", {}, MatchedBy.NONE)


def test_new_item_names_are_unique_and_fit_quickbooks(shop_a):
    taken = {"trail map poster", "pen"}
    long = "A" * 120
    assert product_items._item_name("Trail Map Poster", "POSTER-01", taken) == "Trail Map Poster (POSTER-01)"
    assert product_items._item_name("Trail Map Poster", "", taken) == "Trail Map Poster 2"
    assert product_items._item_name("Pen: blue", "", taken) == "Pen- blue"
    assert product_items._item_name(long, "", taken) == "A" * 100
    second = product_items._item_name(long, "", taken)
    assert second == "A" * 98 + " 2" and len(second) == 100


def test_find_products_discovers_and_matches_a_small_shop_at_once(client, connected, emulators):
    shop = connected
    add_product(shopify_for(shop), "Classic Tee", [{"sku": "TSHIRT-CLASSIC"}])
    catalog_forget(shop=shop)

    response = post(client, emulators.info, shop, "mappings:products", {"action": "find"})

    assert response.json()["next"] == reverse("mappings:products") + "?found=1&matched=1"
    assert ProductMapping.objects.get(shop=shop).qbo_item_name == "Classic T-Shirt"


def test_find_products_in_a_big_shop_continues_in_the_background(client, connected, emulators, monkeypatch):
    shop = connected
    client_shopify = shopify_for(shop)
    add_product(client_shopify, "Beanie", [{"sku": f"B-{i}"} for i in range(3)])
    monkeypatch.setattr(shopify_products, "PAGE_SIZE", 2)
    monkeypatch.setattr("django_q.conf.Conf.SYNC", True)  # the worker runs the task inline

    response = post(client, emulators.info, shop, "mappings:products", {"action": "find"})

    target = response.json()["next"]
    assert "?finding=" in target
    assert ProductMapping.objects.filter(shop=shop).count() == 3
    shown = client.get(f"{target}&id_token={app_token(emulators.info, shop.domain)}")
    assert shown.context["finding"].running is False
    assert "Found 3 variants; 0 matched automatically." in shown.content.decode()


# --- tenancy -------------------------------------------------------------------------------------------


def test_another_shop_can_neither_read_nor_change_a_mapping(client, app_settings, shop_a, shop_b):
    mine = row(shop_a, "Alpha Secret Hat", "ALPHA-1", qbo_item_id="5", qbo_item_name="Hats", matched_by=MatchedBy.SKU)
    theirs = {"HTTP_AUTHORIZATION": "Bearer " + session_token(shop_b.domain)}
    url = reverse("mappings:product_map", kwargs={"pk": mine.pk})

    assert client.get(url, {"id_token": session_token(shop_b.domain)}).status_code == 404
    for action in ("map", "unmap", "create"):
        assert client.post(url, {"action": action, "item": "1"}, **theirs).status_code == 404
    listing = client.get(reverse("mappings:products"), {"id_token": session_token(shop_b.domain), "q": "alpha"})
    assert b"Alpha Secret Hat" not in listing.content and listing.context["counts"].total == 0
    mine.refresh_from_db()
    assert (mine.qbo_item_id, mine.matched_by) == ("5", MatchedBy.SKU)
    assert not MappingChange.objects.exists()


def test_unknown_actions_are_refused(client, app_settings, shop_a):
    theirs = {"HTTP_AUTHORIZATION": "Bearer " + session_token(shop_a.domain)}
    assert client.post(reverse("mappings:products"), {"action": "nope"}, **theirs).status_code == 400
    assert client.post(reverse("mappings:products_bulk"), {"action": "nope"}, **theirs).status_code == 404


def test_done_marks_the_step(client, app_settings, shop_a):
    response = client.post(
        reverse("mappings:products"), {"action": "done"}, HTTP_AUTHORIZATION="Bearer " + session_token(shop_a.domain)
    )
    assert response.json()["next"] == reverse("mappings:setup") + "?saved=products"
    assert "products" in SyncSettings.objects.get(shop=shop_a).steps_done


def test_the_start_date_defaults_to_the_sync_start(shop_a):
    from mappings.product_forms import CreateMissingForm

    form = CreateMissingForm(catalog=Catalog(), start_date=date(2025, 3, 1))
    assert form.fields["start_date"].initial == date(2025, 3, 1)


def test_the_page_follows_a_background_run_until_it_ends(client, app_settings, shop_a):
    from django_q.models import Task

    row(shop_a, "Hat", "H-1")
    running = page(client, shop_a, finding="not-finished-yet")
    assert running.context["finding"].running and "1 variant so far" in running.content.decode()
    now = timezone.now()
    Task.objects.create(
        id="f" * 32,
        name="find",
        func="mappings.tasks.products_find",
        started=now,
        stopped=now,
        success=True,
        group=f"products-{shop_a.pk}",
        result={"error": "Shopify refused the access token"},
    )
    failed = page(client, shop_a, finding="f" * 32)
    assert failed.context["finding"].failed
    assert "Finding products stopped: Shopify refused the access token. Try again." in failed.content.decode()


def test_the_items_to_create_use_only_fields_of_intuits_item_schema():
    from tests import reference
    from tests.sandbox_qbo.xsd import XSD_FILES, all_fields, enum_values, load_types

    xsd = load_types(reference.require(*XSD_FILES))
    fields = all_fields(xsd, "Item")
    inventory = product_items.InventoryChoice(
        QBOObject("81", "Inventory Asset"), QBOObject("80", "COGS"), date(2025, 1, 31)
    )
    stock = shopify_products.Stock(quantity=3, tracked=True, unit_cost=Decimal("1.25"))
    income = {"value": "79", "name": "Sales of Product Income"}
    for spec in (
        product_items._create_spec("Pen", "PEN-1", income, set(), None, None),
        product_items._create_spec("Pen", "PEN-1", income, set(), stock, inventory),
    ):
        assert set(spec) <= set(fields), set(spec) - set(fields)
        assert spec["Type"] in enum_values(xsd, "ItemTypeEnum")
        assert {k for k in spec if k.endswith("Ref")} <= {k for k, (t, _) in fields.items() if t == "ReferenceType"}
        assert len(spec["Name"]) <= product_items.NAME_LIMIT


def test_a_choice_made_while_matching_ran_is_kept(shop_a):
    """Auto-match and "create the missing items" read the unmatched rows, then write: a row the
    merchant mapped in between keeps the merchant's item."""
    hat = row(shop_a, "Hat", "HAT-1")
    scarf = row(shop_a, "Scarf", "SCARF-1")
    choices = {hat.pk: (QBOObject("1", "Hats"), MatchedBy.SKU), scarf.pk: (QBOObject("2", "Scarves"), MatchedBy.SKU)}
    product_matching.product_map(shop=shop_a, pk=hat.pk, item=QBOObject("9", "Merchant's hat"), by="merchant")

    assert product_matching._assign(shop_a, choices) == 1
    assert product_items._set_create_specs(shop_a, {hat.pk: {"Name": "Hat"}}) == 0

    hat.refresh_from_db()
    scarf.refresh_from_db()
    assert (hat.qbo_item_id, hat.matched_by, hat.create_spec) == ("9", MatchedBy.MERCHANT, {})
    assert (scarf.qbo_item_id, scarf.qbo_item_name, scarf.matched_by) == ("2", "Scarves", MatchedBy.SKU)


def test_the_sweeps_refresh_reads_quickbooks_only_when_a_variant_is_left_to_match(connected, emulators, monkeypatch):
    from mappings import products as products_module
    from mappings.tasks import products_refresh

    shop = connected
    client = shopify_for(shop)
    add_product(client, "Enamel Mug", [{"sku": "MUG-01"}])
    product_discovery.products_discover(shop=shop, shopify=client)
    ProductMapping.objects.filter(shop=shop).update(qbo_item_id="9", qbo_item_name="Mugs", matched_by="merchant")
    reads: list[object] = []
    monkeypatch.setattr(products_module, "products_catalog", lambda **kw: reads.append(kw) or Catalog())

    products_refresh(shop.pk)
    assert reads == [], "every variant is mapped: nothing to match, no QuickBooks read"

    emulators.shopify.store.advance_clock(3600)
    add_product(client, "Linen Apron", [{"sku": "APRON-01"}])
    products_refresh(shop.pk)
    assert len(reads) == 1
