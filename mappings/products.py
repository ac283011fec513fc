"""Products: every Shopify variant mapped to the QuickBooks item its sales lines book to.

Discovery keeps one ProductMapping row per variant (an upsert: mappings already made stay);
auto-match maps the unmatched rows by SKU, then by name; the merchant maps the rest one by one,
all to one item, or asks ShopQB to create an item for each. Before go-live nothing is written to
QuickBooks: an item to create is the row's ``create_spec``, created by ``products_materialize``
at go-live (and at once after it). A variant left unmapped books to the "unmapped products" item.

Every change is a mapping version (section "products"), recorded compactly: counts and the
first variants changed, not every row of a 10,000-variant shop.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import requests
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.utils import timezone
from django_q.models import Task
from django_q.tasks import async_task

from accounts import clients, tokens
from accounts.models import QuickBooksConnection, Shop
from mappings.catalog import Catalog, QBOObject, catalog_forget, catalog_read
from mappings.history import change_record, snapshot_of
from mappings.models import AccountRole, AccountRoleMapping, ProductMapping, SetupStep, SyncSettings
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify import products as shopify_products
from shopqb_app.integrations.shopify.client import ShopifyClient

MatchedBy = ProductMapping.MatchedBy

BY_AUTO_MATCH = "ShopQB (auto-match)"
BY_SHOPQB = "ShopQB"
# Item types a sales line can carry (a Category or a Group cannot).
# Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/item
SALE_ITEM_TYPES = ("Inventory", "NonInventory", "Service")
ITEM_KINDS = ("NonInventory", "Inventory")
NAME_LIMIT = 100  # Item.Name and Item.Sku, QBO's maximum (Finance.xsd, Item)
VARIANTS_RECORDED = 100  # variant gids a history entry lists; the counts cover the rest
UPDATE_BATCH = 500  # rows per UPDATE statement (4 parameters each; SQLite allows 32,766)
NAME_LOOKUP_BATCH = 30
# A refresh asks Shopify for changes since a little before the newest one seen: its search
# index may lag a write by some seconds, and fetching a row twice is harmless.
REFRESH_OVERLAP = timedelta(minutes=5)


# Building a client reads Intuit's discovery document with plain requests: its failures are not QBOErrors.
QBO_UNREACHABLE = (qbo.QBOError, tokens.TokenRevoked, tokens.TokenRefreshFailed, requests.RequestException)


class ProductsError(Exception):
    """Something the merchant must fix first, in plain words."""


@dataclass(frozen=True)
class Discovered:
    seen: int
    new: int


@dataclass(frozen=True)
class Matched:
    by_sku: int
    by_name: int
    unmatched: int

    @property
    def total(self) -> int:
        return self.by_sku + self.by_name


@dataclass(frozen=True)
class Counts:
    total: int
    unmatched: int
    to_create: int

    @property
    def mapped(self) -> int:
        return self.total - self.unmatched - self.to_create


def unmatched(shop: Shop) -> QuerySet[ProductMapping]:
    """Rows with no item and no item to create: what auto-match and the bulk actions act on.

    ``qbo_item_id=""`` is implied by ``matched_by=""``; it is there so the database can use the
    (shop, qbo_item_id, title) index."""
    return ProductMapping.objects.filter(shop=shop, qbo_item_id="", matched_by=MatchedBy.NONE)


def _to_create(shop: Shop) -> QuerySet[ProductMapping]:
    return ProductMapping.objects.filter(shop=shop, qbo_item_id="", matched_by=MatchedBy.CREATED)


def products_counts(*, shop: Shop) -> Counts:
    no_item = Q(qbo_item_id="")
    counts = ProductMapping.objects.filter(shop=shop).aggregate(
        total=Count("pk"),
        unmatched=Count("pk", filter=no_item & Q(matched_by=MatchedBy.NONE)),
        to_create=Count("pk", filter=no_item & Q(matched_by=MatchedBy.CREATED)),
    )
    return Counts(**counts)


def _listed(gids: list[str]) -> dict[str, Any]:
    listed: dict[str, Any] = {"variants": gids[:VARIANTS_RECORDED]}
    if len(gids) > VARIANTS_RECORDED:
        listed["variants_not_listed"] = len(gids) - VARIANTS_RECORDED
    return listed


def _chunks(values: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- the connected services -------------------------------------------------------------------


def products_catalog(*, shop: Shop, fresh: bool = False) -> Catalog:
    """The connected company's lists, or ProductsError saying why they cannot be read."""
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    if connection is None or not connection.is_connected:
        raise ProductsError("Connect your QuickBooks Online company first: the items to map to are there.")
    try:
        return catalog_read(shop=shop, qb=clients.qbo_client(connection), fresh=fresh)
    except QBO_UNREACHABLE as exc:
        raise ProductsError(f"QuickBooks could not be read ({exc}). Try again in a minute.") from exc


def quickbooks_for(*, shop: Shop) -> qbo.QuickBooks:
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    if connection is None or not connection.is_connected:
        raise ProductsError("Connect your QuickBooks Online company first.")
    try:
        return clients.qbo_client(connection)
    except QBO_UNREACHABLE as exc:
        raise ProductsError(f"QuickBooks could not be reached ({exc}). Try again in a minute.") from exc


# --- discovery --------------------------------------------------------------------------------


def _upsert(shop: Shop, variants: Iterable[shopify_products.Variant]) -> int:
    # One row per gid and statement: PostgreSQL refuses to update a row twice in one upsert.
    unique = {v.gid: v for v in variants}
    rows = [
        ProductMapping(
            shop=shop,
            variant_gid=v.gid,
            product_gid=v.product_gid,
            title=v.title[:512],
            sku=v.sku[:255],
            shopify_updated_at=v.updated_at,
        )
        for v in unique.values()
    ]
    # INSERT ... ON CONFLICT DO UPDATE on SQLite and PostgreSQL: the merchant's mapping columns
    # are not in update_fields, so an existing row keeps its item.
    ProductMapping.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["shop", "variant_gid"],
        update_fields=["product_gid", "title", "sku", "shopify_updated_at", "updated_at"],
    )
    return len(rows)


def products_discover(*, shop: Shop, shopify: ShopifyClient) -> Discovered:
    """A row for every variant of the shop; existing rows get the current title and SKU."""
    before = ProductMapping.objects.filter(shop=shop).count()
    seen = 0
    for page in shopify_products.product_variants(shopify):
        seen += _upsert(shop, page)
    return Discovered(seen=seen, new=ProductMapping.objects.filter(shop=shop).count() - before)


def products_refresh(
    *, shop: Shop, shopify: ShopifyClient, since: datetime | None, catalog: Catalog | None = None
) -> Discovered:
    """Only what changed in Shopify since ``since`` (None: since the newest change already seen),
    then auto-match the new rows if the catalog is given. A shop never discovered is left alone."""
    if since is None:
        since = ProductMapping.objects.filter(shop=shop).aggregate(newest=Max("shopify_updated_at"))["newest"]
        if since is None:
            return Discovered(seen=0, new=0)
    since -= REFRESH_OVERLAP
    before = ProductMapping.objects.filter(shop=shop).count()
    changed: dict[str, shopify_products.Variant] = {}
    for page in shopify_products.product_variants(shopify, search=shopify_products.search_since(since)):
        changed.update((v.gid, v) for v in page)
    renamed = shopify_products.changed_product_ids(shopify, since=since)
    for page in shopify_products.variants_of_products(shopify, renamed):
        changed.update((v.gid, v) for v in page)
    _upsert(shop, changed.values())
    if catalog is not None:
        products_auto_match(shop=shop, catalog=catalog)
    return Discovered(seen=len(changed), new=ProductMapping.objects.filter(shop=shop).count() - before)


@dataclass(frozen=True)
class FindStarted:
    discovered: Discovered
    matched: Matched | None
    task_id: str  # empty: finished in this request


def products_find(*, shop: Shop, shopify: ShopifyClient, catalog: Catalog) -> FindStarted:
    """The "Find products" button. A shop whose variants fit in one page is discovered and
    matched at once; a bigger one gets its first page now and the rest from a background task
    (mappings.tasks.products_find), which the page follows."""
    first, more = shopify_products.variants_page(shopify)
    before = ProductMapping.objects.filter(shop=shop).count()
    _upsert(shop, first)
    discovered = Discovered(seen=len(first), new=ProductMapping.objects.filter(shop=shop).count() - before)
    if more is None:
        return FindStarted(discovered, products_auto_match(shop=shop, catalog=catalog), "")
    task_id = async_task("mappings.tasks.products_find", shop.pk, group=f"products-{shop.pk}")
    return FindStarted(discovered, None, str(task_id))


# --- matching ---------------------------------------------------------------------------------


def _key(text: str) -> str:
    return text.strip().casefold()


def _unique_index(pairs: Iterable[tuple[str, QBOObject]]) -> dict[str, QBOObject]:
    """key -> the one object with it; a key two objects share matches neither."""
    index: dict[str, QBOObject | None] = {}
    for key, obj in pairs:
        if key:
            index[key] = None if key in index and index[key] != obj else obj
    return {k: v for k, v in index.items() if v is not None}


def _update_unmatched(shop: Shop, rows: list[tuple[Any, ...]], columns: dict[str, str], assignments: str) -> int:
    """Update the shop's rows that are still unmatched (a choice the merchant made meanwhile
    wins) from ``rows`` of (id, *values); ``columns`` names and casts the values, and
    ``assignments`` sets the table's columns from them (``chosen.<name>``).

    One UPDATE ... FROM a VALUES list per batch (SQLite 3.33+ and PostgreSQL): Django's CASE-based
    bulk update spent 15 s of Python building expressions for 10,000 rows."""
    table = connection.ops.quote_name(ProductMapping._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    row_sql = "(CAST(%s AS INTEGER), " + ", ".join(f"CAST(%s AS {cast})" for cast in columns.values()) + ")"
    # VALUES columns are column1, column2... in both databases; the statement must start with
    # UPDATE for Python's sqlite3 to report the rows it changed.
    names = ", ".join(f"column{n} AS {name}" for n, name in enumerate(["id", *columns], start=1))
    changed = 0
    with connection.cursor() as cursor:
        for batch in _chunks(rows, UPDATE_BATCH):
            cursor.execute(
                f"UPDATE {table} SET {assignments}, updated_at = %s "  # noqa: S608 (placeholders only)
                f"FROM (SELECT {names} FROM (VALUES {', '.join([row_sql] * len(batch))}) AS v) AS chosen "
                f"WHERE {table}.id = chosen.id AND {table}.shop_id = %s "
                f"AND {table}.qbo_item_id = '' AND {table}.matched_by = ''",
                [now, *(value for row in batch for value in row), shop.pk],
            )
            changed += cursor.rowcount
    return changed


def _assign(shop: Shop, choices: dict[int, tuple[QBOObject, str]]) -> int:
    rows = [(pk, item.id, item.name[:255], how) for pk, (item, how) in choices.items()]
    return _update_unmatched(
        shop,
        rows,
        {"item_id": "VARCHAR(64)", "item_name": "VARCHAR(255)", "how": "VARCHAR(10)"},
        "qbo_item_id = chosen.item_id, qbo_item_name = chosen.item_name, matched_by = chosen.how",
    )


def _set_create_specs(shop: Shop, specs: dict[int, dict[str, Any]]) -> int:
    json_type = "JSONB" if connection.vendor == "postgresql" else "TEXT"
    rows = [(pk, json.dumps(spec)) for pk, spec in specs.items()]
    return _update_unmatched(
        shop, rows, {"spec": json_type}, f"create_spec = chosen.spec, matched_by = '{MatchedBy.CREATED.value}'"
    )


def products_auto_match(*, shop: Shop, catalog: Catalog, by: str = BY_AUTO_MATCH) -> Matched:
    """Map unmatched rows to the item with the same SKU, else the same name (case and outer
    spaces ignored). A SKU or name two items share is ambiguous and matches nothing.
    Linear: one pass over the items into dicts, one over the rows."""
    items = [i for i in catalog.items if i.type in SALE_ITEM_TYPES]
    by_sku = _unique_index((_key(i.sku), i) for i in items)
    # QBO names sub-items "Parent:Child"; a variant is matched by the full name or by its own.
    by_name = _unique_index((_key(i.name), i) for i in items)
    by_leaf = _unique_index((_key(i.name.rsplit(":", 1)[-1]), i) for i in items if ":" in i.name)
    choices: dict[int, tuple[QBOObject, str]] = {}
    gids: list[str] = []
    for pk, gid, sku, title in unmatched(shop).order_by().values_list("pk", "variant_gid", "sku", "title"):
        found = by_sku.get(_key(sku)) if sku else None
        how: str = MatchedBy.SKU
        if found is None:
            name = _key(title)
            found, how = by_name.get(name) or by_leaf.get(name), MatchedBy.NAME
        if found is not None:
            choices[pk] = (found, how)
            gids.append(gid)
    if not choices:
        return Matched(by_sku=0, by_name=0, unmatched=unmatched(shop).count())
    with transaction.atomic():
        _assign(shop, choices)
        left = unmatched(shop).count()
        counted: dict[str, int] = {MatchedBy.SKU: 0, MatchedBy.NAME: 0}
        for _, matched_by in choices.values():
            counted[matched_by] += 1
        change_record(
            shop=shop,
            section=SetupStep.PRODUCTS,
            by=by,
            before={"unmatched": left + len(choices)},
            after={
                "unmatched": left,
                "matched_by_sku": counted[MatchedBy.SKU],
                "matched_by_name": counted[MatchedBy.NAME],
                **_listed(gids),
            },
        )
    return Matched(by_sku=counted[MatchedBy.SKU], by_name=counted[MatchedBy.NAME], unmatched=left)


# --- the merchant's choices -------------------------------------------------------------------


def product_map(*, shop: Shop, pk: int, item: QBOObject | None, by: str) -> ProductMapping:
    """Map one variant to ``item`` (None: leave it unmapped). Raises ProductMapping.DoesNotExist
    for a row of another shop."""
    with transaction.atomic():
        row = ProductMapping.objects.select_for_update().get(shop=shop, pk=pk)
        before = {row.variant_gid: snapshot_of(row)}
        row.qbo_item_id = item.id if item else ""
        row.qbo_item_name = item.name[:255] if item else ""
        row.matched_by = MatchedBy.MERCHANT if item else MatchedBy.NONE
        row.create_spec = {}
        row.save(update_fields=["qbo_item_id", "qbo_item_name", "matched_by", "create_spec", "updated_at"])
        change_record(
            shop=shop, section=SetupStep.PRODUCTS, by=by, before=before, after={row.variant_gid: snapshot_of(row)}
        )
    return row


def products_map_unmatched_to(*, shop: Shop, item_id: str, item_name: str, by: str) -> int:
    """Map every unmatched variant to one item. Returns how many."""
    with transaction.atomic():
        rows = unmatched(shop)
        gids = list(rows.select_for_update().order_by("title").values_list("variant_gid", flat=True))
        if not gids:
            return 0
        count = rows.update(
            qbo_item_id=item_id, qbo_item_name=item_name[:255], matched_by=MatchedBy.FALLBACK, updated_at=timezone.now()
        )
        change_record(
            shop=shop,
            section=SetupStep.PRODUCTS,
            by=by,
            before={"unmatched": count},
            after={"unmatched": 0, "mapped_to_one_item": {"id": item_id, "name": item_name}, **_listed(gids)},
        )
    return count


@dataclass(frozen=True)
class InventoryChoice:
    """What an inventory item needs besides its name: where its value sits (an Other Current
    Asset account), where its cost goes when sold (Cost of Goods Sold), and the date its
    opening quantity counts from."""

    asset_account: QBOObject
    cogs_account: QBOObject
    start_date: date


def _ref(obj: QBOObject) -> dict[str, str]:
    return {"value": obj.id, "name": obj.name}


def _income_ref(shop: Shop) -> dict[str, str]:
    row = AccountRoleMapping.objects.filter(shop=shop, role=AccountRole.SALES_INCOME).first()
    if row is None or not row.is_set:
        raise ProductsError(
            f"Choose the account for “{AccountRole.SALES_INCOME.label}” first (Accounts): "
            "the new items book their sales there."
        )
    # An account still to be created has no id yet: products_materialize fills it in at go-live.
    return {"value": row.qbo_id, "name": row.qbo_name or str(row.create_spec.get("Name", ""))}


def _names_taken(shop: Shop, catalog: Catalog) -> set[str]:
    taken = {_key(i.name) for i in catalog.items} | {_key(i.name.rsplit(":", 1)[-1]) for i in catalog.items}
    for spec in _to_create(shop).values_list("create_spec", flat=True):
        if isinstance(spec, dict) and spec.get("Name"):
            taken.add(_key(str(spec["Name"])))
    return taken


def _item_name(title: str, sku: str, taken: set[str]) -> str:
    """A name no item has (QBO refuses a duplicate, case ignored), within 100 characters,
    without the colon QBO reserves for sub-items."""
    base = " ".join(title.replace(":", "-").split())[:NAME_LIMIT] or sku[:NAME_LIMIT] or "Shopify product"
    candidates = [base]
    if sku:
        candidates.append(f"{base[: NAME_LIMIT - len(sku) - 3]} ({sku})"[:NAME_LIMIT])
    n = 2
    while True:
        for name in candidates:
            if _key(name) not in taken:
                taken.add(_key(name))
                return name
        suffix = f" {n}"
        candidates = [base[: NAME_LIMIT - len(suffix)] + suffix]
        n += 1


def products_create_missing(
    *,
    shop: Shop,
    catalog: Catalog,
    by: str,
    kind: str = "NonInventory",
    inventory: InventoryChoice | None = None,
    shopify: ShopifyClient | None = None,
    qb: qbo.QuickBooks | None = None,
    pks: list[int] | None = None,
) -> int:
    """An item for each unmatched variant (or just ``pks``). Before go-live each row only gets
    the item's ``create_spec``; after it, the items are created at once (``qb`` needed).

    Inventory items start with the quantity Shopify counts now (read through ``shopify``) on
    ``inventory.start_date``, valued at the variant's unit cost; a variant Shopify does not
    track stays a non-inventory item.
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/item#create-an-item
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-inventory
    """
    if kind not in ITEM_KINDS:
        raise ProductsError("Choose non-inventory or inventory items.")
    if kind == "Inventory" and (inventory is None or shopify is None):
        raise ProductsError("Inventory items need an asset account, a cost of goods sold account and a start date.")
    live = SyncSettings.objects.filter(shop=shop, live_at__isnull=False).exists()
    if live and qb is None:
        raise ProductsError("QuickBooks is needed to create the items now that you are live.")
    income = _income_ref(shop)
    candidates = unmatched(shop) if pks is None else unmatched(shop).filter(pk__in=pks)
    chosen = list(candidates.order_by("title").values_list("pk", "variant_gid", "title", "sku"))
    if not chosen:
        return 0
    gids = [gid for _, gid, _, _ in chosen]
    # Read from Shopify first: no transaction stays open over the network.
    stock = shopify_products.variant_stock(shopify, gids) if inventory is not None and shopify is not None else {}
    with transaction.atomic():
        taken = _names_taken(shop, catalog)
        specs = {
            pk: _create_spec(title, sku, income, taken, stock.get(gid), inventory) for pk, gid, title, sku in chosen
        }
        made = _set_create_specs(shop, specs)
        if not made:
            return 0
        left = unmatched(shop).count()
        change_record(
            shop=shop,
            section=SetupStep.PRODUCTS,
            by=by,
            before={"unmatched": left + made},
            after={
                "unmatched": left,
                "items_to_create": made,
                "item_type": kind,
                **_listed([gid for _, gid, _, _ in chosen]),
            },
        )
    if live and qb is not None:
        products_materialize(shop=shop, qb=qb, by=by)
    return made


def _create_spec(
    title: str,
    sku: str,
    income: dict[str, str],
    taken: set[str],
    stock: shopify_products.Stock | None,
    inventory: InventoryChoice | None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "Name": _item_name(title, sku, taken),
        "Type": "NonInventory",
        "IncomeAccountRef": income,
    }
    if sku:
        spec["Sku"] = sku[:NAME_LIMIT]
    if inventory is not None and stock is not None and stock.tracked:
        spec |= {
            "Type": "Inventory",
            "TrackQtyOnHand": True,
            # An oversold variant (negative in Shopify) opens at zero: an opening stock is never negative.
            "QtyOnHand": str(max(stock.quantity, 0)),
            "InvStartDate": inventory.start_date.isoformat(),
            "AssetAccountRef": _ref(inventory.asset_account),
            "ExpenseAccountRef": _ref(inventory.cogs_account),
        }
        if stock.unit_cost is not None:
            spec["PurchaseCost"] = str(stock.unit_cost)
    return spec


# --- writing to QuickBooks ----------------------------------------------------------------------


def _quoted(value: str) -> str:
    # QBO's query language: backslash and single quote are escaped with a backslash.
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _existing_items(qb: qbo.QuickBooks, names: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(names, NAME_LOOKUP_BATCH):
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
        select = f"select * from Item where Name in ({', '.join(_quoted(n) for n in chunk)})"  # noqa: S608
        result: dict[str, Any] = qbo.call(lambda s=select: qb.query(s))  # type: ignore[misc]
        for item in result.get("QueryResponse", {}).get("Item", []):
            found[_key(str(item["Name"]))] = item
    return found


def _request_id(row: ProductMapping, name: str) -> str:
    # Stable across retries of the same item, different for another name: at most 50 characters.
    return f"shopqb-item-{row.pk}-{hashlib.sha256(name.encode()).hexdigest()[:16]}"


def _create_item(qb: qbo.QuickBooks, spec: dict[str, Any], request_id: str) -> str:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/item#create-an-item
    item = qbo.entity_class("Item").from_json(spec)
    made = qbo.call(lambda: item.save(qb=qb, request_id=request_id))
    return str(made.Id)


def products_materialize(*, shop: Shop, qb: qbo.QuickBooks, by: str = BY_SHOPQB) -> int:
    """Create in QuickBooks every item the merchant asked for. Idempotent: each is looked up by
    name first (an earlier attempt may have created it), and each row is saved as soon as its
    item exists, so an interrupted run resumes where it stopped. Returns how many were created
    or found."""
    rows = [r for r in _to_create(shop).order_by("pk") if r.create_spec.get("Name")]
    if not rows:
        return 0
    income: dict[str, str] | None = None
    existing = _existing_items(qb, [str(r.create_spec["Name"]) for r in rows])
    done: list[str] = []
    try:
        for row in rows:
            spec = dict(row.create_spec)
            found = existing.get(_key(str(spec["Name"])))
            if found is None:
                if not (spec.get("IncomeAccountRef") or {}).get("value"):
                    income = income or _income_account_now(shop)
                    spec["IncomeAccountRef"] = income
                item_id, item_name = _create_item(qb, spec, _request_id(row, str(spec["Name"]))), str(spec["Name"])
            else:
                item_id, item_name = str(found["Id"]), str(found["Name"])
            ProductMapping.objects.filter(pk=row.pk, qbo_item_id="").update(
                qbo_item_id=item_id, qbo_item_name=item_name[:255], create_spec={}, updated_at=timezone.now()
            )
            done.append(row.variant_gid)
    finally:
        if done:
            catalog_forget(shop=shop)
            change_record(
                shop=shop,
                section=SetupStep.PRODUCTS,
                by=by,
                before={"items_to_create": len(rows)},
                after={"items_to_create": len(rows) - len(done), "items_created": len(done), **_listed(done)},
            )
    return len(done)


def _income_account_now(shop: Shop) -> dict[str, str]:
    row = AccountRoleMapping.objects.filter(shop=shop, role=AccountRole.SALES_INCOME).first()
    if row is None or not row.qbo_id:
        raise ProductsError(
            f"The account for “{AccountRole.SALES_INCOME.label}” is not in QuickBooks yet: create it before the items."
        )
    return {"value": row.qbo_id, "name": row.qbo_name}


# --- what the page shows ------------------------------------------------------------------------

PAGE_SIZE = 50
SHOW_CHOICES = (("all", "All"), ("unmatched", "Unmatched"), ("mapped", "Mapped or to create"))
ITEMS_LISTED = 25


@dataclass(frozen=True)
class Row:
    pk: int
    title: str
    sku: str
    item_name: str  # the mapped item, or the one to be created
    status: str  # MatchedBy value
    to_create: bool

    @property
    def status_label(self) -> str:
        return str(MatchedBy(self.status).label)


@dataclass(frozen=True)
class Listing:
    rows: list[Row]
    page: Page[Any]
    q: str
    show: str


def products_listing(*, shop: Shop, q: str = "", show: str = "all", page: str | int | None = 1) -> Listing:
    """One page of the shop's variants, unmatched first, then by title; ``q`` searches titles and
    SKUs. Only the columns shown are read, so a page stays fast at 10,000 variants."""
    q = q.strip()[:100]
    show = show if show in dict(SHOW_CHOICES) else "all"
    rows = ProductMapping.objects.filter(shop=shop)
    if show == "unmatched":
        rows = rows.filter(qbo_item_id="", matched_by=MatchedBy.NONE)
    elif show == "mapped":
        rows = rows.exclude(matched_by=MatchedBy.NONE)
    for word in q.split():
        rows = rows.filter(Q(title__icontains=word) | Q(sku__icontains=word))
    ordered = rows.annotate(
        mapped=Case(When(matched_by=MatchedBy.NONE, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("mapped", "title", "pk")
    values = ordered.values("pk", "title", "sku", "qbo_item_name", "matched_by", "create_spec")
    current = Paginator(values, PAGE_SIZE).get_page(page)
    return Listing(
        rows=[
            Row(
                pk=v["pk"],
                title=v["title"],
                sku=v["sku"],
                item_name=v["qbo_item_name"] or str((v["create_spec"] or {}).get("Name", "")),
                status=v["matched_by"],
                to_create=bool(v["create_spec"]),
            )
            for v in current.object_list
        ],
        page=current,
        q=q,
        show=show,
    )


def items_search(*, catalog: Catalog, q: str = "", like: str = "") -> list[QBOObject]:
    """Items a line can book to whose name or SKU contains every word of ``q``; without ``q``,
    every item, those sharing the most words with ``like`` (a variant's title) first, then by
    name. At most ITEMS_LISTED."""
    items = [i for i in catalog.items if i.type in SALE_ITEM_TYPES]
    words = q.casefold().split()
    if words:
        found = [i for i in items if all(w in f"{i.name} {i.sku}".casefold() for w in words)]
        return sorted(found, key=lambda i: i.name.casefold())[:ITEMS_LISTED]
    wanted = set(like.casefold().replace("-", " ").split())
    scored = [(len(wanted & set(i.name.casefold().replace(":", " ").split())), i) for i in items]
    scored.sort(key=lambda pair: (-pair[0], pair[1].name.casefold()))
    return [i for _, i in scored[:ITEMS_LISTED]]


@dataclass(frozen=True)
class FindStatus:
    running: bool
    message: str
    failed: bool = False


def products_find_status(*, shop: Shop, task_id: str) -> FindStatus | None:
    """How the background "Find products" run ``task_id`` of this shop is doing (None: no such run)."""
    if not task_id:
        return None
    found = ProductMapping.objects.filter(shop=shop).count()
    task = Task.objects.filter(id=task_id[:32], group=f"products-{shop.pk}").first()
    if task is None:
        # django-q2 saves a task when it ends; until then the rows it upserts are the progress.
        plural = "" if found == 1 else "s"
        return FindStatus(running=True, message=f"Finding your products: {found:,} variant{plural} so far.")
    result = task.result if isinstance(task.result, dict) else {}
    if not task.success or result.get("error"):
        reason = result.get("error") or "it stopped with an error"
        return FindStatus(running=False, failed=True, message=f"Finding products stopped: {reason}. Try again.")
    return FindStatus(
        running=False,
        message=f"Found {result.get('seen', found):,} variants; {result.get('matched', 0):,} matched automatically.",
    )


def income_account_label(*, shop: Shop) -> str:
    """The account new items book their sales to, as the merchant knows it ('' if not chosen)."""
    row = AccountRoleMapping.objects.filter(shop=shop, role=AccountRole.SALES_INCOME).first()
    return row.display if row is not None else ""
