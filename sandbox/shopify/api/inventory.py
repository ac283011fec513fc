"""Locations and inventory: items, levels and their quantities, inventoryAdjustQuantities."""

from __future__ import annotations

from typing import Any

from sandbox.shopify import model, views
from sandbox.shopify.api.common import Context, ctx, paginate, variant_view
from sandbox.shopify.executor import FieldFailure, Request
from sandbox.shopify.model import gid, iso, parse_gid
from sandbox.shopify.store import ShopData


def levels_for_item(shop: ShopData, item_id: int) -> list[model.InventoryLevel]:
    return sorted(
        (lv for lv in shop.tables["InventoryLevel"].values() if lv.inventory_item_id == item_id), key=lambda lv: lv.id
    )


def r_item_variant(item: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    return variant_view(ctx(req).shop, item["_variantId"])


def r_item_levels(item: dict[str, Any], args: dict[str, Any], req: Request) -> dict[str, Any]:
    shop = ctx(req).shop
    levels = levels_for_item(shop, item["_itemId"])
    return paginate([(lv.id, lv.id, lv) for lv in levels], args, views.level_view)


def r_item_level(item: dict[str, Any], args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    lid = shop.levels_by_key.get((item["_itemId"], parse_gid(args["locationId"], "Location")))
    return views.level_view(shop.tables["InventoryLevel"][lid]) if lid else None


def r_location_levels(loc: dict[str, Any], args: dict[str, Any], req: Request) -> dict[str, Any]:
    shop = ctx(req).shop
    levels = sorted(
        (lv for lv in shop.tables["InventoryLevel"].values() if lv.location_id == loc["_id"]), key=lambda lv: lv.id
    )
    return paginate([(lv.id, lv.id, lv) for lv in levels], args, views.level_view)


def r_location_level(loc: dict[str, Any], args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    lid = shop.levels_by_key.get((parse_gid(args["inventoryItemId"], "InventoryItem"), loc["_id"]))
    return views.level_view(shop.tables["InventoryLevel"][lid]) if lid else None


def r_level_item(lv: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    level = lv["_level"]
    variant = shop.tables["Variant"].get(shop.variant_by_item.get(level.inventory_item_id))
    return views.inventory_item_view(variant, shop.config.currency) if variant else None


def r_level_location(lv: dict[str, Any], _args: dict[str, Any], req: Request) -> Any:
    loc = ctx(req).shop.tables["Location"].get(lv["_level"].location_id)
    return views.location_view(loc) if loc else None


QUANTITY_NAMES = (
    "available",
    "committed",
    "incoming",
    "on_hand",
    "reserved",
    "damaged",
    "safety_stock",
    "quality_control",
)


def r_level_quantities(lv: dict[str, Any], args: dict[str, Any], _req: Request) -> list[dict[str, Any]]:
    level = lv["_level"]
    out = []
    for name in args["names"]:
        if name not in QUANTITY_NAMES:
            raise FieldFailure(f"The quantity name '{name}' is not valid.")
        qty = level.on_hand if name == "on_hand" else getattr(level, name, 0)
        out.append(
            {
                "id": f"gid://shopify/InventoryQuantity/{level.id}?inventory_item_id={level.inventory_item_id}&name={name}",
                "name": name,
                "quantity": qty,
                "updatedAt": iso(level.updated_at),
            }
        )
    return out


def q_locations(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    locs = [loc for loc in c.shop.tables["Location"].values() if loc.active or args.get("includeInactive")]
    sort_name = (args.get("sortKey") or "NAME") == "NAME"
    entries = sorted(((loc.name if sort_name else loc.id, loc.id, loc) for loc in locs), key=lambda e: (e[0], e[1]))
    return paginate(entries, args, views.location_view)


def q_location(_root: Any, args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    if args.get("id") is None:
        locs = sorted(shop.tables["Location"].values(), key=lambda loc: loc.id)
        return views.location_view(locs[0]) if locs else None
    loc = shop.tables["Location"].get(parse_gid(args["id"], "Location"))
    return views.location_view(loc) if loc else None


def q_inventory_item(_root: Any, args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    item_id = parse_gid(args["id"], "InventoryItem")
    v = shop.tables["Variant"].get(shop.variant_by_item.get(item_id))
    return views.inventory_item_view(v, shop.config.currency) if v else None


def q_inventory_level(_root: Any, args: dict[str, Any], req: Request) -> Any:
    shop = ctx(req).shop
    level = shop.tables["InventoryLevel"].get(parse_gid(args["id"], "InventoryLevel"))
    return views.level_view(level) if level else None


def set_level(c: Context, item_id: int, location_id: int, available: int) -> model.InventoryLevel:
    shop = c.shop
    now = c.store.now()
    lid = shop.levels_by_key.get((item_id, location_id))
    if lid is None:
        level = model.InventoryLevel(
            shop=shop.domain,
            id=c.store.next_id("InventoryLevel"),
            inventory_item_id=item_id,
            location_id=location_id,
            created_at=now,
            updated_at=now,
        )
        shop.levels_by_key[(item_id, location_id)] = level.id
    else:
        level = shop.tables["InventoryLevel"][lid]
    level.available = available
    level.updated_at = now
    c.store.put(level)
    return level


ADJUSTABLE = ("available", "damaged", "quality_control", "reserved", "safety_stock", "incoming")


def m_inventory_adjust(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    data = args["input"]
    name = data["name"]
    if name not in ADJUSTABLE:
        return {
            "inventoryAdjustmentGroup": None,
            "userErrors": [
                {
                    "field": ["input", "name"],
                    "message": "The quantity name is not valid.",
                    "code": "INVALID_QUANTITY_NAME",
                }
            ],
        }
    resolved, errors = _adjustment_targets(c, data["changes"])
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    changes_out = [_adjust(c, name, item_id, loc_id, change) for item_id, loc_id, change in resolved]
    group = {
        "id": gid("InventoryAdjustmentGroup", c.store.next_id("InventoryAdjustmentGroup")),
        "createdAt": iso(c.store.now()),
        "reason": data["reason"],
        "referenceDocumentUri": data.get("referenceDocumentUri"),
        "_changes": changes_out,
    }
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def _adjustment_targets(
    c: Context, changes: list[dict[str, Any]]
) -> tuple[list[tuple[int, int, dict[str, Any]]], list[dict[str, Any]]]:
    """(item id, location id, change) per change, or the user errors of those that name nothing."""
    errors = []
    resolved = []
    for i, change in enumerate(changes):
        item_id = parse_gid(change["inventoryItemId"], "InventoryItem")
        loc_id = parse_gid(change["locationId"], "Location")
        if item_id not in c.shop.variant_by_item:
            errors.append(
                {
                    "field": ["input", "changes", str(i), "inventoryItemId"],
                    "message": "The specified inventory item could not be found.",
                    "code": "INVALID_INVENTORY_ITEM",
                }
            )
        elif loc_id not in c.shop.tables["Location"]:
            errors.append(
                {
                    "field": ["input", "changes", str(i), "locationId"],
                    "message": "The specified location could not be found.",
                    "code": "INVALID_LOCATION",
                }
            )
        else:
            resolved.append((item_id, loc_id, change))
    return resolved, errors


def _adjust(c: Context, name: str, item_id: int, loc_id: int, change: dict[str, Any]) -> dict[str, Any]:
    lid = c.shop.levels_by_key.get((item_id, loc_id))
    level = c.shop.tables["InventoryLevel"][lid] if lid else set_level(c, item_id, loc_id, 0)
    if name == "available":
        level.available += change["delta"]
    else:
        setattr(level, name, getattr(level, name, 0) + change["delta"])
    level.updated_at = c.store.now()
    c.store.put(level)
    c.emit("inventory_levels/update", level)
    variant = c.shop.tables["Variant"][c.shop.variant_by_item[item_id]]
    return {
        "delta": change["delta"],
        "name": name,
        "ledgerDocumentUri": change.get("ledgerDocumentUri"),
        "quantityAfterChange": level.available if name == "available" else getattr(level, name, 0),
        "item": views.inventory_item_view(variant, c.shop.config.currency),
        "location": views.location_view(c.shop.tables["Location"][loc_id]),
    }


def r_group_changes(group: dict[str, Any], _args: dict[str, Any], _req: Request) -> list[Any]:
    return group["_changes"]


RESOLVERS = {
    ("QueryRoot", "locations"): q_locations,
    ("QueryRoot", "location"): q_location,
    ("QueryRoot", "inventoryItem"): q_inventory_item,
    ("QueryRoot", "inventoryLevel"): q_inventory_level,
    ("InventoryItem", "variant"): r_item_variant,
    ("InventoryItem", "inventoryLevels"): r_item_levels,
    ("InventoryItem", "inventoryLevel"): r_item_level,
    ("Location", "inventoryLevels"): r_location_levels,
    ("Location", "inventoryLevel"): r_location_level,
    ("InventoryLevel", "item"): r_level_item,
    ("InventoryLevel", "location"): r_level_location,
    ("InventoryLevel", "quantities"): r_level_quantities,
    ("Mutation", "inventoryAdjustQuantities"): m_inventory_adjust,
    ("InventoryAdjustmentGroup", "changes"): r_group_changes,
}
SCOPES = {
    ("QueryRoot", "locations"): "read_locations",
    ("QueryRoot", "location"): "read_locations",
    ("QueryRoot", "inventoryItem"): "read_inventory",
    ("QueryRoot", "inventoryLevel"): "read_inventory",
    ("Mutation", "inventoryAdjustQuantities"): "write_inventory",
}
