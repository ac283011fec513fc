"""Items ShopQB creates in QuickBooks for the merchant's variants.

Before go-live a variant only gets the item's ``create_spec`` (what to create, under a name no
item has); ``products_materialize`` creates the items at go-live, and at once for a shop already
live. Existing items are never changed: each item is looked up by name before it is created.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Shop
from mappings.catalog import Catalog, QBOObject, catalog_forget
from mappings.history import change_record
from mappings.inventory import synced_locations
from mappings.models import AccountRole, AccountRoleMapping, ProductMapping, SetupStep, SyncSettings
from mappings.products import (
    MatchedBy,
    ProductsError,
    chunks,
    name_key,
    to_create,
    unmatched,
    unmatched_update,
    variants_listed,
)
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify import inventory as shopify_inventory
from shopqb_app.integrations.shopify import products as shopify_products
from shopqb_app.integrations.shopify.client import ShopifyClient

BY_SHOPQB = "ShopQB"
ITEM_KINDS = ("NonInventory", "Inventory")
NAME_LIMIT = 100  # Item.Name and Item.Sku, QBO's maximum (Finance.xsd, Item)
NAME_LOOKUP_BATCH = 30


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
    taken = {name_key(i.name) for i in catalog.items} | {name_key(i.name.rsplit(":", 1)[-1]) for i in catalog.items}
    for spec in to_create(shop).values_list("create_spec", flat=True):
        if isinstance(spec, dict) and spec.get("Name"):
            taken.add(name_key(str(spec["Name"])))
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
            if name_key(name) not in taken:
                taken.add(name_key(name))
                return name
        suffix = f" {n}"
        candidates = [base[: NAME_LIMIT - len(suffix)] + suffix]
        n += 1


def _set_create_specs(shop: Shop, specs: dict[int, dict[str, Any]]) -> int:
    json_type = "JSONB" if connection.vendor == "postgresql" else "TEXT"
    rows = [(pk, json.dumps(spec)) for pk, spec in specs.items()]
    return unmatched_update(
        shop, rows, {"spec": json_type}, f"create_spec = chosen.spec, matched_by = '{MatchedBy.CREATED.value}'"
    )


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
    # Opening stock: the "available" quantity at the locations the shop syncs (all when none chosen).
    stock = (
        shopify_inventory.variant_levels(shopify, gids, locations=synced_locations(shop))
        if inventory is not None and shopify is not None
        else {}
    )
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
                **variants_listed([gid for _, gid, _, _ in chosen]),
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
    for chunk in chunks(names, NAME_LOOKUP_BATCH):
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
        select = f"select * from Item where Name in ({', '.join(_quoted(n) for n in chunk)})"  # noqa: S608
        result: dict[str, Any] = qbo.call(partial(qb.query, select))
        for item in result.get("QueryResponse", {}).get("Item", []):
            found[name_key(str(item["Name"]))] = item
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
    rows = [r for r in to_create(shop).order_by("pk") if r.create_spec.get("Name")]
    if not rows:
        return 0
    income: dict[str, str] | None = None
    existing = _existing_items(qb, [str(r.create_spec["Name"]) for r in rows])
    done: list[str] = []
    try:
        for row in rows:
            spec = dict(row.create_spec)
            found = existing.get(name_key(str(spec["Name"])))
            if found is None:
                if not (spec.get("IncomeAccountRef") or {}).get("value"):
                    income = income or _income_account_now(shop)
                    spec["IncomeAccountRef"] = income
                item_id, item_name = _create_item(qb, spec, _request_id(row, str(spec["Name"]))), str(spec["Name"])
                item_type = str(spec.get("Type") or "")
            else:
                item_id, item_name, item_type = str(found["Id"]), str(found["Name"]), str(found.get("Type") or "")
            ProductMapping.objects.filter(pk=row.pk, qbo_item_id="").update(
                qbo_item_id=item_id,
                qbo_item_name=item_name[:255],
                qbo_item_type=item_type[:20],
                create_spec={},
                updated_at=timezone.now(),
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
                after={"items_to_create": len(rows) - len(done), "items_created": len(done), **variants_listed(done)},
            )
    return len(done)


def _income_account_now(shop: Shop) -> dict[str, str]:
    row = AccountRoleMapping.objects.filter(shop=shop, role=AccountRole.SALES_INCOME).first()
    if row is None or not row.qbo_id:
        raise ProductsError(
            f"The account for “{AccountRole.SALES_INCOME.label}” is not in QuickBooks yet: create it before the items."
        )
    return {"value": row.qbo_id, "name": row.qbo_name}
