"""Quantity check: Shopify's on-hand quantity against QuickBooks' QtyOnHand, per mapped inventory item.

QuickBooks moves an inventory item's quantity itself with every sale and refund ShopQB books, so the
two counts agree until something happens on one side only: a stock count or a damaged unit recorded
in Shopify, a purchase entered in QuickBooks, a refund that did not restock booked before this
rule, an order not synced. ``inventory_check`` finds the differences (daily, and when the merchant
asks); it never changes anything. ``inventory_adjust`` is the merchant's one click: an
InventoryAdjustment setting the item's quantity to what Shopify counts now.

Cost: one QuickBooks query page per 1,000 inventory items, one Shopify query per 20 mapped variants.

QuickBooks has no other way to change a quantity after an item is created: QtyOnHand is only read
at creation (with InvStartDate), and a JournalEntry moves money, not quantities. InventoryAdjustment
is available to US companies (Plus and Advanced); elsewhere the page says to adjust in QuickBooks.
# Reference: https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-inventory/inventory-adjustment
# Reference: https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-inventory
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import QuickBooksConnection, Shop
from mappings.models import InventoryCheck, ProductMapping, SyncSettings
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify import inventory as shopify_inventory
from shopqb_app.integrations.shopify.client import ShopifyClient

INVENTORY = "Inventory"
PAGE_SIZE = 1000  # QBO's largest query page


class InventoryError(Exception):
    """The check or the adjustment cannot be done; the message says why, for the merchant."""


@dataclass(frozen=True)
class Difference:
    item_id: str
    item_name: str
    shopify_qty: Decimal
    qbo_qty: Decimal
    variants: tuple[str, ...]

    @property
    def change(self) -> Decimal:
        return self.shopify_qty - self.qbo_qty

    def as_json(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "item_name": self.item_name,
            "shopify_qty": str(self.shopify_qty),
            "qbo_qty": str(self.qbo_qty),
            "change": str(self.change),
            "variants": list(self.variants),
        }


def synced_locations(shop: Shop) -> list[str]:
    """The location gids whose stock counts: those the shop syncs orders from (none chosen: all)."""
    rules = SyncSettings.objects.filter(shop=shop).first()
    return [str(gid) for gid in (rules.only_location_ids if rules else []) or []]


def _inventory_items(qb: qbo.QuickBooks) -> dict[str, dict[str, Any]]:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/item#query-an-item
    rows = qbo.query_all(qb, "select * from Item where Type = 'Inventory'", "Item", page_size=PAGE_SIZE)
    return {str(row["Id"]): row for row in rows}


def _remember_types(shop: Shop, inventory_ids: set[str]) -> None:
    """Mapped rows learn which of their items are inventory items (items matched or chosen before
    the type was kept, or changed in QuickBooks since)."""
    mapped = ProductMapping.objects.filter(shop=shop).exclude(qbo_item_id="")
    mapped.filter(qbo_item_id__in=inventory_ids).exclude(qbo_item_type=INVENTORY).update(qbo_item_type=INVENTORY)
    mapped.filter(qbo_item_type=INVENTORY).exclude(qbo_item_id__in=inventory_ids).update(qbo_item_type="")


def inventory_differences(*, shop: Shop, qb: qbo.QuickBooks, shopify: ShopifyClient) -> tuple[int, list[Difference]]:
    """(inventory items compared, those whose quantities differ). A QuickBooks item several
    variants map to is compared with their sum; variants Shopify does not track are left out."""
    items = _inventory_items(qb)
    _remember_types(shop, set(items))
    variants: dict[str, list[str]] = {}
    for gid, item_id in ProductMapping.objects.filter(shop=shop, qbo_item_id__in=list(items)).values_list(
        "variant_gid", "qbo_item_id"
    ):
        variants.setdefault(item_id, []).append(gid)
    gids = [gid for group in variants.values() for gid in group]
    stock = shopify_inventory.variant_levels(shopify, gids, locations=synced_locations(shop)) if gids else {}
    found: list[Difference] = []
    compared = 0
    for item_id, group in sorted(variants.items(), key=lambda kv: str(items[kv[0]].get("Name", ""))):
        tracked = [stock[gid] for gid in group if gid in stock and stock[gid].tracked]
        if not tracked:
            continue
        compared += 1
        shopify_qty = Decimal(sum(s.quantity for s in tracked))
        qbo_qty = Decimal(str(items[item_id].get("QtyOnHand") or 0))
        if shopify_qty != qbo_qty:
            name = str(items[item_id].get("Name", ""))
            found.append(Difference(item_id, name, shopify_qty, qbo_qty, tuple(sorted(group))))
    return compared, found


def inventory_check(*, shop: Shop, qb: qbo.QuickBooks, shopify: ShopifyClient) -> InventoryCheck:
    """Compare and keep the result (replacing the previous one). Changes nothing in either system."""
    compared, found = inventory_differences(shop=shop, qb=qb, shopify=shopify)
    check, _ = InventoryCheck.objects.update_or_create(
        shop=shop,
        defaults={
            "checked_at": timezone.now(),
            "items_checked": compared,
            "differences": [d.as_json() for d in found],
            "error": "",
        },
    )
    return check


def inventory_check_failed(*, shop: Shop, message: str) -> None:
    InventoryCheck.objects.update_or_create(shop=shop, defaults={"error": message[:2000]})


def can_adjust(connection: QuickBooksConnection | None) -> bool:
    """InventoryAdjustment is offered to US companies only (Intuit's guide, linked above)."""
    return connection is not None and (connection.country or "US") == "US"


def _request_id(shop: Shop, item_id: str, new_qty: Decimal, day: date) -> str:
    # The same click (or its retry) replays: one adjustment per item, quantity and day.
    digest = hashlib.sha256(f"{shop.pk}:{item_id}:{new_qty}:{day.isoformat()}".encode()).hexdigest()[:24]
    return f"shopqb-invadj-{digest}"


def inventory_adjust(
    *, shop: Shop, qb: qbo.QuickBooks, shopify: ShopifyClient, item_id: str, by: str, today: date | None = None
) -> dict[str, Any]:
    """The merchant's click: set the QuickBooks item's quantity to what Shopify counts now.

    Both counts are read again first (the check may be hours old): nothing is written when they
    already agree. The adjustment names the quantity (NewQty), not a difference, so a repeated
    click cannot move it twice; its value goes against the item's own cost of goods sold account.
    """
    check = InventoryCheck.objects.filter(shop=shop).first()
    listed = {str(d["item_id"]) for d in (check.differences if check else [])}
    if item_id not in listed:
        raise InventoryError("This item has no difference to adjust; run the check again.")
    item = qbo.read(qb, "Item", item_id)
    if item.get("Type") != INVENTORY:
        raise InventoryError(f"{item.get('Name', item_id)} is no longer an inventory item in QuickBooks.")
    gids = list(ProductMapping.objects.filter(shop=shop, qbo_item_id=item_id).values_list("variant_gid", flat=True))
    stock = shopify_inventory.variant_levels(shopify, gids, locations=synced_locations(shop))
    new_qty = Decimal(sum(s.quantity for s in stock.values() if s.tracked))
    current = Decimal(str(item.get("QtyOnHand") or 0))
    day = today or timezone.localdate()
    done: dict[str, Any] = {"item_id": item_id, "item_name": str(item.get("Name", "")), "new_qty": str(new_qty)}
    if new_qty != current:
        cogs = (item.get("ExpenseAccountRef") or {}).get("value")
        if not cogs:
            raise InventoryError(f"{item.get('Name', item_id)} has no cost of goods sold account in QuickBooks.")
        body = {
            "TxnDate": day.isoformat(),
            "AdjustAccountRef": {"value": str(cogs)},
            "PrivateNote": f"Quantity set to Shopify's count ({new_qty}) by {by[:100]}. Written by ShopQB.",
            "Line": [
                {
                    "DetailType": "ItemAdjustmentLineDetail",
                    "ItemAdjustmentLineDetail": {"ItemRef": {"value": item_id}, "NewQty": str(new_qty)},
                }
            ],
        }
        # python-quickbooks has no InventoryAdjustment object: the body is posted as QBO documents it.
        url = f"{qb.api_url}/company/{qb.company_id}/inventoryadjustment"
        request_id = _request_id(shop, item_id, new_qty, day)
        result = qbo.call(lambda: qb.post(url, json.dumps(body), request_id=request_id))
        done["adjustment_id"] = str(result["InventoryAdjustment"]["Id"])
    done |= {"from_qty": str(current), "at": timezone.now().isoformat(), "by": by[:255]}
    with transaction.atomic():
        check = InventoryCheck.objects.select_for_update().get(shop=shop)
        check.differences = [d for d in check.differences if str(d["item_id"]) != item_id]
        check.adjusted = [*check.adjusted, done][-100:]
        check.save(update_fields=["differences", "adjusted"])
    return done
