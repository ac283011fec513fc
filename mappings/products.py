"""Products: every Shopify variant mapped to the QuickBooks item its sales lines book to.

Discovery keeps one ProductMapping row per variant (an upsert: mappings already made stay;
product_discovery.py); auto-match maps the unmatched rows by SKU, then by name, and the merchant
maps the rest one by one or all to one item (product_matching.py), or asks ShopQB to create an
item for each (product_items.py); the page lists and searches them (product_listing.py). Before
go-live nothing is written to QuickBooks: an item to create is the row's ``create_spec``, created
by ``products_materialize`` at go-live (and at once after it). A variant left unmapped books to
the "unmapped products" item.

This module holds what those share: the rows in each state, the connected company, the bulk
update of unmatched rows. Every change is a mapping version (section "products"), recorded
compactly: counts and the first variants changed, not every row of a 10,000-variant shop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import requests
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from accounts import clients, tokens
from accounts.models import QuickBooksConnection, Shop
from mappings.catalog import Catalog, catalog_read
from mappings.models import ProductMapping
from shopqb_app.integrations.quickbooks import client as qbo

MatchedBy = ProductMapping.MatchedBy

# Item types a sales line can carry (a Category or a Group cannot).
# Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/item
SALE_ITEM_TYPES = ("Inventory", "NonInventory", "Service")
VARIANTS_RECORDED = 100  # variant gids a history entry lists; the counts cover the rest
UPDATE_BATCH = 500  # rows per UPDATE statement (4 parameters each; SQLite allows 32,766)

# Building a client reads Intuit's discovery document with plain requests: its failures are not QBOErrors.
QBO_UNREACHABLE = (qbo.QBOError, tokens.TokenRevoked, tokens.TokenRefreshFailed, requests.RequestException)

T = TypeVar("T")


class ProductsError(Exception):
    """Something the merchant must fix first, in plain words."""


def unmatched(shop: Shop) -> QuerySet[ProductMapping]:
    """Rows with no item and no item to create: what auto-match and the bulk actions act on.

    ``qbo_item_id=""`` is implied by ``matched_by=""``; it is there so the database can use the
    (shop, qbo_item_id, title) index."""
    return ProductMapping.objects.filter(shop=shop, qbo_item_id="", matched_by=MatchedBy.NONE)


def to_create(shop: Shop) -> QuerySet[ProductMapping]:
    """Rows whose item ShopQB will create (at go-live, or at once once live)."""
    return ProductMapping.objects.filter(shop=shop, qbo_item_id="", matched_by=MatchedBy.CREATED)


def name_key(text: str) -> str:
    """How QuickBooks compares names and SKUs: case and outer spaces ignored."""
    return text.strip().casefold()


def chunks(values: list[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def variants_listed(gids: list[str]) -> dict[str, Any]:
    """The variants a history entry names: the first ones changed, and how many more were not listed."""
    listed: dict[str, Any] = {"variants": gids[:VARIANTS_RECORDED]}
    if len(gids) > VARIANTS_RECORDED:
        listed["variants_not_listed"] = len(gids) - VARIANTS_RECORDED
    return listed


def unmatched_update(shop: Shop, rows: list[tuple[Any, ...]], columns: dict[str, str], assignments: str) -> int:
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
        for batch in chunks(rows, UPDATE_BATCH):
            cursor.execute(
                f"UPDATE {table} SET {assignments}, updated_at = %s "  # noqa: S608 (placeholders only)
                f"FROM (SELECT {names} FROM (VALUES {', '.join([row_sql] * len(batch))}) AS v) AS chosen "
                f"WHERE {table}.id = chosen.id AND {table}.shop_id = %s "
                f"AND {table}.qbo_item_id = '' AND {table}.matched_by = ''",
                [now, *(value for row in batch for value in row), shop.pk],
            )
            changed += cursor.rowcount
    return changed


# --- the connected company ----------------------------------------------------------------------


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
